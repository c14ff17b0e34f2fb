import { byId, duration, el, replace } from './dom.js';
import { model } from './model.js';
import { statusColor, statuses } from './theme.js';

/** The batch's title, progress bar, counts and pause button, from the model. */
export function renderSummary(): void {
  const { batch } = model;
  if (!batch) return;
  const c = batch.counts;
  const done = c.succeed + c.failed + c.killed + c.pruned;
  // A running search counts against the jobs its planned trials make, not those proposed so far.
  const planned = batch.status === 'running' ? Math.max(c.total, batch.search?.plannedJobs ?? c.total) : c.total;
  byId('title').textContent = `hyperctl · ${batch.name} · ${batch.status}`;
  byId('readonly').hidden = batch.readOnly !== true;
  // Pause and resume steer a running batch; a batch served from disk runs nothing.
  const paused = batch.pausedAt !== undefined;
  byId('paused').hidden = !paused;
  const pause = byId<HTMLButtonElement>('pause');
  pause.hidden = batch.status !== 'running' || batch.readOnly === true;
  pause.textContent = paused ? 'resume' : 'pause';
  pause.dataset.action = paused ? 'resume' : 'pause';
  replace(
    byId('bar'),
    statuses.map((status) => {
      if (!c[status]) return null;
      const span = el('span');
      span.style.width = `${(100 * c[status]) / planned}%`;
      span.style.background = statusColor(status);
      return span;
    }),
  );
  const percent = planned ? Math.round((100 * done) / planned) : 100;
  const eta =
    done > 0 && done < planned && batch.status === 'running' && batch.elapsedMs !== null
      ? ` · ETA ${duration((batch.elapsedMs / done) * (planned - done))}`
      : '';
  const search = batch.search;
  const trials = search ? ` · ${search.proposed}${search.planned !== null ? `/${search.planned}` : ''} trials` : '';
  const progress = byId('progress');
  progress.textContent = `${percent}% · ${done}/${planned} done${trials} · ${duration(batch.elapsedMs)}${eta}`;
  progress.dataset.percent = String(percent);
  replace(
    byId('counts'),
    statuses.map((status) => el('span', { class: `st-${status}`, text: `${c[status]} ${status}` })),
  );
}
