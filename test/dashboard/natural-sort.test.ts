import { describe, expect, it } from 'vitest';
import { naturalCompare, naturalParts } from '../../src/dashboard/natural-sort.js';

describe('natural order of names and values', () => {
  it('reads numbers in names as numbers: decimals, signs and exponents', () => {
    expect(naturalParts('lr=0.05,d=-3')).toEqual(['lr=', 0.05, ',d=', -3]);
    expect(naturalParts('lr=1e-3')).toEqual(['lr=', 0.001]);
    // A dash between words is no sign.
    expect(naturalParts('trial-0002')).toEqual(['trial-', 2]);
  });

  it('orders as people do', () => {
    const names = ['lr=0.2', 'lr=0.05', 'lr=0.1', 'lr=0.01', 'lr=1e-3', 'trial-0010', 'trial-0002', 'x10', 'x2', 'd=-3', 'd=-10'];
    expect([...names].sort(naturalCompare)).toEqual([
      'd=-10',
      'd=-3',
      'lr=1e-3',
      'lr=0.01',
      'lr=0.05',
      'lr=0.1',
      'lr=0.2',
      'trial-0002',
      'trial-0010',
      'x2',
      'x10',
    ]);
    // Equal numbers written differently still have an order.
    expect(naturalCompare('x01', 'x1')).not.toBe(0);
  });
});
