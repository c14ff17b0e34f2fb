import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/batch/spec.js';
import { JobFeed } from '../../src/run/job-feed.js';
import { feedSource, type JobSource, Schedule } from '../../src/run/schedule.js';

const job = (name: string) => ({ name }) as JobSpec;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the schedule', () => {
  it('asks a source that waits again each time a job ends, and runs every job it then gives', async () => {
    // Like a search with two slots: a new job only once fewer than two run; nothing else wakes it.
    let given = 0;
    let running = 0;
    const source: JobSource = {
      next: () => {
        if (given === 500) return running === 0 ? 'done' : 'wait';
        if (running === 2) return 'wait';
        running++;
        return job(`t${given++}`);
      },
      changed: () => new Promise(() => undefined),
    };
    const ran: string[] = [];
    await new Schedule(() => 2).run(
      source,
      async (j) => {
        await tick();
        ran.push(j.name);
        running--;
      },
      new AbortController().signal,
    );
    expect(ran).toHaveLength(500);
  });

  it("ends a batch's feed once its last job has ended, with nothing pushed", async () => {
    const feed = new JobFeed(['a', 'b', 'c'].map(job));
    const ran: string[] = [];
    let fed = false;
    await new Schedule(() => 1).run(
      feedSource(feed),
      async (j) => {
        await tick();
        ran.push(j.name);
      },
      new AbortController().signal,
      () => (fed = true),
    );
    expect([ran, fed]).toEqual([['a', 'b', 'c'], true]);
  });

  it('ends when its last job ends while the source is being asked, with nothing else to wake it', async () => {
    for (const slots of [1, 2, 3]) {
      const feed = new JobFeed(['a', 'b', 'c'].map(job));
      const ran: string[] = [];
      // Jobs that end at once: each ends in the moment the loop awaits the source's answer.
      await new Schedule(() => slots).run(
        feedSource(feed),
        async (j) => {
          ran.push(j.name);
        },
        new AbortController().signal,
      );
      expect(ran).toEqual(['a', 'b', 'c']);
    }
  });

  it('ends when its last job ends a few moments before the queue counts it out, whatever the moment', async () => {
    for (const hops of [0, 1, 2, 3, 5, 8, 13]) {
      for (const slots of [1, 2, 3]) {
        const feed = new JobFeed(Array.from({ length: 10 }, (_, i) => job(`j${i}`)));
        const ran: string[] = [];
        // Jobs that end after a few awaits, as one on an executor that answers at once does.
        await new Schedule(() => slots).run(
          feedSource(feed),
          async (j) => {
            for (let i = 0; i < hops; i++) await Promise.resolve();
            ran.push(j.name);
          },
          new AbortController().signal,
        );
        expect(ran, `${hops} hops, ${slots} slots`).toHaveLength(10);
      }
    }
  });
});
