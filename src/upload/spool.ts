import { EventEmitter, once } from 'node:events';
import { type FileHandle, open, unlink } from 'node:fs/promises';

/** How much a reader takes at a time: a channel sends one packet per write, so few large writes beat many small ones. */
const readBytes = 256 * 1024;

/**
 * Bytes written once to a file and read by any number of readers, each from the start and at its
 * own pace, while the writing goes on: one machine's upload need not wait for the whole archive,
 * and the tree is packed once however many machines it goes to. The file is unlinked as soon as it
 * is open, so nothing is left behind however the process ends; memory stays flat.
 */
export class Spool {
  readonly #file: Promise<FileHandle>;
  readonly #changed = new EventEmitter();
  #written = 0;
  #done = false;
  #failure: Error | undefined;

  constructor(path: string, source: AsyncIterable<unknown>) {
    // Created anew (never an existing file or link) and readable by this user alone.
    this.#file = open(path, 'wx+', 0o600).then(async (file) => {
      await unlink(path);
      return file;
    });
    this.#changed.setMaxListeners(0);
    void this.#fill(source);
  }

  async #fill(source: AsyncIterable<unknown>): Promise<void> {
    try {
      const file = await this.#file;
      for await (const chunk of source) {
        const bytes = chunk as Uint8Array;
        await file.write(bytes, 0, bytes.length, this.#written);
        this.#written += bytes.length;
        this.#changed.emit('change');
      }
      this.#done = true;
    } catch (error) {
      this.#failure = error as Error;
    }
    this.#changed.emit('change');
  }

  /** The bytes from the start, as they are written (`onRead` hears how many so far); throws what the writing met. */
  async *read(onRead?: (bytes: number) => void): AsyncGenerator<Buffer> {
    const file = await this.#file;
    let offset = 0;
    for (;;) {
      if (this.#failure) throw this.#failure;
      if (offset < this.#written) {
        const buffer = Buffer.allocUnsafe(Math.min(readBytes, this.#written - offset));
        const { bytesRead } = await file.read(buffer, 0, buffer.length, offset);
        offset += bytesRead;
        onRead?.(offset);
        yield buffer.subarray(0, bytesRead);
      } else if (this.#done) return;
      else await once(this.#changed, 'change');
    }
  }

  /** Closes the file (its space is freed then); call once no reader needs it. */
  async close(): Promise<void> {
    await (await this.#file.catch(() => undefined))?.close();
  }
}
