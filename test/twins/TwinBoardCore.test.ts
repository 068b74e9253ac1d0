import { Matrix, solve as denseSolve } from 'ml-matrix';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Rng } from '../../src/physics/Rng.js';
import { type BoardModel, loadBoardModel } from '../../twins/BoardModel.js';
import { SETTLE_MS, STEP_SAMPLES, STEP_UPDATE_MS, TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { TwinError } from '../../twins/TwinError.js';

const gen1 = loadBoardModel('penn-gen1');
const gen2 = loadBoardModel('penn-gen2');

/** Independent: resistance of tap t, geometric from rMax (tap 0) to rMin (top tap). */
function tapK(m: BoardModel, t: number): number {
  if (m.edge.kind !== 'tap') throw new Error('tap model expected');
  const { taps, rMin, rMax } = m.edge;
  return 1 / (rMax * Math.exp((Math.log(rMin) - Math.log(rMax)) * (t / (taps - 1))));
}

/** Independent dense nodal solve (ml-matrix): Kirchhoff at free nodes, given conductances and imposed voltages. */
function denseNodal(nodes: number, edges: [number, number][], k: number[], imposed: Map<number, number>): number[] {
  const free = [...Array(nodes).keys()].filter((i) => !imposed.has(i));
  const pos = new Map(free.map((n, i) => [n, i]));
  const A = Matrix.zeros(free.length, free.length);
  const b = Matrix.zeros(free.length, 1);
  edges.forEach(([a, c], e) => {
    for (const [p, q] of [[a, c], [c, a]]) {
      const i = pos.get(p);
      if (i === undefined) continue;
      A.set(i, i, A.get(i, i) + k[e]);
      const j = pos.get(q);
      if (j !== undefined) A.set(i, j, A.get(i, j) - k[e]);
      else b.set(i, 0, b.get(i, 0) + k[e] * imposed.get(q)!);
    }
  });
  const x = denseSolve(A, b);
  const v = new Array(nodes).fill(0);
  for (const [n, val] of imposed) v[n] = val;
  free.forEach((n, i) => (v[n] = x.get(i, 0)));
  return v;
}

const lsb = (m: BoardModel): number => (m.adc.hi - m.adc.lo) / (2 ** m.adc.bits - 1);

function expectTwinError(f: () => unknown, code: number): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TwinError);
    expect((e as TwinError).code).toBe(code);
    return;
  }
  throw new Error(`expected TwinError ${code}`);
}

const series: BoardModel = {
  name: 'series3',
  firmware: 'test-1',
  uid: 'abc',
  nodes: 3,
  edges: [[0, 1], [1, 2]],
  drivable: [0, 2],
  clampable: [1],
  adc: { bits: 16, lo: 0, hi: 2, noise: 0.001 },
  dac: { lo: 0, hi: 2, gainSpread: 0.01, offsetSpread: 0.001 },
  edge: { kind: 'tap', taps: 10, rMin: 100, rMax: 1000, tolerance: 0.1, powerOn: 3 },
  drift: 0.1,
  maxSampleRate: 1000,
};

