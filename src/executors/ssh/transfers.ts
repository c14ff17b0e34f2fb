import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import PQueue from 'p-queue';
import { HyperctlError } from '../../errors.js';
import { globLibrary } from '../../lazy-library.js';
import type { Snapshot } from '../../upload/snapshot.js';
import { assetEntries } from '../../upload/asset-entries.js';
import { coalesced, tarOf, tarSizeOf } from '../../upload/tar-pack.js';
import type { Upload } from '../../upload/upload.js';
import type { UploadReport } from '../executor.js';
import { shellQuote } from './shell-quote.js';
import {
  checkSnapshotScript,
  hasSnapshotScript,
  listFilesScript,
  prepareTreeScript,
  publishScript,
  receiveAssetsScript,
  receiveFileScript,
  receiveSnapshotScript,
  sendFileScript,
  sendFilesScript,
  sizesScript,
} from './transfer-scripts.js';
import { insideOf, untarInto } from './untar.js';

/*
 * Files to and from a machine over its SSH connection: the run's upload there, jobs' outputs back.
 */

/** What moving files needs of a machine's connection. */
export interface MachineChannels {
  /** The machine's name, for messages. */
  readonly host: string;
  /** Whether the machine has `tar`; without it, files move one channel each. */
  readonly hasTar: boolean;
  /** Runs `command` (with `input` on its stdin) and returns its stdout. */
  capture(command: string, input?: string): Promise<string>;
  /** Runs `command` with the bytes `source` makes (once the channel is open) as its stdin; its exit code and what it said on stderr. */
  pipeInto(command: string, source: () => AsyncIterable<unknown>): Promise<{ code: number | null; said: string }>;
  /** Runs `command` with its stdout piped into `sink`; what it said on stderr. */
  pipeFrom(command: string, sink: NodeJS.WritableStream): Promise<string>;
}

/** What a fetch brought: the files (relative to the job's working folder), their bytes, and what to tell. */
export interface FetchedFiles {
  readonly files: readonly string[];
  readonly bytes: number;
  readonly notes: readonly string[];
  /** Matches that were not brought: not regular files. */
  readonly skipped?: number;
}

/** Sends `command` `source` as stdin; `E_UPLOAD`, with what it said, when it fails. */
async function sendInto(machine: MachineChannels, upload: Upload, command: string, source: () => AsyncIterable<unknown>): Promise<void> {
  const { code, said } = await machine.pipeInto(command, source);
  if (code !== 0) throw new HyperctlError('E_UPLOAD', `${machine.host}: the upload of ${upload.spec.dir} failed: ${said.trim() || `exit ${code}`}`);
}

/**
 * Puts the run's snapshot under `{base}/.snapshots/{id}` on the machine unless it is there (one
 * round trip when it is); returns where it is and what it took.
 */
export async function putSnapshot(
  machine: MachineChannels,
  upload: Upload,
  base: string,
  onProgress?: (sent: number, total: number) => void,
): Promise<{ dir: string; report: UploadReport }> {
  const snapshot = await upload.snapshot();
  const started = Date.now();
  const dir = posix.join(base, '.snapshots', snapshot.id);
  // One round trip for an unchanged tree: it is there (and old snapshots are cleared away).
  const have = (await machine.capture(`sh -c ${shellQuote(checkSnapshotScript(dir, upload.spec.keepDays))}`)).trim() === 'yes';
  if (!have) {
    if (machine.hasTar) {
      const total = tarSizeOf(snapshot);
      let told = 0;
      await sendInto(machine, upload, `sh -c ${shellQuote(receiveSnapshotScript(dir))}`, () =>
        upload.archive(snapshot, (sent) => {
          if (Date.now() - told < 250) return;
          told = Date.now();
          onProgress?.(Math.min(sent, total), total);
        }),
      );
    } else await sendTreeWithoutTar(machine, upload, snapshot, dir);
  }
  return { dir, report: { snapshot: snapshot.id, sent: !have, bytes: have ? 0 : snapshot.bytes, ms: Date.now() - started } };
}

/** A snapshot for a machine without `tar`: its folders and links by one script, each file through `cat`, four at a time. */
async function sendTreeWithoutTar(machine: MachineChannels, upload: Upload, snapshot: Snapshot, dir: string): Promise<void> {
  const tmp = (await machine.capture('sh -s', prepareTreeScript(dir, snapshot.entries))).trim();
  if (!tmp) throw new HyperctlError('E_UPLOAD', `${machine.host}: could not make a folder for the upload under ${dir}`);
  const files = snapshot.entries.flatMap((entry) => (entry.type === 'file' ? [entry] : []));
  const channels = new PQueue({ concurrency: 4 });
  await Promise.all(
    files.map((file) =>
      channels.add(() =>
        sendInto(machine, upload, `sh -c ${shellQuote(receiveFileScript(`${tmp}/${file.path}`, file.mode))}`, () => createReadStream(file.absolute)),
      ),
    ),
  );
  await machine.capture('sh -s', publishScript(dir, tmp));
  if ((await machine.capture(hasSnapshotScript(dir))).trim() !== 'yes')
    throw new HyperctlError('E_UPLOAD', `${machine.host}: the upload could not be published at ${dir}`);
}

