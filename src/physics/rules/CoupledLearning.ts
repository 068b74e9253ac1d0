import type { CircuitState } from '../CircuitState.js';
import type { StateSolver } from '../StateSolver.js';
import { clip, type ContrastStates, type LearningRule } from './LearningRule.js';

/**
 * Coupled learning (Stern et al. 2021): targets clamped at V_T^C = V_T^F + eta (V_T^* - V_T^F), then
 * k_e <- clip(k_e + alpha/(2 eta) [(dV_e^F)^2 - (dV_e^C)^2], k_min, k_max), evaluated exactly in this order so that
 * runs compare bit-for-bit across implementations.
 */
export class CoupledLearning implements LearningRule {
  readonly name = 'cl' as const;
  /**
   * @param eta clamping strength, dimensionless, in (0, 1]; default 0.1 at the CLI
   * @param alpha learning rate in S/V^2; default 0.5 at the CLI
   */
  constructor(readonly eta: number, readonly alpha: number) {}

  states(solver: StateSolver, free: CircuitState, desired: ArrayLike<number>): ContrastStates {
    return { free, contrast: [solver.clamped(free, desired, this.eta)] };
  }

  gradient(edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, out = new Float64Array(edgeA.length)): Float64Array {
    return clampedContrastGradient(edgeA, edgeB, s, this.eta, out);
  }

  update(k: Float64Array, edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, bounds: [number, number]): number {
    const vf = s.free.voltages;
    const vc = s.contrast[0].voltages;
    const rate = this.alpha / (2 * this.eta);
    let changed = 0;
    for (let e = 0; e < edgeA.length; e++) {
      const df = vf[edgeB[e]] - vf[edgeA[e]];
      const dc = vc[edgeB[e]] - vc[edgeA[e]];
      const next = clip(k[e] + rate * (df * df - dc * dc), bounds[0], bounds[1]);
      if (next !== k[e]) changed++;
      k[e] = next;
    }
    return changed;
  }
}

/**
 * The contrast gradient of a clamped-state rule (CL and the tap rule): (1/(2 eta)) [(dV_e^C)^2 - (dV_e^F)^2] in V^2,
 * from the free state and the first contrast state of `s`.
 */
export function clampedContrastGradient(
  edgeA: Int32Array,
  edgeB: Int32Array,
  s: ContrastStates,
  eta: number,
  out: Float64Array = new Float64Array(edgeA.length),
): Float64Array {
  const vf = s.free.voltages;
  const vc = s.contrast[0].voltages;
  const c = 1 / (2 * eta);
  for (let e = 0; e < edgeA.length; e++) {
    const df = vf[edgeB[e]] - vf[edgeA[e]];
    const dc = vc[edgeB[e]] - vc[edgeA[e]];
    out[e] = c * (dc * dc - df * df);
  }
  return out;
}
