import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isHyperctlError, runBatch, type BatchConfig } from '../../src/index.js';
import { loadConfigFile } from '../../src/batch/load-file.js';
import { tempDir } from '../helpers/tmp.js';

/** The message `runBatch` rejects with for `config`, after checking it wrote nothing. */
async function rejection(config: unknown): Promise<string> {
  const root = tempDir();
  const error = await runBatch(config as BatchConfig, { batchesDataDir: root }).catch((e: unknown) => e);
  if (!isHyperctlError(error)) throw new Error(`expected a HyperctlError, got ${String(error)}`);
  expect(error.code).toBe('E_CONFIG_INVALID');
  return error.message;
}

const ok = { params: {}, execution: { command: 'true' } };

describe('batch config validation', () => {
  it.each([
    ['a missing command', { jobs: [ok, ok, { params: {}, execution: {} }] }, 'jobs[2].execution.command: required'],
    ['an empty command', { jobs: [{ params: {}, execution: { command: '' } }] }, 'jobs[0].execution.command: must not be empty'],
    ['missing jobs', {}, 'jobs: required'],
    ['jobs not a list', { jobs: 'x' }, 'jobs: expected a list, got "x" (string)'],
    ['params not an object', { jobs: [{ params: 'lr=0.1', execution: { command: 'true' } }] }, 'jobs[0].params: expected an object, got "lr=0.1" (string)'],
    ['missing params', { jobs: [{ execution: { command: 'true' } }] }, 'jobs[0].params: required'],
    ['a typo in a key', { jobs: [{ ...ok, exectuion: {} }] }, 'jobs[0].exectuion: unknown key (did you mean "execution"?)'],
    ['an unknown top-level key', { jobs: [], parallelism: 2 }, 'parallelism: unknown key'],
    ['an unknown backend', { jobs: [], backend: { type: 'k8s' } }, 'backend.type: expected "local", "remote" or "slurm", got "k8s"'],
    [
      'a bad parallelism',
      { jobs: [], backend: { type: 'local', conf: { parallelism: 0 } } },
      'backend.conf.parallelism: expected a whole number from 1 to 100000, got 0 (number)',
    ],
    ['a bad port', { jobs: [], daemon: { port: 70000 } }, 'daemon.port: expected a whole number from 0 to 65535, got 70000 (number)'],
    ['a negative resource', { jobs: [{ ...ok, resource: { gpu: -1 } }] }, 'jobs[0].resource.gpu: expected >=0, got -1'],
    [
      'a remote machine without hostname',
      { jobs: [], backend: { type: 'remote', conf: { machines: [{ username: 'u' }] } } },
      'backend.conf.machines[0].hostname: required',
    ],
    [
      'a GPU count that is neither whole nor a share',
      { jobs: [{ ...ok, resource: { gpu: 1.5 } }] },
      'jobs[0].resource.gpu: expected a whole number of GPUs, or a share of one below 1',
    ],
    ['a negative timeout', { jobs: [{ ...ok, timeout: -1 }] }, 'jobs[0].timeout: expected seconds, at least 0'],
    [
      'an unknown retry cause',
      { jobs: [], job_defaults: { retry_on: ['crash'] } },
      'job_defaults.retry_on[0]: expected "lost", "failed" or "timeout", got "crash"',
    ],
    ['a halt percentage over 100', { jobs: [], halt: { fail: '150%' } }, 'halt.fail: expected a percentage such as "10%"'],
    ['a halt mode', { jobs: [], halt: { fail: 1, when: 'later' } }, 'halt.when: expected "soon" or "now", got "later"'],
    [
      'a capacity with GPUs as text',
      { jobs: [], backend: { type: 'local', conf: { capacity: { gpu: 'all' } } } },
      'backend.conf.capacity.gpu: expected a number of GPUs or a list of GPU indices',
    ],
    [
      'an unknown GPU policy',
      { jobs: [], backend: { type: 'local', conf: { capacity: { gpu_policy: 'share' } } } },
      'backend.conf.capacity.gpu_policy: expected "avoid", "ignore" or { "min_free_mb": N }',
    ],
    ['no remote machines', { jobs: [], backend: { type: 'remote', conf: { machines: [] } } }, 'backend.conf.machines: expected at least one machine'],
    [
      'zero slots on a machine',
      { jobs: [], backend: { type: 'remote', conf: { machines: [{ hostname: 'h', slots: 0 }] } } },
      'backend.conf.machines[0].slots: expected a whole number from 1 to 100000, got 0 (number)',
    ],
    [
      'an environment variable name with a space',
      { jobs: [], backend: { type: 'remote', conf: { machines: [{ hostname: 'h', environments: { 'A B': 'x' } }] } } },
      'backend.conf.machines[0].environments',
    ],
    [
      'an unknown host key policy',
      { jobs: [], backend: { type: 'remote', conf: { machines: [{ hostname: 'h' }], host_key_checking: 'no' } } },
      'backend.conf.host_key_checking: expected "yes" or "accept-new", got "no"',
    ],
    [
      'duplicate job names',
      {
        jobs: [
          { ...ok, name: 'a' },
          { ...ok, name: 'a' },
        ],
      },
      'jobs[1].name: duplicate job name "a" (also jobs[0])',
    ],
    ['jobs with equal params and no names', { jobs: [ok, ok] }, 'jobs[1].name: duplicate job name'],
    ['a job name with ..', { jobs: [{ ...ok, name: '../x' }] }, 'jobs[0].name: must not contain "/" or "\\", got "../x"'],
    ['a job name with /', { jobs: [{ ...ok, name: 'a/b' }] }, 'jobs[0].name: must not contain "/"'],
    ['a job name ..', { jobs: [{ ...ok, name: '..' }] }, 'jobs[0].name: ".." is not a usable file name'],
    ['an empty job name', { jobs: [{ ...ok, name: '' }] }, 'jobs[0].name: must not be empty'],
    ['an unsafe batch name', { name: 'a/b', jobs: [ok] }, 'name: must not contain "/"'],
    ['no jobs', { jobs: [] }, 'jobs: expected at least one job'],
    ['params as a list', { jobs: [{ ...ok, params: [1, 2] }] }, 'jobs[0].params: expected an object, got an array'],
    ['a resource as a list', { jobs: [{ ...ok, resource: [] }] }, 'jobs[0].resource: expected an object, got an array'],
    [
      'environments as a list',
      { jobs: [ok], backend: { type: 'local', conf: { environments: [] } } },
      'backend.conf.environments: expected an object, got an array',
    ],
    [
      'a param named __proto__',
      { jobs: [{ ...ok, params: JSON.parse('{"__proto__": 1}') as object }] },
      'jobs[0].params.__proto__: "__proto__" cannot be used as a key',
    ],
    ['a param named constructor', { jobs: [{ ...ok, params: { constructor: 1 } }] }, 'jobs[0].params.constructor: "constructor" cannot be used as a key'],
    [
      'params nested 4,000 deep',
      { jobs: [{ ...ok, params: JSON.parse(`${'{"a":'.repeat(4000)}1${'}'.repeat(4000)}`) as object }] },
      'nested deeper than 64 levels',
    ],
    [
      'a job named like the journal',
      { jobs: [{ ...ok, name: 'journal.jsonl' }] },
      'jobs[0].name: "journal.jsonl" is the name of one of the batch\'s own files',
    ],
    ['a job named like a temp file of the spec', { jobs: [{ ...ok, name: 'spec.json.tmp-123' }] }, 'jobs[0].name: "spec.json.tmp-123" is the name'],
    ['a 300-character daemon host', { jobs: [ok], daemon: { host: 'a'.repeat(300) } }, 'daemon.host: expected a host name or an IP address'],
    ['an endless timeout', { jobs: [{ ...ok, timeout: Infinity }] }, 'jobs[0].timeout: expected a finite number'],
    ['a retry backoff over a day', { jobs: [ok], job_defaults: { retry_backoff: 1e9 } }, 'job_defaults.retry_backoff: expected at most 86400 seconds'],
    [
      'a parallelism of a billion',
      { jobs: [ok], backend: { type: 'local', conf: { parallelism: 1e9 } } },
      'backend.conf.parallelism: expected a whole number from 1 to 100000, got 1000000000 (number)',
    ],
    [
      'a parallelism past the safe integers',
      JSON.parse('{"jobs": [{"params": {}, "execution": {"command": "true"}}], "backend": {"type": "local", "conf": {"parallelism": 9007199254740993}}}'),
      'backend.conf.parallelism: expected a whole number from 1 to 100000, got 9007199254740992 (number)',
    ],
    ['a fractional retry count', { jobs: [{ ...ok, retries: 1.5 }] }, 'jobs[0].retries: expected a whole number from 0 to 1000, got 1.5 (number)'],
    [
      'a working_dir that does not exist',
      { jobs: [{ params: {}, execution: { command: 'true', working_dir: '/no/such/dir' } }] },
      'jobs[0].execution.working_dir: directory /no/such/dir does not exist',
    ],
    [
      'an output outside the working directory',
      { jobs: [{ params: {}, execution: { command: 'true', outputs: ['../secrets'] } }] },
      'jobs[0].execution.outputs[0]: expected a path relative to the working directory, without ".."',
    ],
    [
      'an absolute output',
      { jobs: [{ params: {}, execution: { command: 'true', outputs: ['/etc/passwd'] } }] },
      'jobs[0].execution.outputs[0]: expected a path relative to the working directory',
    ],
    [
      'an upload of a folder that does not exist',
      { jobs: [ok], backend: { type: 'remote', conf: { machines: [{ hostname: 'h' }], upload: { dir: '/no/such/project' } } } },
      'backend.conf.upload.dir: directory /no/such/project does not exist',
    ],
    [
      'an upload that includes what is no heavy folder',
      { jobs: [ok], backend: { type: 'remote', conf: { machines: [{ hostname: 'h' }], upload: { dir: '.', include: ['data'] } } } },
      'backend.conf.upload.include[0]: expected one of .git, node_modules, .venv, __pycache__, got "data"',
    ],
    [
      'an unknown cleanup',
      { jobs: [ok], backend: { type: 'remote', conf: { machines: [{ hostname: 'h' }], cleanup: 'sometimes' } } },
      'backend.conf.cleanup: expected "on_success", "always" or "never", got "sometimes"',
    ],
  ])('names the field for %s', async (_what, config, expected) => {
    expect(await rejection(config)).toContain(expected);
  });

  it('refuses a config that refers to itself, as one built in code may', async () => {
    const params: Record<string, unknown> = {};
    params.self = params;
    expect(await rejection({ jobs: [{ ...ok, params }] })).toContain('nested deeper than 64 levels');
  });

  it('lists every problem at once', async () => {
    const message = await rejection({
      jobs: [
        { params: {}, execution: {} },
        { params: 1, execution: { command: 'x' } },
      ],
      nme: 'x',
    });
    expect(message).toContain('jobs[0].execution.command: required');
    expect(message).toContain('jobs[1].params: expected an object');
    expect(message).toContain('nme: unknown key (did you mean "name"?)');
  });

  it("accepts the seed's full example with a numeric YAML version; its job needs a GPU, so it runs where there is one", async () => {
    const root = tempDir();
    const work = tempDir();
    const result = await runBatch(
      {
        jobs: [
          {
            name: 'aVqNV5Ut1',
            params: { learning_rate: 0.1, dataset: 'path/d1.csv' },
            resource: { cpu: 2, ram: 1024, gpu: 1 },
            execution: { command: 'sleep 0', working_dir: work, data_dir: join(work, 'aVqNV5Ut1') },
          },
        ],
        // The seed's job asks for a GPU: this machine is given one, as a GPU box would have.
        backend: { type: 'local', conf: { capacity: { cpu: 2, gpu: 1 } } },
        name: 'eVqNV5Ut1',
        daemon: { host: '127.0.0.1', port: 8060, exit_on_finish: false },
        version: 2.5 as unknown as string,
      },
      { batchesDataDir: root },
    );
    expect(result.status).toBe('succeed');
  });

  it('stops with E_NO_MACHINE, naming each machine and why, when no machine can be reached, writing nothing', async () => {
    const root = tempDir();
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const machines = [{ hostname: '127.0.0.1', port: closed, username: 'u', password: 'secret-pw' }];
    const error = await runBatch({ name: 'nowhere', jobs: [ok], backend: { type: 'remote', conf: { machines } } }, { batchesDataDir: root }).catch(
      (e: unknown) => e,
    );
    expect(isHyperctlError(error) && error.code).toBe('E_NO_MACHINE');
    expect((error as Error).message).toContain(`127.0.0.1 (127.0.0.1:${closed}): cannot connect: ECONNREFUSED`);
    expect((error as Error).message).not.toContain('secret-pw');
    expect(existsSync(join(root, 'nowhere'))).toBe(false);
  });

  it('says before a remote run that daemon.host is not needed (the machines reach the daemon through SSH), and nothing of a loopback one', async () => {
    const machines = [{ hostname: 'gpu1.invalid', username: 'u', password: 'pw' }];
    const warningsWith = async (daemon: { host: string } | undefined) => {
      const warnings: string[] = [];
      await runBatch(
        { jobs: [ok], backend: { type: 'remote', conf: { machines } }, ...(daemon ? { daemon } : {}) },
        { batchesDataDir: tempDir(), daemon: true, port: 0, onEvent: (e) => e.type === 'warning' && warnings.push(e.message) },
      ).catch(() => undefined);
      return warnings;
    };
    expect(await warningsWith({ host: '0.0.0.0' })).toEqual([
      expect.stringContaining("daemon.host is 0.0.0.0: the machines' jobs reach the daemon through their SSH connections, so it need not listen beyond"),
    ]);
    expect(await warningsWith(undefined)).toEqual([]);
    expect(await warningsWith({ host: '127.0.0.1' })).toEqual([]);
  });
});

