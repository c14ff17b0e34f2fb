import { connect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AcceptConnection, Client, ClientChannel, RejectConnection } from 'ssh2';
import type { ProbeRun } from '../capacity-probe.js';
import type { ExecutorHealth } from '../executor.js';
import { type HostKeyPolicy, openConnection } from './connect.js';
import type { ResolvedMachine } from './machine.js';

/** One SSH connection to the machine and the channels it carries. */
interface Connection {
  readonly client: Client;
  /** Its socket, where the machine's bytes arrive. */
  readonly socket: Socket;
  /** Channels open, or being opened. */
  channels: number;
  /** Channels the server has accepted and not yet closed. */
  accepted: number;
  /** Channels this connection takes at once; lowered when the server refuses one (`MaxSessions`). */
  limit: number;
}

/** How a command on the machine ended: its exit code, or the signal that ended it. */
export interface ChannelExit {
  readonly code: number | null;
  readonly signal: string | null;
}

/** A channel running a command, with its end listened to from the moment it opened. */
export interface OpenChannel {
  readonly channel: ClientChannel;
  /** The socket of the connection it is on: what paced sends watch. */
  readonly socket: Socket;
  /** Resolves once the channel closed. */
  readonly closed: Promise<void>;
  /** How the command ended, once the machine said (undefined before, or when it never did). */
  readonly exit: () => ChannelExit | undefined;
}

/** Where the connections a machine's sshd forwards to this pool go: an address of this machine. */
export interface ForwardTarget {
  readonly host: string;
  readonly port: number;
}

/** A port the machine's sshd listens on (its loopback) for this pool, and the connection that asked for it. */
interface Forward {
  readonly target: ForwardTarget;
  port: number;
  on: Connection | undefined;
}

/** A channel could not be opened: the connection is gone, or the machine refused it. */
export class ChannelOpenError extends Error {}

/** Waits between reconnection attempts after a connection was lost; then the machine is gone. */
const reconnectDelaysMs = [250, 500, 1000, 2000, 4000];

/**
 * The SSH connections to one machine. Channels go on the first connection with room for them; a
 * second connection opens only past the server's session limit (`MaxSessions`), once at a time.
 * When the last connection drops it reconnects with back-off, telling `onHealth` that the machine
 * is `down`, then `up` again or `gone` for good.
 */
export class ConnectionPool {
  readonly #connections: Connection[] = [];
  readonly #machine: ResolvedMachine;
  readonly #policy: HostKeyPolicy;
  readonly #onHealth: (health: ExecutorHealth, reason: string) => void;
  #health: ExecutorHealth = 'down';
  #closing = false;
  #reconnecting: Promise<void> | undefined;
  /** A connection being opened for want of room on the others: channels wait for it rather than open more. */
  #extra: Promise<Connection> | undefined;
  #forward: Forward | undefined;

  constructor(machine: ResolvedMachine, policy: HostKeyPolicy, onHealth: (health: ExecutorHealth, reason: string) => void) {
    this.#machine = machine;
    this.#policy = policy;
    this.#onHealth = onHealth;
  }

  /** `up`, `down` while reconnecting, `gone` once reconnecting failed or the pool was closed. */
  get health(): ExecutorHealth {
    return this.#health;
  }

  /** Opens the first connection; rejects when the machine cannot be reached or refuses this client. */
  async open(): Promise<void> {
    await this.#connect();
    this.#health = 'up';
  }

  /**
   * Runs `use` with a channel running `command`; the channel's place on its connection is given
   * back when `use` ends, however it ends. Rejects with a {@link ChannelOpenError} when no
   * channel could be opened (then `use` is not called).
   */
  async withChannel<T>(command: string, use: (opened: OpenChannel) => Promise<T>): Promise<T> {
    const { connection, opened } = await this.#openChannel(command);
    try {
      return await use(opened);
    } finally {
      connection.channels--;
    }
  }

  /** Runs `command` on the machine (with `input` on its stdin): its stdout, exit code and stderr. */
  run(command: string, input?: string): Promise<ProbeRun> {
    return this.withChannel(command, async ({ channel, closed, exit }) => {
      const stdout = textOf(channel);
      const stderr = textOf(channel.stderr);
      if (input !== undefined) channel.end(input);
      await closed;
      return { text: stdout(), code: exit()?.code ?? null, signal: exit()?.signal ?? null, said: stderr() };
    });
  }

  /**
   * Has the machine's sshd listen on its own loopback, on a port it chooses, and send each
   * connection made there to `target` through this pool (what `ssh -R` does). The forward lives
   * on one connection: when that one is lost, it is asked for again on the connection that
   * replaces it, on the same port, so jobs that were given the port reach the target again.
   * Resolves with the port; rejects when the server refuses (`AllowTcpForwarding no`).
   */
  async forwardTo(target: ForwardTarget): Promise<number> {
    const connection = this.#connections[0];
    if (!connection) throw new Error('the connection was closed');
    const port = await forwardOn(connection.client, 0);
    this.#forward = { target, port, on: connection };
    return port;
  }

  /** The port the machine listens on for {@link ConnectionPool.forwardTo}'s target (the last one it had while it is asked for again). */
  get forwardedPort(): number | undefined {
    return this.#forward?.port;
  }

