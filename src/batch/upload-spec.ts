/** What of a folder goes to the machines, and the limits that catch a folder too big by mistake. */
export interface UploadSpec {
  /** The folder, absolute. */
  readonly dir: string;
  /** More gitignore-style patterns to leave out. */
  readonly exclude: readonly string[];
  /** Folders left out by default (`.git`, `node_modules`, `.venv`, `__pycache__`) to send anyway. */
  readonly include: readonly string[];
  /** Most bytes a snapshot may hold. */
  readonly maxBytes: number;
  /** Most files a snapshot may hold. */
  readonly maxFiles: number;
  /** Days a snapshot no run used stays on a machine. */
  readonly keepDays: number;
}

/** Folders no job needs from the user's machine unless asked: history, and what an install makes. */
export const heavyFolders = ['.git', 'node_modules', '.venv', '__pycache__'] as const;

/** The limits when the config sets none (`upload.max_mb`, `upload.max_files`). */
export const defaultUploadLimits = { maxBytes: 500 * 1024 * 1024, maxFiles: 20_000 } as const;

/** Days an unused snapshot stays on a machine when the config does not say (`upload.keep_days`). */
export const defaultKeepDays = 14;
