import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { xyFigure, type XYPanel, type XYSeries } from '../../../src/diagnostics/figures/svgDocument.js';
import { readBowtieCsv, readDriftTestCsv, readTwoColumnCsv } from '../../../src/formats/gateSeriesCsv.js';
import { calibrateDriftBias, type DriftCalibration } from '../../../src/physics/gateDynamics/calibrateDriftBias.js';
import { railsFromSeries } from '../../../src/physics/gateDynamics/driftRunFromSeries.js';
import { GateFlow } from '../../../src/physics/gateDynamics/GateFlow.js';
import { periodicLimitCycle, type LimitCycle } from '../../../src/physics/gateDynamics/periodicLimitCycle.js';
import { SMALL_RC, SMALL_TASKS, smallGateNetwork } from '../../../src/physics/gateDynamics/smallGateNetwork.js';

// Issue 19 point 5: predictions from the drift tests alone (calibration/labdata/drift), compared with the held-out
// tau sweeps and bowties (calibration/labdata/heldout), which only this file reads and nothing fits to. Criteria are
// asserted where they hold; the others are printed (README of src/physics/gateDynamics records them), not tuned.
const EXPS = ['exp1', 'exp2'] as const;
type Exp = (typeof EXPS)[number];
const drift = (exp: Exp, task: string) => readDriftTestCsv(`calibration/labdata/drift/${exp}-drift-task-${task}.csv`);
const heldout = (file: string) => `calibration/labdata/heldout/${file}`;

interface Prediction {
  tau: Float64Array;
  measuredD2: Float64Array;
  measuredMse: Float64Array;
  cycles: LimitCycle[];
  bowtie: Record<'0.02' | '0.08', { predicted: [number, number]; measured: [number, number]; path: Float64Array; measuredPath: { gMinus: Float64Array; gPlus: Float64Array } }>;
}

function predict(exp: Exp, x: number, cal: DriftCalibration, r: number): Prediction {
  const series = SMALL_TASKS[exp].map((t) => drift(exp, t.name));
  // Each gate's rail: the plateau it reached in either drift test (railsFromSeries), the lower of the two runs' values.
  const ra = railsFromSeries(series[0]);
  const rb = railsFromSeries(series[1]);
  const net = smallGateNetwork(ra.map((p, j) => [1, Math.min(p[1], rb[j][1])] as [number, number]));
  const bias = cal.experiments[x].bias;
  const [fa, fb] = SMALL_TASKS[exp].map((task) => new GateFlow(net, task, { r, rc: SMALL_RC, bias }));
  const d2 = readTwoColumnCsv(heldout(`measured-DG2-${exp}.csv`));
  const mse = readTwoColumnCsv(heldout(`measured-MSE-${exp}.csv`));
  expect(Array.from(mse.x)).toEqual(Array.from(d2.x));
  const cycles: LimitCycle[] = [];
  let g = [3, 3.5];
  for (const tau of d2.x) {
    const c = periodicLimitCycle(fa, fb, tau, g);
    expect(c.converged).toBe(true);
    cycles.push(c);
    g = Array.from(c.g0);
  }
  const span = (a: Float64Array): number => Math.max(...a) - Math.min(...a);
  const bowtie = {} as Prediction['bowtie'];
  for (const t of ['0.02', '0.08'] as const) {
    const m = readBowtieCsv(heldout(`bowtie-${exp}-${t}s.csv`));
    const c = periodicLimitCycle(fa, fb, Number(t), g);
    bowtie[t] = { predicted: [c.spans[0], c.spans[1]], measured: [span(m.gMinus), span(m.gPlus)], path: c.bowtie, measuredPath: m };
  }
  return { tau: d2.x, measuredD2: d2.y, measuredMse: mse.y, cycles, bowtie };
}

