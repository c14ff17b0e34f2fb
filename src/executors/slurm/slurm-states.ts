/** Slurm job states after which a job runs no more. */
const ended = new Set([
  'COMPLETED',
  'FAILED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'CANCELLED',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'REVOKED',
  'SPECIAL_EXIT',
]);

/** States where the job never got to run its command because a machine failed: worth a retry. */
const lost = new Set(['NODE_FAIL', 'BOOT_FAIL', 'PREEMPTED']);

/** True once a job in `state` runs no more. */
export function isEnded(state: string): boolean {
  return ended.has(state);
}

/** True when `state` says the node, not the job, failed. */
export function isLost(state: string): boolean {
  return lost.has(state);
}

/** Reads `squeue --format=%i|%T|%r` lines: task id → state (and why, for pending ones). */
export function parseQueue(text: string): Map<string, { state: string; reason: string }> {
  const tasks = new Map<string, { state: string; reason: string }>();
  for (const line of text.split('\n')) {
    const [id, state, reason = ''] = line.trim().split('|');
    if (id && state) tasks.set(id, { state, reason });
  }
  return tasks;
}
