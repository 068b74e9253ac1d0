/**
 * The figures of `clln report RUN --svg DIR`, from a run's report (assembled by src/pipeline/runReport.ts; its types
 * are here, below the pipeline): the learning curve,
 * predicted against target outputs, the edge settings against step, and the cost and alarms on the time axis. Each
 * is a standalone SVG document at single-column size, naming the network, task and run. Pure.
 */
import { categorical, COLUMN_WIDTH, xyPlot, type FigureContext, type XYSeries } from './svgDocument.js';

/** One evaluation of the run (contract A), MSE in V^2 (calibrated volts in a calibrated run). */
export interface Evaluation {
  step: number;
  trainMse: number | null;
  testMse: number | null;
  /** Free-state target voltages per test example, V ([M_test][T]); null without test examples. */
  testOutputs: number[][] | null;
  final: boolean;
  /** Epoch seconds. */
  time: number;
}

/** A figure the run cannot have, and why. */
export interface Missing {
  figure: string;
  why: string;
}

/** Everything the report draws and prints. */
export interface RunReport {
  /** File name of the run. */
  run: string;
  network: string;
  task: string;
  kind: 'board' | 'simulated';
  status: string;
  /** Recorded steps (primary events). */
  steps: number;
  evaluations: Evaluation[];
  /** Predicted (free-state) against desired target outputs of the test set, V, at `step`. */
  prediction?: { step: number; targets: number[]; desired: number[][]; predicted: number[][] };
  /** Edge settings against step: per recorded step (or snapshot), one value per edge. */
  settings?: { quantity: string; unit: string; steps: number[]; values: number[][]; edges: number };
  /** Steps checked against the Laplacian: cost against time since the start, and the alarms. */
  alarms?: { time: number[]; cost: number[]; alarmTimes: number[]; alarmSteps: number[] };
  missing: Missing[];
}


/** At most this many edges get a line in the settings figure (evenly spaced in edge order); the note says so. */
export const SETTINGS_MAX_EDGES = 40;
/** At most this many points per line (evenly spaced, the last kept); the note says so. */
export const MAX_POINTS = 1500;

function contextOf(r: RunReport): FigureContext {
  return { network: r.network, task: r.task, run: r.run };
}

/** Indices 0..n-1 thinned to at most `max`, evenly spaced, the first and last kept. */
function thin(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out = new Set<number>();
  for (let k = 0; k < max; k++) out.add(Math.round((k * (n - 1)) / (max - 1)));
  return [...out].sort((a, b) => a - b);
}

/** Train and test MSE (V^2) against the step, log y; undefined without evaluations. */
export function learningCurveFigure(r: RunReport): string | undefined {
  const ev = r.evaluations;
  if (ev.length === 0) return undefined;
  const series: XYSeries[] = [];
  const train = ev.filter((e) => e.trainMse !== null);
  const test = ev.filter((e) => e.testMse !== null);
  if (train.length > 0) series.push({ label: 'training set', x: train.map((e) => e.step), y: train.map((e) => e.trainMse!), colour: categorical(0) });
  if (test.length > 0) series.push({ label: 'test set', x: test.map((e) => e.step), y: test.map((e) => e.testMse!), colour: categorical(1) });
  return xyPlot({
    title: 'Learning curve',
    context: contextOf(r),
    name: 'learning curve',
    series,
    logY: true,
    xLabel: 'training step (count)',
    yLabel: 'mean squared error (V^2)',
    integerX: true,
    markerLimit: 200,
    width: COLUMN_WIDTH,
    height: 250,
    notes: test.length === 0 ? ['no test MSE: the task has no test examples'] : [],
  });
}

/** Predicted (free-state) against desired target outputs of the test set (V), with the identity line. */
export function predictionFigure(r: RunReport): string | undefined {
  const p = r.prediction;
  if (!p) return undefined;
  const series: XYSeries[] = p.targets.map((node, t) => ({
    label: `target node ${node}`,
    x: p.desired.map((row) => row[t]),
    y: p.predicted.map((row) => row[t]),
    line: false,
  }));
  return xyPlot({
    title: `Test set: predicted against target (step ${p.step})`,
    context: contextOf(r),
    name: 'prediction',
    series,
    logY: false,
    xLabel: 'target output (V)',
    yLabel: 'predicted output (V)',
    integerX: false,
    markerLimit: Infinity,
    identity: { label: 'predicted = target' },
    width: COLUMN_WIDTH,
    height: 330,
  });
}

/** The edge settings (taps, gate volts or conductances) against the step, one line per edge. */
export function settingsFigure(r: RunReport): string | undefined {
  const s = r.settings;
  if (!s) return undefined;
  const edges = thin(s.edges, SETTINGS_MAX_EDGES);
  const rows = thin(s.steps.length, MAX_POINTS);
  const x = rows.map((i) => s.steps[i]);
  const series: XYSeries[] = edges.map((e, k) => ({ label: `edge ${e}`, x, y: rows.map((i) => s.values[i][e]), colour: categorical(k) }));
  const notes = [`one line per edge${edges.length < s.edges ? `: ${edges.length} of ${s.edges} edges, evenly spaced in edge order` : ` (${s.edges} edges)`}`];
  if (rows.length < s.steps.length) notes.push(`${rows.length} of ${s.steps.length} recorded steps drawn, evenly spaced`);
  const unit = s.unit === 'tap' ? 'tap position' : s.unit;
  return xyPlot({
    title: `Edge ${s.quantity}s during training`,
    context: contextOf(r),
    name: 'settings',
    series,
    logY: false,
    xLabel: 'training step (count)',
    yLabel: `${s.quantity} (${unit})`,
    integerX: true,
    markerLimit: s.steps.length <= 30 ? 30 : 0,
    legend: false,
    width: COLUMN_WIDTH,
    height: 260,
    notes,
  });
}

/** The cost of each checked step against time since the start (log y), with the alarms as red vertical lines. */
export function alarmsFigure(r: RunReport): string | undefined {
  const a = r.alarms;
  if (!a) return undefined;
  const rows = thin(a.time.length, MAX_POINTS);
  const notes = a.alarmTimes.length === 0 ? [`no alarm in ${a.time.length} checked steps`] : [`${a.alarmTimes.length} alarm${a.alarmTimes.length === 1 ? '' : 's'} in ${a.time.length} checked steps`];
  if (rows.length < a.time.length) notes.push(`${rows.length} of ${a.time.length} steps' costs drawn, evenly spaced (every alarm drawn)`);
  return xyPlot({
    title: 'Alarms: steps that failed their check',
    context: contextOf(r),
    name: 'alarms',
    series: [{ label: 'cost of the step', x: rows.map((i) => a.time[i]), y: rows.map((i) => a.cost[i]), colour: '#777777' }],
    logY: true,
    xLabel: 'time since the start (s)',
    yLabel: 'cost (V^2)',
    integerX: false,
    markerLimit: 0,
    vlines: { label: 'alarm', colour: '#c8353b', x: a.alarmTimes },
    width: COLUMN_WIDTH,
    height: 250,
    notes,
  });
}

/** Every figure the report has, by file name (without extension). */
export function reportFigures(r: RunReport): { name: string; svg: string }[] {
  const out: { name: string; svg: string }[] = [];
  for (const [name, fig] of [
    ['learning-curve', learningCurveFigure],
    ['prediction', predictionFigure],
    ['settings', settingsFigure],
    ['alarms', alarmsFigure],
  ] as const) {
    const svg = fig(r);
    if (svg !== undefined) out.push({ name, svg });
  }
  return out;
}