/** The four criteria, as numbers. */
function criteria(p: Prediction) {
  const inD2 = [...p.tau.keys()].filter((i) => p.tau[i] >= 0.0008 - 1e-12 && p.tau[i] <= 0.08);
  const ratios = inD2.map((i) => p.cycles[i].d2 / p.measuredD2[i]);
  const worstD2 = Math.max(...ratios.map((q) => Math.max(q, 1 / q)));
  const slopeOf = (ys: number[], xs: number[]): number => {
    const lx = xs.map(Math.log);
    const ly = ys.map(Math.log);
    const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
    const my = ly.reduce((s, v) => s + v, 0) / ly.length;
    let sxy = 0;
    let sxx = 0;
    lx.forEach((v, i) => {
      sxy += (v - mx) * (ly[i] - my);
      sxx += (v - mx) ** 2;
    });
    return sxy / sxx;
  };
  const small = [...p.tau.keys()].filter((i) => p.tau[i] <= 0.03);
  const predictedSlope = slopeOf(small.map((i) => p.cycles[i].d2), small.map((i) => p.tau[i]));
  const measuredSlope = slopeOf(small.map((i) => p.measuredD2[i]), small.map((i) => p.tau[i]));
  const floor = [...p.tau.keys()].filter((i) => p.tau[i] <= 0.002);
  const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
  const mseFloor = { predicted: mean(floor.map((i) => p.cycles[i].mse)), measured: mean(floor.map((i) => p.measuredMse[i])) };
  const spanErrors = (['0.02', '0.08'] as const).flatMap((t) => p.bowtie[t].predicted.map((v, j) => v / p.bowtie[t].measured[j] - 1));
  return { ratios, worstD2, predictedSlope, measuredSlope, mseFloor, spanErrors };
}

function table(exp: Exp, r: number, p: Prediction, c: ReturnType<typeof criteria>): string {
  const rows = [`${exp}, r = ${r.toFixed(3)}`, 'tau (s) | D2 measured | D2 predicted | ratio | MSE measured | MSE predicted'];
  p.tau.forEach((t, i) => {
    rows.push(`${t} | ${p.measuredD2[i].toExponential(3)} | ${p.cycles[i].d2.toExponential(3)} | ${(p.cycles[i].d2 / p.measuredD2[i]).toFixed(2)} | ${p.measuredMse[i].toExponential(3)} | ${p.cycles[i].mse.toExponential(3)}`);
  });
  rows.push(`cycles: all converged; Newton iterations <= ${Math.max(...p.cycles.map((q) => q.newtonIterations))}, periods <= ${Math.max(...p.cycles.map((q) => q.periods))}, residual <= ${Math.max(...p.cycles.map((q) => q.residual)).toExponential(1)} V, h|M| <= ${Math.max(...p.cycles.map((q) => q.stepTimesRate)).toFixed(3)}`);
  rows.push(`worst D2 factor (0.8-80 ms) ${c.worstD2.toFixed(3)}; slope (tau <= 30 ms) predicted ${c.predictedSlope.toFixed(3)} measured ${c.measuredSlope.toFixed(3)}`);
  rows.push(`MSE floor (tau <= 2 ms) predicted ${c.mseFloor.predicted.toExponential(3)} measured ${c.mseFloor.measured.toExponential(3)} ratio ${(c.mseFloor.predicted / c.mseFloor.measured).toFixed(3)}`);
  for (const t of ['0.02', '0.08'] as const) {
    const b = p.bowtie[t];
    rows.push(`bowtie ${t} s spans (G-, G+) predicted ${b.predicted.map((v) => v.toFixed(4))} measured ${b.measured.map((v) => v.toFixed(4))}`);
  }
  return rows.join('\n');
}

