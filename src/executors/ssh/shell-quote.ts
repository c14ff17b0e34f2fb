/** Quotes `value` as one word for POSIX `sh`: nothing inside single quotes is interpreted. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
