/**
 * Issue 5, point 4: parameter recovery. A twin with hidden per-edge tolerances (20 % std), ADC gains (1 %) and
 * offsets (3 mV), DAC errors and 2 mV noise per sample is calibrated with the default plan; the fit is compared with
 * the twin's hidden truth (trueEdgeFactors, trueAdc, trueDac), never with an earlier output of the fit.
 *
 * Voltages determine the converters only up to a common affine map and the conductances up to a common factor, so
 * the absolute comparison uses a reference taken from the truth as a lab would with instruments (a voltmeter on one
 * channel, an ohmmeter on one edge); with the default references the comparison is made after the common map, and
 * the common map itself is checked against the bound the references imply.
 */
import { describe, expect, it } from 'vitest';
import { calibrateBoard } from '../../src/pipeline/calibrateBoard.js';
import { defaultPlan } from '../../src/calibration/planFile.js';
import { Calibration } from '../../src/calibration/Calibration.js';
import { checkCalibrationPlausible } from '../../src/calibration/plausibility.js';
import type { CalibrationFit } from '../../src/calibration/fitCalibration.js';
import { adcLsb } from '../../src/diagnostics/measurementNoise.js';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { flawedModel, flawedTwin, trueLinearConductance, trueTapConductance, type FlawedTwin } from './helpers.js';

const TAPS = [0, 10, 25, 50, 75, 90, 99];

async function calibrate(t: FlawedTwin, reference?: 'instruments'): Promise<CalibrationFit> {
  const id = await t.board.identify();
  const plan = defaultPlan(id);
  if (reference === 'instruments') {
    const adc = t.core.trueAdc();
    const f = t.core.trueEdgeFactors();
    plan.reference = {
      voltage: { adc: [{ node: 0, gain: adc.gain[0], offset: adc.offset[0] }] },
      conductance: [{ edge: 0, setting: 50, siemens: trueTapConductance(t.model, f[0], 50) }],
    };
  }
  return calibrateBoard(t.board, { plan, nominal: t.model.edge, noiseRms: t.model.adc.noise });
}

