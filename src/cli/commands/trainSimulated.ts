/**
 * `clln train` of an in-process trainer and `clln resume` of its record, for every network kind at once: open or
 * resume the run (pipeline/trainerRun.ts), draw the progress, run it with Ctrl-C handled, and report. What a kind's
 * report says (its progress label, the MSE probe, the network file it saves, its `--json` object and text lines) is
 * its {@link TrainReport}; {@link SIMULATED_CLI} (resistor networks) and {@link SPRING_CLI} (spring networks) pair a
 * report with the pipeline's run kind.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeNetworkFile } from '../../formats/networkFile.js';
import { isNonlinear, withParameters } from '../../physics/nonlinear/learningParameters.js';
import type { Trainer } from '../../physics/Trainer.js';
import { evaluationsJson } from '../../pipeline/evaluationRecord.js';
import { SIMULATED_RUN } from '../../pipeline/simulatedRun.js';
import { SIMULATED_LEARNING } from '../../pipeline/SimulatedLearner.js';
import { SPRING_LEARNING } from '../../pipeline/SpringLearner.js';
import { openTrainerRun, resumeTrainerRun, runSimulated, type TrainerRun, type TrainerRunKind } from '../../pipeline/trainerRun.js';
import { hasRecordedOptions, type KindTypes } from '../../pipeline/trainerRunRecord.js';
import type { StepResult } from '../../pipeline/stepOnBoard.js';
import type { RunSummary } from '../../pipeline/TrainingEngine.js';
import type { TrainingPlan } from '../../pipeline/TrainingPlan.js';
import type { StartDoc } from '../../store/documents.js';
import { TrainProgress } from '../trainProgress.js';
import { stopOnInterrupt } from '../stopOnInterrupt.js';
import type { Io } from '../Io.js';
import { newRecordPath } from '../../pipeline/newRunPath.js';
import { formatRatio, formatSig } from '../../formatNumber.js';
import { writeSpringsFile } from '../../formats/springsFile.js';
import type { SpringTrainer } from '../../physics/springs/SpringTrainer.js';
import { SPRING_RUN } from '../../pipeline/springRun.js';

/** `clln train NETWORK TASK` without --board, as parsed, for a network kind's network, task and trainer options. */
export interface TrainRequest<N, K, O> {
  net: N;
  task: K;
  taskPath: string;
  options: O;
  json: boolean;
  /** Record to this file; undefined: a new file in runs/; null: no record. */
  record: string | null | undefined;
  snapshotEvery?: number;
  /** Evaluate (the MSEs, recorded) every N steps; default 0: before the first and after the last only. */
  evalEvery?: number;
  saveNetwork?: string;
}

/** How the report is labelled: the task file named, `--json`, where to save the trained network. */
export interface ReportLabels {
  taskPath: string;
  json: boolean;
  saveNetwork?: string;
}

/** What a network kind's report says. */
export interface TrainReport<T> {
  /** The trainer's learning parameters (its learner's: TrainerLearning.parameters). */
  parameters(t: T): Float64Array;
  /** The progress view's label. */
  progressLabel(t: T): string;
  /** Can the view's MSE probe run without changing the run (its solves independent of earlier ones)? */
  probeIsExact(t: T): boolean;
  /** The MSEs the view shows between evaluations. */
  probe(t: T, plan: TrainingPlan): { trainMse?: number; testMse?: number };
  /** The trained network written to `path` (`settings`: the final parameters). */
  saveNetwork(path: string, t: T, settings: Float64Array): void;
  /** The `--json` object. */
  json(r: RunSummary, t: T, settings: Float64Array): object;
  /** What ran, for the first line: the network and the rule (`lattice-4x4 ... of rule cl`). */
  headline(t: T): { network: string; rule: string };
  /** The result lines after the first. */
  resultLines(r: RunSummary, t: T, plan: TrainingPlan): string[];
}

/**
 * Run a run and report as `clln train` does (shared with `clln resume`): `--json` prints the kind's object; otherwise
 * what ran, the MSEs before and after, and where the run is recorded. Ctrl-C stops after the current step (final MSE
 * as usual); a second Ctrl-C aborts (exit 1, no final result; the record says so).
 */
