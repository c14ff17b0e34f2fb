import { describe, expect, it } from 'vitest';
import { fromHypernets } from '../../src/batch/hypernets-read.js';
import { hypernetsHead, hypernetsJob } from '../../src/batch/hypernets-write.js';

/* Configs written the way the later releases' own example files are (local_batch.json, remote_batch.json, job_template.yml). */

const localBatch = {
  name: 'local-batch',
  job_command: 'python3 main.py',
  jobs: [
    { name: 'job1', params: { learning_rate: 0.1 }, working_dir: '/tmp', assets: ['data.csv'] },
    { name: 'job2', params: { learning_rate: 0.2 }, resource: { cpu: 1 } },
  ],
  server: { host: 'localhost', port: 18060 },
  scheduler: { exit_on_finish: false, interval: 1 },
  backend: { type: 'local', environments: { HYPERCTL_TEST: 'yes' } },
  version: '2.5',
};

const remoteBatch = {
  name: 'remote-batch',
  job_command: 'sleep 3;echo "finished"',
  jobs: [{ name: 'job1', params: { learning_rate: 0.1 } }],
  server: { host: 'localhost', port: 8061 },
  scheduler: { exit_on_finish: false, interval: 5000 },
  backend: {
    type: 'remote',
    machines: [
      { connection: { hostname: 'host1', username: 'hyperctl', password: 'hyperctl' }, environments: { JAVA_HOME: '/usr/lib/jvm' } },
      { connection: { hostname: 'host2', username: 'hyperctl', ssh_rsa_file: '~/.ssh/id_rsa', port: 2222 } },
    ],
  },
};

const jobTemplate = {
  params: { learning_rate: [0.1, 0.2], max_depth: [3, 5] },
  command: 'python3 main.py',
  working_dir: '/tmp',
  server: { host: 'localhost', port: 8061 },
  scheduler: { exit_on_finish: false, interval: 5000 },
  backend: { type: 'remote', conf: { machines: [{ connection: { hostname: 'host1', username: 'hyperctl', password: 'hyperctl' } }] } },
};

