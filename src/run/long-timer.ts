/** The longest delay `setTimeout` takes; past it, Node fires at once. */
const maxDelayMs = 2 ** 31 - 1;

/** Calls `fire` after `ms`, however long (a job's timeout may be weeks); returns the cancel function. */
export function startLongTimer(ms: number, fire: () => void): () => void {
  let timer: NodeJS.Timeout;
  const wait = (left: number) => {
    timer = setTimeout(() => (left > maxDelayMs ? wait(left - maxDelayMs) : fire()), Math.min(left, maxDelayMs));
  };
  wait(ms);
  return () => clearTimeout(timer);
}
