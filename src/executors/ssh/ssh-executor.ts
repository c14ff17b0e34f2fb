import { createWriteStream, type WriteStream } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { posix } from 'node:path';
import type { RemoteMachineConfig } from '../../batch/types.js';
import type { Upload } from '../../upload/upload.js';
import type { Capacity } from '../capacity.js';
import { capacityOf, capacityProbe, gpuIndices, parseProbe, probeOutput } from '../capacity-probe.js';
import { type GpuState, parseGpus } from '../gpu-probe.js';
import { isHyperctlError } from '../../errors.js';
import { exited, failedExit, killedExit, leaseRefusedExit, lostExit } from '../job-exit.js';
import { privateTmpEnv, resourcesFolder, withPortal } from '../job-files.js';
import { leaseBusyStatus } from '../gpu-lease.js';
import type { DaemonEndpoint, Executor, ExecutorHealth, JobExit, JobLaunch, TransferReport, UploadReport } from '../executor.js';
import { type ChannelExit, ChannelOpenError, ConnectionPool, textOf } from './connection-pool.js';
import { pacedFor } from './paced-send.js';
import { resolveMachine, type ResolvedMachine } from './machine.js';
import { jobScript, killScript, leaseTakenFilter } from './remote-script.js';
import { removeScript } from './transfer-scripts.js';
import { type FetchedFiles, fetchFiles, type MachineChannels, putAssets, putSnapshot } from './transfers.js';

/**
 * Options of {@link SshExecutor}.
 * @public
 */
export interface SshExecutorOptions {
  /** The machine, as the remote backend's config writes it. */
  readonly machine: RemoteMachineConfig;
  /** Jobs at once on it. @defaultValue `machine.slots`, else 1 */
  readonly slots?: number;
  /** `yes` refuses unknown host keys; `accept-new` records them. @defaultValue `"yes"` */
  readonly hostKeyChecking?: 'yes' | 'accept-new';
  /** @defaultValue `~/.ssh/known_hosts` */
  readonly knownHostsFile: string;
  /** Time between SIGTERM and SIGKILL when a job is killed. @defaultValue 5000 */
  readonly killGraceMs?: number;
  /** A folder to send to the machine when it opens; jobs then run in views of it. */
  readonly upload?: Upload;
  /** When a job's folder on the machine is removed after it ends. @defaultValue `"never"` */
  readonly cleanup?: 'on_success' | 'always' | 'never';
  /** Most bytes of outputs brought back per job. @defaultValue 1 GiB */
  readonly maxOutputBytes?: number;
  /** Told how far an upload has come, a few times a second while it is sent. */
  readonly onUploadProgress?: (sent: number, total: number) => void;
  /** The folder of GPU lease files on the machine. @defaultValue `/run/lock/hyperctl`, else `/tmp/hyperctl-locks` */
  readonly gpuLockDir?: string;
  /**
   * Told when the machine's connection is lost (`down`, while it reconnects), back (`up`), or lost
   * for good (`gone`), with why.
   */
  readonly onHealth?: (health: ExecutorHealth, reason: string) => void;
}

/**
 * Runs jobs on one machine over SSH. One connection serves all of the machine's jobs as separate
 * exec channels (a second one opens only past the server's session limit). Each job's output
 * streams back live into its local `stdout` and `stderr` files; the machine needs only `sh`.
 * @public
 */
export class SshExecutor implements Executor {
  /** The machine's name as the config gives it. */
  readonly host: string;
  /** Jobs at once on it. */
  readonly slots: number;
  readonly #options: SshExecutorOptions;
  #machine: ResolvedMachine | undefined;
  #pool: ConnectionPool | undefined;
  #remoteHome = '';
  #remoteBase = '';
  /** The upload's snapshot on the machine, once it is there. */
  #snapshotDir: string | undefined;
  #upload: UploadReport | undefined;
  #fetched: TransferReport = { files: 0, bytes: 0, ms: 0 };
  /**
   * The portal its jobs are handed instead of the daemon's own: the connection's forward (its port
   * as it is when the job starts), or none (null). Without it, the daemon's own.
   */
  #jobPortal: (() => string | null) | undefined;

  constructor(options: SshExecutorOptions) {
    this.#options = options;
    this.host = options.machine.hostname;
    this.slots = options.slots ?? options.machine.slots ?? 1;
    this.#channels.host = this.host;
  }

