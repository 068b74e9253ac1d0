import { InvalidInputError } from '../../errors.js';
import { reportFigures } from '../../diagnostics/figures/reportFigures.js';
import { formatNumber } from '../../diagnostics/figures/svgDocument.js';
import { readRunWithEvaluation, runReport, type RunReport } from '../../pipeline/runReport.js';
import { parse, positionals, str } from '../args.js';
import { writeFigureFiles } from '../figureFiles.js';
import type { Io } from '../Io.js';

export const reportHelp = `clln report RUN [--svg DIR [--png]] [--json]
  What a recorded training run (clln train, board or simulated) shows: its learning curve (train and test MSE, V^2,
  at each evaluation), the test set's predicted against target outputs (V) at the last evaluation, the edge
  settings against step (taps or gate volts; a simulated run's conductance snapshots, S), and the alarms of the
  steps checked against the Laplacian on the time axis. Without --svg: a text summary. A run without one of these
  (no evaluations, no test set, no checked steps) gets the others, and the report says which it cannot have and why.
  --svg DIR   write learning-curve.svg, prediction.svg, settings.svg, alarms.svg (those the run has), each one
              journal column wide (3.4 in) and naming the network, task and run
  --png       with --svg: also write each figure as PNG (300 dpi)
  --json      one JSON object: run, network, task, kind (board, simulated), status, steps, evaluations [{step,
              train_mse, test_mse, final}] (V^2), prediction {step, targets, desired, predicted} (V, [example][target])
              or null, settings {quantity, unit, edges, recorded_steps} or null, alarms {checked_steps, steps} or
              null, missing [{figure, why}], figures (the files written)`;

export function report(argv: string[], io: Io): number {
  const p = parse('report', argv, { svg: { type: 'string' }, png: { type: 'boolean' }, json: { type: 'boolean' } });
  const [runPath] = positionals(p, 'report', ['RUN']);
  const svgDir = str(p, 'svg');
  const png = p.values.png === true;
  if (png && !svgDir) throw new InvalidInputError({ source: '--png' }, 'writes the figures as PNG beside their SVG files, so it needs a folder', 'add --svg DIR');
  const r = runReport(readRunWithEvaluation(runPath));
  const written = svgDir ? writeFigureFiles(svgDir, reportFigures(r), png) : [];
  if (p.values.json === true) io.stdout.write(JSON.stringify(toJson(r, written)) + '\n');
  else io.stdout.write(summary(r, written) + '\n');
  return 0;
}

const e3 = (x: number | null): string => (x === null ? '-' : x.toExponential(3));

function summary(r: RunReport, written: string[]): string {
  const lines = [`run ${r.run} (${r.kind}, ${r.status}): network ${r.network}, task ${r.task}, ${r.steps} steps recorded`];
  const ev = r.evaluations;
  if (ev.length > 0) {
    const first = ev[0];
    const last = ev[ev.length - 1];
    const best = ev.reduce((b, e) => ((e.testMse ?? e.trainMse ?? Infinity) < (b.testMse ?? b.trainMse ?? Infinity) ? e : b));
    lines.push(
      `learning curve: ${ev.length} evaluations, steps ${first.step}..${last.step}`,
      `  MSE (V^2)  train ${e3(first.trainMse)} -> ${e3(last.trainMse)}; test ${e3(first.testMse)} -> ${e3(last.testMse)}`,
      `  best ${best.testMse !== null ? 'test' : 'train'} MSE ${e3(best.testMse ?? best.trainMse)} at step ${best.step}`,
    );
  }
  if (r.prediction) {
    const p = r.prediction;
    let worst = 0;
    p.predicted.forEach((row, i) => row.forEach((v, t) => (worst = Math.max(worst, Math.abs(v - p.desired[i][t])))));
    lines.push(`test set at step ${p.step}: ${p.predicted.length} examples x ${p.targets.length} targets (nodes ${p.targets.join(', ')}); largest |predicted - target| ${e3(worst)} V`);
  }
  if (r.settings) {
    const s = r.settings;
    let lo = Infinity;
    let hi = -Infinity;
    for (const row of s.values) for (const v of row) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    lines.push(`edge ${s.quantity}s: ${s.edges} edges at ${s.steps.length} recorded steps (${s.steps[0]}..${s.steps[s.steps.length - 1]}), range ${formatNumber(lo)}..${formatNumber(hi)} ${s.unit}`);
  }
  if (r.alarms) {
    const a = r.alarms;
    lines.push(`alarms: ${a.alarmSteps.length} in ${a.time.length} checked steps${a.alarmSteps.length ? ` (steps ${a.alarmSteps.slice(0, 10).join(', ')}${a.alarmSteps.length > 10 ? ', ...' : ''})` : ''}`);
  }
  for (const m of r.missing) lines.push(`no ${m.figure} figure: ${m.why}`);
  if (written.length) lines.push(`figures: ${written.join(', ')}`);
  return lines.join('\n');
}

function toJson(r: RunReport, written: string[]): unknown {
  return {
    run: r.run,
    network: r.network,
    task: r.task,
    kind: r.kind,
    status: r.status,
    steps: r.steps,
    evaluations: r.evaluations.map((e) => ({ step: e.step, train_mse: e.trainMse, test_mse: e.testMse, final: e.final })),
    prediction: r.prediction ?? null,
    settings: r.settings ? { quantity: r.settings.quantity, unit: r.settings.unit, edges: r.settings.edges, recorded_steps: r.settings.steps.length } : null,
    alarms: r.alarms ? { checked_steps: r.alarms.time.length, steps: r.alarms.alarmSteps } : null,
    missing: r.missing,
    figures: written,
  };
}
