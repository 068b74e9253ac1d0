/**
 * An in-process trainer as a {@link Learner}: each engine step is one step of the trainer (a resistor network's
 * physics Trainer, a spring network's SpringTrainer, ...), so a run on the engine computes exactly what the trainer's
 * own `run` computes, bit for bit. What differs between network kinds — how a trainer's step reads as the engine's
 * {@link StepResult}, how it evaluates, which array holds its learning parameters — is the kind's
 * {@link TrainerLearning} (SimulatedLearner.ts, SpringLearner.ts); the stepping, yielding and settings are here once.
 *
 * Nothing here waits on I/O, so a long run would hold the event loop for its whole length: the learner yields to it
 * (setImmediate) once `yieldEveryMs` milliseconds (performance.now) have passed since it last did, so that Ctrl-C, the
 * dashboard and the record's fsync timer get their turn. Yielding changes no number, only when commands are seen.
 */
import type { EvaluationSink, Learner, LearnerMse } from './Learner.js';
import type { StepResult } from './stepOnBoard.js';

/** What the learner (and the run's record) need of a trainer, whatever network it trains. */
export interface RunTrainer {
  readonly net: { readonly nodes: number };
  /** Steps done so far; the engine's step `s` must find the trainer at `stepCount = s`. */
  stepCount: number;
}

/** The kind-specific half of a trainer's learner. */
export interface TrainerLearning<T extends RunTrainer, S extends StepResult = StepResult> {
  /** Names the learner in messages (e.g. `SimulatedLearner`). */
  readonly learnerName: string;
  /** The trainer's learning parameters, the live array its steps change (conductances, S; stiffnesses; ...). */
  parameters(t: T): Float64Array;
  /** One step of the trainer on the plan's `example`, as the engine's step (`settingsAfter` a copy: the trainer's array changes). */
  step(t: T, s: number, example: number): S;
  /** Train and test MSE with the present parameters. */
  evaluate(t: T): LearnerMse;
}

export interface TrainerLearnerOptions {
  /** Yield to the event loop after this many milliseconds of steps (default 20); 0 yields after every step. */
  yieldEveryMs?: number;
  /** Milliseconds, for the yield interval only (default performance.now). */
  now?: () => number;
}

export class TrainerLearner<T extends RunTrainer, S extends StepResult = StepResult> implements Learner {
  readonly kind = 'simulated' as const;
  private readonly yieldEveryMs: number;
  private readonly now: () => number;
  private lastYield: number;

  constructor(
    readonly learning: TrainerLearning<T, S>,
    readonly trainer: T,
    options: TrainerLearnerOptions = {},
  ) {
    this.yieldEveryMs = options.yieldEveryMs ?? 20;
    this.now = options.now ?? (() => performance.now());
    this.lastYield = this.now();
  }

  async open(): Promise<{ nodes: number }> {
    return { nodes: this.trainer.net.nodes };
  }

  async step(s: number, example: number): Promise<S> {
    const t = this.trainer;
    if (t.stepCount !== s) {
      throw new Error(`${this.learning.learnerName}: step ${s} asked of a trainer at step ${t.stepCount} (the plan's startStep must be the trainer's step count)`);
    }
    await this.maybeYield();
    return this.learning.step(t, s, example);
  }

  async evaluate(_onState: EvaluationSink): Promise<LearnerMse> {
    // the states of an evaluation are not reported (computing them is the evaluation)
    return this.learning.evaluate(this.trainer);
  }

  async finish(onState: EvaluationSink): Promise<{ settings: Float64Array; mse: LearnerMse }> {
    return { settings: Float64Array.from(this.learning.parameters(this.trainer)), mse: await this.evaluate(onState) };
  }

  async safe(): Promise<Float64Array | null> {
    return Float64Array.from(this.learning.parameters(this.trainer));
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
