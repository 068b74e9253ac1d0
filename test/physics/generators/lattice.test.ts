import { describe, expect, it } from 'vitest';
import { findFloatingNodes } from '../../../src/formats/connectivity.js';
import { networkToJson, parseNetwork } from '../../../src/formats/networkFile.js';
import { DEFAULT_BOUNDS, DEFAULT_CONDUCTANCE, DEFAULT_RANDOM_RANGE } from '../../../src/physics/generators/conductanceSpec.js';
import { latticeNetwork, type LatticeOptions } from '../../../src/physics/generators/lattice.js';
import type { Network } from '../../../src/physics/Network.js';
import { expectInvalid } from '../../formats/expectInvalid.js';

/** Expected edge count by formula. */
function expectedEdges(rows: number, cols: number, diagonals: boolean, periodic: boolean): number {
  if (periodic) return (diagonals ? 4 : 2) * rows * cols;
  return rows * (cols - 1) + (rows - 1) * cols + (diagonals ? 2 * (rows - 1) * (cols - 1) : 0);
}

function degrees(net: Network): number[] {
  const d = new Array<number>(net.nodes).fill(0);
  for (let e = 0; e < net.edgeA.length; e++) {
    d[net.edgeA[e]]++;
    d[net.edgeB[e]]++;
  }
  return d;
}

/** The generated network passes the file validator (no self-loops, no duplicate edges, conductances in bounds). */
function valid(net: Network): Network {
  return parseNetwork(networkToJson(net), net.name);
}

describe('latticeNetwork edge counts', () => {
  it('4x4: 24 open, 42 with diagonals, 32 periodic, 64 periodic with diagonals', () => {
    expect(latticeNetwork({ rows: 4, cols: 4 }).edgeA.length).toBe(24);
    expect(latticeNetwork({ rows: 4, cols: 4, diagonals: true }).edgeA.length).toBe(42);
    expect(latticeNetwork({ rows: 4, cols: 4, periodic: true }).edgeA.length).toBe(32);
    expect(latticeNetwork({ rows: 4, cols: 4, periodic: true, diagonals: true }).edgeA.length).toBe(64);
  });

  const sizes: [number, number][] = [[1, 2], [2, 1], [1, 5], [2, 2], [3, 3], [3, 5], [5, 3], [4, 7], [6, 6]];
  for (const [rows, cols] of sizes) {
    for (const diagonals of [false, true]) {
      for (const periodic of [false, true]) {
        if (periodic && (rows < 3 || cols < 3)) continue;
        it(`${rows}x${cols} diagonals=${diagonals} periodic=${periodic} matches the formula and is a valid network`, () => {
          const net = valid(latticeNetwork({ rows, cols, diagonals, periodic }));
          expect(net.nodes).toBe(rows * cols);
          expect(net.edgeA.length).toBe(expectedEdges(rows, cols, diagonals, periodic));
          expect(findFloatingNodes(net.nodes, net.edgeA, net.edgeB, [0])).toHaveLength(0);
          if (periodic) expect(new Set(degrees(net))).toEqual(new Set([diagonals ? 8 : 4]));
        });
      }
    }
  }
});

describe('latticeNetwork layout', () => {
  it('numbers node (r, c) as r*cols + c at position (c, r)', () => {
    const net = latticeNetwork({ rows: 2, cols: 3 });
    expect(Array.from(net.positions!)).toEqual([0, 0, 1, 0, 2, 0, 0, 1, 1, 1, 2, 1]);
  });

  it('orders edges node by node: right, down, down-right, down-left', () => {
    const net = latticeNetwork({ rows: 2, cols: 2, diagonals: true });
    const pairs = Array.from(net.edgeA, (a, e) => [a, net.edgeB[e]]);
    expect(pairs).toEqual([[0, 1], [0, 2], [0, 3], [1, 3], [1, 2], [2, 3]]);
  });

  it('wraps around with periodic', () => {
    const net = latticeNetwork({ rows: 3, cols: 3, periodic: true });
    const pairs = new Set(Array.from(net.edgeA, (a, e) => `${a}-${net.edgeB[e]}`));
    expect(pairs.has('2-0')).toBe(true); // (0,2) -> (0,0)
    expect(pairs.has('6-0')).toBe(true); // (2,0) -> (0,0)
  });

  it('gives interior nodes 8 neighbours with diagonals', () => {
    const net = latticeNetwork({ rows: 4, cols: 4, diagonals: true });
    const d = degrees(net);
    expect([d[5], d[6], d[9], d[10]]).toEqual([8, 8, 8, 8]);
    expect([d[0], d[3], d[12], d[15]]).toEqual([3, 3, 3, 3]);
  });

  it('names the lattice after its options', () => {
    expect(latticeNetwork({ rows: 4, cols: 5, diagonals: true, periodic: true }).name).toBe('lattice-4x5-diag-periodic');
    expect(latticeNetwork({ rows: 4, cols: 5, name: 'mine' }).name).toBe('mine');
  });
});

