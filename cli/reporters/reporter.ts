import type { BatchEvent, BatchResult } from '../../src/index.js';
import type { Style } from '../style.js';

/** Shows a run as it goes. The run command knows this interface only, and picks one by name. */
export interface RunReporter {
  onEvent(event: BatchEvent): void;
  /** Says that the run is being interrupted. */
  interrupting(signal: string): void;
  /** Stops live drawing and shows how the run ended. */
  finish(result: BatchResult): void;
  /** Stops live drawing, whatever happened. */
  close(): void;
}

/** What a reporter may know of where it writes, passed in: it reads nothing from the process. */
export interface ReporterEnv {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Colours for the stream the reporter mostly writes to. */
  readonly style: Style;
  /** The terminal's width now (it may change while a run goes on); 200 off a terminal. */
  readonly columns: () => number;
  /** Print the jobs' output, each line prefixed with the job's name. */
  readonly tail: boolean;
}
