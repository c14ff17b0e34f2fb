import type { IncomingMessage, ServerResponse } from 'node:http';

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
 * Streams a large JSON array as `prefix [item, …] suffix`, yielding to the event loop between
 * chunks so other requests are served meanwhile.
 */
export async function streamJsonArray<T>(res: ServerResponse, prefix: string, items: readonly T[], toJson: (item: T) => unknown, suffix: string): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.write(`${prefix}[`);
  for (let i = 0; i < items.length; i += 500) {
    let chunk = '';
    for (let j = i; j < Math.min(items.length, i + 500); j++) chunk += `${j ? ',' : ''}${JSON.stringify(toJson(items[j]!))}`;
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    await new Promise((resolve) => setImmediate(resolve));
    if (res.destroyed) return;
  }
  res.end(`]${suffix}`);
}

/** Reads a small JSON request body; undefined for an empty one. Refuses bodies over 64 KiB. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 65536) throw new RangeError('request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text ? JSON.parse(text) : undefined;
}
