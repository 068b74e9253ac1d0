/**
 * Factor reuse (issue 18, point 1): after new conductances, LaplacianSystem may keep an earlier Cholesky factor as the
 * preconditioner of CG on the new matrix. The truth here is independent of that path: Kirchhoff's law checked from the
 * edge list, a fresh factorisation of the same conductances ('never'), and a dense Gaussian elimination of the
 * grounded Laplacian with the contrast update of docs/design.md written out (300 steps).
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { linearTask } from '../../src/physics/generators/linearTask.js';
import { LaplacianSystem, REUSE_REPROBE } from '../../src/physics/LaplacianSystem.js';
import type { Network } from '../../src/physics/Network.js';
import { CoupledLearning } from '../../src/physics/rules/CoupledLearning.js';
import { StateSolver } from '../../src/physics/StateSolver.js';
import { Trainer } from '../../src/physics/Trainer.js';
import { denseState } from '../oracles/denseState.js';
import { gaussSolve } from '../oracles/gaussSolve.js';
import { maxRel } from '../oracles/maxRel.js';

const side = 12;
const net = latticeNetwork({ rows: side, cols: side, diagonals: true, seed: 4, conductance: [0.5, 1.5], bounds: [0.05, 20] });
const N = net.nodes;
const roles = { sources: [0, side - 1], targets: [Math.floor(N / 2), Math.floor(N / 2) + 1], ground: [N - 1] };
const task = linearTask({ matrix: [[0.15, 0.3], [0.2, 0.1]], ...roles, count: 16, test: 0, seed: 2 });
const imposed = Int32Array.from([...roles.sources, ...roles.ground]);

/** Relative KCL residual of voltages v with `fixed` nodes imposed, from the edge list alone (max norm over free nodes / max |current|). */
function kclResidual(n: Network, k: ArrayLike<number>, v: ArrayLike<number>, fixed: Set<number>): number {
  const net = new Float64Array(n.nodes);
  let scale = 0;
  for (let e = 0; e < n.edgeA.length; e++) {
    const i = k[e] * (v[n.edgeB[e]] - v[n.edgeA[e]]);
    net[n.edgeA[e]] += i;
    net[n.edgeB[e]] -= i;
    scale = Math.max(scale, Math.abs(i));
  }
  let worst = 0;
  for (let i = 0; i < n.nodes; i++) if (!fixed.has(i)) worst = Math.max(worst, Math.abs(net[i]));
  return worst / scale;
}