  /** Closes every connection. */
  close(): void {
    this.#closing = true;
    this.#health = 'gone';
    for (const { client } of this.#connections.splice(0)) client.end();
  }

  async #connect(): Promise<Connection> {
    const { client, socket } = await openConnection(this.#machine, this.#policy);
    const connection: Connection = { client, socket, channels: 0, accepted: 0, limit: Number.POSITIVE_INFINITY };
    this.#connections.push(connection);
    client.on('error', () => undefined);
    client.on('tcp connection', (_info, accept, reject) => this.#forwarded(accept, reject));
    client.on('close', () => {
      const index = this.#connections.indexOf(connection);
      if (index >= 0) this.#connections.splice(index, 1);
      if (this.#forward?.on === connection) this.#forward.on = undefined;
      if (this.#closing) return;
      if (this.#connections.length === 0) this.#reconnect();
      else void this.#restoreForward();
    });
    return connection;
  }

  /** A connection the machine's sshd forwarded: joined to the target, or refused when the target cannot be reached. */
  #forwarded(accept: AcceptConnection<ClientChannel>, reject: RejectConnection): void {
    const target = this.#forward?.target;
    if (!target) {
      reject();
      return;
    }
    const socket = connect(target.port, target.host);
    socket.once('error', () => reject());
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      const channel = accept();
      socket.pipe(channel).pipe(socket);
      // Either side ending or failing ends both: nothing is left half open.
      const end = () => {
        socket.destroy();
        channel.destroy();
      };
      socket.on('error', end).on('close', end);
      channel.on('error', end).on('close', end);
    });
  }

  /**
   * Asks for the forward again on a connection that is open, once the one that held it was lost:
   * on the same port where the machine lets it go, else on a new one (jobs started from then on
   * are given it). A machine that refuses is left without it until its next connection.
   */
  async #restoreForward(): Promise<void> {
    const forward = this.#forward;
    const connection = this.#connections[0];
    if (!forward || forward.on || !connection) return;
    forward.on = connection;
    try {
      forward.port = await forwardOn(connection.client, forward.port).catch(() => forwardOn(connection.client, 0));
    } catch {
      if (forward.on === connection) forward.on = undefined;
    }
  }

  /** After the last connection dropped: try again with back-off; the machine is `gone` if it stays away. */
  #reconnect(): void {
    if (this.#reconnecting) return;
    this.#setHealth('down', 'its connection was lost (reconnecting)');
    this.#reconnecting = (async () => {
      let last = '';
      for (const delay of reconnectDelaysMs) {
        await sleep(delay);
        if (this.#closing) return;
        try {
          await this.#connect();
          await this.#restoreForward();
          this.#setHealth('up', 'reconnected');
          return;
        } catch (error) {
          last = (error as Error).message;
        }
      }
      const waited = reconnectDelaysMs.reduce((a, b) => a + b, 0) / 1000;
      this.#setHealth('gone', `it could not be reached again in ${reconnectDelaysMs.length} attempts over ${waited} s: ${last}`);
    })().finally(() => (this.#reconnecting = undefined));
  }

  #setHealth(health: ExecutorHealth, reason: string): void {
    this.#health = health;
    if (!this.#closing) this.#onHealth(health, reason);
  }

  /** An exec channel on a connection with room for it; a refused channel lowers that connection's limit. */
  async #openChannel(command: string): Promise<{ connection: Connection; opened: OpenChannel }> {
    let refusedBy: Connection | undefined;
    for (let attempt = 0; ; attempt++) {
      let connection: Connection;
      try {
        connection = await this.#roomyConnection();
      } catch (error) {
        throw new ChannelOpenError((error as Error).message, { cause: error });
      }
      connection.channels++;
      try {
        const opened = await new Promise<OpenChannel>((resolve, reject) =>
          connection.client.exec(command, (error, channel) => {
            if (error) return reject(error);
            // Listened to here, in the same turn: a quick command's exit status and close can come
            // in the very data that answers the exec, before any await after it would listen.
            let status: ChannelExit | undefined;
            channel.on('exit', (code: number | null, sig?: string) => (status = { code: code ?? null, signal: signalName(sig) }));
            const closed = new Promise<void>((done) => channel.once('close', () => done()));
            resolve({ channel, socket: connection.socket, closed, exit: () => status });
          }),
        );
        connection.accepted++;
        void opened.closed.then(() => connection.accepted--);
        return { connection, opened };
      } catch (error) {
        connection.channels--;
        if (attempt >= 4 || !/open failure|open failed/i.test((error as Error).message)) throw new ChannelOpenError((error as Error).message, { cause: error });
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
      if (this.#closing) throw new Error('the connection was closed');
      if (!this.#extra) this.#extra = this.#connect().finally(() => (this.#extra = undefined));
      await this.#extra;
    }
  }
}

/** Asks the server to listen on its loopback at `port` (0: one it chooses) and forward to the client; resolves with the port. */
function forwardOn(client: Client, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    try {
      client.forwardIn('127.0.0.1', port, (error, bound) => (error ? reject(error) : resolve(bound)));
    } catch (error) {
      // Not connected any more.
      reject(error);
    }
  });
}

/** A signal as SSH names it (`KILL`), as Node does (`SIGKILL`). */
function signalName(sig: string | undefined): string | null {
  return sig ? (sig.startsWith('SIG') ? sig : `SIG${sig}`) : null;
}

/** Collects what `stream` says as text, decoded whole: a character split between two chunks stays whole. */
export function textOf(stream: NodeJS.ReadableStream): () => string {
  const decoder = new StringDecoder('utf8');
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += decoder.write(chunk)));
  return () => text + decoder.end();
}
