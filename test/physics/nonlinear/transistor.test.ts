import { describe, expect, it } from 'vitest';
import type { Network } from '../../../src/physics/Network.js';
import type { EdgeElement, TransistorElement } from '../../../src/physics/nonlinear/EdgeElement.js';
import { solveNonlinearCircuit } from '../../../src/physics/nonlinear/solveNonlinearCircuit.js';
import { TransistorLaw } from '../../../src/physics/nonlinear/transistorLaw.js';
import { Rng } from '../../../src/physics/Rng.js';
import { randomNet } from '../helpers.js';

// gen-2 board numbers (twins/models/penn-gen2.json): s = 0.85 mS/V, V_T = 0.62 V, gates in 0..5 V
const S = 8.5e-4;
const VT = 0.62;
const CUTOFF = 1e-7;

/**
 * Oracle written from the formulas, not from the solver: the exact current (A) of a transistor edge from a to
 * b. Ohmic: max(cutoff s, s (V_G - V_T - (V_a + V_b)/2)) (V_a - V_b). Square (Shichman-Hodges, symmetric):
 * s/2 (max(0, V_G - V_T - V_b)^2 - max(0, V_G - V_T - V_a)^2) + cutoff s (V_a - V_b).
 */
function exactCurrent(t: TransistorElement, va: number, vb: number): number {
  const leak = CUTOFF * t.s;
  if (t.saturation !== 'square') return Math.max(leak, t.s * (t.vg - t.vt - 0.5 * (va + vb))) * (va - vb);
  const qa = Math.max(0, t.vg - t.vt - va);
  const qb = Math.max(0, t.vg - t.vt - vb);
  return 0.5 * t.s * (qb * qb - qa * qa) + leak * (va - vb);
}

function transistorNet(seed: number, saturation: 'none' | 'square', vgRange: [number, number]): Network {
  const n = randomNet(20, 30, seed);
  const rng = new Rng(seed + 7);
  n.elements = Array.from(n.conductance, (): EdgeElement => ({ kind: 'transistor', s: S, vt: VT, vg: rng.uniform(...vgRange), saturation }));
  return n;
}

/** Largest |net current| (A) at a node not in `fixed`, by the oracle, and the largest edge current. */
function exactResidual(n: Network, v: Float64Array, fixed: Map<number, number>): { residual: number; scale: number } {
  const r = new Float64Array(n.nodes);
  let scale = 0;
  for (let e = 0; e < n.edgeA.length; e++) {
    const i = exactCurrent(n.elements![e] as TransistorElement, v[n.edgeA[e]], v[n.edgeB[e]]);
    r[n.edgeA[e]] += i;
    r[n.edgeB[e]] -= i;
    scale = Math.max(scale, Math.abs(i));
  }
  let residual = 0;
  for (let i = 0; i < n.nodes; i++) if (!fixed.has(i)) residual = Math.max(residual, Math.abs(r[i]));
  return { residual, scale };
}

describe('the transistor law is not a gradient field', () => {
  it('dI/dV_a + dI/dV_b = -s (V_a - V_b) in the Ohmic region: the Kirchhoff Jacobian is not symmetric', () => {
    const t: TransistorElement = { kind: 'transistor', s: S, vt: VT, vg: 3 };
    const h = 1e-6;
    for (const [va, vb] of [[0.5, 0.1], [0.2, 0.9], [1.0, 0.0]]) {
      const dIa = (exactCurrent(t, va + h, vb) - exactCurrent(t, va - h, vb)) / (2 * h);
      const dIb = (exactCurrent(t, va, vb + h) - exactCurrent(t, va, vb - h)) / (2 * h);
      // a potential phi(V_a, V_b) with dphi/dV_a = I, dphi/dV_b = -I would need dI/dV_b = -dI/dV_a
      expect(dIa + dIb).toBeCloseTo(-S * (va - vb), 9);
      expect(Math.abs(dIa + dIb)).toBeGreaterThan(1e-5);
    }
  });

  it('the gate-referenced form at the edge\'s own mean gives the exact current', () => {
    for (const saturation of ['none', 'square'] as const) {
      const t: TransistorElement = { kind: 'transistor', s: S, vt: VT, vg: 2.2, saturation };
      const law = new TransistorLaw(S, VT, 2.2, saturation === 'square', CUTOFF);
      for (const [va, vb] of [[0.5, 0.1], [0.2, 0.9], [2.0, 0.0], [3, 2.5]]) {
        law.mean = 0.5 * (va + vb);
        expect(law.current(va - vb)).toBeCloseTo(exactCurrent(t, va, vb), 15);
      }
    }
  });
});

describe('the square-law saturation option', () => {
  it('equals the Ohmic law while both ends are below pinch-off (up to the cut-off leak)', () => {
    const ohm: TransistorElement = { kind: 'transistor', s: S, vt: VT, vg: 3 };
    const sq: TransistorElement = { ...ohm, saturation: 'square' };
    for (const [va, vb] of [[0.5, 0.1], [0.2, 0.9], [2.0, 0.0]]) {
      expect(Math.abs(exactCurrent(sq, va, vb) - exactCurrent(ohm, va, vb))).toBeLessThanOrEqual(CUTOFF * S * Math.abs(va - vb) * 1.0000001);
    }
  });

  it('keeps the current nondecreasing in V_a where the Ohmic parabola turns down', () => {
    const law = new TransistorLaw(S, VT, 2, true, CUTOFF);
    const ohmic = new TransistorLaw(S, VT, 2, false, CUTOFF);
    let prev = -Infinity;
    let ohmicFalls = false;
    let prevOhmic = -Infinity;
    for (let va = 0; va <= 4; va += 0.01) {
      law.mean = 0.5 * va;
      ohmic.mean = 0.5 * va;
      const i = law.current(va);
      expect(i).toBeGreaterThanOrEqual(prev);
      prev = i;
      const io = ohmic.current(va);
      if (io < prevOhmic) ohmicFalls = true;
      prevOhmic = io;
    }
    // beyond pinch-off (V_a > V_G - V_T = 1.38 V) the saturated current is s/2 (V_G - V_T)^2 plus the leak
    law.mean = 1.5;
    expect(law.current(3)).toBeCloseTo(0.5 * S * 1.38 ** 2 + CUTOFF * S * 3, 15);
    expect(ohmicFalls).toBe(true);
  });
});

