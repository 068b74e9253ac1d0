/**
 * A training run as plain data: which task, how many steps, in which example order, with which rule parameters,
 * when to evaluate and when to stop. A plan is validated once ({@link resolvePlan}); the engine
 * (TrainingEngine.ts) executes it against any Board. The schedule it implies is a pure function of the plan:
 * step `s` uses training example {@link planExample}(plan, s), whatever happened before (a resumed run visits the
 * same examples as an uninterrupted one).
 */
import type { BoardIdentity } from '../../firmware-protocol/identity.js';
import { InvalidInputError, show, type InputLocation } from '../errors.js';
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
 * The ranges a plan's rule parameters must lie in before any board is known (documented in the README's CLI
 * reference). A board narrows them for its own STEP (`ID` fields `eta=` and `amp=`, see {@link checkPlanOnBoard}).
 */
export const PLAN_LIMITS = {
  /** Clamping strength: 0 < eta <= 1 (the clamp lies between the free state and the target). */
  eta: { lo: 0, hi: 1 },
  /**
   * Gate boards' update gain, V of gate change per V^2 of (dV_F)^2 - (dV_C)^2: 0 < amp <= 100. With node differences
   * of a volt, amp = 100 would move a gate by 100 V in one step, twenty times the whole 0..5 V gate range of the
   * shipped boards: beyond that a step is a switch, not learning.
   */
  amp: { lo: 0, hi: 100 },
  /** ADC samples averaged per measurement (PROTOCOL.md MEAS n). */
  samples: { lo: 1, hi: 1024 },
} as const;

/**
 * Where a plan field came from, for error messages: by default the plan's own field name (`amp`); the CLI maps it
 * to its option (`--amp`), `clln resume` to the record's field.
 */
export type PlanFieldLocation = (field: string) => InputLocation;

const planField: PlanFieldLocation = (field) => ({ field });

/** How a fix names a field: as its location does (`--amp`, `start.plan.amp`, `amp`). */
function label(where: PlanFieldLocation, field: string): string {
  const w = where(field);
  return w.field ?? w.source ?? field;
}

/**
 * Validate a plan once, at the entry point. Errors are InvalidInputError naming the parameter (through `where`),
 * the rule, the value and the fix.
 */
export function resolvePlan(plan: TrainingPlan, where: PlanFieldLocation = planField): ResolvedPlan {
  if (typeof plan !== 'object' || plan === null) throw new InvalidInputError(where('plan'), `must be an object, got ${show(plan)}`);
  const task = plan.task;
  if (!task || !Array.isArray(task.train) || !Array.isArray(task.test) || !task.targets || !task.sources) {
    throw new InvalidInputError(where('task'), `must be a Task {sources, ground, targets, train, test}, got ${show(task)}`);
  }
  const r: ResolvedPlan = { ...resolvePlanOptions(plan, where), task };
  if (r.steps > r.startStep && task.train.length === 0) {
    throw new InvalidInputError(where('task.train'), `must hold at least one example to train on, got ${task.train.length}`);
  }
  return r;
}

/**
 * Validate every option of a plan but its task (so that a command can refuse bad options before it connects to a
 * board, even when the task is chosen only once the board is known). Errors as {@link resolvePlan}'s.
 */