describe('TwinBoardCore, ideal tap board (penn-gen1)', () => {
  it('measures the dense nodal solution of the tap conductances within 1 ADC LSB', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 5; trial++) {
      const core = new TwinBoardCore(gen1, { ideal: true });
      const taps = gen1.edges.map(() => rng.int(100));
      core.setEdges(taps.map((t, e) => [e, t]));
      const src: [number, number][] = [[0, rng.uniform(0, 5)], [15, 0], [6, rng.uniform(0, 5)]];
      core.setSources(src);
      const v = core.measure();
      const exact = denseNodal(16, gen1.edges, taps.map((t) => tapK(gen1, t)), new Map(src));
      for (let i = 0; i < 16; i++) expect(Math.abs(v[i] - exact[i])).toBeLessThanOrEqual(lsb(gen1));
      // the hidden truth agrees much more closely (only the DAC's 16-bit step differs)
      const truth = core.trueVoltages();
      for (let i = 0; i < 16; i++) expect(Math.abs(truth[i] - exact[i])).toBeLessThan(1e-4);
      // readings are ADC codes, rounded to the wire's 1e-6 V
      for (let i = 0; i < 16; i++) {
        expect(Math.round(v[i] * 1e6) / 1e6).toBe(v[i]);
        const code = v[i] / lsb(gen1);
        expect(Math.abs(code - Math.round(code))).toBeLessThan(1e-3);
      }
    }
  });

  it('is a voltage divider on a two-edge series board', () => {
    const core = new TwinBoardCore(series, { ideal: true });
    core.setEdges([[0, 2], [1, 7]]);
    core.setSources([[0, 1.5], [2, 0.25]]);
    const r01 = 1000 * Math.pow(0.1, 2 / 9);
    const r12 = 1000 * Math.pow(0.1, 7 / 9);
    const v1 = 0.25 + (1.5 - 0.25) * (r12 / (r01 + r12));
    const v = core.measure(4);
    expect(Math.abs(v[1] - v1)).toBeLessThanOrEqual(2 / 65535);
    expect(v[0]).toBeCloseTo(1.5, 4);
    expect(v[2]).toBeCloseTo(0.25, 4);
    const k = core.trueConductances();
    expect(k[0]).toBeCloseTo(1 / r01, 12);
    expect(k[1]).toBeCloseTo(1 / r12, 12);
  });

  it('reads 0 V on floating nodes and with nothing imposed', () => {
    const core = new TwinBoardCore(gen1, { ideal: true });
    expect(Array.from(core.measure())).toEqual(new Array(16).fill(0));
    const island: BoardModel = { ...series, nodes: 4, edges: [[0, 1], [2, 3]], drivable: [0, 2], clampable: [1, 3] };
    const c2 = new TwinBoardCore(island, { ideal: true });
    c2.setSources([[0, 1]]);
    const v = c2.measure();
    expect(v[0]).toBeCloseTo(1, 4);
    expect(v[1]).toBeCloseTo(1, 4);
    expect(v[2]).toBe(0);
    expect(v[3]).toBe(0);
  });

  it('STEP moves each tap by the sign rule computed from the measured free and clamped states', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 4; trial++) {
      const a = new TwinBoardCore(gen1, { ideal: true });
      const b = new TwinBoardCore(gen1, { ideal: true });
      const taps = gen1.edges.map(() => 1 + rng.int(98));
      for (const c of [a, b]) {
        c.setEdges(taps.map((t, e) => [e, t]));
        c.setSources([[0, 4], [3, 1], [15, 0]]);
      }
      const targets: [number, number][] = [[9, rng.uniform(0.5, 3.5)], [10, rng.uniform(0.5, 3.5)]];
      const eta = 0.5;
      // independent: measure free, clamp by hand, measure clamped, sign rule
      const vf = b.measure(16);
      b.setClamps(targets.map(([n, d]) => [n, vf[n] + eta * (d - vf[n])]));
      const vc = b.measure(16);
      b.setClamps([]);
      const expected = gen1.edges.map(([p, q], e) => {
        const d = (vf[q] - vf[p]) ** 2 - (vc[q] - vc[p]) ** 2;
        return Math.min(99, Math.max(0, taps[e] + Math.sign(d)));
      });
      const r = a.step(targets, eta);
      expect(Array.from(a.edgeSettings())).toEqual(expected);
      expect(r.changed).toBe(expected.filter((t, e) => t !== taps[e]).length);
      expect(r.changed).toBeGreaterThan(0);
      expect(Array.from(r.freeTargets)).toEqual([vf[9], vf[10]]);
      expect(a.activeClamps().size).toBe(0);
      expect(a.activeSources().size).toBe(3);
      expect(a.stats.steps).toBe(1);
    }
  });

  it('reboot restores the power-on taps, releases sources and clamps, bumps bootCount', () => {
    const core = new TwinBoardCore(gen1, { ideal: true });
    expect(core.bootCount).toBe(1);
    core.setEdges([[0, 3], [5, 90]]);
    core.setSources([[0, 2]]);
    core.setClamps([[5, 1]]);
    core.step([[9, 1]], 0.5);
    core.reboot();
    expect(core.bootCount).toBe(2);
    expect(core.identity().bootCount).toBe(2);
    expect(Array.from(core.edgeSettings())).toEqual(new Array(33).fill(50));
    expect(core.activeSources().size).toBe(0);
    expect(core.activeClamps().size).toBe(0);
    expect(core.stats.steps).toBe(0);
    expect(Array.from(core.measure())).toEqual(new Array(16).fill(0));
  });

  it('identity reports the model', () => {
    const id = new TwinBoardCore(gen1).identity();
    expect(id).toMatchObject({ protocol: '1.3', model: 'penn-gen1', uid: '5e1f0001', nodes: 16, edge: { kind: 'tap', taps: 100 }, adc: { bits: 12, lo: 0, hi: 5 }, dac: { lo: 0, hi: 5 }, maxSampleRate: 10000 });
    expect(id.edges).toHaveLength(33);
    // step limits: the defaults for a tap board (no amp), the model's step block for penn-gen2
    expect(id.limits).toEqual({ eta: { lo: 1e-6, hi: 1 }, maxExamples: 65535, keep: 256 });
    const id2 = new TwinBoardCore(gen2).identity();
    expect(id2.edge).toEqual({ kind: 'gate', lo: 0, hi: 5 });
    expect(id2.limits).toEqual({ eta: { lo: 1e-6, hi: 1 }, maxExamples: 65535, keep: 256, amp: { lo: 0, hi: 50 }, gateStep: 1 });
    expect(id2.edges).toHaveLength(32);
  });

  it('refuses violations with TwinError and the protocol code, leaving the state untouched', () => {
    const core = new TwinBoardCore(series, { ideal: true });
    expectTwinError(() => core.setSources([[1, 1]]), 416); // not drivable
    expectTwinError(() => core.setSources([[7, 1]]), 416); // no such node
    expectTwinError(() => core.setSources([[0, 2.5]]), 416); // outside the DAC range
    expectTwinError(() => core.setSources([[0, -0.1]]), 416);
    expectTwinError(() => core.setSources([[0, 1], [0, 1]]), 400);
    expectTwinError(() => core.setSources([[0, NaN]]), 400);
    expectTwinError(() => core.setClamps([[0, 1]]), 416); // not clampable
    expectTwinError(() => core.setEdges([[0, 10]]), 416); // tap outside 0..9
    expectTwinError(() => core.setEdges([[0, -1]]), 416);
    expectTwinError(() => core.setEdges([[0, 2.5]]), 400); // not an integer
    expectTwinError(() => core.setEdges([[2, 1]]), 416); // no such edge
    expectTwinError(() => core.setEdges([[0, 1], [1, 99]]), 416);
    expect(Array.from(core.edgeSettings())).toEqual([3, 3]); // atomic: edge 0 not set
    expectTwinError(() => core.measure(0), 416);
    expectTwinError(() => core.measure(1025), 416);
    expectTwinError(() => core.measure(2.5), 400);
    expectTwinError(() => core.step([[1, 1]], 0), 416);
    expectTwinError(() => core.step([[1, 1]], 1.5), 416);
    expectTwinError(() => core.step([[0, 1]], 0.5), 416);
    core.setSources([[0, 1]]);
    const withClamp: BoardModel = { ...series, clampable: [0, 1] };
    const c2 = new TwinBoardCore(withClamp, { ideal: true });
    c2.setSources([[0, 1]]);
    expectTwinError(() => c2.setClamps([[0, 1]]), 409); // driven and clamped at once
    c2.setClamps([[1, 0.5]]);
    expectTwinError(() => c2.setSources([[0, 1], [1, 1]]), 416);
    const g = new TwinBoardCore(gen2, { ideal: true });
    expectTwinError(() => g.setEdges([[0, 5.1]]), 416);
    expectTwinError(() => g.setEdges([[0, -0.2]]), 416);
    g.setEdges([[0, 3.1234567]]);
    expect(g.edgeSettings()[0]).toBe(3.123457);
  });
});

