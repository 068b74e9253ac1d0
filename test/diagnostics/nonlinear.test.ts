/**
 * Diagnostics on nonlinear networks (issue 14 point 3) against independent computations: the physical Hessian against
 * central differences of Kirchhoff's residual written here from the element laws, the linearised network's Laplacian
 * against the exact Jacobian, the target Jacobian and the cost Hessian against differences of the solver's states and
 * cost, and the gradient fidelity's trend with beta.
 */
import { describe, expect, it } from 'vitest';
import { diagnoseNetwork } from '../../src/diagnostics/diagnoseNetwork.js';
import { gradientFidelity } from '../../src/diagnostics/gradientFidelity.js';
import { symmetricEigen } from '../../src/diagnostics/symmetricEigen.js';
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

/** Eigenvalues of a dense symmetric matrix, descending (the report's order). */
const eigDesc = (m: Float64Array, n: number): number[] => Array.from(symmetricEigen(m, n, { vectors: false }).values).reverse();

describe('diagnoseNetwork on a nonlinear network: the cost parts in theta', () => {
  const net = network('mixed', 5);
  const theta = initialParameters(net);
  const E = theta.length;
  const M = task.train.length;
  const learns = (e: number): boolean => net.elements![e]!.kind !== 'diode';
  const targetsAt = (th: Float64Array, ex: { in: Float64Array }): number[] => {
    const r = solveNonlinearCircuit(withParameters(net, th), fixedOf(ex), { tolerance: 1e-13, absoluteTolerance: 1e-21, maxIterations: 2000 });
    return Array.from(task.targets, (t) => r.voltages[t]);
  };
  const costAt = (th: Float64Array): number => {
    let c = 0;
    for (const ex of task.train) targetsAt(th, ex).forEach((v, i) => (c += (0.5 * (v - ex.out[i]) ** 2) / M));
    return c;
  };
  const report = diagnoseNetwork(net, task, { modes: 6 });
  const step = (e: number): number => 1e-3 * Math.abs(theta[e]);
  const moved = (moves: [number, number][]): Float64Array => {
    const th = Float64Array.from(theta);
    for (const [e, s] of moves) th[e] += s * step(e);
    return th;
  };

  it('reports the units of theta (k in S, V_G in V), the state it linearised at, and why coupling and stability are left out', () => {
    expect(report.nonlinear).toBeDefined();
    const nl = report.nonlinear!;
    const kinds = net.elements!.map((el) => el!.kind);
    expect(nl.parameters).toEqual({ conductance: kinds.filter((k) => k === 'resistor').length, gate: kinds.filter((k) => k === 'transistor').length, none: kinds.filter((k) => k === 'diode').length });
    expect(nl.units.theta).toContain('V_G (V)');
    expect(nl.units.hessian).toContain('mixed');
    expect(nl.linearisedAt).toBe('the free state of the first training example');
    expect(report.cost!.coupling).toBeNull();
    expect(report.cost!.stability).toEqual([]);
    expect(report.skipped.some((s) => s.startsWith('coupling: the cost Hessian is over gate voltages'))).toBe(true);
    expect(report.skipped.some((s) => s.startsWith('stability: transistors make the Kirchhoff Jacobian non-symmetric'))).toBe(true);
    // the cost and its gradient's norm against the circuit solved directly (central differences of the cost)
    expect(Math.abs(report.cost!.value - costAt(theta))).toBeLessThan(1e-12);
    let g2 = 0;
    for (let e = 0; e < E; e++) {
      if (!learns(e)) continue;
      g2 += ((costAt(moved([[e, 1]])) - costAt(moved([[e, -1]]))) / (2 * step(e))) ** 2;
    }
    expect(Math.abs(report.cost!.gradientNorm - Math.sqrt(g2))).toBeLessThan(1e-5 * Math.sqrt(g2));
  });

  it('the full Hessian spectrum equals that of second differences of the cost, each entry from the solved circuit', () => {
    const fd = new Float64Array(E * E);
    const c0 = costAt(theta);
    for (let i = 0; i < E; i++) {
      if (!learns(i)) continue;
      fd[i * E + i] = (costAt(moved([[i, 1]])) - 2 * c0 + costAt(moved([[i, -1]]))) / step(i) ** 2;
      for (let j = 0; j < i; j++) {
        if (!learns(j)) continue;
        const v = (costAt(moved([[i, 1], [j, 1]])) - costAt(moved([[i, 1], [j, -1]])) - costAt(moved([[i, -1], [j, 1]])) + costAt(moved([[i, -1], [j, -1]]))) / (4 * step(i) * step(j));
        fd[i * E + j] = v;
        fd[j * E + i] = v;
      }
    }
    const want = eigDesc(fd, E);
    const got = report.cost!.full;
    expect(got.length).toBe(6);
    // (eigenvalues in mixed units span decades: each within 1e-4 of itself or 1e-7 of the largest)
    got.forEach((x, i) => expect(Math.abs(x - want[i])).toBeLessThanOrEqual(1e-4 * Math.abs(want[i]) + 1e-7 * Math.abs(want[0])));
  });

  it('the Gauss-Newton spectrum equals that of (1/M) sum J^T J with J from central differences of the solved targets', () => {
    const gn = new Float64Array(E * E);
    for (const ex of task.train) {
      const J = Array.from({ length: E }, (_, e) => {
        if (!learns(e)) return task.targets.map(() => 0);
        const p = targetsAt(moved([[e, 1]]), ex);
        const m = targetsAt(moved([[e, -1]]), ex);
        return p.map((x, t) => (x - m[t]) / (2 * step(e)));
      });
      for (let i = 0; i < E; i++) for (let j = 0; j < E; j++) J[i].forEach((x, t) => (gn[i * E + j] += (x * J[j][t]) / M));
    }
    const want = eigDesc(gn, E);
    report.cost!.gaussNewton.forEach((x, i) => expect(Math.abs(x - want[i])).toBeLessThanOrEqual(1e-5 * Math.abs(want[i]) + 1e-9 * Math.abs(want[0])));
  });
});

