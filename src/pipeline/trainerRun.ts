/**
 * An in-process training run assembled on the engine, whatever network it trains: the kind's trainer behind a
 * {@link TrainerLearner}, recorded (trainerRunRecord.ts, in the kind's layout) unless asked not to, resumable from its
 * record. A network kind is a {@link TrainerRunKind}: its record (TrainerRecordKind), its learner (TrainerLearning)
 * and what its evaluations hold; simulatedRun.ts (resistor networks) and springRun.ts (spring networks) each define
 * one and name its functions. `clln train` and `clln resume` only parse arguments, call these and render the summary.
 */
import { CllnError } from '../errors.js';
import { RunWriter, type RunWriterOptions } from '../store/RunWriter.js';
import type { EventDoc } from '../store/documents.js';
import { EvaluationStream, type EvaluationUnits } from './evaluationRecord.js';
import type { StepResult } from './stepOnBoard.js';
import { TrainerLearner, type TrainerLearnerOptions, type TrainerLearning } from './TrainerLearner.js';
import { defaultSnapshotEvery, readTrainerRun, TrainerRunRecorder, trainerPlan, trainerStart, type KindTypes, type TrainerRecordKind } from './trainerRunRecord.js';
import { TrainingEngine, type EngineDeps, type RunSummary } from './TrainingEngine.js';

/** One network kind's run: how it is recorded and read, how its trainer steps, and its evaluation stream's shape. */
export interface TrainerRunKind<X extends KindTypes, S extends StepResult = StepResult> extends TrainerRecordKind<X>, TrainerLearning<X['trainer'], S> {
  /** Names the opening function in messages (e.g. `openSimulatedRun`). */
  readonly openName: string;
  /** The evaluation stream's test examples and targets per example (evaluationRecord.ts). */
  evaluationShape(t: X['trainer']): { testExamples: number; targets: number };
  /** Units of the evaluation stream's MSEs and outputs. */
  readonly evaluationUnits: EvaluationUnits;
}

/** What {@link openTrainerRun} and {@link resumeTrainerRun} return: run it with {@link runSimulated}. */
export interface TrainerRun<T> {
  engine: TrainingEngine;
  trainer: T;
  /** The run's record, or null when not recorded. */
  writer: RunWriter | null;
  /** The record's path, or null. */
  path: string | null;
}

/** A fresh run's options (the network, task and trainer options of its kind). */
export interface TrainerRunOptions<N, K, O> {
  network: N;
  task: K;
  /** The rule and its options, steps, seed, ... (as the kind's trainer takes them). */
  options: O;
  /** Free text naming the run (the record's plan_name); default `train`. */
  name?: string;
  /** Record to this new file (never overwritten), or null for no record. */
  record: string | null;
  /** Evaluate (the MSEs, recorded) every this many steps; default 0: before the first and after the last only. */
  evalEvery?: number;
  /** Steps between full parameter snapshots in the record; default {@link defaultSnapshotEvery}. */
  snapshotEvery?: number;
  /** For tests: the writer's options and the learner's. */
  writerOptions?: RunWriterOptions;
  learnerOptions?: TrainerLearnerOptions;
  /** For tests: the engine's scheduler and clock. */
  engineDeps?: Pick<EngineDeps, 'scheduler' | 'now'>;
}

/** What a resume takes: the test hooks of a fresh run. */
export type TrainerResumeOptions = Pick<TrainerRunOptions<unknown, unknown, unknown>, 'writerOptions' | 'learnerOptions' | 'engineDeps'>;

/** A fresh run (its record created, start and descriptor on disk, when `record` is a path). */
export function openTrainerRun<X extends KindTypes, S extends StepResult>(kind: TrainerRunKind<X, S>, o: TrainerRunOptions<X['network'], X['task'], X['options']>): TrainerRun<X['trainer']> {
  const trainer = kind.trainer(o.network, o.task, o.options);
  const cfg = trainer.cfg as X['config'];
  const plan = trainerPlan(kind, o.name ?? 'train', o.task, cfg, o.evalEvery);
  const every = o.snapshotEvery ?? defaultSnapshotEvery(o.network.edgeA.length);
  if (!(Number.isInteger(every) && every >= 1)) throw new CllnError(`${kind.openName}: snapshotEvery must be an integer >= 1, got ${every}`);
  const start = trainerStart(kind, plan, o.network, o.task, cfg, every);
  const writer = o.record === null ? null : RunWriter.create(o.record, start, kind.descriptor(trainer, start), o.writerOptions);
  const learner = new TrainerLearner(kind, trainer, o.learnerOptions);
  const evaluations = writer ? evaluationStream(kind, writer, o.evalEvery ?? 0, trainer) : undefined;
  const engine = new TrainingEngine(learner, plan, { ...o.engineDeps, ...(writer ? { recorder: new TrainerRunRecorder(kind, writer, every, cfg.steps, evaluations) } : {}) });
  return { engine, trainer, writer, path: o.record };
}

/**
 * Continue an interrupted run from its record: the trainer rebuilt at the last recorded step (the last snapshot,
 * then the steps after it replayed and checked against their events), the remaining steps appended to the same file.
 * The step being written when the process died (a torn last line) is cut off and run again.
 */
export function resumeTrainerRun<X extends KindTypes, S extends StepResult>(kind: TrainerRunKind<X, S>, path: string, o: TrainerResumeOptions = {}): TrainerRun<X['trainer']> & { startStep: number } {
  const { writer, record } = RunWriter.resume(path, o.writerOptions);
  try {
    const state = readTrainerRun(kind, record, { replay: true });
    const trainer = state.trainer!;
    const learner = new TrainerLearner(kind, trainer, o.learnerOptions);
    const evaluations = evaluationStream(kind, writer, state.plan.evalEvery ?? 0, trainer, record.evaluation?.events);
    const recorder = new TrainerRunRecorder(kind, writer, state.snapshotEvery, state.cfg.steps, evaluations);
    const engine = new TrainingEngine(learner, state.plan, { ...o.engineDeps, recorder });
    return { engine, trainer, writer, path, startStep: state.stepsDone };
  } catch (e) {
    void writer.close();
    throw e;
  }
}

function evaluationStream<X extends KindTypes, S extends StepResult>(kind: TrainerRunKind<X, S>, writer: RunWriter, evalEvery: number, trainer: X['trainer'], recorded?: EventDoc[]): EvaluationStream {
  const { testExamples, targets } = kind.evaluationShape(trainer);
  return new EvaluationStream(writer, evalEvery, testExamples, targets, recorded, kind.evaluationUnits);
}

/**
 * Run it: the engine to its end, then the record's stop document (success, abort, or fail with the error's message).
 * Resolves with the engine's summary. Every kind's runs are run by this function.
 */
export async function runSimulated(run: Pick<TrainerRun<unknown>, 'engine' | 'writer'>): Promise<RunSummary> {
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
