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
import { eventLine, parseRun, readRunBytes } from '../store/readRun.js';
import type { Evaluation, RunReport } from '../diagnostics/figures/reportFigures.js';

export type { Evaluation, Missing, RunReport } from '../diagnostics/figures/reportFigures.js';

/** A run record with its evaluation stream (contract A), when it has one. */
export type RecordWithEvaluation = RunRecord & { evaluation?: { descriptor: DescriptorDoc; events: EventDoc[] } };

/**
 * Read a run record and its evaluation stream. The one place that knows where the evaluation events come from:
 * readRun of this branch accepts one stream only, so the evaluation descriptor and its events (contract A: a second
 * descriptor named `evaluation`, events pointing at its uid) are taken out here and the rest is read by parseRun as
 * before. When readRun returns `evaluation` itself, this becomes `return readRun(path)`.
 */
export function readRunWithEvaluation(path: string): RecordWithEvaluation {
  const buf = readRunBytes(path);
  const text = buf.toString('utf8');
  const lines = text.split('\n');
  let evalDescriptor: DescriptorDoc | undefined;
  const evalEvents: EventDoc[] = [];
  const kept: string[] = [];
  const keptLine: number[] = []; // original line number (1-based) of each kept line
  const keep = (line: string, i: number): void => {
    kept.push(line);
    keptLine.push(i + 1);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let doc: unknown;
    try {
      // the last piece has no newline after it: a torn line (or nothing), which parseRun handles
      if (i === lines.length - 1) throw new Error('torn');
      doc = JSON.parse(line);
    } catch {
      keep(line, i); // parseRun reports it (or ignores a torn last line)
      continue;
    }
    if (Array.isArray(doc) && doc[0] === 'descriptor' && typeof doc[1] === 'object' && doc[1] !== null && (doc[1] as DescriptorDoc).name === 'evaluation') {
      if (evalDescriptor) throw new InvalidInputError({ source: path, field: `line ${i + 1}` }, 'a second evaluation descriptor (one evaluation stream per run)', 'check that this is a run file written by clln');
      evalDescriptor = doc[1] as DescriptorDoc;
      continue;
    }
    if (evalDescriptor && Array.isArray(doc) && doc[0] === 'event' && typeof doc[1] === 'object' && doc[1] !== null && (doc[1] as EventDoc).descriptor === evalDescriptor.uid) {
      const ev = doc[1] as EventDoc;
      if (ev.seq_num !== evalEvents.length + 1) {
        throw new InvalidInputError({ source: path, field: `line ${i + 1}` }, `evaluation event seq_num ${show(ev.seq_num)}, expected ${evalEvents.length + 1} (seq_num runs 1, 2, ... in each stream)`, 'check that this is a run file written by clln');
      }
      (ev as EventDoc & { line?: number }).line = i + 1;
      evalEvents.push(ev);
      continue;
    }
    keep(line, i);
  }
  let record: RecordWithEvaluation;
  try {
    record = parseRun(Buffer.from(kept.join('\n'), 'utf8'), path).record;
  } catch (e) {
    // parseRun counted the lines without the evaluation stream: name the file's own line
    const m = e instanceof InvalidInputError ? /^line (\d+)(.*)$/.exec(e.field ?? '') : null;
    if (!m || !(e instanceof InvalidInputError)) throw e;
    throw new InvalidInputError({ source: e.source, field: `line ${keptLine[Number(m[1]) - 1] ?? m[1]}${m[2]}` }, e.problem, e.fix);
  }
  if (evalDescriptor) record.evaluation = { descriptor: evalDescriptor, events: evalEvents };
  return record;
}

function isNumberOrNull(x: unknown): x is number | null {
  return x === null || (typeof x === 'number' && Number.isFinite(x));
}

function evaluations(run: RecordWithEvaluation): Evaluation[] {
  if (!run.evaluation) return [];
  return run.evaluation.events.map((ev) => {
    const line = (ev as EventDoc & { line?: number }).line;
    const where = (field: string) => ({ source: run.path, field: `${line !== undefined ? `line ${line}: ` : ''}evaluation data.${field}` });
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
        throw new InvalidInputError({ source: run.path, field: `line ${eventLine(ev.seq_num)}: data.${settingsKey}` }, `must hold ${net.edgeA.length} finite numbers (one per edge), got ${show(v)}`, 'the record was changed after it was written: correct the value');
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
