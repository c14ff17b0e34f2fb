import type { JobInfo } from '../wire/protocol.js';
import { duration, el, replace, text } from './dom.js';
import { fieldOf, model } from './model.js';

/*
 * The job table, drawn a window at a time: of 10,000 rows only those in view (and a few around)
 * are in the document; a sizer keeps the scroll bar true to the whole.
 */

/** Rows drawn beyond each edge of the view, so a short scroll shows no gap. */
const overscan = 10;

export class JobTable {
  readonly #sizer: HTMLElement;
  readonly #table: HTMLTableElement;
  #rows: readonly JobInfo[] = [];
  #columns: readonly string[] = [];
  #sortMark = '';
  /** A row's and the header's height, measured once rows are drawn under new columns. */
  #rowHeight = 30;
  #headerHeight = 30;
  #measured = false;
  /** The scroll position and the view's height, as last told by the browser (reading them would force a layout). */
  #scrollTop = 0;
  #viewHeight = 400;
  /** The rows drawn, with the state each was drawn from: a job whose state is the same object keeps its row. */
  #drawn = new Map<string, { readonly job: JobInfo; readonly tr: HTMLTableRowElement }>();
  #frame = 0;

  constructor(scroll: HTMLElement, sizer: HTMLElement, table: HTMLTableElement) {
    this.#sizer = sizer;
    this.#table = table;
    scroll.addEventListener('scroll', () => {
      this.#scrollTop = scroll.scrollTop;
      if (!this.#frame)
        this.#frame = requestAnimationFrame(() => {
          this.#frame = 0;
          this.#drawWindow();
        });
    });
    new ResizeObserver(() => {
      this.#viewHeight = scroll.clientHeight;
      this.#drawWindow();
    }).observe(scroll);
  }

  /** Shows `rows` in this order under `columns`. */
  show(rows: readonly JobInfo[], columns: readonly string[]): void {
    this.#rows = rows;
    const sortMark = `${model.sortKey}\0${model.sortDesc}`;
    if (columns.join('\0') !== this.#columns.join('\0') || sortMark !== this.#sortMark) {
      this.#columns = columns;
      this.#sortMark = sortMark;
      this.#drawn.clear();
      this.#measured = false;
      replace(this.#table.tHead!, [
        el('tr', {}, [
          ...columns.map((key) => el('th', { 'data-key': key, text: key + (key === model.sortKey ? (model.sortDesc ? ' ▼' : ' ▲') : '') })),
          el('th'),
        ]),
      ]);
    }
    this.#drawWindow();
  }

  /** Marks the selected job's row. */
  select(name: string | null): void {
    for (const [job, { tr }] of this.#drawn) tr.classList.toggle('selected', job === name);
  }

  #drawWindow(): void {
    const first = Math.max(0, Math.floor((this.#scrollTop - this.#headerHeight) / this.#rowHeight) - overscan);
    const count = Math.ceil(Math.max(this.#viewHeight, 400) / this.#rowHeight) + 2 * overscan;
    const slice = this.#rows.slice(first, first + count);
    const drawn = new Map<string, { job: JobInfo; tr: HTMLTableRowElement }>();
    let same = slice.length === this.#drawn.size;
    const names = [...this.#drawn.keys()];
    slice.forEach((job, i) => {
      const before = this.#drawn.get(job.name);
      if (names[i] !== job.name || before?.job !== job) same = false;
      drawn.set(job.name, before?.job === job ? before : { job, tr: this.#row(job) });
    });
    this.#drawn = drawn;
    if (!same)
      replace(
        this.#table.tBodies[0]!,
        [...drawn.values()].map(({ tr }) => tr),
      );
    this.#table.style.top = `${first * this.#rowHeight}px`;
    this.#sizer.style.height = `${this.#headerHeight + this.#rows.length * this.#rowHeight}px`;
    const row = this.#table.tBodies[0]!.rows[0];
    if (!this.#measured && row) {
      this.#measured = true;
      this.#headerHeight = this.#table.tHead!.offsetHeight;
      if (Math.abs(row.offsetHeight - this.#rowHeight) > 0.5) {
        this.#rowHeight = row.offsetHeight;
        this.#drawWindow();
      }
    }
  }

  #row(job: JobInfo): HTMLTableRowElement {
    const cells = this.#columns.map((key) => {
      const value = fieldOf(job, key);
      const shown = key === 'duration' ? duration(job.durationMs) : typeof value === 'number' ? String(+value.toPrecision(6)) : text(value);
      // A number cut to six digits keeps all of them in its tooltip.
      if (key !== 'status') return el('td', shown !== text(value) && key !== 'duration' ? { text: shown, title: text(value) } : { text: shown });
      // Why a job did not succeed (pruned, killed, failed), beside its status, as text.
      const why = job.status !== 'succeed' && job.reason ? el('small', { class: 'reason', text: job.reason }) : null;
      return el('td', { class: `st-${job.status}`, ...(job.reason ? { title: job.reason } : {}) }, [document.createTextNode(shown), why]);
    });
    // Served from disk, nothing runs: no kill buttons.
    // A running batch's own: none on one served from disk; a search's trials are not retried one by one.
    const live = model.batch?.status === 'running' && model.batch.readOnly !== true;
    const kill = live && job.status === 'running' ? el('button', { class: 'kill', 'data-kill': job.name, text: 'kill' }) : null;
    const retry =
      live && !model.batch?.search && (job.status === 'failed' || job.status === 'killed')
        ? el('button', { class: 'retry', 'data-retry': job.name, text: 'retry' })
        : null;
    return el('tr', { class: `job${job.name === model.selected ? ' selected' : ''}`, 'data-job': job.name }, [...cells, el('td', {}, [kill, retry])]);
  }
}
