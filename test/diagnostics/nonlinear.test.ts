/**
 * Diagnostics on nonlinear networks (issue 14 point 3) against independent computations: the physical Hessian against
 * central differences of Kirchhoff's residual written here from the element laws, the linearised network's Laplacian
 * against the exact Jacobian, the target Jacobian and the cost Hessian against differences of the solver's states and
 * cost, and the gradient fidelity's trend with beta.
 */
import { describe, expect, it } from 'vitest';
import { gradientFidelity } from '../../src/diagnostics/gradientFidelity.js';
import { nonlinearCostHessian, nonlinearHessian, nonlinearTargetJacobian } from '../../src/diagnostics/nonlinearDiagnostics.js';
import type { Network } from '../../src/physics/Network.js';
import type { EdgeElement } from '../../src/physics/nonlinear/EdgeElement.js';
import { initialParameters, withParameters } from '../../src/physics/nonlinear/learningParameters.js';
import { solveNonlinearCircuit } from '../../src/physics/nonlinear/solveNonlinearCircuit.js';
import { Rng } from '../../src/physics/Rng.js';
import type { Task } from '../../src/physics/Task.js';
import { randomNet } from '../physics/helpers.js';

const S = 8.5e-4;
const VT = 0.62;
const CUT = 1e-7;
const VTH = (1.380649e-23 * 300) / 1.602176634e-19;

function network(kind: 'diode' | 'mixed', seed: number): Network {
  const n = randomNet(9, 8, seed);
  const rng = new Rng(seed + 50);
  const elements: (EdgeElement | null)[] = Array.from(n.edgeA, () => {
    const r = rng.next();
    if (r < 0.35) return { kind: 'diode', is: 1e-9, n: 1.5 };
    if (kind === 'mixed' && r < 0.75) return { kind: 'transistor', s: S, vt: VT, vg: rng.uniform(2, 4) };
    return { kind: 'resistor', k: rng.uniform(3e-4, 2e-3) };
  });
  return { ...n, conductance: Float64Array.from(n.conductance, (k) => k * 1e-3), elements };
}

const task: Task = {
  sources: Int32Array.of(0, 1),
  ground: Int32Array.of(8),
  targets: Int32Array.of(4, 6),
  train: [
    { in: Float64Array.of(0.9, 0.2), out: Float64Array.of(0.4, 0.5) },
    { in: Float64Array.of(0.3, 0.8), out: Float64Array.of(0.35, 0.3) },
  ],
  test: [],
};

/** Kirchhoff residual at the free nodes, from the textbook laws (Shockley without rs; the gen-2 Ohmic law). */
function residual(net: Network, v: Float64Array, free: number[]): number[] {
  const F = new Float64Array(net.nodes);
  net.edgeA.forEach((a, e) => {
    const b = net.edgeB[e];
    const el = net.elements![e]!;
    const x = v[a] - v[b];
    let i: number;
    if (el.kind === 'diode') i = el.is * Math.expm1(x / (el.n * VTH));
    else if (el.kind === 'transistor') i = Math.max(CUT * el.s, el.s * (el.vg - el.vt - 0.5 * (v[a] + v[b]))) * x;
    else if (el.kind === 'resistor') i = el.k * x;
    else throw new Error('no tables here');
    F[a] += i;
    F[b] -= i;
  });
  return free.map((i) => F[i]);
}

const fixedOf = (ex: { in: Float64Array }): Map<number, number> =>
  new Map<number, number>([
    [0, ex.in[0]],
    [1, ex.in[1]],
    [8, 0],
  ]);

describe('physical Hessian of a nonlinear network', () => {
  for (const kind of ['diode', 'mixed'] as const) {
    it(`${kind}: the exact Jacobian equals central differences of the residual; the linearised Laplacian is its co-content part`, () => {
      const net = network(kind, 3);
      const h = nonlinearHessian(net, task, task.train[0].in);
      const { n, index, J } = h.jacobian;
      const free = Array.from({ length: net.nodes }, (_, i) => i).filter((i) => index[i] >= 0);
      for (const j of free) {
        const d = 1e-7;
        const p = Float64Array.from(h.voltages);
        const m = Float64Array.from(h.voltages);
        p[j] += d;
        m[j] -= d;
        const fp = residual(net, p, free);
        const fm = residual(net, m, free);
        free.forEach((i, r) => {
          const fd = (fp[r] - fm[r]) / (2 * d);
          expect(Math.abs(J[index[i] * n + index[j]] - fd)).toBeLessThanOrEqual(1e-6 * Math.abs(fd) + 1e-12);
        });
      }
      // the linearised network's grounded Laplacian, assembled here from its conductances
      const L = new Float64Array(n * n);
      h.linearised.edgeA.forEach((a, e) => {
        const b = h.linearised.edgeB[e];
        const g = h.linearised.conductance[e];
        const ia = index[a];
        const ib = index[b];
        if (ia >= 0) L[ia * n + ia] += g;
        if (ib >= 0) L[ib * n + ib] += g;
        if (ia >= 0 && ib >= 0) {
          L[ia * n + ib] -= g;
          L[ib * n + ia] -= g;
        }
      });
      expect(h.linearised.elements).toBeUndefined();
      if (kind === 'diode') {
        expect(h.asymmetry).toBe(0);
        for (let i = 0; i < n * n; i++) expect(Math.abs(L[i] - J[i])).toBeLessThanOrEqual(1e-12 * Math.abs(J[i]) + 1e-25);
      } else {
        // transistors: L is the symmetric co-content part; J adds the mean term -(s x / 2) per transistor
        expect(h.asymmetry).toBeGreaterThan(1e-4);
        let sym = 0;
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sym = Math.max(sym, Math.abs(L[i * n + j] - L[j * n + i]));
        expect(sym).toBe(0);
      }
    });
  }
});

