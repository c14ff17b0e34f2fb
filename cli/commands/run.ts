import { defineCommand } from 'citty';
import { type BatchResult, generateBatch, HyperctlError, isHyperctlError, type RunBatchOptions, runBatch, runBatchFile } from '../../src/index.js';
import { haltFlag, integerFlag } from '../args.js';
import { findConfigFile } from '../config-file.js';
import type { CommandData } from '../command-data.js';
import { exitCodes } from '../exit-codes.js';
import { repeatedFlag, sweepTemplate } from '../param-sweep.js';
import { createReporter } from '../reporters/create-reporter.js';
import { commandMeta } from './meta.js';

export const runCommand = defineCommand({
  meta: commandMeta.run,
  args: {
    file: { type: 'positional', required: false, description: 'batch config, as with --config', valueHint: 'FILE' },
    config: {
      type: 'string',
      alias: 'c',
      description: 'batch config: .json, .yaml, .yml, .ts, .mts, .js, .mjs (default: ./hyperctl.config.*)',
      valueHint: 'FILE',
    },
    param: {
      type: 'string',
      description: 'sweep without a config: a param and its values, repeatable; the command to run comes after --, with {NAME} placeholders',
      valueHint: 'NAME=V1,V2',
    },
    'batch-name': {
      type: 'string',
      description: "the batch's name, over the config's (default for --param: the script's name and a hash of the line)",
      valueHint: 'NAME',
    },
    'batches-data-dir': {
      type: 'string',
      description: 'folder of all batches (default: $HYPERCTL_BATCHES_DATA_DIR or ~/hyperctl-batches-data-dir)',
      valueHint: 'DIR',
    },
    parallelism: {
      type: 'string',
      alias: 'p',
      description: 'jobs at once: locally (default: backend.conf.parallelism, else 1, or as capacity allows when jobs declare resources), or per Slurm array',
      valueHint: 'N',
    },
    force: { type: 'boolean', description: 'run every job again, also those that succeeded before' },
    'continue-search': { type: 'boolean', description: 'run a search again although its space, algorithm, seed, metric or goal changed since it started' },
    'drop-jobs': {
      type: 'boolean',
      description: 'run a batch whose config no longer lists jobs an earlier run had: they leave its views (their folders stay)',
    },
    tail: { type: 'boolean', description: "print the jobs' output, each line prefixed by the job name" },
    json: { type: 'boolean', description: 'print only a JSON summary when the batch ends' },
    'exit-on-finish': {
      type: 'boolean',
      description: 'exit when the batch ends instead of serving it until Ctrl-C (daemon.exit_on_finish); a --param sweep always does unless --serve',
    },
    serve: {
      type: 'boolean',
      description: 'keep serving the dashboard and API after the batch ends, until Ctrl-C (the default of a config without daemon.exit_on_finish)',
    },
    port: { type: 'string', description: 'daemon port, 0 for any free one (default: daemon.port, else 8060 or any free one when it is taken)', valueHint: 'N' },
    'kill-grace': { type: 'string', description: 'seconds between SIGTERM and SIGKILL when jobs are killed (default: 5)', valueHint: 'S' },
    'on-interrupt': {
      type: 'string',
      description: 'on Ctrl-C, cancel the jobs a cluster scheduler runs (cancel, the default) or leave them running for a re-run to follow (leave)',
      valueHint: 'cancel|leave',
    },
    halt: {
      type: 'string',
      description: 'give up after failures: soon,fail=N (start no more jobs) or now,fail=N% (also kill running ones); overrides halt in the config',
      valueHint: 'WHEN,fail=N',
    },
  },
  async run({ args, rawArgs, data }): Promise<number> {
    const { signals, rest } = data as CommandData;
    const controller = new AbortController();
    let interrupting = (signal: NodeJS.Signals) => controller.abort(signal);
    // From here on a signal is the run's: one while the config loads ends the run before it begins.
    signals.handle((signal) => interrupting(signal));
    const parallelism = integerFlag('parallelism', args.parallelism, 1, 100_000);
    const graceSeconds = integerFlag('kill-grace', args['kill-grace'], 0, 3600);
    const port = integerFlag('port', args.port, 0, 65_535);
    const halt = haltFlag(args.halt);
    const onInterrupt = args['on-interrupt'];
    if (onInterrupt !== undefined && onInterrupt !== 'cancel' && onInterrupt !== 'leave')
      throw new HyperctlError('E_USAGE', `--on-interrupt: expected cancel or leave, got ${JSON.stringify(onInterrupt)}`);
    if (args.file !== undefined && args.config !== undefined && args.file !== args.config)
      throw new HyperctlError('E_USAGE', `two configs given: ${JSON.stringify(args.file)} and --config ${JSON.stringify(args.config)}; give one`);
    if (args.serve && args['exit-on-finish']) throw new HyperctlError('E_USAGE', 'choose one of --serve and --exit-on-finish');
    const paramFlags = repeatedFlag(rawArgs, 'param');
    const batchName = args['batch-name'] || undefined;
    const start =
      paramFlags.length > 0 || rest !== undefined ? sweepStart(paramFlags, rest, args.config ?? args.file, batchName) : fileStart(args.config ?? args.file);
    const reporter = createReporter(args.json ? 'json' : process.stderr.isTTY ? 'tty' : 'plain', Boolean(args.tail), {
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
    });
    let serving = false;
    interrupting = (signal) => {
      if (!controller.signal.aborted && !serving) reporter.interrupting(signal);
      controller.abort(signal);
    };
    let result: BatchResult | undefined;
    // Machines the reporter has said are left out, with why, and not said to be back since.
    const machinesDown = new Set<string>();
    // Every option is listed, so a new SDK option fails this type check until the CLI decides about it.
    const options: { [K in keyof Required<RunBatchOptions>]: RunBatchOptions[K] } = {
      batchesDataDir: args['batches-data-dir'],
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'batch:end') {
          result = event.result;
          reporter.finish(result);
        }
        if (event.type === 'daemon:serving') serving = true;
        if (event.type === 'host:down') machinesDown.add(event.host);
        if (event.type === 'host:up') machinesDown.delete(event.host);
        reporter.onEvent(event);
      },
      parallelism,
      force: Boolean(args.force),
      continueSearch: Boolean(args['continue-search']),
      dropJobs: Boolean(args['drop-jobs']),
      // The config file's folder and name, as runBatchFile takes them.
      baseDir: undefined,
      name: start.sweeps ? undefined : batchName,
      defaultName: undefined,
      captureOutput: Boolean(args.tail),
      // HYPERCTL_LOCK_DIR, which the SDK reads itself.
      gpuLockDir: undefined,
      killGraceMs: graceSeconds === undefined ? undefined : graceSeconds * 1000,
      daemon: true,
      port,
      // A sweep from the command line returns when its jobs end, as GNU Parallel does; a config says for itself.
      exitOnFinish: args['exit-on-finish'] ? true : args.serve ? false : start.sweeps ? true : undefined,
      halt,
      onInterrupt,
      executors: undefined,
    };
    try {
      await start.run(options);
    } catch (error) {
      // The port the flag asked for, named as the flag, not as the config's daemon.port.
      if (port !== undefined && isHyperctlError(error) && error.code === 'E_DAEMON_PORT_IN_USE')
        throw new HyperctlError('E_DAEMON_PORT_IN_USE', `--port ${port}: the port is already in use; choose another (0 picks a free one) or stop what uses it`);
      // Each machine's reason was printed as it was left out: the error does not say them again.
      if (
        !result &&
        !args.json &&
        isHyperctlError(error) &&
        error.code === 'E_NO_MACHINE' &&
        machinesDown.size > 0 &&
        machinesDown.size === error.issues.length
      )
        throw new HyperctlError('E_NO_MACHINE', `no machine can run jobs (${machinesDown.size === 1 ? 'why is said' : "each one's reason is"} above)`);
      // A batch whose state could not be written must not end in its summary alone: the error says what to do.
      if (!result || (isHyperctlError(error) && error.code === 'E_STATE_WRITE')) throw error;
    } finally {
      reporter.close();
    }
    if (!result) return exitCodes.jobsFailed;
    return result.status === 'succeed' ? exitCodes.ok : result.status === 'interrupted' ? exitCodes.interrupted : exitCodes.jobsFailed;
  },
});

