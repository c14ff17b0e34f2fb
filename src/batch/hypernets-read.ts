import { isHyperctlError } from '../errors.js';
import { closestName } from '../text/closest-names.js';
import { invalid } from './validate.js';
import { isPlainObject } from '../plain-object.js';

/*
 * The format Hypernets' releases 0.2.5.4 to 0.3.2 read and write, read as hyperctl's own. Those
 * releases moved away from the format their 0.2.5.3 documentation describes (hyperctl's own, with
 * its additions): one `job_command` for the whole batch, a job's `working_dir` and `assets` beside
 * its params, `server` for `daemon`, a `scheduler` section, and the backend's settings directly
 * under `backend`, each machine's SSH settings under `connection`. Each key is moved where
 * hyperctl's format has it before the config is checked; what is then wrong is said under the
 * name the file wrote. A file that writes one thing both ways is refused, naming both.
 */

/** Which format a config is written in: hyperctl's own, or that of Hypernets' later releases. @public */
export type ConfigDialect = 'hyperctl' | 'hypernets';

/** A config moved into hyperctl's format, and how to name its paths as the file wrote them. */
export interface FromHypernets {
  readonly config: unknown;
  readonly dialect: ConfigDialect;
  /** Issues of the move itself: one thing written both ways, a `scheduler` key the format has not. */
  readonly issues: readonly string[];
  /** A path of the moved config (`jobs[0].execution.command`) as the file wrote it (`job_command`). */
  readonly written: (issue: string) => string;
}

/** A job's keys the later format writes beside its params, which hyperctl's keeps in `execution`. */
const jobKeys = ['working_dir', 'data_dir', 'assets', 'outputs'] as const;
/** A template's keys the later format writes at its top, which hyperctl's keeps in `execution`. */
const templateKeys = ['command', ...jobKeys] as const;
const schedulerKeys = ['interval', 'exit_on_finish', 'signal_file'];

type Plain = Record<string, unknown>;

/** Whether a config writes anything only the later format has. */
function writesHypernets(config: Plain): boolean {
  if ('server' in config || 'scheduler' in config || 'job_command' in config) return true;
  if (!('jobs' in config) && templateKeys.some((key) => key in config)) return true;
  if (Array.isArray(config.jobs) && config.jobs.some((job) => isPlainObject(job) && jobKeys.some((key) => key in job) && !('execution' in job))) return true;
  const backend = config.backend;
  if (!isPlainObject(backend)) return false;
  if (Object.keys(backend).some((key) => key !== 'type' && key !== 'conf')) return true;
  const machines = isPlainObject(backend.conf) ? backend.conf.machines : undefined;
  return Array.isArray(machines) && machines.some((machine) => isPlainObject(machine) && 'connection' in machine);
}

/**
 * A batch config or template as hyperctl's format writes it. A config in hyperctl's own format comes
 * back as it is; one in the later format is moved key by key, with that format's defaults made
 * explicit (a run exits when its jobs end; each job has a `TMP` folder of its own) unless
 * `batchDefaults` is false (jobs added to a running batch).
 */
export function fromHypernets(config: unknown, options: { readonly batchDefaults?: boolean } = {}): FromHypernets {
  if (!isPlainObject(config) || !writesHypernets(config)) return { config, dialect: 'hyperctl', issues: [], written: (issue) => issue };
  const renames = new Map<string, string>();
  const issues: string[] = [];
  const out: Plain = { ...config };

  if ('server' in config) {
    delete out.server;
    if ('daemon' in config) both(issues, 'daemon', 'server', 'the daemon');
    else {
      out.daemon = config.server;
      renames.set('daemon', 'server');
    }
  }
  if ('scheduler' in config) {
    delete out.scheduler;
    const scheduler = config.scheduler;
    if (!isPlainObject(scheduler)) issues.push('scheduler: expected an object');
    else {
      for (const key of Object.keys(scheduler).filter((k) => !schedulerKeys.includes(k))) {
        const hint = closestName(key, schedulerKeys);
        issues.push(`scheduler.${key}: unknown key${hint ? ` (did you mean "${hint}"?)` : ''}`);
      }
      const interval = scheduler.interval;
      // Jobs start the moment a slot is free: there is no tick to set, but a wrong value is still wrong.
      if (interval !== undefined && (typeof interval !== 'number' || !Number.isInteger(interval) || interval < 0))
        issues.push(`scheduler.interval: expected a whole number of milliseconds, got ${JSON.stringify(interval)}`);
      if ('exit_on_finish' in scheduler) {
        const daemon = isPlainObject(out.daemon) ? out.daemon : {};
        if ('exit_on_finish' in daemon)
          both(issues, `${renames.has('daemon') ? 'server' : 'daemon'}.exit_on_finish`, 'scheduler.exit_on_finish', 'exit_on_finish');
        else if (out.daemon === undefined || isPlainObject(out.daemon)) {
          out.daemon = { ...daemon, exit_on_finish: scheduler.exit_on_finish };
          renames.set('daemon.exit_on_finish', 'scheduler.exit_on_finish');
        }
      }
      if ('signal_file' in scheduler) {
        if ('pause_file' in config) both(issues, 'pause_file', 'scheduler.signal_file', 'the pause file');
        else {
          out.pause_file = scheduler.signal_file;
          renames.set('pause_file', 'scheduler.signal_file');
        }
      }
    }
  }
  // The later releases' defaults: the run ends with its jobs, and each job has a TMP of its own
  // (not for jobs added to a running batch: the batch's own settings stand).
  if (options.batchDefaults !== false) {
    const daemon = out.daemon ?? {};
    if (isPlainObject(daemon) && !('exit_on_finish' in daemon)) out.daemon = { ...daemon, exit_on_finish: true };
    if (!('independent_tmp' in out)) out.independent_tmp = true;
  }

  if ('jobs' in config) moveJobs(config, out, renames, issues);
  else moveTemplate(config, out, renames, issues);
  if (isPlainObject(config.backend)) out.backend = moveBackend(config.backend, renames, issues);
  return { config: out, dialect: 'hypernets', issues, written: (issue) => renamed(issue, renames) };
}

