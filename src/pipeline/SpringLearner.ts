/**
 * A spring network's training as a {@link Learner}: each step is the {@link SpringTrainer}'s step (the free and
 * clamped states, or the free and adjoint states, of every direction of the strain task, then the rule's update), so
 * a run on the engine computes exactly what `SpringTrainer.run` computes, bit for bit.
 *
 * The engine's vocabulary is a resistor task's; here a step's "example" is always 0 (one pass over the directions,
 * springRunRecord.ts's stand-in task), `vf` and `freeTargets` are eps_T^F per direction before the update
 * (dimensionless strains, not volts), `desired` is Delta per direction, `inputs` is eps_S, `settingsAfter` the
 * stiffnesses after the update, and there is no clamped reading (`vc`). The step also carries `springs` (target
 * strains and the solves' residual) for the record. Like SimulatedLearner, it yields to the event loop every
 * `yieldEveryMs` so that Ctrl-C and the record's fsync timer get their turn.
 */
import type { SpringTrainer } from '../physics/springs/SpringTrainer.js';
import type { EvaluationSink, Learner, LearnerMse } from './Learner.js';
import type { SimulatedLearnerOptions } from './SimulatedLearner.js';
import type { SpringStepExtras } from './springRunRecord.js';
import type { StepResult } from './stepOnBoard.js';

/** A spring step as the learner returns it: the engine's step plus what the spring record keeps. */
export type SpringStepResult = StepResult & { springs: SpringStepExtras };

export class SpringLearner implements Learner {
  readonly kind = 'simulated' as const;
  private readonly yieldEveryMs: number;
  private readonly now: () => number;
  private lastYield: number;

  constructor(
    readonly trainer: SpringTrainer,
    options: SimulatedLearnerOptions = {},
  ) {
    this.yieldEveryMs = options.yieldEveryMs ?? 20;
    this.now = options.now ?? (() => performance.now());
    this.lastYield = this.now();
  }

  async open(): Promise<{ nodes: number }> {
    return { nodes: this.trainer.net.nodes };
  }

  async step(s: number, example: number): Promise<SpringStepResult> {
    const t = this.trainer;
    if (t.stepCount !== s) throw new Error(`SpringLearner: step ${s} asked of a trainer at step ${t.stepCount} (the plan's startStep must be the trainer's step count)`);
    if (example !== 0) throw new Error(`SpringLearner: step ${s} asked for example ${example}; a spring step takes every direction (example 0)`);
    await this.maybeYield();
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
  }

  async evaluate(_onState: EvaluationSink): Promise<LearnerMse> {
    // no test set: a strain task is one input and one response per direction
    return { trainMse: this.trainer.mse(), testMse: NaN, testOutputs: [] };
  }

  async finish(onState: EvaluationSink): Promise<{ settings: Float64Array; mse: LearnerMse }> {
    return { settings: Float64Array.from(this.trainer.stiffness), mse: await this.evaluate(onState) };
  }

  async safe(): Promise<Float64Array | null> {
    return Float64Array.from(this.trainer.stiffness);
  }

  private maybeYield(): Promise<void> | undefined {
    const t = this.now();
    if (t - this.lastYield < this.yieldEveryMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        this.lastYield = this.now();
        resolve();
      }),
    );
  }
}
