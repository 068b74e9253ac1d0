import { describe, expect, it } from 'vitest';
import { CalibrationProblem } from '../../src/calibration/CalibrationProblem.js';
import type { CalibrationData } from '../../src/calibration/types.js';
import { boardLaw } from '../../src/formats/boardFile.js';
import { Rng } from '../../src/physics/Rng.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';

/**
 * The calibration's Jacobian (implicit differentiation through the exact Kirchhoff Jacobian at each state) against
 * central differences of its own residuals, each residual evaluation a fresh nonlinear solve. On a gate board this is
 * what tells the exact, non-symmetric J^-1 from the solver's symmetric Newton matrix: with the latter (each
 * transistor's slope at its reference mean) this test's worst entry is off by 11 % of the largest (measured), against
 * 2e-6 with the exact one.
 */
function problemFor(name: string, seed: number): { problem: CalibrationProblem; x: Float64Array } {
  const model = loadBoardModel(name);
  const id = new TwinBoardCore(model, { ideal: true }).identity();
  const rng = new Rng(seed);
  const E = model.edges.length;
  const N = model.nodes;
  const gate = model.edge.kind === 'gate';
  const configurations = [0, 1].map(() =>
    Array.from({ length: E }, (_, e) => (gate ? (e === 3 ? 0.1 : rng.uniform(1.8, 5)) : Math.floor(rng.uniform(0, model.edge.kind === 'tap' ? model.edge.taps : 2)))),
  );
  const hi = model.dac.hi;
  const measurements = Array.from({ length: 6 }, (_, m) => ({
    configuration: m % 2,
    pattern: m,
    drive: [
      [m % N, rng.uniform(0.3, 0.9) * hi],
      [(m + 7) % N, rng.uniform(0, 0.2) * hi],
    ] as [number, number][],
    clamp: m % 3 === 0 ? ([[(m + 11) % N, 0.5 * hi]] as [number, number][]) : [],
    readings: Array.from({ length: N }, () => rng.uniform(0.2, 0.8) * model.adc.hi),
  }));
  const data: CalibrationData = { configurations, measurements, samples: 16 };
  const problem = new CalibrationProblem({ id, data, nominal: boardLaw(model), readingSigma: 1e-3, railMargin: 0 });
  const L = problem.layout;
  const x = new Float64Array(L.n);
  for (let i = 0; i < N; i++) {
    x[L.adcGain[i]] = 1 + 0.01 * rng.normal();
    x[L.adcOffset[i]] = 0.003 * rng.normal();
    for (const [g, o] of [[L.driveGain[i], L.driveOffset[i]], [L.clampGain[i], L.clampOffset[i]]]) {
      if (g >= 0) x[g] = 1 + 0.002 * rng.normal();
      if (o >= 0) x[o] = 0.001 * rng.normal();
    }
  }
  if (model.edge.kind === 'gate') {
    for (let e = 0; e < E; e++) {
      x[L.logS[e]] = Math.log(model.edge.s * (1 + 0.03 * rng.normal()));
      x[L.vt[e]] = model.edge.vt + 0.01 * rng.normal();
    }
  } else {
    for (const [j, pr] of L.tapPairs.entries()) x[L.firstEdgeParam + j] = Math.log((1 + 0.2 * rng.normal() ** 2) / (1e4 * (1 + pr.setting)));
  }
  return { problem, x };
}

describe('CalibrationProblem.jacobian: exact sensitivities of the readings', () => {
  for (const name of ['penn-gen2', 'penn-gen1']) {
    it(`${name}: equals central differences of the residuals`, () => {
      const { problem, x } = problemFor(name, 4);
      const { n, m } = problem;
      const J = new Float64Array(m * n);
      problem.jacobian(x, J);
      const r0 = new Float64Array(m);
      const rp = new Float64Array(m);
      const rm = new Float64Array(m);
      problem.residuals(x, r0);
      let worst = 0;
      let largest = 0;
      for (let j = 0; j < n; j++) {
        const h = 1e-5 * Math.max(1, Math.abs(x[j]));
        const xp = Float64Array.from(x);
        const xm = Float64Array.from(x);
        xp[j] += h;
        xm[j] -= h;
        problem.residuals(xp, rp);
        problem.residuals(xm, rm);
        for (let i = 0; i < m; i++) {
          const fd = (rp[i] - rm[i]) / (2 * h);
          worst = Math.max(worst, Math.abs(fd - J[i * n + j]));
          largest = Math.max(largest, Math.abs(fd));
        }
      }
      // residuals are readings / 1e-3 V, entries up to ~1e3 per unit parameter. The differences carry the solver's
      // tolerance (a few 1e-11 V, 1e-8 in residual units) over 2h, and O(h^2) truncation: ~1e-7 of the largest.
      expect(largest).toBeGreaterThan(10);
      expect(worst).toBeLessThanOrEqual(1e-5 * largest);
    });
  }
});
