import { describe, expect, it } from 'vitest';
import { steer, unsteered } from '../../src/state/steering.js';

describe('steering folded from steer records', () => {
  it("ends the pause file's pause with a resume, and turns it into a person's pause when one is asked for meanwhile", () => {
    const s = unsteered();
    steer(s, { e: 'steer', at: 1, paused: true, byFile: true });
    expect(s).toMatchObject({ pausedAt: 1, pausedByFile: true });
    steer(s, { e: 'steer', at: 2, paused: true });
    // Still paused since the first, but no longer the file's: its going does not resume.
    expect(s.pausedAt).toBe(1);
    expect(s.pausedByFile).toBeUndefined();
    steer(s, { e: 'steer', at: 3, paused: false });
    expect(s.pausedAt).toBeUndefined();
    steer(s, { e: 'steer', at: 4, paused: true, byFile: true });
    steer(s, { e: 'steer', at: 5, paused: false });
    expect(s).not.toHaveProperty('pausedByFile');
  });
});
