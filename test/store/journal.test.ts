import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/state/records.js';
import { compactJournal, JournalWriter, latestByJob, readJournal } from '../../src/store/journal.js';
import { tempDir } from '../helpers/tmp.js';

const records: JournalRecord[] = [
  { e: 'run', at: 1 },
  { e: 'start', job: 'a', hash: 'h', at: 2, host: 'local' },
  { e: 'start', job: 'b', hash: 'h', at: 2, host: 'local' },
  { e: 'exit', job: 'a', hash: 'h', status: 'succeed', code: 0, signal: null, startedAt: 2, at: 3 },
];

describe('the journal', () => {
  it('reads back what was appended, skipping a torn last line', () => {
    const path = join(tempDir(), 'journal.jsonl');
    const writer = new JournalWriter(path);
    for (const record of records) writer.append(record);
    writer.close();
    appendFileSync(path, '{"e":"exit","job":"b","ha');
    expect(readJournal(path)).toEqual(records);
  });

  it('compacts to the last record of each job, in journal order', () => {
    const path = join(tempDir(), 'journal.jsonl');
    const latest = latestByJob(records);
    expect([...latest.values()]).toEqual([records[3], records[2]]);
    compactJournal(path, latest);
    expect(
      readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([records[3], records[2]]);
  });
});
