import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defineBatch, isHyperctlError, runBatch, type BatchEvent, type JobConfig } from '../../src/index.js';
import { readBatch } from '../../src/store/read-batch.js';
import { fixturesDir } from '../helpers/cli.js';
import { isRunning, readPids, waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

const job = (name: string, command: string, params: Record<string, number | string> = {}): JobConfig => ({ name, params, execution: { command } });

describe('runBatch', () => {
  it('hands each job its params, names and folders through the environment and params.json', async () => {
    const root = tempDir();
    const result = await runBatch(
      { name: 'env', jobs: [job('a', 'env | grep ^HYPERCTL_ | sort; cat "$HYPERCTL_JOB_PARAMS_FILE"; pwd', { lr: 0.1, text: "it's $HOME `x`" })] },
      { batchesDataDir: root },
    );
    expect(result.status).toBe('succeed');
    const dataDir = join(root, 'env', 'a');
    const out = readFileSync(join(dataDir, 'stdout'), 'utf8');
    expect(out).toContain('HYPERCTL_BATCH_NAME=env\n');
    expect(out).toContain('HYPERCTL_JOB_NAME=a\n');
    expect(out).toContain(`HYPERCTL_JOB_DATA_DIR=${dataDir}\n`);
    expect(out).toContain(`HYPERCTL_JOB_WORKING_DIR=${dataDir}\n`);
    expect(out).toContain(`HYPERCTL_JOB_PARAMS_FILE=${join(dataDir, 'params.json')}\n`);
    // Params reach the job verbatim and are never interpolated by a shell.
    expect(out).toContain(`HYPERCTL_JOB_PARAMS={"lr":0.1,"text":"it's $HOME \`x\`"}\n`);
    expect(out).toContain(`{"lr":0.1,"text":"it's $HOME \`x\`"}${dataDir}\n`);
  });

  it("captures a compound command's whole stdout and stderr in the job's files", async () => {
    const root = tempDir();
    await runBatch({ name: 'io', jobs: [job('a', 'echo first; echo second && echo third; echo oops >&2; (echo sub)')] }, { batchesDataDir: root });
    expect(readFileSync(join(root, 'io', 'a', 'stdout'), 'utf8')).toBe('first\nsecond\nthird\nsub\n');
    expect(readFileSync(join(root, 'io', 'a', 'stderr'), 'utf8')).toBe('oops\n');
  });

  it('runs in the given working_dir and resolves relative paths against baseDir', async () => {
    const root = tempDir();
    const work = tempDir();
    await runBatch(
      { name: 'wd', jobs: [{ name: 'a', params: {}, execution: { command: 'pwd', working_dir: '.', data_dir: 'out/a' } }] },
      { batchesDataDir: root, baseDir: work },
    );
    expect(readFileSync(join(work, 'out', 'a', 'stdout'), 'utf8')).toBe(`${work}\n`);
  });

  it('resolves with failures as results: exit codes, statuses and counts', async () => {
    const root = tempDir();
    const result = await runBatch(
      { name: 'mixed', jobs: [job('ok', 'true'), job('three', 'exit 3'), job('missing', 'no-such-command-xyz')] },
      { batchesDataDir: root, parallelism: 3 },
    );
    expect(result.status).toBe('failed');
    expect(result.jobs.map((j) => [j.name, j.status, j.exitCode])).toEqual([
      ['ok', 'succeed', 0],
      ['three', 'failed', 3],
      ['missing', 'failed', 127],
    ]);
    expect(result.counts).toMatchObject({ total: 3, succeed: 1, failed: 2, killed: 0, skipped: 0 });
  });

  it('reports typed events in order', async () => {
    const root = tempDir();
    const events: BatchEvent[] = [];
    await runBatch({ name: 'ev', jobs: [job('a', 'true'), job('b', 'exit 1')] }, { batchesDataDir: root, onEvent: (e) => events.push(e) });
    expect(events.map((e) => (e.type === 'job:exit' ? `${e.type}:${e.job.name}:${e.job.status}` : 'job' in e ? `${e.type}:${String(e.job)}` : e.type))).toEqual(
      ['batch:start', 'job:start:a', 'job:exit:a:succeed', 'job:start:b', 'job:exit:b:failed', 'batch:end'],
    );
  });

  it('streams output as job:output events when asked', async () => {
    const root = tempDir();
    const chunks: string[] = [];
    await runBatch(
      { name: 'tail', jobs: [job('a', 'echo hello; echo world >&2')] },
      { batchesDataDir: root, captureOutput: true, onEvent: (e) => e.type === 'job:output' && chunks.push(`${e.stream}:${e.chunk.toString()}`) },
    );
    expect(chunks.sort()).toEqual(['stderr:world\n', 'stdout:hello\n']);
    expect(readFileSync(join(root, 'tail', 'a', 'stdout'), 'utf8')).toBe('hello\n');
  });

  it('never runs more jobs at once than the parallelism', async () => {
    const root = tempDir();
    const log = join(tempDir(), 'log');
    const jobs = Array.from({ length: 8 }, (_, i) => job(`j${i}`, `echo "start $(date +%s%N)" >> ${log}; sleep 0.1; echo "end $(date +%s%N)" >> ${log}`));
    await runBatch({ name: 'par', jobs }, { batchesDataDir: root, parallelism: 3 });
    const events = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ') as [string, string]);
    events.sort((a, b) => (BigInt(a[1]) < BigInt(b[1]) ? -1 : 1));
    let running = 0;
    let peak = 0;
    for (const [kind] of events) {
      running += kind === 'start' ? 1 : -1;
      peak = Math.max(peak, running);
    }
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThan(1);
  });

  it('runs two batches at once in one process, independently', async () => {
    const root = tempDir();
    const [a, b] = await Promise.all([
      runBatch({ name: 'one', jobs: [job('x', 'sleep 0.2; echo one')] }, { batchesDataDir: root }),
      runBatch({ name: 'two', jobs: [job('x', 'sleep 0.2; exit 4')] }, { batchesDataDir: root }),
    ]);
    expect([a.name, a.status, b.name, b.status]).toEqual(['one', 'succeed', 'two', 'failed']);
    expect(readFileSync(join(root, 'one', 'x', 'stdout'), 'utf8')).toBe('one\n');
  });

  it('is not fooled by a lock whose pid now belongs to another process', async () => {
    const root = tempDir();
    await runBatch({ name: 'reused', jobs: [job('x', 'true')] }, { batchesDataDir: root });
    // The pid is alive (it is this process), but it started at another time than the recorded runner.
    writeFileSync(join(root, 'reused', 'runner.json'), JSON.stringify({ pid: process.pid, startTicks: 1, host: hostname(), startedAt: Date.now() }));
    expect(readBatch(root, 'reused').status).toBe('finished');
    expect((await runBatch({ name: 'reused', jobs: [job('x', 'true')] }, { batchesDataDir: root, force: true })).status).toBe('succeed');
  });

  it('refuses a second run of a batch that is running', async () => {
    const root = tempDir();
    const first = runBatch({ name: 'busy', jobs: [job('x', 'sleep 0.5')] }, { batchesDataDir: root });
    await waitFor(() => existsSync(join(root, 'busy', 'runner.json')), 'the first run');
    const error = await runBatch({ name: 'busy', jobs: [job('x', 'true')] }, { batchesDataDir: root }).catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_BATCH_LOCKED');
    expect((await first).status).toBe('succeed');
  });

  it('on abort kills every process of running jobs, records them and rejects with E_ABORTED', async () => {
    const root = tempDir();
    const pids = join(tempDir(), 'pids');
    const controller = new AbortController();
    const events: BatchEvent[] = [];
    const run = runBatch(
      { name: 'abort', jobs: [job('tree', `${join(fixturesDir, 'spawn-tree.sh')} ${pids}`), job('later', 'true')] },
      { batchesDataDir: root, signal: controller.signal, killGraceMs: 2000, onEvent: (e) => events.push(e) },
    );
    await waitFor(() => readPids(pids).length === 3, 'the job tree');
    controller.abort();
    const error = await run.catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_ABORTED');
    for (const pid of readPids(pids)) expect(isRunning(pid), `pid ${pid}`).toBe(false);
    const end = events.at(-1);
    expect(end?.type === 'batch:end' && end.result.jobs.map((j) => [j.name, j.status])).toEqual([
      ['tree', 'killed'],
      ['later', 'init'],
    ]);
    const journal = readFileSync(join(root, 'abort', 'journal.jsonl'), 'utf8');
    expect(journal).toContain('"status":"killed"');
    expect(existsSync(join(root, 'abort', 'runner.json'))).toBe(false);
  });

  it('rejects at once when the signal is already aborted, writing nothing', async () => {
    const root = tempDir();
    const error = await runBatch({ name: 'pre', jobs: [job('x', 'true')] }, { batchesDataDir: root, signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_ABORTED');
    expect(existsSync(join(root, 'pre'))).toBe(false);
  });

  it('rethrows an exception from onEvent after stopping the batch', async () => {
    const root = tempDir();
    const boom = new Error('listener broke');
    const error = await runBatch(
      { name: 'listener', jobs: [job('x', 'true'), job('y', 'true')] },
      {
        batchesDataDir: root,
        onEvent: (e) => {
          if (e.type === 'job:exit') throw boom;
        },
      },
    ).catch((e: unknown) => e);
    expect(error).toBe(boom);
  });
});

describe('resuming a batch', () => {
  it('skips jobs that succeeded with the same spec and re-runs failed ones', async () => {
    const root = tempDir();
    const marks = tempDir();
    const flag = join(marks, 'fixed');
    const batch = defineBatch({
      name: 'resume',
      jobs: [job('good', `echo run >> ${marks}/good`), job('flaky', `echo run >> ${marks}/flaky; test -e ${flag}`)],
    });
    expect((await runBatch(batch, { batchesDataDir: root })).counts).toMatchObject({ succeed: 1, failed: 1 });
    writeFileSync(flag, '');
    const second = await runBatch(batch, { batchesDataDir: root });
    expect(second.status).toBe('succeed');
    expect(second.counts).toMatchObject({ succeed: 2, skipped: 1 });
    expect(second.jobs[0]).toMatchObject({ name: 'good', skipped: true, status: 'succeed' });
    expect(readFileSync(join(marks, 'good'), 'utf8')).toBe('run\n');
    expect(readFileSync(join(marks, 'flaky'), 'utf8')).toBe('run\nrun\n');
  });

  it('runs a job again when its params or command changed since its success', async () => {
    const root = tempDir();
    const marks = tempDir();
    const make = (lr: number, suffix: string) => ({
      name: 'changes',
      jobs: [{ name: 'a', params: { lr }, execution: { command: `echo $HYPERCTL_JOB_PARAMS${suffix} >> ${marks}/a` } }],
    });
    await runBatch(make(0.1, ''), { batchesDataDir: root });
    await runBatch(make(0.1, ''), { batchesDataDir: root });
    await runBatch(make(0.2, ''), { batchesDataDir: root });
    await runBatch(make(0.2, ' x'), { batchesDataDir: root });
    expect(readFileSync(join(marks, 'a'), 'utf8')).toBe('{"lr":0.1}\n{"lr":0.2}\n{"lr":0.2} x\n');
  });

  it('re-runs everything with force', async () => {
    const root = tempDir();
    const marks = tempDir();
    const batch = { name: 'force', jobs: [job('a', `echo run >> ${marks}/a`)] };
    await runBatch(batch, { batchesDataDir: root });
    const again = await runBatch(batch, { batchesDataDir: root, force: true });
    expect(again.counts.skipped).toBe(0);
    expect(readFileSync(join(marks, 'a'), 'utf8')).toBe('run\nrun\n');
  });

  it('reads a journal whose last line was torn by a crash, and keeps it compact', async () => {
    const root = tempDir();
    const batch = { name: 'torn', jobs: [job('a', 'true'), job('b', 'true')] };
    await runBatch(batch, { batchesDataDir: root });
    const journal = join(root, 'torn', 'journal.jsonl');
    writeFileSync(journal, `${readFileSync(journal, 'utf8')}{"e":"exit","job":"b","ha`);
    const again = await runBatch(batch, { batchesDataDir: root });
    expect(again.counts).toMatchObject({ succeed: 2, skipped: 2 });
    // One record per job, and the record of the run that compacted it.
    expect(
      readFileSync(journal, 'utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { e: string }).e),
    ).toEqual(['exit', 'exit', 'run']);
  });
});
