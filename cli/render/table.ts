/**
 * A plain-text table. On a terminal, the last column is cut to fit its width; otherwise rows are
 * left whole for scripts.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  /** null: never cut (the caller fitted the columns). */
  widthOrNull: number | null | undefined = process.stdout.isTTY ? process.stdout.columns : undefined,
): string {
  const width = widthOrNull ?? undefined;
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => {
    const text = cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
    return width !== undefined && text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
  };
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}
