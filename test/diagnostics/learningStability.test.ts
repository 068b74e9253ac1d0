import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { costHessian } from '../../src/diagnostics/costHessian.js';
import { largestEigenvalue, learningStability } from '../../src/diagnostics/learningStability.js';
import { InvalidInputError } from '../../src/errors.js';
import { cost, costGradient } from '../../src/physics/cost.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { linearTask } from '../../src/physics/generators/linearTask.js';
import type { Network } from '../../src/physics/Network.js';
import { Rng } from '../../src/physics/Rng.js';
import { StateSolver } from '../../src/physics/StateSolver.js';
import type { Example, Task } from '../../src/physics/Task.js';

/** Source 0 at Vs -- k1 -- target 1 -- k2 -- ground 2: V1 = Vs k1 / (k1 + k2), everything by hand. */
describe('learningStability on a series network (closed form)', () => {
  const [k1, k2, Vs, Vstar] = [0.7, 1.9, 1.3, 0.2];
  const net: Network = { name: 'series', nodes: 3, edgeA: Int32Array.of(0, 1), edgeB: Int32Array.of(1, 2), conductance: Float64Array.of(k1, k2) };
  const task: Task = {
    sources: Int32Array.of(0),
    ground: Int32Array.of(2),
    targets: Int32Array.of(1),
    train: [{ in: Float64Array.of(Vs), out: Float64Array.of(Vstar) }],
    test: [],
  };
  const s = k1 + k2;
  const r = (Vs * k1) / s - Vstar;
  const J = [(Vs * k2) / s ** 2, (-Vs * k1) / s ** 2];
  const d2V = [
    [(-2 * Vs * k2) / s ** 3, (Vs * (k1 - k2)) / s ** 3],
    [(Vs * (k1 - k2)) / s ** 3, (2 * Vs * k1) / s ** 3],
  ];
  const H = [0, 1].map((i) => [0, 1].map((j) => J[i] * J[j] + r * d2V[i][j]));
  const top2x2 = (a: number, b: number, d: number): number => (a + d + Math.sqrt((a - d) ** 2 + 4 * b * b)) / 2;

  it('the cost Hessian matches the hand derivation', () => {
    const h = costHessian(net, task);
    expect(h.cost).toBeCloseTo(0.5 * r * r, 15);
    for (let i = 0; i < 2; i++) {
      expect(h.jacobian[i]).toBeCloseTo(J[i], 14);
      for (let j = 0; j < 2; j++) {
        expect(h.full![i * 2 + j]).toBeCloseTo(H[i][j], 14);
        expect(h.gaussNewton[i * 2 + j]).toBeCloseTo(J[i] * J[j], 14);
      }
    }
  });

  it('lambdaMax of the full and of the Gauss-Newton Hessian', () => {
    const alpha = 3;
    const full = learningStability(alpha, costHessian(net, task));
    const lambda = top2x2(H[0][0], H[0][1], H[1][1]);
    expect(full.hessian).toBe('full');
    expect(full.lambdaMax).toBeCloseTo(lambda, 14);
    expect(full.index).toBeCloseTo(alpha * lambda, 13);
    expect(full.unstable).toBe(alpha * lambda > 2);
    expect(full.converged).toBe(true);

    const gn = learningStability(alpha, costHessian(net, task, { secondOrder: false }));
    expect(gn.hessian).toBe('gauss-newton');
    expect(gn.lambdaMax).toBeCloseTo(J[0] ** 2 + J[1] ** 2, 14); // rank one: |J|^2
    const viaJ = learningStability(alpha, { jacobian: Float64Array.from(J), rows: 1, edges: 2 });
    expect(viaJ.hessian).toBe('gauss-newton');
    expect(viaJ.lambdaMax).toBeCloseTo(J[0] ** 2 + J[1] ** 2, 14);
  });
});

describe('largestEigenvalue', () => {
  it('finds the algebraically largest eigenvalue (not the largest in magnitude) of a symmetric matrix', () => {
    const n = 60;
    const rng = new Rng(7);
    const B = Matrix.zeros(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) B.set(i, j, rng.normal());
    // orthogonal Q from the eigenvectors of B + B^T; prescribed spectrum with a dominant negative eigenvalue
    const Q = new EigenvalueDecomposition(B.add(B.transpose()), { assumeSymmetric: true }).eigenvectorMatrix;
    const spectrum = Array.from({ length: n }, (_, i) => (i === 0 ? -100 : i === 1 ? 7 : i === 2 ? 6.5 : rng.uniform(-5, 5)));
    const A = Q.mmul(Matrix.diag(spectrum)).mmul(Q.transpose());
    const a = Float64Array.from(A.to1DArray());
    const apply = (x: Float64Array, y: Float64Array): void => {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += a[i * n + j] * x[j];
        y[i] = s;
      }
    };
    const r = largestEigenvalue(apply, n);
    expect(r.converged).toBe(true);
    expect(Math.abs(r.value - 7)).toBeLessThan(1e-10);
    const Ay = new Float64Array(n);
    apply(r.vector, Ay);
    let res = 0;
    for (let i = 0; i < n; i++) res += (Ay[i] - r.value * r.vector[i]) ** 2;
    expect(Math.sqrt(res)).toBeLessThan(1e-6);
    expect(r.iterations).toBeLessThanOrEqual(n);
  });

  it('terminates exactly on a low-rank operator and on zero', () => {
    const u = Float64Array.of(1, 2, 3, 4);
    const r = largestEigenvalue((x, y) => {
      const c = u.reduce((s, ui, i) => s + ui * x[i], 0);
      for (let i = 0; i < 4; i++) y[i] = c * u[i];
    }, 4);
    expect(r.value).toBeCloseTo(30, 13);
    expect(r.converged).toBe(true);
    expect(r.iterations).toBeLessThanOrEqual(2);
    const z = largestEigenvalue((_, y) => y.fill(0), 5);
    expect(z.value).toBe(0);
    expect(z.converged).toBe(true);
  });
});