describe('diagnoseNetwork: a network of resistor elements reports what the same linear network reports', () => {
  it('physical spectrum, cost Hessian, coupling, fidelity and stability (CL and EP) agree with the linear path', () => {
    const lin = randomNet(10, 9, 12);
    lin.conductance = Float64Array.from(lin.conductance, (k) => k * 1e-3);
    const res: Network = { ...lin, elements: Array.from(lin.conductance, (k): EdgeElement => ({ kind: 'resistor', k })) };
    const t: Task = {
      sources: Int32Array.of(0, 1),
      ground: Int32Array.of(9),
      targets: Int32Array.of(5, 7),
      train: [0, 1, 2].map((m) => ({ in: Float64Array.of(0.2 + 0.3 * m, 0.9 - 0.2 * m), out: Float64Array.of(0.3 + 0.05 * m, 0.45 - 0.1 * m) })),
      test: [],
    };
    const origin = { from: 'options' as const, detail: 'test' };
    for (const step of [{ rule: 'cl' as const, eta: 0.1, alpha: 0.5 }, { rule: 'ep' as const, beta: 1e-5, alpha: 0.5 }]) {
      const a = diagnoseNetwork(lin, t, { modes: 5, learning: { step, origin } });
      const b = diagnoseNetwork(res, t, { modes: 5, learning: { step, origin } });
      expect(a.nonlinear).toBeUndefined();
      expect(b.nonlinear!.units).toEqual({ theta: 'k (S)', gradient: 'V^2/S', hessian: 'V^2/S^2' });
      expect(b.nonlinear!.asymmetry).toBe(0);
      expect(b.skipped).toEqual(a.skipped);
      const close = (x: ArrayLike<number>, y: ArrayLike<number>, rel: number): void => {
        expect(x.length).toBe(y.length);
        const scale = Math.max(...Array.from(y, Math.abs));
        for (let i = 0; i < y.length; i++) expect(Math.abs(x[i] - y[i])).toBeLessThanOrEqual(rel * scale);
      };
      close(b.physical.lowest.values, a.physical.lowest.values, 1e-12);
      close(b.physical.highest.values, a.physical.highest.values, 1e-12);
      const ca = a.cost!;
      const cb = b.cost!;
      expect(Math.abs(cb.value - ca.value)).toBeLessThanOrEqual(1e-12 * ca.value);
      expect(Math.abs(cb.gradientNorm - ca.gradientNorm)).toBeLessThanOrEqual(1e-9 * ca.gradientNorm);
      close(cb.gaussNewton, ca.gaussNewton, 1e-9);
      // the nonlinear full Hessian is differenced from the exact gradient (O(h^2), h = 1e-5 relative)
      close(cb.full, ca.full, 1e-6);
      expect(Math.abs(cb.coupling!.best.cosine - ca.coupling!.best.cosine)).toBeLessThan(1e-6);
      expect(Math.abs(cb.coupling!.power.exponent - ca.coupling!.power.exponent)).toBeLessThan(1e-5);
      cb.fidelity.forEach((f, i) => {
        expect(f.parameter).toBe(ca.fidelity[i].parameter);
        expect(Math.abs(f.cosine - ca.fidelity[i].cosine)).toBeLessThan(1e-9);
        expect(Math.abs(f.normRatio - ca.fidelity[i].normRatio)).toBeLessThanOrEqual(1e-7 * ca.fidelity[i].normRatio);
      });
      const sa = ca.stability[0];
      const sb = cb.stability[0];
      expect(sa.applies && sb.applies).toBe(true);
      if (sa.applies && sb.applies) {
        expect(sb.matrix).toBe(sa.matrix);
        expect(Math.abs(sb.index - sa.index)).toBeLessThanOrEqual(1e-6 * sa.index);
      }
    }
  });
});

