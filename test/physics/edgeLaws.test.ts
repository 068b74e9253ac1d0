import { describe, expect, it } from 'vitest';
import { nominalConductance, nominalConductances, referenceVoltage, settingsToConductance } from '../../src/physics/edgeLaws.js';
import { InvalidInputError } from '../../src/errors.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { gen1, gen2, networkOf } from '../diagnostics/helpers.js';

describe('settingsToConductance', () => {
  const tap = { kind: 'tap' as const, taps: 100, rMin: 40, rMax: 32000 };

  it('tap law: tap 0 = 1/rMax, top tap = 1/rMin, equal resistance ratios per tap', () => {
    const k = settingsToConductance(tap, [0, 99, 50, 51, 52]);
    expect(k[0]).toBeCloseTo(1 / 32000, 15);
    expect(k[1]).toBeCloseTo(1 / 40, 12);
    expect(k[3] / k[2]).toBeCloseTo(k[4] / k[3], 12);
    expect(k[3] / k[2]).toBeCloseTo(Math.pow(32000 / 40, 1 / 99), 12);
  });

  it('linear taper: R(t) = rMax - (rMax - rMin) t/(taps-1), equal resistance steps per tap (the AD5206 + 1 kOhm of HARDWARE.md)', () => {
    const lin = { kind: 'tap' as const, taps: 256, rMin: 1084.0625, rMax: 11045, taper: 'linear' as const };
    const k = settingsToConductance(lin, [0, 255, 128, 100, 101, 102]);
    expect(1 / k[0]).toBeCloseTo(11045, 9);
    expect(1 / k[1]).toBeCloseTo(1084.0625, 9);
    // datasheet form: RS + RW + RAB (256 - t)/256 with RS 1000, RW 45, RAB 10000 ohm
    expect(1 / k[2]).toBeCloseTo(1045 + (10000 * 128) / 256, 9);
    expect(1 / k[3] - 1 / k[4]).toBeCloseTo(10000 / 256, 9);
    expect(1 / k[4] - 1 / k[5]).toBeCloseTo(10000 / 256, 9);
    // the geometric law (no taper) stays what it was
    expect(settingsToConductance({ ...lin, taper: 'geometric' }, [128])[0]).toBeCloseTo(settingsToConductance({ kind: 'tap', taps: 256, rMin: 1084.0625, rMax: 11045 }, [128])[0], 15);
    expect(() => settingsToConductance({ ...lin, taper: 'log' as 'linear' }, [1])).toThrow(InvalidInputError);
  });

  // Deliberately independent oracle (test only): the laws written from their definitions in another form —
  // conductance of the geometric tap law via logarithms, the Ohmic gate law via the edge current I / dV.
  const oracleTap = (law: { taps: number; rMin: number; rMax: number }, t: number): number =>
    Math.exp(-Math.log(law.rMax) - (t / (law.taps - 1)) * Math.log(law.rMin / law.rMax));
  const oracleGateCurrent = (s: number, vg: number, vt: number, va: number, vb: number, floor: number): number => {
    const on = s * (vg - vt) - (s * (va + vb)) / 2;
    return (on > floor ? on : floor) * (va - vb);
  };

  it('tap law equals the oracle at every tap; the multiplier multiplies', () => {
    const settings = Array.from({ length: 100 }, (_, t) => t);
    const k = settingsToConductance(tap, settings);
    for (const t of settings) expect(k[t] / oracleTap(tap, t)).toBeCloseTo(1, 13);
    const mult = settings.map((t) => 0.9 + 0.002 * t);
    const km = settingsToConductance(tap, settings, { multiplier: mult });
    for (const t of settings) expect(km[t] / (mult[t] * oracleTap(tap, t))).toBeCloseTo(1, 13);
  });

  it('the twin hidden conductances are the law times its hidden per-edge factor (penn-gen1, ideal and not)', () => {
    for (const ideal of [true, false]) {
      const core = new TwinBoardCore(gen1, { seed: 2, ideal });
      core.setEdges(gen1.edges.map((_, e) => [e, (7 * e) % 100] as [number, number]));
      const truth = core.trueConductances();
      const factor = core.trueEdgeFactors();
      if (gen1.edge.kind !== 'tap') throw new Error('tap');
      const settings = core.edgeSettings();
      for (let e = 0; e < truth.length; e++) expect(truth[e] / (factor[e] * oracleTap(gen1.edge, settings[e]))).toBeCloseTo(1, 13);
    }
  });

  it('gate law at given node voltages: the edge currents of the oracle, floored at the cut-off (penn-gen2)', () => {
    const core = new TwinBoardCore(gen2, { ideal: true });
    core.setEdges(gen2.edges.map((_, e) => [e, e === 4 ? 0.2 : 1 + 0.1 * e] as [number, number]));
    core.setSources([[0, 0.9], [9, 0.05]]);
    const v = core.trueVoltages();
    const { edgeA, edgeB } = networkOf(gen2);
    if (gen2.edge.kind !== 'gate') throw new Error('gate');
    const { s, vt } = gen2.edge;
    const settings = core.edgeSettings();
    const k = settingsToConductance(gen2.edge, settings, { edgeA, edgeB, voltages: v });
    const floor = 1e-7 * s;
    const current = new Float64Array(gen2.nodes);
    for (let e = 0; e < k.length; e++) {
      const [va, vb] = [v[edgeA[e]], v[edgeB[e]]];
      const i = oracleGateCurrent(s, settings[e], vt, va, vb, floor);
      if (Math.abs(va - vb) > 1e-6) expect(k[e] * (va - vb)).toBeCloseTo(i, 15);
      current[edgeA[e]] -= i;
      current[edgeB[e]] += i;
    }
    expect(k[4]).toBe(floor); // V_G = 0.2 V is below threshold: cut off
    // and the twin's solved state obeys Kirchhoff's law with the oracle's currents at every free node
    for (let n = 0; n < gen2.nodes; n++) if (n !== 0 && n !== 9) expect(Math.abs(current[n])).toBeLessThan(1e-12);
  });

  it('nominal convention: a gate law is evaluated with every node at the middle of the ADC range', () => {
    const gate = { kind: 'gate' as const, s: 1e-3, vt: 0.6 };
    const vRef = referenceVoltage({ lo: 0, hi: 1 });
    expect(vRef).toBe(0.5);
    expect(nominalConductance(gate, 2, vRef)).toBeCloseTo(1e-3 * (2 - 0.6 - 0.5), 15);
    expect(nominalConductance(gate, 0.7, vRef)).toBe(1e-10); // below threshold at mid-range: the cut-off, not 0
    const k = nominalConductances(gate, [2, 3], Int32Array.of(0, 1), Int32Array.of(1, 2), 3, vRef);
    expect(Array.from(k)).toEqual([nominalConductance(gate, 2, vRef), nominalConductance(gate, 3, vRef)]);
    expect(nominalConductance(tap, 99, vRef)).toBeCloseTo(1 / 40, 12);
  });

  it('refuses bad input with InvalidInputError', () => {
    expect(() => settingsToConductance(tap, [100])).toThrow(InvalidInputError);
    expect(() => settingsToConductance(tap, [-1])).toThrow(InvalidInputError);
    expect(() => settingsToConductance(tap, [1, 2], { multiplier: [1] })).toThrow(InvalidInputError);
    expect(() => settingsToConductance(tap, [1], { multiplier: [0] })).toThrow(InvalidInputError);
    expect(() => settingsToConductance({ kind: 'gate', s: 1e-3, vt: 0.6 }, [2])).toThrow(/voltages/);
    expect(() => settingsToConductance({ ...tap, rMin: 50000 }, [1])).toThrow(InvalidInputError);
  });
});
