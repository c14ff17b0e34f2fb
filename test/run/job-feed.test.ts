import { describe, expect, it } from 'vitest';
import type { JobSpec } from '../../src/batch/spec.js';
import { JobFeed } from '../../src/run/job-feed.js';

const job = (name: string) => ({ name }) as JobSpec;
const drain = (feed: JobFeed) => {
  const names: string[] = [];
  for (let next = feed.take(); next; next = feed.take()) names.push(next.name);
  return names;
};

describe('the jobs waiting to start', () => {
  it('come in batch order, pushed ones after, and a priority moves a job ahead (higher first, ties in the order given) or behind (negative)', () => {
    const feed = new JobFeed(['a', 'b', 'c', 'd', 'e'].map(job), new Map([['e', 2]]));
    expect(feed.take()?.name).toBe('e');
    feed.push(job('x'));
    expect(feed.setPriority('d', 1)).toBe(true);
    expect(feed.setPriority('c', 1)).toBe(true);
    expect(feed.setPriority('a', -1)).toBe(true);
    expect(feed.setPriority('e', 1)).toBe(false);
    expect(feed.size).toBe(5);
    expect(drain(feed)).toEqual(['d', 'c', 'b', 'x', 'a']);
    expect(feed.size).toBe(0);
  });

  it('a job moved and taken can come back (a retry) and be moved again', () => {
    const feed = new JobFeed(['a', 'b', 'c'].map(job));
    feed.setPriority('c', 3);
    expect(feed.take()?.name).toBe('c');
    feed.push(job('c'));
    expect(feed.has('c')).toBe(true);
    feed.setPriority('c', 1);
    expect(drain(feed)).toEqual(['c', 'a', 'b']);
  });

  it('walks a long list from its head without losing a job when it cuts what is behind', () => {
    const names = Array.from({ length: 5000 }, (_, i) => `j${i}`);
    const feed = new JobFeed(names.map(job));
    feed.setPriority('j4999', 1);
    expect(drain(feed)).toEqual(['j4999', ...names.slice(0, 4999)]);
  });

  it('wakes a waiter when a job is pushed', async () => {
    const feed = new JobFeed();
    const woken = feed.whenPushed();
    feed.push(job('late'));
    await woken;
    expect(feed.take()?.name).toBe('late');
  });

  it('gives every wait before a push the same promise: a wait at each job end keeps nothing behind', async () => {
    const feed = new JobFeed();
    const waits = Array.from({ length: 1000 }, () => feed.whenPushed());
    expect(new Set(waits).size).toBe(1);
    feed.push(job('late'));
    await Promise.all(waits);
    // The next wait is for the next push.
    expect(feed.whenPushed()).not.toBe(waits[0]);
  });
});