describe('TwinBoardCore, gate board (penn-gen2)', () => {
  /** Independent: current a -> b of every edge with the Ohmic law, cut-off edges carrying (almost) nothing. */
  function kclResiduals(m: BoardModel, gates: ArrayLike<number>, v: ArrayLike<number>): number[] {
    if (m.edge.kind !== 'gate') throw new Error('gate model expected');
    const { s, vt } = m.edge;
    const r = new Array(m.nodes).fill(0);
    m.edges.forEach(([a, b], e) => {
      const k = Math.max(0, s * (gates[e] - vt - (v[a] + v[b]) / 2));
      const i = k * (v[a] - v[b]);
      r[a] += i;
      r[b] -= i;
    });
    return r;
  }

  it("satisfies Kirchhoff's current law at free nodes with the nonlinear conductance law", () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 6; trial++) {
      const core = new TwinBoardCore(gen2, { ideal: true });
      // some trials with low gates, so that some edges are cut off
      const lo = trial % 2 === 0 ? 1.5 : 0.4;
      const gates = gen2.edges.map(() => Math.round(rng.uniform(lo, 5) * 1e6) / 1e6);
      core.setEdges(gates.map((g, e) => [e, g]));
      const src: [number, number][] = [[0, rng.uniform(0.5, 1)], [10, 0], [5, rng.uniform(0, 1)]];
      core.setSources(src);
      const v = core.trueVoltages();
      const res = kclResiduals(gen2, gates, v);
      let scale = 0;
      gen2.edges.forEach(([a, b], e) => (scale = Math.max(scale, Math.abs(gen2.edge.kind === 'gate' ? gen2.edge.s * gates[e] * (v[a] - v[b]) : 0))));
      expect(scale).toBeGreaterThan(1e-5);
      for (let i = 0; i < 16; i++) {
        if (src.some(([n]) => n === i)) continue;
        expect(Math.abs(res[i])).toBeLessThan(1e-9);
      }
      for (const [n, val] of src) expect(v[n]).toBeCloseTo(val, 4);
      // conductances are the law at those voltages
      const k = core.trueConductances();
      gen2.edges.forEach(([a, b], e) => {
        const expected = 8.5e-4 * (gates[e] - 0.62 - (v[a] + v[b]) / 2);
        if (expected > 1e-9) expect(k[e]).toBeCloseTo(expected, 12);
        else expect(k[e]).toBeLessThan(1e-9);
      });
      // the ADC reads them within an LSB
      const meas = core.measure();
      for (let i = 0; i < 16; i++) expect(Math.abs(meas[i] - v[i])).toBeLessThanOrEqual(lsb(gen2) / 2 + 1e-6);
    }
  });

  it('STEP moves gates by amp x ((dV_F)^2 - (dV_C)^2), clipped', () => {
    const a = new TwinBoardCore(gen2, { ideal: true });
    const b = new TwinBoardCore(gen2, { ideal: true });
    for (const c of [a, b]) c.setSources([[0, 0.9], [10, 0]]);
    const targets: [number, number][] = [[5, 0.2], [15, 0.8]];
    const vf = b.measure(16);
    b.setClamps(targets.map(([n, d]) => [n, vf[n] + 0.3 * (d - vf[n])]));
    const vc = b.measure(16);
    const amp = 20;
    const expected = gen2.edges.map(([p, q]) => {
      const d = (vf[q] - vf[p]) ** 2 - (vc[q] - vc[p]) ** 2;
      return Math.round(Math.min(5, Math.max(0, 2.5 + amp * d)) * 1e6) / 1e6;
    });
    const r = a.step(targets, 0.3, amp);
    const got = a.edgeSettings();
    for (let e = 0; e < 32; e++) expect(got[e]).toBeCloseTo(expected[e], 9);
    expect(r.changed).toBe(expected.filter((x) => x !== 2.5).length);
  });
});

