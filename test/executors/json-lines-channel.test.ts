import { describe, expect, it } from 'vitest';
import { JsonLinesChannel } from '../../src/executors/json-lines-channel.js';

const echo = (maxLineBytes = 1024) => new JsonLinesChannel('/bin/sh', ['-c', 'exec cat'], { stderr: 'ignore', maxLineBytes });

describe('a JSON-lines channel to a child', () => {
  it('writes each message as one JSON line and reads the answers one at a time, then the end', async () => {
    const channel = echo();
    channel.send({ ask: 1 });
    channel.send(['é', 2]);
    expect(await channel.next()).toEqual({ line: '{"ask":1}' });
    expect(await channel.next()).toEqual({ line: '["é",2]' });
    channel.endInput();
    expect(await channel.next()).toBe('ended');
    expect(await channel.next()).toBe('ended');
    expect(await channel.exited).toBe('it exited with code 0');
  });

  it('hands what was read before listen() first, then each answer as it comes', async () => {
    const channel = echo();
    channel.send(1);
    channel.send(2);
    expect(await channel.next()).toEqual({ line: '1' });
    // A moment for the second answer to be read before anyone listens (it is handed over either way).
    await new Promise((resolve) => setTimeout(resolve, 100));
    const seen: unknown[] = [];
    const ended = new Promise<void>((resolve) =>
      channel.listen((incoming) => {
        seen.push(incoming);
        if (incoming === 'ended') resolve();
      }),
    );
    channel.send(3);
    channel.endInput();
    await ended;
    expect(seen).toEqual([{ line: '2' }, { line: '3' }, 'ended']);
  });

  it('drops a line over the limit as it comes and reads it as `too long`, keeping the lines after it', async () => {
    const channel = echo(16);
    channel.send('x'.repeat(100_000));
    channel.send('short');
    expect(await channel.next()).toBe('too long');
    expect(await channel.next()).toEqual({ line: '"short"' });
    channel.endInput();
    expect(await channel.next()).toBe('ended');
  });

  it('says why a child that could not start ended, and drops what is sent to it', async () => {
    const channel = new JsonLinesChannel('/nonexistent/program', [], { stderr: 'ignore', maxLineBytes: 16 });
    channel.send({ ask: 1 });
    expect(await channel.exited).toMatch(/^it could not start \(spawn \/nonexistent\/program ENOENT\)$/);
    await channel.closed;
  });
});
