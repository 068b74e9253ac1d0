import type { CircuitState } from '../CircuitState.js';
import type { StateSolver } from '../StateSolver.js';
import { clip, type ContrastStates, type LearningRule } from './LearningRule.js';

/**
 * Equilibrium propagation (Scellier & Bengio 2017) on a resistor network: each target is joined by a nudge
 * conductance beta (siemens) to a source at V_T^*.
 *
 * - one-sided (`centered = false`): k_e <- clip(k_e + alpha/(2 beta) [(dV_e^F)^2 - (dV_e^{+beta})^2]); its gradient
 *   estimate differs from dC/dk by O(beta);
 * - centered (`centered = true`, Laborieux et al. 2021): states at +beta and -beta,
 *   k_e <- clip(k_e + alpha/(4 beta) [(dV_e^{-beta})^2 - (dV_e^{+beta})^2]); error O(beta^2).
 */
export class EquilibriumPropagation implements LearningRule {
  readonly name: 'ep' | 'cep';
  /**
   * @param beta nudge conductance in siemens (> 0); default 0.01 at the CLI
   * @param alpha learning rate in S/V^2; default 0.5 at the CLI
   */
  constructor(readonly beta: number, readonly alpha: number, readonly centered: boolean) {
    this.name = centered ? 'cep' : 'ep';
  }

  states(solver: StateSolver, free: CircuitState, desired: ArrayLike<number>): ContrastStates {
    const plus = solver.nudged(free, desired, this.beta);
    return { free, contrast: this.centered ? [plus, solver.nudged(free, desired, -this.beta)] : [plus] };
  }

  gradient(edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, out = new Float64Array(edgeA.length)): Float64Array {
    const vp = s.contrast[0].voltages;
    const vm = this.centered ? s.contrast[1].voltages : s.free.voltages;
    const c = this.centered ? 1 / (4 * this.beta) : 1 / (2 * this.beta);
    for (let e = 0; e < edgeA.length; e++) {
      const dp = vp[edgeB[e]] - vp[edgeA[e]];
      const dm = vm[edgeB[e]] - vm[edgeA[e]];
      out[e] = c * (dp * dp - dm * dm);
    }
    return out;
  }

  update(k: Float64Array, edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, bounds: [number, number]): number {
    const vp = s.contrast[0].voltages;
    const vm = this.centered ? s.contrast[1].voltages : s.free.voltages;
    const rate = this.centered ? this.alpha / (4 * this.beta) : this.alpha / (2 * this.beta);
    let changed = 0;
    for (let e = 0; e < edgeA.length; e++) {
      const dp = vp[edgeB[e]] - vp[edgeA[e]];
      const dm = vm[edgeB[e]] - vm[edgeA[e]];
      const next = clip(k[e] + rate * (dm * dm - dp * dp), bounds[0], bounds[1]);
      if (next !== k[e]) changed++;
      k[e] = next;
    }
    return changed;
  }
}
