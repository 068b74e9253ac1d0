import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { localiseModes } from '../../src/diagnostics/localisedModes.js';
import { InvalidInputError } from '../../src/errors.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { Rng } from '../../src/physics/Rng.js';
import { randomOrthonormal } from './helpers.js';

/** Spread and centre straight from the definition: sum_d (psi^T X_d^2 psi - (psi^T X_d psi)^2). */
function spreadOf(psi: ArrayLike<number>, positions: Float64Array): { spread: number; cx: number; cy: number } {
  let x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  for (let k = 0; k < psi.length; k++) {
    const w = psi[k] * psi[k];
    const x = positions[2 * k], y = positions[2 * k + 1];
    x1 += w * x; y1 += w * y; x2 += w * x * x; y2 += w * y * y;
  }
  return { spread: x2 - x1 * x1 + y2 - y1 * y1, cx: x1, cy: y1 };
}


/** A line of 10 nodes at x = 0..9 (y = 0) and two orthonormal vectors on nodes 0-3 and 6-9. */
function twoLocalised(): { positions: Float64Array; u: Float64Array; w: Float64Array } {
  const positions = new Float64Array(20);
  for (let k = 0; k < 10; k++) positions[2 * k] = k;
  const u = new Float64Array(10);
  const w = new Float64Array(10);
  [0.2, 0.5, 0.7, 0.4].forEach((v, k) => (u[k] = v));
  [0.3, 0.6, 0.6, 0.2].forEach((v, k) => (w[6 + k] = v));
  const nu = Math.hypot(...u), nw = Math.hypot(...w);
  return { positions, u: u.map((x) => x / nu), w: w.map((x) => x / nw) };
}

function mix(u: Float64Array, w: Float64Array, theta: number): Float64Array[] {
  const c = Math.cos(theta), s = Math.sin(theta);
  return [u.map((x, k) => c * x + s * w[k]), u.map((x, k) => -s * x + c * w[k])];
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
};

