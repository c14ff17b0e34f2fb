import { statSync, writeFileSync } from 'node:fs';
import { get, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/daemon/routes.js';
import { isHyperctlError, runBatch, type DaemonEvent } from '../../src/index.js';
import { gatedJob, type DaemonBatch, useDaemonBatches } from '../helpers/daemon-batch.js';
import { waitFor } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

const { start, untilRunning } = useDaemonBatches();

describe('the daemon', () => {
  it('refuses requests without the token, or with a wrong one, with 401 and no data', async () => {
    const batch = await start('auth', (gate) => [gatedJob('secret-job', gate, { password: 'hunter2' })]);
    const wrong = `${batch.token.slice(0, -1)}${batch.token.endsWith('A') ? 'B' : 'A'}`;
    const attempts = [
      fetch(`${batch.url}/api/v1/jobs`),
      fetch(`${batch.url}/api/v1/jobs`, { headers: { authorization: `Bearer ${wrong}` } }),
      fetch(`${batch.url}/${wrong}/api/v1/jobs/secret-job`),
      fetch(`${batch.url}/hyperctl/api/job/secret-job`),
      fetch(`${batch.url}/${wrong}/hyperctl/api/job/secret-job`),
      fetch(`${batch.url}/api/v1/jobs/secret-job/logs/stdout`),
      fetch(`${batch.url}/api/v1/events`),
      fetch(`${batch.url}/api/v1/batch/stop`, { method: 'POST' }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('secret-job');
    }
    expect((await batch.client.job('secret-job')).params).toEqual({ password: 'hunter2' });
  });

  it("answers the original tool's routes without a token in its own envelope, so its client raises its usual error", async () => {
    const batch = await start('auth-compat', (gate) => [gatedJob('a', gate)]);
    for (const path of ['/hyperctl/api/job/a', '/not-the-token/hyperctl/api/job']) {
      const response = await fetch(`${batch.url}${path}`);
      expect(response.status).toBe(401);
      expect(await json(response)).toEqual({ code: -1, data: { msg: expect.stringContaining('token') } });
    }
  });

  it('refuses a body too large with 413, a stop body that is no object with 400, and goes on serving', async () => {
    const batch = await start('bodies', (gate) => [gatedJob('a', gate)]);
    await untilRunning(batch, 'a');
    const auth = { authorization: `Bearer ${batch.token}`, 'content-type': 'application/json' };
    const huge = `{"loss": "${'x'.repeat(10 * 1024 * 1024)}"}`;
    const tooLarge = await fetch(`${batch.url}/api/v1/jobs/a/metrics`, { method: 'POST', headers: auth, body: huge });
    expect(tooLarge.status).toBe(413);
    expect((await json(tooLarge)).error.code).toBe('E_PAYLOAD_TOO_LARGE');
    for (const body of ['[]', '"kill"', '{"kill": "yes"}', '{not json']) {
      const refused = await fetch(`${batch.url}/api/v1/batch/stop`, { method: 'POST', headers: auth, body });
      expect(refused.status, body).toBe(400);
    }
    expect((await batch.client.batch()).status).toBe('running');
    expect((await batch.client.job('a')).status).toBe('running');
  });

  it("authenticates the original tool's client through the portal path, and answers its routes", async () => {
    const batch = await start('compat', (gate) => [gatedJob('a', gate, { lr: 0.1 }), gatedJob('b', gate, { lr: 0.2 })], { parallelism: 2 });
    const portal = `${batch.url}/${batch.token}`;
    const one = await json(await fetch(`${portal}/hyperctl/api/job/a`));
    expect(one).toMatchObject({ code: 0, data: { name: 'a', params: { lr: 0.1 } } });
    expect(['init', 'running']).toContain(one.data.status);
    const all = await json(await fetch(`${portal}/hyperctl/api/job`));
    expect(all.code).toBe(0);
    expect(all.data.jobs.map((j: { name: string }) => j.name)).toEqual(['a', 'b']);
    await untilRunning(batch, 'b');
    const kill = await fetch(`${portal}/hyperctl/api/job/b/kill`, { method: 'POST' });
    expect(await json(kill)).toMatchObject({ code: 0 });
    await waitForStatus(batch, 'b', 'killed');
    const missing = await fetch(`${portal}/hyperctl/api/job/nope`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).code).not.toBe(0);
  });

  it('matches job names exactly: path tricks reach nothing else', async () => {
    const batch = await start('paths', (gate) => [gatedJob('a', gate), { name: 'a b%', params: {}, execution: { command: 'echo odd' } }], { parallelism: 2 });
    for (const path of [
      '/api/v1/jobs/..',
      '/api/v1/jobs/%2E%2E',
      '/api/v1/jobs/a%2F..%2F..%2Ftoken',
      '/api/v1/jobs/..%2Fa',
      '/api/v1/jobs/a/logs/..%2F..%2Ftoken',
      '/api/v1/jobs/a/logs/params.json',
      '/api/v1/jobs/%E0%A4%A',
    ]) {
      const response = await fetch(`${batch.url}${path}`, { headers: { authorization: `Bearer ${batch.token}` } });
      expect([400, 404], path).toContain(response.status);
      const body = await json(response);
      expect(body.error.code, path).toMatch(/^E_/);
      expect(JSON.stringify(body)).not.toContain(batch.token);
    }
    // A name that needs encoding is still reachable by its exact name.
    expect((await batch.client.job('a b%')).name).toBe('a b%');
    expect(isHyperctlError(await batch.client.job('a/b').catch((e: unknown) => e))).toBe(true);
  });

  it('serves jobs by status and page, a byte range of logs, and the batch summary', async () => {
    const names = Array.from({ length: 5 }, (_, i) => `j${i}`);
    const batch = await start('paging', (gate) => names.map((n) => gatedJob(n, gate)), { parallelism: 2 });
    await untilRunning(batch, 'j1');
    const page = await batch.client.jobs({ offset: 1, limit: 2 });
    expect(page.total).toBe(5);
    expect(page.jobs.map((j) => j.name)).toEqual(['j1', 'j2']);
    expect((await batch.client.jobs({ status: 'running' })).jobs.map((j) => j.name)).toEqual(['j0', 'j1']);
    expect((await batch.client.jobs({ status: 'init' })).total).toBe(3);
    await waitFor(() => statSync(join(batch.root, 'paging', 'j0', 'stdout'), { throwIfNoEntry: false })?.size === 'started j0\n'.length, 'output');
    const logs = await batch.client.logs('j0', { offset: 8, length: 2 });
    expect(logs.data.toString()).toBe('j0');
    expect(logs.size).toBe('started j0\n'.length);
    expect(logs.status).toBe('running');
    const summary = await batch.client.batch();
    expect(summary).toMatchObject({ name: 'paging', status: 'running', counts: { total: 5, running: 2, init: 3 } });
    const bad = await fetch(`${batch.url}/api/v1/jobs?limit=-1`, { headers: { authorization: `Bearer ${batch.token}` } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.message).toContain('limit');
  });

  it('gzips a long job list for a client that takes it, and sends it plain to one that does not', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `j${i}`);
    const batch = await start('long', (gate) => names.map((n) => gatedJob(n, gate)), { parallelism: 1 });
    const raw = (encoding: string) =>
      new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
        const url = new URL(`${batch.url}/api/v1/jobs`);
        get(url, { headers: { authorization: `Bearer ${batch.token}`, 'accept-encoding': encoding } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        }).on('error', reject);
      });
    const zipped = await raw('gzip, deflate');
    expect(zipped.headers['content-encoding']).toBe('gzip');
    const plain = await raw('identity');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const list = JSON.parse(gunzipSync(zipped.body).toString());
    expect(list.total).toBe(150);
    expect(list.jobs.map((j: { name: string }) => j.name)).toEqual(names);
    expect(JSON.parse(plain.body.toString()).jobs.length).toBe(150);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 5);
  });

  it('kills a running job, records it killed and gives its slot to the next job at once', async () => {
    const batch = await start('kill', (gate) => [gatedJob('first', gate), { name: 'next', params: {}, execution: { command: 'true' } }]);
    await untilRunning(batch, 'first');
    await batch.client.kill('first');
    await waitForStatus(batch, 'next', 'succeed');
    expect((await batch.client.job('first')).status).toBe('killed');
    const again = await batch.client.kill('first').catch((e: unknown) => e);
    expect(isHyperctlError(again) && again.code).toBe('E_NOT_RUNNING');
  });

  it('streams job events as server-sent events', async () => {
    const batch = await start('events', (gate) => [gatedJob('a', gate)]);
    const controller = new AbortController();
    const seen: DaemonEvent[] = [];
    const reading = (async () => {
      for await (const event of batch.client.events(controller.signal)) {
        seen.push(event);
        if (event.type === 'batch:end') break;
      }
    })();
    await waitFor(() => seen.length > 0, 'the first event');
    writeFileSync(batch.gate, '');
    await reading;
    controller.abort();
    const types = seen.map((e) => e.type);
    expect(types[0]).toBe('batch');
    expect(types).toContain('job:exit');
    expect(types.at(-1)).toBe('batch:end');
    expect(seen.find((e) => e.type === 'job:exit')?.data).toMatchObject({ name: 'a', status: 'succeed' });
  });

  it('stops the batch: running jobs finish and no new job starts; with kill they are killed', async () => {
    const drain = await start('drain', (gate) => [gatedJob('a', gate), gatedJob('b', gate)]);
    await untilRunning(drain, 'a');
    await drain.client.stop();
    writeFileSync(drain.gate, '');
    const drained = await drain.done;
    expect(drained.jobs.map((j) => [j.name, j.status])).toEqual([
      ['a', 'succeed'],
      ['b', 'init'],
    ]);

    const hard = await start('hard', (gate) => [gatedJob('a', gate), gatedJob('b', gate)]);
    await untilRunning(hard, 'a');
    await hard.client.stop({ kill: true });
    const error = await hard.done.catch((e: unknown) => e);
    expect(isHyperctlError(error) && error.code).toBe('E_ABORTED');
  });

  it('keeps the OpenAPI document true: every route answers as described', async () => {
    const batch = await start('openapi', (gate) => [gatedJob('a', gate)]);
    await untilRunning(batch, 'a');
    const auth = { authorization: `Bearer ${batch.token}` };
    const schemas = openApiDocument.components.schemas as Record<string, { required?: readonly string[]; properties?: Record<string, unknown> }>;
    const served = await (await fetch(`${batch.url}/api/v1/openapi.json`, { headers: auth })).json();
    expect(served).toEqual(JSON.parse(JSON.stringify(openApiDocument)));
    for (const [path, operations] of Object.entries(openApiDocument.paths)) {
      for (const [method, operation] of Object.entries(
        operations as Record<string, { responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> }>,
      )) {
        if (path.endsWith('/stop') || path.endsWith('/kill')) continue;
        const url = `${batch.url}${path.replace('{name}', 'a').replace('{stream}', 'stdout')}`;
        const controller = new AbortController();
        const response = await fetch(url, { method: method.toUpperCase(), headers: auth, signal: controller.signal });
        expect(Object.keys(operation.responses), `${method} ${path}`).toContain(String(response.status));
        const ref = operation.responses[String(response.status)]?.content?.['application/json']?.schema?.$ref;
        if (ref) {
          const schema = schemas[ref.split('/').at(-1)!]!;
          const body = await json(response);
          for (const key of schema.required ?? []) expect(body, `${path} ${key}`).toHaveProperty(key);
          if (ref.endsWith('/Job')) expect(Object.keys(body).sort()).toEqual(Object.keys(schema.properties!).sort());
        }
        controller.abort();
      }
    }
  });

  it('refuses a port in use with E_DAEMON_PORT_IN_USE, before writing anything', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const root = tempDir();
    try {
      const error = await runBatch(
        { name: 'clash', jobs: [{ params: {}, execution: { command: 'true' } }] },
        { batchesDataDir: root, daemon: true, port },
      ).catch((e: unknown) => e);
      expect(isHyperctlError(error) && error.code).toBe('E_DAEMON_PORT_IN_USE');
      expect((error as Error).message).toContain(String(port));
      expect(statSync(join(root, 'clash'), { throwIfNoEntry: false })).toBeUndefined();
    } finally {
      blocker.close();
    }
  });
});

/** A response's JSON body, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertions read any field of it
function json(response: Response): Promise<any> {
  return response.json();
}

function waitForStatus(batch: DaemonBatch, name: string, status: string): Promise<void> {
  return waitFor(async () => (await batch.client.job(name)).status === status, `job ${name} to become ${status}`);
}
