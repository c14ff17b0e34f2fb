/**
 * Stable error codes of {@link HyperctlError}. Scripts and the CLI switch on these, so a code is
 * never renamed once released.
 * @public
 */
export type HyperctlErrorCode =
  | 'E_CONFIG_INVALID'
  | 'E_CONFIG_PARSE'
  | 'E_CONFIG_NOT_FOUND'
  | 'E_TEMPLATE_INVALID'
  | 'E_SEARCH_CHANGED'
  | 'E_BATCH_CHANGED'
  | 'E_SAMPLER'
  | 'E_OUTPUT_EXISTS'
  | 'E_OUTPUT_WRITE'
  | 'E_USAGE'
  | 'E_BACKEND_UNSUPPORTED'
  | 'E_BATCH_LOCKED'
  | 'E_BATCH_NOT_FOUND'
  | 'E_STATE_CORRUPT'
  | 'E_STATE_WRITE'
  | 'E_JOB_NOT_FOUND'
  | 'E_NOT_RUNNING'
  | 'E_CONFLICT'
  | 'E_NOT_IN_JOB'
  | 'E_DAEMON_PORT_IN_USE'
  | 'E_DAEMON_UNREACHABLE'
  | 'E_DAEMON_REQUEST'
  | 'E_NO_MACHINE'
  | 'E_UNSCHEDULABLE'
  | 'E_METRICS_INVALID'
  | 'E_SSH_CONNECT'
  | 'E_SSH_AUTH'
  | 'E_SSH_HOST_KEY'
  | 'E_UPLOAD_TOO_BIG'
  | 'E_UPLOAD'
  | 'E_ABORTED';

const brand = Symbol.for('hyperctl.error');

/**
 * The one error class hyperctl throws on purpose. `code` is stable; `message` names what was
 * expected, what was found and where (`jobs[2].execution.command: required`).
 * @public
 */
export class HyperctlError extends Error {
  /** The stable code of this failure. */
  readonly code: HyperctlErrorCode;
  /** Every problem found, when validation collected more than one (the message lists them too). */
  readonly issues: readonly string[];

  constructor(code: HyperctlErrorCode, message: string, options?: { cause?: unknown; issues?: readonly string[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HyperctlError';
    this.code = code;
    this.issues = options?.issues ?? [message];
    Object.defineProperty(this, brand, { value: true });
  }
}

/**
 * True when `error` is a {@link HyperctlError}, also one thrown by another copy of the package.
 * @example
 * ```ts
 * try { await runBatch(batch) } catch (e) { if (isHyperctlError(e) && e.code === 'E_CONFIG_INVALID') … }
 * ```
 * @public
 */
export function isHyperctlError(error: unknown): error is HyperctlError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[brand] === true;
}
