import { describe, expect, it } from 'vitest';
import { alarmEvent, type CheckResult, chiSquareQuantile, ConsistencyChecker } from '../../src/diagnostics/ConsistencyChecker.js';
import { settingsToConductance } from '../../src/physics/edgeLaws.js';
import { adcLsb } from '../../src/diagnostics/measurementNoise.js';
import { InvalidInputError } from '../../src/errors.js';
import { Rng } from '../../src/physics/Rng.js';
import type { BoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { checkerFor, denseNodal, gen1, gen1Twin, gen2, impose, modelConductance, netCurrent, networkOf, randomPattern } from './helpers.js';

/** Largest normalised statistic of a check: 1 is the alarm threshold. */
const worstRatio = (r: CheckResult): number => Math.max(r.maxVoltageResidual, r.maxCurrentResidual, r.chi2.value / r.chi2.threshold);

/** Two probe patterns; each fault is tested under the one where it shows most (computed independently below). */
const PROBES = [new Map([[0, 4.5], [15, 0], [3, 1.5]]), new Map([[12, 4.0], [3, 0], [5, 2.2]])];

/** Independent: the largest change of any node voltage when edge e goes open/short (dense re-solve). */
function faultEffect(m: BoardModel, k: Float64Array, e: number, fault: 'open' | 'short', imposed: Map<number, number>): number {
  const k2 = Float64Array.from(k);
  k2[e] = fault === 'open' ? 1e-9 * k2[e] : 1;
  const a = denseNodal(m.nodes, m.edges, k, imposed);
  const b = denseNodal(m.nodes, m.edges, k2, imposed);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i])));
}

/** Named right: the suspect is this edge with this change, or the check says it cannot tell and this edge ties. */
function namesEdge(r: CheckResult, e: number, fault: 'open' | 'short'): boolean {
  const s = r.suspect;
  if (s?.kind === 'edge' && s.edge === e && s.change === fault) return true;
  if (!r.ambiguous) return false;
  const best = r.hypotheses[0].chi2;
  return r.hypotheses.some((h) => h.kind === 'edge' && h.edge === e && h.chi2 - best < 4);
}

