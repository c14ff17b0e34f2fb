import { cp, mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { JobExit, JobLaunch } from './executor.js';
import { failedExit } from './job-exit.js';

/** The folder in a job's data folder that its assets are put in, as the original tool named it. */
export const resourcesFolder = 'resources';

/** The variables that give a job the temporary folder `dir` of its own (`TMP` as the original set it; `TMPDIR` as most tools read it). */
export function privateTmpEnv(dir: string): Record<string, string> {
  return { TMP: dir, TMPDIR: dir };
}

/** The variables that hand a job the daemon's portal: `HYPERCTL_SERVER_PORTAL` as the original tool's client reads it, and `HYPERCTL_DAEMON_PORTAL`. */
const portalVariables = ['HYPERCTL_SERVER_PORTAL', 'HYPERCTL_DAEMON_PORTAL'] as const;

/** The variables that hand a job `portal`. */
export function portalEnv(portal: string): Record<string, string> {
  return Object.fromEntries(portalVariables.map((name) => [name, portal]));
}

/**
 * A job's environment with the portal its machine reaches the daemon at instead of the one it
 * was given (`portal`), or with none when its machine cannot reach the daemon (`null`); as it
 * is when it was given none (no daemon serves the run).
 */
export function withPortal(env: Readonly<Record<string, string>>, portal: string | null): Readonly<Record<string, string>> {
  if (env[portalVariables[0]] === undefined) return env;
  const rest = Object.fromEntries(Object.entries(env).filter(([name]) => !(portalVariables as readonly string[]).includes(name)));
  return portal === null ? rest : { ...rest, ...portalEnv(portal) };
}

/**
 * What a job needs in its data folder on this machine before it starts: its assets in
 * `resources/` (afresh for each run: files copied, folders copied whole with links as links) and
 * its own `tmp/`. Returns the job with its environment to match, or the exit of a job that cannot start.
 */
export async function readyHere(job: JobLaunch): Promise<{ job: JobLaunch } | { exit: JobExit }> {
  if (!job.assets && !job.privateTmp) return { job };
  try {
    if (job.assets && job.assets.length > 0) {
      const resources = join(job.dataDir, resourcesFolder);
      await rm(resources, { recursive: true, force: true });
      await mkdir(resources, { recursive: true });
      for (const asset of job.assets)
        await cp(asset, join(resources, basename(asset)), { recursive: true, verbatimSymlinks: true, errorOnExist: true, force: false });
    }
    if (!job.privateTmp) return { job };
    const tmp = join(job.dataDir, 'tmp');
    await mkdir(tmp, { recursive: true });
    return { job: { ...job, env: { ...job.env, ...privateTmpEnv(tmp) } } };
  } catch (error) {
    return { exit: failedExit(`not started: its files could not be put in ${job.dataDir}: ${(error as Error).message}`) };
  }
}