describe('latticeNetwork conductances', () => {
  it('is the constant 1 S without a seed, with the default bounds', () => {
    const net = latticeNetwork({ rows: 3, cols: 3 });
    expect(Array.from(new Set(net.conductance))).toEqual([DEFAULT_CONDUCTANCE]);
    expect(net.bounds).toEqual(DEFAULT_BOUNDS);
  });

  it('is uniform in [0.5, 1.5] S with a seed, and reproducible', () => {
    const a = latticeNetwork({ rows: 5, cols: 5, diagonals: true, seed: 3 });
    const b = latticeNetwork({ rows: 5, cols: 5, diagonals: true, seed: 3 });
    const c = latticeNetwork({ rows: 5, cols: 5, diagonals: true, seed: 4 });
    expect(a).toEqual(b);
    expect(a.conductance).not.toEqual(c.conductance);
    for (const k of a.conductance) {
      expect(k).toBeGreaterThanOrEqual(DEFAULT_RANDOM_RANGE[0]);
      expect(k).toBeLessThan(DEFAULT_RANDOM_RANGE[1]);
    }
    expect(new Set(a.conductance).size).toBe(a.conductance.length);
  });

  it('takes a constant or a range and custom bounds', () => {
    expect(Array.from(new Set(latticeNetwork({ rows: 2, cols: 2, seed: 1, conductance: 2e-3 }).conductance))).toEqual([2e-3]);
    const net = latticeNetwork({ rows: 3, cols: 3, conductance: [1, 2], bounds: [0.5, 5] });
    for (const k of net.conductance) expect(k >= 1 && k < 2).toBe(true);
    expect(net.bounds).toEqual([0.5, 5]);
  });
});

describe('latticeNetwork errors', () => {
  const bad = (o: Partial<LatticeOptions>): (() => unknown) => () => latticeNetwork({ rows: 4, cols: 4, ...o });

  it('rejects rows or cols that are not positive integers', () => {
    expectInvalid(bad({ rows: 0 }), 'rows', 'integer >= 1', 'got 0');
    expectInvalid(bad({ cols: 2.5 }), 'cols', 'integer >= 1', '2.5');
  });

  it('rejects a single-node lattice', () => {
    expectInvalid(bad({ rows: 1, cols: 1 }), 'rows', 'single node');
  });

  it('rejects a periodic lattice smaller than 3x3', () => {
    expectInvalid(bad({ rows: 2, cols: 4, periodic: true }), 'periodic', 'rows >= 3 and cols >= 3', 'got 2x4');
    expectInvalid(bad({ rows: 5, cols: 2, periodic: true, diagonals: true }), 'periodic', 'got 5x2');
  });

  it('rejects conductances outside the bounds and bad bounds', () => {
    expectInvalid(bad({ conductance: 5000 }), 'conductance', 'not inside bounds', 'widen');
    expectInvalid(bad({ conductance: [2e-3, 1e-3] }), 'conductance', '0 < lo <= hi');
    expectInvalid(bad({ conductance: -1 }), 'conductance', '0 < lo <= hi');
    expectInvalid(bad({ bounds: [1, 0.1] }), 'bounds', '0 < k_min <= k_max');
  });

  it('rejects a non-finite seed', () => {
    expectInvalid(bad({ seed: Number.NaN }), 'seed', 'finite');
  });
});
