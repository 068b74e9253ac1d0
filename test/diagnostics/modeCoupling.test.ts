import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { modeCoupling } from '../../src/diagnostics/modeCoupling.js';
import { InvalidInputError } from '../../src/errors.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import type { Network } from '../../src/physics/Network.js';
import { Rng } from '../../src/physics/Rng.js';
import { randomOrthonormal } from './helpers.js';

/** All eigenpairs of the dense full Laplacian (ml-matrix), ascending. */
function laplacianEigen(net: Network): { values: Float64Array; vectors: Float64Array[] } {
  const n = net.nodes;
  const L = Matrix.zeros(n, n);
  net.edgeA.forEach((a, e) => {
    const b = net.edgeB[e], k = net.conductance[e];
    L.set(a, a, L.get(a, a) + k); L.set(b, b, L.get(b, b) + k);
    L.set(a, b, L.get(a, b) - k); L.set(b, a, L.get(b, a) - k);
  });
  const evd = new EigenvalueDecomposition(L, { assumeSymmetric: true });
  return {
    values: Float64Array.from(evd.realEigenvalues),
    vectors: [...Array(n).keys()].map((j) => Float64Array.from(evd.eigenvectorMatrix.getColumn(j))),
  };
}

/** Unit squared drops of a node vector, computed here from the definition. */
function unitSquaredDrops(net: Network, psi: Float64Array): Float64Array {
  const s = Float64Array.from(net.edgeA, (a, e) => (psi[net.edgeB[e]] - psi[a]) ** 2);
  const norm = Math.hypot(...s);
  return s.map((x) => x / norm);
}

/** Sum of mu_i q_i q_i^T, E x E row-major. */
function fromSpectrum(E: number, mu: number[], q: Float64Array[]): Float64Array {
  const C = new Float64Array(E * E);
  mu.forEach((m, r) => {
    for (let i = 0; i < E; i++) for (let j = 0; j < E; j++) C[i * E + j] += m * q[r][i] * q[r][j];
  });
  return C;
}


const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
};

const net = latticeNetwork({ rows: 4, cols: 5, seed: 7 });
const E = net.edgeA.length;
const eig = laplacianEigen(net);
/** The 12 softest modes including the zero mode (index 0). */
const physical = { values: eig.values.slice(0, 12), vectors: eig.vectors.slice(0, 12) };