describe('CL fidelity on nonlinear networks as eta -> 0 (one target, so G_TT is a scalar and CL -> J^T r / G_TT)', () => {
  const one: Task = { ...task, targets: Int32Array.of(4), train: task.train.map((ex) => ({ in: ex.in, out: ex.out.slice(0, 1) })) };
  const etas = [1e-2, 1e-3, 1e-4];
  it('diodes and resistors (symmetric Jacobian): 1 - cosine falls as eta^2', () => {
    const net = network('diode', 5);
    expect(nonlinearHessian(net, one, one.train[0].in).asymmetry).toBe(0);
    const [a, b, c] = gradientFidelity(net, one, etas.map((eta) => ({ rule: 'cl' as const, eta }))).map((f) => 1 - f.cosine);
    expect(b).toBeLessThan(a / 30);
    expect(c).toBeLessThan(b / 30);
    expect(c).toBeLessThan(1e-8);
  });
  it('transistors (non-symmetric Jacobian): the angle tends to a non-zero limit, as does centered EP', () => {
    // CL and EP follow the co-content's signals, i.e. the symmetric part of the Jacobian; the exact adjoint gradient
    // uses J^-T with the transistors' mean-voltage term, so no eta or beta closes the gap
    const net = network('mixed', 5);
    expect(nonlinearHessian(net, one, one.train[0].in).asymmetry).toBeGreaterThan(1e-3);
    const [a, b, c] = gradientFidelity(net, one, etas.map((eta) => ({ rule: 'cl' as const, eta }))).map((f) => 1 - f.cosine);
    expect(c).toBeGreaterThan(1e-4);
    expect(Math.abs(c - b)).toBeLessThan(0.1 * c);
    expect(a).toBeGreaterThan(1e-4);
    const [p, q] = gradientFidelity(net, one, [{ rule: 'cep', beta: 1e-6 }, { rule: 'cep', beta: 1e-7 }]).map((f) => 1 - f.cosine);
    expect(q).toBeGreaterThan(1e-4);
    expect(Math.abs(p - q)).toBeLessThan(0.1 * q);
  });
});

describe('the CL step stability of a diode/resistor network', () => {
  it('is alpha lambda_max((1/M) sum J^T G_TT^-1 J), with J and the target conductance G_TT^-1 differenced from solved circuits', () => {
    // one target: G_TT^-1 (S) is the conductance the target node presents when clamped, dI_T/dV_T with the target
    // imposed too; J = dV_T/dk from the free states
    const net = network('diode', 5);
    const one: Task = { ...task, targets: Int32Array.of(4), train: task.train.map((ex) => ({ in: ex.in, out: ex.out.slice(0, 1) })) };
    const theta = initialParameters(net);
    const E = theta.length;
    const opts = { tolerance: 1e-13, absoluteTolerance: 1e-21, maxIterations: 2000 };
    const all = Array.from({ length: net.nodes }, (_, i) => i);
    const M = new Float64Array(E * E);
    for (const ex of one.train) {
      const vF = solveNonlinearCircuit(net, fixedOf(ex), opts).voltages;
      const clampedCurrent = (d: number): number => {
        const fixed = fixedOf(ex).set(4, vF[4] + d);
        return residual(net, solveNonlinearCircuit(net, fixed, opts).voltages, all)[4];
      };
      const conductance = (clampedCurrent(1e-6) - clampedCurrent(-1e-6)) / 2e-6;
      const J = Array.from(theta, (t, e) => {
        if (net.elements![e]!.kind === 'diode') return 0;
        const at = (s: number): number => solveNonlinearCircuit(withParameters(net, Float64Array.from(theta, (x, i) => (i === e ? x + s * 1e-4 * t : x))), fixedOf(ex), opts).voltages[4];
        return (at(1) - at(-1)) / (2e-4 * t);
      });
      for (let i = 0; i < E; i++) for (let j = 0; j < E; j++) M[i * E + j] += (J[i] * conductance * J[j]) / one.train.length;
    }
    const lambda = eigDesc(M, E)[0];
    const step = { rule: 'cl' as const, eta: 0.1, alpha: 0.5 };
    const s = diagnoseNetwork(net, one, { modes: 3, learning: { step, origin: { from: 'options', detail: 'test' } } }).cost!.stability[0];
    expect(s.applies).toBe(true);
    if (s.applies) {
      expect(s.matrix).toBe('J^T G_TT^-1 J');
      expect(Math.abs(s.lambdaMax - lambda)).toBeLessThanOrEqual(1e-5 * lambda);
      expect(s.index).toBe(0.5 * s.lambdaMax);
    }
  });
});
