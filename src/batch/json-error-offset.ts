// A JSON string may not hold control characters: these refuse them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: what is refused
const scalar = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: what is refused
const key = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const spaces = /[ \t\r\n]*/y;

/**
 * Where a JSON text that `JSON.parse` refused goes wrong: the offset of the first character no
 * JSON may have there (the `]` after a trailing comma, the end of a cut-off file), for a message
 * with line and column where the parser's own names no position. Walks with a stack of its own, so
 * a hostile nesting cannot overflow the call stack; only called on a refused text.
 */
export function jsonErrorOffset(text: string): number | undefined {
  const open: string[] = [];
  let at = 0;
  let expect: 'value' | 'valueOrEnd' | 'key' | 'keyOrEnd' | 'colon' | 'after' = 'value';
  const take = (pattern: RegExp): boolean => {
    pattern.lastIndex = at;
    if (!pattern.test(text)) return false;
    at = pattern.lastIndex;
    return true;
  };
  for (;;) {
    take(spaces);
    const c = text[at];
    if (expect === 'value' || expect === 'valueOrEnd') {
      if (expect === 'valueOrEnd' && c === ']') {
        open.pop();
        at++;
        expect = 'after';
      } else if (c === '{' || c === '[') {
        open.push(c);
        at++;
        expect = c === '{' ? 'keyOrEnd' : 'valueOrEnd';
      } else if (take(scalar)) expect = 'after';
      else return at;
    } else if (expect === 'key' || expect === 'keyOrEnd') {
      if (expect === 'keyOrEnd' && c === '}') {
        open.pop();
        at++;
        expect = 'after';
      } else if (take(key)) expect = 'colon';
      else return at;
    } else if (expect === 'colon') {
      if (c !== ':') return at;
      at++;
      expect = 'value';
    } else {
      const top = open.at(-1);
      if (top === undefined) return at < text.length ? at : undefined;
      if (c === ',') {
        at++;
        expect = top === '{' ? 'key' : 'value';
      } else if (c === (top === '{' ? '}' : ']')) {
        open.pop();
        at++;
      } else return at;
    }
  }
}
