/**
 * The coupled-learning rule of spring networks against independent truth: finite differences of the solved contrast.
 *
 * The rule's signal is dC/dk_j = 1/(2 eta) sum_d [(ext_j^C)^2 - (1 - lambda)(ext_j^F)^2] for the contrast
 * C = sum_d 1/eta [(E^C - E^F) + lambda E^F] with the clamp's strain held (springRules.ts). The truth here: the
 * contrast recomputed from fresh solves at k +- h e_j (central differences), for every spring. Also the total
 * derivative (clamp recomputed), and the eta -> 0 limit: dC/dk -> A_d (eps_T^F - Delta) d eps_T^F / dk, with A_d the
 * target's stiffness with the source held (E^C - E^F = 1/2 A (eps_T^C - eps_T^F)^2 exactly in linear response).
 */
import { describe, expect, it } from 'vitest';
import { pickStrainPairs } from '../../../src/physics/springs/generators/strainPairs.js';
import { triangularSprings } from '../../../src/physics/springs/generators/triangular.js';
import { Rng } from '../../../src/physics/Rng.js';
import type { SpringNetwork } from '../../../src/physics/springs/SpringNetwork.js';
import { contrastGradient, strainContrast } from '../../../src/physics/springs/springRules.js';
import { SpringTrainer } from '../../../src/physics/springs/SpringTrainer.js';
import { StrainSolver } from '../../../src/physics/springs/StrainSolver.js';
import { targetStrainGradient } from '../../../src/physics/springs/strainGradient.js';
import { strainDirections, type StrainTask } from '../../../src/physics/springs/StrainTask.js';

/** A 6 x 6 disordered triangular lattice (36 nodes, 85 springs) with random stiffnesses in [0.5, 2]. */
function network(): SpringNetwork {
  const { network: net } = triangularSprings({ rows: 6, cols: 6, disorder: 0.25, seed: 4 });
  const rng = new Rng(17);
  return { ...net, stiffness: Float64Array.from(net.stiffness, () => 0.5 + 1.5 * rng.next()), bounds: [1e-6, 1e6] };
}

const net = network();
const pairs = pickStrainPairs(net, 3);
const task = (over: Partial<StrainTask>): StrainTask => ({ ...pairs, sourceStrain: 1, delta: 0.4, cooperative: false, lambda: 0, ...over });

/** sum_d 1/eta [E^C(k; clamp) - (1 - lambda) E^F(k)] with given clamped target strains (held), from fresh solves. */
function contrastAt(solver: StrainSolver, t: StrainTask, eta: number, clamps: number[] | null): number {
  let c = 0;
  strainDirections(t).forEach((d, i) => {
    const free = solver.freeState(d, t.sourceStrain);
    const eF = solver.strain(free.displacements, d.target[0], d.target[1]);
    const clamp = clamps ? clamps[i] : eF + eta * (t.delta - eF);
    const clamped = solver.solve([
      { pair: d.source, strain: t.sourceStrain },
      { pair: d.target, strain: clamp },
    ]);
    c += (clamped.energy - (1 - t.lambda) * free.energy) / eta;
  });
  return c;
}

/** Central differences of f(k) for every spring, step h k_j. */
function fd(solver: StrainSolver, k: Float64Array, f: () => number, rel = 1e-5): Float64Array {
  const g = new Float64Array(k.length);
  for (let j = 0; j < k.length; j++) {
    const h = rel * k[j];
    const kp = k.slice();
    kp[j] += h;
    solver.setStiffness(kp);
    const up = f();
    const km = k.slice();
    km[j] -= h;
    solver.setStiffness(km);
    const down = f();
    g[j] = (up - down) / (2 * h);
  }
  solver.setStiffness(k);
  return g;
}

function relErr(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let j = 0; j < a.length; j++) {
    num = Math.max(num, Math.abs(a[j] - b[j]));
    den = Math.max(den, Math.abs(b[j]));
  }
  return num / den;
}

function cosine(a: Float64Array, b: Float64Array): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let j = 0; j < a.length; j++) {
    ab += a[j] * b[j];
    aa += a[j] * a[j];
    bb += b[j] * b[j];
  }
  return ab / Math.sqrt(aa * bb);
}