export async function reportTrainerRun<T>(report: TrainReport<T>, run: TrainerRun<T>, labels: ReportLabels, io: Io): Promise<number> {
  const { engine, trainer } = run;
  const plan = engine.plan;
  const view = !labels.json && io.stderr.isTTY ? new TrainProgress(io.stderr, plan.steps, report.progressLabel(trainer), { startDone: plan.startStep }) : undefined;
  // The MSEs shown are computed when the view draws, and only where that is cheap (10 ms) and cannot change the run
  // (e.g. a resistor network's CG solver warm-starts from earlier solves; a direct solver depends on the parameters alone).
  let probeMs = 0;
  const exact = report.probeIsExact(trainer);
  const probe = (): { trainMse?: number; testMse?: number } => {
    if (!exact || probeMs > 10) return {};
    const t = performance.now();
    const m = report.probe(trainer, plan);
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
  const settings = Float64Array.from(r.settings ?? report.parameters(trainer));
  if (labels.saveNetwork) report.saveNetwork(labels.saveNetwork, trainer, settings);
  if (labels.json) {
    io.stdout.write(JSON.stringify(report.json(r, trainer, settings)) + '\n');
    return 0;
  }
  const rate = r.stepsRun / Math.max(r.seconds, 1e-9);
  const ended = r.reason === 'steps' ? '' : ' (stopped early: interrupted)';
  const { network, rule } = report.headline(trainer);
  const lines = [`trained ${network} on ${labels.taskPath}: ${r.stepsDone} steps${ended} of rule ${rule} in ${r.seconds.toFixed(2)} s (${rate.toFixed(0)} steps/s)`, ...report.resultLines(r, trainer, plan)];
  if (labels.saveNetwork) lines.push(`  trained network written to ${labels.saveNetwork}`);
  if (run.path) lines.push(`  run recorded in ${run.path}`);
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** A resistor network's report: MSEs in V^2 (test MSE when the task has a test set), `conductance` in --json. */
export const SIMULATED_REPORT: TrainReport<Trainer> = {
  parameters: SIMULATED_LEARNING.parameters,
  progressLabel: (t) => `train ${t.cfg.rule}`,
  probeIsExact: (t) => t.solver.system.analysis.method === 'cholesky',
  probe: (t, plan) => ({ trainMse: t.mse(plan.task.train), testMse: t.mse(plan.task.test) }),
  saveNetwork: (path, t, k) => writeNetworkFile(path, isNonlinear(t.net) ? withParameters(t.net, k) : { ...t.net, conductance: k }),
  // {steps, conductance, train_mse, test_mse, evaluations: [{step, train_mse, test_mse}]}
  json: (r, _t, k) => ({ steps: r.stepsDone, conductance: Array.from(k), train_mse: finiteOrNull(r.trainMse), test_mse: finiteOrNull(r.testMse), evaluations: evaluationsJson(r.evaluations) }),
  headline: (t) => ({ network: t.net.name, rule: t.cfg.rule }),
  resultLines(r, _t, plan) {
    const lines = [`  train MSE ${fmt(r.initialTrainMse)} -> ${fmt(r.trainMse)} V^2 (${ratio(r.initialTrainMse, r.trainMse)})`];
    if (plan.task.test.length > 0) lines.push(`  test  MSE ${fmt(r.initialTestMse)} -> ${fmt(r.testMse)} V^2 (${ratio(r.initialTestMse, r.testMse)})`);
    return lines;
  },
};

/**
 * A spring network's report: the strain error (strain^2) before and after, the target strains and the largest solve
 * residual; --json {kind: "springs", steps, rule, eta, alpha, stiffness, train_mse, initial_train_mse, target_strain,
 * delta, max_residual, evaluations: [{step, train_mse}]}. The probe is a free solve per direction (the sparse Cholesky
 * solves depend on the stiffnesses alone, so probing changes no number of the run).
 */
export const SPRING_REPORT: TrainReport<SpringTrainer> = {
  parameters: SPRING_LEARNING.parameters,
  progressLabel: (t) => `train springs ${t.cfg.rule}`,
  probeIsExact: () => true,
  probe: (t) => ({ trainMse: t.mse() }),
  saveNetwork: (path, t, stiffness) => writeSpringsFile(path, { ...t.net, stiffness }),
  json(r, t, stiffness) {
    // the target strains after the run (their solves also count in the largest residual)
    const targetStrains = t.targetStrains();
    const { cfg, task } = t;
    return {
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
      max_residual: finiteOrNull(t.maxResidual),
      evaluations: r.evaluations.map((e) => ({ step: e.step, train_mse: finiteOrNull(e.trainMse) })),
    };
  },
  headline: (t) => ({ network: `spring network ${t.net.name}`, rule: `${t.cfg.rule} (eta ${t.cfg.eta}, alpha ${t.cfg.alpha})` }),
  resultLines(r, t) {
    const targetStrains = t.targetStrains();
    const dirs = t.task.cooperative ? 'A -> B and B -> A' : 'A -> B';
    return [
      `  strain error (eps_T - Delta)^2 ${fmt(r.initialTrainMse)} -> ${fmt(r.trainMse)} (${ratio(r.initialTrainMse, r.trainMse)}); target strain ${Array.from(targetStrains, fmt).join(', ')} (${dirs}), Delta ${fmt(t.task.delta)}`,
      `  largest solve residual ${fmt(t.maxResidual)}`,
    ];
  },
};

/** A network kind as the CLI runs it: tell its records, train it, resume it. */
export interface CliTrainerKind<N, K, O> {
  /** Is `start` the start document of a run of this kind? */
  isRun(start: StartDoc): boolean;
  /** `clln train` (recorded unless asked not to), reported. */
  train(req: TrainRequest<N, K, O>, io: Io): Promise<number>;
  /** `clln resume RUN` of a record of this kind, reported as `clln train`. */
  resume(path: string, json: boolean, io: Io): Promise<number>;
}

/** The CLI's half of a network kind: the pipeline's run kind with its report. */
export function cliTrainerKind<X extends KindTypes, S extends StepResult>(kind: TrainerRunKind<X, S>, report: TrainReport<X['trainer']>): CliTrainerKind<X['network'], X['task'], X['options']> {
  return {
    isRun: (start) => hasRecordedOptions(start, kind.optionsKey),
    async train(req, io) {
      const recordPath = newRecordPath(req.record);
      if (recordPath) mkdirSync(dirname(recordPath), { recursive: true });
      const run = openTrainerRun(kind, { network: req.net, task: req.task, options: req.options, name: `train ${req.taskPath}`, record: recordPath, snapshotEvery: req.snapshotEvery, evalEvery: req.evalEvery });
      return reportTrainerRun(report, run, { taskPath: req.taskPath, json: req.json, saveNetwork: req.saveNetwork }, io);
    },
    resume(path, json, io) {
      const run = resumeTrainerRun(kind, path);
      if (!json) io.stderr.write(`clln resume: ${path}: continuing at step ${run.startStep} of ${run.engine.plan.steps}\n`);
      return reportTrainerRun(report, run, { taskPath: `${path} (task)`, json }, io);
    },
  };
}

/** Resistor networks (`clln train NETWORK TASK`, layout clln.sim-steps/1). */
export const SIMULATED_CLI = cliTrainerKind(SIMULATED_RUN, SIMULATED_REPORT);
/** Spring networks (`clln train NET.springs.json TASK.strain.json`, layout clln.spring-steps/1). */
export const SPRING_CLI = cliTrainerKind(SPRING_RUN, SPRING_REPORT);
/** Every in-process kind, as `clln resume` tells a record's kind. */
export const TRAINER_CLI_KINDS: readonly Pick<CliTrainerKind<unknown, unknown, unknown>, 'isRun' | 'resume'>[] = [SPRING_CLI, SIMULATED_CLI];

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
function fmt(x: number): string {
  return formatSig(x, 4);
}
function ratio(before: number, after: number): string {
  return formatRatio(before, after);
}
