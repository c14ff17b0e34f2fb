import { stringify } from 'yaml';

/** One malformed config file: its name, its bytes, and what the refusal must name. */
export interface BadConfig {
  readonly file: string;
  readonly text: string | Buffer;
  /** A field path or a parse location the message must contain. */
  readonly names: string;
}

/** A config that is valid in every field: the corpus breaks one thing in it at a time. */
export function validConfig(): Record<string, unknown> {
  return {
    name: 'corpus',
    version: '1',
    jobs: [
      { name: 'a', params: { lr: 0.1 }, resource: { cpu: 1, ram: 10, gpu: 0 }, execution: { command: 'true', working_dir: '.' }, timeout: 10, retries: 1 },
    ],
    backend: { type: 'local', conf: { parallelism: 2, environments: { A: 'b' }, capacity: { cpu: 2, ram: 100, gpu: 0 } } },
    daemon: { host: '127.0.0.1', port: 0, exit_on_finish: true },
    job_defaults: { timeout: 5, retries: 0, retry_on: ['lost'], retry_backoff: 1 },
    halt: { fail: 1, when: 'soon' },
  };
}

type Kind = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';

/** Every field of {@link validConfig} with its kind, and values of that kind it still refuses. */
const fields: readonly [path: (string | number)[], kind: Kind, refused: unknown[]][] = [
  [['name'], 'string', ['', 'a/b', '..', '-x', 'x'.repeat(300), 'a\nb']],
  [['jobs'], 'array', [[]]],
  [['jobs', 0], 'object', []],
  [
    ['jobs', 0, 'name'],
    'string',
    [
      '',
      '../x',
      'a/b',
      '.',
      '..',
      '-rf',
      'spec.json',
      'journal.jsonl',
      'runner.json',
      'last-run.json',
      'token',
      'slurm',
      'token.tmp-12',
      'a\u0000b',
      'x'.repeat(201),
    ],
  ],
  [['jobs', 0, 'params'], 'object', []],
  [['jobs', 0, 'resource'], 'object', []],
  [['jobs', 0, 'resource', 'cpu'], 'number', [-1]],
  [['jobs', 0, 'resource', 'ram'], 'number', [-1]],
  [['jobs', 0, 'resource', 'gpu'], 'number', [-1, 1.5, 2.5]],
  [['jobs', 0, 'execution'], 'object', []],
  [['jobs', 0, 'execution', 'command'], 'string', ['']],
  [['jobs', 0, 'execution', 'working_dir'], 'string', ['', '/no/such/dir']],
  [['jobs', 0, 'execution', 'data_dir'], 'string', ['']],
  [['jobs', 0, 'timeout'], 'number', [-1]],
  [['jobs', 0, 'retries'], 'integer', [-1, 1.5, 1001, 2 ** 60]],
  [['backend'], 'object', []],
  [['backend', 'type'], 'string', ['', 'k8s', 'LOCAL']],
  [['backend', 'conf'], 'object', []],
  [['backend', 'conf', 'parallelism'], 'integer', [0, -1, 1.5, 100_001, 2 ** 60]],
  [['backend', 'conf', 'environments'], 'object', []],
  [['backend', 'conf', 'environments', 'A'], 'string', []],
  [['backend', 'conf', 'capacity'], 'object', []],
  [['backend', 'conf', 'capacity', 'cpu'], 'number', [-1]],
  [['backend', 'conf', 'capacity', 'ram'], 'number', [-1]],
  [['backend', 'conf', 'capacity', 'gpu'], 'integer', [-1, 1.5, [1, -1], ['0']]],
  [['daemon'], 'object', []],
  [['daemon', 'host'], 'string', ['', 'a'.repeat(300), 'bad host', 'http://x', '-x']],
  [['daemon', 'port'], 'integer', [-1, 65_536, 1.5, 2 ** 60]],
  [['daemon', 'exit_on_finish'], 'boolean', []],
  [['job_defaults'], 'object', []],
  [['job_defaults', 'timeout'], 'number', [-1]],
  [['job_defaults', 'retries'], 'integer', [-1, 1.5, 1001]],
  [['job_defaults', 'retry_on'], 'array', [['crash'], [1]]],
  [['job_defaults', 'retry_backoff'], 'number', [-1, 86_401, 1e300]],
  [['halt'], 'object', []],
  [['halt', 'fail'], 'integer', [0, -1, 1.5, '150%', 'ten']],
  [['halt', 'when'], 'string', ['', 'later']],
];

/** Values of other kinds than `kind`: each is refused where a value of `kind` belongs. */
function otherKinds(kind: Kind): unknown[] {
  const samples: Record<Kind, unknown> = { string: 'text', number: 1.5, integer: 3, boolean: true, object: { k: 1 }, array: ['x'] };
  const others = (Object.keys(samples) as Kind[]).filter(
    (k) => k !== kind && !(kind === 'number' && k === 'integer') && !(kind === 'integer' && k === 'number'),
  );
  return [...others.map((k) => samples[k]), null];
}

function setAt(config: Record<string, unknown>, path: readonly (string | number)[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(config);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  if (value === undefined) delete node[path.at(-1)!];
  else node[path.at(-1)!] = value;
  return copy;
}

function pathText(path: readonly (string | number)[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? key : `.${key}`)).join('');
}