describe('factor reuse in LaplacianSystem', () => {
  it('gives the states of a fresh factorisation, every one within the residual bound, over 60 training steps', () => {
    // reuse forced (a factorisation priced out of reach): only large changes or CG failures refactorise
    const reuse = new StateSolver(net, task, { factorReuse: 'always', factorCostIterations: 1e9 });
    const fresh = new StateSolver(net, task, { factorReuse: 'never' });
    const rule = new CoupledLearning(0.1, 0.5);
    const k = Float64Array.from(net.conductance);
    const bounds: [number, number] = [0.05, 20];
    const freeFixed = new Set(imposed);
    const clampFixed = new Set([...imposed, ...roles.targets]);
    let reusedSteps = 0;
    for (let s = 0; s < 60; s++) {
      const ex = task.train[s % task.train.length];
      reuse.setConductance(k);
      fresh.setConductance(k);
      const fr = reuse.free(ex.in);
      const cr = reuse.clamped(fr, ex.out, 0.1);
      const ff = fresh.free(ex.in);
      const cf = fresh.clamped(ff, ex.out, 0.1);
      for (const st of [fr, cr]) {
        expect(st.diagnostics.converged).toBe(true);
        expect(st.diagnostics.residual).toBeLessThanOrEqual(1e-12);
        expect(st.diagnostics.factorAge).toBeDefined();
      }
      expect(kclResidual(net, k, fr.voltages, freeFixed)).toBeLessThanOrEqual(1e-11);
      expect(kclResidual(net, k, cr.voltages, clampFixed)).toBeLessThanOrEqual(1e-11);
      expect(maxRel(fr.voltages, ff.voltages)).toBeLessThanOrEqual(1e-10);
      expect(maxRel(cr.voltages, cf.voltages)).toBeLessThanOrEqual(1e-10);
      if (s > 0 && fr.diagnostics.factorAge! > 0) {
        reusedSteps++;
        expect(fr.diagnostics.refactorized).toBe(false);
        expect(fr.diagnostics.iterations).toBeGreaterThanOrEqual(1);
      }
      expect(fresh.system.reusesFactors).toBe(false);
      expect(ff.diagnostics.factorAge).toBeUndefined();
      rule.update(k, net.edgeA, net.edgeB, { free: fr, contrast: [cr] }, bounds);
    }
    // the path under test was taken: most steps on an old factor; the others refactorised because some conductance
    // had moved by more than REUSE_MAX_CHANGE since the factor (no CG failure: no other refactorisation)
    expect(reusedSteps).toBeGreaterThanOrEqual(50);
    const stats = reuse.system.reuseStats;
    expect(stats.factorizations).toBe(60 - reusedSteps);
    expect(stats.reusedSolves).toBe(reusedSteps * 3);
    expect(fresh.system.reuseStats.factorizations).toBe(60);
  });

  it('refactorises after a large conductance change, and reuses after a small one', () => {
    const sys = new LaplacianSystem(N, net.edgeA, net.edgeB, imposed, { factorReuse: 'always', factorCostIterations: 1e9 });
    const k = Float64Array.from(net.conductance);
    const values = Float64Array.of(1, 0.5, 0);
    sys.setConductance(k);
    const a = sys.solve(values).diagnostics;
    expect(a).toMatchObject({ factorAge: 0, refactorized: true, converged: true });
    for (let e = 0; e < k.length; e++) k[e] *= 1 + 1e-4 * Math.sin(e); // small: reuse
    sys.setConductance(k);
    const b = sys.solve(values).diagnostics;
    expect(b).toMatchObject({ factorAge: 1, refactorized: false, converged: true });
    expect(b.iterations).toBeGreaterThanOrEqual(1);
    expect(b.residual).toBeLessThanOrEqual(1e-12);
    k[7] *= 10; // one conductance ten times larger: more than REUSE_MAX_CHANGE
    sys.setConductance(k);
    const c = sys.solve(values).diagnostics;
    expect(c).toMatchObject({ factorAge: 0, refactorized: true, converged: true });
    expect(sys.reuseStats.factorizations).toBe(2);
  });

  it('refactorises when the iterations say a factor pays: priced at half an iteration, every update after the first probe', () => {
    const sys = new LaplacianSystem(N, net.edgeA, net.edgeB, imposed, { factorReuse: 'always', factorCostIterations: 0.5 });
    const k = Float64Array.from(net.conductance);
    const values = Float64Array.of(1, 0.5, 0);
    const ages: number[] = [];
    for (let s = 0; s < 4 + REUSE_REPROBE; s++) {
      k[s % k.length] *= 1.001;
      sys.setConductance(k);
      ages.push(sys.solve(values).diagnostics.factorAge!);
    }
    // 0: first factor; 1: the probe (CG costs more than half an iteration); then refactorised at once on that
    // measurement for REUSE_REPROBE updates (plus one where the probe's cycle itself ends), before probing again
    expect(ages.slice(0, 2)).toEqual([0, 1]);
    expect(ages.slice(2, 2 + REUSE_REPROBE)).toEqual(new Array(REUSE_REPROBE).fill(0));
    expect(ages.slice(2 + REUSE_REPROBE, 4 + REUSE_REPROBE)).toContain(1);
  });

  it('many solves on one matrix with an old factor switch to a new factor mid-way', () => {
    const sys = new LaplacianSystem(N, net.edgeA, net.edgeB, imposed, { factorReuse: 'always', factorCostIterations: 2 });
    const k = Float64Array.from(net.conductance);
    sys.setConductance(k);
    sys.solve(Float64Array.of(1, 0, 0));
    for (let e = 0; e < k.length; e++) k[e] *= 1 + 1e-3 * Math.cos(e);
    sys.setConductance(k);
    const ages: number[] = [];
    for (let i = 0; i < 12; i++) {
      const d = sys.solve(Float64Array.of(Math.sin(i), Math.cos(3 * i), 0)).diagnostics;
      expect(d.residual).toBeLessThanOrEqual(1e-12);
      ages.push(d.factorAge!);
    }
    expect(ages[0]).toBe(1);
    expect(ages[ages.length - 1]).toBe(0);
    expect(sys.reuseStats.factorizations).toBe(2);
  });

  it("'auto' reuses only from REUSE_MIN_FREE free nodes on, the default never; bad options are InvalidInputError", () => {
    expect(new LaplacianSystem(N, net.edgeA, net.edgeB, imposed, { factorReuse: 'auto' }).reusesFactors).toBe(false);
    expect(new LaplacianSystem(N, net.edgeA, net.edgeB, imposed, { factorReuse: 'always' }).reusesFactors).toBe(true);
    const big = latticeNetwork({ rows: 48, cols: 48, diagonals: true, seed: 1 });
    expect(new LaplacianSystem(big.nodes, big.edgeA, big.edgeB, Int32Array.of(0, big.nodes - 1), { factorReuse: 'auto' }).reusesFactors).toBe(true);
    expect(new LaplacianSystem(big.nodes, big.edgeA, big.edgeB, Int32Array.of(0, big.nodes - 1)).reusesFactors).toBe(false);
    expect(() => new LaplacianSystem(N, net.edgeA, net.edgeB, imposed, { factorReuse: 'sometimes' as 'auto' })).toThrow(InvalidInputError);
    expect(() => new LaplacianSystem(N, net.edgeA, net.edgeB, imposed, { factorCostIterations: -1 })).toThrow(InvalidInputError);
    expect(() => new Trainer(net, task, { factorReuse: 'sometimes' as 'auto' })).toThrow(InvalidInputError);
  });
});

