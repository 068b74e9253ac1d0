import { describe, expect, it } from 'vitest';
import type { DataKey } from '../../src/store/documents.js';
import { descriptorProblems, eventProblems } from '../../src/store/eventProblems.js';

const keys: Record<string, DataKey> = {
  step: { dtype: 'integer', shape: [], source: 'host' },
  cost: { dtype: 'number', shape: [], source: 'host', units: 'V^2' },
  alarm: { dtype: 'boolean', shape: [], source: 'host:check' },
  vf: { dtype: 'array', shape: [2], source: 'board', units: 'V', dims: ['node'], dtype_numpy: '<f8', nodes: [9, 10] },
  taps: { dtype: 'array', shape: [3], source: 'board', dtype_numpy: '<i8' },
  vc: { dtype: 'array', shape: [2], source: 'board', nullable: true },
};
const good = { step: 3, cost: 0.25, alarm: false, vf: [0.1, 0.2], taps: [1, 2, 3], vc: null };

describe('eventProblems', () => {
  it('a conforming event has none', () => {
    expect(eventProblems(keys, good)).toEqual([]);
    expect(eventProblems(keys, { ...good, vc: [1, 2] })).toEqual([]);
  });

  it('names each key that breaks a rule, and the rule', () => {
    const { vc: _vc, ...noVc } = good;
    expect(eventProblems(keys, noVc)).toEqual(['vc: missing (every event holds every declared key)']);
    expect(eventProblems(keys, { ...good, extra: 1 })).toEqual(['extra: not declared in the descriptor']);
    expect(eventProblems(keys, { ...good, cost: null })).toEqual(['cost: null, but the key is not declared nullable']);
    expect(eventProblems(keys, { ...good, step: 1.5 })).toEqual(['step: expected integer, got 1.5']);
    expect(eventProblems(keys, { ...good, alarm: 0 })).toEqual(['alarm: expected boolean, got 0']);
    // the device-stepped record of issue 11 point 9: two target readings under a 16-node shape
    const sixteen: Record<string, DataKey> = { vf: { dtype: 'array', shape: [16], source: 'board:ADC' } };
    expect(eventProblems(sixteen, { vf: [0.26, 0.21] })).toEqual(['vf: expected 16 values (shape [16]), got 2']);
    expect(eventProblems(keys, { ...good, taps: [1, 2.5, null] })).toEqual(['taps[1]: expected integer, got 2.5', 'taps[2]: expected integer, got null']);
    expect(eventProblems(keys, { ...good, vf: 0.1 })).toEqual(['vf: expected an array of 2, got 0.1']);
  });

  it('reports at most five element problems per key', () => {
    const k: Record<string, DataKey> = { v: { dtype: 'array', shape: [9], source: 's', dtype_numpy: '<f8' } };
    const p = eventProblems(k, { v: Array(9).fill('x') });
    expect(p).toHaveLength(6);
    expect(p[5]).toBe('v: 4 more problems');
  });
});

describe('descriptorProblems', () => {
  it('accepts consistent keys and names inconsistent ones', () => {
    expect(descriptorProblems(keys)).toEqual([]);
    expect(
      descriptorProblems({
        a: { dtype: 'array', shape: [], source: 's' },
        b: { dtype: 'number', shape: [2], source: 's' },
        c: { dtype: 'array', shape: [3], source: 's', nodes: [1, 2] },
        d: { dtype: 'array', shape: [1], source: 's', dtype_numpy: '<f4' },
        e: { dtype: 'float' as never, shape: [], source: 's' },
      }),
    ).toEqual([
      'a: an array needs a shape with at least one axis',
      'b: a scalar (number) has shape [], got [2]',
      'c: nodes lists 2 nodes for an axis of 3',
      'd: dtype_numpy "<f4" is not one of <f8, <i8, |b1',
      'e: unknown dtype "float"',
    ]);
  });
});
