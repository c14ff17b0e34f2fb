import { lstatSync } from 'node:fs';

/**
 * Looks at `path` now and then every `everyMs`, telling `follow` whether it exists; returns what
 * stops looking. Anything there counts, a link too (nothing in it is read); a path that cannot be
 * looked at (no permission) counts as there: in doubt, no job starts.
 */
export function watchPauseFile(path: string, follow: (exists: boolean) => void, everyMs = 1000): () => void {
  const look = () => {
    try {
      follow(exists(path));
    } catch {
      // A change that could not be journalled has failed the run's state already, which ends it.
    }
  };
  look();
  const timer = setInterval(look, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}
