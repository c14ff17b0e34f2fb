/**
 * Synchronous file work in short slices. Reading thousands of small files one promise each spends
 * most of its time in the thread pool's hand-offs; read synchronously they cost a few microseconds
 * each. Between slices the event loop gets its turn, so a run's connections and server stay live.
 */
export class TimeSlices {
  readonly #sliceMs: number;
  #since = performance.now();

  constructor(sliceMs = 8) {
    this.#sliceMs = sliceMs;
  }

  /** Lets the event loop run if this slice has lasted its time. */
  async breathe(): Promise<void> {
    if (performance.now() - this.#since < this.#sliceMs) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.#since = performance.now();
  }
}
