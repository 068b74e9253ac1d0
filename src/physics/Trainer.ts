import { InvalidInputError, show } from '../errors.js';
import { cost, squaredError } from './cost.js';
import type { EliminationOrderCache } from './EliminationOrderCache.js';
import { epochCache, exampleIndex, type ExampleOrder } from './exampleOrder.js';
import type { SolveMethod } from './LaplacianSystem.js';
import type { Network } from './Network.js';
import { initialParameters, isNonlinear, nonlinearSignals } from './nonlinear/learningParameters.js';
import { NonlinearStateSolver } from './nonlinear/NonlinearStateSolver.js';
import type { EdgeSignals } from './rules/EdgeSignals.js';
import { CoupledLearning } from './rules/CoupledLearning.js';
import { EquilibriumPropagation } from './rules/EquilibriumPropagation.js';
import { GradientDescent } from './rules/GradientDescent.js';
import type { ContrastStates, LearningRule, RuleName } from './rules/LearningRule.js';
import { TapRule } from './rules/TapRule.js';
import { StateSolver } from './StateSolver.js';
import type { Example, Roles, Task } from './Task.js';

/** Options of an in-process training run, as a user may give them (all optional but the network and task). */
export interface TrainOptions {
  /** Learning rule; default 'cl'. 'gradient' is exact gradient descent, a simulation-only reference (GradientDescent.ts). */
  rule?: RuleName;
  /** Clamping strength of CL and the tap rule, dimensionless in (0, 1]; default 0.1. */
  eta?: number;
  /** Nudge conductance of EP/CEP in siemens, > 0; default 0.01. */
  beta?: number;
  /** Learning rate in S/V^2, > 0; default 0.5. Unused by the tap rule. */
  alpha?: number;
  /** Number of update steps (one example each), integer >= 0; default 1000. */
  steps?: number;
  /** Example order; default 'shuffle'. */
  order?: ExampleOrder;
  /** Seed of the example order; default 0. */
  seed?: number;
  /** Linear solver; default 'auto'. */
  method?: SolveMethod;
  /**
   * Linear networks solved by Cholesky: keep an earlier factor as CG preconditioner while the conductances change
   * little (LaplacianSystemOptions.factorReuse); default 'never'. With reuse every state still meets the relative
   * residual 1e-12, but a run agrees with a resumed one to that bound, not bit for bit.
   */
  factorReuse?: 'auto' | 'always' | 'never';
  /**
   * Linear networks solved by Cholesky: where the fill-reducing order is looked up and kept
   * (LaplacianSystemOptions.orderCache); default none. Changes nothing but the time of the analysis.
   */
  orderCache?: EliminationOrderCache;
  /** Conductance bounds in siemens; default the network's `bounds`, else [1e-6, 1e6]. */
  bounds?: [number, number];
  /** Tap table for the tap rule (siemens, increasing); default the network's `taps`. */
  taps?: Float64Array;
  /** Gate-voltage bounds of transistor edges in volts (nonlinear networks); default {@link DEFAULT_GATE_BOUNDS}. */
  gateBounds?: [number, number];
}

/** Fully defaulted, validated options. */
export interface TrainConfig {
  rule: RuleName;
  eta: number;
  beta: number;
  alpha: number;
  steps: number;
  order: ExampleOrder;
  seed: number;
  method: SolveMethod;
  bounds: [number, number];
  taps?: Float64Array;
  gateBounds: [number, number];
}

/** Default conductance bounds when neither the options nor the network give any (siemens). */
export const DEFAULT_BOUNDS: [number, number] = [1e-6, 1e6];
/** Default gate-voltage range of transistor edges (V): the gen-2 board's gate DAC range (twins/models/penn-gen2.json). */
export const DEFAULT_GATE_BOUNDS: [number, number] = [0, 5];