interface Start {
  /** Whether the batch is a --param sweep (which names itself). */
  readonly sweeps: boolean;
  readonly run: (options: RunBatchOptions) => Promise<BatchResult>;
}

/** `run --param … -- COMMAND`: the grid of the values, run in the current folder. */
function sweepStart(paramFlags: readonly string[], command: readonly string[] | undefined, config: string | undefined, name: string | undefined): Start {
  if (config !== undefined)
    throw new HyperctlError(
      'E_USAGE',
      `give a config (${config}) or --param … -- COMMAND, not both; the command to run goes after --: hyperctl run --param lr=0.1,0.2 -- ${config} …`,
    );
  if (!command?.length)
    throw new HyperctlError('E_USAGE', '--param needs the command to run after --: hyperctl run --param lr=0.1,0.2 -- python3 train.py --lr {lr}');
  if (paramFlags.length === 0) throw new HyperctlError('E_USAGE', 'a command after -- needs at least one --param NAME=V1,V2,… to sweep');
  const batch = generateBatch(sweepTemplate(paramFlags, command, name));
  return { sweeps: true, run: (options) => runBatch(batch, options) };
}

/** `run [FILE]`: the config given, else ./hyperctl.config.*. */
function fileStart(given: string | undefined): Start {
  const file = findConfigFile(given);
  return { sweeps: false, run: (options) => runBatchFile(file, options) };
}
