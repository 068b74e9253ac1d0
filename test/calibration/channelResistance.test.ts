/**
 * The DAC channels' series resistance in the calibration model (src/calibration/channelResistance.ts): the solve
 * against a hand-worked circuit (by the board's nonlinear solver, each way a channel can be solved), r = 0 reducing
 * exactly to the imposed solve, and the analytic Jacobian of the calibration problem (its new r columns, and the
 * gain/offset columns of channels behind r) against central finite differences of the residuals.
 */
import { describe, expect, it } from 'vitest';
import { CalibrationProblem } from '../../src/calibration/CalibrationProblem.js';
import { BoardStates, boardLaws } from '../../src/calibration/boardStates.js';
import { SeriesBoardStates, withSeriesChannels } from '../../src/calibration/channelResistance.js';
import type { CalibrationData } from '../../src/calibration/types.js';
import { Rng } from '../../src/physics/Rng.js';
import type { EdgeLaw } from '../../src/physics/edgeLaws.js';

describe('a channel behind its series resistance', () => {
  it('is a voltage divider: 3 V behind 10 ohm into 990 ohm to a 0 V node puts 2.97 V on the node', () => {
    // nodes 0 (driven through r = 10 ohm) and 1 (imposed 0 V, r = 0), one 990 ohm edge
    const graph = { nodes: 2, edgeA: Int32Array.of(0), edgeB: Int32Array.of(1) };
    const law = { k: Float64Array.of(1 / 990), floor: 0 };
    const aug = withSeriesChannels(graph, law, new Map([[0, 3], [1, 0]]), [{ node: 0, source: 3, r: 10 }]);
    const sol = new BoardStates(aug.graph).solve(boardLaws(aug.law), aug.imposed);
    expect(sol.converged).toBe(true);
    // V0 = 3 * 990 / (990 + 10)
    expect(sol.voltages[0]).toBeCloseTo(2.97, 12);
    expect(sol.voltages[1]).toBe(0);
  });

  it('is the same divider whichever way it is solved: extra edge (r G >= 1e-2), node iteration (small r), negative r', () => {
    const graph = { nodes: 2, edgeA: Int32Array.of(0), edgeB: Int32Array.of(1) };
    const law = { k: Float64Array.of(1 / 990), floor: 0 };
    const states = new SeriesBoardStates(graph);
    // 20 ohm: r G = 0.02, the extra edge; 2 ohm and -2 ohm: the iteration on node 0's voltage
    for (const r of [20, 2, 1e-3, -2]) {
      const { state } = states.solve(law, new Map([[0, 3], [1, 0]]), [{ node: 0, source: 3, r }]);
      expect(state.converged).toBe(true);
      expect(state.voltages[0]).toBeCloseTo((3 * 990) / (990 + r), 12);
      expect(Array.from(state.free)).toEqual([0]);
    }
  });

  it('with r = 0 the problem solves exactly as without the resistance parameters (bit-identical readings)', () => {
    const { input } = smallProblem('tap');
    const withR = new CalibrationProblem({ ...input, channelResistance: true });
    const without = new CalibrationProblem(input);
    const xR = startPoint(withR, 0);
    const x0 = new Float64Array(without.n);
    // the same values at the same names
    without.layout.names.forEach((name, j) => (x0[j] = xR[withR.layout.names.indexOf(name)]));
    const a = new Float64Array(withR.m);
    const b = new Float64Array(without.m);
    withR.residuals(xR, a);
    without.residuals(x0, b);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe('the calibration Jacobian with series resistances matches central finite differences', () => {
  for (const kind of ['tap', 'gate'] as const) {
    for (const r of [0, 3]) {
      it(`${kind} board, every channel at r = ${r} ohm`, () => {
        const { input } = smallProblem(kind);
        const p = new CalibrationProblem({ ...input, channelResistance: true });
        const x = startPoint(p, r);
        const J = new Float64Array(p.m * p.n);
        p.jacobian(x, J);
        const L = p.layout;
        const cols = [...L.driveR, ...L.clampR, ...L.driveGain, ...L.driveOffset, ...L.clampGain, ...L.clampOffset, L.firstEdgeParam].filter((j) => j >= 0);
        expect(cols.filter((j) => L.names[j].includes('.r[')).length).toBeGreaterThan(4);
        const rp = new Float64Array(p.m);
        const rm = new Float64Array(p.m);
        let worst = 0;
        let checked = 0;
        for (const j of cols) {
          // step: 1e-2 ohm for r (a step of r through 0 is fine: V = V_src - r I is smooth in r), 1e-5 max(1, |x|) for
          // the rest. Why these: the board's solver stops at a Kirchhoff residual of 1e-11 of the largest edge current
          // (a few 1e-12..1e-11 V, 1e-8 in residual units), and a difference over 2h carries that; with the dense
          // solver's 1e-13 V the former 1e-4 ohm and 1e-6 steps were small enough, with this one they leave up to
          // 1e-4 of a column's scale (the gate board's ln_s at r = 0 too, on the unchanged r-free path). Truncation
          // stays far below: V(r) bends on the scale of the node's own resistance (~300 ohm), ln s and gains on 1.
          const h = L.names[j].includes('.r[') ? 1e-2 : 1e-5 * Math.max(1, Math.abs(x[j]));
          const xp = Float64Array.from(x);
          const xm = Float64Array.from(x);
          xp[j] += h;
          xm[j] -= h;
          p.residuals(xp, rp);
          p.residuals(xm, rm);
          let scale = 0;
          for (let i = 0; i < p.m; i++) scale = Math.max(scale, Math.abs(J[i * p.n + j]));
          for (let i = 0; i < p.m; i++) {
            const fd = (rp[i] - rm[i]) / (2 * h);
            // a column the data do not touch (an unused channel) is 0; the gate board's Newton solve, converged to
            // ~1e-13 V, leaves ~1e-7 of finite-difference noise there (residual units per unit step)
            worst = Math.max(worst, Math.abs(fd - J[i * p.n + j]) / Math.max(scale, 0.1));
          }
          if (scale > 0) checked++;
        }
        // nonzero columns, agreeing to 1e-5 of each column's largest entry (finite-difference truncation and rounding)
        expect(checked).toBeGreaterThan(10);
        expect(worst).toBeLessThan(1e-5);
      });
    }
  }
});

/**
 * An 8-node ring with chords, two configurations, random patterns of 2-3 driven and 0-2 clamped nodes; readings are
 * placeholders (the Jacobian does not depend on them). Tap edges of ~1 kohm, or gate edges well on.
 */
function smallProblem(kind: 'tap' | 'gate'): { input: ConstructorParameters<typeof CalibrationProblem>[0] } {
  const N = 8;
  const edges: [number, number][] = [];
  for (let i = 0; i < N; i++) edges.push([i, (i + 1) % N]);
  edges.push([0, 4], [2, 6], [1, 5]);
  const rng = new Rng(5);
  const configurations = kind === 'tap' ? [edges.map(() => 40), edges.map((_, e) => 20 + 7 * (e % 5))] : [edges.map(() => 4), edges.map((_, e) => 3.5 + 0.2 * (e % 4))];
  const measurements: CalibrationData['measurements'] = [];
  for (let c = 0; c < configurations.length; c++) {
    for (let p = 0; p < 6; p++) {
      const nodes = Array.from({ length: N }, (_, i) => i).sort(() => rng.next() - 0.5);
      const nd = 2 + rng.int(2);
      const nc = rng.int(3);
      measurements.push({
        configuration: c,
        pattern: p,
        drive: nodes.slice(0, nd).map((n) => [n, rng.uniform(0.3, 2.7)]),
        clamp: nodes.slice(nd, nd + nc).map((n) => [n, rng.uniform(0.3, 2.7)]),
        readings: new Array(N).fill(1.5),
      });
    }
  }
  const all = Array.from({ length: N }, (_, i) => i);
  const nominal: EdgeLaw = kind === 'tap' ? { kind: 'tap', taps: 64, rMin: 200, rMax: 3000, taper: 'linear' } : { kind: 'gate', s: 2e-3, vt: 0.7 };
  const id = {
    nodes: N,
    edges,
    drivable: all,
    clampable: all,
    adc: { bits: 12, lo: 0, hi: 3 },
    edge: kind === 'tap' ? { kind: 'tap' as const, taps: 64 } : { kind: 'gate' as const, lo: 0, hi: 5 },
  };
  return { input: { id, data: { configurations, measurements, samples: 16 }, nominal, readingSigma: 1e-3, railMargin: 0 } };
}

/** A parameter vector near a real board: converters slightly off, edges near nominal, every r at `r` ohm. */
function startPoint(p: CalibrationProblem, r: number): Float64Array {
  const L = p.layout;
  const rng = new Rng(9);
  const x = new Float64Array(p.n);
  for (let i = 0; i < L.adcGain.length; i++) {
    x[L.adcGain[i]] = 1 + 0.01 * rng.normal();
    x[L.adcOffset[i]] = 0.003 * rng.normal();
    for (const [g, o] of [[L.driveGain[i], L.driveOffset[i]], [L.clampGain[i], L.clampOffset[i]]]) {
      if (g < 0) continue;
      x[g] = 1 + 0.002 * rng.normal();
      x[o] = 0.002 * rng.normal();
    }
    for (const R of [L.driveR[i], L.clampR[i]]) if (R >= 0) x[R] = r === 0 ? 0 : r * (0.5 + rng.next());
  }
  for (let j = 0; j < L.tapPairs.length; j++) x[L.firstEdgeParam + j] = Math.log(1 / (1000 * (1 + 0.2 * rng.normal())));
  for (let e = 0; e < L.logS.length; e++) {
    x[L.logS[e]] = Math.log(2e-3 * (1 + 0.1 * rng.normal()));
    x[L.vt[e]] = 0.7 + 0.02 * rng.normal();
  }
  return x;
}
