import { createRequire } from 'node:module';
import type * as TarStream from 'tar-stream';
import type * as Yaml from 'yaml';
import type ignore from 'ignore';
import type picomatch from 'picomatch';

const load = createRequire(import.meta.url);

/**
 * A library loaded when first used: each costs tens of milliseconds of every start, and most
 * commands (`batch best`, `batch show`, `--help`) need none of them — YAML only for YAML files,
 * the others only to upload code or bring outputs home.
 */
function lazily<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= load(name) as T;
    return loaded;
  };
}

/** The YAML library. */
export const yamlLibrary = lazily<typeof Yaml>('yaml');
/** tar-stream: packs uploads, unpacks outputs. */
export const tarLibrary = lazily<typeof TarStream>('tar-stream');
/** ignore: `.gitignore` rules of an upload. */
export const ignoreLibrary = lazily<typeof ignore>('ignore');
/** picomatch: the globs of outputs to bring home. */
export const globLibrary = lazily<typeof picomatch>('picomatch');
