import { EventEmitter } from 'node:events';
import type { ClientChannel } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { pacedFor } from '../../src/executors/ssh/paced-send.js';

/** A channel as ssh2 keeps it: its window toward the machine, lowered by what is sent. */
function fakeChannel(window?: number) {
  const channel = new EventEmitter() as EventEmitter & { outgoing: { window?: number } };
  channel.outgoing = window === undefined ? {} : { window };
  return channel;
}

const chunks = (count: number, size: number) => Array.from({ length: count }, () => Buffer.alloc(size));

describe('pacedFor', () => {
  it('holds a chunk back while the limit is on the way and lets it go when the machine gives window back', async () => {
    const channel = fakeChannel(1000);
    const socket = new EventEmitter();
    const paced = pacedFor(channel as unknown as ClientChannel, socket, chunks(3, 100), 200);
    const passed: number[] = [];
    const send = async () => {
      for await (const chunk of paced) {
        passed.push((chunk as Buffer).length);
        channel.outgoing.window! -= 100; // what ssh2 does when it sends the chunk
      }
    };
    const sending = send();
    await new Promise((resolve) => setImmediate(resolve));
    expect(passed).toHaveLength(2);
    socket.emit('data', Buffer.alloc(1)); // bytes, but no window given back yet
    await new Promise((resolve) => setImmediate(resolve));
    expect(passed).toHaveLength(2);
    channel.outgoing.window! += 100;
    socket.emit('data', Buffer.alloc(1));
    await sending;
    expect(passed).toHaveLength(3);
    expect(socket.listenerCount('data')).toBe(0);
  });

  it('stops waiting when the channel closes', async () => {
    const channel = fakeChannel(1000);
    const socket = new EventEmitter();
    const passed: unknown[] = [];
    const sending = (async () => {
      for await (const chunk of pacedFor(channel as unknown as ClientChannel, socket, chunks(3, 100), 100)) {
        passed.push(chunk);
        channel.outgoing.window! -= 100;
      }
    })();
    await new Promise((resolve) => setImmediate(resolve));
    expect(passed).toHaveLength(1);
    channel.emit('close');
    await sending;
    expect(passed).toHaveLength(3);
  });

  it('passes every chunk at once where the channel shows no window', async () => {
    const passed: unknown[] = [];
    for await (const chunk of pacedFor(fakeChannel() as unknown as ClientChannel, new EventEmitter(), chunks(5, 100), 1)) passed.push(chunk);
    expect(passed).toHaveLength(5);
  });
});
