import { describe, expect, it } from 'vitest';
import { parseTask, taskToJson } from '../../../src/formats/taskFile.js';
import { latticeNetwork } from '../../../src/physics/generators/lattice.js';
import { linearTask, type LinearTaskOptions } from '../../../src/physics/generators/linearTask.js';
import { expectInvalid } from '../../formats/expectInvalid.js';

const M = [
  [0.15, 0.3],
  [0.2, 0.1],
];
const base: LinearTaskOptions = { matrix: M, sources: [0, 3], targets: [9, 10], ground: [15], count: 40, test: 20, seed: 1 };

describe('linearTask', () => {
  it('gives out = matrix @ in for every example', () => {
    const t = linearTask(base);
    expect(t.train).toHaveLength(40);
    expect(t.test).toHaveLength(20);
    for (const ex of [...t.train, ...t.test]) {
      expect(ex.in).toHaveLength(2);
      expect(ex.out).toHaveLength(2);
      for (let r = 0; r < 2; r++) expect(ex.out[r]).toBeCloseTo(M[r][0] * ex.in[0] + M[r][1] * ex.in[1], 15);
    }
  });

  it('draws inputs uniformly from the input range (default [0, 1] V)', () => {
    const t = linearTask({ ...base, count: 500 });
    const xs = t.train.flatMap((e) => Array.from(e.in));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
    const u = linearTask({ ...base, inputRange: [-2, -1] });
    for (const e of u.train) for (const x of e.in) expect(x >= -2 && x < -1).toBe(true);
  });

  it('copies the roles and is reproducible from the seed', () => {
    const t = linearTask(base);
    expect(Array.from(t.sources)).toEqual([0, 3]);
    expect(Array.from(t.targets)).toEqual([9, 10]);
    expect(Array.from(t.ground)).toEqual([15]);
    expect(linearTask(base)).toEqual(t);
    expect(linearTask({ ...base, seed: 2 }).train[0].in).not.toEqual(t.train[0].in);
  });

  it('draws from a stream unrelated to a lattice built with the same seed', () => {
    const net = latticeNetwork({ rows: 4, cols: 4, diagonals: true, seed: 1 });
    const u = net.conductance[0] - 0.5; // the lattice's first uniform draw (range [0.5, 1.5] S)
    expect(Math.abs(u - linearTask(base).train[0].in[0])).toBeGreaterThan(1e-9);
  });

  it('defaults to no test examples and no ground', () => {
    const t = linearTask({ matrix: [[0.5]], sources: [0], targets: [1], count: 3 });
    expect(t.test).toEqual([]);
    expect(t.ground).toHaveLength(0);
  });

  it('makes a valid task file for the demo lattice', () => {
    const net = latticeNetwork({ rows: 4, cols: 4, diagonals: true, seed: 1 });
    const t = linearTask(base);
    expect(parseTask(taskToJson(t), 'task', net)).toEqual(t);
  });

  it('rejects a matrix whose shape does not match targets x sources', () => {
    expectInvalid(() => linearTask({ ...base, matrix: [[0.1, 0.2]] }), 'matrix', '2 rows (one per target) of 2 entries', 'got 1 rows');
    expectInvalid(() => linearTask({ ...base, matrix: [[0.1, 0.2], [0.3]] }), 'matrix[1]', 'row 1 must have 2 entries', 'got 1');
    expectInvalid(() => linearTask({ ...base, matrix: [[0.1, 0.2], [0.3, Number.NaN]] }), 'matrix[1][1]', 'finite');
  });

  it('rejects bad node roles', () => {
    expectInvalid(() => linearTask({ ...base, targets: [9, 0] }), 'targets[1]', 'node 0 is also listed at sources[0]');
    expectInvalid(() => linearTask({ ...base, sources: [0, 1.5] }), 'sources[1]', 'integer >= 0');
    expectInvalid(() => linearTask({ ...base, nodes: 16, ground: [16] }), 'ground[0]', 'integer in 0..15');
    expectInvalid(() => linearTask({ ...base, targets: [], matrix: [] }), 'targets', 'at least one node');
    expectInvalid(() => linearTask({ ...base, sources: [], ground: [], matrix: [[], []] }), 'sources', 'both empty');
  });

  it('rejects bad counts and input ranges', () => {
    expectInvalid(() => linearTask({ ...base, count: 0 }), 'count', 'integer >= 1');
    expectInvalid(() => linearTask({ ...base, test: -1 }), 'test', 'integer >= 0');
    expectInvalid(() => linearTask({ ...base, inputRange: [1, 1] }), 'inputRange', 'lo < hi');
  });
});
