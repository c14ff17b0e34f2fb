import { api } from './api.js';
import { byId } from './dom.js';

/** How much of a log one request reads. */
const chunkBytes = 262_144;

/** The log pane: the selected job's stdout or stderr, followed while the job runs. */
export class LogView {
  #name: string | null = null;
  #offset = 0;
  #timer: number | undefined;

  /** Shows `name`'s log from its start and follows it. */
  show(name: string): void {
    this.#name = name;
    this.#offset = 0;
    byId('log-name').textContent = name;
    const log = byId('log');
    log.textContent = '';
    log.classList.remove('muted');
    clearTimeout(this.#timer);
    this.#follow();
  }

  #follow(): void {
    const name = this.#name;
    if (name === null) return;
    const stream = byId<HTMLInputElement>('stderr').checked ? 'stderr' : 'stdout';
    api(`jobs/${encodeURIComponent(name)}/logs/${stream}?offset=${this.#offset}&length=${chunkBytes}`)
      .then(async (response) => {
        const status = response.headers.get('x-job-status');
        const chunk = await response.text();
        if (name !== this.#name) return;
        this.#offset += new TextEncoder().encode(chunk).length;
        const log = byId('log');
        const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
        log.textContent += chunk;
        if (atEnd) log.scrollTop = log.scrollHeight;
        if (status === 'running' || status === 'init' || chunk.length > 0) this.#timer = window.setTimeout(() => this.#follow(), 1000);
      })
      .catch(() => {
        this.#timer = window.setTimeout(() => this.#follow(), 2000);
      });
  }
}
