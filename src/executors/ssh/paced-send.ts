import type { EventEmitter } from 'node:events';
import type { ClientChannel } from 'ssh2';

/*
 * Sending a large stream into a command on a machine, no faster than the command takes it.
 */

/**
 * Most bytes on their way to a machine's command that it has not yet taken. OpenSSH's sshd keeps
 * what arrives ahead of the command in a buffer that it compacts by copying, so a sender that fills
 * the channel's whole window (2 MB) makes sshd spend its CPU moving memory: three 56 MB streams to
 * three sshd on one 2-core machine took 2.4–2.7 s with the window full and 1.0–1.1 s with at most
 * 256 KB on the way.
 */
export const inFlightLimit = 256 * 1024;

/** What ssh2 keeps of a channel's window toward the machine (not in its types): bytes it may still send. */
function windowOf(channel: ClientChannel): number | undefined {
  const window = (channel.outgoing as { window?: unknown } | undefined)?.window;
  return typeof window === 'number' ? window : undefined;
}

/**
 * Passes `source`'s chunks on for `channel`, each once fewer than `limit` bytes sent on it are
 * still untaken by the command (the window the machine has not yet given back). The machine's
 * window adjustments arrive as bytes on `incoming` (the connection's socket), so each wait ends at
 * the next bytes from the machine or when the channel closes. Without a window to read, chunks
 * pass at once.
 */
export async function* pacedFor(
  channel: ClientChannel,
  incoming: EventEmitter,
  source: AsyncIterable<unknown> | Iterable<unknown>,
  limit = inFlightLimit,
): AsyncGenerator<unknown> {
  const initial = windowOf(channel);
  let closed = false;
  channel.once('close', () => (closed = true));
  for await (const chunk of source) {
    while (initial !== undefined && !closed && initial - (windowOf(channel) ?? initial) >= limit) await nextBytesOrClose(channel, incoming);
    yield chunk;
  }
}

/** Resolves at the next bytes from the machine or when the channel closes. */
function nextBytesOrClose(channel: ClientChannel, incoming: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      incoming.off('data', done);
      channel.off('close', done);
      resolve();
    };
    incoming.on('data', done);
    channel.on('close', done);
  });
}
