import { describe, expect, it } from 'vitest';
import { MarkerLineScanner, maxMetricsLineBytes } from '../../src/metrics/marker-lines.js';

function scan(chunks: readonly (string | Buffer)[]): string[] {
  const found: string[] = [];
  const scanner = new MarkerLineScanner((json) => found.push(json));
  for (const chunk of chunks) scanner.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return found;
}

describe('metrics lines in output', () => {
  it('finds whole marker lines, also when a chunk splits the marker, the line or a character', () => {
    const text = 'noise\nhyperctl:metrics {"loss": 0.5}\nmore hyperctl:metrics {"x": 1}\nhyperctl:metrics {"näme": 2}\n';
    const bytes = Buffer.from(text);
    expect(scan([text])).toEqual(['{"loss": 0.5}', '{"näme": 2}']);
    for (let cut = 1; cut < bytes.length; cut++) expect(scan([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['{"loss": 0.5}', '{"näme": 2}']);
    expect(scan([...bytes].map((b) => Buffer.from([b])))).toEqual(['{"loss": 0.5}', '{"näme": 2}']);
  });

  it('waits for the end of the last line', () => {
    expect(scan(['hyperctl:metrics {"a": 1}'])).toEqual([]);
  });

  it('ignores a metrics line longer than the cap, and finds the next one', () => {
    const long = `hyperctl:metrics {"a": "${'x'.repeat(maxMetricsLineBytes)}"}\n`;
    expect(scan([long, 'hyperctl:metrics {"b": 2}\n'])).toEqual(['{"b": 2}']);
    expect(scan([long.slice(0, 100), long.slice(100), 'hyperctl:metrics {"b": 2}\n'])).toEqual(['{"b": 2}']);
  });

  it('skips a huge line without a newline and finds the metrics after it', () => {
    const chunk = Buffer.alloc(1 << 20, 0x61);
    expect(scan([...Array.from({ length: 64 }, () => chunk), '\nhyperctl:metrics {"c": 3}\n'])).toEqual(['{"c": 3}']);
  });
});
