import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EventStream } from '../../src/daemon/event-stream.js';

/** A client that reads nothing until `read()`, then everything: a socket to a stalled dashboard. */
function slowClient() {
  const chunks: string[] = [];
  let release: (() => void) | undefined;
  const held: (() => void)[] = [];
  const out = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      if (release) done();
      else held.push(done);
    },
  });
  return {
    out,
    events: () => chunks.join('').split('\n\n').filter(Boolean),
    read: () => {
      release = () => undefined;
      for (const done of held.splice(0)) done();
    },
  };
}

describe('server-sent events to a slow client', () => {
  it('keep the latest metrics per job while it is behind, and send them once it catches up', async () => {
    const client = slowClient();
    const stream = new EventStream(client.out);
    const values = 'x'.repeat(1000);
    // 10,000 reports of 10 jobs: 10 MB were it all buffered.
    for (let i = 0; i < 10_000; i++) stream.sendMetrics(`j${i % 10}`, { job: `j${i % 10}`, step: i, values });
    expect(client.out.writableLength).toBeLessThan(1.1 * 1024 * 1024);
    stream.send('job:exit', { job: 'j0' });
    client.read();
    await new Promise((resolve) => setImmediate(resolve));
    const events = client.events();
    // Every job's last report came, after the ones sent before the client fell behind.
    for (let j = 0; j < 10; j++) expect(events.some((e) => e.includes(`"job":"j${j}","step":${9990 + j},`))).toBe(true);
    expect(events.length).toBeLessThan(2000);
    expect(events.some((e) => e.startsWith('event: job:exit'))).toBe(true);
  });

  it('end a client far behind instead of buffering for it without end', () => {
    const client = slowClient();
    const stream = new EventStream(client.out);
    const big = 'y'.repeat(64 * 1024);
    for (let i = 0; i < 400; i++) stream.send('job:exit', { job: `j${i}`, big });
    expect(client.out.writableEnded).toBe(true);
    expect(client.out.writableLength).toBeLessThan(17 * 1024 * 1024);
  });
});
