import type { Comparison, JsonValue } from '../../src/index.js';
import { fitColumns } from './fit-columns.js';
import { objectivesText } from './front.js';
import { goalSource } from './goal-source.js';
import { formatDuration, formatNumber } from '../style.js';
import { renderTable } from './table.js';

/** A value exactly, for machines (CSV). */
function cell(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '-';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A value for people: numbers without floating-point noise, the duration (seconds) with units as `job list` shows it. */
function readableCell(value: JsonValue | undefined, column: string): string {
  if (typeof value !== 'number') return cell(value);
  return column === 'duration' ? formatDuration(value * 1000) : formatNumber(value);
}

/** What all jobs share, and what ranks the rows when the batch's objective does. */
function constantsLine(comparison: Comparison): string {
  const entries = Object.entries(comparison.constants);
  const { ranking, rankedBy } = comparison;
  return [
    ...(entries.length ? [`same for every job: ${entries.map(([k, v]) => `${k}=${readableCell(v, k)}`).join(', ')}\n`] : []),
    ...(ranking ? [`ranked by ${ranking.metric}, best first (${goalSource(ranking)})\n`] : []),
    ...(rankedBy ? [`rank: a trial's Pareto rank over ${objectivesText(rankedBy)}, as its search says (1: on the front)\n`] : []),
  ].join('');
}

/** A row's cells for people. */
function readableRow(comparison: Comparison, row: readonly (JsonValue | undefined)[]): string[] {
  return row.map((value, i) => readableCell(value, comparison.columns[i]!));
}

/**
 * A table that fits `width` (the terminal's): the name and the metrics always whole, params
 * shortened or left out first (then status and duration), with a line saying which and how to see
 * them; the params all jobs share above it.
 */
export function renderComparisonTable(comparison: Comparison, width: number | undefined): string {
  const rows = comparison.rows.map((row) => readableRow(comparison, row));
  const fitted = fitColumns(
    comparison.columns.map((column, i) => ({
      header: column.toUpperCase(),
      cells: rows.map((row) => row[i]!),
      yields: comparison.kinds[i] === 'param' ? 'first' : comparison.kinds[i] === 'metric' || column === 'name' ? 'never' : 'later',
    })),
    width,
  );
  const lower = (headers: readonly string[]) => headers.map((h) => h.toLowerCase()).join(', ');
  const note = [
    ...(fitted.shortened.length > 0 ? [`shortened: ${lower(fitted.shortened)}`] : []),
    ...(fitted.left.length > 0 ? [`left out: ${lower(fitted.left)}`] : []),
  ];
  const table = renderTable(
    fitted.columns.map((column) => column.header),
    rows.map((_, r) => fitted.columns.map((column) => column.cells[r]!)),
    null,
  );
  return `${constantsLine(comparison)}${table}${
    note.length > 0 ? `(${note.join('; ')} to fit ${width} columns: --columns name,… picks them, --csv or --json shows every value whole)\n` : ''
  }`;
}

/** RFC 4180 CSV: a header line, then a line per job; empty cells for missing values. */
export function renderComparisonCsv(comparison: Comparison): string {
  const quote = (text: string) => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const line = (cells: readonly string[]) => cells.map(quote).join(',');
  return `${[line(comparison.columns), ...comparison.rows.map((row) => line(row.map((v) => (v === undefined || v === null ? '' : cell(v)))))].join('\r\n')}\r\n`;
}

/** A Markdown table, for pasting into notes and pull requests. */
export function renderComparisonMarkdown(comparison: Comparison): string {
  const escapePipes = (text: string) => text.replace(/\|/g, '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map(escapePipes).join(' | ')} |`;
  return `${constantsLine(comparison)}${[line(comparison.columns), line(comparison.columns.map(() => '---')), ...comparison.rows.map((row) => line(readableRow(comparison, row)))].join('\n')}\n`;
}

/** One object per job, keyed by column, missing values left out. */
export function comparisonJson(comparison: Comparison): Record<string, JsonValue>[] {
  return comparison.rows.map((row) => Object.fromEntries(comparison.columns.flatMap((key, i) => (row[i] === undefined ? [] : [[key, row[i]!]]))));
}
