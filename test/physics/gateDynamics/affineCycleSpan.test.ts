import { describe, expect, it } from 'vitest';
import { affineCycleSpan, smallExpm } from '../../../src/physics/gateDynamics/affineCycleSpan.js';
import { flowJacobian } from '../../../src/physics/gateDynamics/flowJacobian.js';
import { GateFlow } from '../../../src/physics/gateDynamics/GateFlow.js';
import { periodicLimitCycle } from '../../../src/physics/gateDynamics/periodicLimitCycle.js';
import { SMALL_RC, SMALL_TASKS, smallGateNetwork } from '../../../src/physics/gateDynamics/smallGateNetwork.js';

describe("the authors' linear model (affine flows, exact period map)", () => {
  it('smallExpm: a rotation generator gives cos/sin, a diagonal gives exponentials, a nilpotent 1 + N', () => {
    const th = 7.3;
    const r = smallExpm([0, -th, th, 0], 2);
    expect(r[0]).toBeCloseTo(Math.cos(th), 12);
    expect(r[2]).toBeCloseTo(Math.sin(th), 12);
    const d = smallExpm([-40, 0, 0, 2.5], 2);
    expect(d[0] / Math.exp(-40) - 1).toBeLessThan(1e-10);
    expect(d[3]).toBeCloseTo(Math.exp(2.5), 10);
    const n = smallExpm([0, 3, 0, 0], 2);
    expect(Array.from(n)).toEqual([1, 3, 0, 1]);
  });

  it('an affine cycle by hand: scalar flows -m g + mu alternate between two fixed points', () => {
    // n = 1: g relaxes to mu/m at rate m in each half; the steady cycle of two such flows has a closed form.
    const [ma, mua, mb, mub, tau] = [50, 150, 80, 80, 0.03];
    const ea = Math.exp((-ma * tau) / 2);
    const eb = Math.exp((-mb * tau) / 2);
    const ca = (mua / ma) * (1 - ea);
    const cb = (mub / mb) * (1 - eb);
    const g0 = (eb * ca + cb) / (1 - eb * ea);
    const got = affineCycleSpan({ m: [ma], mu: [mua] }, { m: [mb], mu: [mub] }, tau, 1);
    expect(got.g0[0]).toBeCloseTo(g0, 12);
    expect(got.d2).toBeCloseTo((ea * g0 + ca - g0) ** 2, 12);
  });

  it('matches the nonlinear integration at small tau, linearised at the small-tau cycle (D^2 within 1e-3 for tau <= 2 ms)', () => {
    const net = smallGateNetwork([
      [1, 5.03],
      [1, 5.18],
    ]);
    const [a, b] = SMALL_TASKS.exp1.map((t) => new GateFlow(net, t, { r: 5.67, rc: SMALL_RC, bias: [3.24, 4.49] }));
    const c0 = periodicLimitCycle(a, b, 5e-4, [3, 3.5]);
    const lin = (f: GateFlow) => {
      const m = flowJacobian(f, c0.g0);
      const d = f.derivative(c0.g0, new Float64Array(2), false);
      return { m, mu: [d[0] + m[0] * c0.g0[0] + m[1] * c0.g0[1], d[1] + m[2] * c0.g0[0] + m[3] * c0.g0[1]] };
    };
    const la = lin(a);
    const lb = lin(b);
    for (const tau of [5e-4, 1e-3, 2e-3]) {
      const c = periodicLimitCycle(a, b, tau, c0.g0);
      const l = affineCycleSpan(la, lb, tau, 2);
      expect(Math.abs(l.d2 / c.d2 - 1)).toBeLessThan(1e-3);
      expect(Math.hypot(l.g0[0] - c.g0[0], l.g0[1] - c.g0[1])).toBeLessThan(1e-3);
    }
    // With rank-one M_i (one output per task, two gates) the linear model's D^2 is exactly proportional to tau^2.
    const s1 = affineCycleSpan(la, lb, 0.001, 2).d2;
    const s2 = affineCycleSpan(la, lb, 0.1, 2).d2;
    expect(Math.abs(s2 / s1 / 1e4 - 1)).toBeLessThan(1e-6);
  });
});
