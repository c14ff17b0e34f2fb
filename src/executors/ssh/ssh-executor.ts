import { createWriteStream, type WriteStream } from 'node:fs';
import { posix } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, ClientChannel } from 'ssh2';
import type { RemoteMachineConfig } from '../../batch/types.js';
import { withOverride, type Capacity } from '../capacity.js';
import { capacityProbe, parseCapacity } from '../capacity-probe.js';
import { exited, killedExit, lostExit } from '../job-exit.js';
import type { Executor, ExecutorHealth, JobExit, JobLaunch } from '../executor.js';
import { openConnection, type HostKeyPolicy } from './connect.js';
import { resolveMachine, type ResolvedMachine } from './machine.js';
import { jobScript, killScript } from './remote-script.js';

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
}

interface Connection {
  readonly client: Client;
  /** Channels open, or being opened. */
  channels: number;
  /** Channels the server has accepted and not yet closed. */
  accepted: number;
  /** Channels this connection takes at once; lowered when the server refuses one (`MaxSessions`). */
  limit: number;
}

/** Waits between reconnection attempts after a connection was lost; then the machine is gone. */
const reconnectDelaysMs = [250, 500, 1000, 2000, 4000];

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
  readonly #policy: HostKeyPolicy;
  readonly #connections: Connection[] = [];
  #machine: ResolvedMachine | undefined;
  #remoteHome = '';
  #remoteBase = '';
  #health: ExecutorHealth = 'down';
  #closing = false;
  #reconnecting: Promise<void> | undefined;
  /** A connection being opened for want of room on the others: jobs wait for it rather than open more. */
  #extra: Promise<Connection> | undefined;

  constructor(options: SshExecutorOptions) {
    this.#options = options;
    this.host = options.machine.hostname;
    this.slots = options.slots ?? options.machine.slots ?? 1;
    this.#policy = { checking: options.hostKeyChecking ?? 'yes', knownHostsFile: options.knownHostsFile };
  }

  /** `up`, `down` while reconnecting, `gone` once reconnecting failed. */
  get health(): ExecutorHealth {
    return this.#health;
  }

  /** Connects, and finds where job folders go on the machine. */
  async open(): Promise<void> {
    this.#machine = await resolveMachine(this.#options.machine);
    await this.#connect();
    this.#remoteHome = (await this.#capture('printf %s "$HOME"')).trim();
    this.#remoteBase = this.#remotePath(this.#machine.dataDir, this.#remoteHome);
    this.#health = 'up';
  }

  /** The machine's CPUs, memory and GPUs, asked over the connection, with the configured overrides. */
  async capacity(): Promise<Capacity> {
    return withOverride(parseCapacity(await this.#capture(capacityProbe)), this.#options.machine.capacity);
  }

  /** Runs one job to its end; see {@link Executor.run}. */
  async run(job: JobLaunch, signal: AbortSignal): Promise<JobExit> {
    const machine = this.#machine!;
    const dataDir = posix.join(this.#remoteBase, job.batchName, job.name);
    const workingDir = job.workingDirAsWritten === undefined ? dataDir : this.#remotePath(job.workingDirAsWritten, dataDir);
    const env = {
      ...machine.environments,
      ...job.env,
      HYPERCTL_JOB_DATA_DIR: dataDir,
      HYPERCTL_JOB_WORKING_DIR: workingDir,
      HYPERCTL_JOB_PARAMS_FILE: posix.join(dataDir, 'params.json'),
    };
    let opened: { connection: Connection; channel: ClientChannel };
    try {
      opened = await this.#openChannel('sh -s');
    } catch (error) {
      return lostExit(`${this.host}: ${(error as Error).message}`);
    }
    const { connection, channel } = opened;
    const out = createWriteStream(job.stdoutPath);
    const err = createWriteStream(job.stderrPath);
    let exit: { code: number | null; signal: string | null } | undefined;
    let killing: Promise<void> | undefined;
    const onAbort = () => (killing ??= this.#kill(dataDir));
    try {
      channel.on(
        'exit',
        (code: number | null, sig?: string) => (exit = { code: code ?? null, signal: sig ? (sig.startsWith('SIG') ? sig : `SIG${sig}`) : null }),
      );
      forward(channel, out, (chunk) => job.onOutput?.('stdout', chunk));
      forward(channel.stderr, err, (chunk) => job.onOutput?.('stderr', chunk));
      const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
      channel.end(jobScript(job.command, { dataDir, workingDir }, JSON.stringify(job.params), env));
      signal.addEventListener('abort', onAbort, { once: true });
      job.onSpawn?.({});
      await closed;
      await killing;
    } finally {
      signal.removeEventListener('abort', onAbort);
      connection.channels--;
      await Promise.all([finish(out), finish(err)]);
    }
    if (killing) return killedExit(exit?.code ?? null, exit?.signal ?? null);
    if (!exit) return lostExit(`lost the connection to ${this.host} while the job ran`);
    return exited(exit.code, exit.signal);
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
    this.#closing = true;
    this.#health = 'gone';
    for (const { client } of this.#connections.splice(0)) client.end();
  }

  async #connect(): Promise<Connection> {
    const client = await openConnection(this.#machine!, this.#policy);
    const connection: Connection = { client, channels: 0, accepted: 0, limit: Number.POSITIVE_INFINITY };
    this.#connections.push(connection);
    client.on('error', () => undefined);
    client.on('close', () => {
      const index = this.#connections.indexOf(connection);
      if (index >= 0) this.#connections.splice(index, 1);
      if (this.#connections.length === 0 && !this.#closing) this.#reconnect();
    });
    return connection;
  }

  /** After the last connection dropped: try again with back-off; the machine is `gone` if it stays away. */
  #reconnect(): void {
    if (this.#reconnecting) return;
    this.#health = 'down';
    this.#reconnecting = (async () => {
      for (const delay of reconnectDelaysMs) {
        await sleep(delay);
        if (this.#closing) return;
        try {
          await this.#connect();
          this.#health = 'up';
          return;
        } catch {
          // try again after a longer wait
        }
      }
      this.#health = 'gone';
    })().finally(() => (this.#reconnecting = undefined));
  }

  /** An exec channel on a connection with room for it; a refused channel lowers that connection's limit. */
  async #openChannel(command: string): Promise<{ connection: Connection; channel: ClientChannel }> {
    let refusedBy: Connection | undefined;
    for (let attempt = 0; ; attempt++) {
      const connection = await this.#roomyConnection();
      connection.channels++;
      try {
        const channel = await new Promise<ClientChannel>((resolve, reject) =>
          connection.client.exec(command, (error, ch) => (error ? reject(error) : resolve(ch))),
        );
        connection.accepted++;
        channel.once('close', () => connection.accepted--);
        return { connection, channel };
      } catch (error) {
        connection.channels--;
        if (attempt >= 4 || !/open failure|open failed/i.test((error as Error).message)) throw error;
        // The server may still count a session that is closing: only a second refusal sets the limit.
        if (refusedBy === connection) connection.limit = Math.max(1, connection.accepted);
        else await sleep(50);
        refusedBy = connection;
      }
    }
  }

  /** A connection with room for one more channel; opens one more, once at a time, when none has. */
  async #roomyConnection(): Promise<Connection> {
    for (;;) {
      const roomy = this.#connections.find((c) => c.channels < c.limit);
      if (roomy) return roomy;
      if (!this.#extra) this.#extra = this.#connect().finally(() => (this.#extra = undefined));
      await this.#extra;
    }
  }

  /** Runs `command` on the machine and returns its stdout. */
  async #capture(command: string): Promise<string> {
    const { connection, channel } = await this.#openChannel(command);
    let text = '';
    channel.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    channel.stderr.resume();
    await new Promise<void>((resolve) => channel.once('close', () => resolve()));
    connection.channels--;
    return text;
  }

  /** Ends a remote job's process group, through a channel of its own. */
  async #kill(dataDir: string): Promise<void> {
    try {
      const { connection, channel } = await this.#openChannel('sh -s');
      channel.resume();
      channel.stderr.resume();
      const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
      channel.end(killScript(dataDir, this.#options.killGraceMs ?? 5000));
      await closed;
      connection.channels--;
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
function forward(from: NodeJS.ReadableStream, to: WriteStream, onChunk: (chunk: Buffer) => void): void {
  from.on('data', (chunk: Buffer) => {
    onChunk(chunk);
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
}
