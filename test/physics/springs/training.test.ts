/**
 * Training spring networks on strain tasks (issue 17, point 3): on a 100-node diluted, disordered triangular lattice
 * made by the generator, coupled learning and the exact-gradient reference drive the target-strain error down by
 * orders of magnitude from the generator's uniform stiffness, stay inside the stiffness bounds, train both directions of
 * a cooperative task, and are deterministic. The truth is the independent measure of the final network: eps_T^F
 * recomputed by a fresh StrainSolver on the trained stiffnesses, not the trainer's own report.
 */
import { describe, expect, it } from 'vitest';
import { pickStrainPairs } from '../../../src/physics/springs/generators/strainPairs.js';
import { triangularSprings } from '../../../src/physics/springs/generators/triangular.js';
import { SpringTrainer } from '../../../src/physics/springs/SpringTrainer.js';
import { StrainSolver } from '../../../src/physics/springs/StrainSolver.js';
import { strainDirections, type StrainTask } from '../../../src/physics/springs/StrainTask.js';
import { InvalidInputError } from '../../../src/errors.js';

const { network: net } = triangularSprings({ rows: 10, cols: 10, coordination: 4.6, disorder: 0.2, seed: 1 });
const pairs = pickStrainPairs(net, 1);
const task = (over: Partial<StrainTask>): StrainTask => ({ ...pairs, sourceStrain: 1, delta: 0.1, cooperative: false, lambda: 0, ...over });

/** eps_T^F of every direction of `t` with stiffnesses `k`, from a fresh solver. */
function freeTargets(k: Float64Array, t: StrainTask): number[] {
  const solver = new StrainSolver({ ...net, stiffness: k });
  return strainDirections(t).map((d) => {
    const free = solver.freeState(d, t.sourceStrain);
    expect(free.diagnostics.converged).toBe(true);
    return solver.strain(free.displacements, d.target[0], d.target[1]);
  });
}

const mse = (e: number[], delta: number): number => e.reduce((s, x) => s + (x - delta) ** 2, 0) / e.length;

