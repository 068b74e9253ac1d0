import { Matrix, solve as denseSolve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/physics/Rng.js';
import { type BoardModel, loadBoardModel } from '../../twins/BoardModel.js';
import { OPEN_EDGE_FRACTION, SHORT_EDGE_CONDUCTANCE, TwinBoardCore } from '../../twins/TwinBoardCore.js';

const gen1 = loadBoardModel('penn-gen1');
const gen2 = loadBoardModel('penn-gen2');
const lsb = (m: BoardModel): number => (m.adc.hi - m.adc.lo) / (2 ** m.adc.bits - 1);

/** Independent: tap conductance by the geometric law. */
function tapK(m: BoardModel, t: number): number {
  if (m.edge.kind !== 'tap') throw new Error('tap model expected');
  return 1 / (m.edge.rMax * Math.exp(Math.log(m.edge.rMin / m.edge.rMax) * (t / (m.edge.taps - 1))));
}

/** Independent dense nodal solve (ml-matrix). */
function denseNodal(nodes: number, edges: [number, number][], k: ArrayLike<number>, imposed: Map<number, number>): number[] {
  const free = [...Array(nodes).keys()].filter((i) => !imposed.has(i));
  const pos = new Map(free.map((n, i) => [n, i]));
  const A = Matrix.zeros(free.length, free.length);
  const b = Matrix.zeros(free.length, 1);
  edges.forEach(([p, q], e) => {
    for (const [x, y] of [[p, q], [q, p]]) {
      const i = pos.get(x);
      if (i === undefined) continue;
      A.set(i, i, A.get(i, i) + k[e]);
      const j = pos.get(y);
      if (j !== undefined) A.set(i, j, A.get(i, j) - k[e]);
      else b.set(i, 0, b.get(i, 0) + k[e] * imposed.get(y)!);
    }
  });
  const x = denseSolve(A, b);
  const v = new Array<number>(nodes).fill(0);
  for (const [n, val] of imposed) v[n] = val;
  free.forEach((n, i) => (v[n] = x.get(i, 0)));
  return v;
}

describe('TwinBoardCore fault knobs (twin-only)', () => {
  it('change nothing when unused or removed: readings bit-identical to an untouched twin of the same seed', () => {
    for (const ideal of [true, false]) {
      const a = new TwinBoardCore(gen1, { seed: 9, ideal });
      const b = new TwinBoardCore(gen1, { seed: 9, ideal });
      for (const c of [a, b]) c.setSources([[0, 4.2], [15, 0], [6, 1.7]]);
      a.injectEdgeFault(4, 'open');
      a.injectEdgeFault(9, 'short');
      a.injectAdcOffset(3, 0.05);
      a.injectEdgeFault(4, null);
      a.injectEdgeFault(9, null);
      a.injectAdcOffset(3, 0);
      expect(a.injectedFaults().edges.size).toBe(0);
      expect(a.injectedFaults().adcOffsets.size).toBe(0);
      for (let t = 0; t < 3; t++) expect(Array.from(a.measure(16))).toEqual(Array.from(b.measure(16)));
      expect(Array.from(a.trueConductances())).toEqual(Array.from(b.trueConductances()));
    }
  });

  it('open and short edges: conductances as documented, voltages = the dense solution with that conductance', () => {
    const rng = new Rng(4);
    const core = new TwinBoardCore(gen1, { ideal: true });
    const taps = gen1.edges.map(() => 10 + rng.int(80));
    core.setEdges(taps.map((t, e) => [e, t]));
    const src = new Map([[0, 4.5], [15, 0], [3, 1.25]]);
    core.setSources([...src]);
    for (const [edge, fault] of [[5, 'open'], [17, 'short'], [0, 'open'], [32, 'short']] as const) {
      core.injectEdgeFault(edge, fault);
      const k = gen1.edges.map((_, e) => tapK(gen1, taps[e]));
      k[edge] = fault === 'open' ? OPEN_EDGE_FRACTION * k[edge] : SHORT_EDGE_CONDUCTANCE;
      const kt = core.trueConductances();
      for (let e = 0; e < k.length; e++) expect(kt[e]).toBeCloseTo(k[e], 15);
      expect(core.injectedFaults().edges.get(edge)).toBe(fault);
      const exact = denseNodal(16, gen1.edges, k, src);
      const v = core.measure();
      for (let i = 0; i < 16; i++) expect(Math.abs(v[i] - exact[i])).toBeLessThanOrEqual(lsb(gen1));
      core.injectEdgeFault(edge, null);
    }
  });

  it('ADC offset: added to one channel reading (quantised, clipped at the rails), not to the physical voltage', () => {
    const core = new TwinBoardCore(gen1, { ideal: true });
    core.setSources([[0, 4], [15, 0]]);
    const before = core.measure();
    const truth = core.trueVoltages();
    core.injectAdcOffset(6, 0.05);
    core.injectAdcOffset(15, -0.05); // ground channel: clipped at the 0 V rail
    const after = core.measure();
    expect(Array.from(core.trueVoltages())).toEqual(Array.from(truth));
    expect(Math.abs(after[6] - before[6] - 0.05)).toBeLessThanOrEqual(lsb(gen1));
    expect(after[15]).toBe(0);
    for (let i = 0; i < 16; i++) if (i !== 6 && i !== 15) expect(after[i]).toBe(before[i]);
    expect(core.injectedFaults().adcOffsets).toEqual(new Map([[6, 0.05], [15, -0.05]]));
  });

  it('faults are hardware: they survive a reboot', () => {
    const core = new TwinBoardCore(gen1, { ideal: true });
    core.injectEdgeFault(2, 'short');
    core.injectAdcOffset(1, 0.01);
    core.reboot();
    expect(core.injectedFaults().edges.get(2)).toBe('short');
    expect(core.trueConductances()[2]).toBe(SHORT_EDGE_CONDUCTANCE);
    expect(core.injectedFaults().adcOffsets.get(1)).toBe(0.01);
  });

  it("gate board: Kirchhoff's law holds at free nodes with an open and a shorted transistor", () => {
    const core = new TwinBoardCore(gen2, { ideal: true });
    const rng = new Rng(8);
    core.setEdges(gen2.edges.map((_, e) => [e, Math.round(rng.uniform(1.5, 4.5) * 1e3) / 1e3] as [number, number]));
    core.setSources([[0, 0.8], [10, 0.1], [5, 0.5]]);
    core.injectEdgeFault(3, 'open');
    core.injectEdgeFault(20, 'short');
    const v = core.trueVoltages();
    const k = core.trueConductances();
    expect(k[20]).toBe(SHORT_EDGE_CONDUCTANCE);
    // the open edge keeps 1e-9 of the Ohmic-law conductance at the present voltages
    if (gen2.edge.kind !== 'gate') throw new Error('gate model expected');
    const [a3, b3] = gen2.edges[3];
    const healthy = Math.max(gen2.edge.s * 1e-7, gen2.edge.s * (core.edgeSettings()[3] - gen2.edge.vt - 0.5 * (v[a3] + v[b3])));
    expect(k[3] / healthy).toBeCloseTo(OPEN_EDGE_FRACTION, 20);
    const imbalance = new Float64Array(16);
    gen2.edges.forEach(([a, b], e) => {
      const i = k[e] * (v[a] - v[b]);
      imbalance[a] += i;
      imbalance[b] -= i;
    });
    const scale = Math.max(...gen2.edges.map(([a, b], e) => Math.abs(k[e] * (v[a] - v[b]))));
    for (let i = 0; i < 16; i++) if (![0, 10, 5].includes(i)) expect(Math.abs(imbalance[i])).toBeLessThan(1e-9 * scale);
    // the short (1 ohm among kilo-ohms) nearly joins its ends
    const [a20, b20] = gen2.edges[20];
    const maxDrop = Math.max(...gen2.edges.map(([a, b]) => Math.abs(v[a] - v[b])));
    expect(Math.abs(v[a20] - v[b20])).toBeLessThan(0.01 * maxDrop);
  });

  it('refuses bad arguments', () => {
    const core = new TwinBoardCore(gen1, { ideal: true });
    expect(() => core.injectEdgeFault(33, 'open')).toThrow(RangeError);
    expect(() => core.injectEdgeFault(1.5, 'open')).toThrow(RangeError);
    expect(() => core.injectEdgeFault(0, 'melted' as never)).toThrow(RangeError);
    expect(() => core.injectAdcOffset(16, 0.1)).toThrow(RangeError);
    expect(() => core.injectAdcOffset(0, NaN)).toThrow(RangeError);
  });
});