describe('ConsistencyChecker: prediction and residuals against independent truth (ideal penn-gen1 twin)', () => {
  it('predicts the dense nodal solution for the boundary it uses (commanded, and measured readings)', () => {
    const rng = new Rng(1);
    const core = gen1Twin(1, true);
    const k = modelConductance(core, false);
    for (const boundary of ['commanded', 'measured'] as const) {
      const checker = checkerFor(gen1, 'ideal', { boundary });
      for (let t = 0; t < 10; t++) {
        const p = randomPattern(rng);
        impose(core, p);
        const v = core.measure(16);
        const r = checker.check(v, p, k);
        // the boundary the solve should use: commanded values, or the readings except where clipped at a rail
        const b = new Map([...p].map(([n, c]) => [n, boundary === 'commanded' || r.unchecked.saturated.includes(n) ? c : v[n]] as [number, number]));
        const exact = denseNodal(16, gen1.edges, k, b);
        for (let i = 0; i < 16; i++) {
          if (p.has(i)) expect(r.predicted[i]).toBe(p.get(i));
          else expect(Math.abs(r.predicted[i] - exact[i])).toBeLessThan(1e-12);
        }
        expect(r.diagnostics.maxSolveResidual).toBeLessThan(1e-12);
      }
    }
  });

  it("Kirchhoff: the twin's true state has zero net current at free nodes; the checker's current residual is that of the readings", () => {
    const rng = new Rng(2);
    const core = gen1Twin(2, true);
    const k = modelConductance(core, false);
    const checker = checkerFor(gen1, 'ideal');
    for (let t = 0; t < 20; t++) {
      const p = randomPattern(rng);
      impose(core, p);
      // independent, from the edge list: the twin's hidden truth satisfies KCL at every free node
      const tv = core.trueVoltages();
      const tk = core.trueConductances();
      const scale = Math.max(...gen1.edges.map(([a, b], e) => Math.abs(tk[e] * (tv[a] - tv[b]))));
      const truthImbalance = netCurrent(16, gen1.edges, tk, tv);
      for (let i = 0; i < 16; i++) if (!p.has(i)) expect(Math.abs(truthImbalance[i])).toBeLessThan(1e-12 * scale);
      // the checker's current residual = net current of the readings (boundary values at imposed nodes)
      const v = core.measure(16);
      const r = checker.check(v, p, k);
      const used = Float64Array.from(v, (x, i) => (r.unchecked.saturated.includes(i) ? (p.get(i) ?? r.predicted[i]) : x));
      const readingImbalance = netCurrent(16, gen1.edges, k, used);
      for (let i = 0; i < 16; i++) {
        if (p.has(i)) {
          expect(r.currentResidual[i]).toBeNaN();
          continue;
        }
        if (r.unchecked.saturated.includes(i)) continue;
        expect(Math.abs(r.currentResidual[i] - readingImbalance[i])).toBeLessThan(1e-15);
        // ~0: within the threshold, and within what one LSB of quantisation per node can cause
        expect(Math.abs(r.currentResidual[i])).toBeLessThan(r.threshold.current[i]);
        let kSum = 0;
        gen1.edges.forEach(([a, b], e) => {
          if (a === i || b === i) kSum += k[e];
        });
        expect(Math.abs(r.currentResidual[i])).toBeLessThanOrEqual(2 * kSum * adcLsb(gen1.adc));
      }
    }
  });

  it('thresholds come from the ADC: 6 sigma of sqrt(noise^2/samples + LSB^2/12), larger where the boundary error propagates', () => {
    const lsb = adcLsb(gen1.adc);
    const ideal = checkerFor(gen1, 'ideal');
    const noisy = checkerFor(gen1, 'calibrated');
    expect(ideal.readingSigma).toBeCloseTo(lsb / Math.sqrt(12), 15);
    expect(noisy.readingSigma).toBeCloseTo(Math.sqrt(0.002 ** 2 / 16 + lsb ** 2 / 12), 15);
    const core = gen1Twin(4, true);
    const p = PROBES[0];
    impose(core, p);
    const r = ideal.check(core.measure(16), p, modelConductance(core, false));
    for (let i = 0; i < 16; i++) {
      if (r.unchecked.saturated.includes(i)) {
        expect(r.threshold.voltage[i]).toBe(Infinity);
        continue;
      }
      // free nodes: reading noise plus the harmonic-weighted noise of the readings that set the boundary (<= 2x)
      expect(r.threshold.voltage[i]).toBeGreaterThanOrEqual(6 * ideal.readingSigma * (1 - 1e-12));
      expect(r.threshold.voltage[i]).toBeLessThanOrEqual(6 * ideal.readingSigma * Math.SQRT2 * (1 + 1e-12));
    }
  });
});

describe('ConsistencyChecker: no false alarms', () => {
  it('ideal twin, 200 random source/clamp patterns: no alarm, every residual below threshold', () => {
    const rng = new Rng(10);
    const core = gen1Twin(10, true);
    const k = modelConductance(core, false);
    const checker = checkerFor(gen1, 'ideal');
    let worst = 0;
    for (let t = 0; t < 200; t++) {
      const p = randomPattern(rng);
      impose(core, p);
      const r = checker.check(core.measure(16), p, k);
      expect(r.alarm, r.summary).toBe(false);
      expect(r.suspect).toBeNull();
      expect(alarmEvent(r)).toBeNull();
      worst = Math.max(worst, worstRatio(r));
    }
    expect(worst).toBeLessThan(0.6); // measured: 0.44 of the threshold
  });

  for (const kind of ['calibrated', 'uncalibrated'] as const) {
    it(`noisy twin (noise, DAC errors, 5 % tolerance), ${kind}: no alarm over 200 random patterns x 2 boards`, () => {
      let worst = 0;
      for (const seed of [20, 21]) {
        const rng = new Rng(seed);
        const core = gen1Twin(seed, false);
        const k = modelConductance(core, kind === 'calibrated');
        const checker = checkerFor(gen1, kind);
        for (let t = 0; t < 200; t++) {
          const p = randomPattern(rng);
          impose(core, p);
          const r = checker.check(core.measure(16), p, k);
          expect(r.alarm, r.summary).toBe(false);
          worst = Math.max(worst, worstRatio(r));
        }
      }
      expect(worst).toBeLessThan(0.8); // measured: 0.55 calibrated, 0.52 uncalibrated
    });
  }

  it('without modelUncertainty an uncalibrated board does alarm: the allowance is what keeps it quiet', () => {
    const rng = new Rng(5);
    const core = gen1Twin(5, false);
    const k = modelConductance(core, false);
    const strict = checkerFor(gen1, 'calibrated');
    let alarms = 0;
    for (let t = 0; t < 20; t++) {
      const p = randomPattern(rng);
      impose(core, p);
      if (strict.check(core.measure(16), p, k).alarm) alarms++;
    }
    expect(alarms).toBeGreaterThan(15);
  });
});