describe('calibration recovers a flawed penn-gen1 twin', () => {
  it('with instrument references: every conductance within 1 %, every ADC and DAC offset within one LSB', async () => {
    for (const seed of [3, 11]) {
      const t = flawedTwin('penn-gen1', seed);
      const fit = await calibrate(t, 'instruments');
      // what the fit gives for a flawed but working board is physically plausible (issue 11, point 4)
      expect(() => checkCalibrationPlausible(fit.record, 'fit', t.model.edge)).not.toThrow();
      expect(fit.converged).toBe(true);
      expect(fit.identifiability.undetermined).toEqual([]);
      const r = fit.record;
      const cal = new Calibration(r);
      const f = t.core.trueEdgeFactors();
      const lsb = adcLsb(r.board.adc);
      let worstK = 0;
      let worstZ = 0;
      for (let e = 0; e < f.length; e++) {
        for (const tap of TAPS) {
          const settings = new Float64Array(f.length).fill(tap);
          const k = cal.conductances(settings)[e];
          const err = k / trueTapConductance(t.model, f[e], tap) - 1;
          worstK = Math.max(worstK, Math.abs(err));
        }
        // the fitted points against their own standard errors (the noise-limited bound)
        if (r.edges.kind === 'tap') {
          for (const p of r.edges.points[e]) {
            const err = p.conductance / trueTapConductance(t.model, f[e], p.setting) - 1;
            if (p.relStd > 1e-9) worstZ = Math.max(worstZ, Math.abs(err) / p.relStd);
          }
        }
      }
      expect(worstK).toBeLessThan(0.01);
      // errors are consistent with the stated standard errors (z below 5 over 132 points)
      expect(worstZ).toBeLessThan(5);
      const adc = t.core.trueAdc();
      const dac = t.core.trueDac();
      for (let i = 0; i < r.board.nodes; i++) {
        expect(Math.abs(r.adc.offset[i]! - adc.offset[i])).toBeLessThan(lsb);
        expect(Math.abs(r.adc.gain[i]! / adc.gain[i] - 1)).toBeLessThan(1e-3);
        expect(Math.abs(r.dac.drive.offset[i]! - dac.drive.offset[i])).toBeLessThan(lsb);
        expect(Math.abs(r.dac.clamp.offset[i]! - dac.clamp.offset[i])).toBeLessThan(lsb);
        expect(Math.abs(r.dac.drive.gain[i]! / dac.drive.gain[i] - 1)).toBeLessThan(1e-3);
      }
      // the fit explains the readings to the noise: rms residual near one reading's noise (2 mV / sqrt(64) = 0.25 mV)
      expect(fit.residual.rms).toBeLessThan(0.4e-3);
    }
  });

  it('with the default references: recovery up to the common maps, which stay within what the references imply', async () => {
    const t = flawedTwin('penn-gen1', 5);
    const fit = await calibrate(t);
    expect(() => checkCalibrationPlausible(fit.record, 'fit', t.model.edge)).not.toThrow();
    expect(() => checkCalibrationPlausible(fit.record, 'fit')).not.toThrow();
    expect(fit.converged).toBe(true);
    const r = fit.record;
    expect(fit.identifiability.gauges).toHaveLength(3);
    const lsb = adcLsb(r.board.adc);
    const adc = t.core.trueAdc();
    const N = r.board.nodes;
    // voltage zero: every offset is off by the same shift, the mean of the true offsets (the 'adc-mean' reference)
    const shift = Array.from({ length: N }, (_, i) => r.adc.offset[i]! - adc.offset[i]);
    const meanShift = shift.reduce((a, b) => a + b, 0) / N;
    for (const s of shift) expect(Math.abs(s - meanShift)).toBeLessThan(lsb / 2);
    const trueMean = adc.offset.reduce((a, b) => a + b, 0) / N;
    expect(Math.abs(meanShift + trueMean)).toBeLessThan(lsb / 2);
    // the shift is bounded by offsetSpread / sqrt(N) (4 sigma), here 3 mV / 4
    expect(Math.abs(meanShift)).toBeLessThan((4 * 0.003) / Math.sqrt(N));
    // conductance scale: ratios within 1 % after the common factor
    const cal = new Calibration(r);
    const f = t.core.trueEdgeFactors();
    const ratios: number[] = [];
    for (let e = 0; e < f.length; e++) {
      for (const tap of TAPS) ratios.push(cal.conductances(new Float64Array(f.length).fill(tap))[e] / trueTapConductance(t.model, f[e], tap));
    }
    const gm = Math.exp(ratios.reduce((a, b) => a + Math.log(b), 0) / ratios.length);
    for (const q of ratios) expect(Math.abs(q / gm - 1)).toBeLessThan(0.01);
    // the common factor is what the nominal-mean reference implies: the mean log tolerance factor (std 0.2 / sqrt(33))
    const meanLogFactor = Array.from(f).reduce((a, b) => a + Math.log(b), 0) / f.length;
    expect(Math.abs(Math.log(gm) + meanLogFactor)).toBeLessThan(0.005);
  });

  it('a gate board (penn-gen2): s within 1 % and V_T within 3 mV up to the voltage zero, converters alike', async () => {
    const t = flawedTwin('penn-gen2', 4, { offsetSpread: 0.0005 });
    const id = await t.board.identify();
    const fit = await calibrateBoard(t.board, { plan: defaultPlan(id), nominal: t.model.edge, noiseRms: t.model.adc.noise });
    expect(() => checkCalibrationPlausible(fit.record, 'fit', t.model.edge)).not.toThrow();
    expect(fit.converged).toBe(true);
    const r = fit.record;
    if (r.edges.kind !== 'gate' || t.model.edge.kind !== 'gate') throw new Error('expected a gate board');
    // the law depends on absolute voltages, so the voltage scale is observable here: only zero and k-scale are gauges
    expect(fit.identifiability.gauges.map((g) => g.split(' ')[1])).toEqual(['zero', 'scale']);
    const f = t.core.trueEdgeFactors();
    const sRatio = r.edges.s.map((s, e) => s / (f[e] * (t.model.edge as { s: number }).s));
    const gm = Math.exp(sRatio.reduce((a, b) => a + Math.log(b), 0) / sRatio.length);
    for (const q of sRatio) expect(Math.abs(q / gm - 1)).toBeLessThan(0.01);
    const adc = t.core.trueAdc();
    const N = r.board.nodes;
    const mu = Array.from({ length: N }, (_, i) => (adc.offset[i] - r.adc.offset[i]!) / adc.gain[i]).reduce((a, b) => a + b, 0) / N;
    // V_T absorbs the voltage zero: vt_fit = vt_true - mu
    for (const vt of r.edges.vt) expect(Math.abs(vt - (t.model.edge.vt - mu))).toBeLessThan(0.003);
    const lsb = adcLsb(r.board.adc);
    for (let i = 0; i < N; i++) expect(Math.abs(r.adc.offset[i]! + adc.gain[i] * mu - adc.offset[i])).toBeLessThan(lsb);
  });

  // A linear-taper board whose ADC is dithered by its noise (penn-gen1's 12 bits, 2 mV per sample): the fitted points
  // are unbiased to their standard errors, as on the geometric board above. The pots' hidden RAB (20 % rms) moves
  // each edge's rMax and rMin (twins/TwinBoardCore.ts trueLinearEdges).
  it('a linear-taper board: each edge its own rMin and rMax, recovered within the noise-limited bound', async () => {
    for (const seed of [3, 8]) {
      const model = flawedModel('penn-gen1');
      model.edge = { kind: 'tap', taps: 100, rMin: 1000, rMax: 11000, tolerance: 0.2, powerOn: 50, taper: 'linear' };
      const core = new TwinBoardCore(model, { seed });
      const r = await recoverLinear({ model, core, board: new InProcessTwinBoard(core) }, 50);
      expect(r.worstZ).toBeLessThan(5);
      expect(r.worstK).toBeLessThan(0.01);
      expect(r.worstEnd).toBeLessThan(0.01);
      // the hidden ends really differ from edge to edge (else there would be nothing to recover)
      const rMax = core.trueLinearEdges()!.map((e) => e.rMax);
      expect(Math.max(...rMax) / Math.min(...rMax)).toBeGreaterThan(1.3);
    }
  });

  // The reference board (HARDWARE.md): a 10-bit ADC with 1 mV noise (0.2 LSB) is not dithered, so its readings carry
  // a quantisation error that is a fixed function of the voltage, not noise; the fit cannot average it away and the
  // points are not unbiased to their standard errors (z reaches ~18 here). What holds is the accuracy: 1 %.
  it('the reference board clln-ref16 (AD5206 rheostats, 10-bit ADC): every edge rMin, rMax and conductance within 1 %', async () => {
    for (const seed of [3, 8]) {
      const t = flawedTwin('clln-ref16', seed);
      expect((await t.board.identify()).law).toEqual({ kind: 'tap', rMin: 1084.0625, rMax: 11045, taper: 'linear' });
      const r = await recoverLinear(t, 128);
      expect(r.worstK).toBeLessThan(0.01);
      expect(r.worstEnd).toBeLessThan(0.01);
    }
  });
});

