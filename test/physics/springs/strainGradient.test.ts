/**
 * Issue 17, point 2: every gradient of the linear response against central finite differences of the solver itself:
 * dE/dk at fixed constraints (= ext^2 / 2), d eps_T^F / dk and dC/dk of C = 1/2 (eps_T^F - Delta)^2 (adjoint).
 */
import { describe, expect, it } from 'vitest';
import { StrainSolver } from '../../../src/physics/springs/StrainSolver.js';
import { energyGradient, strainCostGradient, targetStrainGradient } from '../../../src/physics/springs/strainGradient.js';
import type { StrainTask } from '../../../src/physics/springs/StrainTask.js';
import { springNet, triangularPatch } from './springTestNetworks.js';

/** Central difference of f(k) along spring e with relative step h. */
function fd(solver: StrainSolver, k0: Float64Array, e: number, f: () => number, h = 1e-5): number {
  const k = k0.slice();
  const step = h * k0[e];
  k[e] = k0[e] + step;
  solver.setStiffness(k);
  const plus = f();
  k[e] = k0[e] - step;
  solver.setStiffness(k);
  const minus = f();
  solver.setStiffness(k0);
  return (plus - minus) / (2 * step);
}

describe('spring gradients against finite differences', () => {
  const net = triangularPatch(6, 7, { disorder: 0.2, keep: 0.85, seed: 11 });
  const solver = new StrainSolver(net);
  const k0 = net.stiffness.slice();
  const task: StrainTask = { source: [8, 33], target: [10, 29], sourceStrain: 1, delta: 0.3, cooperative: false, lambda: 0 };
  const dir = { source: task.source, target: task.target };

  it('the patch has floppy modes, and its target strain is determined', () => {
    expect(solver.analysis.floppyModes).toBeGreaterThan(0);
    expect(() => targetStrainGradient(solver, dir, 1)).not.toThrow();
  });

  it('dE/dk_e = ext_e^2 / 2 at fixed strain constraints, for every spring', () => {
    const cons = [{ pair: task.source, strain: 0.01 }, { pair: task.target, strain: -0.002 }];
    const g = energyGradient(solver.solve(cons));
    let worst = 0;
    let scale = 0;
    for (let e = 0; e < g.length; e++) {
      const num = fd(solver, k0, e, () => solver.solve(cons).energy);
      worst = Math.max(worst, Math.abs(num - g[e]));
      scale = Math.max(scale, Math.abs(g[e]));
    }
    expect(worst / scale).toBeLessThan(1e-7);
  });

  it('d eps_T^F / dk_e by the adjoint, for every spring', () => {
    const { gradient, targetStrain } = targetStrainGradient(solver, dir, 1);
    expect(Math.abs(targetStrain)).toBeGreaterThan(1e-3);
    let worst = 0;
    let scale = 0;
    for (let e = 0; e < gradient.length; e++) {
      const num = fd(solver, k0, e, () => {
        const u = solver.freeState(dir, 1).displacements;
        return solver.strain(u, 10, 29);
      });
      worst = Math.max(worst, Math.abs(num - gradient[e]));
      scale = Math.max(scale, Math.abs(gradient[e]));
    }
    expect(scale).toBeGreaterThan(0);
    expect(worst / scale).toBeLessThan(1e-7);
  });

  it('dC/dk of C = 1/2 (eps_T^F - Delta)^2, one direction and cooperative (both directions summed)', () => {
    for (const cooperative of [false, true]) {
      const t = { ...task, cooperative };
      const { gradient, cost, directions } = strainCostGradient(solver, t);
      expect(directions.length).toBe(cooperative ? 2 : 1);
      expect(cost).toBeGreaterThan(0);
      let worst = 0;
      let scale = 0;
      for (let e = 0; e < gradient.length; e++) {
        const num = fd(solver, k0, e, () => strainCostGradient(solver, t).cost);
        worst = Math.max(worst, Math.abs(num - gradient[e]));
        scale = Math.max(scale, Math.abs(gradient[e]));
      }
      expect(worst / scale).toBeLessThan(1e-7);
    }
  });

  it('a target that a floppy mode strains on its own has no gradient (clear error)', () => {
    // square without diagonals: the shear strains the diagonal (0, 2) freely; the source is a side
    const sq = springNet(2, [[0, 0], [1, 0], [1, 1], [0, 1]], [[0, 1], [1, 2], [2, 3], [3, 0]]);
    const s = new StrainSolver(sq);
    expect(() => targetStrainGradient(s, { source: [0, 1], target: [0, 2] }, 1)).toThrow(/floppy mode strains the target pair \(0, 2\)/);
  });
});
