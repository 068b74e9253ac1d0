/**
 * Training a spring network on a strain task (issue 17, point 3): coupled learning on the stiffnesses, or exact
 * gradient descent on the task error as a reference. Pure and synchronous, like the resistor {@link Trainer}.
 *
 * One step is one pass over the task's directions: the free and clamped states of each (one direction for allostery,
 * A -> B and B -> A for cooperative binding), then one update with the contrast summed over them (springRules.ts).
 * A resistor task has many examples and an online step takes one; a strain task has one "example" per direction and
 * the notes' cooperative rule sums the two contrasts, so the step takes them together. Nothing is drawn at random: the
 * seed is kept only so that plans and records read like the resistor trainer's.
 *
 * Error measure: the mean over directions of (eps_T^F - Delta)^2 (dimensionless, strain^2), the spring counterpart of
 * the resistor trainer's MSE per target; a step's `cost` is C = 1/2 sum_d (eps_T^F - Delta)^2 of the free states
 * before its update (strainGradient.ts).
 */
import { InvalidInputError, show } from '../../errors.js';
import { springCount, type SpringNetwork } from './SpringNetwork.js';
import { type SpringRuleName, SPRING_RULES, contrastGradient, descend, strainContrast } from './springRules.js';
import { type LinearResponse, StrainSolver } from './StrainSolver.js';
import { strainCostGradient } from './strainGradient.js';
import { strainDirections, type StrainTask } from './StrainTask.js';

/** Options of a spring training run, as a user may give them (all optional). */
export interface SpringTrainOptions {
  /** Learning rule; default 'cl'. 'gradient': k <- clip(k - alpha dC/dk), C = 1/2 sum_d (eps_T^F - Delta)^2 (adjoint). */
  rule?: SpringRuleName;
  /** Clamping strength of cl, dimensionless in (0, 1]; default 0.1 (as the resistor trainer). */
  eta?: number;
  /**
   * Learning rate, > 0; default {@link DEFAULT_SPRING_ALPHA}. cl: dk = -alpha/(2 eta) [(ext^C)^2 - (ext^F)^2], alpha in
   * energy / length^4; gradient: dk = -alpha dC/dk, alpha in energy^2 / length^4 (dC/dk is in length^2 / energy).
   */
  alpha?: number;
  /** Number of steps (one pass over the directions each), integer >= 0; default 1000. */
  steps?: number;
  /** Recorded for the plan; no effect (nothing is random). Integer, default 0. */
  seed?: number;
  /** Stiffness bounds [k_min, k_max] (energy / length^2); default the network's `bounds`, else {@link DEFAULT_SPRING_BOUNDS}. */
  bounds?: [number, number];
}

/** Fully defaulted, validated options. */
export interface SpringTrainConfig {
  rule: SpringRuleName;
  eta: number;
  alpha: number;
  steps: number;
  seed: number;
  bounds: [number, number];
}

/**
 * Default learning rate (cl: energy / length^4). The step scales with the response: dk ~ alpha (Delta - eps_T)
 * d eps_T / dk, and d eps_T / dk ~ eps_T / k, so a network whose target barely responds (eps_T ~ 1e-3 of eps_S) learns
 * slowly at any fixed alpha, and a strongly responding one overshoots at a large alpha. Measured on a 100-node diluted
 * triangular lattice (eps_T^F = 0.012 at the start) and a 177-node jammed network (0.002), eta 0.1, 1000 steps: 30
 * learns every task tried with cl (error down by 10-25 orders of magnitude when Delta ~ 4-8 eps_T^F; by 10^2-10^5
 * for Delta = +-0.5), 100-300 is faster on weak responses but unstable on strong ones (error stalls at bounds).
 * The gradient rule's step is cl's divided by the target's stiffness A (~1 here), and overshoots more readily:
 * give it a smaller alpha when Delta is large.
 */
export const DEFAULT_SPRING_ALPHA = 30;
/** Default stiffness bounds when neither the options nor the network give any (energy / length^2). */
export const DEFAULT_SPRING_BOUNDS: [number, number] = [1e-3, 1e3];

/** Validate options once, at the entry point; errors name the parameter, the rule and the value. */
export function resolveSpringTrainOptions(net: SpringNetwork, o: SpringTrainOptions = {}): SpringTrainConfig {
  const rule = o.rule ?? 'cl';
  if (!SPRING_RULES.includes(rule)) {
    throw new InvalidInputError({ field: 'rule' }, `spring networks learn with ${SPRING_RULES.join(' or ')}, got ${show(rule)}`, 'use --rule cl (coupled learning) or --rule gradient (the exact-gradient reference)');
  }
  const eta = o.eta ?? 0.1;
  if (!(Number.isFinite(eta) && eta > 0 && eta <= 1)) bad('eta', 'must be a number in (0, 1]', eta);
  const alpha = o.alpha ?? DEFAULT_SPRING_ALPHA;
  if (!(Number.isFinite(alpha) && alpha > 0)) bad('alpha', 'must be a finite number > 0', alpha);
  const steps = o.steps ?? 1000;
  if (!(Number.isInteger(steps) && steps >= 0)) bad('steps', 'must be an integer >= 0', steps);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) bad('seed', 'must be an integer', seed);
  const bounds = o.bounds ?? net.bounds ?? DEFAULT_SPRING_BOUNDS;
  if (!(bounds[0] > 0 && bounds[1] >= bounds[0] && Number.isFinite(bounds[1]))) bad('bounds', 'must satisfy 0 < k_min <= k_max < inf (energy / length^2)', bounds);
  return { rule, eta, alpha, steps, seed, bounds: [bounds[0], bounds[1]] };
}