/** A batch's `job_command` into each job's `execution.command`, and its keys beside the params into `execution`. */
function moveJobs(config: Plain, out: Plain, renames: Map<string, string>, issues: string[]): void {
  const command = config.job_command;
  delete out.job_command;
  if (!Array.isArray(config.jobs)) return;
  out.jobs = config.jobs.map((job, index) => {
    if (!isPlainObject(job)) return job;
    const at = `jobs[${index}]`;
    const moved = jobKeys.filter((key) => key in job);
    if ('execution' in job) {
      if (command !== undefined) both(issues, `${at}.execution`, 'job_command', `${at}'s command`);
      for (const key of moved) both(issues, `${at}.execution`, `${at}.${key}`, `${at}'s ${key}`);
      return job;
    }
    const execution: Plain = command === undefined ? {} : { command };
    const rest: Plain = { ...job };
    for (const key of moved) {
      execution[key] = job[key];
      delete rest[key];
      renames.set(`${at}.execution.${key}`, `${at}.${key}`);
    }
    renames.set(`${at}.execution.command`, 'job_command');
    renames.set(`${at}.execution`, 'job_command');
    return { ...rest, execution };
  });
}

/** A template's top-level `command`, `working_dir`, … into its `execution`. */
function moveTemplate(config: Plain, out: Plain, renames: Map<string, string>, issues: string[]): void {
  const moved = templateKeys.filter((key) => key in config);
  if (moved.length === 0) return;
  if ('execution' in config) {
    for (const key of moved) both(issues, 'execution', key, `the ${key}`);
    return;
  }
  const execution: Plain = {};
  for (const key of moved) {
    execution[key] = config[key];
    delete out[key];
    renames.set(`execution.${key}`, key);
  }
  renames.set('execution', 'command');
  out.execution = execution;
}

/** The backend's settings under `conf`, and each machine's `connection` into the machine. */
function moveBackend(backend: Plain, renames: Map<string, string>, issues: string[]): Plain {
  const { type, conf, ...settings } = backend;
  const hoisted = Object.keys(settings);
  if (conf !== undefined && hoisted.length > 0) {
    for (const key of hoisted) both(issues, 'backend.conf', `backend.${key}`, "the backend's settings");
    return backend;
  }
  let moved: unknown = conf;
  let at = 'backend.conf';
  if (conf === undefined) {
    moved = settings;
    at = 'backend';
    renames.set('backend.conf', 'backend');
  }
  if (isPlainObject(moved) && Array.isArray(moved.machines)) {
    moved = {
      ...moved,
      machines: moved.machines.map((machine, index) => moveMachine(machine, `${at}.machines[${index}]`, `backend.conf.machines[${index}]`, renames, issues)),
    };
  }
  return { type, conf: moved };
}

function moveMachine(machine: unknown, written: string, ours: string, renames: Map<string, string>, issues: string[]): unknown {
  if (!isPlainObject(machine) || !('connection' in machine)) return machine;
  const { connection, ...rest } = machine;
  if (!isPlainObject(connection)) {
    issues.push(`${written}.connection: expected an object`);
    return machine;
  }
  for (const key of Object.keys(connection)) {
    if (key in rest) both(issues, `${written}.${key}`, `${written}.connection.${key}`, `the machine's ${key}`);
    renames.set(`${ours}.${key}`, `${written}.connection.${key}`);
  }
  return { ...connection, ...rest };
}

function both(issues: string[], ours: string, theirs: string, what: string): void {
  issues.push(`${theirs}: sets ${what}, as ${ours} does: keep one`);
}

/** An issue (`path: problem`) with its path as the file wrote it: the longest renamed prefix wins. */
function renamed(issue: string, renames: ReadonlyMap<string, string>): string {
  const colon = issue.indexOf(': ');
  if (colon < 0) return issue;
  const path = issue.slice(0, colon);
  let best: string | undefined;
  for (const ours of renames.keys()) {
    if ((path === ours || path.startsWith(`${ours}.`) || path.startsWith(`${ours}[`)) && (best === undefined || ours.length > best.length)) best = ours;
  }
  return best === undefined ? issue : `${renames.get(best)}${path.slice(best.length)}${issue.slice(colon)}`;
}

/**
 * An error about a moved config, said in the terms its file wrote: each issue's path renamed, and
 * the issues that then read the same (every job's `job_command: required`) said once.
 */
export function inWrittenTerms(error: unknown, moved: FromHypernets, where?: string): unknown {
  if (moved.dialect === 'hyperctl' || !isHyperctlError(error) || error.issues.length === 0) return error;
  if (error.code !== 'E_CONFIG_INVALID' && error.code !== 'E_TEMPLATE_INVALID') return error;
  return invalid(error.code, [...new Set(error.issues.map(moved.written))], where);
}
