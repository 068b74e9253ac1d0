import { describe, expect, it } from 'vitest';
import { DenseLu } from '../../../src/physics/denseLu.js';
import { GateFlow } from '../../../src/physics/gateDynamics/GateFlow.js';
import { flowJacobian } from '../../../src/physics/gateDynamics/flowJacobian.js';
import { integrateGates } from '../../../src/physics/gateDynamics/integrateGates.js';
import { periodicLimitCycle } from '../../../src/physics/gateDynamics/periodicLimitCycle.js';
import { SMALL_HIGH_V, SMALL_LOW_V, SMALL_RC, SMALL_TASKS, smallGateNetwork } from '../../../src/physics/gateDynamics/smallGateNetwork.js';

const net = smallGateNetwork([
  [1, 5.18],
  [1, 5.18],
]);
const [ALPHA, BETA] = SMALL_TASKS.exp1;
const BIAS = [3.2, 4.5];
const flows = (bias: number[], r = 2): [GateFlow, GateFlow] => [
  new GateFlow(net, ALPHA, { r, rc: SMALL_RC, bias }),
  new GateFlow(net, BETA, { r, rc: SMALL_RC, bias }),
];

/** The free output of the small network by hand: one free node, Kirchhoff at Out (independent of LaplacianSystem). */
function outByHand(g: number[], input: number): number {
  const km = 8.5e-4 * (g[0] - 0.7);
  const kp = 8.5e-4 * (g[1] - 0.7);
  return (kp * SMALL_HIGH_V + km * SMALL_LOW_V + input / 500) / (kp + km + 1 / 500);
}

/** Eigenvalues of a symmetric-enough 2 x 2 matrix (row-major). */
function eig2(m: Float64Array): [number, number] {
  const tr = m[0] + m[3];
  const det = m[0] * m[3] - m[1] * m[2];
  const d = Math.sqrt(Math.max(0, (tr * tr) / 4 - det));
  return [tr / 2 - d, tr / 2 + d];
}