describe('one batch file for both backends', () => {
  it('accepts upload, cleanup and outputs on the local backend, and says once that they do nothing there', async () => {
    const warnings: string[] = [];
    const result = await runBatch(
      {
        jobs: [{ params: {}, execution: { command: 'true', outputs: ['model.pt'] } }],
        backend: { type: 'local', conf: { upload: { dir: '.' }, cleanup: 'always' } },
      },
      { batchesDataDir: tempDir(), onEvent: (e) => e.type === 'warning' && warnings.push(e.message) },
    );
    expect(result.status).toBe('succeed');
    expect(warnings).toEqual([
      'backend.conf.upload, backend.conf.cleanup and execution.outputs are for the remote backend: here jobs run in their folders on this machine, and nothing is sent or fetched',
    ]);
  });
});

describe('reading config files', () => {
  it('reports file, line and column of invalid JSON', async () => {
    const dir = tempDir();
    const file = join(dir, 'batch.json');
    writeFileSync(file, '{\n  "jobs": [\n    {"params": {},}\n  ]\n}\n');
    const error = await loadConfigFile(file).catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_CONFIG_PARSE');
    expect((error as Error).message).toMatch(new RegExp(`^${file}:3:\\d+: invalid JSON`));
  });

  it('reports file, line and column of invalid YAML', async () => {
    const dir = tempDir();
    const file = join(dir, 'batch.yaml');
    writeFileSync(file, 'jobs:\n  - params: {}\n    execution:\n      command: "unclosed\n');
    const error = await loadConfigFile(file).catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_CONFIG_PARSE');
    expect((error as Error).message).toMatch(new RegExp(`^${file}:\\d+:\\d+: invalid YAML: Missing closing "quote`));
  });

  it('refuses duplicate YAML keys', async () => {
    const dir = tempDir();
    const file = join(dir, 'batch.yml');
    writeFileSync(file, 'name: a\nname: b\njobs: []\n');
    await expect(loadConfigFile(file)).rejects.toThrow(/batch.yml:2:1: invalid YAML: Map keys must be unique/);
  });

  it('says a missing file is missing', async () => {
    await expect(loadConfigFile('/no/such/batch.json')).rejects.toMatchObject({ code: 'E_CONFIG_NOT_FOUND' });
    await expect(loadConfigFile('/no/such/hyperctl.config.ts')).rejects.toMatchObject({ code: 'E_CONFIG_NOT_FOUND' });
  });

  it('loads a TypeScript config without a build step', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    const file = join(dir, 'sub', 'hyperctl.config.ts');
    writeFileSync(file, "const lr: number = 0.5;\nexport default { name: 'ts', jobs: [{ params: { lr }, execution: { command: 'true' } }] };\n");
    expect(await loadConfigFile(file)).toEqual({ name: 'ts', jobs: [{ params: { lr: 0.5 }, execution: { command: 'true' } }] });
  });

  it('reports a TypeScript config that does not compile', async () => {
    const dir = tempDir();
    const file = join(dir, 'hyperctl.config.ts');
    writeFileSync(file, 'export default {{;\n');
    await expect(loadConfigFile(file)).rejects.toMatchObject({ code: 'E_CONFIG_PARSE' });
  });
});