describe('ConsistencyChecker: faults detected at the first measurement and named', () => {
  for (const kind of ['ideal', 'calibrated'] as const) {
    for (const seed of kind === 'ideal' ? [3] : [3, 11]) {
      it(`${kind} (board seed ${seed}): every edge open and every edge shorted, named with the right change`, () => {
        const core = gen1Twin(seed, kind === 'ideal');
        const k = modelConductance(core, true);
        const truth = core.trueConductances();
        const checker = checkerFor(gen1, kind);
        let weakest = Infinity;
        for (const fault of ['open', 'short'] as const) {
          for (let e = 0; e < gen1.edges.length; e++) {
            const effects = PROBES.map((p) => faultEffect(gen1, truth, e, fault, p));
            const p = PROBES[effects[0] >= effects[1] ? 0 : 1];
            impose(core, p);
            core.injectEdgeFault(e, fault);
            const r = checker.check(core.measure(16), p, k);
            core.injectEdgeFault(e, null);
            expect(r.alarm, `${fault} ${e}: ${r.summary}`).toBe(true);
            const s = r.suspect;
            expect(s?.kind === 'edge' && s.edge === e && s.change === fault, `${fault} ${e}: ${r.summary}`).toBe(true);
            expect(s!.explained).toBeGreaterThan(0.9);
            expect(s!.remaining).toBeLessThan(1); // nothing left above threshold once the fault is accounted for
            expect(alarmEvent(r)?.suspect).toEqual(s);
            weakest = Math.min(weakest, worstRatio(r));
          }
        }
        expect(weakest).toBeGreaterThan(2); // measured: 85 (ideal), 38 and 3.6 (noisy boards) x threshold at the least visible fault
      });
    }

    it(`${kind}: a +-50 mV offset on any ADC channel (free or imposed) is named, with its size`, () => {
      const core = gen1Twin(3, kind === 'ideal');
      const k = modelConductance(core, true);
      const checker = checkerFor(gen1, kind);
      let tested = 0;
      for (const p of PROBES) {
        impose(core, p);
        const truth = core.trueVoltages();
        for (let n = 0; n < 16; n++) {
          for (const off of [0.05, -0.05]) {
            // a reading pushed below 0 V is clipped at the rail: nothing to see (a grounded channel with a negative offset)
            if (truth[n] + off < 0.01) continue;
            core.injectAdcOffset(n, off);
            const r = checker.check(core.measure(16), p, k);
            core.injectAdcOffset(n, 0);
            const s = r.suspect;
            expect(r.alarm, `adc ${n} ${off}: ${r.summary}`).toBe(true);
            expect(s?.kind === 'channel' && s.converter === 'adc' && s.node === n, `adc ${n} ${off}: ${r.summary}`).toBe(true);
            if (s?.kind === 'channel') expect(Math.abs(s.offset - off)).toBeLessThan(kind === 'ideal' ? 0.0015 : 0.004);
            tested++;
          }
        }
      }
      expect(tested).toBe(2 * 16 * 2 - 2); // all but the two grounded channels' negative offsets
    });
  }

  it('a drive channel off its command is named as the DAC, with either boundary', () => {
    const core = gen1Twin(3, true);
    const k = modelConductance(core, true);
    const p = PROBES[0];
    impose(core, p);
    const v = core.measure(16);
    for (const boundary of ['measured', 'commanded'] as const) {
      const checker = checkerFor(gen1, 'ideal', { boundary });
      for (const node of [0, 3]) {
        // the board holds p, the checker is told a command 40 mV higher: the DAC is 40 mV low
        const told = new Map(p);
        told.set(node, p.get(node)! + 0.04);
        const r = checker.check(v, told, k);
        expect(r.alarm).toBe(true);
        const s = r.suspect;
        expect(s?.kind === 'channel' && s.converter === 'dac' && s.node === node, `${boundary} ${node}: ${r.summary}`).toBe(true);
        if (s?.kind === 'channel') expect(s.offset).toBeCloseTo(-0.04, 2);
      }
    }
  });

  it('uncalibrated (5 % tolerance allowed for): big faults are still caught, and never blamed on the wrong edge', () => {
    const core = gen1Twin(3, false);
    const k = modelConductance(core, false);
    const truth = core.trueConductances();
    const checker = checkerFor(gen1, 'uncalibrated');
    const caught = { open: 0, short: 0 };
    for (const fault of ['open', 'short'] as const) {
      for (let e = 0; e < gen1.edges.length; e++) {
        const effects = PROBES.map((p) => faultEffect(gen1, truth, e, fault, p));
        const p = PROBES[effects[0] >= effects[1] ? 0 : 1];
        impose(core, p);
        core.injectEdgeFault(e, fault);
        const r = checker.check(core.measure(16), p, k);
        core.injectEdgeFault(e, null);
        if (!r.alarm) continue;
        caught[fault]++;
        const s = r.suspect;
        // the fitted factor may land on 'scale' near the class boundary; the edge itself must be right
        expect(s?.kind === 'edge' && s.edge === e, `${fault} ${e}: ${r.summary}`).toBe(true);
      }
    }
    expect(caught.short).toBe(33); // measured: 33 of 33
    expect(caught.open).toBeGreaterThanOrEqual(24); // measured: 26 of 33 (the rest hide under the 5 % model error)
  });
});

