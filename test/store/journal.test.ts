import { appendFileSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalRecord } from '../../src/state/records.js';
import type { JobLaunch } from '../../src/executors/executor.js';
import { runBatch } from '../../src/index.js';
import { BatchState } from '../../src/state/batch-state.js';
import { foldBatch } from '../../src/store/read-batch.js';
import { compactedRecords, compactJournal, JournalTail, JournalWriter, latestByJob, readJournal } from '../../src/store/journal.js';
import { waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

const records: JournalRecord[] = [
  { e: 'run', at: 1 },
  { e: 'start', job: 'a', hash: 'h', at: 2, host: 'local' },
  { e: 'start', job: 'b', hash: 'h', at: 2, host: 'local' },
  { e: 'exit', job: 'a', hash: 'h', status: 'succeed', code: 0, signal: null, startedAt: 2, at: 3 },
];

describe('the journal', () => {
  it('reads records whose lines, and characters, cross the chunks it is read in', () => {
    const path = join(tempDir(), 'journal.jsonl');
    const writer = new JournalWriter(path);
    const many: JournalRecord[] = Array.from({ length: 50 }, (_, i) => ({ e: 'start', job: `é${'ü'.repeat(i)}€${i}`, hash: 'h', at: i, host: 'local' }));
    for (const record of many) writer.append(record);
    writer.close();
    // Chunks of every small size split lines and two- and three-byte characters everywhere.
    for (const chunk of [1, 2, 3, 5, 7, 64]) expect(readJournal(path, chunk)).toEqual(many);
    expect(readJournal(path)).toEqual(many);
  });

  it('reads back what was appended, skipping a torn last line', () => {
    const path = join(tempDir(), 'journal.jsonl');
    const writer = new JournalWriter(path);
    for (const record of records) writer.append(record);
    writer.close();
    appendFileSync(path, '{"e":"exit","job":"b","ha');
    expect(readJournal(path)).toEqual(records);
  });

  it('starts the next record on a line of its own after a torn tail, and leaves a compact journal unwritten', () => {
    const path = join(tempDir(), 'journal.jsonl');
    compactJournal(path, records);
    const compacted = statSync(path);
    compactJournal(path);
    expect(statSync(path).ino).toBe(compacted.ino);
    appendFileSync(path, '{"e":"exit","job":"b","ha');
    const writer = new JournalWriter(path);
    writer.append(records[2]!);
    writer.close();
    expect(readJournal(path)).toEqual([records[0], records[2], records[3], records[2]]);
  });

  it('compacts to the last record of each job, keeping the last run record where it was', () => {
    const path = join(tempDir(), 'journal.jsonl');
    const latest = latestByJob(records);
    expect([...latest.values()]).toEqual([records[3], records[2]]);
    compactJournal(path, records);
    expect(
      readFileSync(path, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).toEqual([records[0], records[2], records[3]]);
  });

  it('compacts any journal to records that fold into the same state, at random: retries, steering and added jobs too', () => {
    const jobs = ['a', 'b', 'c', 'd'].map((name) => ({
      name,
      params: {},
      command: 'true',
      workingDir: '/w',
      dataDir: `/d/${name}`,
      hash: 'h',
      retries: 0,
    }));
    const statuses = ['succeed', 'failed', 'killed', 'pruned'] as const;
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      // The high bits: an LCG's low bits repeat in short cycles, which would leave whole sequences untried.
      return Math.floor(seed / 65536) % n;
    };
    const fold = (list: readonly JournalRecord[]) => {
      const state = new BatchState({ name: 'b', dataDir: '/d', jobs }).applyAll(list);
      const { hostSlots, priorities, ...steering } = state.steering;
      return { jobs: state.all(), counts: state.counts(), runStartedAt: state.runStartedAt, steering, hostSlots: [...hostSlots], priorities: [...priorities] };
    };
    for (let round = 0; round < 2000; round++) {
      const list: JournalRecord[] = [];
      for (let at = 0, length = random(30); at < length; at++) {
        const job = [...jobs.map((j) => j.name), 'added'][random(jobs.length + 1)]!;
        const kind = random(14);
        if (kind === 0) list.push({ e: 'run', at, ...(random(3) === 0 ? { force: true } : {}) });
        else if (kind === 10) list.push({ e: 'retry', job, hash: 'h', at });
        else if (kind === 11) list.push({ e: 'add', at, jobs: [{ name: 'added', params: {}, command: 'true', hash: 'h', retries: 0 }] });
        else if (kind === 12) list.push({ e: 'steer', at, ...(random(2) === 0 ? { paused: random(2) === 0 } : { priority: { job, value: random(3) } }) });
        else if (kind === 13) list.push({ e: 'steer', at, parallelism: 1 + random(4), ...(random(2) === 0 ? { host: 'm' } : {}) });
        else if (kind < 5)
          list.push({ e: 'start', job, hash: random(8) === 0 ? 'old' : 'h', at, host: 'local', ...(random(6) === 0 ? { queued: true, handle: `${at}` } : {}) });
        else list.push({ e: 'exit', job, hash: 'h', status: statuses[random(4)]!, code: 0, signal: null, startedAt: at, at, host: 'local' });
      }
      expect(fold(compactedRecords(list)), JSON.stringify(list)).toEqual(fold(list));
    }
  });

  it('compacts a journal file read a part at a time as it compacts its records: torn and blank lines are left out, the order kept', () => {
    const path = join(tempDir(), 'journal.jsonl');
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor(seed / 65536) % n;
    };
    for (let round = 0; round < 300; round++) {
      const list: JournalRecord[] = [];
      const lines: string[] = [];
      for (let at = 0, length = random(40); at < length; at++) {
        const job = ['a', 'b', 'c', 'added'][random(4)]!;
        const kind = random(10);
        const record: JournalRecord =
          kind === 0
            ? { e: 'run', at, ...(random(3) === 0 ? { force: true } : {}) }
            : kind === 1
              ? { e: 'add', at, jobs: [{ name: 'added', params: {}, command: 'true', hash: 'h', retries: 0 }] }
              : kind === 2
                ? { e: 'trial', at, n: at, point: {}, params: {}, jobs: [{ name: job, params: {} }], seen: 0, running: [] }
                : kind === 3
                  ? { e: 'report', job, step: at, value: at }
                  : kind < 6
                    ? { e: 'start', job, hash: random(4) === 0 ? 'old' : 'h', at, host: 'local' }
                    : { e: 'exit', job, hash: 'h', status: 'succeed', code: 0, signal: null, startedAt: at, at, host: 'local' };
        list.push(record);
        lines.push(JSON.stringify(record));
        // What a killed writer or a hand edit leaves: never a record, wherever it is.
        if (random(8) === 0) lines.push(['', '{"e":"exit","job":"a","ha', 'not json', '{"e":"exit"}'][random(4)]!);
      }
      writeFileSync(path, lines.length ? `${lines.join('\n')}\n` : '');
      compactJournal(path);
      const compacted = compactedRecords(list);
      // A journal with nothing to leave out is not written again: then only its records are read.
      expect(readJournal(path), lines.join('\n')).toEqual(compacted.length < list.length ? compacted : list);
    }
  });

  it('is left compact by a run that ends: its run record and one exit per job, folding as before', async () => {
    const root = tempDir();
    const instant = {
      host: 'instant',
      slots: 2,
      run: async (job: JobLaunch) => {
        job.onSpawn?.({});
        return { exitCode: 0, signal: null, killed: false };
      },
    };
    const jobs = ['a', 'b', 'c'].map((name) => ({ name, params: {}, execution: { command: 'true' } }));
    const result = await runBatch({ name: 'b', jobs }, { batchesDataDir: root, executors: [instant] });
    const journal = readJournal(join(root, 'b', 'journal.jsonl'));
    expect(journal.map((r) => r.e)).toEqual(['run', 'exit', 'exit', 'exit']);
    expect(foldBatch(root, 'b').jobs).toEqual(result.jobs);
  });
});

