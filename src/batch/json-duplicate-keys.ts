/** A key that appears twice in one JSON object: where, and the path of the object. */
export interface DuplicateKey {
  readonly key: string;
  readonly path: readonly (string | number)[];
  /** Offset of the second occurrence in the text. */
  readonly offset: number;
}

const structural = /[{}[\],"]/g;
const spaces = /[ \t\r\n]*/y;

/**
 * The first duplicate key in a JSON text that `JSON.parse` accepted (which silently keeps the last
 * value): YAML configs refuse duplicates, and JSON ones must too. Jumps from one structural
 * character to the next, so it costs little beside the parse itself.
 */
export function findDuplicateKey(text: string): DuplicateKey | undefined {
  const frames: { keys?: Set<string>; at: string | number }[] = [];
  structural.lastIndex = 0;
  for (let match = structural.exec(text); match !== null; match = structural.exec(text)) {
    const start = match.index;
    const top = frames.at(-1);
    switch (match[0]) {
      case '{':
        frames.push({ keys: new Set(), at: '' });
        break;
      case '[':
        frames.push({ at: 0 });
        break;
      case '}':
      case ']':
        frames.pop();
        break;
      case ',':
        if (top && !top.keys) top.at = (top.at as number) + 1;
        break;
      case '"': {
        const end = closingQuote(text, start + 1);
        structural.lastIndex = end + 1;
        // A string followed by a colon is a key of the object it is in.
        spaces.lastIndex = end + 1;
        spaces.exec(text);
        if (top?.keys && text[spaces.lastIndex] === ':') {
          const key = JSON.parse(text.slice(start, end + 1)) as string;
          if (top.keys.has(key)) return { key, path: frames.slice(0, -1).map((f) => f.at), offset: start };
          top.keys.add(key);
          top.at = key;
        }
        break;
      }
    }
  }
  return undefined;
}

/** The index of the quote that ends the string whose contents start at `from`. */
function closingQuote(text: string, from: number): number {
  for (let i = text.indexOf('"', from); i >= 0; i = text.indexOf('"', i + 1)) {
    let slashes = 0;
    while (text.charCodeAt(i - 1 - slashes) === 92) slashes++;
    if (slashes % 2 === 0) return i;
  }
  return text.length;
}