function bad(field: string, rule: string, value: unknown): never {
  throw new InvalidInputError({ field }, `${field} ${rule}, got ${show(value)}`);
}

/** What one step did. */
export interface SpringStepRecord {
  /** Step number, 0-based. */
  step: number;
  /** C = 1/2 sum_d (eps_T^F - Delta)^2 of the free states before the update (dimensionless). */
  cost: number;
  /** eps_T^F per direction before the update (dimensionless; forward, then reverse when cooperative). */
  targetStrains: Float64Array;
  /** Springs whose stiffness changed. */
  changed: number;
  /** Largest residual of the step's solves (force balance and constraints, relative; StrainSolver). */
  residual: number;
  /** cl: the contrast sum_d 1/eta [(E^C - E^F) + lambda E^F] before the update (energy / eta); gradient: NaN. */
  contrast: number;
}

/** Final result of a training run. */
export interface SpringTrainResult {
  steps: number;
  /** Stiffness after the last step (energy / length^2). */
  stiffness: Float64Array;
  /** Mean over directions of (eps_T^F - Delta)^2 after training (strain^2). */
  trainMse: number;
  /** The same before training. */
  initialTrainMse: number;
  /** eps_T^F per direction after training. */
  targetStrains: Float64Array;
  /** Largest solve residual met during the run (relative; converged below 1e-9). */
  maxResidual: number;
}

/**
 * Training of a spring network on a strain task: each {@link step} solves every direction's states on one
 * {@link StrainSolver} (ordering, zero modes and symbolic factorisation once; numeric refactorisation after each
 * update) and applies the rule. `stiffness` holds the current values.
 */
export class SpringTrainer {
  readonly cfg: SpringTrainConfig;
  readonly solver: StrainSolver;
  /** Current stiffnesses (energy / length^2), one per spring. */
  readonly stiffness: Float64Array;
  /** Steps done so far. */
  stepCount = 0;
  /** Largest solve residual met so far. */
  maxResidual = 0;
  private dirty = false;

  constructor(
    readonly net: SpringNetwork,
    readonly task: StrainTask,
    options?: SpringTrainOptions,
  ) {
    this.cfg = resolveSpringTrainOptions(net, options);
    this.stiffness = Float64Array.from(net.stiffness);
    if (this.stiffness.length !== springCount(net)) throw new InvalidInputError({ source: net.name, field: 'stiffness' }, `must have one stiffness per spring (${springCount(net)}), got ${this.stiffness.length}`);
    this.solver = new StrainSolver({ ...net, stiffness: this.stiffness });
  }

  /** The number of directions a step trains (1, or 2 when cooperative). */
  get directions(): number {
    return this.task.cooperative ? 2 : 1;
  }

  /** One update: the states of every direction, then the rule's step on the summed signal. */
  step(): SpringStepRecord {
    const s = this.stepCount;
    this.refresh();
    const { cfg, task } = this;
    let g: Float64Array;
    let targetStrains: Float64Array;
    let residual = 0;
    let contrast = NaN;
    if (cfg.rule === 'cl') {
      const states = this.solver.taskStates(task, cfg.eta);
      for (const st of states) residual = Math.max(residual, worst(st.free), worst(st.clamped));
      targetStrains = Float64Array.from(states, (st) => st.freeTarget);
      contrast = strainContrast(states, cfg.eta, task.lambda);
      g = contrastGradient(states, cfg.eta, task.lambda);
    } else {
      const cg = strainCostGradient(this.solver, task);
      for (const d of cg.directions) residual = Math.max(residual, worst(d.free), worst(d.adjoint));
      targetStrains = Float64Array.from(cg.directions, (d) => d.targetStrain);
      g = cg.gradient;
    }
    let cost = 0;
    for (const e of targetStrains) cost += 0.5 * (e - task.delta) ** 2;
    const changed = descend(this.stiffness, g, cfg.alpha, cfg.bounds);
    this.dirty = true;
    this.maxResidual = Math.max(this.maxResidual, residual);
    this.stepCount = s + 1;
    return { step: s, cost, targetStrains, changed, residual, contrast };
  }

  /** eps_T^F of every direction with the current stiffnesses (dimensionless). */
  targetStrains(): Float64Array {
    this.refresh();
    return Float64Array.from(strainDirections(this.task), (d) => {
      const free = this.solver.freeState(d, this.task.sourceStrain);
      this.maxResidual = Math.max(this.maxResidual, worst(free));
      return this.solver.strain(free.displacements, d.target[0], d.target[1]);
    });
  }

  /** Mean over directions of (eps_T^F - Delta)^2 with the current stiffnesses (strain^2). */
  mse(): number {
    const t = this.targetStrains();
    let s = 0;
    for (const e of t) s += (e - this.task.delta) ** 2;
    return s / t.length;
  }

  /**
   * Run the configured number of steps.
   * @param onProgress called after every step; cheap callers only
   */
  run(onProgress?: (r: SpringStepRecord) => void): SpringTrainResult {
    const initialTrainMse = this.mse();
    while (this.stepCount < this.cfg.steps) {
      const r = this.step();
      onProgress?.(r);
    }
    const targetStrains = this.targetStrains();
    let s = 0;
    for (const e of targetStrains) s += (e - this.task.delta) ** 2;
    return { steps: this.stepCount, stiffness: Float64Array.from(this.stiffness), trainMse: s / targetStrains.length, initialTrainMse, targetStrains, maxResidual: this.maxResidual };
  }

  /** Refactorise after an update (the solver copies the stiffnesses). */
  private refresh(): void {
    if (this.dirty) {
      this.solver.setStiffness(this.stiffness);
      this.dirty = false;
    }
  }
}

function worst(r: LinearResponse): number {
  return r.diagnostics.residual;
}