// ---------------------------------------------------------------- a dense oracle, independent of src/physics

describe('training with reused factors against the dense oracle (300 steps, CL, sequential order)', () => {
  it('conductances agree to 1e-10 (max norm, relative)', () => {
    const small = latticeNetwork({ rows: 8, cols: 8, diagonals: true, seed: 3, conductance: [0.5, 1.5], bounds: [0.05, 20] });
    const n = small.nodes;
    const r = { sources: [0, 7], targets: [27, 36], ground: [n - 1] };
    const t = linearTask({ matrix: [[0.15, 0.3], [0.2, 0.1]], ...r, count: 12, test: 0, seed: 5 });
    const eta = 0.1;
    const alpha = 0.5;
    const bounds: [number, number] = [0.05, 20];
    // the code under test: reuse forced, as in the first test
    const solver = new StateSolver(small, t, { factorReuse: 'always', factorCostIterations: 1e9 });
    const rule = new CoupledLearning(eta, alpha);
    const k = Float64Array.from(small.conductance);
    // the oracle: docs/design.md's update written out on dense states
    const ko = Array.from(small.conductance);
    const drop = (v: ArrayLike<number>, e: number) => v[small.edgeB[e]] - v[small.edgeA[e]];
    let worstResidual = 0;
    for (let s = 0; s < 300; s++) {
      const ex = t.train[s % t.train.length];
      solver.setConductance(k);
      const free = solver.free(ex.in);
      const clamped = solver.clamped(free, ex.out, eta);
      worstResidual = Math.max(worstResidual, free.diagnostics.residual, clamped.diagnostics.residual);
      rule.update(k, small.edgeA, small.edgeB, { free, contrast: [clamped] }, bounds);

      const fixed = new Map<number, number>([...r.sources.map((v, i) => [v, ex.in[i]] as [number, number]), ...r.ground.map((g) => [g, 0] as [number, number])]);
      const vf = denseState(small, ko, fixed);
      r.targets.forEach((tn, i) => fixed.set(tn, vf[tn] + eta * (ex.out[i] - vf[tn])));
      const vc = denseState(small, ko, fixed);
      for (let e = 0; e < ko.length; e++) ko[e] = Math.min(bounds[1], Math.max(bounds[0], ko[e] + (alpha / (2 * eta)) * (drop(vf, e) ** 2 - drop(vc, e) ** 2)));
    }
    expect(worstResidual).toBeLessThanOrEqual(1e-12);
    expect(solver.system.reuseStats.reusedSolves).toBeGreaterThan(250 * 3);
    // training moved the conductances, so agreement says something
    expect(maxRel(ko, small.conductance)).toBeGreaterThan(1e-3);
    expect(maxRel(k, ko)).toBeLessThanOrEqual(1e-10);
  });
});