  /** How the upload went, after `open()`. */
  get upload(): UploadReport | undefined {
    return this.#upload;
  }

  /** Jobs' outputs brought back so far. */
  get fetched(): TransferReport {
    return this.#fetched;
  }

  /** `up`, `down` while reconnecting, `gone` once reconnecting failed. */
  get health(): ExecutorHealth {
    return this.#pool?.health ?? 'down';
  }

  /** Connects, and finds where job folders go on the machine. */
  async open(): Promise<void> {
    this.#machine = await resolveMachine(this.#options.machine);
    const policy = { checking: this.#options.hostKeyChecking ?? 'yes', knownHostsFile: this.#options.knownHostsFile } as const;
    const pool = new ConnectionPool(this.#machine, policy, (health, reason) => this.#options.onHealth?.(health, reason));
    await pool.open();
    this.#pool = pool;
    const [home = '', ...found] = (await this.#capture('printf \'%s\\n\' "$HOME"; command -v tar >/dev/null 2>&1 && echo tar; :')).split('\n');
    this.#remoteHome = home.trim();
    this.#channels.hasTar = found.includes('tar');
    this.#remoteBase = this.#remotePath(this.#machine.dataDir, this.#remoteHome);
    if (this.#options.upload) {
      const { dir, report } = await putSnapshot(this.#channels, this.#options.upload, this.#remoteBase, this.#options.onUploadProgress);
      this.#snapshotDir = dir;
      this.#upload = report;
    }
  }

  /**
   * Has the machine's sshd forward a port on its own loopback (one it chooses, so runs and users
   * on the machine never collide) to the daemon, as `ssh -R` does: jobs are handed
   * `http://127.0.0.1:PORT/TOKEN` there, and nothing needs to listen beyond this machine's
   * loopback. A machine whose sshd refuses forwarding hands its jobs the daemon's own portal when
   * other machines can reach it (`daemon.host`), else none; the answer says so, and what its jobs
   * can and cannot do then.
   */
  async reachDaemon(daemon: DaemonEndpoint): Promise<string | undefined> {
    const pool = this.#pool!;
    try {
      await pool.forwardTo({ host: daemon.host, port: daemon.port });
      this.#jobPortal = () => `http://127.0.0.1:${pool.forwardedPort}/${daemon.token}`;
      return undefined;
    } catch (error) {
      this.#jobPortal = daemon.reachable ? undefined : () => null;
      const refused = `${this.host}: its sshd refuses to forward a port to the daemon (${(error as Error).message}; AllowTcpForwarding in its sshd_config)`;
      return daemon.reachable
        ? `${refused}: its jobs reach the daemon at daemon.host (${daemon.host}) instead`
        : `${refused}: its jobs get their params (HYPERCTL_JOB_PARAMS, params.json) and report metrics in their output, but cannot call the daemon (getJobParams() through a portal, the original client's get_job_params(), posting metrics): they get no HYPERCTL_SERVER_PORTAL. Allow forwarding there, or set daemon.host to an address of this machine that it can reach`;
    }
  }

  /** The machine's CPUs, memory and GPUs, asked over the connection, with the configured overrides. */
  async capacity(): Promise<Capacity> {
    return capacityOf(parseProbe(await this.#probe()), this.#options.machine.capacity);
  }

  /** The machine's GPUs: leases held on them by any run there, processes of others. */
  async gpus(): Promise<readonly GpuState[]> {
    const text = await this.#probe();
    return parseGpus(text, gpuIndices(parseProbe(text), this.#options.machine.capacity));
  }

  async #probe(): Promise<string> {
    const probe = capacityProbe(this.#options.gpuLockDir);
    let run = await this.#pool!.run(probe);
    // It only reads: one that told no exit status (its session cut, a stray signal) is asked again once.
    if (run.code === null) run = await this.#pool!.run(probe);
    return probeOutput(run);
  }

  /** Runs one job to its end; see {@link Executor.run}. */
  async run(job: JobLaunch, signal: AbortSignal): Promise<JobExit> {
    const machine = this.#machine!;
    const { dataDir, viewDir, workingDir } = this.#jobDirs(job, this.#snapshotDir !== undefined);
    const view = this.#snapshotDir && viewDir ? { snapshot: this.#snapshotDir, dir: viewDir } : undefined;
    const tmp = job.privateTmp ? posix.join(dataDir, 'tmp') : undefined;
    const portal = this.#jobPortal?.();
    const env = {
      ...machine.environments,
      ...(portal === undefined ? job.env : withPortal(job.env, portal)),
      HYPERCTL_JOB_DATA_DIR: dataDir,
      HYPERCTL_JOB_WORKING_DIR: workingDir,
      HYPERCTL_JOB_PARAMS_FILE: posix.join(dataDir, 'params.json'),
      ...(tmp ? privateTmpEnv(tmp) : {}),
    };
    if (job.assets) {
      try {
        await putAssets(this.#channels, job.assets, posix.join(dataDir, resourcesFolder));
      } catch (error) {
        const message = `not started: ${(error as Error).message}`;
        // The machine refused them (a full disk): the job's failure. A connection that broke: the machine's.
        return isHyperctlError(error) ? failedExit(message) : lostExit(`${this.host}: ${message}`);
      }
    }
    let exit: ChannelExit | undefined;
    let started = !job.gpuLease;
    let killing: Promise<void> | undefined;
    try {
      await this.#pool!.withChannel('sh -s', async (opened) => {
        const { channel, closed } = opened;
        const out = createWriteStream(job.stdoutPath);
        const err = createWriteStream(job.stderrPath);
        const onAbort = () => (killing ??= this.#kill(dataDir));
        try {
          // A leased job has started once its wrapper said so on stdout (the line is not the job's output).
          const taken = job.gpuLease
            ? leaseTakenFilter(() => {
                started = true;
                job.onSpawn?.({});
              })
            : undefined;
          forward(channel, out, (chunk) => job.onOutput?.('stdout', chunk), taken);
          forward(channel.stderr, err, (chunk) => job.onOutput?.('stderr', chunk));
          channel.end(
            jobScript(
              job.command,
              { dataDir, workingDir, ...(view ? { view } : {}), ...(tmp ? { tmp } : {}) },
              JSON.stringify(job.params),
              env,
              this.#options.killGraceMs ?? 5000,
              job.gpuLease,
            ),
          );
          signal.addEventListener('abort', onAbort, { once: true });
          if (started) job.onSpawn?.({});
          await closed;
          await killing;
        } finally {
          signal.removeEventListener('abort', onAbort);
          await Promise.all([finish(out), finish(err)]);
        }
        exit = opened.exit();
      });
    } catch (error) {
      if (error instanceof ChannelOpenError) return lostExit(`${this.host}: ${error.message}`);
      throw error;
    }
    if (!killing && !exit) return lostExit(`lost the connection to ${this.host} while the job ran`);
    if (!killing && !started) return leaseRefusedExit(this.host, exit!.code, exit!.signal, leaseBusyStatus);
    const result = killing ? killedExit(exit?.code ?? null, exit?.signal ?? null) : exited(exit!.code, exit!.signal);
    await this.#afterJob(job, dataDir, workingDir, result);
    return result;
  }

  /**
   * Brings the job's outputs home and removes its folder on the machine, as configured. Neither
   * changes the job's outcome: what goes wrong is said in its stderr.
   */
  async #afterJob(job: JobLaunch, dataDir: string, workingDir: string, result: JobExit): Promise<void> {
    const notes: string[] = [];
    try {
      if (job.outputs) notes.push(...(await this.#fetch(job.outputs, workingDir, job.dataDir)).notes);
      const cleanup = this.#options.cleanup ?? 'never';
      if (cleanup === 'always' || (cleanup === 'on_success' && result.outcome === 'exited' && result.exitCode === 0))
        await this.#capture(removeScript(dataDir));
    } catch (error) {
      notes.push(`hyperctl: after the job: ${(error as Error).message}`);
    }
    if (notes.length > 0) await appendFile(job.stderrPath, `${notes.join('\n')}\n`).catch(() => undefined);
  }

  /** A job's folders on the machine; with an upload (`viewed`) it runs in its own view of it, and `working_dir` is a folder within. */
  #jobDirs(job: Pick<JobLaunch, 'batchName' | 'name' | 'workingDirAsWritten'>, viewed: boolean): { dataDir: string; viewDir?: string; workingDir: string } {
    const dataDir = posix.join(this.#remoteBase, job.batchName, job.name);
    const viewDir = viewed ? posix.join(dataDir, 'work') : undefined;
    const base = viewDir ?? dataDir;
    const workingDir = job.workingDirAsWritten === undefined ? base : this.#remotePath(job.workingDirAsWritten, base);
    return { dataDir, ...(viewDir ? { viewDir } : {}), workingDir };
  }

  /**
   * Brings files of a job that ran on this machine into its local data folder, after the run:
   * `job fetch`. Call after `open()` (without an upload: `viewed` says whether the run had one).
   */
  async fetchFiles(
    job: Pick<JobLaunch, 'batchName' | 'name' | 'workingDirAsWritten' | 'dataDir'>,
    globs: readonly string[],
    viewed: boolean,
  ): Promise<FetchedFiles> {
    return this.#fetch(globs, this.#jobDirs(job, viewed).workingDir, job.dataDir);
  }

  /** Fetches files into a job's local folder, counting what came. */
  async #fetch(globs: readonly string[], workingDir: string, localDir: string): Promise<FetchedFiles> {
    const started = Date.now();
    const fetched = await fetchFiles(this.#channels, globs, workingDir, localDir, this.#options.maxOutputBytes ?? 1024 ** 3);
    const before = this.#fetched;
    const skipped = (before.skipped ?? 0) + (fetched.skipped ?? 0);
    if (fetched.files.length > 0 || skipped > 0)
      this.#fetched = {
        files: before.files + fetched.files.length,
        bytes: before.bytes + fetched.bytes,
        ms: before.ms + Date.now() - started,
        ...(skipped > 0 ? { skipped } : {}),
      };
    return fetched;
  }

  /** A path on the machine: `~` is the remote home, a relative path is relative to `base`. */
  #remotePath(path: string, base: string): string {
    if (path === '~') return this.#remoteHome;
    if (path.startsWith('~/')) return posix.join(this.#remoteHome, path.slice(2));
    return posix.isAbsolute(path) ? path : posix.join(base, path);
  }

  /** Ends the process group a dead runner's job may have left on the machine (its pid file says which). */
  async endOrphan(batchName: string, jobName: string): Promise<void> {
    await this.#kill(posix.join(this.#remoteBase, batchName, jobName));
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    this.#pool?.close();
  }

  /** This machine's connection, as moving files needs it. */
  readonly #channels: Omit<MachineChannels, 'host' | 'hasTar'> & { host: string; hasTar: boolean } = {
    host: '',
    hasTar: true,
    capture: (command, input) => this.#capture(command, input),
    pipeInto: (command, source) =>
      this.#pool!.withChannel(command, async ({ channel, socket, closed, exit }) => {
        const stderr = textOf(channel.stderr);
        channel.resume();
        let failed = '';
        try {
          await pipeline(pacedFor(channel, socket, source()), channel);
        } catch (error) {
          failed = (error as Error).message;
        }
        await closed;
        return { code: exit()?.code ?? null, said: stderr() || failed };
      }),
    pipeFrom: (command, sink) =>
      this.#pool!.withChannel(command, async ({ channel }) => {
        const stderr = textOf(channel.stderr);
        channel.end();
        await pipeline(channel, sink);
        return stderr();
      }),
  };

  /** Runs `command` on the machine (with `input` on its stdin) and returns its stdout. */
  async #capture(command: string, input?: string): Promise<string> {
    return (await this.#pool!.run(command, input)).text;
  }

  /** Ends a remote job's process group, through a channel of its own. */
  async #kill(dataDir: string): Promise<void> {
    try {
      await this.#pool!.run('sh -s', killScript(dataDir, this.#options.killGraceMs ?? 5000));
    } catch {
      // The connection is gone: so is the job's output channel, and the job ends as lost.
    }
  }
}

function finish(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(() => resolve()));
}

/**
 * Copies a job's output from the connection into its local file, pausing the connection while the
 * file is behind: a job that prints faster than the disk takes never fills the runner's memory.
 */
function forward(from: NodeJS.ReadableStream, to: WriteStream, onChunk: (chunk: Buffer) => void, filter?: (chunk: Buffer) => Buffer): void {
  from.on('data', (raw: Buffer) => {
    const chunk = filter ? filter(raw) : raw;
    if (chunk.length === 0) return;
    onChunk(chunk);
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
}
