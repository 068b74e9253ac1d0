/**
 * A spring network's training as a {@link Learner}: each step is the {@link SpringTrainer}'s step (the free and
 * clamped states, or the free and adjoint states, of every direction of the strain task, then the rule's update), so
 * a run on the engine computes exactly what `SpringTrainer.run` computes, bit for bit. The stepping and yielding are
 * {@link TrainerLearner}'s; here is what a spring step and evaluation are.
 *
 * The engine's vocabulary is a resistor task's; here a step's "example" is always 0 (one pass over the directions,
 * springRunRecord.ts's stand-in task), `vf` and `freeTargets` are eps_T^F per direction before the update
 * (dimensionless strains, not volts), `desired` is Delta per direction, `inputs` is eps_S, `settingsAfter` the
 * stiffnesses after the update, and there is no clamped reading (`vc`). The step also carries `springs` (target
 * strains and the solves' residual) for the record.
 */
import type { SpringTrainer } from '../physics/springs/SpringTrainer.js';
import type { SimulatedLearnerOptions } from './SimulatedLearner.js';
import type { StepResult } from './stepOnBoard.js';
import { TrainerLearner, type TrainerLearning } from './TrainerLearner.js';

/** What the spring learner adds to a step for the recorder (springRunRecord.ts). */
export interface SpringStepExtras {
  /** eps_T^F per direction before the update. */
  targetStrains: Float64Array;
  /** Largest relative residual of the step's solves. */
  residual: number;
}

/** A spring step as the learner returns it: the engine's step plus what the spring record keeps. */
export type SpringStepResult = StepResult & { springs: SpringStepExtras };

/** A spring network's trainer as the engine's learner: its steps, evaluations (strain^2) and stiffnesses. */
export const SPRING_LEARNING: TrainerLearning<SpringTrainer, SpringStepResult> = {
  learnerName: 'SpringLearner',
  parameters: (t) => t.stiffness,
  step(t: SpringTrainer, s: number, example: number): SpringStepResult {
    if (example !== 0) throw new Error(`SpringLearner: step ${s} asked for example ${example}; a spring step takes every direction (example 0)`);
    const r = t.step();
    const task = t.task;
    return {
      step: s,
      example: 0,
      update: 'host',
      inputs: Float64Array.of(task.sourceStrain),
      desired: new Float64Array(r.targetStrains.length).fill(task.delta),
      vf: r.targetStrains,
      freeTargets: r.targetStrains,
      // the stiffnesses after the update; the trainer's array changes with the next step, so this is a copy
      settingsAfter: Float64Array.from(t.stiffness),
      changed: r.changed,
      cost: r.cost,
      imposedFree: new Map(),
      imposedClamped: new Map(),
      attempts: 1,
      springs: { targetStrains: r.targetStrains, residual: r.residual },
    };
  },
  // no test set: a strain task is one input and one response per direction
  evaluate: (t) => ({ trainMse: t.mse(), testMse: NaN, testOutputs: [] }),
};

/** The SpringTrainer as a Learner. */
export class SpringLearner extends TrainerLearner<SpringTrainer, SpringStepResult> {
  constructor(trainer: SpringTrainer, options: SimulatedLearnerOptions = {}) {
    super(SPRING_LEARNING, trainer, options);
  }
}
