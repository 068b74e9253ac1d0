/**
 * The in-process simulation of a resistor network as a {@link Learner}: each step is the physics {@link Trainer}'s
 * step (the free state and the rule's contrast states from the sparse solver, then the rule's update), so a run on
 * the engine computes exactly what `Trainer.run` computes: the same solves in the same order (an evaluation before
 * the first step and after the last, none between unless the plan asks for them), hence the same numbers bit for bit.
 * The stepping and yielding are {@link TrainerLearner}'s; here is what a resistor step and evaluation are.
 */
import type { Trainer } from '../physics/Trainer.js';
import type { LearnerMse } from './Learner.js';
import type { StepResult } from './stepOnBoard.js';
import { TrainerLearner, type TrainerLearnerOptions, type TrainerLearning } from './TrainerLearner.js';

/** The learner's options (the same for every trainer kind). */
export type SimulatedLearnerOptions = TrainerLearnerOptions;

/** A resistor network's trainer as the engine's learner: its steps, evaluations and conductances (S). */
export const SIMULATED_LEARNING: TrainerLearning<Trainer> = {
  learnerName: 'SimulatedLearner',
  parameters: (t) => t.conductance,
  step(t: Trainer, s: number, example: number): StepResult {
    const r = t.step();
    if (r.example !== example) {
      throw new Error(`SimulatedLearner: step ${s}: the plan's example ${example} is not the trainer's ${r.example} (order and seed must be the trainer's)`);
    }
    const ex = t.task.train[r.example];
    const vf = r.states.free.voltages;
    return {
      step: s,
      example: r.example,
      update: 'host',
      inputs: Float64Array.from(ex.in),
      desired: Float64Array.from(ex.out),
      vf,
      freeTargets: Float64Array.from(t.task.targets, (n) => vf[n]),
      vc: r.states.contrast[0]?.voltages,
      // the conductances after the update (the simulation's settings are its conductances, S); the trainer's array
      // changes with the next step, so this is a copy
      settingsAfter: Float64Array.from(t.conductance),
      changed: r.changed,
      cost: r.cost,
      imposedFree: new Map(),
      imposedClamped: new Map(),
      attempts: 1,
    };
  },
  evaluate(t: Trainer): LearnerMse {
    // the test set's target voltages are kept for the record (test_outputs)
    const trainMse = t.mse(t.task.train);
    const { mse: testMse, outputs: testOutputs } = testSet(t);
    return { trainMse, testMse, testOutputs };
  },
};

/** The physics Trainer as a Learner (kept by name: the learner of simulated resistor runs). */
export class SimulatedLearner extends TrainerLearner<Trainer> {
  constructor(trainer: Trainer, options: SimulatedLearnerOptions = {}) {
    super(SIMULATED_LEARNING, trainer, options);
  }
}

/**
 * The test set's MSE (V^2, NaN when empty) and each test example's target voltages, from the same states as
 * `Trainer.mse(task.test)` (Trainer.evaluate), so the MSE is that method's to the bit.
 */
function testSet(t: Trainer): { mse: number; outputs: Float64Array[] } {
  return t.evaluate(t.task.test, true);
}
