/**
 * `text` with every control character (C0, DEL, C1) as `?`: text another process or user wrote,
 * made harmless for a terminal, a log line or a one-line field.
 */
export function withoutControlCharacters(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this hides
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
