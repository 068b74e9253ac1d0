/**
 * The in-process simulation as a {@link Learner}: each step is the physics {@link Trainer}'s step (the free state and
 * the rule's contrast states from the sparse solver, then the rule's update), so a run on the engine computes exactly
 * what `Trainer.run` computes: the same solves in the same order (an evaluation before the first step and after the
 * last, none between unless the plan asks for them), hence the same numbers bit for bit.
 *
 * Nothing here waits on I/O, so a long run would hold the event loop for its whole length: the learner yields to it
 * (setImmediate) once `yieldEveryMs` milliseconds (performance.now) have passed since it last did, so that Ctrl-C, the dashboard
 * and the record's fsync timer get their turn. Yielding changes no number, only when commands are seen.
 */
import { squaredError } from '../physics/cost.js';
import type { Trainer } from '../physics/Trainer.js';
import type { EvaluationSink, Learner, LearnerMse } from './Learner.js';
import type { StepResult } from './stepOnBoard.js';

export interface SimulatedLearnerOptions {
  /** Yield to the event loop after this many milliseconds of steps (default 20); 0 yields after every step. */
  yieldEveryMs?: number;
  /** Milliseconds, for the yield interval only (default performance.now). */
  now?: () => number;
}

export class SimulatedLearner implements Learner {
  readonly kind = 'simulated' as const;
  private readonly yieldEveryMs: number;
  private readonly now: () => number;
  private lastYield: number;

  constructor(
    readonly trainer: Trainer,
    options: SimulatedLearnerOptions = {},
  ) {
    this.yieldEveryMs = options.yieldEveryMs ?? 20;
    this.now = options.now ?? (() => performance.now());
    this.lastYield = this.now();
  }

  async open(): Promise<{ nodes: number }> {
    return { nodes: this.trainer.net.nodes };
  }

  async step(s: number, example: number): Promise<StepResult> {
    const t = this.trainer;
    if (t.stepCount !== s) {
      throw new Error(`SimulatedLearner: step ${s} asked of a trainer at step ${t.stepCount} (the plan's startStep must be the trainer's step count)`);
    }
    await this.maybeYield();
    const r = t.step();
    if (r.example !== example) {
      throw new Error(`SimulatedLearner: step ${s}: the plan's example ${example} is not the trainer's ${r.example} (order and seed must be the trainer's)`);
    }
    const task = t.task;
    const ex = task.train[r.example];
    const vf = r.states.free.voltages;
    return {
      step: s,
      example: r.example,
      update: 'host',
      inputs: Float64Array.from(ex.in),
      desired: Float64Array.from(ex.out),
      vf,
      freeTargets: Float64Array.from(task.targets, (n) => vf[n]),
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
  }

  async evaluate(_onState: EvaluationSink): Promise<LearnerMse> {
    // the states of an evaluation are not reported (computing them is the evaluation); the test set's target
    // voltages are kept for the record (test_outputs)
    const t = this.trainer;
    const trainMse = t.mse(t.task.train);
    const { mse: testMse, outputs: testOutputs } = testSet(t);
    return { trainMse, testMse, testOutputs };
  }

  async finish(onState: EvaluationSink): Promise<{ settings: Float64Array; mse: LearnerMse }> {
    return { settings: Float64Array.from(this.trainer.conductance), mse: await this.evaluate(onState) };
  }

  async safe(): Promise<Float64Array | null> {
    return Float64Array.from(this.trainer.conductance);
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

/**
 * The test set's MSE (V^2, NaN when empty) and each test example's target voltages, from the same solves in the same
 * order as `Trainer.mse(task.test)`, so the MSE is that method's to the bit (a CG solver warm-starts from earlier
 * solves: solving the test set twice would change later steps).
 */
function testSet(t: Trainer): { mse: number; outputs: Float64Array[] } {
  const { test, targets } = t.task;
  if (test.length === 0) return { mse: NaN, outputs: [] };
  // Trainer.mse's own preparation (refactor the changed conductances); private in the type only
  (t as unknown as { refresh(): void }).refresh();
  const buf = new Float64Array(t.net.nodes);
  let sum = 0;
  const outputs = test.map((ex) => {
    const v = t.solver.free(ex.in, buf).voltages;
    sum += squaredError(v, targets, ex.out);
    return Float64Array.from(targets, (n) => v[n]);
  });
  return { mse: sum / test.length, outputs };
}
