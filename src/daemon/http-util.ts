import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';

/** Sends `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** The native API's error body: `{ error: { code, message } }`. */
export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/**
 * Streams a large JSON array as `prefix [item, …] suffix` (`count` items, made from `items` as
 * they are written), yielding to the event loop between chunks of 500 so other requests are
 * served meanwhile; gzipped (at the fastest level) for a client that
 * takes it, which makes a 10,000-job list a twentieth of its size and quicker to hand over.
 */
export async function streamJsonArray<T>(
  req: IncomingMessage,
  res: ServerResponse,
  prefix: string,
  items: Iterable<T>,
  toJson: (item: T) => unknown,
  suffix: string,
  count: number,
): Promise<void> {
  const gzip = count >= 100 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    vary: 'accept-encoding',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  const out: Writable = gzip ? createGzip({ level: 1 }) : res;
  if (gzip) pipeline(out as Gzip, res).catch(() => res.destroy());
  out.write(`${prefix}[`);
  let chunk = '';
  let inChunk = 0;
  let first = true;
  let sliceStart = performance.now();
  for (const item of items) {
    // An item that needs a look elsewhere (a running job's live metrics) is waited for; the rest are not.
    const value = toJson(item);
    chunk += `${first ? '' : ','}${JSON.stringify(value instanceof Promise ? await value : value)}`;
    first = false;
    // Other requests are answered between slices of about a quarter of a millisecond: a client reading
    // a 100,000-job list delays a job's params request by one slice, not by the list.
    if (++inChunk % 32 !== 0 || (inChunk < 500 && performance.now() - sliceStart < maxSliceMs)) continue;
    if (!out.write(chunk)) await new Promise((resolve) => out.once('drain', resolve));
    chunk = '';
    inChunk = 0;
    await new Promise((resolve) => setImmediate(resolve));
    if (res.destroyed) return;
    sliceStart = performance.now();
  }
  out.end(`${chunk}]${suffix}`);
}

/** How long a list is written before other requests are answered (1 ms gave a p99 of 10.9 ms under the paced load of bench/daemon-latency.mjs, this 8.8 ms). */
const maxSliceMs = 0.25;

/** The largest request body read: metrics reports and commands are small. */
export const maxBodyBytes = 64 * 1024;

/** Bytes of a too-large body read and thrown away, so the client sees the 413 and not a reset. */
const maxDrainBytes = 16 * 1024 * 1024;

/** Why a request body was refused. */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads a small JSON request body; undefined for an empty one. Throws {@link BodyError}: 413 for a
 * body over `maxBytes` ({@link maxBodyBytes} unless the route takes more), 400 for one that is not JSON.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes = maxBodyBytes): Promise<unknown> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw tooLarge(req, maxBytes);
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(req, maxBytes, size);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  try {
    return text ? JSON.parse(text) : undefined;
  } catch (error) {
    throw new BodyError(400, `request body: invalid JSON: ${(error as Error).message}`);
  }
}

/** Sends the error for a body that could not be read; a refused large body closes the connection after it. */
export function sendBodyError(res: ServerResponse, error: unknown): void {
  if (!(error instanceof BodyError)) throw error;
  if (error.status === 413) res.setHeader('connection', 'close');
  sendError(res, error.status, error.status === 413 ? 'E_PAYLOAD_TOO_LARGE' : 'E_BAD_REQUEST', error.message);
}

/** Drains the rest of a body that is too large (up to a bound), so the client reads the answer. */
function tooLarge(req: IncomingMessage, maxBytes: number, read = 0): BodyError {
  let drained = read;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > maxDrainBytes) req.destroy();
  });
  req.resume();
  return new BodyError(413, `request body: larger than ${maxBytes} bytes`);
}