describe('TransistorLaw.exactDerivatives: the edge\'s entries of the exact Kirchhoff Jacobian', () => {
  it('equal central differences of the oracle current, Ohmic and square law, conducting, saturated and cut off', () => {
    const h = 1e-7;
    for (const saturation of ['none', 'square'] as const) {
      const t: TransistorElement = { kind: 'transistor', s: S, vt: VT, vg: 2, saturation, cutoff: CUTOFF };
      const law = new TransistorLaw(S, VT, 2, saturation === 'square', CUTOFF);
      // conducting; one end beyond pinch-off (square: saturated); both ends above V_G - V_T (cut off)
      for (const [va, vb] of [[0.9, 0.2], [1.6, 0.3], [0.3, 1.7], [2.5, 2.2]]) {
        const [da, db] = law.exactDerivatives(va, vb);
        const fa = (exactCurrent(t, va + h, vb) - exactCurrent(t, va - h, vb)) / (2 * h);
        const fb = (exactCurrent(t, va, vb + h) - exactCurrent(t, va, vb - h)) / (2 * h);
        expect(da).toBeCloseTo(fa, 9);
        expect(db).toBeCloseTo(fb, 9);
      }
    }
  });
});

describe('transistor networks: Kirchhoff\'s law of the exact law holds to the tolerance', () => {
  const fixed = new Map([[0, 0.8], [3, 0.1], [7, 0.45], [12, 0]]);
  for (const seed of [1, 2, 3]) {
    it(`Ohmic network ${seed}: exact residual within the tolerance`, () => {
      const n = transistorNet(seed, 'none', [2, 5]);
      const sol = solveNonlinearCircuit(n, fixed);
      expect(sol.converged).toBe(true);
      const { residual, scale } = exactResidual(n, sol.voltages, fixed);
      expect(residual).toBeLessThanOrEqual(sol.tolerance);
      expect(sol.tolerance).toBeLessThanOrEqual(1e-11 * scale + 1e-18);
    });

    it(`square-law network ${seed} driven into saturation: exact residual within the tolerance`, () => {
      const n = transistorNet(seed, 'square', [0.8, 3]);
      const hot = new Map([[0, 3], [3, 0], [7, 1.5], [12, 0.2]]);
      const sol = solveNonlinearCircuit(n, hot);
      expect(sol.converged).toBe(true);
      const { residual } = exactResidual(n, sol.voltages, hot);
      expect(residual).toBeLessThanOrEqual(sol.tolerance);
      // some edge is in saturation (one end beyond pinch-off) and some is cut off at both ends
      let saturated = 0;
      for (let e = 0; e < n.edgeA.length; e++) {
        const t = n.elements![e] as TransistorElement;
        const qa = t.vg - VT - sol.voltages[n.edgeA[e]];
        const qb = t.vg - VT - sol.voltages[n.edgeB[e]];
        if ((qa < 0) !== (qb < 0)) saturated++;
      }
      expect(saturated).toBeGreaterThan(0);
    });
  }

  it('a transistor network from bad starts (nodes at +-100 V, 1000 V) reaches the same state', () => {
    const n = transistorNet(4, 'square', [2, 5]);
    const ref = solveNonlinearCircuit(n, fixed);
    expect(ref.converged).toBe(true);
    for (const fill of [100, -100, 1000]) {
      const sol = solveNonlinearCircuit(n, fixed, { start: new Float64Array(n.nodes).fill(fill) });
      expect(sol.converged).toBe(true);
      expect(exactResidual(n, sol.voltages, fixed).residual).toBeLessThanOrEqual(sol.tolerance);
      for (let i = 0; i < n.nodes; i++) expect(Math.abs(sol.voltages[i] - ref.voltages[i])).toBeLessThanOrEqual(1e-8);
    }
  });
});

describe('the gate-referenced co-content', () => {
  it('its derivative in the drop is the gate-referenced current (central differences), both saturation models', () => {
    const rng = new Rng(5);
    for (const saturated of [false, true]) {
      for (let k = 0; k < 50; k++) {
        const law = new TransistorLaw(S, VT, rng.uniform(0, 5), saturated, CUTOFF);
        law.mean = rng.uniform(-1, 3);
        const x = rng.uniform(-4, 4);
        const h = 1e-5;
        const fd = (law.coContent(x + h) - law.coContent(x - h)) / (2 * h);
        // truncation h^2 |I''| / 6 with |I''| <= s/2, plus the rounding of the co-content (~S * 10 V^3)
        expect(Math.abs(fd - law.current(x))).toBeLessThanOrEqual(S * h * h + (1e-14 * S * 64) / h);
      }
    }
  });
});
