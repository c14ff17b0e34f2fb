import { HyperctlError } from '../errors.js';

/** Error codes of the file system that mean the disk, not the program, is at fault. */
const environmentCodes = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EFBIG', 'EMFILE', 'ENFILE']);

/** True when `error` is a write that failed because of the machine (disk full, read-only, I/O error). */
export function isEnvironmentFault(error: unknown): boolean {
  return environmentCodes.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/**
 * The error for state that could not be written: it names the file and the cause, and says how
 * to resume, since whatever was not recorded runs again on the next run.
 */
/** State that could not be written: `fault` says what failed, the message also how to resume. */
export class StateWriteError extends HyperctlError {
  readonly fault: string;

  constructor(fault: string, cause: unknown) {
    super('E_STATE_WRITE', `${fault}; what was not recorded runs again when the batch is run again once the fault is gone`, { cause });
    this.fault = fault;
  }
}

/** What failed, of an error the batch's state met: a {@link StateWriteError}'s fault, else its message. */
export function faultOf(error: unknown): string {
  return error instanceof StateWriteError ? error.fault : error instanceof Error ? error.message : String(error);
}

export function stateWriteError(path: string, error: unknown): HyperctlError {
  if (error instanceof HyperctlError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const cause =
    code === 'ENOSPC'
      ? 'no space left on the device'
      : code === 'EDQUOT'
        ? 'disk quota exceeded'
        : code === 'EROFS'
          ? 'read-only file system'
          : (error as Error).message;
  return new StateWriteError(`cannot write ${path}: ${cause}${code && !cause.includes(code) ? ` (${code})` : ''}`, error);
}