/** Mean exact gradient and cost over the examples at k (the adjoint, src/physics/cost.ts). */
function meanCostAndGradient(solver: StateSolver, examples: Example[], k: Float64Array): { c: number; g: Float64Array } {
  solver.setConductance(k);
  const g = new Float64Array(k.length);
  let c = 0;
  for (const ex of examples) {
    const free = solver.free(ex.in);
    c += cost(free.voltages, solver.roles.targets, ex.out) / examples.length;
    const ge = costGradient(solver, free, ex.out);
    for (let e = 0; e < g.length; e++) g[e] += ge[e] / examples.length;
  }
  return { c, g };
}

describe('learningStability predicts gradient descent', () => {
  const net = latticeNetwork({ rows: 4, cols: 4, diagonals: true, seed: 3 });
  const base = linearTask({ matrix: [[0.15, 0.3], [0.2, 0.1]], sources: [0, 3], targets: [9, 10], ground: [15], count: 4, seed: 4 });
  // Desired outputs = the outputs of the network's own conductances k0: a minimum with C = 0 at k0.
  const k0 = net.conductance;
  const solver = new StateSolver(net, base);
  solver.setConductance(k0);
  const task: Task = { ...base, train: base.train.map((ex) => ({ in: ex.in, out: Float64Array.from(base.targets, (t) => solver.free(ex.in).voltages[t]) })) };
  const h = costHessian(net, task);
  const lambda = learningStability(1, h).lambdaMax;

  function descend(alpha: number, steps: number): { start: number; end: number; k: Float64Array } {
    const rng = new Rng(11);
    const k = Float64Array.from(k0, (x) => x * (1 + 1e-8 * rng.normal()));
    const start = meanCostAndGradient(solver, task.train, k).c;
    for (let s = 0; s < steps; s++) {
      const { g } = meanCostAndGradient(solver, task.train, k);
      for (let e = 0; e < k.length; e++) k[e] -= alpha * g[e];
    }
    return { start, end: meanCostAndGradient(solver, task.train, k).c, k };
  }

  it('at the minimum the full Hessian is the Gauss-Newton one', () => {
    expect(h.cost).toBeLessThan(1e-30);
    let d = 0;
    for (let i = 0; i < h.full!.length; i++) d = Math.max(d, Math.abs(h.full![i] - h.gaussNewton[i]));
    expect(d).toBeLessThan(1e-14 * lambda);
    // the Jacobian route with scale 1/M gives the same eigenvalue
    const viaJ = learningStability(1, { jacobian: h.jacobian, rows: h.examples * task.targets.length, edges: h.edges, scale: 1 / h.examples });
    expect(Math.abs(viaJ.lambdaMax - lambda)).toBeLessThan(1e-10 * lambda);
  });

  it('alpha slightly above 2 / lambdaMax diverges along the stiffest mode; slightly below converges', () => {
    const above = 2.1 / lambda;
    const below = 1.9 / lambda;
    const sAbove = learningStability(above, h);
    const sBelow = learningStability(below, h);
    expect(sAbove.unstable).toBe(true);
    expect(sAbove.index).toBeCloseTo(2.1, 10);
    expect(sBelow.unstable).toBe(false);

    const up = descend(above, 120); // |1 - 2.1| = 1.1 per step: amplitude x 9e4, still linear from 1e-8
    const down = descend(below, 120);
    expect(up.end).toBeGreaterThan(1e6 * up.start);
    expect(down.end).toBeLessThan(1e-3 * down.start);
    // the divergence is along the eigenvector that learningStability found
    const v = largestEigenvalue((x, y) => {
      const E = h.edges;
      for (let i = 0; i < E; i++) {
        let s = 0;
        for (let j = 0; j < E; j++) s += h.full![i * E + j] * x[j];
        y[i] = s;
      }
    }, h.edges).vector;
    let dot = 0, nd = 0;
    for (let e = 0; e < v.length; e++) {
      const d = up.k[e] - k0[e];
      dot += d * v[e];
      nd += d * d;
    }
    expect(Math.abs(dot) / Math.sqrt(nd)).toBeGreaterThan(0.999);
  });

  it('rejects a step that is not a positive number', () => {
    for (const a of [0, -1, NaN, Infinity]) {
      try {
        learningStability(a, h);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidInputError);
        expect((e as InvalidInputError).field).toBe('alpha');
      }
    }
  });
});