describe('held-out hardware data (arXiv 2505.22887) against predictions from the drift tests alone', () => {
  const cal = calibrateDriftBias(
    smallGateNetwork(),
    EXPS.map((exp) => ({ name: exp, tasks: SMALL_TASKS[exp], series: [drift(exp, 'alpha'), drift(exp, 'beta')] as [ReturnType<typeof drift>, ReturnType<typeof drift>] })),
    { rc: SMALL_RC },
  );

  it('the drift fit: biases, r, residual', () => {
    console.log(
      JSON.stringify({
        biases: cal.experiments.map((e) => ({ bias: e.bias, v: e.velocities.map((v) => v.velocity), stderr: e.velocities.map((v) => v.stderr), sinAngle: e.sinAngle })),
        r: cal.fit.r,
        stderrR: cal.fit.stderrR,
        rms: cal.fit.rms,
        rmsPerRun: cal.fit.rmsPerRun,
        iterations: cal.fit.iterations,
      }),
    );
    expect(cal.fit.converged).toBe(true);
    // The model describes the drift tests to a few tens of mV (lines a little curved on the real boards, creep on the rails).
    expect(cal.fit.rms).toBeLessThan(0.05);
  }, 120_000);

  for (const [x, exp] of EXPS.entries()) {
    it(`${exp}: D^2(tau) within a factor 1.6 for 0.8-80 ms and its slope in 1.7..2.1 (tau <= 30 ms); MSE floor and bowtie spans recorded`, () => {
      const p = predict(exp, x, cal, cal.fit.r);
      const c = criteria(p);
      console.log(table(exp, cal.fit.r, p, c));
      // Authors' r = 2 with the same fitted biases: a sensitivity row for the README, not a fit and not asserted.
      const p2 = predict(exp, x, cal, 2);
      console.log(table(exp, 2, p2, criteria(p2)));
      expect(c.worstD2).toBeLessThan(1.6);
      expect(c.predictedSlope).toBeGreaterThan(1.7);
      expect(c.predictedSlope).toBeLessThan(2.1);
      // Bowtie spans within 15 % hold for experiment 1 (worst -14 %, G+ at 20 ms); for experiment 2 G+ misses at 20 ms
      // (-41 %) and 80 ms (-16 %), recorded in the README, not asserted. The MSE floor (factor 2) misses for both at
      // the fitted r (ratios 0.18 and 0.14): recorded, not asserted.
      if (exp === 'exp1') for (const e of c.spanErrors) expect(Math.abs(e)).toBeLessThan(0.15);
      figures.push(...sweepSeries(exp, p, p2, cal.fit.r));
      bowtieFigures.push(bowtiePanel(exp, p, p2, cal.fit.r));
    }, 120_000);
  }

  // The README's figure: only when asked (CLLN_WRITE_FIGURES=1), so that ordinary test runs write nothing.
  it('draws D^2(tau) measured vs predicted', () => {
    const svg = xyFigure({
      name: 'd2-vs-tau',
      title: 'Cycle span D^2 vs period: held-out hardware vs prediction from drift tests',
      width: 420,
      height: 360,
      panels: [{ series: figures, logY: true, xLabel: 'log10 tau (tau in s)', yLabel: 'D^2 (V^2)', integerX: false, markerLimit: 40 }],
      notes: ['measured: arXiv 2505.22887 (MIT); predicted: biases and r from the drift tests only'],
    });
    expect(svg).toContain('<svg');
    const bowties = xyFigure({
      name: 'bowties',
      title: 'Limit cycles (bowties) at tau = 20 and 80 ms: held-out hardware vs prediction',
      width: 420,
      height: 640,
      panels: bowtieFigures,
      notes: ['measured: arXiv 2505.22887 (MIT), 61 points per period; predicted from the drift tests only'],
    });
    expect(bowties).toContain('<svg');
    if (process.env.CLLN_WRITE_FIGURES === '1') {
      writeFileSync('src/physics/gateDynamics/d2-vs-tau.svg', svg);
      writeFileSync('src/physics/gateDynamics/bowties.svg', bowties);
    }
  });
});

const figures: XYSeries[] = [];
const bowtieFigures: XYPanel[] = [];
function bowtiePanel(exp: Exp, p: Prediction, p2: Prediction, r: number): XYPanel {
  const series: XYSeries[] = [];
  const colours = { '0.02': '#1f77b4', '0.08': '#d62728' } as const;
  for (const t of ['0.02', '0.08'] as const) {
    const b = p.bowtie[t];
    series.push({ label: `${Number(t) * 1000} ms measured`, x: b.measuredPath.gMinus, y: b.measuredPath.gPlus, colour: colours[t], line: false });
    const path = (q: Float64Array) => ({ x: q.filter((_, i) => i % 2 === 0), y: q.filter((_, i) => i % 2 === 1) });
    series.push({ label: `predicted, r = ${r.toFixed(2)}`, ...path(b.path), colour: colours[t] });
    series.push({ label: 'predicted, r = 2', ...path(p2.bowtie[t].path), colour: t === '0.02' ? '#9ecae1' : '#fc9272' });
  }
  return { title: exp, series, logY: false, xLabel: 'G- (V)', yLabel: 'G+ (V)', integerX: false, markerLimit: 0 };
}
function sweepSeries(exp: Exp, p: Prediction, p2: Prediction, r: number): XYSeries[] {
  const x = Array.from(p.tau, Math.log10);
  const colour = exp === 'exp1' ? '#1f77b4' : '#d62728';
  return [
    { label: `${exp} measured`, x, y: p.measuredD2, colour, line: false },
    { label: `${exp} predicted, fitted r = ${r.toFixed(2)}`, x, y: p.cycles.map((c) => c.d2), colour },
    { label: `${exp} predicted, r = 2 (authors)`, x, y: p2.cycles.map((c) => c.d2), colour: exp === 'exp1' ? '#9ecae1' : '#fc9272' },
  ];
}
