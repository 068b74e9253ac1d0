import type { CircuitState } from '../CircuitState.js';
import type { StateSolver } from '../StateSolver.js';

/** Names of the learning rules: coupled learning, equilibrium propagation, centered EP, discrete tap rule. */
export type RuleName = 'cl' | 'ep' | 'cep' | 'tap';

/** Everything a rule needs about one example's states. */
export interface ContrastStates {
  free: CircuitState;
  /** The rule's contrast states: [clamped] for CL and tap, [nudged(+beta)] for EP, [nudged(+beta), nudged(-beta)] for CEP. */
  contrast: CircuitState[];
}

/**
 * A local learning rule. Each edge's update depends only on its own voltage drops in the free and contrast
 * states, as on the hardware.
 */
export interface LearningRule {
  readonly name: RuleName;
  /** Compute the contrast states for one example (free state given). */
  states(solver: StateSolver, free: CircuitState, desired: ArrayLike<number>): ContrastStates;
  /**
   * The rule's estimate of the cost gradient per edge (for diagnostics): for EP/CEP in V^2/S, tending to dC/dk as
   * beta -> 0; for CL and tap (1/(2 eta)) [(dV^C)^2 - (dV^F)^2] in V^2, which does not.
   */
  gradient(edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, out?: Float64Array): Float64Array;
  /**
   * Apply one update to the conductances `k` (siemens) in place, clipped to `bounds`.
   * @returns the number of edges whose conductance changed
   */
  update(k: Float64Array, edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, bounds: [number, number]): number;
}

/** Clip to [lo, hi]. */
export function clip(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
