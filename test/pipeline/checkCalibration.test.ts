/**
 * Issue 5, point 3 (library side of `clln check`): a healthy board agrees with its calibration; a broken edge, an
 * ADC channel that moved and slow drift of the edges are found and named, against the twin's hidden truth.
 */
import { describe, expect, it } from 'vitest';
import { Calibration } from '../../src/calibration/Calibration.js';
import { calibrateBoard } from '../../src/pipeline/calibrateBoard.js';
import { checkCalibration } from '../../src/pipeline/checkCalibration.js';
import { InvalidInputError } from '../../src/errors.js';
import { flawedTwin } from '../calibration/helpers.js';

async function calibrated(seed: number, over: Parameters<typeof flawedTwin>[2] = {}) {
  const t = flawedTwin('penn-gen1', seed, over);
  const fit = await calibrateBoard(t.board, { nominal: t.model.edge, noiseRms: t.model.adc.noise });
  expect(fit.converged).toBe(true);
  return { ...t, cal: new Calibration(fit.record, 'cal.json') };
}

describe('checking a board against its calibration', () => {
  it('a healthy board: predicted vs measured per node within the noise, no alarm, no drift', async () => {
    const t = await calibrated(3);
    // check at other settings than any the plan visited: the per-edge law carries over
    await t.board.writeEdges(new Map(Array.from({ length: 33 }, (_, e) => [e, 30 + ((e * 7) % 60)] as [number, number])));
    const r = await checkCalibration(t.board, t.cal, { noiseRms: t.model.adc.noise });
    expect(r.patterns).toHaveLength(16);
    expect(r.patterns[0].rows).toHaveLength(16);
    expect(r.summary.alarms).toBe(0);
    expect(r.drift.flagged).toEqual([]);
    expect(r.summary.ok).toBe(true);
    // residuals at the reading noise (16... here 64 samples: 0.25 mV noise + quantisation)
    expect(r.summary.rmsResidual).toBeLessThan(0.6e-3);
    // each edge's estimate is consistent with no change (|z| < 4) and within 1 %
    for (const e of r.drift.edges) {
      expect(Math.abs(e.z)).toBeLessThan(4);
      expect(Math.abs(e.factor - 1)).toBeLessThan(0.01);
    }
    // the board is left as found: settings untouched, nothing driven or clamped
    expect(t.core.activeSources().size).toBe(0);
    expect(t.core.activeClamps().size).toBe(0);
  });

  it('an edge broken after calibration raises alarms naming that edge', async () => {
    const t = await calibrated(3);
    t.core.injectEdgeFault(12, 'open');
    const r = await checkCalibration(t.board, t.cal, { noiseRms: t.model.adc.noise });
    expect(r.summary.ok).toBe(false);
    expect(r.summary.alarms).toBeGreaterThan(8);
    const named = r.patterns.filter((p) => p.alarm).map((p) => p.suspect);
    const right = named.filter((s) => s?.startsWith('edge 12 '));
    expect(right.length / named.length).toBeGreaterThan(0.6);
    // and the drift estimate finds that edge's conductance gone
    expect(r.drift.edges[12].factor).toBeLessThan(0.05);
    expect(r.drift.flagged.some((f) => f.startsWith('edge 12 '))).toBe(true);
  });

  it('an ADC channel that moved by 5 mV is named, and shows as that node drifting', async () => {
    const t = await calibrated(3);
    const before = t.core.trueAdc().offset[6];
    t.core.injectAdcOffset(6, 0.005);
    expect(t.core.trueAdc().offset[6]).toBeCloseTo(before + 0.005, 12);
    const r = await checkCalibration(t.board, t.cal, { noiseRms: t.model.adc.noise });
    expect(r.summary.ok).toBe(false);
    const ch = r.drift.channels.find((c) => c.node === 6)!;
    expect(ch.meanResidual).toBeGreaterThan(0.004);
    expect(ch.meanResidual).toBeLessThan(0.006);
    expect(r.drift.flagged.some((f) => f.startsWith('node 6:'))).toBe(true);
    expect(r.drift.flagged.filter((f) => f.startsWith('node ') && !f.startsWith('node 6:'))).toEqual([]);
    // an offset is the same in every pattern: it is not mistaken for the edges around node 6 changing
    expect(r.drift.flagged.filter((f) => f.startsWith('edge '))).toEqual([]);
  });

  it('slow drift of the edges is estimated edge by edge (against the hidden truth)', async () => {
    const t = await calibrated(3, { drift: 0.02 });
    const f0 = t.core.trueEdgeFactors();
    t.core.advanceTime(50 * 3.6e6); // 50 hours of the twin's simulated time: relative std 0.02 * sqrt(50) = 14 %
    const f1 = t.core.trueEdgeFactors();
    const trueRatio = Array.from(f1, (x, e) => x / f0[e]);
    const mean = trueRatio.reduce((a, b) => a + b, 0) / trueRatio.length;
    const r = await checkCalibration(t.board, t.cal, { noiseRms: t.model.adc.noise, now: new Date(Date.parse(t.cal.record.created) + 50 * 3.6e6) });
    expect(r.drift.ageHours).toBeCloseTo(50, 6);
    expect(r.summary.ok).toBe(false);
    // the common factor is not observable: compare with the truth normalised to mean 1, as the estimate is
    for (const e of r.drift.edges) expect(Math.abs(e.factor - trueRatio[e.edge] / mean)).toBeLessThan(0.01);
    // edge changes are not mistaken for channel offsets
    expect(r.drift.flagged.filter((f) => f.startsWith('node '))).toEqual([]);
    const big = trueRatio.map((q, e) => [e, Math.abs(q / mean - 1)] as const).filter(([, d]) => d > 0.05).map(([e]) => e);
    for (const e of big) expect(r.drift.flagged.some((f) => f.startsWith(`edge ${e} `))).toBe(true);
  });

  it('a record of another board is refused before anything is applied', async () => {
    const t = await calibrated(3);
    const other = flawedTwin('penn-gen2', 3);
    await expect(checkCalibration(other.board, t.cal)).rejects.toThrow(InvalidInputError);
    await expect(checkCalibration(other.board, t.cal)).rejects.toThrow(/board\.model.*penn-gen1 board, but the board is a penn-gen2/);
    expect(other.core.stats.measurements).toBe(0);
  });
});