describe('TwinBoardCore non-idealities', () => {
  it('noise: repeated measures vary with std ~ noise / sqrt(samples); same seed, same sequence', () => {
    const make = (seed: number): TwinBoardCore => {
      const c = new TwinBoardCore(gen1, { seed });
      c.setSources([[0, 4], [15, 0]]);
      return c;
    };
    for (const samples of [4, 64]) {
      const core = make(7);
      const node = 6;
      const xs: number[] = [];
      for (let i = 0; i < 300; i++) xs.push(core.measure(samples)[node]);
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      const std = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
      const expected = Math.sqrt(gen1.adc.noise ** 2 + lsb(gen1) ** 2 / 12) / Math.sqrt(samples);
      expect(std / expected).toBeGreaterThan(0.8);
      expect(std / expected).toBeLessThan(1.25);
      expect(Math.abs(mean - core.trueVoltages()[node])).toBeLessThan(5 * expected / Math.sqrt(300) + lsb(gen1) / 4);
    }
    const a = make(9);
    const b = make(9);
    const c = make(10);
    const ra = [a.measure(), a.measure()];
    const rb = [b.measure(), b.measure()];
    expect(ra.map((x) => Array.from(x))).toEqual(rb.map((x) => Array.from(x)));
    expect(Array.from(c.measure())).not.toEqual(Array.from(ra[0]));
  });

  it('tolerance and DAC errors are seeded and absent when ideal', () => {
    const nominal = gen1.edges.map(() => tapK(gen1, 50));
    const real = new TwinBoardCore(gen1, { seed: 1 }).trueConductances();
    const ratios = Array.from(real, (k, e) => k / nominal[e] - 1);
    const sd = Math.sqrt(ratios.reduce((s, x) => s + x * x, 0) / ratios.length);
    expect(sd).toBeGreaterThan(0.025);
    expect(sd).toBeLessThan(0.09);
    expect(Array.from(new TwinBoardCore(gen1, { seed: 1 }).trueConductances())).toEqual(Array.from(real));
    const ideal = new TwinBoardCore(gen1, { seed: 1, ideal: true }).trueConductances();
    ideal.forEach((k, e) => expect(k).toBeCloseTo(nominal[e], 15));
    const c = new TwinBoardCore(gen1, { seed: 1 });
    c.setSources([[0, 4]]);
    const out = c.trueImposed().get(0)!;
    expect(out).not.toBe(4);
    expect(Math.abs(out - 4)).toBeLessThan(0.05);
  });

  it('drift: a slow random walk in the simulated time, none when ideal', () => {
    const core = new TwinBoardCore(gen1, { seed: 2 });
    const ideal = new TwinBoardCore(gen1, { seed: 2, ideal: true });
    const k0 = core.trueConductances();
    const i0 = ideal.trueConductances();
    // nothing but time moves the factors: hidden-truth reads without time passing leave them
    expect(Array.from(core.trueConductances())).toEqual(Array.from(k0));
    core.advanceTime(100 * 3.6e6); // 100 hours
    ideal.advanceTime(100 * 3.6e6);
    core.setSources([[0, 1]]);
    core.measure();
    ideal.measure();
    const k1 = core.trueConductances();
    const logs = Array.from(k1, (k, e) => Math.log(k / k0[e]));
    const sd = Math.sqrt(logs.reduce((s, x) => s + x * x, 0) / logs.length);
    const expected = gen1.drift * Math.sqrt(100);
    expect(sd / expected).toBeGreaterThan(0.6);
    expect(sd / expected).toBeLessThan(1.5);
    expect(Array.from(ideal.trueConductances())).toEqual(Array.from(i0));
  });
});