export function resolvePlanOptions(plan: Omit<TrainingPlan, 'task'>, where: PlanFieldLocation = planField): Omit<ResolvedPlan, 'task'> {
  const bad = (field: string, rule: string, v: unknown, fix?: string): never => {
    throw new InvalidInputError(where(field), `must be ${rule}, got ${show(v)}`, fix);
  };
  const name = (field: string): string => label(where, field);
  if (typeof plan !== 'object' || plan === null) bad('plan', 'an object', plan);
  const d = PLAN_DEFAULTS;
  const L = PLAN_LIMITS;
  const r: Omit<ResolvedPlan, 'task'> = {
    name: plan.name ?? d.name,
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
  if (typeof r.name !== 'string') bad('name', 'a string', r.name);
  if (r.update !== 'host' && r.update !== 'device') bad('update', 'host or device', r.update);
  if (!(typeof r.eta === 'number' && r.eta > L.eta.lo && r.eta <= L.eta.hi)) bad('eta', `a number in (${L.eta.lo}, ${L.eta.hi}]`, r.eta);
  if (!(typeof r.amp === 'number' && r.amp > L.amp.lo && r.amp <= L.amp.hi)) {
    bad('amp', `a number in (${L.amp.lo}, ${L.amp.hi}] (volts of gate change per squared volt)`, r.amp, `give ${name('amp')} in (${L.amp.lo}, ${L.amp.hi}]; the default is ${d.amp}`);
  }
  if (!(Number.isInteger(r.steps) && r.steps >= 0)) bad('steps', 'an integer >= 0', r.steps);
  if (r.order !== 'sequential' && r.order !== 'shuffle') bad('order', 'sequential or shuffle', r.order);
  if (!Number.isInteger(r.seed)) bad('seed', 'an integer', r.seed);
  if (!(Number.isInteger(r.samples) && r.samples >= L.samples.lo && r.samples <= L.samples.hi)) bad('samples', `an integer in ${L.samples.lo}..${L.samples.hi}`, r.samples);
  if (!(Number.isInteger(r.evalEvery) && r.evalEvery >= 0)) bad('evalEvery', 'an integer >= 0 (0: evaluate only at the start and the end)', r.evalEvery);
  if (!(Number.isInteger(r.startStep) && r.startStep >= 0 && r.startStep <= r.steps)) bad('startStep', `an integer in 0..steps (${r.steps})`, r.startStep);
  if (!(Number.isInteger(r.stepRetries) && r.stepRetries >= 0)) bad('stepRetries', 'an integer >= 0', r.stepRetries);
  const { targetTestMse, plateau } = r.stop;
  if (targetTestMse !== undefined && !(Number.isFinite(targetTestMse) && targetTestMse >= 0)) {
    bad('stop.targetTestMse', 'a finite number >= 0 (V^2)', targetTestMse);
  }
  if (plateau !== undefined) {
    if (typeof plateau !== 'object' || plateau === null) bad('stop.plateau', '{window, minRelativeImprovement}', plateau);
    if (!(Number.isInteger(plateau.window) && plateau.window >= 1)) bad('stop.plateau.window', 'an integer >= 1 (evaluations)', plateau.window);
    if (!(Number.isFinite(plateau.minRelativeImprovement) && plateau.minRelativeImprovement >= 0 && plateau.minRelativeImprovement < 1)) {
      bad('stop.plateau.minRelativeImprovement', 'a number in [0, 1)', plateau.minRelativeImprovement);
    }
  }
  if ((targetTestMse !== undefined || plateau !== undefined) && r.evalEvery === 0) {
    bad('evalEvery', '>= 1 when a target MSE or plateau stop condition is set (they are checked at evaluations)', r.evalEvery, `set ${name('evalEvery')}`);
  }
  return r;
}

/**
 * Check a plan against the limits a board reports in its `ID` (PROTOCOL.md 7.1), once the board is known and before
 * anything is recorded or sent: with `update: 'device'` the board's own STEP runs, so `eta` must lie in its `eta=`
 * range and, on a gate board, `amp` in its `amp=` range. (A host-stepped run computes the update itself; its gate
 * changes are limited to the board's `gstep` per step, see stepOnBoard.) The Board implementations refuse the same
 * values again before sending them (validateBoardValues).
 */
export function checkPlanOnBoard(plan: Pick<ResolvedPlan, 'update' | 'eta' | 'amp'>, id: BoardIdentity, where: PlanFieldLocation = planField): void {
  if (plan.update !== 'device') return;
  const board = `board ${id.model}`;
  const { eta, amp } = id.limits;
  if (!(plan.eta >= eta.lo && plan.eta <= eta.hi)) {
    throw new InvalidInputError(
      where('eta'),
      `${show(plan.eta)} is outside the range [${eta.lo}, ${eta.hi}] that ${board} accepts for its STEP (its ID reports eta=${eta.lo},${eta.hi})`,
      `give ${label(where, 'eta')} in [${eta.lo}, ${eta.hi}], or train with ${label(where, 'update')} host`,
    );
  }
  if (amp && id.edge.kind === 'gate' && !(plan.amp >= amp.lo && plan.amp <= amp.hi)) {
    throw new InvalidInputError(
      where('amp'),
      `${show(plan.amp)} V/V^2 is outside the range [${amp.lo}, ${amp.hi}] that ${board} accepts for its STEP (its ID reports amp=${amp.lo},${amp.hi})`,
      `give ${label(where, 'amp')} in [${amp.lo}, ${amp.hi}], or train with ${label(where, 'update')} host`,
    );
  }
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
