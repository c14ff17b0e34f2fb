import type { BatchResult, JobResult, MachineTransfers, SearchResult } from '../../src/index.js';
import { paramsText, renderFront } from '../render/front.js';
import { formatDuration, formatNumber, type Style } from '../style.js';

function exitText(job: JobResult): string {
  return job.signal ? `signal ${job.signal}` : `exit code ${job.exitCode}`;
}

/** `[ 3/10] failed lr=0.1 2.0s (exit code 1)`. */
export function jobLine(job: JobResult, done: number, toRun: number, style: Style): string {
  const width = String(toRun).length;
  const status =
    job.status === 'succeed' ? style.green('succeed') : job.status === 'killed' || job.status === 'pruned' ? style.yellow(job.status) : style.red('failed');
  const detail = job.status === 'succeed' ? '' : ` (${job.reason ?? exitText(job)})`;
  return `[${String(done).padStart(width)}/${toRun}] ${status} ${job.name} ${style.dim(formatDuration(job.durationMs ?? 0))}${detail}`;
}

/** How a run ended, for people: the counts, then the jobs that did not succeed (ten at most). */
export function summaryText(result: BatchResult, style: Style): string {
  const c = result.counts;
  const word = result.status === 'succeed' ? style.green('succeeded') : result.status === 'interrupted' ? style.yellow('interrupted') : style.red('failed');
  const lines = [
    `batch ${style.bold(result.name)} ${word}: ${c.succeed} succeed (${c.skipped} skipped), ${c.failed} failed, ${c.killed} killed${c.pruned ? `, ${c.pruned} pruned` : ''}${c.init ? `, ${c.init} not started` : ''} in ${formatDuration(result.durationMs)}`,
  ];
  if (c.pruned > 0) lines.push(prunedLine(result));
  if (result.search) lines.push(...searchLines(result.search, style));
  for (const machine of result.transfers ?? []) lines.push(transferLine(machine));
  const bad = result.jobs.filter((j) => j.status === 'failed' || j.status === 'killed');
  for (const job of bad.slice(0, 10)) lines.push(`  ${job.status} ${job.name}: ${job.reason ?? exitText(job)} · ${style.dim(job.stderrPath)}`);
  if (bad.length > 10) lines.push(`  … and ${bad.length - 10} more`);
  return `${lines.join('\n')}\n`;
}

/**
 * `pruned 5 jobs early, saving about 3m10s of job time`: what the pruned jobs would have run on,
 * taken as the median duration of the jobs that ran to their end in this run.
 */
function prunedLine(result: BatchResult): string {
  const pruned = result.jobs.filter((j) => j.status === 'pruned');
  const full = result.jobs
    .filter((j) => j.status === 'succeed' && !j.skipped && j.durationMs !== undefined)
    .map((j) => j.durationMs!)
    .sort((a, b) => a - b);
  const count = `pruned ${pruned.length} job${pruned.length === 1 ? '' : 's'} early`;
  if (full.length === 0) return count;
  const typical = full[Math.floor(full.length / 2)]!;
  const saved = pruned.reduce((sum, j) => sum + Math.max(0, typical - (j.durationMs ?? 0)), 0);
  return `${count}, saving about ${formatDuration(saved)} of job time`;
}

/** `gpu1: upload 12.3 MB in 1.2s · outputs 8 files, 3.1 MB in 0.4s`. */
function transferLine({ host, upload, outputs }: MachineTransfers): string {
  const parts = [
    ...(upload ? [upload.sent ? `upload ${megabytes(upload.bytes)} in ${formatDuration(upload.ms)}` : `upload there already (${upload.ms} ms)`] : []),
    ...(outputs
      ? [
          `outputs ${outputs.files} file${outputs.files === 1 ? '' : 's'}, ${megabytes(outputs.bytes)} in ${formatDuration(outputs.ms)}${
            outputs.skipped ? `, ${outputs.skipped} skipped (not regular files: see the jobs' stderr)` : ''
          }`,
        ]
      : []),
  ];
  return `${host}: ${parts.join(' · ')}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** `search (tpe): 50 trials; stopped: max_trials reached (50)` and the best trial with its params. */
function searchLines(search: SearchResult, style: Style): string[] {
  const lines = [`search (${search.algorithm}): ${search.trials} trial${search.trials === 1 ? '' : 's'}; stopped: ${search.stoppedBecause}`];
  if (search.best)
    lines.push(
      `best: trial ${search.best.trial}, ${search.metric} = ${style.bold(formatNumber(search.best.value))} (${search.goal}) · ${paramsText(search.best.params)}`,
    );
  else if (search.metric) lines.push(`best: no trial reported ${search.metric} yet`);
  if (search.objectives && search.front) lines.push(...renderFront(search.objectives, search.front).trimEnd().split('\n'));
  return lines;
}

/** The `--json` document of a run. */
export function summaryJson(result: BatchResult): unknown {
  return {
    name: result.name,
    status: result.status,
    dataDir: result.dataDir,
    counts: result.counts,
    startedAt: new Date(result.startedAt).toISOString(),
    durationMs: result.durationMs,
    ...(result.search ? { search: result.search } : {}),
    ...(result.transfers ? { transfers: result.transfers } : {}),
    jobs: result.jobs.map((j) => ({
      name: j.name,
      status: j.status,
      exitCode: j.exitCode,
      signal: j.signal,
      skipped: j.skipped,
      ...(j.reason ? { reason: j.reason } : {}),
      ...(j.host ? { host: j.host } : {}),
      ...(j.startedAt !== undefined ? { startedAt: new Date(j.startedAt).toISOString() } : {}),
      ...(j.durationMs !== undefined ? { durationMs: j.durationMs } : {}),
      params: j.params,
      dataDir: j.dataDir,
    })),
  };
}