describe('following a journal as it grows', () => {
  it('reads only what was appended since, holds a line until it ends, and reads a replaced or shortened journal again', () => {
    const file = join(tempDir(), 'journal.jsonl');
    const tail = new JournalTail(file, 16);
    expect(tail.read()).toEqual({ records: [], restarted: false });
    const lines = records.map((r) => `${JSON.stringify(r)}\n`);
    appendFileSync(file, lines[0]! + lines[1]!);
    expect(tail.read().records).toEqual(records.slice(0, 2));
    // A record being appended: read once its line ends, once.
    appendFileSync(file, lines[2]!.slice(0, 10));
    expect(tail.read().records).toEqual([]);
    appendFileSync(file, lines[2]!.slice(10) + lines[3]!);
    expect(tail.read().records).toEqual(records.slice(2));
    expect(tail.read()).toEqual({ records: [], restarted: false });
    // Compacted: a new file in its place.
    writeFileSync(`${file}.new`, lines[0]! + lines[3]!);
    renameSync(`${file}.new`, file);
    expect(tail.read()).toEqual({ records: [records[0], records[3]], restarted: true });
    truncateSync(file, lines[0]!.length);
    expect(tail.read()).toEqual({ records: [records[0]], restarted: true });
  });
});

describe('closing a journal', () => {
  /** Whether this process holds `path` open. */
  const holds = (path: string) =>
    readdirSync('/proc/self/fd').some((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });

  it('while its background sync runs keeps the file open until the sync is done, then closes it', async () => {
    const path = join(tempDir(), 'journal.jsonl');
    const journal = new JournalWriter(path);
    journal.append({ e: 'run', at: 1 } as JournalRecord);
    // Made in the same turn as the journal's own sync timer, with its delay: both fire in one pass of
    // the timers, and its fdatasync, then under way in the thread pool, can finish only after this.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    journal.close();
    expect(holds(path)).toBe(true);
    await waitFor(() => !holds(path), 'the journal to be closed once its sync is done');
    expect(readFileSync(path, 'utf8')).toBe('{"e":"run","at":1}\n');
  });
});