describe('modeCoupling', () => {
  it('finds a rank-one cost Hessian along the squared drops of a physical mode: cosine 1, far above random', () => {
    const chosen = 3; // physical mode index among the given ones (the zero mode is 0)
    const s = unitSquaredDrops(net, physical.vectors[chosen]);
    const C = fromSpectrum(E, [2.5], [s]);
    const r = modeCoupling(C, E, physical, net.edgeA, net.edgeB);
    expect(r.soft.skipped).toBe(1);
    expect(r.soft.values.length).toBe(10);
    expect([...r.soft.values]).toEqual([...physical.values.slice(1, 11)]);
    expect(r.stiff.rank).toBe(1);
    expect(r.stiff.values[0]).toBeCloseTo(2.5, 12);
    expect(r.stiff.values.length).toBe(3);
    expect(Math.abs(dot(r.stiff.vectors[0], s))).toBeCloseTo(1, 12);
    expect(r.best.stiffMode).toBe(0);
    expect(r.best.softMode).toBe(chosen - 1);
    expect(r.best.cosine).toBeCloseTo(1, 12);
    expect(r.alignment[chosen - 1]).toBeCloseTo(1, 12);
    // Soft squared drops match the definition.
    for (let j = 0; j < 10; j++) {
      const own = unitSquaredDrops(net, physical.vectors[j + 1]);
      own.forEach((x, e) => expect(r.soft.squaredDrops[j][e]).toBeCloseTo(x, 12));
      expect(r.alignment[j]).toBeCloseTo(Math.abs(dot(own, s)), 12);
    }
    expect(r.random.samples).toBe(200);
    expect(r.random.p95).toBeGreaterThanOrEqual(r.random.mean);
    expect(r.random.p95).toBeLessThan(0.9);
    expect(r.best.cosine - r.random.p95).toBeGreaterThan(0.1);
    // One pair: the power fit is undefined.
    expect(r.power.pairs).toBe(1);
    expect(r.power.exponent).toBeNaN();
  });

  it('computes the alignment of an arbitrary stiff direction from the definition, and a seeded baseline', () => {
    const rng = new Rng(2);
    const [w] = randomOrthonormal(rng, E, 1);
    const C = fromSpectrum(E, [1], [w]);
    const r = modeCoupling(C, E, physical, net.edgeA, net.edgeB, { stiff: 1, soft: 5, randomSamples: 500, seed: 9 });
    expect(r.alignment.length).toBe(5);
    for (let j = 0; j < 5; j++) expect(r.alignment[j]).toBeCloseTo(Math.abs(dot(w, unitSquaredDrops(net, physical.vectors[j + 1]))), 12);
    // Baseline, recomputed: Rng(9), Gaussian node vectors.
    const g = new Rng(9);
    const cos: number[] = [];
    for (let t = 0; t < 500; t++) {
      const x = Float64Array.from({ length: net.nodes }, () => g.normal());
      cos.push(Math.abs(dot(w, unitSquaredDrops(net, x))));
    }
    expect(r.random.mean).toBeCloseTo(cos.reduce((a, b) => a + b, 0) / 500, 12);
    cos.sort((a, b) => a - b);
    expect(r.random.p95).toBeCloseTo(cos[474] + 0.05 * (cos[475] - cos[474]), 12);
    const again = modeCoupling(C, E, physical, net.edgeA, net.edgeB, { stiff: 1, soft: 5, randomSamples: 500, seed: 9 });
    expect(again.random).toEqual(r.random);
    const other = modeCoupling(C, E, physical, net.edgeA, net.edgeB, { stiff: 1, soft: 5, randomSamples: 500, seed: 10 });
    expect(other.random.mean).not.toBe(r.random.mean);
  });

  it('recovers a known power law mu_i = c lambda_i^-p', () => {
    const rng = new Rng(4);
    const p = 1.7, c = 0.03, P = 8;
    const lambda = [...physical.values.slice(1, 1 + P)];
    const mu = lambda.map((l) => c * l ** -p);
    const C = fromSpectrum(E, mu, randomOrthonormal(rng, E, P));
    const r = modeCoupling(C, E, physical, net.edgeA, net.edgeB);
    expect(r.stiff.rank).toBe(P);
    expect(r.power.pairs).toBe(P); // min(stiff' = 8, soft = 10)
    expect(r.power.exponent).toBeCloseTo(p, 9);
    expect(r.power.prefactor / c).toBeCloseTo(1, 9);
    expect(r.power.r2).toBeCloseTo(1, 12);
    [...r.stiff.values].forEach((v, i) => expect(v).toBeCloseTo(mu[i], 9));
    // Fewer pairs on request; a noisy law gives r2 < 1.
    expect(modeCoupling(C, E, physical, net.edgeA, net.edgeB, { pairs: 3 }).power.exponent).toBeCloseTo(p, 9);
    const noisy = lambda.map((l, i) => c * l ** -p * (i % 2 === 0 ? 1.5 : 1 / 1.5));
    const rn = modeCoupling(fromSpectrum(E, noisy, randomOrthonormal(rng, E, P)), E, physical, net.edgeA, net.edgeB);
    expect(rn.power.r2).toBeLessThan(1);
    expect(rn.power.r2).toBeGreaterThan(0.5);
  });

  it('rejects bad input', () => {
    const C = fromSpectrum(E, [1], randomOrthonormal(new Rng(1), E, 1));
    const bad = (f: () => unknown, field: string): void => {
      expect(f).toThrow(InvalidInputError);
      try { f(); } catch (e) { expect((e as InvalidInputError).field).toBe(field); }
    };
    const run = (o: Partial<{ C: Float64Array; E: number; phys: { values: ArrayLike<number>; vectors: Float64Array[] }; a: Int32Array; b: Int32Array }> = {}, opts = {}) =>
      modeCoupling(o.C ?? C, o.E ?? E, o.phys ?? physical, o.a ?? net.edgeA, o.b ?? net.edgeB, opts);
    bad(() => run({ E: 0 }), 'edges');
    bad(() => run({ C: C.slice(1) }), 'costHessian');
    const asym = C.slice();
    asym[1] += 1;
    bad(() => run({ C: asym }), 'costHessian[0][1]');
    const nan = C.slice();
    nan[5] = NaN;
    bad(() => run({ C: nan }), 'costHessian[5]');
    bad(() => run({ a: net.edgeA.slice(1) }), 'edgeA');
    bad(() => run({ b: Int32Array.from(net.edgeB, (x) => x + 100) }), 'edgeB[0]');
    bad(() => run({ phys: { values: physical.values.slice(1), vectors: physical.vectors } }), 'physical.values');
    bad(() => run({ phys: { values: physical.values.slice(0, 1), vectors: physical.vectors.slice(0, 1) } }), 'physical');
    bad(() => run({ phys: { values: [...physical.values].reverse(), vectors: physical.vectors } }), 'physical.values[1]');
    bad(() => run({}, { soft: 12 }), 'soft');
    bad(() => run({}, { soft: 0 }), 'soft');
    bad(() => run({}, { stiff: E + 1 }), 'stiff');
    bad(() => run({}, { pairs: 2 }), 'pairs'); // rank one
    bad(() => run({}, { randomSamples: 0 }), 'randomSamples');
    bad(() => run({}, { seed: NaN }), 'seed');
  });
});
