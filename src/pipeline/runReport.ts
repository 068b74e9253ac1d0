/**
 * `clln report RUN`: what a recorded training run (board or simulated) shows, assembled from its record for the
 * report's figures and text — the learning curve (the evaluation stream, contract A of issue 15), predicted against
 * target outputs of the test set at the last evaluation that has them, the edge settings against step (a board run's
 * `settings`, a simulated run's conductance snapshots), and the alarms on the time axis (a board run checked against
 * its Laplacian). What a run cannot show is listed with the reason.
 */
import { basename } from 'node:path';
import { InvalidInputError, show } from '../errors.js';
import { parseNetwork } from '../formats/networkFile.js';
import { parseTask } from '../formats/taskFile.js';
import type { DescriptorDoc, EventDoc, RunRecord } from '../store/documents.js';
import { eventLine, readRun, readRunBytes } from '../store/readRun.js';
import type { Evaluation, RunReport } from '../diagnostics/figures/reportFigures.js';

export type { Evaluation, Missing, RunReport } from '../diagnostics/figures/reportFigures.js';

/** A run record with its evaluation stream (contract A), when it has one. */
export type RecordWithEvaluation = RunRecord & { evaluation?: { descriptor: DescriptorDoc; events: EventDoc[] } };

/** Read a run record with its evaluation stream (contract A: readRun returns it as `evaluation`). */
export function readRunWithEvaluation(path: string): RecordWithEvaluation {
  return readRun(path);
}

function isNumberOrNull(x: unknown): x is number | null {
  return x === null || (typeof x === 'number' && Number.isFinite(x));
}

function evaluations(run: RecordWithEvaluation): Evaluation[] {
  if (!run.evaluation) return [];
  return run.evaluation.events.map((ev) => {
    const where = (field: string) => ({ source: run.path, field: `line ${eventLine(ev)}: evaluation data.${field}` });
    const fix = 'the record was changed after it was written: correct the value';
    const d = (ev.data ?? {}) as Record<string, unknown>;
    if (!Number.isInteger(d.step) || (d.step as number) < 0) throw new InvalidInputError(where('step'), `must be an integer >= 0 (steps done), got ${show(d.step)}`, fix);
    if (!isNumberOrNull(d.train_mse)) throw new InvalidInputError(where('train_mse'), `must be a number (V^2) or null, got ${show(d.train_mse)}`, fix);
    if (!isNumberOrNull(d.test_mse)) throw new InvalidInputError(where('test_mse'), `must be a number (V^2) or null, got ${show(d.test_mse)}`, fix);
    const to = d.test_outputs;
    if (to !== null && to !== undefined) {
      if (!Array.isArray(to) || !to.every((row) => Array.isArray(row) && row.every((v) => typeof v === 'number' && Number.isFinite(v)))) {
        throw new InvalidInputError(where('test_outputs'), `must be an array [M_test][T] of numbers (V) or null, got ${show(to)}`, fix);
      }
    }
    return {
      step: d.step as number,
      trainMse: d.train_mse as number | null,
      testMse: d.test_mse as number | null,
      testOutputs: (to ?? null) as number[][] | null,
      final: d.final === true,
      time: ev.time,
    };
  });
}

/** The task's name as the run gives it: its plan name without the verb (`train task.json` -> `task.json`). */
function taskName(run: RunRecord, sources: number, targets: number): string {
  const name = run.start.plan_name;
  if (typeof name === 'string' && name) return basename(name.replace(/^train /, ''));
  return `${sources} sources -> ${targets} targets`;
}

/** The task's name a run file gives (as {@link runReport} names it), for figures of the run drawn elsewhere. */
export function recordedTaskName(path: string): string | undefined {
  try {
    // the start document alone (line 1): the caller has read and checked the whole run already
    const buf = readRunBytes(path);
    const end = buf.indexOf(0x0a);
    const [kind, start] = JSON.parse(buf.toString('utf8', 0, end < 0 ? buf.length : end)) as [string, RunRecord['start']];
    if (kind !== 'start') return undefined;
    const task = start.task as { sources?: unknown[]; targets?: unknown[] } | undefined;
    return taskName({ start } as RunRecord, task?.sources?.length ?? 0, task?.targets?.length ?? 0);
  } catch {
    return undefined; // the caller has read the run already; a name is all that is asked here
  }
}

