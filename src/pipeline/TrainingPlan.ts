/**
 * A training run as plain data: which task, how many steps, in which example order, with which rule parameters,
 * when to evaluate and when to stop. A plan is validated once ({@link resolvePlan}); the engine
 * (TrainingEngine.ts) executes it against any Board. The schedule it implies is a pure function of the plan:
 * step `s` uses training example {@link planExample}(plan, s), whatever happened before (a resumed run visits the
 * same examples as an uninterrupted one).
 */
import { InvalidInputError, show } from '../errors.js';
import { epochCache, exampleIndex, type EpochCache, type ExampleOrder } from '../physics/exampleOrder.js';
import type { Task } from '../physics/Task.js';

/** Where the contrast update is computed. */
export type UpdateSite = 'host' | 'device';

/** Stop early when the network has learned enough, or has stopped learning. Checked at each evaluation. */
export interface StopConditions {
  /**
   * Stop once an evaluation's test MSE (V^2) is at or below this (the train MSE when the task has no test
   * examples).
   */
  targetTestMse?: number;
  /**
   * Stop when learning has stalled: the best MSE of the last `window` evaluations improved on the best MSE before
   * them by no more than `minRelativeImprovement` (a fraction of the latter). Test MSE, or train MSE without a test set.
   */
  plateau?: { window: number; minRelativeImprovement: number };
}

/** A training run as the user gives it (everything optional but the task). */
export interface TrainingPlan {
  /** Free text naming the run (for records and displays); default `train`. */
  name?: string;
  task: Task;
  /** Total number of steps of the run, counted from step 0 (a resumed run ends at the same step); default 1000. */
  steps?: number;
  /** Example order; default 'shuffle'. */
  order?: ExampleOrder;
  /** Seed of the shuffled order; default 0. */
  seed?: number;
  /** 'host': measure free and clamped states and write absolute settings; 'device': the board's STEP. Default 'host'. */
  update?: UpdateSite;
  /** Clamping strength, (0, 1]; default 0.1. */
  eta?: number;
  /** Gate boards: update gain in V/V^2; default 0.5. */
  amp?: number;
  /** ADC samples averaged per measurement, 1..1024; default 16. */
  samples?: number;
  /**
   * Measure train and test MSE on the board every this many steps (at absolute step numbers that are multiples of
   * it); 0 (default) evaluates only before the first and after the last step.
   */
  evalEvery?: number;
  stop?: StopConditions;
  /** First step to run (a resumed run starts where the record ends); default 0. */
  startStep?: number;
  /** How many times one step is redone after the link failed under it; default 5. */
  stepRetries?: number;
}

/** A validated plan: every field present. */
export interface ResolvedPlan {
  name: string;
  task: Task;
  steps: number;
  order: ExampleOrder;
  seed: number;
  update: UpdateSite;
  eta: number;
  amp: number;
  samples: number;
  evalEvery: number;
  stop: StopConditions;
  startStep: number;
  stepRetries: number;
}

/** The defaults, in one place (trainOnBoard and the CLI document the same values). */
export const PLAN_DEFAULTS = {
  name: 'train',
  steps: 1000,
  order: 'shuffle' as ExampleOrder,
  seed: 0,
  update: 'host' as UpdateSite,
  eta: 0.1,
  amp: 0.5,
  samples: 16,
  evalEvery: 0,
  startStep: 0,
  stepRetries: 5,
};

/**
 * Validate a plan once, at the entry point. Errors are InvalidInputError naming the parameter (`field`), the rule
 * and the value.
 */