/** Validate options once, at the entry point; errors name the parameter, the rule and the value. */
export function resolveTrainOptions(net: Network, o: TrainOptions = {}): TrainConfig {
  const rule = o.rule ?? 'cl';
  if (!['cl', 'ep', 'cep', 'tap', 'gradient'].includes(rule)) bad('rule', 'must be one of cl, ep, cep, tap, gradient', rule);
  const eta = o.eta ?? 0.1;
  if (!(Number.isFinite(eta) && eta > 0 && eta <= 1)) bad('eta', 'must be a number in (0, 1]', eta);
  const beta = o.beta ?? 0.01;
  if (!(Number.isFinite(beta) && beta > 0)) bad('beta', 'must be a finite number > 0 (siemens)', beta);
  const alpha = o.alpha ?? 0.5;
  if (!(Number.isFinite(alpha) && alpha > 0)) bad('alpha', 'must be a finite number > 0 (S/V^2)', alpha);
  const steps = o.steps ?? 1000;
  if (!(Number.isInteger(steps) && steps >= 0)) bad('steps', 'must be an integer >= 0', steps);
  const order = o.order ?? 'shuffle';
  if (order !== 'sequential' && order !== 'shuffle') bad('order', 'must be sequential or shuffle', order);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) bad('seed', 'must be an integer', seed);
  const method = o.method ?? 'auto';
  if (!['auto', 'cholesky', 'cg'].includes(method)) bad('method', 'must be auto, cholesky or cg', method);
  const bounds = o.bounds ?? net.bounds ?? DEFAULT_BOUNDS;
  if (!(bounds[0] > 0 && bounds[1] >= bounds[0] && Number.isFinite(bounds[1]))) bad('bounds', 'must satisfy 0 < k_min <= k_max < inf', bounds);
  if (rule === 'tap' && isNonlinear(net)) {
    throw new InvalidInputError({ field: 'rule' }, 'the tap rule steps digital-potentiometer taps, which a network with nonlinear elements does not have', 'use --rule cl, ep or cep on a nonlinear network');
  }
  const taps = o.taps ?? net.taps;
  if (rule === 'tap' && !taps) {
    throw new InvalidInputError({ field: 'rule' }, 'the tap rule needs a tap table', 'add "taps" to the network file or pass --taps COUNT');
  }
  const gateBounds = o.gateBounds ?? DEFAULT_GATE_BOUNDS;
  if (!(Number.isFinite(gateBounds[0]) && Number.isFinite(gateBounds[1]) && gateBounds[1] >= gateBounds[0])) bad('gateBounds', 'must be finite volts with lo <= hi', gateBounds);
  return { rule, eta, beta, alpha, steps, order, seed, method, bounds: [bounds[0], bounds[1]], taps, gateBounds: [gateBounds[0], gateBounds[1]] };
}

function bad(field: string, rule: string, value: unknown): never {
  throw new InvalidInputError({ field }, `${field} ${rule}, got ${show(value)}`);
}

/**
 * Build the learning rule named in the config.
 * @param initial the trainer's parameter array (the tap rule starts from it; exact gradient descent reads it live)
 * @param context the network and the task's roles: needed by exact gradient descent only
 */
export function createRule(cfg: TrainConfig, initial: Float64Array, context?: { net: Network; roles: Roles }): LearningRule {
  switch (cfg.rule) {
    case 'gradient': {
      if (!context) throw new TypeError('createRule: exact gradient descent needs the network and the task roles');
      return new GradientDescent(cfg.alpha, context.net, context.roles, initial);
    }
    case 'cl':
      return new CoupledLearning(cfg.eta, cfg.alpha);
    case 'ep':
      return new EquilibriumPropagation(cfg.beta, cfg.alpha, false);
    case 'cep':
      return new EquilibriumPropagation(cfg.beta, cfg.alpha, true);
    case 'tap':
      return new TapRule(cfg.eta, cfg.taps!, initial);
  }
}

/** What one training step did. */
export interface StepRecord {
  /** Step number, 0-based. */
  step: number;
  /** Index of the training example used. */
  example: number;
  /** Cost of the free state before the update, V^2. */
  cost: number;
  /** Number of edges whose conductance changed. */
  changed: number;
  /** The states the update used (free, then the rule's contrast states), fresh arrays of node voltages, V. */
  states: ContrastStates;
}

/** Final result of a training run. */
export interface TrainResult {
  steps: number;
  conductance: Float64Array;
  /** Mean squared error per target output over the training set, V^2. */
  trainMse: number;
  /** Same over the test set (NaN when the task has no test examples). */
  testMse: number;
  /** MSE before training, for comparison. */
  initialTrainMse: number;
  initialTestMse: number;
}

/**
 * Online training of a simulated network: one update per example, the rule's states computed by the sparse
 * solver. The network's conductances are copied; `conductance` holds the current values.
 *
 * A network with nonlinear elements (src/physics/nonlinear) is trained the same way on its learning parameters
 * (learningParameters.ts): `conductance` then holds theta, one per edge — k (S) of linear edges and resistors, V_G (V)
 * of transistors, the unused `conductance` entry of diodes and tables — the states come from the Newton solver
 * (NonlinearStateSolver) and the rules use the edges' co-content signals (rules/EdgeSignals.ts).
 */
export class Trainer {
  readonly cfg: TrainConfig;
  readonly solver: StateSolver | NonlinearStateSolver;
  readonly rule: LearningRule;
  /** Conductances (S), or for a nonlinear network its learning parameters theta (S or V). */
  readonly conductance: Float64Array;
  /** The learning signals of a nonlinear network; undefined for a linear one (the rules' squared drops). */
  readonly signals?: EdgeSignals;
  /** Steps done so far. */
  stepCount = 0;
  private readonly order = epochCache();
  private dirty = true;
  /** The free states for 1 V on each source (see sourceResponses), for the current conductances. */
  private responses: Float64Array[] | null = null;