describe('cost Jacobian and Hessian of a nonlinear network', () => {
  const net = network('mixed', 5);
  const theta = initialParameters(net);
  const targetsAt = (th: Float64Array, ex: { in: Float64Array }): number[] => {
    const r = solveNonlinearCircuit(withParameters(net, th), fixedOf(ex), { tolerance: 1e-13, absoluteTolerance: 1e-21, maxIterations: 2000 });
    return Array.from(task.targets, (t) => r.voltages[t]);
  };
  const costAt = (th: Float64Array): number => {
    let c = 0;
    for (const ex of task.train) targetsAt(th, ex).forEach((v, i) => (c += (0.5 * (v - ex.out[i]) ** 2) / task.train.length));
    return c;
  };

  it('dV_T/dtheta equals central differences of the solved targets', () => {
    const ex = task.train[0];
    const v = solveNonlinearCircuit(net, fixedOf(ex), { tolerance: 1e-13, absoluteTolerance: 1e-21 }).voltages;
    const rows = nonlinearTargetJacobian(net, theta, task, v);
    for (let e = 0; e < theta.length; e++) {
      if (net.elements![e]!.kind === 'diode') {
        rows.forEach((r) => expect(r[e]).toBe(0));
        continue;
      }
      const d = 1e-4 * Math.abs(theta[e]);
      const p = Float64Array.from(theta);
      const m = Float64Array.from(theta);
      p[e] += d;
      m[e] -= d;
      const vp = targetsAt(p, ex);
      const vm = targetsAt(m, ex);
      rows.forEach((r, t) => {
        // compared as the target's change per relative change of the parameter (V), against the row's scale
        const fd = ((vp[t] - vm[t]) / (2 * d)) * theta[e];
        const scale = Math.max(...Array.from(r, (x, i) => Math.abs(x * theta[i])));
        expect(Math.abs(r[e] * theta[e] - fd)).toBeLessThanOrEqual(1e-6 * scale);
      });
    }
  });

  it('the full Hessian matches second differences of the cost along random directions; Gauss-Newton is PSD and J^T J', () => {
    const H = nonlinearCostHessian(net, task);
    const E = H.edges;
    expect(Math.abs(H.cost - costAt(theta))).toBeLessThan(1e-12);
    const rng = new Rng(9);
    for (let k = 0; k < 4; k++) {
      // a direction scaled per parameter (S or V), zero on diodes
      const d = Float64Array.from(theta, (t, e) => (net.elements![e]!.kind === 'diode' ? 0 : rng.uniform(-1, 1) * Math.abs(t)));
      let quad = 0;
      let gnQuad = 0;
      for (let i = 0; i < E; i++) {
        for (let j = 0; j < E; j++) {
          quad += d[i] * H.full[i * E + j] * d[j];
          gnQuad += d[i] * H.gaussNewton[i * E + j] * d[j];
        }
      }
      const t = 1e-3;
      const plus = Float64Array.from(theta, (x, e) => x + t * d[e]);
      const minus = Float64Array.from(theta, (x, e) => x - t * d[e]);
      const second = (costAt(plus) - 2 * costAt(theta) + costAt(minus)) / (t * t);
      expect(Math.abs(quad - second)).toBeLessThanOrEqual(1e-3 * Math.abs(second) + 1e-12);
      expect(gnQuad).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('gradient fidelity on a nonlinear network', () => {
  it('diodes and resistors (a gradient field): EP -> the exact gradient linearly in beta, centered EP quadratically', () => {
    // (a network whose targets are well connected: where a target hangs on reverse-biased diodes alone, its
    // transfer resistance reaches 1e9 ohm and the nudged states' noise, not beta, sets the error)
    const net = network('diode', 3);
    const [c4, c5, e4, e5] = gradientFidelity(net, task, [
      { rule: 'cep', beta: 1e-4 },
      { rule: 'cep', beta: 1e-5 },
      { rule: 'ep', beta: 1e-4 },
      { rule: 'ep', beta: 1e-5 },
    ]);
    expect(1 - c5.cosine).toBeLessThan(1e-8);
    expect(Math.abs(c5.normRatio - 1)).toBeLessThan(Math.abs(c4.normRatio - 1) / 30); // ~ /100 for O(beta^2)
    expect(Math.abs(e5.normRatio - 1)).toBeLessThan(Math.abs(e4.normRatio - 1) / 5); // ~ /10 for O(beta)
    expect(Math.abs(e5.normRatio - 1)).toBeLessThan(0.01);
  });
});