describe('reading the later releases format', () => {
  it('moves a local batch key by key: job_command into each job, server into daemon, scheduler, backend settings under conf', () => {
    const moved = fromHypernets(localBatch);
    expect(moved.dialect).toBe('hypernets');
    expect(moved.issues).toEqual([]);
    expect(moved.config).toEqual({
      name: 'local-batch',
      version: '2.5',
      jobs: [
        { name: 'job1', params: { learning_rate: 0.1 }, execution: { command: 'python3 main.py', working_dir: '/tmp', assets: ['data.csv'] } },
        { name: 'job2', params: { learning_rate: 0.2 }, resource: { cpu: 1 }, execution: { command: 'python3 main.py' } },
      ],
      daemon: { host: 'localhost', port: 18060, exit_on_finish: false },
      independent_tmp: true,
      backend: { type: 'local', conf: { environments: { HYPERCTL_TEST: 'yes' } } },
    });
  });

  it("moves each remote machine's connection into the machine, keeping its environments", () => {
    const moved = fromHypernets(remoteBatch);
    expect(moved.issues).toEqual([]);
    expect((moved.config as { backend: unknown }).backend).toEqual({
      type: 'remote',
      conf: {
        machines: [
          { hostname: 'host1', username: 'hyperctl', password: 'hyperctl', environments: { JAVA_HOME: '/usr/lib/jvm' } },
          { hostname: 'host2', username: 'hyperctl', ssh_rsa_file: '~/.ssh/id_rsa', port: 2222 },
        ],
      },
    });
  });

  it("makes the releases' defaults explicit: the run exits when its jobs end, each job has a TMP of its own", () => {
    const moved = fromHypernets({ job_command: 'true', jobs: [{ params: {} }] }).config as Record<string, unknown>;
    expect(moved.daemon).toEqual({ exit_on_finish: true });
    expect(moved.independent_tmp).toBe(true);
    expect(fromHypernets({ job_command: 'true', jobs: [{ params: {} }], independent_tmp: false }).config).toMatchObject({ independent_tmp: false });
  });

  it("moves a template's command and working_dir into execution, and its backend.conf.machines[].connection", () => {
    const moved = fromHypernets(jobTemplate);
    expect(moved.issues).toEqual([]);
    expect(moved.config).toMatchObject({
      params: jobTemplate.params,
      execution: { command: 'python3 main.py', working_dir: '/tmp' },
      daemon: { host: 'localhost', port: 8061, exit_on_finish: false },
      backend: { type: 'remote', conf: { machines: [{ hostname: 'host1', username: 'hyperctl', password: 'hyperctl' }] } },
    });
    expect(moved.config).not.toHaveProperty('command');
  });

  it('takes the signal file as the pause file, and checks what it cannot use', () => {
    const moved = fromHypernets({ job_command: 'true', jobs: [{ params: {} }], scheduler: { signal_file: 'hold', interval: 1.5, tick: 1 } });
    expect(moved.config).toMatchObject({ pause_file: 'hold' });
    expect(moved.issues).toEqual(['scheduler.tick: unknown key', 'scheduler.interval: expected a whole number of milliseconds, got 1.5']);
  });

  it("leaves a config in hyperctl's own format as it is", () => {
    const own = { jobs: [{ params: {}, execution: { command: 'true' } }], daemon: { port: 1 }, backend: { type: 'local', conf: { parallelism: 2 } } };
    const moved = fromHypernets(own);
    expect(moved.dialect).toBe('hyperctl');
    expect(moved.config).toBe(own);
    expect(moved.written('jobs[0].execution.command: required')).toBe('jobs[0].execution.command: required');
  });

  it.each([
    [{ ...localBatch, daemon: { port: 1 } }, 'server: sets the daemon, as daemon does: keep one'],
    [{ job_command: 'a', jobs: [{ params: {}, execution: { command: 'b' } }] }, "job_command: sets jobs[0]'s command, as jobs[0].execution does: keep one"],
    [
      { job_command: 'a', jobs: [{ params: {}, working_dir: '/x', execution: { command: 'b', working_dir: '/y' } }] },
      "jobs[0].working_dir: sets jobs[0]'s working_dir, as jobs[0].execution does: keep one",
    ],
    [{ params: { a: [1] }, command: 'a', execution: { command: 'b' } }, 'command: sets the command, as execution does: keep one'],
    [
      { job_command: 'a', jobs: [{ params: {} }], backend: { type: 'remote', conf: { machines: [] }, machines: [] } },
      "backend.machines: sets the backend's settings, as backend.conf does: keep one",
    ],
    [
      { job_command: 'a', jobs: [{ params: {} }], backend: { type: 'remote', machines: [{ hostname: 'a', connection: { hostname: 'b' } }] } },
      "backend.machines[0].connection.hostname: sets the machine's hostname, as backend.machines[0].hostname does: keep one",
    ],
    [
      { job_command: 'a', jobs: [{ params: {} }], scheduler: { exit_on_finish: true }, daemon: { exit_on_finish: false } },
      'scheduler.exit_on_finish: sets exit_on_finish, as daemon.exit_on_finish does: keep one',
    ],
    [
      { job_command: 'a', jobs: [{ params: {} }], scheduler: { signal_file: 'a' }, pause_file: 'b' },
      'scheduler.signal_file: sets the pause file, as pause_file does: keep one',
    ],
  ])('refuses one thing written both ways, naming both (%#)', (config, issue) => {
    expect(fromHypernets(config).issues).toContain(issue);
  });

  it('names paths as the file wrote them, the longest renamed prefix first', () => {
    const { written } = fromHypernets(remoteBatch);
    expect(written('jobs[0].execution.command: must not be empty')).toBe('job_command: must not be empty');
    expect(written('jobs[0].execution: required')).toBe('job_command: required');
    expect(written('daemon.port: expected a whole number from 0 to 65535, got -1 (number)')).toBe(
      'server.port: expected a whole number from 0 to 65535, got -1 (number)',
    );
    expect(written('backend.conf.machines[1].port: bad')).toBe('backend.machines[1].connection.port: bad');
    expect(written('backend.conf.machines[0].environments.A: bad')).toBe('backend.machines[0].environments.A: bad');
    expect(written('backend.conf.host_key_checking: bad')).toBe('backend.host_key_checking: bad');
    expect(written('name: bad')).toBe('name: bad');
  });
});

describe('writing the later releases format', () => {
  it('writes what the template gives in their keys, and the defaults that differ', () => {
    const head = hypernetsHead(
      {
        name: 'grid',
        daemon: { host: 'localhost', port: 8061 },
        backend: { type: 'remote', conf: { machines: [{ hostname: 'h', username: 'u', slots: 2, environments: { A: '1' } }], known_hosts_file: 'kh' } },
        halt: { fail: 1 },
        pause_file: 'hold',
      },
      'python3 main.py',
    );
    expect(head).toEqual({
      name: 'grid',
      job_command: 'python3 main.py',
      server: { host: 'localhost', port: 8061 },
      scheduler: { exit_on_finish: false, signal_file: 'hold' },
      independent_tmp: false,
      backend: { type: 'remote', machines: [{ connection: { hostname: 'h', username: 'u' }, slots: 2, environments: { A: '1' } }], known_hosts_file: 'kh' },
      halt: { fail: 1 },
    });
    expect(hypernetsJob({ name: 'j', params: { a: 1 }, execution: { command: 'x', working_dir: 'w', assets: ['f'] }, timeout: 5 })).toEqual({
      name: 'j',
      params: { a: 1 },
      timeout: 5,
      working_dir: 'w',
      assets: ['f'],
    });
  });

  it('reads back what it writes as the same config', () => {
    const own = {
      name: 'grid',
      daemon: { host: 'localhost', port: 8061, exit_on_finish: true },
      backend: { type: 'remote' as const, conf: { machines: [{ hostname: 'h', username: 'u', environments: { A: '1' } }] } },
      independent_tmp: true,
    };
    const job = { name: 'j', params: { a: 1 }, execution: { command: 'x', working_dir: 'w' } };
    const written = { ...hypernetsHead(own, 'x'), jobs: [hypernetsJob(job)] };
    expect(fromHypernets(written).config).toEqual({ ...own, jobs: [job] });
  });
});
