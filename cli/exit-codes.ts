import { type HyperctlErrorCode, isHyperctlError } from '../src/index.js';

/**
 * Exit codes: 0 all succeeded, 1 some job failed or was killed, 2 bad usage or config, 74 the
 * batch's state could not be written (sysexits' EX_IOERR), 130 interrupted.
 */
export const exitCodes = { ok: 0, jobsFailed: 1, usage: 2, stateWrite: 74, interrupted: 130 } as const;

const usageCodes: ReadonlySet<HyperctlErrorCode> = new Set([
  'E_CONFIG_INVALID',
  'E_CONFIG_PARSE',
  'E_CONFIG_NOT_FOUND',
  'E_TEMPLATE_INVALID',
  'E_SEARCH_CHANGED',
  'E_BATCH_CHANGED',
  'E_OUTPUT_EXISTS',
  'E_USAGE',
  'E_BACKEND_UNSUPPORTED',
  'E_BATCH_LOCKED',
  'E_BATCH_NOT_FOUND',
  'E_JOB_NOT_FOUND',
  'E_DAEMON_PORT_IN_USE',
  'E_UPLOAD_TOO_BIG',
]);

/** The exit code for an error that ended a command. */
export function exitCodeFor(error: unknown): number {
  if (!isHyperctlError(error)) return exitCodes.jobsFailed;
  if (error.code === 'E_ABORTED') return exitCodes.interrupted;
  if (error.code === 'E_STATE_WRITE' || error.code === 'E_OUTPUT_WRITE') return exitCodes.stateWrite;
  return usageCodes.has(error.code) ? exitCodes.usage : exitCodes.jobsFailed;
}
