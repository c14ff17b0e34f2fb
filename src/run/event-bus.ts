import type { BatchEvent } from './events.js';

/**
 * A run's events, to its subscribers (the daemon, views) and to the caller's `onEvent`. A caller's
 * listener that throws is told to `onListenerError` once and called no more: the run ends with
 * its error; subscribers of the run's own are the run's, and do not throw.
 */
export class EventBus {
  readonly #listeners = new Set<(event: BatchEvent) => void>();
  readonly #onEvent: ((event: BatchEvent) => void) | undefined;
  readonly #onListenerError: (error: unknown) => void;
  #failed = false;

  constructor(onEvent: ((event: BatchEvent) => void) | undefined, onListenerError: (error: unknown) => void) {
    this.#onEvent = onEvent;
    this.#onListenerError = onListenerError;
  }

  subscribe(listener: (event: BatchEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: BatchEvent): void {
    for (const listener of this.#listeners) listener(event);
    if (!this.#onEvent || this.#failed) return;
    try {
      this.#onEvent(event);
    } catch (error) {
      this.#failed = true;
      this.#onListenerError(error);
    }
  }
}
