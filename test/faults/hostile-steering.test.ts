import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatedJob, useDaemonBatches } from '../helpers/daemon-batch.js';

// Steering requests are input from whoever holds the token: one request must not take the runner
// down, hold its daemon, or change part of what it asks when the rest is refused.

const { start, untilRunning } = useDaemonBatches();

/** A response's JSON body, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: assertions read any field of it
const json = (response: Response): Promise<any> => response.json();

describe('a hostile batch add or update', () => {
  it('refuses an added grid above the stated limit with 400 naming its size, before making any job; the run goes on', async () => {
    const batch = await start('huge-add', (gate) => [gatedJob('a', gate)]);
    await untilRunning(batch, 'a');
    const range = Array.from({ length: 1000 }, (_, i) => i);
    const auth = { authorization: `Bearer ${batch.token}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ config: { params: { a: range, b: range, c: range }, execution: { command: 'true' } } });
    const refused = await fetch(`${batch.url}/api/v1/batch/jobs`, { method: 'POST', headers: auth, body });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error).toEqual({
      code: 'E_CONFIG_INVALID',
      message: 'params: 1,000,000,000 jobs; one batch add takes at most 10,000 (add them in parts, or run them as a batch of their own)',
    });
    expect((await batch.client.jobs()).total).toBe(1);
  });

  it('answers other requests while it validates and adds 10,000 jobs', async () => {
    const batch = await start('big-add', (gate) => [gatedJob('a', gate)], { parallelism: 1 });
    await untilRunning(batch, 'a');
    let added = false;
    const adding = batch.client.add({ params: { i: Array.from({ length: 10_000 }, (_, i) => i) }, execution: { command: 'true' } }).then((names) => {
      added = true;
      return names;
    });
    let answered = 0;
    while (!added) {
      await batch.client.batch();
      if (!added) answered++;
    }
    expect(await adding).toHaveLength(10_000);
    // A daemon held by the add would have answered none of these until it was done.
    expect(answered).toBeGreaterThan(5);
    expect((await batch.client.jobs()).total).toBe(10_001);
  });

  it('refuses a steering request in whole when any part of it is wrong: nothing applied, nothing journalled', async () => {
    const batch = await start('whole-update', (gate) => [gatedJob('a', gate), gatedJob('b', gate)], { parallelism: 1 });
    await untilRunning(batch, 'a');
    const auth = { authorization: `Bearer ${batch.token}`, 'content-type': 'application/json' };
    const refused = await fetch(`${batch.url}/api/v1/batch/update`, { method: 'POST', headers: auth, body: JSON.stringify({ parallelism: 2, max_trials: 3 }) });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error.message).toBe('batch whole-update is not a search: it has no trial budget');
    expect(readFileSync(join(batch.root, 'whole-update', 'journal.jsonl'), 'utf8')).not.toContain('"steer"');
    expect((await batch.client.job('b')).status).toBe('init');
    // The same change without the wrong part is applied.
    expect((await batch.client.update({ parallelism: 2 })).status).toBe('running');
    await untilRunning(batch, 'b');
  });
});