describe('training a 100-node triangular spring network', () => {
  it('the network and task: 100 nodes, rigid, the target responding weakly before training', () => {
    expect(net.nodes).toBe(100);
    const e0 = freeTargets(net.stiffness, task({}));
    console.log(`network ${net.name}: ${net.edgeA.length} springs, source ${pairs.source}, target ${pairs.target}, eps_T^F = ${e0[0].toFixed(5)}`);
    expect(Math.abs(e0[0])).toBeLessThan(0.05);
  });

  const cases: [string, Partial<StrainTask>, 'cl' | 'gradient', number, number][] = [
    // name, task, rule, steps, orders of magnitude the error must fall by (at least)
    ['allostery, cl (Delta 0.1, ~8 eps_T^F)', { delta: 0.1 }, 'cl', 100, 8],
    ['allostery, gradient reference (Delta 0.05)', { delta: 0.05 }, 'gradient', 100, 8],
    ['cooperative, cl (Delta 0.05 both ways)', { delta: 0.05, cooperative: true }, 'cl', 200, 6],
  ];
  for (const [name, over, rule, steps, orders] of cases) {
    it(`${name}: the error falls by ${orders}+ orders of magnitude in ${steps} steps, every k inside the bounds`, () => {
      const t = task(over);
      const trainer = new SpringTrainer(net, t, { rule, steps, alpha: 30 });
      const t0 = performance.now();
      const r = trainer.run();
      const ms = (performance.now() - t0) / steps;
      const before = mse(freeTargets(net.stiffness, t), t.delta);
      const after = freeTargets(r.stiffness, t);
      const m = mse(after, t.delta);
      console.log(`${name}: error ${before.toExponential(2)} -> ${m.toExponential(2)} (eps_T^F ${after.map((x) => x.toFixed(6)).join(', ')}; Delta ${t.delta}); k in [${Math.min(...r.stiffness).toExponential(2)}, ${Math.max(...r.stiffness).toExponential(2)}]; ${ms.toFixed(2)} ms/step; max residual ${r.maxResidual.toExponential(1)}`);
      expect(r.initialTrainMse).toBeCloseTo(before, 15);
      expect(m).toBeLessThan(before * 10 ** -orders);
      expect(Math.abs(r.trainMse - m)).toBeLessThan(1e-12 * before);
      const [lo, hi] = net.bounds!;
      expect(r.stiffness.every((k) => k >= lo && k <= hi)).toBe(true);
      expect(r.maxResidual).toBeLessThan(1e-9);
      // both directions reached when cooperative
      for (const e of after) expect(Math.abs(e - t.delta)).toBeLessThan(1e-3 * Math.abs(t.delta));
    });
  }

  it('the energy regularisation trades error for a softer free state: lambda 1e-4 still learns, at a lower E^F', () => {
    // lambda E^F / eta is large next to the task's contrast (~eta A (Delta - eps_T)^2 / 2 ~ 4e-4 here, against
    // E^F ~ 0.7 at eps_S = 1): lambda 1e-2 already stops learning (error 9.8e-3, E^F 1.3e-3; measured)
    const free = (k: Float64Array): number => new StrainSolver({ ...net, stiffness: k }).freeState(pairs, 1).energy;
    const plain = new SpringTrainer(net, task({}), { steps: 300 }).run();
    const reg = new SpringTrainer(net, task({ lambda: 1e-4 }), { steps: 300 }).run();
    const before = plain.initialTrainMse;
    console.log(`lambda 0: error ${before.toExponential(2)} -> ${plain.trainMse.toExponential(2)}, E^F ${free(plain.stiffness).toExponential(3)}; lambda 1e-4: -> ${reg.trainMse.toExponential(2)}, E^F ${free(reg.stiffness).toExponential(3)}`);
    expect(reg.trainMse).toBeLessThan(1e-3 * before);
    expect(reg.trainMse).toBeGreaterThan(plain.trainMse);
    expect(free(reg.stiffness)).toBeLessThan(0.5 * free(plain.stiffness));
  });

  it('a negative lambda does the opposite: a stiffer free state (higher E^F), at a cost in error', () => {
    const free = (k: Float64Array): number => new StrainSolver({ ...net, stiffness: k }).freeState(pairs, 1).energy;
    const plain = new SpringTrainer(net, task({}), { steps: 300 }).run();
    const reg = new SpringTrainer(net, task({ lambda: -1e-4 }), { steps: 300 }).run();
    console.log(`lambda 0: error ${plain.trainMse.toExponential(2)}, E^F ${free(plain.stiffness).toExponential(3)}; lambda -1e-4: error ${reg.trainMse.toExponential(2)}, E^F ${free(reg.stiffness).toExponential(3)}`);
    expect(free(reg.stiffness)).toBeGreaterThan(1.05 * free(plain.stiffness));
    expect(reg.trainMse).toBeGreaterThan(plain.trainMse);
  });

  it('is deterministic: two runs give the same stiffnesses bit for bit', () => {
    const t = task({ cooperative: true, delta: 0.05 });
    const a = new SpringTrainer(net, t, { steps: 30 }).run();
    const b = new SpringTrainer(net, t, { steps: 30 }).run();
    expect(Buffer.from(a.stiffness.buffer).equals(Buffer.from(b.stiffness.buffer))).toBe(true);
  });

  it('clips at the bounds: a huge rate drives springs to k_min or k_max, never past them', () => {
    const t = task({ delta: -0.5 });
    const r = new SpringTrainer(net, t, { steps: 20, alpha: 1e4, bounds: [0.5, 2] }).run();
    expect(r.stiffness.every((k) => k >= 0.5 && k <= 2)).toBe(true);
    expect(r.stiffness.some((k) => k === 0.5 || k === 2)).toBe(true);
  });

  it('refuses bad options with the parameter named', () => {
    expect(() => new SpringTrainer(net, task({}), { rule: 'ep' as 'cl' })).toThrow(InvalidInputError);
    expect(() => new SpringTrainer(net, task({}), { eta: 0 })).toThrow(/eta/);
    expect(() => new SpringTrainer(net, task({}), { alpha: -1 })).toThrow(/alpha/);
    expect(() => new SpringTrainer(net, task({}), { bounds: [2, 1] })).toThrow(/bounds/);
  });
});
