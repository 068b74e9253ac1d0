/**
 * Issue 18, point 3: the consistency check's dense path (one dense factorisation of H_FF and its inverse, the
 * covariance summed from the inverse's columns) against
 * - independent truth: the residual's no-fault covariance built here from finite differences of an independent dense
 *   nodal solve (ml-matrix), cause by cause (every reading's ADC noise, every imposed node's DAC error, every edge's
 *   model error), as sum sigma_c^2 p_c p_c^T; each node's sigma and the whitened chi2 must match it;
 * - the full sparse recomputation (one Green's solve per pattern), on random networks, conductances spanning three
 *   decades, random boundaries (commanded and measured, rails, floating components) and readings: every output the
 *   same to rounding.
 */
import { Matrix, solve as mlSolve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { ConsistencyChecker, type CheckResult, type ConsistencyOptions } from '../../src/diagnostics/ConsistencyChecker.js';
import { Rng } from '../../src/physics/Rng.js';
import { denseNodal } from './helpers.js';

interface Case {
  nodes: number;
  edges: [number, number][];
  k: Float64Array;
  imposed: Map<number, number>;
  measured: Float64Array;
  opts: ConsistencyOptions;
}

/** A random connected network (a random spanning tree plus extra edges), with an isolated pair now and then. */
function randomCase(rng: Rng, boundary: 'measured' | 'commanded'): Case {
  const nodes = 6 + rng.int(20);
  const floatingPair = rng.next() < 0.3;
  const main = floatingPair ? nodes - 2 : nodes;
  const edges: [number, number][] = [];
  for (let i = 1; i < main; i++) edges.push([rng.int(i), i]);
  const extra = rng.int(2 * main);
  for (let t = 0; t < extra; t++) {
    const a = rng.int(main);
    const b = rng.int(main);
    if (a !== b) edges.push([a, b]);
  }
  if (floatingPair) edges.push([nodes - 2, nodes - 1]);
  const k = Float64Array.from(edges, () => 10 ** rng.uniform(-5, -2));
  const order = rng.shuffle([...Array(main).keys()]);
  const ni = 1 + rng.int(Math.min(5, main - 1));
  const imposed = new Map<number, number>();
  for (let t = 0; t < ni; t++) imposed.set(order[t], t === 0 ? 0 : rng.next() < 0.15 ? 5 : rng.uniform(0.2, 4.8));
  // (the isolated pair, which nothing drives, held anywhere: its readings are drawn below)
  const truth = denseNodal(nodes, edges, k, floatingPair ? new Map([...imposed, [nodes - 2, 0], [nodes - 1, 0]]) : imposed);
  const measured = Float64Array.from(truth, (v) => Math.min(5, Math.max(0, v + 0.002 * rng.normal())));
  if (floatingPair) {
    measured[nodes - 2] = rng.uniform(0, 5);
    measured[nodes - 1] = rng.uniform(0, 5);
  }
  const opts: ConsistencyOptions = {
    adcLsb: 5 / 4095,
    noiseRms: 0.002,
    samples: 16,
    adcRange: { lo: 0, hi: 5 },
    modelUncertainty: Float64Array.from(edges, () => rng.uniform(0, 0.08)),
    dacUncertainty: { gain: 0.01, offset: 0.003 },
    boundary,
  };
  return { nodes, edges, k, imposed, measured, opts };
}

function checker(c: Case, denseFreeMax: number): ConsistencyChecker {
  const network = { nodes: c.nodes, edgeA: Int32Array.from(c.edges, (e) => e[0]), edgeB: Int32Array.from(c.edges, (e) => e[1]) };
  return new ConsistencyChecker(network, { ...c.opts, denseFreeMax });
}

/** Relative agreement of two numbers (NaN with NaN, Infinity with Infinity). */
function close(a: number, b: number, tol: number, floor = 0): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b), 1e-300) + floor;
}

