/** The least time between two drawings of the page while events stream in. */
const drawEveryMs = 1000;

/**
 * Draws the page again soon, at most once in {@link drawEveryMs} however many events come: the
 * curves alone when only a history came, everything otherwise.
 */
export class Redraw {
  readonly #all: () => void;
  readonly #curves: () => void;
  #timer: number | undefined;
  #last = 0;
  #curvesOnly = true;

  constructor(all: () => void, curves: () => void) {
    this.#all = all;
    this.#curves = curves;
  }

  soon(what: 'all' | 'curves' = 'all'): void {
    if (what === 'all') this.#curvesOnly = false;
    if (this.#timer !== undefined) return;
    this.#timer = window.setTimeout(
      () => {
        this.#timer = undefined;
        this.#last = performance.now();
        if (this.#curvesOnly) this.#curves();
        else this.#all();
        this.#curvesOnly = true;
      },
      Math.max(0, this.#last + drawEveryMs - performance.now()),
    );
  }
}
