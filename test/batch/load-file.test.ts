import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDuplicateKey } from '../../src/batch/json-duplicate-keys.js';
import { jsonErrorOffset } from '../../src/batch/json-error-offset.js';
import { loadConfigFile } from '../../src/batch/load-file.js';
import { isHyperctlError } from '../../src/index.js';
import { tempDir } from '../helpers/tmp.js';

async function load(name: string, text: string | Buffer): Promise<unknown> {
  const file = join(tempDir(), name);
  writeFileSync(file, text);
  return loadConfigFile(file);
}

async function refusal(name: string, text: string): Promise<string> {
  const error = await load(name, text).catch((e: unknown) => e);
  if (!isHyperctlError(error)) throw new Error(`expected a HyperctlError, got ${String(error)}`);
  expect(error.code).toBe('E_CONFIG_PARSE');
  return error.message;
}

describe('config files', () => {
  it('read JSON and YAML alike with a byte order mark', async () => {
    expect(await load('a.json', '\uFEFF{"jobs": 1}')).toEqual({ jobs: 1 });
    expect(await load('a.yaml', '\uFEFFjobs: 1\n')).toEqual({ jobs: 1 });
  });

  it('refuse duplicate keys in JSON as in YAML, with line, column and the object holding them', async () => {
    expect(await refusal('a.json', '{"jobs": [\n  {"params": {"lr": 1, "lr": 2}}\n]}')).toMatch(
      /a\.json:2:24: invalid JSON: duplicate key "lr" in jobs\[0\]\.params$/,
    );
    expect(await refusal('a.yaml', 'jobs: 1\njobs: 2\n')).toContain('invalid YAML');
  });

  it('name the line and column of every JSON syntax error, trailing commas and cut-off files too', async () => {
    expect(await refusal('a.json', '{"jobs": [\n  {"params": {}},\n]}')).toMatch(/a\.json:3:1: invalid JSON/);
    expect(await refusal('a.json', '{"a": 1,}')).toMatch(/a\.json:1:9: invalid JSON/);
    expect(await refusal('a.json', '{"a": [1, 2')).toMatch(/a\.json:1:12: invalid JSON/);
    expect(await refusal('a.json', '{"a": 1} x')).toMatch(/a\.json:1:10: invalid JSON/);
  });

  it('refuse YAML aliases to nothing, and alias bombs', async () => {
    expect(await refusal('a.yaml', 'jobs: *nope\n')).toContain('invalid YAML: Unresolved alias');
    const bomb = [
      'a: &a [x,x,x,x,x,x,x,x,x]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'jobs: [*d]',
    ].join('\n');
    expect(await refusal('a.yaml', bomb)).toContain('invalid YAML: Excessive alias count');
  });

  it('name a file of a kind they are not', async () => {
    expect(await refusal('batch.toml', 'jobs = []\n')).toContain('batch.toml: ".toml" files are not configs hyperctl reads; expected .json, .yaml');
  });

  it('name the failing function of a TypeScript config', async () => {
    expect(await refusal('a.mjs', 'export default () => { throw new Error("no data") }\n')).toContain('the function it exports failed: no data');
  });
});

describe('where a JSON text goes wrong', () => {
  it('is found past strings with escapes, numbers and nesting, and deep nesting does not overflow', () => {
    expect(jsonErrorOffset('{"a\\"": [1.5e3, -0, true, null, {"b": "x\\u00e9"}]}')).toBeUndefined();
    expect(jsonErrorOffset('{"a": 01}')).toBe(7);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset('[1,]')).toBe(3);
    expect(jsonErrorOffset('{,}')).toBe(1);
    expect(jsonErrorOffset('"\t"')).toBe(0);
    expect(jsonErrorOffset(`${'['.repeat(200_000)}${']'.repeat(199_999)}`)).toBe(399_999);
  });
});

describe('duplicate JSON keys', () => {
  it('are found where strings hold quotes, colons, braces and escapes', () => {
    expect(findDuplicateKey('{"a": "x\\":{", "b": {"a": 1}, "c": ["a", "a"], "d\\\\": 1}')).toBeUndefined();
    expect(findDuplicateKey('{"a\\\\": 1, "a\\\\" : 2}')).toMatchObject({ key: 'a\\', path: [] });
    expect(findDuplicateKey('[{"x": 1}, {"y": [{"z": 1, "z": 2}]}]')).toMatchObject({ key: 'z', path: [1, 'y', 0] });
  });
});
