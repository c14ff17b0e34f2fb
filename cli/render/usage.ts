import type { ArgsDef, CommandDef, CommandMeta } from 'citty';

/** Text as lines of at most `width` characters, broken between words (a word longer than a line stays whole). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

/** Two columns, the second wrapped under itself: no line wider than `width`, none padded at its end. */
function twoColumns(rows: readonly (readonly [string, string])[], width: number): string[] {
  const left = Math.min(Math.max(0, ...rows.map(([label]) => label.length)), 28);
  const room = Math.max(20, width - left - 4);
  return rows.flatMap(([label, text]) => {
    const wrapped = wrapText(text, room);
    // A label wider than the column gets a line of its own.
    const first = label.length > left ? [`  ${label}`] : [];
    const lines = label.length > left ? wrapped : wrapped.slice(1);
    const head = label.length > left ? [] : [`  ${label.padEnd(left)}  ${wrapped[0] ?? ''}`.trimEnd()];
    return [...first, ...head, ...lines.map((line) => `${' '.repeat(left + 4)}${line}`)];
  });
}

async function resolve<T>(value: T | (() => T | Promise<T>) | Promise<T> | undefined): Promise<T | undefined> {
  return typeof value === 'function' ? await (value as () => T | Promise<T>)() : await value;
}

/** A flag as usage shows it: `-c, --config FILE`, `--force`. */
function flagLabel(name: string, def: ArgsDef[string]): string {
  const aliases = 'alias' in def ? [def.alias ?? []].flat() : [];
  const short = aliases.filter((alias) => alias.length === 1).map((alias) => `-${alias}, `);
  const hint = def.type === 'string' ? ` ${('valueHint' in def && def.valueHint) || 'VALUE'}` : '';
  return `${short.join('')}--${name}${hint}`;
}

/**
 * A command's usage, wrapped to `width`: what it does, how it is called, its arguments, options or
 * sub-commands. `bold` marks the headings (identity when colour is off).
 */
export async function usageText(command: CommandDef, parent: CommandDef | undefined, width: number, bold: (text: string) => string): Promise<string> {
  const meta = (await resolve<CommandMeta>(command.meta)) ?? {};
  const parentName = parent ? (await resolve<CommandMeta>(parent.meta))?.name : undefined;
  const name = ['hyperctl', ...[parentName, meta.name].filter((part) => part && part !== 'hyperctl')].join(' ');
  const args = Object.entries((await resolve<ArgsDef>(command.args)) ?? {});
  const subs = Object.entries(((await resolve(command.subCommands)) ?? {}) as Record<string, CommandDef>);
  const positionals = args.filter(([, def]) => def.type === 'positional');
  const flags = args.filter(([, def]) => def.type !== 'positional');
  const call =
    subs.length > 0
      ? `${name} COMMAND`
      : `${name}${flags.length > 0 ? ' [OPTIONS]' : ''}${positionals.map(([arg, def]) => (def.required ? ` ${arg.toUpperCase()}` : ` [${arg.toUpperCase()}]`)).join('')}`;
  const out = [...wrapText(`${meta.description ?? ''}${meta.version ? ` (version ${meta.version})` : ''}`, width), '', `${bold('USAGE')} ${call}`];
  if (positionals.length > 0)
    out.push(
      '',
      bold('ARGUMENTS'),
      ...twoColumns(
        positionals.map(([arg, def]) => [arg.toUpperCase(), def.description ?? ''] as const),
        width,
      ),
    );
  if (flags.length > 0)
    out.push(
      '',
      bold('OPTIONS'),
      ...twoColumns(
        flags.map(([flag, def]) => [flagLabel(flag, def), def.description ?? ''] as const),
        width,
      ),
    );
  if (subs.length > 0) {
    const described = await Promise.all(subs.map(async ([sub, def]) => [sub, (await resolve<CommandMeta>(def.meta))?.description ?? ''] as const));
    out.push('', bold('COMMANDS'), ...twoColumns(described, width), '', ...wrapText(`${name} COMMAND --help says more of a command.`, width));
  }
  return `${out.join('\n')}\n`;
}