/** Puts a job's assets in `dir` on the machine (its `resources/` folder), afresh, as one tar stream. */
export async function putAssets(machine: MachineChannels, assets: readonly string[], dir: string): Promise<void> {
  if (!machine.hasTar) throw new HyperctlError('E_UPLOAD', `${machine.host}: a job's assets are sent with tar, which the machine does not have`);
  const { code, said } = await machine.pipeInto(`sh -c ${shellQuote(receiveAssetsScript(dir))}`, () => coalesced(tarOf({ entries: assetEntries(assets) })));
  if (code !== 0) throw new HyperctlError('E_UPLOAD', `${machine.host}: the job's assets could not be put in ${dir}: ${said.trim() || `exit ${code}`}`);
}

/**
 * Fetches the regular files the globs match in `workingDir` on the machine (after a size check
 * against `cap`) into `localDir`. Links, FIFOs, sockets and devices that match are skipped, each
 * said in `notes`; nothing on the machine is followed or read but regular files.
 */
export async function fetchFiles(machine: MachineChannels, globs: readonly string[], workingDir: string, localDir: string, cap: number): Promise<FetchedFiles> {
  const listed = (await machine.capture(listFilesScript(workingDir))).split('\0');
  const boundary = listed.indexOf('');
  const relative = (path: string) => path.replace(/^\.\//, '');
  const files = listed.slice(0, boundary < 0 ? listed.length : boundary).map(relative);
  const others =
    boundary < 0
      ? []
      : listed
          .slice(boundary + 1)
          .filter(Boolean)
          .map(relative);
  const notes: string[] = [];
  const chosen = new Set<string>();
  const passedOver = new Set<string>();
  for (const glob of globs) {
    const matches = globLibrary()(glob, { dot: true });
    const hits = files.filter((file) => matches(file));
    const skipped = others.filter((file) => matches(file));
    if (hits.length === 0 && skipped.length === 0) notes.push(`hyperctl: no file matched the output "${glob}" in ${workingDir}`);
    for (const hit of hits) chosen.add(hit);
    for (const skip of skipped) passedOver.add(skip);
  }
  for (const path of chosen)
    if (path.includes('\n')) {
      chosen.delete(path);
      passedOver.add(path);
    }
  const sized = chosen.size === 0 ? [] : await sizesOf(machine, workingDir, [...chosen]);
  for (const { path, size } of sized) if (size === undefined) passedOver.add(path);
  const skipNotes = [...passedOver].map(
    (path) => `hyperctl: output ${JSON.stringify(path)} skipped: not a regular file (a link, FIFO, socket or device), or a name with a newline`,
  );
  const paths = sized.flatMap(({ path, size }) => (size === undefined ? [] : [path]));
  const total = sized.reduce((sum, { size }) => sum + (size ?? 0), 0);
  const skipped = passedOver.size > 0 ? { skipped: passedOver.size } : {};
  if (paths.length === 0) return { files: [], bytes: 0, notes: [...notes, ...skipNotes], ...skipped };
  if (total > cap)
    return {
      files: [],
      bytes: 0,
      notes: [...notes, ...skipNotes, `hyperctl: outputs not fetched: ${paths.length} files of ${total} bytes, more than the ${cap}-byte cap`],
      ...skipped,
    };
  await receiveFiles(machine, workingDir, paths, localDir);
  return { files: paths, bytes: total, notes: [...notes, ...skipNotes], ...skipped };
}

/** The size of each file on the machine; undefined for one that is no longer a regular file. */
async function sizesOf(machine: MachineChannels, dir: string, paths: readonly string[]): Promise<{ path: string; size: number | undefined }[]> {
  const lines = (await machine.capture(`sh -c ${shellQuote(sizesScript(dir))}`, `${paths.join('\n')}\n`)).split('\n');
  return paths.map((path, i) => {
    const size = Number(lines[i]?.split('\t')[0]);
    return { path, size: lines[i]?.startsWith('-\t') || !Number.isSafeInteger(size) ? undefined : size };
  });
}

/** Receives files of a folder on the machine as one tar stream (one `cat` each without `tar`), written below `localDir`. */
async function receiveFiles(machine: MachineChannels, dir: string, paths: readonly string[], localDir: string): Promise<void> {
  if (!machine.hasTar) {
    for (const path of paths) {
      const target = insideOf(localDir, path);
      if (!target) continue;
      await mkdir(dirname(target), { recursive: true });
      await machine.pipeFrom(`sh -c ${shellQuote(sendFileScript(dir, path))}`, createWriteStream(target));
    }
    return;
  }
  const said = await machine.pipeFrom(`sh -c ${shellQuote(sendFilesScript(dir, paths))}`, untarInto(localDir) as unknown as NodeJS.WritableStream);
  if (said.trim()) throw new Error(said.trim());
}
