import { describe, expect, it } from 'vitest';
import { cost, costGradient } from '../../src/physics/cost.js';
import { CoupledLearning } from '../../src/physics/rules/CoupledLearning.js';
import { EquilibriumPropagation } from '../../src/physics/rules/EquilibriumPropagation.js';
import { GradientDescent } from '../../src/physics/rules/GradientDescent.js';
import type { LearningRule } from '../../src/physics/rules/LearningRule.js';
import { Trainer } from '../../src/physics/Trainer.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { StateSolver } from '../../src/physics/StateSolver.js';
import { randomNet, relErr } from './helpers.js';

const n = randomNet(40, 70, 11);
const roles = { sources: Int32Array.of(0, 1), ground: Int32Array.of(39), targets: Int32Array.of(15, 25) };
const inputs = [1, 0.4];
const desired = [0.2, 0.5];

function costAt(k: Float64Array): number {
  const s = new StateSolver(n, roles);
  s.setConductance(k);
  return cost(s.free(inputs).voltages, roles.targets, desired);
}

/** Central finite differences of the cost: independent of the adjoint and of the learning rules. */
function fdGradient(): Float64Array {
  const g = new Float64Array(n.edgeA.length);
  const k = Float64Array.from(n.conductance);
  for (let e = 0; e < g.length; e++) {
    const h = 1e-5 * k[e];
    const k0 = k[e];
    k[e] = k0 + h;
    const cp = costAt(k);
    k[e] = k0 - h;
    const cm = costAt(k);
    k[e] = k0;
    g[e] = (cp - cm) / (2 * h);
  }
  return g;
}

const solver = new StateSolver(n, roles);
solver.setConductance(n.conductance);
const free = solver.free(inputs);
const fd = fdGradient();

function ruleGradient(rule: LearningRule): Float64Array {
  return rule.gradient(n.edgeA, n.edgeB, rule.states(solver, free, desired));
}

describe('cost gradient', () => {
  it('the adjoint gradient equals finite differences of the cost', () => {
    expect(relErr(costGradient(solver, free, desired), fd)).toBeLessThan(1e-6);
  });

  it('EP contrast gradient converges to dC/dk linearly in beta', () => {
    const betas = [4e-3, 2e-3, 1e-3, 5e-4];
    const errs = betas.map((b) => relErr(ruleGradient(new EquilibriumPropagation(b, 1, false)), fd));
    for (let i = 1; i < errs.length; i++) {
      const order = Math.log2(errs[i - 1] / errs[i]);
      expect(order).toBeGreaterThan(0.9);
      expect(order).toBeLessThan(1.1);
    }
    expect(errs[errs.length - 1]).toBeLessThan(1e-2);
  });

  it('centered EP converges quadratically in beta', () => {
    const betas = [4e-2, 2e-2, 1e-2, 5e-3];
    const errs = betas.map((b) => relErr(ruleGradient(new EquilibriumPropagation(b, 1, true)), fd));
    for (let i = 1; i < errs.length; i++) {
      const order = Math.log2(errs[i - 1] / errs[i]);
      expect(order).toBeGreaterThan(1.8);
      expect(order).toBeLessThan(2.2);
    }
  });

  it('CL contrast gradient does NOT converge to dC/dk as eta -> 0 (documented difference)', () => {
    // As eta -> 0 CL tends to -dV^F * d(G S r) with S = G_TT^{-1}: the cost residual is reweighted by the inverse
    // target-to-target resistance matrix, so the direction differs from dC/dk unless G_TT is a multiple of I.
    const etas = [1e-1, 1e-2, 1e-3, 1e-4, 1e-5];
    const angles = etas.map((eta) => {
      const g = ruleGradient(new CoupledLearning(eta, 1));
      let dot = 0, na = 0, nb = 0;
      for (let e = 0; e < g.length; e++) {
        dot += g[e] * fd[e];
        na += g[e] * g[e];
        nb += fd[e] * fd[e];
      }
      return Math.acos(Math.min(1, dot / Math.sqrt(na * nb)));
    });
    // the angle settles at a nonzero limit instead of shrinking with eta
    expect(angles[angles.length - 1]).toBeGreaterThan(0.05);
    expect(Math.abs(angles[angles.length - 1] - angles[angles.length - 2])).toBeLessThan(1e-3);
    // ...while CL is still a descent direction (positive alignment)
    expect(angles[angles.length - 1]).toBeLessThan(Math.PI / 2);
  });
});

