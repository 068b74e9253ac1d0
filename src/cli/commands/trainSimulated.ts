import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeNetworkFile } from '../../formats/networkFile.js';
import type { Network } from '../../physics/Network.js';
import { isNonlinear, withParameters } from '../../physics/nonlinear/learningParameters.js';
import type { Task } from '../../physics/Task.js';
import type { TrainOptions } from '../../physics/Trainer.js';
import { evaluationsJson } from '../../pipeline/evaluationRecord.js';
import { openSimulatedRun, runSimulated, type SimulatedRun } from '../../pipeline/simulatedRun.js';
import { TrainProgress } from '../trainProgress.js';
import { stopOnInterrupt } from '../stopOnInterrupt.js';
import type { Io } from '../Io.js';
import { newRecordPath } from '../../pipeline/newRunPath.js';
import { formatRatio, formatSig } from '../../formatNumber.js';
import { writeSpringsFile } from '../../formats/springsFile.js';
import type { SpringNetwork } from '../../physics/springs/SpringNetwork.js';
import type { SpringTrainOptions } from '../../physics/springs/SpringTrainer.js';
import type { StrainTask } from '../../physics/springs/StrainTask.js';
import type { SpringRun } from '../../pipeline/springRun.js';

/** `clln train NETWORK TASK` without --board, as parsed. */
export interface SimulatedTrainRequest {
  net: Network;
  task: Task;
  taskPath: string;
  options: TrainOptions;
  json: boolean;
  /** Record to this file; undefined: a new file in runs/; null: no record. */
  record: string | null | undefined;
  snapshotEvery?: number;
  /** Evaluate (train and test MSE, recorded) every N steps; default 0: before the first and after the last only. */
  evalEvery?: number;
  saveNetwork?: string;
}

/** Train the simulated network on the engine, recorded unless asked not to, and report. */
export async function trainSimulated(req: SimulatedTrainRequest, io: Io): Promise<number> {
  const recordPath = newRecordPath(req.record);
  if (recordPath) mkdirSync(dirname(recordPath), { recursive: true });
  const run = openSimulatedRun({ network: req.net, task: req.task, options: req.options, name: `train ${req.taskPath}`, record: recordPath, snapshotEvery: req.snapshotEvery, evalEvery: req.evalEvery });
  return reportSimulated(run, { taskPath: req.taskPath, json: req.json, saveNetwork: req.saveNetwork }, io);
}

/**
 * Run a simulated run and report as `clln train` does (shared with `clln resume`): `--json` prints {steps,
 * conductance, train_mse, test_mse, evaluations: [{step, train_mse, test_mse}]}; otherwise the MSEs before and after, and where the run is recorded. Ctrl-C stops
 * after the current step (final MSE as usual); a second Ctrl-C aborts (exit 1, no final result; the record says so).
 */