describe('ConsistencyChecker: gate board (penn-gen2), conductances from the Ohmic law at the readings', () => {
  it('no false alarm over 100 patterns; open and shorted transistors named (or reported as a tie)', () => {
    const gate = gen2.edge;
    if (gate.kind !== 'gate') throw new Error('gate model expected');
    const { edgeA, edgeB } = networkOf(gen2);
    const core = new TwinBoardCore(gen2, { ideal: true });
    const rng = new Rng(2);
    core.setEdges(gen2.edges.map((_, e) => [e, Math.round(rng.uniform(1.5, 4.5) * 1e3) / 1e3] as [number, number]));
    const checker = checkerFor(gen2, 'ideal');
    const kAt = (v: Float64Array): Float64Array => settingsToConductance(gate, core.edgeSettings(), { edgeA, edgeB, voltages: v });
    for (let t = 0; t < 100; t++) {
      const p = randomPattern(rng, 16, 1);
      impose(core, p);
      const v = core.measure(16);
      const r = checker.check(v, p, kAt(v));
      expect(r.alarm, r.summary).toBe(false);
    }
    const p = new Map([[0, 0.9], [10, 0], [7, 0.4]]);
    impose(core, p);
    let exact = 0;
    for (const fault of ['open', 'short'] as const) {
      for (let e = 0; e < gen2.edges.length; e++) {
        core.injectEdgeFault(e, fault);
        const v = core.measure(16);
        const r = checker.check(v, p, kAt(v));
        core.injectEdgeFault(e, null);
        expect(r.alarm, `${fault} ${e}`).toBe(true);
        expect(namesEdge(r, e, fault), `${fault} ${e}: ${r.summary}`).toBe(true);
        if (r.suspect?.kind === 'edge' && r.suspect.edge === e) exact++;
      }
    }
    // edges (3-7) and (3-0), (0-4) and (4-7), (10-11) and (11-7) join the same free node to an imposed node: their
    // shapes coincide, one measurement cannot tell them apart, and the check says so
    expect(exact).toBeGreaterThanOrEqual(59);
  });
});

