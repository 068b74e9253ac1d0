/**
 * Large transistor networks (above the dense Jacobian's 2000 free nodes) through the sparse exact-Jacobian solve
 * (sparseJacobian.ts): the exact-Newton finish of a stalled state and the adjoint gradient, against independent truths:
 * Kirchhoff's law recomputed here from the square-law formula (not from the solver's laws), and central finite
 * differences of the solved cost.
 */
import { describe, expect, it } from 'vitest';
import { NumericalError } from '../../../src/errors.js';
import { latticeNetwork } from '../../../src/physics/generators/lattice.js';
import type { Network } from '../../../src/physics/Network.js';
import type { TransistorElement } from '../../../src/physics/nonlinear/EdgeElement.js';
import { initialParameters, lawsAt } from '../../../src/physics/nonlinear/learningParameters.js';
import { nonlinearCostGradient, sparseJacobianFor } from '../../../src/physics/nonlinear/nonlinearGradient.js';
import { NonlinearSolver } from '../../../src/physics/nonlinear/NonlinearSolver.js';
import { NonlinearStateSolver } from '../../../src/physics/nonlinear/NonlinearStateSolver.js';
import { exactEdgeDerivatives } from '../../../src/physics/nonlinear/sparseJacobian.js';
import { Rng } from '../../../src/physics/Rng.js';
import type { Task } from '../../../src/physics/Task.js';

/** Default cut-off leak of a transistor edge as a fraction of s * 1 V (src/physics/edgeLaws.ts DEFAULT_GATE_CUTOFF). */
const CUTOFF = 1e-7;

/**
 * The bench's transistor lattice (bench/nonlinear.ts): square-law transistors (s 1e-4 S/V, V_T 0.6 V, V_G uniform in
 * 1..3 V), sources down the left column from 0.5 V (top) to 2 V (bottom), the right column grounded, four targets in
 * the middle column (rows at 1/8, 3/8, 5/8, 7/8) desired at 0.8 V.
 */
function transistorLattice(side: number, seed = 1): { net: Network; task: Task } {
  const net = latticeNetwork({ rows: side, cols: side });
  const rng = new Rng(seed);
  net.elements = Array.from(net.conductance, (): TransistorElement => ({ kind: 'transistor', s: 1e-4, vt: 0.6, vg: rng.uniform(1, 3), saturation: 'square' }));
  const column = (c: number) => Int32Array.from({ length: side }, (_, r) => r * side + c);
  const mid = side >> 1;
  const targets = Int32Array.from([0.125, 0.375, 0.625, 0.875], (f) => Math.floor(f * side) * side + mid);
  const inputs = Float64Array.from({ length: side }, (_, r) => 0.5 + (1.5 * r) / (side - 1));
  return { net, task: { sources: column(0), ground: column(side - 1), targets, train: [{ in: inputs, out: Float64Array.from(targets, () => 0.8) }], test: [] } };
}

/** Exact square-law current (A) from a to b, from the Shichman-Hodges formula with the cut-off leak. */
function current(t: TransistorElement, vg: number, va: number, vb: number): number {
  const qa = Math.max(0, vg - t.vt - va);
  const qb = Math.max(0, vg - t.vt - vb);
  return 0.5 * t.s * (qb * qb - qa * qa) + CUTOFF * t.s * (va - vb);
}

/** Largest Kirchhoff imbalance (A) at a node not in `held`, and the largest edge current (A). */
function kcl(net: Network, theta: Float64Array, v: Float64Array, held: Set<number>): { residual: number; scale: number } {
  const r = new Float64Array(net.nodes);
  let scale = 0;
  for (let e = 0; e < net.edgeA.length; e++) {
    const i = current(net.elements![e] as TransistorElement, theta[e], v[net.edgeA[e]], v[net.edgeB[e]]);
    r[net.edgeA[e]] += i;
    r[net.edgeB[e]] -= i;
    scale = Math.max(scale, Math.abs(i));
  }
  let residual = 0;
  for (let i = 0; i < net.nodes; i++) if (!held.has(i)) residual = Math.max(residual, Math.abs(r[i]));
  return { residual, scale };
}

