/**
 * The figures of `clln drift predict` (issue 19, point 5): D^2 and MSE against the period tau (log-log), measured
 * points beside the prediction when given, and the limit cycles (bowties) in the (G-, G+) plane. Pure: SVG text.
 */
import { COLUMN_WIDTH, xyFigure, type XYPanel, type XYSeries } from './svgDocument.js';

/** A predicted point at period tau (s): D^2 and MSE (V^2), measured values where available. */
export interface DriftSweepPoint {
  tau: number;
  d2: number;
  mse: number;
  measured?: { d2: number; mse: number };
}

/** A predicted cycle at period tau (s): `path` interleaved (G-, G+) points over one period (V); a measured one if given. */
export interface DriftBowtie {
  tau: number;
  path: Float64Array;
  measured?: { gMinus: ArrayLike<number>; gPlus: ArrayLike<number> };
}

const PREDICTED = '#1f77b4';
const MEASURED = '#d62728';

/** D^2(tau) or MSE(tau): log10 tau on x, log y; `title` names the fit (experiment, r). */
export function driftSweepFigure(quantity: 'd2' | 'mse', points: readonly DriftSweepPoint[], title: string): string {
  const x = points.map((p) => Math.log10(p.tau));
  const series: XYSeries[] = [{ label: 'predicted (from drift tests)', x, y: points.map((p) => p[quantity]), colour: PREDICTED }];
  const m = points.filter((p) => p.measured);
  if (m.length > 0) series.push({ label: 'measured', x: m.map((p) => Math.log10(p.tau)), y: m.map((p) => p.measured![quantity]), colour: MEASURED, line: false });
  const name = quantity === 'd2' ? 'Cycle span D^2' : 'Output MSE';
  return xyFigure({
    name: quantity === 'd2' ? 'd2-vs-tau' : 'mse-vs-tau',
    title: `${name} vs period: ${title}`,
    width: COLUMN_WIDTH,
    height: 300,
    panels: [{ series, logY: true, xLabel: 'log10 tau (s)', yLabel: quantity === 'd2' ? 'D^2 (V^2)' : 'MSE (V^2)', integerX: false, markerLimit: 60 }],
    notes: ['task alpha over the first half period, beta over the second; D^2 = |G(tau/2) - G(0)|^2'],
  });
}

/** The bowties: one panel per period, the predicted cycle as a line, the measured one as points. */
export function driftBowtieFigure(bowties: readonly DriftBowtie[], title: string): string {
  const panels: XYPanel[] = bowties.map((b) => {
    const series: XYSeries[] = [
      { label: 'predicted', x: b.path.filter((_, i) => i % 2 === 0), y: b.path.filter((_, i) => i % 2 === 1), colour: PREDICTED },
    ];
    if (b.measured) series.push({ label: 'measured', x: b.measured.gMinus, y: b.measured.gPlus, colour: MEASURED, line: false });
    return { title: `tau = ${b.tau * 1000} ms`, series, logY: false, xLabel: 'G- (V)', yLabel: 'G+ (V)', integerX: false, markerLimit: 0 };
  });
  return xyFigure({ name: 'bowties', title: `Limit cycles (bowties): ${title}`, width: COLUMN_WIDTH, height: 80 + 240 * Math.max(1, panels.length), panels, notes: ['one period; gates in V'] });
}
