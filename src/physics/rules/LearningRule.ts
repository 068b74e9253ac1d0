import type { CircuitState } from '../CircuitState.js';
import type { EdgeSignals } from './EdgeSignals.js';

/**
 * What a rule needs to compute its contrast states: the linear {@link StateSolver} (src/physics/StateSolver.ts) or the
 * nonlinear one (src/physics/nonlinear/NonlinearStateSolver.ts), both from a free state of the same inputs.
 */
export interface ContrastSolver {
  /** Targets imposed at V_T^F + eta (V_T^* - V_T^F) (eta dimensionless). */
  clamped(free: CircuitState, desired: ArrayLike<number>, eta: number): CircuitState;
  /** Each target joined by a conductance beta (S, may be negative) to a source at V_T^*. */
  nudged(free: CircuitState, desired: ArrayLike<number>, beta: number): CircuitState;
}

/**
 * Names of the learning rules: coupled learning, equilibrium propagation, centered EP, discrete tap rule, and exact
 * gradient descent (a simulation-only reference, rules/GradientDescent.ts: not a local rule).
 */
export type RuleName = 'cl' | 'ep' | 'cep' | 'tap' | 'gradient';

/** Everything a rule needs about one example's states. */
export interface ContrastStates {
  free: CircuitState;
  /**
   * The rule's contrast states: [clamped] for CL and tap, [nudged(+beta)] for EP, [nudged(+beta), nudged(-beta)] for CEP,
   * none for exact gradient descent.
   */
  contrast: CircuitState[];
}

/**
 * A local learning rule. Each edge's update depends only on its own voltage drops in the free and contrast
 * states, as on the hardware.
 */
export interface LearningRule {
  readonly name: RuleName;
  /** Compute the contrast states for one example (free state given). */
  states(solver: ContrastSolver, free: CircuitState, desired: ArrayLike<number>): ContrastStates;
  /**
   * The rule's estimate of the cost gradient per edge (for diagnostics): for EP/CEP in V^2/S, tending to dC/dk as
   * beta -> 0; for CL and tap (1/(2 eta)) [(dV^C)^2 - (dV^F)^2] in V^2, which does not. With `signals` (nonlinear
   * networks, EdgeSignals.ts) the squared drops are the edges' signals and the estimate is of dC/dtheta; edges without a
   * parameter get 0.
   */
  gradient(edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, out?: Float64Array, signals?: EdgeSignals): Float64Array;
  /**
   * Apply one update to the parameters `k` in place: conductances (S) clipped to `bounds`, or with `signals` each
   * edge's learning parameter (S or V) clipped to its own bounds, edges without one untouched.
   * @returns the number of edges whose parameter changed
   */
  update(k: Float64Array, edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, bounds: [number, number], signals?: EdgeSignals): number;
}

/** Clip to [lo, hi]. */
export function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
