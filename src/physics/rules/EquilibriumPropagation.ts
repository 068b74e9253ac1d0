import type { CircuitState } from '../CircuitState.js';
import { type EdgeSignals, linearSignals } from './EdgeSignals.js';
import { clip, type ContrastSolver, type ContrastStates, type LearningRule } from './LearningRule.js';

/**
 * Equilibrium propagation (Scellier & Bengio 2017) on a resistor network: each target is joined by a nudge
 * conductance beta (siemens) to a source at V_T^*.
 *
 * - one-sided (`centered = false`): k_e <- clip(k_e + alpha/(2 beta) [(dV_e^F)^2 - (dV_e^{+beta})^2]); its gradient
 *   estimate differs from dC/dk by O(beta);
 * - centered (`centered = true`, Laborieux et al. 2021): states at +beta and -beta,
 *   k_e <- clip(k_e + alpha/(4 beta) [(dV_e^{-beta})^2 - (dV_e^{+beta})^2]); error O(beta^2).
 *
 * On nonlinear networks the squared drops are the edges' signals `sigma_e = 2 dp_e/dtheta_e` (EdgeSignals.ts).
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

  states(solver: ContrastSolver, free: CircuitState, desired: ArrayLike<number>): ContrastStates {
    const plus = solver.nudged(free, desired, this.beta);
    return { free, contrast: this.centered ? [plus, solver.nudged(free, desired, -this.beta)] : [plus] };
  }

  gradient(edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, out = new Float64Array(edgeA.length), signals?: EdgeSignals): Float64Array {
    const sig = signals ?? linearSignals(edgeA, edgeB, [0, Infinity]);
    const vp = s.contrast[0].voltages;
    const vm = this.centered ? s.contrast[1].voltages : s.free.voltages;
    const c = this.centered ? 1 / (4 * this.beta) : 1 / (2 * this.beta);
    for (let e = 0; e < edgeA.length; e++) out[e] = sig.learns(e) ? c * (sig.signal(e, vp) - sig.signal(e, vm)) : 0;
    return out;
  }

  update(k: Float64Array, edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, bounds: [number, number], signals?: EdgeSignals): number {
    const sig = signals ?? linearSignals(edgeA, edgeB, bounds);
    const vp = s.contrast[0].voltages;
    const vm = this.centered ? s.contrast[1].voltages : s.free.voltages;
    const rate = this.centered ? this.alpha / (4 * this.beta) : this.alpha / (2 * this.beta);
    let changed = 0;
    for (let e = 0; e < edgeA.length; e++) {
      if (!sig.learns(e)) continue;
      const sp = sig.signal(e, vp);
      const sm = sig.signal(e, vm);
      const next = clip(k[e] + rate * (sm - sp), sig.lower(e), sig.upper(e));
      if (next !== k[e]) changed++;
      k[e] = next;
    }
    return changed;
  }
}