/** Assemble the report of a run read by {@link readRunWithEvaluation}. */
export function runReport(run: RecordWithEvaluation): RunReport {
  const s = run.start as Record<string, unknown>;
  if (!s.network || !s.task) {
    throw new InvalidInputError({ source: run.path, field: 'line 1: start' }, 'is not a clln training run (no network or task in its start document)', 'report a run written by clln train');
  }
  const net = parseNetwork(s.network, `${run.path}: line 1: start.network`);
  const task = parseTask(s.task, `${run.path}: line 1: start.task`, net);
  const kind = s.board ? 'board' : 'simulated';
  const report: RunReport = {
    run: basename(run.path),
    network: net.name,
    task: taskName(run, task.sources.length, task.targets.length),
    kind,
    status: run.status,
    steps: run.events.length,
    evaluations: evaluations(run),
    missing: [],
  };
  const keys = run.descriptor.data_keys;

  // ---- learning curve
  if (report.evaluations.length === 0) {
    report.missing.push({ figure: 'learning-curve', why: run.evaluation ? 'the run recorded no evaluation event' : 'the run has no evaluation stream (recorded before clln recorded evaluations)' });
  }

  // ---- predicted against target, at the last evaluation with test outputs
  const withOutputs = [...report.evaluations].reverse().find((e) => e.testOutputs !== null);
  if (task.test.length === 0) {
    report.missing.push({ figure: 'prediction', why: 'the task has no test examples' });
  } else if (!withOutputs) {
    report.missing.push({ figure: 'prediction', why: report.evaluations.length === 0 ? 'no evaluation recorded the test outputs' : 'no evaluation holds test_outputs' });
  } else {
    const out = withOutputs.testOutputs!;
    const T = task.targets.length;
    if (out.length !== task.test.length || out.some((row) => row.length !== T)) {
      throw new InvalidInputError(
        { source: run.path, field: `evaluation at step ${withOutputs.step}: data.test_outputs` },
        `must hold ${task.test.length} test examples x ${T} targets (the task's), got ${out.length} rows of ${out.map((r) => r.length).join(', ')}`,
        'the record was changed after it was written: correct the value',
      );
    }
    report.prediction = { step: withOutputs.step, targets: Array.from(task.targets), desired: task.test.map((ex) => Array.from(ex.out)), predicted: out };
  }

  // ---- edge settings against step
  const settingsKey = keys.settings ? 'settings' : keys.conductance ? 'conductance' : undefined;
  if (!settingsKey) {
    report.missing.push({ figure: 'settings', why: 'the run recorded neither edge settings nor conductance snapshots' });
  } else {
    const steps: number[] = [];
    const values: number[][] = [];
    for (const ev of run.events) {
      const v = ev.data[settingsKey];
      const step = ev.data.step;
      if (!Array.isArray(v) || typeof step !== 'number') continue; // a simulated run's steps between snapshots
      if (v.length !== net.edgeA.length || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw new InvalidInputError({ source: run.path, field: `line ${eventLine(ev)}: data.${settingsKey}` }, `must hold ${net.edgeA.length} finite numbers (one per edge), got ${show(v)}`, 'the record was changed after it was written: correct the value');
      }
      steps.push(step);
      values.push(v as number[]);
    }
    const unit = keys[settingsKey].units ?? (settingsKey === 'conductance' ? 'S' : '');
    const quantity = settingsKey === 'conductance' ? 'conductance' : unit === 'tap' ? 'tap setting' : 'gate voltage';
    if (steps.length === 0) report.missing.push({ figure: 'settings', why: 'no recorded step holds the settings' });
    else report.settings = { quantity, unit, steps, values, edges: net.edgeA.length };
  }

  // ---- alarms on the time axis
  if (!keys.alarm) {
    report.missing.push({
      figure: 'alarms',
      why:
        kind === 'simulated'
          ? 'a simulated run is not checked against a measured Laplacian (no alarm key)'
          : 'the run did not check its steps (no alarm key: a device-stepped run measures the targets only, or the run had neither a calibration nor a board model to check against)',
    });
  } else {
    const t0 = run.start.time;
    const a = { time: [] as number[], cost: [] as number[], alarmTimes: [] as number[], alarmSteps: [] as number[] };
    for (const ev of run.events) {
      const t = ev.time - t0;
      a.time.push(t);
      a.cost.push(typeof ev.data.cost === 'number' ? ev.data.cost : NaN);
      if (ev.data.alarm === true) {
        a.alarmTimes.push(t);
        a.alarmSteps.push(typeof ev.data.step === 'number' ? ev.data.step : ev.seq_num - 1);
      }
    }
    report.alarms = a;
  }
  return report;
}