function expectArrayClose(a: Float64Array, b: Float64Array, tol: number, what: string): void {
  for (let i = 0; i < a.length; i++) if (!close(a[i], b[i], tol)) expect.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

/**
 * Independent: the residual (measured - predicted) as the checker defines it, computed from the readings, the true
 * imposed voltages and the true conductances by ml-matrix, for one perturbation of each cause.
 */
function residualOf(c: Case, used: (i: number) => boolean, floating: Set<number>, dRead: Float64Array, dHeld: Map<number, number>, kTrue: Float64Array): number[] {
  // the board, linearised where the checker linearises (the state of its own boundary values: readings where it uses
  // them, commands elsewhere): nodes held there + DAC error, voltages from the true conductances; readings = that
  // state + ADC error
  const held = new Map([...c.imposed].map(([n, v]) => [n, (used(n) ? c.measured[n] : v) + (dHeld.get(n) ?? 0)] as [number, number]));
  // floating nodes are not influenced by anything: their reading stays as given
  const truth = denseNodal(c.nodes, c.edges, kTrue, new Map([...held, ...[...floating].map((n) => [n, c.measured[n]] as [number, number])]));
  // an imposed node reads what it is held at (its own reading where the checker used it) plus the ADC error
  const read = truth.map((v, i) => v + dRead[i]);
  // the prediction: model conductances, boundary = reading where used, command elsewhere
  const bnd = new Map<number, number>();
  for (const [n, v] of c.imposed) bnd.set(n, used(n) ? read[n] : v);
  for (const n of floating) bnd.set(n, read[n]);
  const pred = denseNodal(c.nodes, c.edges, c.k, bnd);
  return read.map((v, i) => v - (c.imposed.has(i) ? c.imposed.get(i)! : pred[i]));
}

/** Independent covariance of the residual over `checked` from finite differences of residualOf, cause by cause. */
function independentCovariance(c: Case, r: CheckResult, checked: number[]): Matrix {
  const N = c.nodes;
  const sat = new Set(r.unchecked.saturated);
  const floating = new Set(r.unchecked.floating);
  const used = (n: number): boolean => c.opts.boundary !== 'commanded' && !sat.has(n);
  const sAdc = r.sigma.reading;
  const dac = c.opts.dacUncertainty!;
  const u = c.opts.modelUncertainty as Float64Array;
  const zeroRead = new Float64Array(N);
  const none = new Map<number, number>();
  const cov = Matrix.zeros(checked.length, checked.length);
  const addCause = (plus: () => number[], minus: () => number[], step: number, sigma: number): void => {
    const a = plus();
    const b = minus();
    const p = checked.map((i) => (a[i] - b[i]) / (2 * step));
    for (let x = 0; x < p.length; x++) for (let y = 0; y < p.length; y++) cov.set(x, y, cov.get(x, y) + sigma * sigma * p[x] * p[y]);
  };
  const h = 1e-4; // V; the system is linear in readings and held voltages
  for (let i = 0; i < N; i++) {
    if (floating.has(i)) continue;
    const d = (s: number) => Float64Array.from(zeroRead, (_, j) => (j === i ? s : 0));
    addCause(() => residualOf(c, used, floating, d(h), none, c.k), () => residualOf(c, used, floating, d(-h), none, c.k), h, sAdc);
  }
  for (const [j, v] of c.imposed) {
    const s = Math.hypot(dac.offset, dac.gain * v);
    addCause(() => residualOf(c, used, floating, zeroRead, new Map([[j, h]]), c.k), () => residualOf(c, used, floating, zeroRead, new Map([[j, -h]]), c.k), h, s);
  }
  const eps = 1e-6; // relative change of one conductance: the model error's direction
  for (let e = 0; e < c.edges.length; e++) {
    const kk = (s: number) => Float64Array.from(c.k, (x, f) => (f === e ? x * (1 + s) : x));
    addCause(() => residualOf(c, used, floating, zeroRead, none, kk(eps)), () => residualOf(c, used, floating, zeroRead, none, kk(-eps)), eps, u[e]);
  }
  return cov;
}

describe('consistency check, dense path: against an independent covariance and against the sparse recomputation', () => {
  it('each node sigma and the whitened chi2 equal those of the covariance built cause by cause from finite differences (ml-matrix)', () => {
    const rng = new Rng(181);
    let cases = 0;
    for (let t = 0; t < 30; t++) {
      const c = randomCase(rng, t % 2 === 0 ? 'measured' : 'commanded');
      const r = checker(c, 1000).check(c.measured, c.imposed, c.k);
      const checked = [...Array(c.nodes).keys()].filter((i) => Number.isFinite(r.sigma.voltage[i]));
      if (checked.length === 0) continue;
      const cov = independentCovariance(c, r, checked);
      checked.forEach((i, x) => expect(close(r.sigma.voltage[i], Math.sqrt(cov.get(x, x)), 1e-5), `sigma at node ${i}: ${r.sigma.voltage[i]} vs ${Math.sqrt(cov.get(x, x))}`).toBe(true));
      const res = Matrix.columnVector(checked.map((i) => r.voltageResidual[i]));
      const chi2 = res.transpose().mmul(mlSolve(cov, res)).get(0, 0);
      expect(close(r.chi2.value, chi2, 1e-4), `chi2 ${r.chi2.value} vs ${chi2}`).toBe(true);
      expect(r.diagnostics.maxSolveResidual).toBeLessThan(1e-12);
      cases++;
    }
    expect(cases).toBeGreaterThan(20);
  });

  it('gives the sparse path results to rounding on 200 random cases (prediction, residuals, sigmas, chi2, verdict, suspects)', () => {
    const rng = new Rng(182);
    let alarms = 0;
    for (let t = 0; t < 200; t++) {
      const c = randomCase(rng, t % 3 === 0 ? 'commanded' : 'measured');
      // now and then a fault the check should see: one reading off by 30 mV
      if (t % 5 === 4) c.measured[rng.int(c.nodes)] += 0.03;
      const d = checker(c, 1000).check(c.measured, c.imposed, c.k);
      const s = checker(c, 0).check(c.measured, c.imposed, c.k);
      expectArrayClose(d.predicted, s.predicted, 1e-11, 'predicted');
      expectArrayClose(d.voltageResidual, s.voltageResidual, 1e-8, 'voltageResidual');
      expectArrayClose(d.currentResidual, s.currentResidual, 1e-8, 'currentResidual');
      expectArrayClose(d.sigma.voltage, s.sigma.voltage, 1e-9, 'sigma.voltage');
      expectArrayClose(d.sigma.current, s.sigma.current, 1e-9, 'sigma.current');
      expect(close(d.chi2.value, s.chi2.value, 1e-7), `chi2 ${d.chi2.value} vs ${s.chi2.value}`).toBe(true);
      expect(d.chi2.dof).toBe(s.chi2.dof);
      expect(d.alarm).toBe(s.alarm);
      expect(d.worst?.node).toBe(s.worst?.node);
      expect(d.unchecked).toEqual(s.unchecked);
      // the same fits (hypotheses whose chi2 tie may swap places by rounding)
      expect(d.hypotheses.length).toBe(s.hypotheses.length);
      d.hypotheses.forEach((h, i) => expect(close(h.chi2, s.hypotheses[i].chi2, 1e-6, 1e-9), `hypothesis ${i}: chi2 ${h.chi2} vs ${s.hypotheses[i].chi2}`).toBe(true));
      expect(d.diagnostics.maxSolveResidual).toBeLessThan(1e-12);
      if (d.alarm) alarms++;
    }
    expect(alarms).toBeGreaterThan(10);
  });

  it('incremental: a sequence of free and clamped checks (downdated Green\'s functions) gives what recomputing every check gives', () => {
    const rng = new Rng(184);
    let downdated = 0;
    for (let t = 0; t < 40; t++) {
      const c = randomCase(rng, t % 2 === 0 ? 'measured' : 'commanded');
      const network = { nodes: c.nodes, edgeA: Int32Array.from(c.edges, (e) => e[0]), edgeB: Int32Array.from(c.edges, (e) => e[1]) };
      const inc = new ConsistencyChecker(network, c.opts);
      const full = new ConsistencyChecker(network, { ...c.opts, incremental: false });
      const free = [...Array(c.nodes).keys()].filter((i) => !c.imposed.has(i) && c.measured[i] > 0.05 && c.measured[i] < 4.95);
      for (let step = 0; step < 6; step++) {
        // a new step now and then: other conductances (the downdate must not be used across them)
        const k = step % 3 === 0 ? c.k : Float64Array.from(c.k, (x) => x * (1 + 0.02 * rng.normal()));
        // free state, then the same conductances with one or two more nodes clamped (a host step), then a state that
        // releases a node (no downdate possible)
        const clamped = new Map(c.imposed);
        for (const n of rng.shuffle([...free]).slice(0, 1 + rng.int(2))) clamped.set(n, c.measured[n]);
        const released = new Map([...clamped].slice(1));
        for (const imposed of [c.imposed, clamped, released]) {
          const a = inc.check(c.measured, imposed, k);
          const b = full.check(c.measured, imposed, k);
          expect(b.diagnostics.incremental).toBe(false);
          if (a.diagnostics.incremental) downdated++;
          expectArrayClose(a.predicted, b.predicted, 1e-10, 'predicted');
          expectArrayClose(a.voltageResidual, b.voltageResidual, 1e-8, 'voltageResidual');
          expectArrayClose(a.sigma.voltage, b.sigma.voltage, 1e-9, 'sigma.voltage');
          expectArrayClose(a.sigma.current, b.sigma.current, 1e-9, 'sigma.current');
          expect(close(a.chi2.value, b.chi2.value, 1e-7, 1e-9), `chi2 ${a.chi2.value} vs ${b.chi2.value}`).toBe(true);
          expect(a.alarm).toBe(b.alarm);
          expect(a.diagnostics.maxSolveResidual).toBeLessThan(1e-12);
        }
      }
    }
    // the clamped states of most steps were downdated
    expect(downdated).toBeGreaterThan(100);
  });

  it('refuses a non-positive conductance on the dense path as the sparse path does', () => {
    const rng = new Rng(183);
    const c = randomCase(rng, 'measured');
    c.k[0] = 0;
    for (const max of [0, 1000]) expect(() => checker(c, max).check(c.measured, c.imposed, c.k)).toThrow(/conductance\[0\]/);
  });
});