describe('localiseModes', () => {
  it('leaves two already-localised vectors with disjoint supports in place (rotation = identity up to sign)', () => {
    const { positions, u, w } = twoLocalised();
    const r = localiseModes([u, w], positions);
    expect(r.converged).toBe(true);
    expect(r.sweeps).toBe(1);
    expect(Math.abs(r.rotation[0])).toBeCloseTo(1, 14);
    expect(Math.abs(r.rotation[3])).toBeCloseTo(1, 14);
    expect(r.rotation[1]).toBeCloseTo(0, 14);
    expect(r.rotation[2]).toBeCloseTo(0, 14);
    const expected = spreadOf(u, positions).spread + spreadOf(w, positions).spread;
    expect(r.initialSpread).toBeCloseTo(expected, 12);
    expect(r.totalSpread).toBeCloseTo(expected, 12);
    expect(r.centre[0]).toBeCloseTo(spreadOf(u, positions).cx, 12);
    expect(r.centre[2]).toBeCloseTo(spreadOf(w, positions).cx, 12);
  });

  it('recovers two localised vectors mixed by a known rotation, up to sign and order, with the unmixed spread', () => {
    const { positions, u, w } = twoLocalised();
    const unmixed = spreadOf(u, positions).spread + spreadOf(w, positions).spread;
    for (const theta of [0.3, -1.1, Math.PI / 4, 2.5]) {
      const input = mix(u, w, theta);
      const r = localiseModes(input, positions);
      expect(r.converged).toBe(true);
      expect(r.initialSpread).toBeGreaterThan(unmixed + 1e-3);
      expect(r.totalSpread).toBeCloseTo(unmixed, 10);
      // Each output is +-u or +-w, and both appear.
      const matchU = r.vectors.map((v) => Math.abs(dot(v, u)));
      const matchW = r.vectors.map((v) => Math.abs(dot(v, w)));
      expect(Math.max(...matchU)).toBeCloseTo(1, 10);
      expect(Math.max(...matchW)).toBeCloseTo(1, 10);
      expect(matchU.indexOf(Math.max(...matchU))).not.toBe(matchW.indexOf(Math.max(...matchW)));
    }
  });

  it('finds the optimum of a pair (brute-force scan of the angle) from a random start', () => {
    const rng = new Rng(5);
    const net = latticeNetwork({ rows: 5, cols: 6 });
    const positions = net.positions!;
    const [p, q] = randomOrthonormal(rng, net.nodes, 2);
    let bestScan = Infinity;
    for (let t = 0; t < 20000; t++) {
      const [a, b] = mix(p, q, (Math.PI * t) / 20000);
      bestScan = Math.min(bestScan, spreadOf(a, positions).spread + spreadOf(b, positions).spread);
    }
    const r = localiseModes([p, q], positions);
    expect(r.totalSpread).toBeLessThanOrEqual(bestScan + 1e-9);
    expect(r.totalSpread).toBeGreaterThan(bestScan - 1e-6);
  });

  it('never increases the total spread over sweeps; output is orthonormal and equals rotation x input', () => {
    // A random rotation of the 6 lowest Laplacian modes of a 7x8 lattice with random conductances.
    const rng = new Rng(11);
    const net = latticeNetwork({ rows: 7, cols: 8, seed: 4 });
    const positions = net.positions!;
    const L = Matrix.zeros(net.nodes, net.nodes);
    net.edgeA.forEach((a, e) => {
      const b = net.edgeB[e], k = net.conductance[e];
      L.set(a, a, L.get(a, a) + k); L.set(b, b, L.get(b, b) + k);
      L.set(a, b, L.get(a, b) - k); L.set(b, a, L.get(b, a) - k);
    });
    const evd = new EigenvalueDecomposition(L, { assumeSymmetric: true });
    const modes = [0, 1, 2, 3, 4, 5].map((j) => evd.eigenvectorMatrix.getColumn(j));
    const R = randomOrthonormal(rng, 6, 6);
    const input = R.map((row) => {
      const v = new Float64Array(net.nodes);
      row.forEach((r, j) => modes[j].forEach((x, k) => (v[k] += r * x)));
      return v;
    });
    let previous = Infinity;
    let first: number | undefined;
    for (let s = 0; s <= 12; s++) {
      const r = localiseModes(input, positions, { maxSweeps: s, tolerance: 0 });
      first ??= r.totalSpread;
      expect(r.totalSpread).toBeLessThanOrEqual(previous + 1e-12 * first);
      previous = r.totalSpread;
      expect(r.initialSpread).toBeCloseTo(first, 10);
    }
    expect(previous).toBeLessThan(first! * 0.5);

    const r = localiseModes(input, positions);
    expect(r.converged).toBe(true);
    const m = input.length;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        expect(dot(r.vectors[i], r.vectors[j])).toBeCloseTo(i === j ? 1 : 0, 12);
        let rr = 0;
        for (let k = 0; k < m; k++) rr += r.rotation[i * m + k] * r.rotation[j * m + k];
        expect(rr).toBeCloseTo(i === j ? 1 : 0, 12);
      }
      const rebuilt = new Float64Array(net.nodes);
      for (let j = 0; j < m; j++) for (let k = 0; k < net.nodes; k++) rebuilt[k] += r.rotation[i * m + j] * input[j][k];
      for (let k = 0; k < net.nodes; k++) expect(rebuilt[k]).toBeCloseTo(r.vectors[i][k], 12);
      const own = spreadOf(r.vectors[i], positions);
      expect(r.spread[i]).toBeCloseTo(own.spread, 10);
      expect(r.centre[2 * i]).toBeCloseTo(own.cx, 10);
      expect(r.centre[2 * i + 1]).toBeCloseTo(own.cy, 10);
      // Sign convention: the largest-magnitude entry is positive.
      const big = r.vectors[i].reduce((b, v, k, a) => (Math.abs(v) > Math.abs(a[b]) ? k : b), 0);
      expect(r.vectors[i][big]).toBeGreaterThan(0);
    }
    expect(r.totalSpread).toBeCloseTo(r.spread.reduce((a, b) => a + b, 0), 12);
  });

  it('localises the two lowest Laplacian modes of two weakly joined blobs into the blobs', () => {
    // Two 3x3 diagonal lattices, 10 units apart, joined by one edge of conductance 1e-3 (the blobs have 1).
    const rng = new Rng(3);
    const blob = latticeNetwork({ rows: 3, cols: 3, diagonals: true });
    const n = 18;
    const positions = new Float64Array(2 * n);
    const edges: [number, number, number][] = [];
    for (let b = 0; b < 2; b++) {
      for (let k = 0; k < 9; k++) {
        positions[2 * (9 * b + k)] = blob.positions![2 * k] + 10 * b;
        positions[2 * (9 * b + k) + 1] = blob.positions![2 * k + 1];
      }
      for (let e = 0; e < blob.edgeA.length; e++) edges.push([9 * b + blob.edgeA[e], 9 * b + blob.edgeB[e], rng.uniform(0.5, 1.5)]);
    }
    edges.push([5, 12, 1e-3]);
    const L = Matrix.zeros(n, n);
    for (const [a, b, k] of edges) {
      L.set(a, a, L.get(a, a) + k); L.set(b, b, L.get(b, b) + k);
      L.set(a, b, L.get(a, b) - k); L.set(b, a, L.get(b, a) - k);
    }
    const evd = new EigenvalueDecomposition(L, { assumeSymmetric: true });
    const lowest = [0, 1].map((j) => Float64Array.from(evd.eigenvectorMatrix.getColumn(j)));
    const r = localiseModes(lowest, positions);
    expect(r.converged).toBe(true);
    const weightIn = (v: Float64Array, b: number): number => v.slice(9 * b, 9 * b + 9).reduce((s, x) => s + x * x, 0);
    const owners = r.vectors.map((v) => (weightIn(v, 0) > 0.5 ? 0 : 1));
    expect(new Set(owners).size).toBe(2);
    r.vectors.forEach((v, i) => {
      expect(weightIn(v, owners[i])).toBeGreaterThan(0.999);
      expect(r.centre[2 * i]).toBeCloseTo(1 + 10 * owners[i], 1);
    });
  });

  it('a single vector is already converged', () => {
    const { positions, u } = twoLocalised();
    const r = localiseModes([u], positions);
    expect(r.converged).toBe(true);
    expect(r.sweeps).toBe(0);
    expect(r.rotation[0]).toBe(1);
    expect(r.totalSpread).toBeCloseTo(spreadOf(u, positions).spread, 12);
  });

  it('rejects bad input, naming the parameter', () => {
    const { positions, u, w } = twoLocalised();
    const bad = (f: () => unknown, field: string): void => {
      try {
        f();
        expect.unreachable('no error');
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidInputError);
        expect((e as InvalidInputError).field).toBe(field);
      }
    };
    bad(() => localiseModes([], positions), 'vectors');
    bad(() => localiseModes([u, w.slice(0, 9)], positions), 'vectors[1]');
    bad(() => localiseModes([u, u], positions), 'vectors');
    bad(() => localiseModes([u.map((x) => 2 * x)], positions), 'vectors');
    bad(() => localiseModes([u, w], positions.slice(0, 18)), 'positions');
    bad(() => localiseModes([u, w], positions.map((x, i) => (i === 3 ? NaN : x))), 'positions[3]');
    bad(() => localiseModes([u.map((x, i) => (i === 2 ? Infinity : x))], positions), 'vectors[0][2]');
    bad(() => localiseModes([u, w], positions, { maxSweeps: -1 }), 'maxSweeps');
    bad(() => localiseModes([u, w], positions, { maxSweeps: 1.5 }), 'maxSweeps');
    bad(() => localiseModes([u, w], positions, { tolerance: NaN }), 'tolerance');
  });
});