describe('the coupled-learning signal is the gradient of the solved contrast (clamp held)', () => {
  const cases: [string, Partial<StrainTask>][] = [
    ['allostery', {}],
    ['allostery, lambda 0.5', { lambda: 0.5 }],
    ['cooperative (summed)', { cooperative: true }],
    ['cooperative, lambda 0.3', { cooperative: true, lambda: 0.3 }],
    ['allostery, lambda -0.5 (raises E^F)', { lambda: -0.5 }],
    ['cooperative, lambda -0.2', { cooperative: true, lambda: -0.2 }],
  ];
  for (const [name, over] of cases) {
    // bound: E^C - (1 - lambda) E^F cancels most of two O(1) energies, so rounding (1e-16 / h, h = 1e-5 k) leaves
    // ~1e-8 of max |dC/dk| at lambda = 0 (measured 7e-8 and 4e-8; 4e-10 and 6e-10 with lambda > 0)
    it(`${name}: every spring, central differences to 1e-6 relative`, () => {
      const t = task(over);
      const eta = 0.2;
      const solver = new StrainSolver(net);
      const k = Float64Array.from(net.stiffness);
      const states = solver.taskStates(t, eta);
      const g = contrastGradient(states, eta, t.lambda);
      const clamps = states.map((s) => s.clampedTarget);
      expect(strainContrast(states, eta, t.lambda)).toBeCloseTo(contrastAt(solver, t, eta, clamps), 12);
      const want = fd(solver, k, () => contrastAt(solver, t, eta, clamps));
      const err = relErr(g, want);
      console.log(`contrast gradient vs FD (${name}): max |diff| / max |dC/dk| = ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-6);
    });
  }

  it('the trainer\'s step is k - alpha dC/dk (no clipping inside wide bounds), summed over both directions', () => {
    const t = task({ cooperative: true, lambda: 0.2 });
    const eta = 0.1;
    const alpha = 1e-3;
    const solver = new StrainSolver(net);
    const k = Float64Array.from(net.stiffness);
    const clamps = solver.taskStates(t, eta).map((s) => s.clampedTarget);
    const want = fd(solver, k, () => contrastAt(solver, t, eta, clamps));
    const trainer = new SpringTrainer(net, t, { eta, alpha, bounds: [1e-9, 1e9] });
    const r = trainer.step();
    // (a few springs far from both pairs move by less than half an ulp of k)
    expect(r.changed).toBeGreaterThan(0.9 * k.length);
    const dk = Float64Array.from(trainer.stiffness, (x, j) => (x - k[j]) / -alpha);
    expect(relErr(dk, want)).toBeLessThan(1e-6);
  });

  it('the total derivative (clamp recomputed with k) adds (1 - eta)/eta lambda_T^C d eps_T^F/dk per direction', () => {
    const t = task({ cooperative: true });
    const eta = 0.2;
    const solver = new StrainSolver(net);
    const k = Float64Array.from(net.stiffness);
    const states = solver.taskStates(t, eta);
    const g = contrastGradient(states, eta, t.lambda);
    const total = g.slice();
    states.forEach((s) => {
      const lambdaT = s.clamped.forces[1]; // dE^C / d eps_T^C (energy)
      const de = targetStrainGradient(solver, s.direction, t.sourceStrain).gradient;
      for (let j = 0; j < total.length; j++) total[j] += ((1 - eta) / eta) * lambdaT * de[j];
    });
    const want = fd(solver, k, () => contrastAt(solver, t, eta, null));
    expect(relErr(total, want)).toBeLessThan(1e-6);
    // and the two differ: the rule is not the total derivative
    expect(relErr(g, want)).toBeGreaterThan(1e-2);
  });
});

describe('eta -> 0: the contrast gradient tends to A_d times the task error\'s gradient', () => {
  /** A_d = lambda_T^C / (eps_T^C - eps_T^F): the target's stiffness with the source held (energy). */
  function limit(t: StrainTask, eta: number): { g: Float64Array; weighted: Float64Array; plain: Float64Array; A: number[] } {
    const solver = new StrainSolver(net);
    const states = solver.taskStates(t, eta);
    const g = contrastGradient(states, eta, 0);
    const weighted = new Float64Array(g.length);
    const plain = new Float64Array(g.length);
    const A = states.map((s) => {
      const a = s.clamped.forces[1] / (s.clampedTarget - s.freeTarget);
      const tg = targetStrainGradient(solver, s.direction, t.sourceStrain);
      const err = tg.targetStrain - t.delta;
      for (let j = 0; j < g.length; j++) {
        weighted[j] += a * err * tg.gradient[j];
        plain[j] += err * tg.gradient[j];
      }
      return a;
    });
    return { g, weighted, plain, A };
  }

  it('allostery: the relative difference falls like eta, and the direction is the cost gradient\'s', () => {
    const t = task({});
    const errs = [1e-1, 1e-2, 1e-3, 1e-4].map((eta) => {
      const { g, weighted, plain } = limit(t, eta);
      const e = relErr(g, weighted);
      console.log(`allostery eta ${eta}: |g - A dC/dk| / |A dC/dk| = ${e.toExponential(2)}, cosine(g, dC/dk) = ${cosine(g, plain).toFixed(8)}`);
      return { e, cos: cosine(g, plain) };
    });
    for (let i = 1; i < errs.length; i++) expect(errs[i].e / errs[i - 1].e).toBeGreaterThan(0.05);
    for (let i = 1; i < errs.length; i++) expect(errs[i].e / errs[i - 1].e).toBeLessThan(0.2);
    expect(errs[3].e).toBeLessThan(1e-2);
    expect(errs[3].cos).toBeGreaterThan(1 - 1e-6);
  });

  it('cooperative: the limit weighs each direction by its own A_d, so it is not the plain summed cost gradient', () => {
    const t = task({ cooperative: true });
    const { g, weighted, plain, A } = limit(t, 1e-4);
    const e = relErr(g, weighted);
    const cos = cosine(g, plain);
    console.log(`cooperative eta 1e-4: A = ${A.map((a) => a.toExponential(3)).join(', ')}, |g - sum A_d dC_d/dk| / |..| = ${e.toExponential(2)}, cosine(g, d(C_1 + C_2)/dk) = ${cos.toFixed(6)}`);
    expect(e).toBeLessThan(1e-2);
    expect(Math.abs(A[0] - A[1]) / Math.max(A[0], A[1])).toBeGreaterThan(0.01);
    expect(cos).toBeLessThan(1 - 1e-6);
  });
});
