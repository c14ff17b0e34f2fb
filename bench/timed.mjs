import { spawnSync } from 'node:child_process';

/** Runs a command to its end and returns its wall time in milliseconds; throws when it fails. */
export function timed(command, args, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: ['pipe', 'ignore', 'inherit'], ...options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
  return ms;
}

/** The arguments of a `hyperctl run` of `config` to its end, on a port of its own, writing under `dataDir`; `more` are added. */
export function runArgs(cli, config, dataDir, ...more) {
  return [cli, 'run', '--exit-on-finish', '--port', '0', '-c', config, '--json', '--batches-data-dir', dataDir, ...more];
}
