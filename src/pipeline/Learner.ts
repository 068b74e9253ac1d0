/**
 * The seam between the training engine and what learns: the engine (runControl, streams, recording, checks) drives a
 * Learner one operation at a time and never looks inside. Two implementations: {@link BoardLearner} (a Board over any
 * link: the measured free and clamped states and the update, redone on link trouble) and {@link TrainerLearner}
 * (an in-process trainer's step: the physics Trainer's, a SpringTrainer's, ...).
 */
import type { StepResult } from './stepOnBoard.js';

/** Train and test MSE after some steps, V^2 per target output (NaN for an empty set). */
export interface LearnerMse {
  trainMse: number;
  testMse: number;
  /**
   * The free-state voltages of the task's targets for each test example, in task order (V; calibrated volts when the
   * MSEs are): what the run record's evaluation stream keeps as `test_outputs`. Empty without test examples.
   */
  testOutputs?: Float64Array[];
}

/** Called with each example's free-state voltages that an evaluation measured or computed. */
export type EvaluationSink = (set: 'train' | 'test', index: number, voltages: Float64Array) => void;

export interface Learner {
  /** What is learning (for messages): a board or the simulation. */
  readonly kind: 'board' | 'simulated';
  /**
   * Before anything else: identify and check (a board: its identity and the task's node roles on it). Returns the
   * number of nodes, so that the engine knows when a step's readings cover every node.
   */
  open(): Promise<{ nodes: number }>;
  /** One learning step `s` on training example `example` (its free and clamped states and the update). */
  step(s: number, example: number): Promise<StepResult>;
  /** Train and test MSE with the present settings (`onState` sees every free state computed or measured). */
  evaluate(onState: EvaluationSink): Promise<LearnerMse>;
  /** The end of a run that stopped: clamps released (a board), the settings read, the final MSEs. */
  finish(onState: EvaluationSink): Promise<{ settings: Float64Array; mse: LearnerMse }>;
  /** After an abort or failure: leave the learner safe; the settings if they can still be read, else null. */
  safe(): Promise<Float64Array | null>;
}

/** A Board or a Learner: what {@link TrainingEngine} accepts. A Board has no `open` or `evaluate`. */
export function isLearner(x: object): x is Learner {
  return typeof (x as Partial<Learner>).open === 'function' && typeof (x as Partial<Learner>).evaluate === 'function';
}