/** Calibrate a linear-taper twin with instrument references and compare with its hidden ends. */
async function recoverLinear(t: FlawedTwin, refTap: number): Promise<{ worstZ: number; worstK: number; worstEnd: number }> {
  const id = await t.board.identify();
  const plan = defaultPlan(id);
  // instrument references, as a lab would take them: a voltmeter on ADC 0, an ohmmeter across edge 0 at one tap
  const adc = t.core.trueAdc();
  plan.reference = {
    voltage: { adc: [{ node: 0, gain: adc.gain[0], offset: adc.offset[0] }] },
    conductance: [{ edge: 0, setting: refTap, siemens: trueLinearConductance(t.core, 0, refTap) }],
  };
  const fit = await calibrateBoard(t.board, { plan, nominal: t.model.edge, noiseRms: t.model.adc.noise });
  expect(() => checkCalibrationPlausible(fit.record, 'fit', t.model.edge)).not.toThrow();
  expect(fit.converged).toBe(true);
  expect(fit.identifiability.undetermined).toEqual([]);
  const r = fit.record;
  if (r.edges.kind !== 'tap' || t.model.edge.kind !== 'tap') throw new Error('expected tap edges');
  expect(r.edges.taper).toBe('linear');
  const taps = t.model.edge.taps;
  const truth = t.core.trueLinearEdges()!;
  const cal = new Calibration(r);
  const E = truth.length;
  let worstEnd = 0;
  let worstK = 0;
  let worstZ = 0;
  for (let e = 0; e < E; e++) {
    // the hidden ends, recovered
    worstEnd = Math.max(worstEnd, Math.abs(r.edges.rMax[e] / truth[e].rMax - 1), Math.abs(r.edges.rMin[e] / truth[e].rMin - 1));
    for (const tap of [0, 0.125, 0.25, 0.5, 0.75, 1].map((x) => Math.round(x * (taps - 1)))) {
      const k = cal.conductances(new Float64Array(E).fill(tap))[e];
      worstK = Math.max(worstK, Math.abs(k / trueLinearConductance(t.core, e, tap) - 1));
    }
    // the fitted points against their own standard errors (the noise-limited bound)
    for (const p of r.edges.points[e]) {
      const err = p.conductance / trueLinearConductance(t.core, e, p.setting) - 1;
      if (p.relStd > 1e-9) worstZ = Math.max(worstZ, Math.abs(err) / p.relStd);
    }
    // the linear law holds through the fitted points
    expect(r.edges.lawDeviation[e]).toBeLessThan(0.01);
  }
  return { worstZ, worstK, worstEnd };
}
