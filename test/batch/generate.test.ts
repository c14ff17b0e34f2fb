import { describe, expect, expectTypeOf, it } from 'vitest';
import { generateBatch, generateJobs, isHyperctlError, type JobConfig } from '../../src/index.js';

const execution = { command: 'python3 main.py' };

describe('generateJobs', () => {
  it("expands the seed's template to the Cartesian product, last key fastest", () => {
    const jobs = [...generateJobs({ params: { learning_rate: [0.1, 0.2], max_depth: [3, 5] }, execution })];
    expect(jobs.map((j) => j.params)).toEqual([
      { learning_rate: 0.1, max_depth: 3 },
      { learning_rate: 0.1, max_depth: 5 },
      { learning_rate: 0.2, max_depth: 3 },
      { learning_rate: 0.2, max_depth: 5 },
    ]);
    expect(jobs[0]).toEqual({ name: 'learning_rate=0.1,max_depth=3', params: { learning_rate: 0.1, max_depth: 3 }, execution });
  });

  it('gives the same names every time, readable when the values are plain, hashed otherwise', () => {
    const template = { params: { path: ['data/a b.csv'], n: [1] }, execution };
    const first = [...generateJobs(template)].map((j) => j.name);
    expect(first).toEqual([...generateJobs(template)].map((j) => j.name));
    expect(first[0]).toMatch(/^job-[0-9a-f]{10}$/);
    const names = [...generateJobs({ params: { a: [1, 2, 3], b: ['x', 'y'] }, execution })].map((j) => j.name);
    expect(new Set(names).size).toBe(6);
  });

  it('is lazy: a million-combination grid yields its first jobs at once', () => {
    const ten = Array.from({ length: 10 }, (_, i) => i);
    const iterator = generateJobs({ params: { a: ten, b: ten, c: ten, d: ten, e: ten, f: ten }, execution });
    const firstThree = [iterator.next().value, iterator.next().value, iterator.next().value] as JobConfig[];
    expect(firstThree.map((j) => j.params)).toEqual([
      { a: 0, b: 0, c: 0, d: 0, e: 0, f: 0 },
      { a: 0, b: 0, c: 0, d: 0, e: 0, f: 1 },
      { a: 0, b: 0, c: 0, d: 0, e: 0, f: 2 },
    ]);
  });

  it('refuses an empty list of values, and gives one job for no params', () => {
    expect(() => [...generateJobs({ params: { a: [1], b: [] }, execution })]).toThrow('params.b: expected at least one value');
    expect([...generateJobs({ params: {}, execution })].map((j) => j.params)).toEqual([{}]);
  });

  it('copies execution and resource into each job, the rest to the batch', () => {
    const batch = generateBatch({
      name: 'b',
      version: '2.5',
      params: { a: [1] },
      execution,
      resource: { gpu: 1 },
      daemon: { port: 0 },
      backend: { type: 'local' },
    });
    expect(batch).toEqual({
      name: 'b',
      version: '2.5',
      jobs: [{ name: 'a=1', params: { a: 1 }, resource: { gpu: 1 }, execution }],
      backend: { type: 'local' },
      daemon: { port: 0 },
    });
  });

  it.each([
    ['a param that is not a list', { params: { a: 3 }, execution }, 'params.a: expected a list of values, got 3 (number)'],
    ['a missing command', { params: {}, execution: {} }, 'execution.command: required'],
    ['a missing execution', { params: {} }, 'execution: required'],
    ['a duplicate value', { params: { a: [1, 1] }, execution }, 'params.a: duplicate value 1'],
    ['an unknown key', { params: {}, execution, comand: 'x' }, 'comand: unknown key'],
  ])('refuses %s, naming the field', (_what, template, expected) => {
    let error: unknown;
    try {
      [...generateJobs(template as never)];
    } catch (e) {
      error = e;
    }
    expect(isHyperctlError(error) && error.code).toBe('E_TEMPLATE_INVALID');
    expect((error as Error).message).toContain(expected);
  });

  it('types the params of each generated job from the template', () => {
    const [first] = generateJobs({ params: { lr: [0.1, 0.2], opt: ['sgd', 'adam'] }, execution });
    expectTypeOf(first!.params).toEqualTypeOf<{ lr: 0.1 | 0.2; opt: 'sgd' | 'adam' }>();
  });
});
