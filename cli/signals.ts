/** The signals that end a command, and the exit code each gives when the command does not handle it. */
const exitCodeOf: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * Holds SIGINT, SIGTERM and SIGHUP from the CLI's first moment, so that a signal that comes while
 * the CLI is still starting is not lost: a command that handles signals (`run`) gets the ones that
 * came before it was ready; any other command ends with 128 + the signal's number, as the signal
 * itself would end it.
 */
export class SignalTrap {
  #handler: ((signal: NodeJS.Signals) => void) | 'exit' | undefined;
  readonly #pending: NodeJS.Signals[] = [];

  constructor() {
    for (const signal of Object.keys(exitCodeOf) as NodeJS.Signals[]) process.on(signal, () => this.#receive(signal));
  }

  /** Sends every signal, those already received first, to `handler`. */
  handle(handler: (signal: NodeJS.Signals) => void): void {
    this.#handler = handler;
    for (const signal of this.#pending.splice(0)) handler(signal);
  }

  /** From now on (and for a signal already received) a signal ends the process. */
  exitOnSignal(): void {
    this.#handler = 'exit';
    const first = this.#pending[0];
    if (first) this.#receive(first);
  }

  #receive(signal: NodeJS.Signals): void {
    if (this.#handler === undefined) this.#pending.push(signal);
    else if (this.#handler === 'exit') process.exit(exitCodeOf[signal]);
    else this.#handler(signal);
  }
}
