import { describe, expect, expectTypeOf, it } from 'vitest';
import * as sdk from '../src/index.js';
import * as job from '../src/job.js';
import { defineBatch, getJobParams, type JobParamsOf } from '../src/index.js';

describe('the public API', () => {
  it('exports exactly these values from "hyperctl"', () => {
    expect(Object.keys(sdk).sort()).toEqual([
      'HyperctlError',
      'LocalExecutor',
      'SlurmExecutor',
      'SshExecutor',
      'bestAcrossBatches',
      'closestName',
      'compareBatches',
      'configFileNames',
      'createDaemonClient',
      'defineBatch',
      'defineSearch',
      'frontAcrossBatches',
      'generateBatch',
      'generateBatchFile',
      'generateJobs',
      'getJobDataDir',
      'getJobName',
      'getJobParams',
      'inspectGpus',
      'isHyperctlError',
      'listBatches',
      'loadConfigFile',
      'maxAddedJobs',
      'openBatch',
      'parseWhere',
      'reportMetrics',
      'resolveBatchesDataDir',
      'runBatch',
      'runBatchFile',
      'version',
    ]);
  });

  it('exports exactly these values from "hyperctl/job"', () => {
    expect(Object.keys(job).sort()).toEqual(['HyperctlError', 'getJobDataDir', 'getJobName', 'getJobParams', 'isHyperctlError', 'reportMetrics']);
  });

  it('infers job params from a defineBatch config', () => {
    const batch = defineBatch({
      jobs: [
        { params: { lr: 0.1, opt: 'sgd' }, execution: { command: 'x' } },
        { params: { lr: 0.2, opt: 'adam' }, execution: { command: 'x' } },
      ],
    });
    expectTypeOf(getJobParams<typeof batch>).returns.resolves.toEqualTypeOf<
      { readonly lr: 0.1; readonly opt: 'sgd' } | { readonly lr: 0.2; readonly opt: 'adam' }
    >();
    expectTypeOf<JobParamsOf<{ a: number }>>().toEqualTypeOf<{ a: number }>();
  });
});

describe('getJobParams outside a job', () => {
  it('rejects with E_NOT_IN_JOB', async () => {
    await expect(getJobParams({})).rejects.toMatchObject({ code: 'E_NOT_IN_JOB', message: expect.stringContaining('not started by hyperctl') });
    expect(() => sdk.getJobName({})).toThrow(/HYPERCTL_JOB_NAME is not set/);
  });

  it('rejects params that are not a JSON object', async () => {
    await expect(getJobParams({ HYPERCTL_JOB_PARAMS: '[1]' })).rejects.toMatchObject({ code: 'E_NOT_IN_JOB' });
    await expect(getJobParams({ HYPERCTL_JOB_PARAMS_FILE: '/no/such/params.json' })).rejects.toThrow(/cannot read the job's params file/);
  });

  it('recognises errors across copies of the package', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('hyperctl.error')]: true });
    expect(sdk.isHyperctlError(foreign)).toBe(true);
    expect(sdk.isHyperctlError(new Error('x'))).toBe(false);
  });
});
