import { type CommandDef, defineCommand } from 'citty';
import { createRequire } from 'node:module';
import { commandMeta } from './commands/meta.js';
import { usageText } from './render/usage.js';

/*
 * The CLI's root: what `hyperctl`, `hyperctl --help` and `--version` need, and nothing more — no
 * command module and no SDK is loaded for them, so they start about as fast as Node itself.
 */

/** hyperctl's version, from its package.json (one folder up from here, in the sources as in dist/). */
export const cliVersion: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Each top-level command, loaded when it is named. */
export const commandLoaders: Record<keyof typeof commandMeta, () => Promise<CommandDef>> = {
  run: async () => (await import('./commands/run.js')).runCommand as CommandDef,
  generate: async () => (await import('./commands/generate.js')).generateCommand as CommandDef,
  batch: async () => (await import('./commands/batch.js')).batchCommand as CommandDef,
  job: async () => (await import('./commands/job.js')).jobCommand as CommandDef,
  gpus: async () => (await import('./commands/gpus.js')).gpusCommand as CommandDef,
};

/** The root command; its sub-commands are their names and descriptions until one is named. */
export const rootCommand = defineCommand({
  meta: { name: 'hyperctl', version: cliVersion, description: 'hyperctl runs and manages batches of parameterised jobs' },
  subCommands: Object.fromEntries(Object.entries(commandMeta).map(([key, meta]) => [key, { meta }])),
}) as CommandDef;

/** Prints a command's usage; plain text unless stdout is a terminal and NO_COLOR is unset. */
export async function showUsage(command: CommandDef, parent?: CommandDef): Promise<void> {
  const colour = process.stdout.isTTY && !process.env.NO_COLOR;
  // Fits the terminal (one column free: some wrap at the last one); 80 columns when piped.
  const width = Math.max(40, (process.stdout.isTTY ? process.stdout.columns : 80) - 1);
  process.stdout.write(await usageText(command, parent, width, colour ? (text) => `\u001b[1m${text}\u001b[22m` : (text) => text));
}

/** Answers `hyperctl`, `-h`/`--help` and `-v`/`-V`/`--version`; false for anything else. */
export async function answeredAtRoot(argv: readonly string[]): Promise<boolean> {
  const [first] = argv;
  if (first === undefined || first === '-h' || first === '--help') {
    await showUsage(rootCommand);
    return true;
  }
  if (first === '-v' || first === '-V' || first === '--version') {
    process.stdout.write(`${cliVersion}\n`);
    return true;
  }
  return false;
}
