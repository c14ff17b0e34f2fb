/** True when an OpenSSH host pattern (`*` and `?` wildcards, no case) matches `name`. */
export function globMatches(pattern: string, name: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return regex.test(name);
}

/** True when a list of patterns selects a name: one pattern matches and no `!pattern` does. */
export function patternListMatches(patterns: readonly string[], matches: (pattern: string) => boolean): boolean {
  let selected = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (matches(pattern.slice(1))) return false;
    } else if (matches(pattern)) selected = true;
  }
  return selected;
}