  constructor(readonly net: Network, readonly task: Task, options?: TrainOptions) {
    this.cfg = resolveTrainOptions(net, options);
    const nonlinear = isNonlinear(net);
    this.conductance = nonlinear ? initialParameters(net) : Float64Array.from(net.conductance);
    this.rule = createRule(this.cfg, this.conductance, { net, roles: task });
    if (this.rule instanceof TapRule) {
      for (let e = 0; e < this.conductance.length; e++) this.conductance[e] = this.rule.taps[this.rule.tap[e]];
    }
    if (nonlinear) {
      this.solver = new NonlinearStateSolver(net, task, { method: this.cfg.method });
      this.signals = nonlinearSignals(net, this.conductance, this.cfg.bounds, this.cfg.gateBounds);
    } else {
      const factorReuse = options?.factorReuse;
      if (factorReuse !== undefined && !['auto', 'always', 'never'].includes(factorReuse)) bad('factorReuse', 'must be auto, always or never', factorReuse);
      this.solver = new StateSolver(net, task, { method: this.cfg.method, factorReuse, orderCache: options?.orderCache });
    }
  }

  /** Index of the example that step `s` uses. */
  exampleAt(s: number): number {
    return exampleIndex(this.cfg.order, s, this.task.train.length, this.cfg.seed, this.order);
  }

  /** One online update on the next example. */
  step(): StepRecord {
    const s = this.stepCount;
    const idx = this.exampleAt(s);
    const ex = this.task.train[idx];
    this.refresh();
    const free = this.solver.free(ex.in);
    const c = cost(free.voltages, this.task.targets, ex.out);
    const states = this.rule.states(this.solver, free, ex.out);
    const changed = this.rule.update(this.conductance, this.net.edgeA, this.net.edgeB, states, this.cfg.bounds, this.signals);
    this.dirty = true;
    this.stepCount = s + 1;
    return { step: s, example: idx, cost: c, changed, states };
  }

  /** Mean squared error per target output over `examples` with the current conductances (V^2; NaN if empty). */
  mse(examples: Example[]): number {
    return this.evaluate(examples).mse;
  }

  /**
   * The MSE of {@link mse} and, with `outputs`, each example's target voltages (V, in the order of task.targets):
   * both from the same states, so a caller that records the outputs gets the MSE to the bit.
   */
  evaluate(examples: Example[], outputs = false): { mse: number; outputs: Float64Array[] } {
    const kept: Float64Array[] = [];
    if (examples.length === 0) return { mse: NaN, outputs: kept };
    this.refresh();
    let sum = 0;
    const buf = new Float64Array(this.net.nodes);
    const targets = this.task.targets;
    const responses = examples.length > this.task.sources.length ? this.sourceResponses() : null;
    for (const ex of examples) {
      const v = responses ? superpose(responses, ex.in, buf) : this.solver.free(ex.in, buf).voltages;
      sum += squaredError(v, targets, ex.out);
      if (outputs) kept.push(Float64Array.from(targets, (n) => v[n]));
    }
    return { mse: sum / examples.length, outputs: kept };
  }

  /**
   * A linear network's free state is linear in the source voltages (ground at 0 V): V = sum_s x_s phi_s, with
   * phi_s the state for 1 V on source s and 0 V on the others. So an evaluation over m examples costs one solve
   * per source instead of one per example (16 examples on two sources: 2 solves instead of 16, which on a
   * 16,384-node lattice is most of the evaluation). Each phi_s is solved to the solver's residual; the sum adds
   * rounding of order 1e-16 times sum_s |x_s| |phi_s|. Cached until the conductances change; null for a nonlinear
   * network, which has no superposition.
   */
  private sourceResponses(): Float64Array[] | null {
    if (!(this.solver instanceof StateSolver)) return null;
    if (this.responses) return this.responses;
    const ns = this.task.sources.length;
    const unit = new Float64Array(ns);
    const responses: Float64Array[] = [];
    for (let s = 0; s < ns; s++) {
      unit.fill(0);
      unit[s] = 1;
      responses.push(this.solver.free(unit, new Float64Array(this.net.nodes)).voltages);
    }
    this.responses = responses;
    return responses;
  }

  /**
   * Run the configured number of steps.
   * @param onProgress called after every step; cheap callers only (the CLI throttles its drawing)
   */
  run(onProgress?: (r: StepRecord) => void): TrainResult {
    const initialTrainMse = this.mse(this.task.train);
    const initialTestMse = this.mse(this.task.test);
    while (this.stepCount < this.cfg.steps) {
      const r = this.step();
      onProgress?.(r);
    }
    return {
      steps: this.stepCount,
      conductance: Float64Array.from(this.conductance),
      trainMse: this.mse(this.task.train),
      testMse: this.mse(this.task.test),
      initialTrainMse,
      initialTestMse,
    };
  }

  private refresh(): void {
    if (this.dirty) {
      this.solver.setConductance(this.conductance);
      this.responses = null;
      this.dirty = false;
    }
  }
}

/** sum_s x_s phi_s into out (V). */
function superpose(responses: Float64Array[], x: ArrayLike<number>, out: Float64Array): Float64Array {
  out.fill(0);
  for (let s = 0; s < responses.length; s++) {
    const xs = x[s];
    if (xs === 0) continue;
    const phi = responses[s];
    for (let i = 0; i < out.length; i++) out[i] += xs * phi[i];
  }
  return out;
}
