import type { SignalTrap } from './signals.js';

/** What `main` hands every command besides its arguments. */
export interface CommandData {
  /** Signals received so far and from now on, for a command that handles them. */
  readonly signals: SignalTrap;
}
