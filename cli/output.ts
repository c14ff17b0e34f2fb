const closed = new WeakSet<NodeJS.WritableStream>();
const guarded = new WeakSet<NodeJS.WritableStream>();

/**
 * Keeps a closed stdout or stderr (a pipe whose reader went away, as in `hyperctl run | head`) from
 * ending the CLI with a stack: what would be written to it from then on is dropped, and the command
 * goes on (a run keeps running and recording its jobs) or stops early where its output is all it
 * does (see {@link isClosed}).
 */
export function guardOutput(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    if (guarded.has(stream)) continue;
    guarded.add(stream);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      closed.add(stream);
      // Only a stream that can no longer be written is expected here; anything else is still dropped, not thrown.
      if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED' && stream !== process.stderr && !closed.has(process.stderr)) {
        process.stderr.write(`hyperctl: cannot write output: ${error.message}\n`);
      }
    });
  }
}

/** True once `stream` was found closed: a command that only prints may stop. */
export function isClosed(stream: NodeJS.WritableStream = process.stdout): boolean {
  return closed.has(stream);
}

/**
 * Writes `data` to stdout and waits while the reader is behind, so that printing a huge log holds
 * one chunk in memory, not the whole log. Resolves false once stdout is closed.
 */
export async function writeOut(data: Uint8Array | string, stream: NodeJS.WriteStream = process.stdout): Promise<boolean> {
  if (closed.has(stream)) return false;
  if (!stream.write(data)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        stream.off('drain', done).off('error', done).off('close', done);
        resolve();
      };
      stream.on('drain', done).on('error', done).on('close', done);
    });
  }
  return !closed.has(stream);
}
