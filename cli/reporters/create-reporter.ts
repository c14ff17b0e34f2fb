import { styleFor } from '../style.js';
import { JsonReporter } from './json-reporter.js';
import { PlainReporter } from './plain-reporter.js';
import type { RunReporter } from './reporter.js';
import { TtyReporter } from './tty-reporter.js';

/** The reporters by name: `tty` on a terminal, `plain` otherwise, `json` with `--json`. */
export type ReporterName = 'tty' | 'plain' | 'json';

/** Streams and terminal facts a reporter is given. */
export interface Terminal {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
}

/** The reporter of that name, with what it needs to know of the terminal worked out here. */
export function createReporter(name: ReporterName, tail: boolean, terminal: Terminal): RunReporter {
  const onTerminal = name === 'tty';
  const env = {
    stdout: terminal.stdout,
    stderr: terminal.stderr,
    style: styleFor(onTerminal ? terminal.stderr : (terminal.stdout as NodeJS.WriteStream), terminal.env),
    // Off a terminal, lines are as long as they need to be, within reason.
    columns: onTerminal ? () => terminal.stderr.columns || 80 : () => 200,
    tail,
  };
  if (name === 'json') return new JsonReporter(env);
  return onTerminal ? new TtyReporter(env) : new PlainReporter(env);
}