describe('exact gradient descent (the simulation-only reference rule)', () => {
  it('its gradient is dC/dk and its update k - alpha dC/dk, against finite differences of the solved cost', () => {
    const k = Float64Array.from(n.conductance);
    const rule = new GradientDescent(0.05, n, roles, k);
    const states = rule.states(solver, free, desired);
    expect(states.contrast).toHaveLength(0);
    expect(relErr(rule.gradient(n.edgeA, n.edgeB, states), fd)).toBeLessThan(1e-6);
    const next = Float64Array.from(k);
    const changed = rule.update(next, n.edgeA, n.edgeB, states, [1e-9, 1e9]);
    // every edge whose gradient is not exactly 0 moves (an edge between two imposed nodes carries no sensitivity)
    expect(changed).toBe(rule.gradient(n.edgeA, n.edgeB, states).filter((g) => g !== 0).length);
    expect(changed).toBeGreaterThan(n.edgeA.length - 5);
    const want = Float64Array.from(k, (x, e) => x - 0.05 * fd[e]);
    const diff = Float64Array.from(next, (x, e) => x - k[e]);
    const wantDiff = Float64Array.from(want, (x, e) => x - k[e]);
    expect(relErr(diff, wantDiff)).toBeLessThan(1e-6);
    // a small step lowers the cost (first order: by alpha |dC/dk|^2)
    expect(costAt(next)).toBeLessThan(costAt(k));
  });

  it('clips to the bounds and refuses states it did not compute', () => {
    const k = Float64Array.from(n.conductance);
    const rule = new GradientDescent(1e6, n, roles, k);
    const states = rule.states(solver, free, desired);
    const g = rule.gradient(n.edgeA, n.edgeB, states);
    rule.update(k, n.edgeA, n.edgeB, states, [0.5, 0.6]);
    // a huge step lands every edge with a gradient on the bound it points to
    k.forEach((x, e) => {
      if (1e6 * g[e] > 2) expect(x).toBe(0.5);
      if (1e6 * g[e] < -2) expect(x).toBe(0.6);
      expect(x >= 0.5 && x <= 0.6).toBe(true);
    });
    expect(() => rule.update(k, n.edgeA, n.edgeB, { free, contrast: [] }, [0.5, 0.6])).toThrow(/states not computed/);
  });

  it('a task leaving more than 2000 free nodes trains by it (sparse adjoint): the step is k - alpha dC/dk with the linear adjoint gradient', () => {
    // 50 x 50 lattice, 2498 free nodes: the adjoint goes through the sparse GMRES solve; the truth is the linear
    // solver's own adjoint (StateSolver.adjoint, a Cholesky solve of the symmetric Laplacian), a separate code path
    const big = latticeNetwork({ rows: 50, cols: 50 });
    const task = { sources: Int32Array.of(0, 49), ground: Int32Array.of(2499), targets: Int32Array.of(1250, 1700), train: [{ in: Float64Array.of(1, 0.3), out: Float64Array.of(0.5, 0.2) }], test: [] };
    const alpha = 1e-3;
    const trainer = new Trainer(big, task, { rule: 'gradient', alpha, bounds: [1e-9, 1e9] });
    const before = Float64Array.from(trainer.conductance);
    const s = new StateSolver(big, task);
    s.setConductance(before);
    const free = s.free(task.train[0].in);
    const truth = costGradient(s, free, task.train[0].out);
    trainer.step();
    const step = Float64Array.from(trainer.conductance, (x, e) => x - before[e]);
    expect(relErr(step, Float64Array.from(truth, (g) => -alpha * g))).toBeLessThan(1e-8);
  });
});