export async function reportSimulated(run: SimulatedRun, labels: { taskPath: string; json: boolean; saveNetwork?: string }, io: Io): Promise<number> {
  const { engine, trainer } = run;
  const plan = engine.plan;
  const net = trainer.net;
  const view = !labels.json && io.stderr.isTTY ? new TrainProgress(io.stderr, plan.steps, `train ${trainer.cfg.rule}`, { startDone: plan.startStep }) : undefined;
  // The MSEs shown are computed when the view draws, and only where that is cheap and cannot change the run: with
  // a direct (Cholesky) solver, whose results do not depend on earlier solves (CG warm-starts from them).
  let probeMs = 0;
  const exact = trainer.solver.system.analysis.method === 'cholesky';
  const probe = (): { trainMse?: number; testMse?: number } => {
    if (!exact || probeMs > 10) return {};
    const t = performance.now();
    const m = { trainMse: trainer.mse(plan.task.train), testMse: trainer.mse(plan.task.test) };
    probeMs = performance.now() - t;
    return m;
  };
  if (view) {
    engine.steps$.subscribe((s) => view.step(s.step + 1, s.cost, probe));
    // the engine's evaluations keep the line current where the probe is too costly (or not exact) to run
    engine.evaluations$.subscribe((e) => view.evaluation(e.trainMse, e.testMse, e.step));
  }
  const release = stopOnInterrupt(engine, io, view !== undefined);
  let r;
  try {
    r = await runSimulated(run);
  } finally {
    release();
    if (r && view && r.state !== 'aborted') view.evaluation(r.trainMse, r.testMse, r.stepsDone);
    view?.finish();
  }
  const recorded = run.path ? `; record ${run.path}` : '';
  if (r.state === 'aborted') {
    io.stderr.write(`clln train: aborted after ${r.stepsDone} steps${recorded}\n`);
    return 1;
  }
  const conductance = r.settings ?? trainer.conductance;
  if (labels.saveNetwork) writeNetworkFile(labels.saveNetwork, isNonlinear(net) ? withParameters(net, Float64Array.from(conductance)) : { ...net, conductance: Float64Array.from(conductance) });
  if (labels.json) {
    io.stdout.write(
      JSON.stringify({ steps: r.stepsDone, conductance: Array.from(conductance), train_mse: finiteOrNull(r.trainMse), test_mse: finiteOrNull(r.testMse), evaluations: evaluationsJson(r.evaluations) }) + '\n',
    );
    return 0;
  }
  const rate = r.stepsRun / Math.max(r.seconds, 1e-9);
  const ended = r.reason === 'steps' ? '' : ' (stopped early: interrupted)';
  const lines = [
    `trained ${net.name} on ${labels.taskPath}: ${r.stepsDone} steps${ended} of rule ${trainer.cfg.rule} in ${r.seconds.toFixed(2)} s (${rate.toFixed(0)} steps/s)`,
    `  train MSE ${fmt(r.initialTrainMse)} -> ${fmt(r.trainMse)} V^2 (${ratio(r.initialTrainMse, r.trainMse)})`,
  ];
  if (plan.task.test.length > 0) lines.push(`  test  MSE ${fmt(r.initialTestMse)} -> ${fmt(r.testMse)} V^2 (${ratio(r.initialTestMse, r.testMse)})`);
  if (labels.saveNetwork) lines.push(`  trained network written to ${labels.saveNetwork}`);
  if (run.path) lines.push(`  run recorded in ${run.path}`);
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
function fmt(x: number): string {
  return formatSig(x, 4);
}
function ratio(before: number, after: number): string {
  return formatRatio(before, after);
}

/** `clln train NET.springs.json TASK.strain.json`, as parsed. */
export interface SpringTrainRequest {
  net: SpringNetwork;
  task: StrainTask;
  taskPath: string;
  options: SpringTrainOptions;
  json: boolean;
  /** Record to this file; undefined: a new file in runs/; null: no record. */
  record: string | null | undefined;
  snapshotEvery?: number;
  evalEvery?: number;
  saveNetwork?: string;
}

/** Train the spring network on the engine, recorded unless asked not to, and report. */
export async function trainSprings(req: SpringTrainRequest, io: Io): Promise<number> {
  const recordPath = newRecordPath(req.record);
  if (recordPath) mkdirSync(dirname(recordPath), { recursive: true });
  // spring networks' pipeline loads only for a spring run
  const { openSpringRun } = await import('../../pipeline/springRun.js');
  const run = openSpringRun({ network: req.net, task: req.task, options: req.options, name: `train ${req.taskPath}`, record: recordPath, snapshotEvery: req.snapshotEvery, evalEvery: req.evalEvery });
  return reportSprings(run, { taskPath: req.taskPath, json: req.json, saveNetwork: req.saveNetwork }, io);
}

/**
 * Run a spring run and report (shared with `clln resume`): `--json` prints {kind: "springs", steps, rule, eta, alpha,
 * stiffness, train_mse, initial_train_mse, target_strain, delta, max_residual, evaluations: [{step, train_mse}]};
 * otherwise the strain error before and after. Ctrl-C stops after the current step; a second Ctrl-C aborts (exit 1).
 */
export async function reportSprings(run: SpringRun, labels: { taskPath: string; json: boolean; saveNetwork?: string }, io: Io): Promise<number> {
  const { engine, trainer } = run;
  const plan = engine.plan;
  const net = trainer.net;
  const view = !labels.json && io.stderr.isTTY ? new TrainProgress(io.stderr, plan.steps, `train springs ${trainer.cfg.rule}`, { startDone: plan.startStep }) : undefined;
  // the error shown is computed when the view draws, only while cheap (a free solve per direction; the sparse
  // Cholesky solves depend on the stiffnesses alone, so probing changes no number of the run)
  let probeMs = 0;
  const probe = (): { trainMse?: number } => {
    if (probeMs > 10) return {};
    const t = performance.now();
    const m = { trainMse: trainer.mse() };
    probeMs = performance.now() - t;
    return m;
  };
  if (view) {
    engine.steps$.subscribe((s) => view.step(s.step + 1, s.cost, probe));
    engine.evaluations$.subscribe((e) => view.evaluation(e.trainMse, e.testMse, e.step));
  }
  const release = stopOnInterrupt(engine, io, view !== undefined);
  let r;
  try {
    r = await runSimulated(run);
  } finally {
    release();
    if (r && view && r.state !== 'aborted') view.evaluation(r.trainMse, r.testMse, r.stepsDone);
    view?.finish();
  }
  const recorded = run.path ? `; record ${run.path}` : '';
  if (r.state === 'aborted') {
    io.stderr.write(`clln train: aborted after ${r.stepsDone} steps${recorded}\n`);
    return 1;
  }
  const stiffness = Float64Array.from(r.settings ?? trainer.stiffness);
  if (labels.saveNetwork) writeSpringsFile(labels.saveNetwork, { ...net, stiffness });
  const targetStrains = trainer.targetStrains();
  const { cfg, task } = trainer;
  if (labels.json) {
    io.stdout.write(
      JSON.stringify({
        kind: 'springs',
        steps: r.stepsDone,
        rule: cfg.rule,
        eta: cfg.eta,
        alpha: cfg.alpha,
        stiffness: Array.from(stiffness),
        train_mse: finiteOrNull(r.trainMse),
        initial_train_mse: finiteOrNull(r.initialTrainMse),
        target_strain: Array.from(targetStrains, finiteOrNull),
        delta: task.delta,
        max_residual: finiteOrNull(trainer.maxResidual),
        evaluations: r.evaluations.map((e) => ({ step: e.step, train_mse: finiteOrNull(e.trainMse) })),
      }) + '\n',
    );
    return 0;
  }
  const rate = r.stepsRun / Math.max(r.seconds, 1e-9);
  const ended = r.reason === 'steps' ? '' : ' (stopped early: interrupted)';
  const dirs = task.cooperative ? 'A -> B and B -> A' : 'A -> B';
  const lines = [
    `trained spring network ${net.name} on ${labels.taskPath}: ${r.stepsDone} steps${ended} of rule ${cfg.rule} (eta ${cfg.eta}, alpha ${cfg.alpha}) in ${r.seconds.toFixed(2)} s (${rate.toFixed(0)} steps/s)`,
    `  strain error (eps_T - Delta)^2 ${fmt(r.initialTrainMse)} -> ${fmt(r.trainMse)} (${ratio(r.initialTrainMse, r.trainMse)}); target strain ${Array.from(targetStrains, fmt).join(', ')} (${dirs}), Delta ${fmt(task.delta)}`,
    `  largest solve residual ${fmt(trainer.maxResidual)}`,
  ];
  if (labels.saveNetwork) lines.push(`  trained network written to ${labels.saveNetwork}`);
  if (run.path) lines.push(`  run recorded in ${run.path}`);
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}
