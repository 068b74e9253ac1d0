import { describe, expect, it } from 'vitest';
import { settingsToConductance } from '../../src/diagnostics/conductanceModel.js';
import { adcLsb, readingSigma } from '../../src/diagnostics/measurementNoise.js';
import { InvalidInputError } from '../../src/errors.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { gen1, gen2, networkOf } from './helpers.js';

describe('settingsToConductance', () => {
  const tap = { kind: 'tap' as const, taps: 100, rMin: 40, rMax: 32000 };

  it('tap law: tap 0 = 1/rMax, top tap = 1/rMin, equal resistance ratios per tap', () => {
    const k = settingsToConductance(tap, [0, 99, 50, 51, 52]);
    expect(k[0]).toBeCloseTo(1 / 32000, 15);
    expect(k[1]).toBeCloseTo(1 / 40, 12);
    expect(k[3] / k[2]).toBeCloseTo(k[4] / k[3], 12);
    expect(k[3] / k[2]).toBeCloseTo(Math.pow(32000 / 40, 1 / 99), 12);
  });

  it('equals the ideal twin conductances (penn-gen1); the multiplier reproduces the non-ideal twin', () => {
    for (const ideal of [true, false]) {
      const core = new TwinBoardCore(gen1, { seed: 2, ideal });
      core.setEdges(gen1.edges.map((_, e) => [e, (7 * e) % 100] as [number, number]));
      const truth = core.trueConductances();
      if (gen1.edge.kind !== 'tap') throw new Error('tap');
      const nominal = settingsToConductance(gen1.edge, core.edgeSettings());
      if (ideal) for (let e = 0; e < truth.length; e++) expect(nominal[e]).toBeCloseTo(truth[e], 15);
      else {
        const mult = Float64Array.from(truth, (x, e) => x / nominal[e]);
        const spread = Math.sqrt(mult.reduce((s, x) => s + (x - 1) ** 2, 0) / mult.length);
        expect(spread).toBeGreaterThan(0.02); // the 5 % tolerance is there ...
        expect(spread).toBeLessThan(0.1);
        const cal = settingsToConductance(gen1.edge, core.edgeSettings(), { multiplier: mult });
        for (let e = 0; e < truth.length; e++) expect(cal[e] / truth[e]).toBeCloseTo(1, 12); // ... and calibrated away
      }
    }
  });

  it('gate law at given node voltages equals the ideal twin (penn-gen2), floored at the cut-off', () => {
    const core = new TwinBoardCore(gen2, { ideal: true });
    core.setEdges(gen2.edges.map((_, e) => [e, e === 4 ? 0.2 : 1 + 0.1 * e] as [number, number]));
    core.setSources([[0, 0.9], [9, 0.05]]);
    const v = core.trueVoltages();
    const { edgeA, edgeB } = networkOf(gen2);
    if (gen2.edge.kind !== 'gate') throw new Error('gate');
    const k = settingsToConductance(gen2.edge, core.edgeSettings(), { edgeA, edgeB, voltages: v });
    const truth = core.trueConductances();
    for (let e = 0; e < k.length; e++) expect(k[e]).toBeCloseTo(truth[e], 15);
    expect(k[4]).toBe(1e-7 * gen2.edge.s); // V_G = 0.2 V is below threshold: cut off
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

describe('measurement noise', () => {
  it('LSB and reading sigma', () => {
    expect(adcLsb({ bits: 12, lo: 0, hi: 5 })).toBeCloseTo(5 / 4095, 15);
    expect(readingSigma(0.001, 0, 16)).toBeCloseTo(0.001 / Math.sqrt(12), 15);
    expect(readingSigma(0.001, 0.004, 16)).toBeCloseTo(Math.sqrt(1e-6 + 1e-6 / 12), 15);
    expect(() => readingSigma(0, 0, 16)).toThrow(InvalidInputError);
    expect(() => readingSigma(0.001, 0, 0)).toThrow(InvalidInputError);
  });
});
