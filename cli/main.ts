import { runCommand, type ArgsDef, type CommandDef } from 'citty';
import { stripVTControlCharacters } from 'node:util';
import { closestName, HyperctlError, isHyperctlError } from '../src/index.js';
import { commandMeta } from './commands/meta.js';
import type { CommandData } from './command-data.js';
import { exitCodeFor, exitCodes } from './exit-codes.js';
import { guardOutput } from './output.js';
import { answeredAtRoot, commandLoaders, rootCommand, showUsage } from './root.js';
import { SignalTrap } from './signals.js';

/**
 * Runs the CLI on `argv` (without node and script) and resolves with the exit code. A command
 * that must end in its own way on a signal (`run`, `batch serve`) takes `signals` over.
 */
export async function main(argv: readonly string[], signals: SignalTrap = new SignalTrap()): Promise<number> {
  const args = [...argv];
  guardOutput();
  try {
    if (await answeredAtRoot(args)) return exitCodes.ok;
    const [command, parent, depth] = await findCommand(args);
    if (args.includes('-h') || args.includes('--help')) {
      await showUsage(command, parent);
      return exitCodes.ok;
    }
    if (!command.run) {
      const name = args[depth];
      if (name !== undefined && !name.startsWith('-'))
        throw new HyperctlError('E_USAGE', `Unknown command ${[...args.slice(0, depth), name].join(' ')}; see hyperctl --help`);
      await showUsage(command, parent);
      return depth === 0 ? exitCodes.ok : exitCodes.usage;
    }
    const ownArgs = args.slice(depth);
    const dashDash = ownArgs.indexOf('--');
    const rest = dashDash === -1 ? undefined : ownArgs.slice(dashDash + 1);
    const name = (await resolveValue(command.meta))?.name;
    if (rest !== undefined && name !== commandMeta.run.name && name !== 'add')
      throw new HyperctlError('E_USAGE', `unexpected "--": only hyperctl run and hyperctl batch add take a command after it (--param … -- COMMAND)`);
    const rawArgs = await joinNegativeValues(command, dashDash === -1 ? ownArgs : ownArgs.slice(0, dashDash));
    await rejectUnknownFlags(command, rawArgs);
    // Run the leaf command directly: citty does not hand a sub-command's result back up.
    const { result } = await runCommand(command, { rawArgs, data: { signals, rest } satisfies CommandData });
    return typeof result === 'number' ? result : exitCodes.ok;
  } catch (error) {
    return reportError(error, args);
  }
}

/** The command `args` name, its parent, and how many leading args named it. */
async function findCommand(args: readonly string[]): Promise<[CommandDef, CommandDef | undefined, number]> {
  let command: CommandDef = rootCommand;
  let parent: CommandDef | undefined;
  let depth = 0;
  for (const arg of args) {
    if (arg.startsWith('-')) break;
    // A top-level command is loaded once named; below it, its own sub-commands.
    const loader = command === rootCommand && Object.hasOwn(commandLoaders, arg) ? commandLoaders[arg as keyof typeof commandLoaders] : undefined;
    const subs = loader ? undefined : ((await resolveValue(command.subCommands)) as Record<string, CommandDef> | undefined);
    const next = loader ? await loader() : subs?.[arg];
    if (!next) break;
    [parent, command] = [command, next];
    depth++;
  }
  return [command, parent, depth];
}

/**
 * `-p -1` as `-p=-1`: a negative number after a flag that takes a value is that value (so its
 * check can say what the value must be), not a flag of its own, as the parser would take it.
 */
async function joinNegativeValues(command: CommandDef, args: readonly string[]): Promise<string[]> {
  const defs = (await resolveValue(command.args)) as ArgsDef | undefined;
  // Each spelling of a flag that takes a value, to its long name (`-p=…` would not parse).
  const longName = new Map<string, string>();
  for (const [name, def] of Object.entries(defs ?? {})) {
    if (def.type !== 'string') continue;
    longName.set(`--${name}`, name);
    if ('alias' in def) for (const alias of [def.alias ?? []].flat()) longName.set(alias.length === 1 ? `-${alias}` : `--${alias}`, name);
  }
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const name = longName.get(arg);
    if (name !== undefined && next !== undefined && /^-\d/.test(next)) {
      joined.push(`--${name}=${next}`);
      i++;
    } else joined.push(arg);
  }
  return joined;
}

/** citty ignores flags it does not know; a typo must not silently change what runs. */
async function rejectUnknownFlags(command: CommandDef, args: readonly string[]): Promise<void> {
  const defs = (await resolveValue(command.args)) as ArgsDef | undefined;
  const known = new Set<string>();
  for (const [name, def] of Object.entries(defs ?? {})) {
    known.add(name);
    if (def.type === 'boolean') known.add(`no-${name}`);
    if ('alias' in def) for (const alias of [def.alias ?? []].flat()) known.add(alias);
  }
  const commandName = command === rootCommand ? '' : ((await resolveValue(command.meta))?.name ?? '');
  let words = 0;
  for (const arg of args) {
    if (!arg.startsWith('-') || arg === '-') {
      words++;
      continue;
    }
    const name = arg.replace(/^--?/, '').split('=')[0]!;
    if (known.has(name)) continue;
    const flag = arg.split('=')[0]!;
    // `run --param lr=0.1 python3 train.py --lr {lr}`: the command's own options, the `--` forgotten.
    if (args.some((a) => a === '--param' || a.startsWith('--param=')) && words > 0 && (commandName === 'run' || commandName === 'add'))
      throw new HyperctlError(
        'E_USAGE',
        `unknown option ${flag}: the command to run goes after --, as in hyperctl ${commandName === 'add' ? 'batch add NAME' : 'run'} --param lr=0.1,0.2 -- python3 train.py --lr {lr}`,
      );
    const hint = closestName(
      name,
      [...known].filter((flag) => flag.length > 1),
    );
    throw new HyperctlError(
      'E_USAGE',
      `unknown option ${flag}${hint ? `; did you mean --${hint}?` : ''}; see hyperctl ${commandName ? `${commandName} ` : ''}--help`,
    );
  }
}

async function resolveValue<T>(value: T | (() => T | Promise<T>) | Promise<T>): Promise<T> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : await value;
}

async function reportError(error: unknown, args: readonly string[]): Promise<number> {
  if (isHyperctlError(error)) {
    process.stderr.write(`hyperctl: ${error.message}\n`);
    return exitCodeFor(error);
  }
  // citty's own argument errors: a usage problem, shown with the command's usage.
  if (error instanceof Error && error.name === 'CLIError') {
    const [command, parent] = await findCommand(args);
    await showUsage(command, parent);
    process.stderr.write(`hyperctl: ${stripVTControlCharacters(error.message)}\n`);
    return exitCodes.usage;
  }
  process.stderr.write(`hyperctl: internal error (please report it):\n${error instanceof Error ? error.stack : String(error)}\n`);
  return 70;
}
