import { inverse, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { costHessian } from '../../src/diagnostics/costHessian.js';
import { gradientFidelity } from '../../src/diagnostics/gradientFidelity.js';
import { InvalidInputError } from '../../src/errors.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { linearTask } from '../../src/physics/generators/linearTask.js';
import { StateSolver } from '../../src/physics/StateSolver.js';

const net = latticeNetwork({ rows: 4, cols: 4, diagonals: true, seed: 3 });
const task = linearTask({ matrix: [[0.15, 0.3], [0.2, 0.1]], sources: [0, 3], targets: [9, 10], ground: [15], count: 3, seed: 4 });
const E = net.edgeA.length;

/** Convergence orders log2(err[i-1] / err[i]) for parameters halved at each step. */
function orders(errs: number[]): number[] {
  return errs.slice(1).map((e, i) => Math.log2(errs[i] / e));
}

function angleDeg(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return (Math.acos(Math.min(1, dot / Math.sqrt(na * nb))) * 180) / Math.PI;
}

describe('gradientFidelity', () => {
  it('EP: the angle to dC/dk vanishes linearly in beta and the norm ratio tends to 1', () => {
    const betas = [4e-3, 2e-3, 1e-3, 5e-4];
    const r = gradientFidelity(net, task, betas.map((beta) => ({ rule: 'ep' as const, beta })));
    expect(r.map((x) => x.rule)).toEqual(['ep', 'ep', 'ep', 'ep']);
    expect(r.map((x) => x.parameter)).toEqual(betas);
    for (const o of orders(r.map((x) => x.angleDeg))) {
      expect(o).toBeGreaterThan(0.9);
      expect(o).toBeLessThan(1.1);
    }
    for (const o of orders(r.map((x) => Math.abs(x.normRatio - 1)))) {
      expect(o).toBeGreaterThan(0.9);
      expect(o).toBeLessThan(1.1);
    }
    // cosine +1 = the direction of +dC/dk (not of the update)
    const last = r[r.length - 1];
    expect(last.cosine).toBeGreaterThan(0.99999);
    expect(last.angleDeg).toBeLessThan(0.5);
    for (const p of last.perExample) expect(p.cosine).toBeGreaterThan(0.9999);
  });

  it('centered EP: second order in beta', () => {
    const betas = [4e-2, 2e-2, 1e-2, 5e-3];
    const r = gradientFidelity(net, task, betas.map((beta) => ({ rule: 'cep' as const, beta })));
    for (const o of orders(r.map((x) => x.angleDeg))) {
      expect(o).toBeGreaterThan(1.8);
      expect(o).toBeLessThan(2.2);
    }
    // at equal beta, CEP is far closer than EP
    const [ep, cep] = gradientFidelity(net, task, [{ rule: 'ep', beta: 5e-3 }, { rule: 'cep', beta: 5e-3 }]);
    expect(cep.angleDeg).toBeLessThan(ep.angleDeg / 20);
  });

  it('CL: the angle settles at a non-zero limit, the one predicted by the G_TT^-1 reweighting', () => {
    const etas = [1e-2, 1e-3, 1e-4, 1e-5];
    const r = gradientFidelity(net, task, etas.map((eta) => ({ rule: 'cl' as const, eta })));
    const angles = r.map((x) => x.angleDeg);
    const limit = angles[angles.length - 1];
    expect(limit).toBeGreaterThan(3);
    expect(Math.abs(limit - angles[angles.length - 2])).toBeLessThan(1e-3);
    expect(limit).toBeLessThan(90); // still a descent direction (test/physics/gradients.test.ts finds the same)

    // Prediction as eta -> 0: g_CL -> sum_m J_m^T G_TT^-1 r_m, against dC/dk ~ sum_m J_m^T r_m.
    const h = costHessian(net, task, { secondOrder: false });
    const s = new StateSolver(net, task);
    s.setConductance(net.conductance);
    const S = inverse(new Matrix(s.greenFunctions().gTT));
    const T = task.targets.length;
    const predicted = new Float64Array(E);
    const exact = new Float64Array(E);
    task.train.forEach((ex, m) => {
      const v = s.free(ex.in).voltages;
      const res = Array.from(task.targets, (t, i) => v[t] - ex.out[i]);
      for (let i = 0; i < T; i++) {
        let w = 0;
        for (let j = 0; j < T; j++) w += S.get(i, j) * res[j];
        for (let e = 0; e < E; e++) {
          predicted[e] += w * h.jacobian[(m * T + i) * E + e];
          exact[e] += res[i] * h.jacobian[(m * T + i) * E + e];
        }
      }
    });
    expect(Math.abs(limit - angleDeg(predicted, exact))).toBeLessThan(1e-3);
  });

  it('CL with one target: G_TT is a scalar, so the angle does vanish (linearly in eta)', () => {
    const one = linearTask({ matrix: [[0.15, 0.3]], sources: [0, 3], targets: [9], ground: [15], count: 3, seed: 4 });
    const r = gradientFidelity(net, one, [1e-2, 5e-3, 2.5e-3].map((eta) => ({ rule: 'cl' as const, eta })));
    for (const o of orders(r.map((x) => x.angleDeg))) {
      expect(o).toBeGreaterThan(0.9);
      expect(o).toBeLessThan(1.1);
    }
    // the norm ratio tends to 1 / G_TT (siemens): CL's estimate is V^2, dC/dk is V^2/S
    const s = new StateSolver(net, one);
    s.setConductance(net.conductance);
    const gTT = s.greenFunctions().gTT[0][0];
    const far = gradientFidelity(net, one, [{ rule: 'cl', eta: 1e-6 }])[0];
    expect(far.normRatio * gTT).toBeCloseTo(1, 4);
  });

  it('per-example values: one per example, and a single example reproduces its own', () => {
    const [all] = gradientFidelity(net, task, [{ rule: 'ep', beta: 1e-3 }]);
    expect(all.perExample).toHaveLength(task.train.length);
    task.train.forEach((ex, m) => {
      const [one] = gradientFidelity(net, task, [{ rule: 'ep', beta: 1e-3 }], { examples: [ex] });
      expect(one.cosine).toBeCloseTo(all.perExample[m].cosine, 12);
      expect(one.normRatio).toBeCloseTo(all.perExample[m].normRatio, 12);
    });
  });

  it('rejects bad parameters, naming the rule and the value', () => {
    for (const [rule, field] of [
      [{ rule: 'cl', eta: 0 }, 'rules[0].eta'],
      [{ rule: 'cl', eta: 1.5 }, 'rules[0].eta'],
      [{ rule: 'ep', beta: -0.01 }, 'rules[0].beta'],
      [{ rule: 'cep', beta: NaN }, 'rules[0].beta'],
      [{ rule: 'tap', eta: 0.1 }, 'rules[0].rule'],
    ] as const) {
      try {
        gradientFidelity(net, task, [rule as never]);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidInputError);
        expect((e as InvalidInputError).field).toBe(field);
        expect((e as Error).message).toContain(rule.rule);
      }
    }
  });
});
