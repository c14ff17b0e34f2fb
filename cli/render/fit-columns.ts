import cliTruncate from 'cli-truncate';

/** A column of a table to fit: its header, its cells, and whether it may be shortened or left out. */
export interface FitColumn {
  readonly header: string;
  readonly cells: readonly string[];
  /** `first` (params) is shortened, then left out; `later` (status, duration) left out after those; `never` stays whole. */
  readonly yields: 'first' | 'later' | 'never';
}

/** The columns that fit, as they are shown, and which of those that give way were shortened or left out. */
export interface Fitted {
  readonly columns: readonly FitColumn[];
  readonly shortened: readonly string[];
  readonly left: readonly string[];
}

/** Cells of a column that gives way are cut to this many characters before any is left out. */
const shortCell = 12;

const gap = 2;

function widthOf(column: FitColumn): number {
  return Math.max(column.header.length, ...column.cells.map((cell) => cell.length));
}

function tableWidth(columns: readonly FitColumn[]): number {
  return columns.reduce((sum, column) => sum + widthOf(column), 0) + gap * Math.max(0, columns.length - 1);
}

/**
 * Fits a table into `width` characters: the columns that give way first (params) are shortened,
 * then left out, the widest first, then those that give way later, until it fits; the others
 * (name, metrics) always stay whole, even where the table is then wider than the terminal.
 */
export function fitColumns(columns: readonly FitColumn[], width: number | undefined): Fitted {
  if (width === undefined || tableWidth(columns) <= width) return { columns, shortened: [], left: [] };
  const shortened: string[] = [];
  let fitted = columns.map((column) => {
    if (column.yields !== 'first' || widthOf(column) <= shortCell) return column;
    shortened.push(column.header);
    return { ...column, cells: column.cells.map((cell) => cliTruncate(cell, shortCell)) };
  });
  const left: string[] = [];
  while (tableWidth(fitted) > width) {
    const yielding = fitted.filter((column) => column.yields === 'first');
    const widest = (yielding.length > 0 ? yielding : fitted.filter((column) => column.yields === 'later')).sort((a, b) => widthOf(b) - widthOf(a))[0];
    if (!widest) break;
    left.push(widest.header);
    fitted = fitted.filter((column) => column !== widest);
  }
  return { columns: fitted, shortened: shortened.filter((header) => !left.includes(header)), left };
}