describe('analog gate dynamics of the small network', () => {
  it('solves the free state as Kirchhoff by hand, and the rate law is kappa (dVF^2 - dVC^2) + b', () => {
    const [a] = flows(BIAS);
    const g = [2.9, 3.7];
    const out = outByHand(g, ALPHA.input);
    expect(a.output(g)).toBeCloseTo(out, 12);
    const d = a.derivative(g, new Float64Array(2));
    const kappa = 2 / (0.33 * 100 * 22e-6);
    // Edges Low-Out (G-) and High-Out (G+): drops Out - source.
    expect(d[0]).toBeCloseTo(kappa * ((out - SMALL_LOW_V) ** 2 - (ALPHA.desired - SMALL_LOW_V) ** 2) + BIAS[0], 9);
    expect(d[1]).toBeCloseTo(kappa * ((out - SMALL_HIGH_V) ** 2 - (ALPHA.desired - SMALL_HIGH_V) ** 2) + BIAS[1], 9);
  });

  it('with b = 0 a single task relaxes onto its solution line (free output = desired)', () => {
    for (const task of [ALPHA, BETA]) {
      const f = new GateFlow(net, task, { r: 2, rc: SMALL_RC, bias: [0, 0] });
      const g = Float64Array.from([3.0, 3.4]);
      integrateGates(f, g, 1.0, 2e-4);
      expect(Math.abs(f.output(g) - task.desired)).toBeLessThan(1e-9);
    }
  });

  it('relaxes at the rate of the linearised flow M (finite differences) and M is symmetric with one zero mode', () => {
    const f = new GateFlow(net, ALPHA, { r: 2, rc: SMALL_RC, bias: [0, 0] });
    // A point on the line: relax first.
    const g = Float64Array.from([3.0, 4.8]);
    integrateGates(f, g, 1.0, 2e-4);
    const m = flowJacobian(f, g);
    expect(Math.abs(m[1] - m[2])).toBeLessThan(1e-6 * Math.abs(m[0]));
    const [l0, l1] = eig2(m);
    expect(Math.abs(l0)).toBeLessThan(1e-6 * l1);
    // Push 1 mV off the line along the non-zero mode's eigenvector and time the decay of the output error.
    const v = [m[1], l1 - m[0]];
    const len = Math.hypot(v[0], v[1]);
    const x = Float64Array.from([g[0] + (1e-3 * v[0]) / len, g[1] + (1e-3 * v[1]) / len]);
    const e0 = f.output(x) - ALPHA.desired;
    const t = 0.02;
    integrateGates(f, x, t, 1e-5);
    const e1 = f.output(x) - ALPHA.desired;
    const rate = Math.log(e0 / e1) / t;
    expect(Math.abs(rate - l1) / l1).toBeLessThan(2e-3);
  });

  it('with all b = 0 the limit cycle collapses and the error floor vanishes', () => {
    const [a, b] = flows([0, 0]);
    for (const tau of [0.002, 0.02]) {
      const c = periodicLimitCycle(a, b, tau, [3, 3.5]);
      expect(c.converged).toBe(true);
      expect(c.d2).toBeLessThan(1e-18);
      expect(c.mse).toBeLessThan(1e-18);
    }
    const [ab, bb] = flows(BIAS);
    const biased = periodicLimitCycle(ab, bb, 0.002, [3, 3.5]);
    expect(biased.d2).toBeGreaterThan(1e-5);
    expect(biased.mse).toBeGreaterThan(1e-5);
  });

  it('at small tau D^2 matches the averaged-flow prediction (tau/2)^2 |f_A(G0)|^2, f_A(G0) + f_B(G0) = 0', () => {
    const [a, b] = flows(BIAS);
    // G0 by Newton on the averaged flow, independent of the period map.
    const g = Float64Array.from([2.5, 2.9]);
    const fa = new Float64Array(2);
    const fb = new Float64Array(2);
    for (let it = 0; it < 30; it++) {
      a.derivative(g, fa, false);
      b.derivative(g, fb, false);
      const ma = flowJacobian(a, g);
      const mb = flowJacobian(b, g);
      const lu = DenseLu.factor(Float64Array.from([0, 1, 2, 3].map((i) => ma[i] + mb[i])), 2)!;
      const dx = lu.solve([fa[0] + fb[0], fa[1] + fb[1]]);
      g[0] += dx[0];
      g[1] += dx[1];
    }
    a.derivative(g, fa, false);
    b.derivative(g, fb, false);
    expect(Math.hypot(fa[0] + fb[0], fa[1] + fb[1])).toBeLessThan(1e-9);
    const speed2 = fa[0] ** 2 + fa[1] ** 2;
    for (const tau of [1e-4, 2e-4]) {
      const c = periodicLimitCycle(a, b, tau, g);
      const predicted = (tau / 2) ** 2 * speed2;
      // The next order is O(tau^3): relative error O(tau |M|) ~ 1e-2 at tau = 0.2 ms.
      expect(Math.abs(c.d2 - predicted) / predicted).toBeLessThan(80 * tau);
      expect(Math.hypot(c.g0[0] - g[0], c.g0[1] - g[1])).toBeLessThan(0.01);
    }
  });

  it('D^2 grows as tau^2 at small tau (slope of ln D^2 vs ln tau)', () => {
    const [a, b] = flows(BIAS);
    const c1 = periodicLimitCycle(a, b, 5e-4, [2.5, 2.9]);
    const c2 = periodicLimitCycle(a, b, 1e-3, [2.5, 2.9]);
    const slope = Math.log(c2.d2 / c1.d2) / Math.log(2);
    expect(slope).toBeGreaterThan(1.95);
    expect(slope).toBeLessThan(2.05);
  });

  it('the RK4 step is small against 1/|M| and halving it changes D^2 by less than 1e-6 relative', () => {
    const [a, b] = flows(BIAS);
    const c = periodicLimitCycle(a, b, 0.02, [2.5, 2.9]);
    expect(c.stepTimesRate).toBeLessThanOrEqual(0.02 + 1e-12);
    const fine = periodicLimitCycle(a, b, 0.02, [2.5, 2.9], { stepFraction: 0.01, minStepsPerHalf: 80 });
    expect(Math.abs(fine.d2 - c.d2) / fine.d2).toBeLessThan(1e-6);
  });

  it("with the twin's full gate law (channel mean) the free state obeys Kirchhoff by hand, and the cycle is translated, not reshaped", () => {
    const full = { ...net, gateLaw: 'channelMean' as const };
    const fa = new GateFlow(full, ALPHA, { r: 2, rc: SMALL_RC, bias: BIAS });
    const g = [2.9, 3.7];
    const vo = fa.output(g);
    // Current into Out from High (G+), Low (G-) and In (500 ohm), each k (V_src - V_out), k = S (G - V_T - mean).
    const k = (gate: number, vs: number): number => 8.5e-4 * (gate - 0.7 - (vs + vo) / 2);
    const imbalance = k(g[1], SMALL_HIGH_V) * (SMALL_HIGH_V - vo) + k(g[0], SMALL_LOW_V) * (SMALL_LOW_V - vo) + (ALPHA.input - vo) / 500;
    // The nonlinear solver stops at 1e-11 of the largest current (~1e-4 A here): 1e-15 A; the check allows 1e-12 A.
    expect(Math.abs(imbalance)).toBeLessThan(1e-12);
    expect(Math.abs(vo - outByHand(g, ALPHA.input))).toBeGreaterThan(1e-5);
    // On the edges to Out the channel mean is nearly constant in the cycle (V_out moves by mV), so the law acts as a
    // shifted threshold: the same D^2 and MSE, the cycle moved in gate space.
    const fb = new GateFlow(full, BETA, { r: 2, rc: SMALL_RC, bias: BIAS });
    const [aa, ab] = flows(BIAS);
    const c = periodicLimitCycle(fa, fb, 0.02, [3, 3.5]);
    const ref = periodicLimitCycle(aa, ab, 0.02, [3, 3.5]);
    expect(c.converged).toBe(true);
    expect(Math.abs(c.d2 / ref.d2 - 1)).toBeLessThan(0.01);
    expect(Math.abs(c.mse / ref.mse - 1)).toBeLessThan(0.01);
    expect(Math.hypot(c.g0[0] - ref.g0[0], c.g0[1] - ref.g0[1])).toBeGreaterThan(0.1);
  });
});
