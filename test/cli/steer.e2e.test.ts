import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal } from '../../src/store/journal.js';
import { runCli, startCli, type CliResult } from '../helpers/cli.js';
import { jobStatuses } from '../helpers/daemon-batch.js';
import { waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

/*
 * Steering a live batch through the built CLI. Every job waits for a gate file of its own and
 * writes its name to `order` as it starts, so each test opens gates and waits for states, never
 * for time.
 */

const runs: { child: { kill(signal?: NodeJS.Signals): boolean }; done: Promise<CliResult> }[] = [];
afterEach(async () => {
  // A run still going (a failed test) ends its jobs on SIGTERM: none is left waiting for its gate.
  for (const run of runs.splice(0)) {
    run.child.kill('SIGTERM');
    await run.done;
  }
});

interface Sweep {
  readonly dir: string;
  readonly config: string;
  open(...jobs: string[]): void;
  order(): string[];
  statuses(): Promise<Record<string, string>>;
  cli(...args: string[]): Promise<CliResult>;
  run(...args: string[]): ReturnType<typeof startCli>;
}

function sweep(name: string, jobs: readonly string[], commands: Record<string, string> = {}): Sweep {
  const dir = tempDir();
  mkdirSync(join(dir, 'gates'));
  // A job whose folder is gone (its test ended) stops waiting.
  const gated = (job: string) =>
    `echo ${job} >> ${join(dir, 'order')}; while [ ! -e ${join(dir, 'gates', job)} ]; do [ -d ${dir} ] || exit 9; sleep 0.02; done`;
  const config = join(dir, 'batch.json');
  writeFileSync(
    config,
    JSON.stringify({ name, jobs: jobs.map((job) => ({ name: job, params: {}, execution: { command: commands[job] ?? gated(job) } })), daemon: { port: 0 } }),
  );
  const data = ['--batches-data-dir', join(dir, 'data')];
  // Before a `--`: what follows it is the command.
  const cli = (...args: string[]) => {
    const dash = args.indexOf('--');
    return runCli(dash < 0 ? [...args, ...data] : [...args.slice(0, dash), ...data, ...args.slice(dash)]);
  };
  return {
    dir,
    config,
    open: (...names) => {
      for (const job of names) writeFileSync(join(dir, 'gates', job), '');
    },
    order: () => (existsSync(join(dir, 'order')) ? readFileSync(join(dir, 'order'), 'utf8').split('\n').filter(Boolean) : []),
    // Read in this process: a CLI for every look would make the tests as slow as a loaded machine starts Node.
    statuses: async () => jobStatuses(join(dir, 'data'), name),
    cli,
    run: (...args) => {
      const run = startCli(['run', '-c', config, '--exit-on-finish', ...data, ...args]);
      runs.push(run);
      return run;
    },
  };
}

async function until(s: Sweep, what: string, check: (statuses: Record<string, string>) => boolean): Promise<Record<string, string>> {
  let seen: Record<string, string> = {};
  try {
    await waitFor(
      async () => {
        seen = await s.statuses();
        return check(seen);
      },
      what,
      30_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify(seen)}`);
  }
  return seen;
}

/** `names` cut into groups of the sizes given, each sorted: the order between groups, not within one. */
const inGroups = (names: readonly string[], sizes: readonly number[]) =>
  sizes.map((size, i) => {
    const at = sizes.slice(0, i).reduce((sum, n) => sum + n, 0);
    return names.slice(at, at + size).sort();
  });

const running = (statuses: Record<string, string>) => Object.keys(statuses).filter((job) => statuses[job] === 'running');

// Each test is a scenario of a dozen CLI calls: on a loaded 2-core machine that is a minute, not 30 s.
describe('steering a running batch', { timeout: 90_000 }, () => {
  it('batch update --parallelism raises the jobs at once at once, and lowered kills no running job', async () => {
    const s = sweep('wide', ['a', 'b', 'c', 'd', 'e']);
    const run = s.run('-p', '1');
    await until(s, 'a running', (st) => st.a === 'running');
    expect(await s.cli('batch', 'update', 'wide', '--parallelism', '3')).toMatchObject({ code: 0, stdout: 'batch wide: parallelism 3 from now on\n' });
    await until(s, 'three running', (st) => running(st).length === 3);
    expect(await s.cli('batch', 'update', 'wide', '-p', '1')).toMatchObject({ code: 0 });
    expect(running(await s.statuses())).toEqual(['a', 'b', 'c']);
    s.open('a', 'b');
    // Two ended, one runs, and the limit is one: nothing starts.
    expect(await until(s, 'a and b ended', (st) => st.a === 'succeed' && st.b === 'succeed')).toMatchObject({ c: 'running', d: 'init', e: 'init' });
    s.open('c');
    await until(s, 'd running', (st) => st.d === 'running');
    expect(running(await s.statuses())).toEqual(['d']);
    s.open('d', 'e');
    const { code, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stderr).toContain('parallelism 3 from now on');
    // Jobs that start together write their names in either order.
    expect(inGroups(s.order(), [1, 2, 1, 1])).toEqual([['a'], ['b', 'c'], ['d'], ['e']]);
  });

  it('batch pause starts no job until batch resume; batch show says paused; --kill kills the running ones and runs them again on resume', async () => {
    const s = sweep('hold', ['a', 'b', 'c', 'd']);
    const run = s.run('-p', '2');
    await until(s, 'a and b running', (st) => st.a === 'running' && st.b === 'running');
    expect(await s.cli('batch', 'pause', 'hold')).toMatchObject({ code: 0, stdout: 'batch hold: paused; running jobs go on\n' });
    expect((await s.cli('batch', 'show', 'hold')).stdout).toMatch(/^status: {3}running, paused since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(live/m);
    expect(JSON.parse((await s.cli('batch', 'show', 'hold', '--json')).stdout).pausedAt).toMatch(/Z$/);
    s.open('a');
    expect(await until(s, 'a ended', (st) => st.a === 'succeed')).toMatchObject({ b: 'running', c: 'init', d: 'init' });
    expect(await s.cli('batch', 'pause', 'hold', '--kill')).toMatchObject({ code: 0 });
    expect(await until(s, 'b killed', (st) => st.b === 'killed')).toMatchObject({ c: 'init', d: 'init' });
    expect(await s.cli('batch', 'resume', 'hold')).toMatchObject({ code: 0, stdout: 'batch hold: resumed\n' });
    s.open('b', 'c', 'd');
    const { code, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stderr).toContain('paused; running jobs go on');
    expect(stderr).toContain('queued again: b');
    expect(await s.statuses()).toEqual({ a: 'succeed', b: 'succeed', c: 'succeed', d: 'succeed' });
    expect(inGroups(s.order(), [2, 2, 1])).toEqual([['a', 'b'], ['c', 'd'], ['b']]);
    expect(JSON.parse((await s.cli('batch', 'show', 'hold', '--json')).stdout).pausedAt).toBeUndefined();
  });

  it('job retry runs an ended job again after those waiting, --failed every failed one; job priority puts a waiting job ahead', async () => {
    const marker = (job: string) => `if [ -e ${job}.ran ]; then exit 0; fi; touch ${job}.ran; exit 3`;
    const s = sweep('again', ['x', 'y', 'a', 'b', 'c', 'd'], {});
    writeFileSync(
      s.config,
      JSON.stringify({
        name: 'again',
        jobs: [
          { name: 'x', params: {}, execution: { command: marker('x'), working_dir: s.dir } },
          { name: 'y', params: {}, execution: { command: marker('y'), working_dir: s.dir } },
          ...['a', 'b', 'c', 'd'].map((job) => ({
            name: job,
            params: {},
            execution: { command: `echo ${job} >> order; while [ ! -e gates/${job} ]; do [ -d gates ] || exit 9; sleep 0.02; done`, working_dir: s.dir },
          })),
        ],
        daemon: { port: 0 },
      }),
    );
    const run = s.run('-p', '1');
    await until(s, 'a running, x and y failed', (st) => st.a === 'running' && st.x === 'failed' && st.y === 'failed');
    expect(await s.cli('job', 'retry', '-b', 'again', '-j', 'x')).toMatchObject({ code: 0, stdout: 'queued again: x\n' });
    expect(await s.cli('job', 'priority', '-b', 'again', '-j', 'd', '--first')).toMatchObject({ code: 0, stdout: 'job d: priority 1\n' });
    expect(await s.cli('job', 'priority', '-b', 'again', '-j', 'c', '5')).toMatchObject({ code: 0, stdout: 'job c: priority 5\n' });
    // Refused, with the reason: a running job, a waiting one, an ended one's priority, a job that does not exist.
    const refused = [
      await s.cli('job', 'retry', '-b', 'again', '-j', 'a'),
      await s.cli('job', 'retry', '-b', 'again', '-j', 'b'),
      await s.cli('job', 'priority', '-b', 'again', '-j', 'y', '1'),
      await s.cli('job', 'retry', '-b', 'again', '-j', 'nope'),
    ];
    expect(refused.map((r) => [r.code, r.stderr.trim()])).toEqual([
      [1, 'hyperctl: job a is running; only an ended job can be retried'],
      [1, 'hyperctl: job b is waiting to run; only an ended job can be retried'],
      [1, 'hyperctl: job y is failed; only a waiting job has a priority'],
      [2, 'hyperctl: batch "again" has no job "nope"; the jobs are x, y, a, b, c, d'],
    ]);
    expect(await s.cli('job', 'retry', '-b', 'again', '--failed', '--json')).toMatchObject({ code: 0, stdout: '{\n  "retried": [\n    "y"\n  ]\n}\n' });
    s.open('a', 'b', 'c', 'd');
    const { code } = await run.done;
    expect(code).toBe(0);
    expect(await s.statuses()).toEqual({ x: 'succeed', y: 'succeed', a: 'succeed', b: 'succeed', c: 'succeed', d: 'succeed' });
    expect(s.order()).toEqual(['a', 'c', 'd', 'b']);
  });

  it('job retry runs failed jobs again while the run serves the batch after its end, in a round of their own', async () => {
    const s = sweep('served', []);
    // Fails until its gate is open.
    writeFileSync(
      s.config,
      JSON.stringify({
        name: 'served',
        jobs: [
          { name: 'ok', params: {}, execution: { command: 'true' } },
          { name: 'flaky', params: {}, execution: { command: `[ -e ${join(s.dir, 'gates', 'flaky')} ]` } },
        ],
        daemon: { port: 0 },
      }),
    );
    const run = startCli(['run', '-c', s.config, '--batches-data-dir', join(s.dir, 'data')]);
    runs.push(run);
    let said = '';
    run.child.stderr!.on('data', (chunk: Buffer) => (said += chunk));
    await until(s, 'flaky failed', (st) => st.flaky === 'failed');
    await waitFor(() => said.includes('its dashboard stays up'), 'the run to serve the ended batch', 30_000);
    s.open('flaky');
    expect(await s.cli('job', 'retry', '-b', 'served', '--failed')).toMatchObject({ code: 0, stdout: 'queued again: flaky\n' });
    await until(s, 'flaky succeeded', (st) => st.flaky === 'succeed');
    await waitFor(() => said.split('its dashboard stays up').length === 3, 'the run to serve the batch again', 30_000);
    const shown = JSON.parse((await s.cli('batch', 'show', 'served', '--json')).stdout);
    expect(shown).toMatchObject({ status: 'finished', counts: { total: 2, succeed: 2, failed: 0 } });
    expect((await s.cli('batch', 'stop', 'served')).code).toBe(0);
    const { code, stdout } = await run.done;
    // The exit code is the batch's as it ended last: every job succeeded.
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /batch served failed: 1 succeed .*\n[\s\S]*batch served: 2 jobs, 1 already succeeded, 1 to run[\s\S]*batch served succeeded: 2 succeed/,
    );
  });

  it("batch update --max-trials raises a search's budget while it runs, even once it was spent; batch add queues trials of given params, checked and counted in it; retry is refused", async () => {
    const s = sweep('hunt', []);
    writeFileSync(
      s.config,
      JSON.stringify({
        name: 'hunt',
        params: { x: { uniform: [0, 1] } },
        execution: { command: 'echo t >> order; while [ ! -e gates/go ]; do [ -d gates ] || exit 9; sleep 0.02; done', working_dir: s.dir },
        search: { algorithm: 'random', max_trials: 2, seed: 1 },
        daemon: { port: 0 },
      }),
    );
    const run = s.run('-p', '2');
    await until(s, 'both trials running', (st) => running(st).length === 2);
    expect(await s.cli('batch', 'update', 'hunt', '--max-trials', '4')).toMatchObject({ code: 0, stdout: 'batch hunt: max trials 4 from now on\n' });
    // Every view counts against the trials planned, as steered: the API's JSON, batch show, batch list.
    const shown = JSON.parse((await s.cli('batch', 'show', 'hunt', '--json')).stdout);
    expect(shown.search).toMatchObject({ algorithm: 'random', proposed: 2, planned: 4, plannedJobs: 4, best: null });
    expect((await s.cli('batch', 'show', 'hunt')).stdout).toContain('search:   random, 2/4 trials\n');
    expect((await s.cli('batch', 'list')).stdout).toMatch(
      /^NAME +STATUS +TOTAL +SUCCEED +FAILED +KILLED +PRUNED +RUNNING +INIT +TRIALS .*\nhunt +running +2 +0 +0 +0 +0 +2 +0 +2\/4 /m,
    );
    const refused = [await s.cli('job', 'retry', '-b', 'hunt', '--failed'), await s.cli('batch', 'add', 'hunt', '--param', 'x=1', '--', 'true')];
    expect(refused.map((r) => [r.code, r.stderr])).toEqual([
      [2, 'hyperctl: batch hunt is a search: its trials are proposed by the search, not retried one by one\n'],
      [
        2,
        'hyperctl: batch hunt is a search: its jobs are its trials; give the params of trials to queue (--param NAME=VALUE …, or -c FILE with a list of them)\n',
      ],
    ]);
    // Trials of the user's own: checked against the space, counted in the budget, proposed before any drawn one.
    const outside = await s.cli('batch', 'add', 'hunt', '--param', 'x=1.5');
    expect([outside.code, outside.stderr]).toEqual([2, 'hyperctl: batch hunt: trials[0].x: expected a number from 0 to 1, got 1.5\n']);
    const tooMany = await s.cli('batch', 'add', 'hunt', '--param', 'x=0.1,0.2,0.3');
    expect([tooMany.code, tooMany.stderr]).toEqual([
      1,
      'hyperctl: batch hunt: max trials 4 leaves room for 2 more trial(s), not 3; raise it first (hyperctl batch update hunt --max-trials N)\n',
    ]);
    expect(await s.cli('batch', 'add', 'hunt', '--param', 'x=0.5')).toMatchObject({ code: 0, stdout: 'batch hunt: queued 1 trial(s): {"x":0.5}\n' });
    // More than one add takes: counted before anything is made or sent, or refused by the batch.
    const many = Array.from({ length: 10_001 }, (_, i) => i / 20_000);
    const counted = await s.cli('batch', 'add', 'hunt', '--param', `x=${many.join(',')}`);
    expect([counted.code, counted.stderr]).toEqual([2, 'hyperctl: --param: 10,001 trials; one batch add takes at most 10,000 (add them in parts)\n']);
    writeFileSync(join(s.dir, 'many.json'), JSON.stringify(many.map((x) => ({ x }))));
    const refusedMany = await s.cli('batch', 'add', 'hunt', '-c', join(s.dir, 'many.json'));
    expect([refusedMany.code, refusedMany.stderr]).toEqual([2, 'hyperctl: trials: 10,001 trials; one batch add takes at most 10,000 (add them in parts)\n']);
    writeFileSync(join(s.dir, 'seeds.yaml'), '- { x: 0.25 }\n');
    expect(await s.cli('batch', 'add', 'hunt', '-c', join(s.dir, 'seeds.yaml'), '--json')).toMatchObject({
      code: 0,
      stdout: '{\n  "queued": [\n    {\n      "x": 0.25\n    }\n  ]\n}\n',
    });
    s.open('go');
    const { code, stdout } = await run.done;
    expect(code).toBe(0);
    expect(stdout).toContain('search (random): 4 trials; stopped: max_trials reached (4)');
    // Plain lines count against the budget as steered: 2 planned at the start, 4 after the update.
    expect(stdout).toContain('batch hunt: 2 jobs, 0 already succeeded, 2 to run');
    expect(stdout).toMatch(/^\[4\/4\] succeed trial-000[1-4] /m);
    expect(JSON.parse((await s.cli('batch', 'show', 'hunt', '--json')).stdout).search).toMatchObject({ proposed: 4, planned: 4 });
    expect(s.order()).toHaveLength(4);
    const proposed = readJournal(join(s.dir, 'data', 'hunt', 'journal.jsonl')).flatMap((r) => (r.e === 'trial' ? [r] : []));
    expect(proposed.slice(2)).toMatchObject([
      { n: 3, params: { x: 0.5 }, point: { x: 0.5 }, seeded: 'added' },
      { n: 4, params: { x: 0.25 }, point: { x: 0.25 }, seeded: 'added' },
    ]);
  });

  it('is refused on a batch that is not running, naming why', async () => {
    const s = sweep('over', ['a']);
    s.open('a');
    expect((await s.run().done).code).toBe(0);
    for (const args of [
      ['batch', 'update', 'over', '-p', '2'],
      ['batch', 'pause', 'over'],
      ['batch', 'resume', 'over'],
      ['job', 'priority', '-b', 'over', '-j', 'a', '--first'],
    ]) {
      const { code, stderr } = await s.cli(...args);
      expect([code, stderr], args.join(' ')).toEqual([1, 'hyperctl: batch "over" is not running (it is finished); there is nothing to kill, stop or steer\n']);
    }
    // A retry is told how the jobs run again without a run that serves the batch.
    expect(await s.cli('job', 'retry', '-b', 'over', '--failed')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        'batch "over" is not running (it is finished): run it again as it was run (hyperctl run CONFIG, or the same --param line)',
      ),
    });
    expect(await s.cli('batch', 'update', 'over')).toMatchObject({ code: 2, stderr: 'hyperctl: batch update: give --parallelism N or --max-trials N\n' });
    expect(await s.cli('batch', 'update', 'over', '-p', '0')).toMatchObject({
      code: 2,
      stderr: 'hyperctl: --parallelism: expected a whole number ≥ 1, got "0"\n',
    });
  });

  it('batch add runs more jobs after those waiting, from a file or --param, and refuses names the batch has, naming the field', async () => {
    const s = sweep('grow', ['a', 'b']);
    const run = s.run('-p', '1');
    await until(s, 'a running', (st) => st.a === 'running');
    const gated = (job: string) => `echo ${job} >> order; while [ ! -e gates/${job} ]; do [ -d gates ] || exit 9; sleep 0.02; done`;
    writeFileSync(join(s.dir, 'more.json'), JSON.stringify({ jobs: [{ name: 'c', params: { n: 1 }, execution: { command: gated('c'), working_dir: '.' } }] }));
    expect(await s.cli('batch', 'add', 'grow', '-c', join(s.dir, 'more.json'))).toMatchObject({ code: 0, stdout: 'batch grow: added 1 job(s): c\n' });
    const sweepAdd = await runCli(['batch', 'add', 'grow', '--param', 'k=1,2', '--batches-data-dir', join(s.dir, 'data'), '--', 'echo k{k} >> order'], {
      cwd: s.dir,
    });
    expect(sweepAdd).toMatchObject({ code: 0, stdout: 'batch grow: added 2 job(s): k=1, k=2\n' });
    // Jobs in Hypernets' later format are added as they are run; its server is the batch's own.
    writeFileSync(join(s.dir, 'later.json'), JSON.stringify({ job_command: 'echo h >> order', jobs: [{ name: 'h', params: {}, working_dir: '.' }] }));
    expect(await s.cli('batch', 'add', 'grow', '-c', join(s.dir, 'later.json'))).toMatchObject({ code: 0, stdout: 'batch grow: added 1 job(s): h\n' });
    writeFileSync(join(s.dir, 'served.json'), JSON.stringify({ job_command: 'true', server: { port: 1 }, jobs: [{ name: 'z', params: {} }] }));
    const served = await s.cli('batch', 'add', 'grow', '-c', join(s.dir, 'served.json'));
    expect([served.code, served.stderr]).toEqual([2, "hyperctl: server: the batch's own is kept; jobs added to it take jobs and job_defaults only\n"]);
    writeFileSync(
      join(s.dir, 'clash.json'),
      JSON.stringify({ name: 'other', jobs: [{ name: 'a', params: {}, execution: { command: 'true' } }, { params: {} }] }),
    );
    const clash = await s.cli('batch', 'add', 'grow', '-c', join(s.dir, 'clash.json'));
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain('jobs[1].execution: ');
    writeFileSync(join(s.dir, 'clash.json'), JSON.stringify({ name: 'other', jobs: [{ name: 'a', params: {}, execution: { command: 'true' } }] }));
    const named = await s.cli('batch', 'add', 'grow', '-c', join(s.dir, 'clash.json'));
    expect([named.code, named.stderr]).toEqual([
      2,
      'hyperctl: invalid batch config:\n  name: the batch\'s own is kept; jobs added to it take jobs and job_defaults only\n  jobs[0].name: batch grow has a job "a" already\n',
    ]);
    // A grid too large for one add is refused by its size before any job is made; the run goes on.
    const thousand = `=${Array.from({ length: 1000 }, (_, i) => i).join(',')}`;
    const huge = await s.cli('batch', 'add', 'grow', '--param', `x${thousand}`, '--param', `y${thousand}`, '--param', `z${thousand}`, '--', 'true');
    expect([huge.code, huge.stderr]).toEqual([
      2,
      'hyperctl: params: 1,000,000,000 jobs; one batch add takes at most 10,000 (add them in parts, or run them as a batch of their own)\n',
    ]);
    expect((await s.statuses()).c).toBe('init');
    s.open('a', 'b', 'c');
    const { code, stderr } = await run.done;
    expect(code).toBe(0);
    expect(stderr).toContain('added 2 job(s): k=1, k=2');
    expect(s.order()).toEqual(['a', 'b', 'c', 'k1', 'k2', 'h']);
    expect(await s.statuses()).toEqual({ a: 'succeed', b: 'succeed', c: 'succeed', 'k=1': 'succeed', 'k=2': 'succeed', h: 'succeed' });
  });

  it('after kill -9 of the runner, a re-run finds the jobs added and keeps the parallelism the batch was updated to', async () => {
    const s = sweep('crash', ['a', 'b', 'c', 'd']);
    const first = s.run('-p', '1');
    await until(s, 'a running', (st) => st.a === 'running');
    writeFileSync(
      join(s.dir, 'more.json'),
      JSON.stringify({
        jobs: [
          {
            name: 'e',
            params: {},
            execution: { command: 'echo e >> order; while [ ! -e gates/e ]; do [ -d gates ] || exit 9; sleep 0.02; done', working_dir: '.' },
          },
        ],
      }),
    );
    expect((await s.cli('batch', 'add', 'crash', '-c', join(s.dir, 'more.json'))).code).toBe(0);
    expect((await s.cli('batch', 'update', 'crash', '-p', '2')).code).toBe(0);
    await until(s, 'b running', (st) => st.b === 'running');
    first.child.kill('SIGKILL');
    await first.done;
    s.open('a', 'b');
    const again = s.run();
    await until(s, 'c and d running at once', (st) => st.c === 'running' && st.d === 'running');
    s.open('c', 'd', 'e');
    const { code, stdout } = await again.done;
    expect(code).toBe(0);
    expect(stdout).toMatch(/5 jobs, 0 already succeeded, 5 to run on 2 slots/);
    expect(await s.statuses()).toEqual({ a: 'succeed', b: 'succeed', c: 'succeed', d: 'succeed', e: 'succeed' });
  });
});
