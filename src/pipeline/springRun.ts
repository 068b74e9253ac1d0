/**
 * A spring-network training run assembled on the engine: the {@link SpringTrainer} behind a {@link SpringLearner},
 * recorded (layout `clln.spring-steps/1`, springRunRecord.ts) unless asked not to, resumable from its record. `clln
 * train NET.springs.json TASK.strain.json` and `clln resume RUN` only parse arguments, call these and render.
 */
import { CllnError } from '../errors.js';
import type { SpringNetwork } from '../physics/springs/SpringNetwork.js';
import { SpringTrainer, type SpringTrainOptions } from '../physics/springs/SpringTrainer.js';
import type { StrainTask } from '../physics/springs/StrainTask.js';
import { RunWriter, type RunWriterOptions } from '../store/RunWriter.js';
import { EvaluationStream } from './evaluationRecord.js';
import type { SimulatedLearnerOptions } from './SimulatedLearner.js';
import { SpringLearner } from './SpringLearner.js';
import { defaultSpringSnapshotEvery, readSpringRun, SpringRunRecorder, springDescriptor, springEngineTask, springStart, STRAIN_EVALUATION_UNITS } from './springRunRecord.js';
import { TrainingEngine, type EngineDeps } from './TrainingEngine.js';
import type { TrainingPlan } from './TrainingPlan.js';

/** What {@link openSpringRun} and {@link resumeSpringRun} return: run it with `runSimulated` (simulatedRun.ts). */
export interface SpringRun {
  engine: TrainingEngine;
  trainer: SpringTrainer;
  /** The run's record, or null when not recorded. */
  writer: RunWriter | null;
  /** The record's path, or null. */
  path: string | null;
}

export interface SpringRunOptions {
  network: SpringNetwork;
  task: StrainTask;
  /** The rule and its options, steps, seed (as SpringTrainer takes them). */
  options: SpringTrainOptions;
  /** Free text naming the run (the record's plan_name); default `train`. */
  name?: string;
  /** Record to this new file (never overwritten), or null for no record. */
  record: string | null;
  /** Evaluate (the strain MSE, recorded) every this many steps; default 0: before the first and after the last only. */
  evalEvery?: number;
  /** Steps between full stiffness snapshots in the record; default {@link defaultSpringSnapshotEvery}. */
  snapshotEvery?: number;
  /** For tests: the writer's options and the learner's. */
  writerOptions?: RunWriterOptions;
  learnerOptions?: SimulatedLearnerOptions;
  /** For tests: the engine's scheduler and clock. */
  engineDeps?: Pick<EngineDeps, 'scheduler' | 'now'>;
}

/** A fresh spring run (its record created, start and descriptor on disk, when `record` is a path). */
export function openSpringRun(o: SpringRunOptions): SpringRun {
  const trainer = new SpringTrainer(o.network, o.task, o.options);
  const cfg = trainer.cfg;
  const plan: TrainingPlan = { name: o.name ?? 'train', task: springEngineTask(o.task), steps: cfg.steps, order: 'sequential', seed: cfg.seed, eta: cfg.eta, ...(o.evalEvery ? { evalEvery: o.evalEvery } : {}) };
  const every = o.snapshotEvery ?? defaultSpringSnapshotEvery(o.network.edgeA.length);
  if (!(Number.isInteger(every) && every >= 1)) throw new CllnError(`openSpringRun: snapshotEvery must be an integer >= 1, got ${every}`);
  const start = springStart(plan, o.network, o.task, cfg, every);
  const writer = o.record === null ? null : RunWriter.create(o.record, start, springDescriptor(o.network.edgeA.length, trainer.directions, start), o.writerOptions);
  const learner = new SpringLearner(trainer, o.learnerOptions);
  const evaluations = writer ? new EvaluationStream(writer, o.evalEvery ?? 0, 0, trainer.directions, [], STRAIN_EVALUATION_UNITS) : undefined;
  const engine = new TrainingEngine(learner, plan, { ...o.engineDeps, ...(writer ? { recorder: new SpringRunRecorder(writer, every, cfg.steps, evaluations) } : {}) });
  return { engine, trainer, writer, path: o.record };
}

/**
 * Continue an interrupted spring run from its record: the trainer rebuilt at the last recorded step (the last
 * snapshot, then the steps after it replayed and checked against their digests), the remaining steps appended to the
 * same file. A torn last line is cut off and that step run again.
 */
export function resumeSpringRun(path: string, o: Pick<SpringRunOptions, 'writerOptions' | 'learnerOptions' | 'engineDeps'> = {}): SpringRun & { startStep: number } {
  const { writer, record } = RunWriter.resume(path, o.writerOptions);
  try {
    const state = readSpringRun(record, { replay: true });
    const trainer = state.trainer!;
    const learner = new SpringLearner(trainer, o.learnerOptions);
    const evaluations = new EvaluationStream(writer, state.plan.evalEvery ?? 0, 0, trainer.directions, record.evaluation?.events, STRAIN_EVALUATION_UNITS);
    const recorder = new SpringRunRecorder(writer, state.snapshotEvery, state.cfg.steps, evaluations);
    const engine = new TrainingEngine(learner, state.plan, { ...o.engineDeps, recorder });
    return { engine, trainer, writer, path, startStep: state.stepsDone };
  } catch (e) {
    void writer.close();
    throw e;
  }
}