describe('exact Newton with the sparse Jacobian on large transistor networks', () => {
  // exactNewton false: the co-content solver alone stalls on this clamped state (about 8e-9 A after 201 iterations,
  // bench/README.md) and the state solver's exact-Newton finish (sparse above 200 free nodes) completes it; true: the
  // solver's own exact-Newton phase
  it.each([false, true])('the 64 x 64 lattice clamped state (CL, eta 0.5) converges to tolerance: Kirchhoff holds by the square law (solver exactNewton %s)', (exactNewton) => {
    const { net, task } = transistorLattice(64);
    const s = new NonlinearStateSolver(net, task, { exactNewton });
    const theta = initialParameters(net);
    s.setConductance(theta);
    const free = s.free(task.train[0].in);
    const eta = 0.5;
    const clamped = s.clamped(free, task.train[0].out, eta);
    expect(clamped.diagnostics.converged).toBe(true);
    const v = clamped.voltages;
    // the imposed voltages are where the clamp put them
    task.targets.forEach((t, i) => expect(v[t]).toBeCloseTo(free.voltages[t] + eta * (0.8 - free.voltages[t]), 14));
    task.sources.forEach((n, i) => expect(v[n]).toBe(task.train[0].in[i]));
    task.ground.forEach((n) => expect(v[n]).toBe(0));
    for (const [state, held] of [
      [free.voltages, new Set([...task.sources, ...task.ground])],
      [v, new Set([...task.sources, ...task.ground, ...task.targets])],
    ] as const) {
      const { residual, scale } = kcl(net, theta, state, held);
      // the states' tolerance: 1 fA + 1e-11 of the largest edge current
      expect(residual).toBeLessThanOrEqual(1e-15 + 1e-11 * scale);
      expect(scale).toBeGreaterThan(1e-6);
    }
  });

  it('the exact gradient on a 46 x 46 lattice (2024 free nodes) equals central differences of the solved cost (sampled gates)', () => {
    const { net, task } = transistorLattice(46, 3);
    // tighter than the states' default (1 fA + 1e-11 of the largest current): the cost's noise, residual over
    // conductance times the target error, divided by 2h, would otherwise reach 1e-8 of the gradient's 1e-2
    const s = new NonlinearStateSolver(net, task, { tolerance: 1e-13, absoluteTolerance: 1e-18 });
    const theta = initialParameters(net);
    const ex = task.train[0];
    const costAt = (th: Float64Array): number => {
      s.setConductance(th);
      const v = s.free(ex.in).voltages;
      let c = 0;
      task.targets.forEach((t, i) => (c += 0.5 * (v[t] - ex.out[i]) ** 2));
      return c;
    };
    s.setConductance(theta);
    const v = s.free(ex.in).voltages;
    const g = nonlinearCostGradient(net, theta, task, v, ex.out);
    // the largest three and two more drawn from those within 1e-2 of the largest (a gradient of 0 would test nothing)
    const order = Array.from(g.keys()).sort((a, b) => Math.abs(g[b]) - Math.abs(g[a]));
    const top = Math.abs(g[order[0]]);
    const rng = new Rng(5);
    const big = order.filter((e) => Math.abs(g[e]) > 1e-2 * top);
    const edges = [...order.slice(0, 3), big[3 + rng.int(big.length - 3)], big[3 + rng.int(big.length - 3)]];
    // the same adjoint with J in place of J^T (what a contrast of two physical states follows, GradientDescent.ts)
    const sparse = sparseJacobianFor(net, task);
    const { dA, dB } = exactEdgeDerivatives(net, theta, v);
    sparse.setDerivatives(dA, dB);
    const rhs = new Float64Array(net.nodes);
    task.targets.forEach((t, i) => (rhs[t] = v[t] - ex.out[i]));
    const u = sparse.solve(rhs, false).x;
    const wrong = (e: number): number => {
      const el = net.elements![e] as TransistorElement;
      const qa = Math.max(0, theta[e] - el.vt - v[net.edgeA[e]]);
      const qb = Math.max(0, theta[e] - el.vt - v[net.edgeB[e]]);
      return -(u[net.edgeA[e]] - u[net.edgeB[e]]) * el.s * (qb - qa);
    };
    let wrongOff = 0;
    const h = 1e-4; // V of gate voltage
    for (const e of edges) {
      const th = Float64Array.from(theta);
      th[e] = theta[e] + h;
      const cp = costAt(th);
      th[e] = theta[e] - h;
      const cm = costAt(th);
      const fd = (cp - cm) / (2 * h);
      // measured agreement about 1e-7 relative (h^2 truncation and the solves' noise); the adjoint with J in place of
      // J^T is off by more than 10 % on at least one of these edges (checked below)
      expect(Math.abs(fd - g[e])).toBeLessThan(1e-5 * Math.abs(g[e]) + 1e-9 * top);
      wrongOff = Math.max(wrongOff, Math.abs(wrong(e) - fd) / Math.abs(fd));
    }
    expect(wrongOff).toBeGreaterThan(0.1);
  });

  it('a state that cannot converge throws the solver\'s "did not converge", naming the state, residual and tolerance', () => {
    // an absolute tolerance far below double precision's reach (1e-40 A): neither the co-content solver nor the
    // exact-Newton finish can meet it, on a small network (dense finish) or a large one (sparse finish)
    for (const side of [8, 48]) {
      const { net, task } = transistorLattice(side);
      const s = new NonlinearStateSolver(net, task, { tolerance: 1e-30, absoluteTolerance: 1e-40, maxIterations: 30 });
      s.setConductance(initialParameters(net));
      let err: unknown;
      try {
        s.free(task.train[0].in);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NumericalError);
      expect((err as Error).message).toMatch(/^free state: the nonlinear solver did not converge \(Kirchhoff residual \d\.\d\de-\d+ A after \d+ Newton iterations, tolerance \d\.\d\de-(3\d|40) A\)$/);
    }
  });
});

describe("the co-content solver's exact-Newton phase on transistor networks", () => {
  it('converges to the tolerance by the square law, from the default start and from far ones, in fewer iterations than re-referencing alone', () => {
    const { net, task } = transistorLattice(32, 7);
    const theta = initialParameters(net);
    const laws = lawsAt(net, theta);
    const imposed = Int32Array.from([...task.sources, ...task.ground]);
    const values = Float64Array.from([...task.train[0].in, ...task.ground.map(() => 0)]);
    const held = new Set(imposed);
    const rng = new Rng(9);
    const starts: (Float64Array | undefined)[] = [undefined, Float64Array.from({ length: net.nodes }, () => rng.uniform(-100, 100)), new Float64Array(net.nodes).fill(1000)];
    const its: Record<string, number> = {};
    for (const exactNewton of [true, false]) {
      const solver = new NonlinearSolver(net.nodes, net.edgeA, net.edgeB, laws, imposed, { exactNewton, absoluteTolerance: 1e-15 });
      starts.forEach((start, k) => {
        const r = solver.solve(values, start);
        expect(r.converged).toBe(true);
        const { residual, scale } = kcl(net, theta, r.voltages, held);
        expect(residual).toBeLessThanOrEqual(1e-15 + 1e-11 * scale);
        if (k === 0) its[String(exactNewton)] = r.iterations;
      });
    }
    expect(its.true).toBeLessThan(its.false);
  });
});
