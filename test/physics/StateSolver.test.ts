import { describe, expect, it } from 'vitest';
import { edgeCurrents, nodeCurrentImbalance } from '../../src/physics/edgeDrops.js';
import { solveCircuit } from '../../src/physics/solveCircuit.js';
import { StateSolver } from '../../src/physics/StateSolver.js';
import { net, randomNet } from './helpers.js';

describe('circuits solved by hand', () => {
  it('series resistors form a voltage divider', () => {
    // 0 --k1-- 1 --k2-- 2, V0 = 3 V, V2 = 0: V1 = 3 k1/(k1+k2), I = 3 k1 k2/(k1+k2).
    const k1 = 2, k2 = 0.5;
    const r = solveCircuit(net(3, [[0, 1], [1, 2]], [k1, k2]), new Map([[0, 3], [2, 0]]));
    expect(r.voltages[1]).toBeCloseTo((3 * k1) / (k1 + k2), 13);
    const i = (3 * k1 * k2) / (k1 + k2);
    expect(r.currents[0]).toBeCloseTo(i, 13);
    expect(r.currents[1]).toBeCloseTo(i, 13);
  });

  it('parallel branches add their conductances', () => {
    // two series branches between 0 and 3: 0-1-3 (k 1, 3) and 0-2-3 (k 2, 2); series conductance k_a k_b/(k_a+k_b)
    const r = solveCircuit(net(4, [[0, 1], [1, 3], [0, 2], [2, 3]], [1, 3, 2, 2]), new Map([[0, 1], [3, 0]]));
    const gTotal = (1 * 3) / (1 + 3) + (2 * 2) / (2 + 2);
    expect(r.currents[0] + r.currents[2]).toBeCloseTo(gTotal, 13);
    expect(r.voltages[1]).toBeCloseTo(1 / (1 + 3), 13); // V1 = k01 V0 / (k01 + k13)
    expect(r.voltages[2]).toBeCloseTo(0.5, 13);
  });

  it('a Wheatstone bridge matches Cramer’s rule on its two nodal equations', () => {
    // A=0 at 1 V, B=1 at 0 V; C=2, D=3. Edges A-C g1, C-B g2, A-D g3, D-B g4, C-D g5.
    const [g1, g2, g3, g4, g5] = [1, 2, 0.5, 3, 0.7];
    const r = solveCircuit(net(4, [[0, 2], [2, 1], [0, 3], [3, 1], [2, 3]], [g1, g2, g3, g4, g5]), new Map([[0, 1], [1, 0]]));
    // (g1+g2+g5) Vc - g5 Vd = g1 ;  -g5 Vc + (g3+g4+g5) Vd = g3
    const a = g1 + g2 + g5, b = -g5, c = -g5, d = g3 + g4 + g5;
    const det = a * d - b * c;
    expect(r.voltages[2]).toBeCloseTo((g1 * d - b * g3) / det, 13);
    expect(r.voltages[3]).toBeCloseTo((a * g3 - c * g1) / det, 13);
  });

  it('a balanced bridge carries no current through its middle edge', () => {
    const r = solveCircuit(net(4, [[0, 2], [2, 1], [0, 3], [3, 1], [2, 3]], [1, 2, 0.5, 1, 0.9]), new Map([[0, 5], [1, 0]]));
    expect(Math.abs(r.currents[4])).toBeLessThan(1e-14);
    expect(r.voltages[2]).toBeCloseTo(r.voltages[3], 13);
  });
});

describe('conservation on random networks', () => {
  for (const [nodes, extra, seed] of [[30, 40, 1], [200, 400, 2], [1000, 1500, 3]] as const) {
    it(`Kirchhoff and power balance hold (${nodes} nodes)`, () => {
      const n = randomNet(nodes, extra, seed);
      const fixed = new Map([[0, 1.3], [nodes - 1, 0], [Math.floor(nodes / 2), -0.4]]);
      for (const method of ['cholesky', 'cg'] as const) {
        const r = solveCircuit(n, fixed, { method });
        const imbalance = nodeCurrentImbalance(nodes, n.edgeA, n.edgeB, n.conductance, r.voltages);
        // scale: the total current the sources supply
        let scale = 0;
        for (const i of fixed.keys()) scale += Math.abs(imbalance[i]);
        for (let i = 0; i < nodes; i++) if (!fixed.has(i)) expect(Math.abs(imbalance[i]) / scale).toBeLessThanOrEqual(1e-10);
        // power dissipated in the edges = power delivered by the sources
        const I = edgeCurrents(n.edgeA, n.edgeB, n.conductance, r.voltages);
        let dissipated = 0;
        for (let e = 0; e < I.length; e++) dissipated += (I[e] * I[e]) / n.conductance[e];
        let delivered = 0;
        for (const [i, v] of fixed) delivered += v * imbalance[i];
        expect(Math.abs(dissipated - delivered) / delivered).toBeLessThan(1e-10);
      }
    });
  }
});

describe('clamped and nudged states', () => {
  const n = randomNet(60, 100, 7);
  const roles = { sources: Int32Array.of(0, 1), ground: Int32Array.of(59), targets: Int32Array.of(20, 30) };
  const s = new StateSolver(n, roles);
  s.setConductance(n.conductance);
  const free = s.free([1, 0.5]);
  const desired = [0.3, 0.2];

  it('the clamped state holds the targets at V^F + eta (V* - V^F) and obeys Kirchhoff elsewhere', () => {
    const eta = 0.3;
    const c = s.clamped(free, desired, eta);
    for (let i = 0; i < 2; i++) {
      const t = roles.targets[i];
      expect(c.voltages[t]).toBeCloseTo(free.voltages[t] + eta * (desired[i] - free.voltages[t]), 12);
    }
    const imb = nodeCurrentImbalance(60, n.edgeA, n.edgeB, n.conductance, c.voltages);
    for (let i = 2; i < 59; i++) if (i !== 20 && i !== 30) expect(Math.abs(imb[i])).toBeLessThan(1e-12);
    expect(c.voltages[0]).toBe(1);
    expect(c.voltages[59]).toBe(0);
  });

  for (const beta of [0.05, -0.05]) {
    it(`the nudged state (beta ${beta}) balances each target against its nudge current`, () => {
      const v = s.nudged(free, desired, beta).voltages;
      const imb = nodeCurrentImbalance(60, n.edgeA, n.edgeB, n.conductance, v);
      for (let i = 0; i < 2; i++) {
        const t = roles.targets[i];
        // current leaving t through the network = current injected by the nudge edge beta (V* - V_t)
        expect(imb[t]).toBeCloseTo(beta * (desired[i] - v[t]), 12);
      }
      for (let i = 2; i < 59; i++) if (i !== 20 && i !== 30) expect(Math.abs(imb[i])).toBeLessThan(1e-12);
    });
  }
});
