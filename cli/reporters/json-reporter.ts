import type { BatchResult } from '../../src/index.js';
import type { ReporterEnv, RunReporter } from './reporter.js';
import { summaryJson } from './summary.js';

/** Only the JSON document of the run, on stdout, when it ends: for scripts. */
export class JsonReporter implements RunReporter {
  readonly #env: ReporterEnv;

  constructor(env: ReporterEnv) {
    this.#env = env;
  }

  onEvent(): void {}

  interrupting(): void {}

  finish(result: BatchResult): void {
    this.#env.stdout.write(`${JSON.stringify(summaryJson(result), null, 2)}\n`);
  }

  close(): void {}
}
