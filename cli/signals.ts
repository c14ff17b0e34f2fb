/** The signals that end a command. */
const trapped = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Holds SIGINT, SIGTERM and SIGHUP from the CLI's first moment, so that no signal meets a CLI that
 * is half started: until a command takes them over ({@link SignalTrap.handle}), a signal ends the
 * process at once with exit code 130, before anything was written.
 */
export class SignalTrap {
  #handler: (signal: NodeJS.Signals) => void = () => process.exit(130);
  readonly #listener = (signal: NodeJS.Signals) => this.#handler(signal);

  constructor() {
    for (const signal of trapped) process.on(signal, this.#listener);
  }

  /** Gives the signals back to the process (for a CLI run inside another program, such as a test). */
  dispose(): void {
    for (const signal of trapped) process.off(signal, this.#listener);
  }

  /** Sends every signal from now on to `handler` instead. */
  handle(handler: (signal: NodeJS.Signals) => void): void {
    this.#handler = handler;
  }
}
