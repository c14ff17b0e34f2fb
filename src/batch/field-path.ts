/** `jobs[2].execution.command` from valibot's path items. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) {
    out += typeof key === 'number' ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? (out ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
  }
  return out || '(root)';
}