describe('TwinBoardCore keeps its own simulated time (issue 11 point 2)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** A noisy, drifting twin's readings over a short session of measurements and steps. */
  function session(model: BoardModel, seed: number): number[] {
    const core = new TwinBoardCore(model, { seed });
    const out: number[] = [];
    core.setSources([[0, 3], [15, 0]]);
    for (let i = 0; i < 40; i++) {
      out.push(...core.measure(64));
      core.step([[9, 1.2], [10, 2.1]], 0.5);
    }
    out.push(...core.edgeSettings(), ...core.trueEdgeFactors());
    return out;
  }

  it('time advances by what the board does: settling and sampling per measurement, the update per step', () => {
    const core = new TwinBoardCore(gen1, { seed: 1 });
    expect(core.simulatedMs).toBe(0);
    core.setSources([[0, 1]]);
    core.setEdges([[0, 10]]);
    expect(core.simulatedMs).toBe(0);
    core.measure(100);
    const perMeasure = (n: number): number => SETTLE_MS + (1000 * n * gen1.nodes) / gen1.maxSampleRate;
    expect(core.simulatedMs).toBeCloseTo(perMeasure(100), 12);
    core.step([[9, 1]], 0.5);
    expect(core.simulatedMs).toBeCloseTo(perMeasure(100) + 2 * perMeasure(STEP_SAMPLES) + STEP_UPDATE_MS, 12);
    core.reboot();
    core.advanceTime(1000);
    expect(core.simulatedMs).toBeCloseTo(1000 + perMeasure(100) + 2 * perMeasure(STEP_SAMPLES) + STEP_UPDATE_MS, 12);
    expect(() => core.advanceTime(-1)).toThrow(RangeError);
  });

  it('a seeded noisy twin gives the same readings whatever the wall clock does', () => {
    // drift is strong here (50 %/h) so that any dependence on real time would show at once
    const model = { ...gen1, drift: 0.5 };
    const a = session(model, 4);
    // the wall clock jumps by hours between calls: the twin must not see it
    let t = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (t += 3.6e6));
    vi.spyOn(Date, 'now').mockImplementation(() => (t += 3.6e6));
    const b = session(model, 4);
    expect(b).toEqual(a);
    // not a vacuous comparison: another seed differs, and the session's time made the factors drift
    expect(session(model, 5)).not.toEqual(a);
    const fresh = Array.from(new TwinBoardCore(model, { seed: 4 }).trueEdgeFactors());
    expect(a.slice(-gen1.edges.length)).not.toEqual(fresh);
  });
});
