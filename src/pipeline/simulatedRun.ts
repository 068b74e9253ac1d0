/**
 * A simulated training run assembled on the engine: the physics Trainer behind a {@link SimulatedLearner}, recorded
 * (layout `clln.sim-steps/1`, simRunRecord.ts) unless asked not to, resumable from its record. `clln train NETWORK
 * TASK` and `clln resume RUN` only parse arguments, call these and render the summary.
 */
import { CllnError } from '../errors.js';
import type { Network } from '../physics/Network.js';
import type { Task } from '../physics/Task.js';
import { Trainer, type TrainOptions } from '../physics/Trainer.js';
import type { RunRecord } from '../store/documents.js';
import { RunWriter, type RunWriterOptions } from '../store/RunWriter.js';
import { SimulatedLearner, type SimulatedLearnerOptions } from './SimulatedLearner.js';
import { EvaluationStream } from './evaluationRecord.js';
import { defaultSnapshotEvery, readSimulatedRun, SimRunRecorder, simulatedDescriptor, simulatedStart } from './simRunRecord.js';
import { TrainingEngine, type EngineDeps, type RunSummary } from './TrainingEngine.js';
import type { TrainingPlan } from './TrainingPlan.js';

/** What {@link openSimulatedRun} and {@link resumeSimulatedRun} return: run it with {@link runSimulated}. */
export interface SimulatedRun {
  engine: TrainingEngine;
  trainer: Trainer;
  /** The run's record, or null when not recorded. */
  writer: RunWriter | null;
  /** The record's path, or null. */
  path: string | null;
}

export interface SimulatedRunOptions {
  network: Network;
  task: Task;
  /** The rule and its options, steps, order, seed, solver (as `Trainer` takes them). */
  options: TrainOptions;
  /** Free text naming the run (the record's plan_name); default `train`. */
  name?: string;
  /** Record to this new file (never overwritten), or null for no record. */
  record: string | null;
  /** Evaluate (train and test MSE, recorded) every this many steps; default 0: before the first and after the last only. */
  evalEvery?: number;
  /** Steps between full conductance snapshots in the record; default {@link defaultSnapshotEvery}. */
  snapshotEvery?: number;
  /** For tests: the writer's options and the learner's. */
  writerOptions?: RunWriterOptions;
  learnerOptions?: SimulatedLearnerOptions;
  /** For tests: the engine's scheduler and clock. */
  engineDeps?: Pick<EngineDeps, 'scheduler' | 'now'>;
}

/** A fresh simulated run (its record created, start and descriptor on disk, when `record` is a path). */
export function openSimulatedRun(o: SimulatedRunOptions): SimulatedRun {
  const trainer = new Trainer(o.network, o.task, o.options);
  const cfg = trainer.cfg;
  const plan: TrainingPlan = { name: o.name ?? 'train', task: o.task, steps: cfg.steps, order: cfg.order, seed: cfg.seed, ...(o.evalEvery ? { evalEvery: o.evalEvery } : {}) };
  const every = o.snapshotEvery ?? defaultSnapshotEvery(o.network.edgeA.length);
  if (!(Number.isInteger(every) && every >= 1)) throw new CllnError(`openSimulatedRun: snapshotEvery must be an integer >= 1, got ${every}`);
  const start = simulatedStart(plan, o.network, cfg, every);
  const writer = o.record === null ? null : RunWriter.create(o.record, start, simulatedDescriptor(o.network.edgeA.length, start), o.writerOptions);
  const learner = new SimulatedLearner(trainer, o.learnerOptions);
  const evaluations = writer ? new EvaluationStream(writer, o.evalEvery ?? 0, o.task.test.length, o.task.targets.length) : undefined;
  const engine = new TrainingEngine(learner, plan, { ...o.engineDeps, ...(writer ? { recorder: new SimRunRecorder(writer, every, cfg.steps, evaluations) } : {}) });
  return { engine, trainer, writer, path: o.record };
}

/**
 * Continue an interrupted simulated run from its record: the trainer rebuilt at the last recorded step (the last
 * snapshot, then the steps after it replayed and checked against their digests), the remaining steps appended to the
 * same file. The step being written when the process died (a torn last line) is cut off and run again.
 */
export function resumeSimulatedRun(path: string, o: Pick<SimulatedRunOptions, 'writerOptions' | 'learnerOptions' | 'engineDeps'> = {}): SimulatedRun & { startStep: number } {
  const { writer, record } = RunWriter.resume(path, o.writerOptions);
  try {
    const state = readSimulatedRun(record, { replay: true });
    const trainer = state.trainer!;
    const learner = new SimulatedLearner(trainer, o.learnerOptions);
    const evaluations = new EvaluationStream(writer, state.plan.evalEvery ?? 0, state.task.test.length, state.task.targets.length, record.evaluation?.events);
    const recorder = new SimRunRecorder(writer, state.snapshotEvery, state.cfg.steps, evaluations);
    const engine = new TrainingEngine(learner, state.plan, { ...o.engineDeps, recorder });
    return { engine, trainer, writer, path, startStep: state.stepsDone };
  } catch (e) {
    void writer.close();
    throw e;
  }
}

/**
 * Run it: the engine to its end, then the record's stop document (success, abort, or fail with the error's message).
 * Resolves with the engine's summary. Spring runs (springRun.ts) are run by the same function.
 */
export async function runSimulated(run: Pick<SimulatedRun, 'engine' | 'writer'>): Promise<RunSummary> {
  let r: RunSummary;
  try {
    r = await run.engine.run();
  } catch (e) {
    if (run.writer) await run.writer.stop('fail', e instanceof Error ? e.message : String(e));
    throw e;
  }
  if (run.writer) await run.writer.stop(r.state === 'aborted' ? 'abort' : 'success', r.reason);
  return r;
}

/** The conductance snapshots of a simulated run, and its final conductances (replayed when not a snapshot). */
export function simulatedRunConductances(run: RunRecord): ReturnType<typeof readSimulatedRun> & { final: Float64Array } {
  const last = run.events.length;
  const peek = readSimulatedRun(run, { replay: false });
  const snap = peek.snapshots[peek.snapshots.length - 1];
  if (snap && snap.step === last) return { ...peek, final: snap.conductance };
  const full = readSimulatedRun(run, { replay: true });
  return { ...full, final: Float64Array.from(full.trainer!.conductance) };
}
