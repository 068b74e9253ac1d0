import { Matrix, solve as denseSolve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { NumericalError } from '../../../src/errors.js';
import { ConjugateGradient } from '../../../src/physics/sparse/ConjugateGradient.js';
import { type CsrMatrix, csrFromTriplets, csrMatVec } from '../../../src/physics/sparse/CsrMatrix.js';
import { IncompleteCholesky } from '../../../src/physics/sparse/IncompleteCholesky.js';
import { JacobiPreconditioner } from '../../../src/physics/sparse/JacobiPreconditioner.js';
import { WarmStartCache } from '../../../src/physics/sparse/WarmStartCache.js';
import { dense, groundedLaplacian, latticeEdges, randomConnectedEdges, randomSpd, Rng } from './helpers.js';

function relResidual(a: CsrMatrix, x: Float64Array, b: Float64Array): number {
  const ax = csrMatVec(a, x, new Float64Array(a.n));
  let r = 0;
  let bb = 0;
  for (let i = 0; i < a.n; i++) {
    r += (ax[i] - b[i]) ** 2;
    bb += b[i] ** 2;
  }
  return Math.sqrt(r / bb);
}

describe('ConjugateGradient', () => {
  const rng = new Rng(9);

  it('matches a dense solve with Jacobi and IC(0) preconditioning', () => {
    for (const a of [randomSpd(150, 6, rng), groundedLaplacian(300, randomConnectedEdges(300, 450, rng), [0, 1], rng)]) {
      const b = Float64Array.from({ length: a.n }, () => rng.normal());
      const xd = denseSolve(new Matrix(dense(a)), Matrix.columnVector(Array.from(b))).getColumn(0);
      const jac = new JacobiPreconditioner(a.n);
      jac.update(a);
      const ic = new IncompleteCholesky(a);
      expect(ic.update(a)).toBe(true);
      const cg = new ConjugateGradient(a.n);
      const iters: number[] = [];
      for (const m of [jac, ic]) {
        const x = new Float64Array(a.n);
        const res = cg.solve(a, m, b, x, 1e-12, 10 * a.n);
        expect(res.converged).toBe(true);
        expect(res.residual).toBeLessThanOrEqual(1e-12);
        expect(relResidual(a, x, b)).toBeLessThanOrEqual(1e-12);
        const scale = Math.max(...xd.map(Math.abs));
        for (let i = 0; i < a.n; i++) expect(Math.abs(x[i] - xd[i]) / scale).toBeLessThan(1e-9);
        iters.push(res.iterations);
      }
      expect(iters[1]).toBeLessThan(iters[0]); // IC(0) beats Jacobi
    }
  });

  it('IC(0) is exact on a tree (no fill), so CG converges at once', () => {
    const n = 100;
    // Every vertex's parent has a larger index: the natural order eliminates leaves first, without fill.
    const tree = { a: [] as number[], b: [] as number[] };
    for (let v = 0; v < n - 1; v++) tree.a.push(v), tree.b.push(v + 1 + rng.int(n - 1 - v));
    const a = groundedLaplacian(n, tree, [n - 1], rng);
    const ic = new IncompleteCholesky(a);
    expect(ic.update(a)).toBe(true);
    const b = Float64Array.from({ length: n }, () => rng.normal());
    const res = new ConjugateGradient(n).solve(a, ic, b, new Float64Array(n), 1e-12, 100);
    expect(res.iterations).toBeLessThanOrEqual(2);
    expect(res.converged).toBe(true);
  });

  it('warm start from a nearby solution saves iterations', () => {
    const side = 30;
    const edges = latticeEdges(side, true);
    const k1 = Float64Array.from(edges.a, () => rng.uniform(0.5, 2));
    const a1 = groundedLaplacian(side * side, edges, [0, 899], rng, (e) => k1[e]);
    const ic = new IncompleteCholesky(a1);
    ic.update(a1);
    const cg = new ConjugateGradient(a1.n);
    const b = Float64Array.from({ length: a1.n }, () => rng.normal());
    const x1 = new Float64Array(a1.n);
    const cold = cg.solve(a1, ic, b, x1, 1e-12, 10000);
    // Slightly changed conductances (as after a training step), same right-hand side.
    const a2 = groundedLaplacian(side * side, edges, [0, 899], rng, (e) => k1[e] * (1 + 0.02 * Math.sin(e)));
    ic.update(a2);
    const cache = new WarmStartCache(a1.n);
    cache.remember(b, x1);
    const x2 = new Float64Array(a1.n);
    cache.initialGuess(a2, b, x2, new Float64Array(a1.n));
    const warm = cg.solve(a2, ic, b, x2, 1e-12, 10000);
    expect(warm.converged).toBe(true);
    expect(warm.iterations).toBeLessThan(cold.iterations);
    // A scaled right-hand side reuses the scaled solution exactly.
    const x3 = new Float64Array(a1.n);
    cache.initialGuess(a2, b.map((v) => -3 * v), x3, new Float64Array(a1.n));
    for (let i = 0; i < a1.n; i++) expect(x3[i]).toBe(-3 * x1[i]);
  });

  it('returns zero for a zero right-hand side', () => {
    const a = randomSpd(20, 4, rng);
    const jac = new JacobiPreconditioner(20);
    jac.update(a);
    const x = Float64Array.from({ length: 20 }, () => 1);
    const res = new ConjugateGradient(20).solve(a, jac, new Float64Array(20), x, 1e-12, 100);
    expect(res).toEqual({ iterations: 0, residual: 0, converged: true });
    expect(Array.from(x)).toEqual(new Array(20).fill(0));
  });

  it('throws NumericalError on an indefinite matrix', () => {
    const a = csrFromTriplets(2, [0, 1, 0, 1], [0, 1, 1, 0], [1, 1, 2, 2]); // eigenvalues 3, -1
    const jac = new JacobiPreconditioner(2);
    jac.update(a);
    expect(() => new ConjugateGradient(2).solve(a, jac, Float64Array.of(1, -1), new Float64Array(2), 1e-12, 10)).toThrow(NumericalError);
  });
});
