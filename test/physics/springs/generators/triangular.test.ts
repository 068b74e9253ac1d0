import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../src/errors.js';
import { Rng } from '../../../../src/physics/Rng.js';
import { triangularSprings } from '../../../../src/physics/springs/generators/triangular.js';
import { referenceDistance } from '../../../../src/physics/springs/SpringNetwork.js';
import { degrees, zeroModes } from './rigidity.js';

/** Bonds of the full lattice found by brute force: node pairs at distance 1 (spacing) in the undisordered lattice. */
function unitPairs(rows: number, cols: number): { count: number; degree: Int32Array } {
  const net = triangularSprings({ rows, cols, disorder: 0, seed: 1 }).network;
  const degree = new Int32Array(net.nodes);
  let count = 0;
  for (let i = 0; i < net.nodes; i++) {
    for (let j = i + 1; j < net.nodes; j++) {
      if (Math.abs(referenceDistance(net, i, j) - 1) < 1e-12) {
        count++;
        degree[i]++;
        degree[j]++;
      }
    }
  }
  return { count, degree };
}

describe('triangular spring lattices', () => {
  it('undiluted: one spring per pair of nearest neighbours (brute force), unit rest lengths, R(C-1) + (R-1)(2C-1) springs', () => {
    for (const [r, c] of [[2, 2], [3, 5], [6, 4]]) {
      const res = triangularSprings({ rows: r, cols: c, disorder: 0, seed: 3 });
      const net = res.network;
      const truth = unitPairs(r, c);
      expect(net.edgeA.length).toBe(truth.count);
      expect(net.edgeA.length).toBe(r * (c - 1) + (r - 1) * (2 * c - 1));
      for (const l of net.restLength) expect(l).toBeCloseTo(1, 12);
      expect(res.coordination).toBeCloseTo((2 * truth.count) / (r * c), 12);
      expect(res.range[1]).toBeCloseTo(res.coordination, 12);
    }
  });

  it('dilutes to the coordination asked (to the nearest spring), each node keeping >= 3 springs unless the full lattice gave it 2', () => {
    const rows = 10;
    const cols = 12;
    const n = rows * cols;
    const full = unitPairs(rows, cols).degree;
    for (const seed of [1, 2, 3]) {
      for (const z of [4.4, 5]) {
        const res = triangularSprings({ rows, cols, coordination: z, disorder: 0.2, seed });
        expect(Math.abs(res.coordination - z)).toBeLessThanOrEqual(1 / n + 1e-12);
        expect(res.coordination).toBeCloseTo((2 * res.network.edgeA.length) / n, 12);
        const d = degrees(res.network);
        for (let i = 0; i < n; i++) expect(d[i], `node ${i}`).toBeGreaterThanOrEqual(Math.min(3, full[i]));
      }
    }
  });

  it('is rigid: exactly 3 zero eigenvalues of the stiffness matrix, down to the lowest coordination the rule reaches', () => {
    for (const seed of [1, 2, 3, 4]) {
      const zMin = triangularSprings({ rows: 8, cols: 8, disorder: 0.1, seed }).range[0];
      for (const z of [zMin, 4.5, 5.5]) {
        if (z > 5.03) continue;
        const res = triangularSprings({ rows: 8, cols: 8, coordination: z, disorder: 0.1, seed });
        const m = zeroModes(res.network);
        expect(m.zero, `seed ${seed}, Z ${z}`).toBe(3);
        expect(m.smallestNonZero).toBeGreaterThan(1e-7);
      }
    }
  });

  it('needs the rigid basis near isostaticity: the degree rule alone leaves floppy modes at Z = 4.1 (so the check above can fail)', () => {
    // the same lattices diluted by the degree rule only (remove random springs whose ends keep >= 3) to Z = 4.1
    let floppy = 0;
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const full = triangularSprings({ rows: 8, cols: 8, disorder: 0.1, seed }).network;
      const target = Math.round((4.1 * 64) / 2);
      const rng = new Rng(seed);
      const d = degrees(full);
      const keep = new Uint8Array(full.edgeA.length).fill(1);
      let e = full.edgeA.length;
      for (const s of rng.shuffle(Array.from(keep.keys()))) {
        if (e === target) break;
        if (d[full.edgeA[s]] >= 4 && d[full.edgeB[s]] >= 4) {
          keep[s] = 0;
          d[full.edgeA[s]]--;
          d[full.edgeB[s]]--;
          e--;
        }
      }
      const pick = <T extends Int32Array | Float64Array>(a: T): T => a.filter((_, i) => keep[i]) as T;
      const net = { ...full, edgeA: pick(full.edgeA), edgeB: pick(full.edgeB), stiffness: pick(full.stiffness), restLength: pick(full.restLength) };
      if (zeroModes(net).zero > 3) floppy++;
    }
    expect(floppy).toBeGreaterThan(0);
  });

  it('displaces each node by at most D, uniformly by area in the disk, with springs unstressed at the displaced positions', () => {
    const d = 0.3;
    const rows = 30;
    const cols = 30;
    const res = triangularSprings({ rows, cols, coordination: 5, disorder: d, seed: 9 });
    const net = res.network;
    const radii: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        const rad = Math.hypot(net.positions[2 * i] - (c + (r % 2) / 2), net.positions[2 * i + 1] - (r * Math.sqrt(3)) / 2);
        expect(rad).toBeLessThanOrEqual(d + 1e-12);
        radii.push(rad / d);
      }
    }
    // uniform by area: (rad / D)^2 is uniform on [0, 1): mean 1/2, standard error 0.29 / sqrt(900) ~ 0.01
    const mean = radii.reduce((s, x) => s + x * x, 0) / radii.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.04);
    for (let e = 0; e < net.edgeA.length; e++) expect(net.restLength[e]).toBeCloseTo(referenceDistance(net, net.edgeA[e], net.edgeB[e]), 14);
    expect(net.stiffness.every((k) => k === 1)).toBe(true);
    expect(net.bounds).toEqual([1e-3, 1e3]);
  });

  it('is deterministic per seed and differs between seeds', () => {
    const a = triangularSprings({ rows: 6, cols: 7, coordination: 4.6, disorder: 0.1, seed: 5, stiffness: 2, bounds: [0.5, 4] }).network;
    const b = triangularSprings({ rows: 6, cols: 7, coordination: 4.6, disorder: 0.1, seed: 5, stiffness: 2, bounds: [0.5, 4] }).network;
    const c = triangularSprings({ rows: 6, cols: 7, coordination: 4.6, disorder: 0.1, seed: 6, stiffness: 2, bounds: [0.5, 4] }).network;
    expect(b).toEqual(a);
    expect(Array.from(c.edgeA)).not.toEqual(Array.from(a.edgeA));
    expect(a.stiffness[0]).toBe(2);
    expect(a.bounds).toEqual([0.5, 4]);
  });

  it('refuses Z outside the reachable range with the range in the message, and bad sizes and disorder', () => {
    const range = triangularSprings({ rows: 8, cols: 8, seed: 1 }).range;
    for (const z of [3, range[0] - 0.1, range[1] + 0.1, 6.5]) {
      let err: unknown;
      try {
        triangularSprings({ rows: 8, cols: 8, seed: 1, coordination: z });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message).toContain(`[${range[0].toFixed(3)}, ${range[1].toFixed(3)}]`);
    }
    expect(() => triangularSprings({ rows: 1, cols: 8 })).toThrow(InvalidInputError);
    expect(() => triangularSprings({ rows: 4, cols: 4, disorder: 0.5 })).toThrow(/\[0, 0.5\)/);
    expect(() => triangularSprings({ rows: 4, cols: 4, disorder: -0.1 })).toThrow(InvalidInputError);
    expect(() => triangularSprings({ rows: 4, cols: 4, stiffness: 0 })).toThrow(InvalidInputError);
    expect(() => triangularSprings({ rows: 4, cols: 4, stiffness: 5, bounds: [1, 2] })).toThrow(/outside the bounds/);
  });
});