describe("G_TT from the factor (LaplacianSystem.inverseBlock) and contrast states with one solve", () => {
  it('inverseBlock equals the block of the dense inverse of H_FF; null on a reused factor', () => {
    const sys = new LaplacianSystem(N, net.edgeA, net.edgeB, imposed, { factorReuse: 'always', factorCostIterations: 1e9 });
    const k = Float64Array.from(net.conductance);
    sys.setConductance(k);
    const nodes = [5, roles.targets[0], roles.targets[1], N - 2];
    const got = sys.inverseBlock(nodes)!;
    // dense truth: column j of H_FF^-1 (the voltages for 1 A injected at node j, imposed nodes at 0 V), by Gaussian
    // elimination of H_FF assembled from the edge list (no pivoting needed: H_FF is symmetric positive definite)
    const free = [...Array(N).keys()].filter((v) => !imposed.includes(v));
    const at = new Map(free.map((v, i) => [v, i]));
    const m = free.length;
    const H = Array.from({ length: m }, () => new Array<number>(m).fill(0));
    for (let e = 0; e < net.edgeA.length; e++) {
      const a = at.get(net.edgeA[e]);
      const b = at.get(net.edgeB[e]);
      if (a !== undefined) H[a][a] += k[e];
      if (b !== undefined) H[b][b] += k[e];
      if (a !== undefined && b !== undefined) {
        H[a][b] -= k[e];
        H[b][a] -= k[e];
      }
    }
    for (let j = 0; j < nodes.length; j++) {
      const A = H.map((row) => [...row]);
      const r = new Array<number>(m).fill(0);
      r[at.get(nodes[j])!] = 1;
      const x = gaussSolve(A, r);
      for (let i = 0; i < nodes.length; i++) expect(Math.abs(got[i][j] - x[at.get(nodes[i])!])).toBeLessThanOrEqual(1e-12 * Math.abs(x[at.get(nodes[j])!]));
    }
    expect(() => sys.inverseBlock([imposed[0]])).toThrow(InvalidInputError);
    k[3] *= 1.0001;
    sys.setConductance(k);
    expect(sys.inverseBlock(nodes)).toBeNull(); // an older factor: not the inverse of this matrix
  });

  it('clamped and nudged states from G_TT and one solve equal those from the Green functions', () => {
    const a = new StateSolver(net, task);
    const b = new StateSolver(net, task);
    const k = Float64Array.from(net.conductance);
    a.setConductance(k);
    b.setConductance(k);
    b.greenFunctions(); // b takes the Green-function path
    const ex = task.train[3];
    const fa = a.free(ex.in);
    const fb = b.free(ex.in);
    const ca = a.clamped(fa, ex.out, 0.3);
    const cb = b.clamped(fb, ex.out, 0.3);
    expect(maxRel(ca.voltages, cb.voltages)).toBeLessThanOrEqual(1e-12);
    // the targets sit where CL puts them, and Kirchhoff holds elsewhere (from the edge list)
    roles.targets.forEach((t, i) => expect(Math.abs(ca.voltages[t] - (fa.voltages[t] + 0.3 * (ex.out[i] - fa.voltages[t])))).toBeLessThanOrEqual(1e-12));
    expect(kclResidual(net, k, ca.voltages, new Set([...imposed, ...roles.targets]))).toBeLessThanOrEqual(1e-11);
    expect(ca.diagnostics.residual).toBeLessThanOrEqual(1e-12);
    for (const beta of [0.05, -0.05]) {
      expect(maxRel(a.nudged(fa, ex.out, beta).voltages, b.nudged(fb, ex.out, beta).voltages)).toBeLessThanOrEqual(1e-12);
    }
  });
});

describe('the one-solve contrast path is taken only while it saves solves', () => {
  it('a training step: one solve per contrast state; many states on one set of conductances: the Green functions', () => {
    const s = new StateSolver(net, task);
    const k = Float64Array.from(net.conductance);
    const solves = () => s.system.reuseStats.directSolves;
    s.setConductance(k);
    const f = s.free(task.train[0].in);
    s.clamped(f, task.train[0].out, 0.1);
    expect(solves()).toBe(2); // free + one correction (two Green's functions would make 3)
    for (let i = 1; i < 6; i++) s.clamped(f, task.train[i].out, 0.1);
    expect(solves()).toBe(4); // the second state computed both Green's functions; the rest cost nothing
    s.setConductance(k);
    const f2 = s.free(task.train[0].in);
    for (let i = 0; i < 6; i++) s.clamped(f2, task.train[i].out, 0.1);
    expect(solves()).toBe(4 + 3); // predicted from the last set: Green's functions at once
  });
});
