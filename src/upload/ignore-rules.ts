import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ignore } from 'ignore';
import { ignoreLibrary } from '../lazy-library.js';
import { heavyFolders, type UploadSpec } from '../batch/upload-spec.js';

/** Files in a folder whose lines are rules, as in `.gitignore`. */
const ruleFiles = ['.gitignore', '.hyperctlignore'] as const;

/** The rules of one folder: the patterns its own rule files hold, matched against paths below it. */
interface FolderRules {
  /** The folder, relative to the snapshot's root, `''` for the root, else ending with `/`. */
  readonly prefix: string;
  readonly rules: Ignore;
}

/**
 * Which paths a snapshot leaves out: the heavy folders (unless `include` names them), the
 * config's `exclude`, and the rules of every `.gitignore` and `.hyperctlignore` on the way down,
 * each applied below its own folder as git does.
 */
export class IgnoreRules {
  readonly #stack: FolderRules[];

  constructor(spec: Pick<UploadSpec, 'exclude' | 'include'>) {
    const root = ignoreLibrary()().add(heavyFolders.filter((folder) => !spec.include.includes(folder)).map((folder) => `${folder}/`));
    root.add([...spec.exclude]);
    this.#stack = [{ prefix: '', rules: root }];
  }

  /** Reads a folder's rule files as it is entered; returns what to call when it is left. */
  enter(absolute: string, relative: string): () => void {
    const lines = ruleFiles.flatMap((name) => {
      try {
        return readFileSync(join(absolute, name), 'utf8').split(/\r?\n/);
      } catch {
        return [];
      }
    });
    if (lines.length === 0) return () => undefined;
    this.#stack.push({ prefix: relative ? `${relative}/` : '', rules: ignoreLibrary()().add(lines) });
    return () => void this.#stack.pop();
  }

  /** Whether a path (relative to the root, `/`-separated) is left out; a folder's path ends with `/`. */
  ignores(path: string): boolean {
    return this.#stack.some(({ prefix, rules }) => path.startsWith(prefix) && path.length > prefix.length && rules.ignores(path.slice(prefix.length)));
  }
}