/** Deep nesting: an object `depth` levels deep. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/**
 * The corpus: for every field, values of every other kind and values of its kind it refuses; a
 * missing value for every required field; an unknown key in every object; deep nesting, hostile
 * names; and files that are not configs at all (YAML alias tricks, binary garbage, BOMs,
 * duplicate keys, broken JSON). Each is written as JSON, and every third as YAML too.
 */
export function badConfigs(): BadConfig[] {
  const base = validConfig();
  const out: BadConfig[] = [];
  const add = (config: unknown, names: string) => {
    const n = out.length;
    out.push({ file: `c${n}.json`, text: JSON.stringify(config), names });
    // YAML for every third, but not for nesting deeper than the YAML writer itself goes.
    if (n % 3 === 0 && !names.startsWith('nested')) out.push({ file: `c${n}.yaml`, text: stringify(config), names });
  };
  for (const [path, kind, refused] of fields) {
    for (const value of [...otherKinds(kind), ...refused]) add(setAt(base, path, value), pathText(path));
  }
  for (const path of [['jobs'], ['jobs', 0, 'params'], ['jobs', 0, 'execution'], ['jobs', 0, 'execution', 'command'], ['backend', 'type'], ['halt', 'fail']]) {
    add(setAt(base, path, undefined), pathText(path));
  }
  for (const [path] of fields.filter(([, kind]) => kind === 'object')) {
    if (pathText(path) === 'jobs[0].params' || pathText(path) === 'backend.conf.environments') continue;
    add(setAt(base, [...path, 'tpyo'], 1), pathText([...path, 'tpyo']));
  }
  add(setAt(base, ['tpyo'], 1), 'tpyo');
  add(setAt(base, ['jobs', 0, 'params'], nested(4000)), 'nested deeper than 64 levels');
  add(setAt(base, ['jobs', 0, 'params'], { deep: nested(70) }), 'nested deeper than 64 levels');
  add(setAt(base, ['backend', 'conf', 'environments'], { 'A B': 'x' }), 'backend.conf.environments');
  add(setAt(base, ['backend', 'conf', 'environments'], { '1A': 'x' }), 'backend.conf.environments');
  add(setAt(base, ['backend', 'conf', 'environments', 'A'], 1), 'backend.conf.environments.A');
  add({ ...base, jobs: [base.jobs, base.jobs].flat() }, 'jobs[1].name: duplicate job name');
  add([base], '(root)');
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    out.push({ file: `proto-${key}.json`, text: JSON.stringify(base).replace('"lr":0.1', `"${key}":1`), names: `jobs[0].params.${key}` });
  }
  const files: [string, string | Buffer, string][] = [
    ['alias.yaml', 'jobs: *nope\n', 'invalid YAML'],
    [
      'bomb.yaml',
      [
        'a: &a [x,x,x,x,x,x,x,x,x]',
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
        'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
        'jobs: [*d]',
      ].join('\n'),
      'invalid YAML',
    ],
    ['anchor-loop.yaml', 'jobs: &j [*j]\n', 'nested deeper than 64 levels'],
    ['two-docs.yaml', 'jobs: []\n---\njobs: []\n', 'invalid YAML'],
    ['tab.yaml', 'jobs:\n\t- params: {}\n', 'invalid YAML'],
    ['dup.yaml', 'jobs: []\njobs: []\n', 'invalid YAML'],
    ['dup.json', '{"jobs": [], "jobs": []}', 'duplicate key "jobs"'],
    ['dup-deep.json', '{"jobs": [{"params": {"lr": 1, "lr": 2}, "execution": {"command": "x"}}]}', 'duplicate key "lr" in jobs[0].params'],
    ['bom-dup.json', '\uFEFF{"name": "a", "name": "b"}', 'duplicate key "name"'],
    ['trailing-comma.json', '{"jobs": [],}', 'invalid JSON'],
    ['comment.json', '// batch\n{"jobs": []}', 'invalid JSON'],
    ['nan.json', '{"jobs": NaN}', 'invalid JSON'],
    ['truncated.json', JSON.stringify(base).slice(0, 100), 'invalid JSON'],
    ['empty.json', '', 'invalid JSON'],
    ['empty.yaml', '', '(root)'],
    ['null.json', 'null', '(root)'],
    ['string.json', '"jobs"', '(root)'],
    ['number.yaml', '42\n', '(root)'],
    ['garbage.json', Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919) % 256)), 'invalid JSON'],
    ['garbage.yaml', Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919) % 256)), '(root)'],
    ['deep.yaml', `jobs: ${'['.repeat(3000)}${']'.repeat(3000)}\n`, 'invalid YAML'],
    ['deep.json', `{"jobs": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'nested deeper than 64 levels'],
    ['huge-number.json', JSON.stringify(base).replace('"parallelism":2', '"parallelism":1e400'), 'backend.conf.parallelism'],
    ['inf.yaml', stringify(base).replace('timeout: 10', 'timeout: .inf'), 'jobs[0].timeout'],
    ['nan.yaml', stringify(base).replace('timeout: 10', 'timeout: .nan'), 'jobs[0].timeout'],
  ];
  for (const [file, text, names] of files) out.push({ file, text, names });
  return out;
}
