/**
 * The terminal front end of a board run (`clln train --board`, `clln resume`): progress on stderr, the first warning
 * and the first alarm, Ctrl-C (stop after the step in flight; a second one aborts), and the final report (text, or
 * one JSON object with --json). The run itself is assembled by the pipeline (openBoardRun).
 */
import { evaluationsJson } from '../pipeline/evaluationRecord.js';
import type { StepCheck } from '../pipeline/BoardStepChecker.js';
import type { BoardRun } from '../pipeline/openBoardRun.js';
import type { RunSummary } from '../pipeline/TrainingEngine.js';
import { stopOnInterrupt } from './stopOnInterrupt.js';
import type { Io } from './Io.js';
import { TrainProgress } from './trainProgress.js';

/** Where a run's report says what it trained on. */
export interface ReportLabels {
  /** How the board was reached (its spec). */
  label: string;
  /** The task's file (or other source). */
  taskPath: string;
  json: boolean;
}

/** One alarm as the report names it: the edge or converter channel that explains it, if one does. */
export function describeAlarm(step: number, c: StepCheck): string {
  const s = c.free?.suspect ?? c.clamped?.suspect;
  if (!s) return `step ${step}, no single edge or channel explains it`;
  return s.kind === 'edge' ? `step ${step}, edge ${s.edge} looks ${s.change}` : `step ${step}, ${s.converter} channel of node ${s.node} offset ${(s.offset * 1000).toFixed(1)} mV`;
}

/** Run an opened board run to its end and report it as `clln train` does; the exit code (1 when aborted). */
export async function reportBoardRun(run: BoardRun, labels: ReportLabels, io: Io): Promise<number> {
  const { engine, checker, calibration, identity: id, recordPath } = run;
  const plan = run.plan;
  const view =
    !labels.json && io.stderr.isTTY
      ? new TrainProgress(io.stderr, plan.steps, `train ${plan.update}@${id.model}`, { startDone: plan.startStep, alarms: run.checked })
      : undefined;
  let firstAlarm: string | undefined;
  let warned = false;
  engine.warnings$.subscribe((w) => {
    if (warned) return;
    warned = true; // once per run: the condition persists, the user has been told
    io.stderr.write(`${view ? '\n' : ''}clln train: warning at step ${w.step}: ${w.message}\n`);
  });
  engine.checks$.subscribe((c) => {
    if (!c.alarm) return;
    view?.alarm();
    if (!firstAlarm) firstAlarm = describeAlarm(c.step, c.result);
  });
  if (view) {
    engine.steps$.subscribe((s) => view.step(s.step + 1, s.cost));
    engine.evaluations$.subscribe((e) => view.evaluation(e.trainMse, e.testMse, e.step));
  }
  // Ctrl-C: finish the step in flight and stop as usual; a second Ctrl-C aborts (board left safe, no final result).
  const release = stopOnInterrupt(engine, io, view !== undefined);
  let r: RunSummary;
  try {
    r = await run.run();
  } finally {
    release();
    view?.finish();
  }
  if (r.state === 'aborted') {
    io.stderr.write(`clln train: aborted after ${r.stepsDone} steps; sources at 0 V, clamps released${recordPath ? `; record ${recordPath}` : ''}\n`);
    return 1;
  }
  const settings = r.settings ?? new Float64Array(0);
  const ended = r.reason === 'steps' ? '' : ` (stopped early: ${REASONS[r.reason]})`;
  if (labels.json) {
    io.stdout.write(
      JSON.stringify({
        steps: r.stepsDone,
        // nominal conductances where the board's law is known (its ID or board file): gate edges at mid-ADC
        conductance: run.nominalConductances ? Array.from(run.nominalConductances(settings)) : null,
        settings: Array.from(settings),
        train_mse: Number.isFinite(r.trainMse) ? r.trainMse : null,
        test_mse: Number.isFinite(r.testMse) ? r.testMse : null,
        redone_steps: r.redoneSteps,
        stop_reason: r.reason,
        // device-stepped steps report only the targets' voltages, which cannot be checked node by node
        alarms: run.checked ? r.alarms : null,
        run: recordPath,
        calibration: calibration ? calibration.summary() : null,
        evaluations: evaluationsJson(r.evaluations),
      }) + '\n',
    );
  } else {
    io.stdout.write(
      [
        `trained board ${id.model} (${labels.label}, firmware ${id.firmware}${calibration ? `, calibration ${calibration.file ?? calibration.record.id}` : ''}) on ${labels.taskPath}: ${r.stepsDone} steps${ended}, update on the ${plan.update}, ${r.seconds.toFixed(2)} s (${(r.stepsRun / Math.max(r.seconds, 1e-9)).toFixed(0)} steps/s)`,
        `  train MSE ${r.initialTrainMse.toExponential(3)} -> ${r.trainMse.toExponential(3)} V^2`,
        ...(plan.task.test.length ? [`  test  MSE ${r.initialTestMse.toExponential(3)} -> ${r.testMse.toExponential(3)} V^2`] : []),
        ...(r.redoneSteps ? [`  ${r.redoneSteps} step(s) redone after link trouble`] : []),
        ...(!checker
          ? ['  consistency not checked (board model unknown)']
          : plan.update === 'device'
            ? ['  consistency not checked per step (device-stepped: the board reports only the targets\' free voltages)']
            : [`  consistency with the Laplacian: ${r.alarms} alarm(s)${firstAlarm ? `; first: ${firstAlarm}` : ''}`]),
        ...(recordPath ? [`  run recorded in ${recordPath}`] : []),
      ].join('\n') + '\n',
    );
  }
  return 0;
}

const REASONS: Record<string, string> = {
  stop: 'interrupted',
  target: 'target test MSE reached',
  plateau: 'test MSE on a plateau',
};