export function resolvePlan(plan: TrainingPlan): ResolvedPlan {
  const bad = (field: string, rule: string, v: unknown, fix?: string): never => {
    throw new InvalidInputError({ field }, `${field} ${rule}, got ${show(v)}`, fix);
  };
  if (typeof plan !== 'object' || plan === null) bad('plan', 'must be an object', plan);
  const task = plan.task;
  if (!task || !Array.isArray(task.train) || !Array.isArray(task.test) || !task.targets || !task.sources) {
    bad('task', 'must be a Task {sources, ground, targets, train, test}', task);
  }
  const d = PLAN_DEFAULTS;
  const r: ResolvedPlan = {
    name: plan.name ?? d.name,
    task,
    steps: plan.steps ?? d.steps,
    order: plan.order ?? d.order,
    seed: plan.seed ?? d.seed,
    update: plan.update ?? d.update,
    eta: plan.eta ?? d.eta,
    amp: plan.amp ?? d.amp,
    samples: plan.samples ?? d.samples,
    evalEvery: plan.evalEvery ?? d.evalEvery,
    stop: { ...(plan.stop ?? {}) },
    startStep: plan.startStep ?? d.startStep,
    stepRetries: plan.stepRetries ?? d.stepRetries,
  };
  if (typeof r.name !== 'string') bad('name', 'must be a string', r.name);
  if (r.update !== 'host' && r.update !== 'device') bad('update', 'must be host or device', r.update);
  if (!(typeof r.eta === 'number' && r.eta > 0 && r.eta <= 1)) bad('eta', 'must be a number in (0, 1]', r.eta);
  if (!(Number.isFinite(r.amp) && r.amp > 0)) bad('amp', 'must be a finite number > 0', r.amp);
  if (!(Number.isInteger(r.steps) && r.steps >= 0)) bad('steps', 'must be an integer >= 0', r.steps);
  if (r.order !== 'sequential' && r.order !== 'shuffle') bad('order', 'must be sequential or shuffle', r.order);
  if (!Number.isInteger(r.seed)) bad('seed', 'must be an integer', r.seed);
  if (!(Number.isInteger(r.samples) && r.samples >= 1 && r.samples <= 1024)) bad('samples', 'must be an integer in 1..1024', r.samples);
  if (!(Number.isInteger(r.evalEvery) && r.evalEvery >= 0)) bad('evalEvery', 'must be an integer >= 0 (0: evaluate only at the start and the end)', r.evalEvery);
  if (!(Number.isInteger(r.startStep) && r.startStep >= 0 && r.startStep <= r.steps)) bad('startStep', `must be an integer in 0..steps (${r.steps})`, r.startStep);
  if (!(Number.isInteger(r.stepRetries) && r.stepRetries >= 0)) bad('stepRetries', 'must be an integer >= 0', r.stepRetries);
  if (r.steps > r.startStep && task.train.length === 0) bad('task.train', 'must hold at least one example to train on', task.train.length);
  const { targetTestMse, plateau } = r.stop;
  if (targetTestMse !== undefined && !(Number.isFinite(targetTestMse) && targetTestMse >= 0)) {
    bad('stop.targetTestMse', 'must be a finite number >= 0 (V^2)', targetTestMse);
  }
  if (plateau !== undefined) {
    if (typeof plateau !== 'object' || plateau === null) bad('stop.plateau', 'must be {window, minRelativeImprovement}', plateau);
    if (!(Number.isInteger(plateau.window) && plateau.window >= 1)) bad('stop.plateau.window', 'must be an integer >= 1 (evaluations)', plateau.window);
    if (!(Number.isFinite(plateau.minRelativeImprovement) && plateau.minRelativeImprovement >= 0 && plateau.minRelativeImprovement < 1)) {
      bad('stop.plateau.minRelativeImprovement', 'must be a number in [0, 1)', plateau.minRelativeImprovement);
    }
  }
  if ((targetTestMse !== undefined || plateau !== undefined) && r.evalEvery === 0) {
    bad('evalEvery', 'must be >= 1 when a target MSE or plateau stop condition is set (they are checked at evaluations)', r.evalEvery, 'set evalEvery');
  }
  return r;
}

/**
 * Index of the training example step `s` uses: the same function as the in-process Trainer's
 * (`s mod count` with 'sequential'; a per-epoch permutation from the seed with 'shuffle').
 */
export function planExample(plan: Pick<ResolvedPlan, 'order' | 'seed' | 'task'>, s: number, cache?: EpochCache): number {
  return exampleIndex(plan.order, s, plan.task.train.length, plan.seed, cache);
}

/** The whole schedule of a plan: example index of every step from startStep to steps (for records and tests). */
export function planSchedule(plan: ResolvedPlan): Int32Array {
  const cache = epochCache();
  const out = new Int32Array(plan.steps - plan.startStep);
  for (let s = plan.startStep; s < plan.steps; s++) out[s - plan.startStep] = planExample(plan, s, cache);
  return out;
}

/** Is an evaluation due after `stepsDone` steps (not counting the final one)? */
export function evaluationDue(plan: Pick<ResolvedPlan, 'evalEvery' | 'steps'>, stepsDone: number): boolean {
  return plan.evalEvery > 0 && stepsDone % plan.evalEvery === 0 && stepsDone < plan.steps;
}
