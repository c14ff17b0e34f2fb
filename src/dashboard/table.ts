import type { JobInfo } from '../daemon/protocol.js';
import { duration, el, replace, text } from './dom.js';
import { fieldOf, model } from './model.js';

/*
 * The job table, drawn a window at a time: of 10,000 rows only those in view (and a few around)
 * are in the document; a sizer keeps the scroll bar true to the whole.
 */

/** Rows drawn beyond each edge of the view, so a short scroll shows no gap. */
const overscan = 10;

export class JobTable {
  readonly #scroll: HTMLElement;
  readonly #sizer: HTMLElement;
  readonly #table: HTMLTableElement;
  #rows: readonly JobInfo[] = [];
  #columns: readonly string[] = [];
  /** A row's height, measured once a row is drawn. */
  #rowHeight = 30;
  readonly #drawn = new Map<string, HTMLTableRowElement>();
  #frame = 0;

  constructor(scroll: HTMLElement, sizer: HTMLElement, table: HTMLTableElement) {
    this.#scroll = scroll;
    this.#sizer = sizer;
    this.#table = table;
    scroll.addEventListener('scroll', () => {
      if (!this.#frame)
        this.#frame = requestAnimationFrame(() => {
          this.#frame = 0;
          this.#drawWindow();
        });
    });
  }

  /** Shows `rows` in this order under `columns`. */
  show(rows: readonly JobInfo[], columns: readonly string[]): void {
    this.#rows = rows;
    if (columns.join('\0') !== this.#columns.join('\0')) {
      this.#columns = columns;
      replace(this.#table.tHead!, [
        el('tr', {}, [
          ...columns.map((key) => el('th', { 'data-key': key, text: key + (key === model.sortKey ? (model.sortDesc ? ' ▼' : ' ▲') : '') })),
          el('th'),
        ]),
      ]);
    } else {
      for (const th of this.#table.tHead!.querySelectorAll<HTMLElement>('th[data-key]')) {
        const key = th.dataset.key!;
        th.textContent = key + (key === model.sortKey ? (model.sortDesc ? ' ▼' : ' ▲') : '');
      }
    }
    this.#drawWindow();
  }

  /** Draws a job's row anew, if it is in view. */
  patch(job: JobInfo): void {
    const current = this.#drawn.get(job.name);
    if (!current) return;
    const next = this.#row(job);
    current.replaceWith(next);
    this.#drawn.set(job.name, next);
  }

  /** Marks the selected job's row. */
  select(name: string | null): void {
    for (const [job, tr] of this.#drawn) tr.classList.toggle('selected', job === name);
  }

  #drawWindow(): void {
    const header = this.#table.tHead!.offsetHeight;
    const view = Math.max(this.#scroll.clientHeight, 400);
    const first = Math.max(0, Math.floor((this.#scroll.scrollTop - header) / this.#rowHeight) - overscan);
    const count = Math.ceil(view / this.#rowHeight) + 2 * overscan;
    const slice = this.#rows.slice(first, first + count);
    this.#drawn.clear();
    replace(
      this.#table.tBodies[0]!,
      slice.map((job) => this.#remember(job)),
    );
    this.#table.style.top = `${first * this.#rowHeight}px`;
    this.#sizer.style.height = `${header + this.#rows.length * this.#rowHeight}px`;
    const measured = this.#table.tBodies[0]!.rows[0]?.offsetHeight;
    if (measured && Math.abs(measured - this.#rowHeight) > 0.5) {
      this.#rowHeight = measured;
      this.#drawWindow();
    }
  }

  #remember(job: JobInfo): HTMLTableRowElement {
    const tr = this.#row(job);
    this.#drawn.set(job.name, tr);
    return tr;
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
    const kill = job.status === 'running' && model.batch?.readOnly !== true ? el('button', { class: 'kill', 'data-kill': job.name, text: 'kill' }) : null;
    return el('tr', { class: `job${job.name === model.selected ? ' selected' : ''}`, 'data-job': job.name }, [...cells, el('td', {}, [kill])]);
  }
}