describe('ConsistencyChecker: unchecked nodes, events, input checks', () => {
  it('floating components and clipped readings are not checked', () => {
    // two islands: 0-1-2 (driven) and 3-4 (nothing imposed: floats)
    const net = { nodes: 5, edgeA: Int32Array.from([0, 1, 3]), edgeB: Int32Array.from([1, 2, 4]) };
    const checker = new ConsistencyChecker(net, { adcLsb: 0.001, noiseRms: 0, samples: 1, adcRange: { lo: 0, hi: 5 } });
    const k = Float64Array.from([1e-3, 1e-3, 1e-3]);
    const r = checker.check([0, 1.5, 3, 0.7, 0.2], new Map([[0, 0], [2, 3]]), k);
    expect(r.unchecked.floating).toEqual([3, 4]);
    expect(r.unchecked.saturated).toEqual([0]);
    expect(r.alarm).toBe(false);
    expect(r.voltageResidual[3]).toBeNaN();
    expect(r.predicted[3]).toBeNaN();
    expect(r.predicted[1]).toBeCloseTo(1.5, 12);
    // the same state with node 1 off by 20 mV: the only free node's ADC is blamed
    const bad = checker.check([0, 1.52, 3, 0.7, 0.2], new Map([[0, 0], [2, 3]]), k);
    expect(bad.alarm).toBe(true);
    expect(bad.worst?.node).toBe(1);
    expect(bad.summary).toMatch(/^ALARM/);
    const ev = alarmEvent(bad)!;
    expect(ev.type).toBe('consistency-alarm');
    expect(JSON.parse(JSON.stringify(ev)).message).toBe(bad.summary);
  });

  it('chi-square quantile: conservative against the exact values at 6 sigma', () => {
    // exact upper quantiles at P = 9.87e-10 (one-sided 6 sigma), from the chi-square distribution
    for (const [dof, exact] of [[3, 44.87], [8, 58.34], [16, 75.69]] as const) {
      const q = chiSquareQuantile(dof, 6);
      expect(q).toBeGreaterThanOrEqual(exact);
      expect(q).toBeLessThan(1.15 * exact);
    }
  });

  it('refuses bad input with InvalidInputError', () => {
    const net = networkOf(gen1);
    const ok = { adcLsb: 0.001, noiseRms: 0, samples: 16 };
    expect(() => new ConsistencyChecker(net, { ...ok, samples: 0 })).toThrow(InvalidInputError);
    expect(() => new ConsistencyChecker(net, { ...ok, modelUncertainty: -0.1 })).toThrow(InvalidInputError);
    expect(() => new ConsistencyChecker(net, { ...ok, modelUncertainty: [0.1] })).toThrow(InvalidInputError);
    expect(() => new ConsistencyChecker(net, { ...ok, boundary: 'guess' as never })).toThrow(InvalidInputError);
    expect(() => new ConsistencyChecker({ ...net, nodes: 4 }, ok)).toThrow(InvalidInputError);
    const c = new ConsistencyChecker(net, ok);
    const k = new Float64Array(33).fill(1e-3);
    const v = new Float64Array(16);
    expect(() => c.check(v.subarray(1), new Map([[0, 1]]), k)).toThrow(InvalidInputError);
    expect(() => c.check(v, new Map([[16, 1]]), k)).toThrow(InvalidInputError);
    expect(() => c.check(v, new Map([[0, NaN]]), k)).toThrow(InvalidInputError);
    expect(() => c.check(v, new Map([[0, 1]]), k.subarray(1))).toThrow(InvalidInputError);
    expect(() => c.check(Float64Array.from(v, () => NaN), new Map([[0, 1]]), k)).toThrow(InvalidInputError);
    k[2] = 0;
    expect(() => c.check(v, new Map([[0, 1]]), k)).toThrow(InvalidInputError);
  });
});
