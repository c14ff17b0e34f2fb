import type { SignalTrap } from './signals.js';

/** What `main` hands every command besides its arguments. */
export interface CommandData {
  /** Signals received so far and from now on, for a command that handles them. */
  readonly signals: SignalTrap;
  /** The words after `--` (a command to run), or undefined when there is no `--`. */
  readonly rest: readonly string[] | undefined;
}
