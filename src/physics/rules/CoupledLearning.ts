import type { CircuitState } from '../CircuitState.js';
import { type EdgeSignals, linearSignals } from './EdgeSignals.js';
import { clip, type ContrastSolver, type ContrastStates, type LearningRule } from './LearningRule.js';

/**
 * Coupled learning (Stern et al. 2021): targets clamped at V_T^C = V_T^F + eta (V_T^* - V_T^F), then
 * k_e <- clip(k_e + alpha/(2 eta) [(dV_e^F)^2 - (dV_e^C)^2], k_min, k_max), evaluated exactly in this order so that
 * runs compare bit-for-bit across implementations. On nonlinear networks the squared drops are the edges' signals
 * `sigma_e = 2 dp_e/dtheta_e` (EdgeSignals.ts): theta_e <- clip(theta_e + alpha/(2 eta) [sigma_e^F - sigma_e^C]), the
 * descent of the co-content contrast (P^C - P^F)/eta.
 */
export class CoupledLearning implements LearningRule {
  readonly name = 'cl' as const;
  /**
   * @param eta clamping strength, dimensionless, in (0, 1]; default 0.1 at the CLI
   * @param alpha learning rate in S/V^2; default 0.5 at the CLI
   */
  constructor(readonly eta: number, readonly alpha: number) {}

  states(solver: ContrastSolver, free: CircuitState, desired: ArrayLike<number>): ContrastStates {
    return { free, contrast: [solver.clamped(free, desired, this.eta)] };
  }

  gradient(edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, out = new Float64Array(edgeA.length), signals?: EdgeSignals): Float64Array {
    return clampedContrastGradient(edgeA, edgeB, s, this.eta, out, signals);
  }

  update(k: Float64Array, edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, bounds: [number, number], signals?: EdgeSignals): number {
    const vf = s.free.voltages;
    const vc = s.contrast[0].voltages;
    const rate = this.alpha / (2 * this.eta);
    let changed = 0;
    if (!signals) {
      // Linear network: linearSignals' operations written out (the same ones, so bit-identical), without a call per
      // edge and signal (a few per cent of a step on the 128 x 128 lattice).
      const lo = bounds[0];
      const hi = bounds[1];
      for (let e = 0; e < edgeA.length; e++) {
        const a = edgeA[e];
        const b = edgeB[e];
        const df = vf[b] - vf[a];
        const dc = vc[b] - vc[a];
        const next = clip(k[e] + rate * (df * df - dc * dc), lo, hi);
        if (next !== k[e]) changed++;
        k[e] = next;
      }
      return changed;
    }
    const sig = signals;
    for (let e = 0; e < edgeA.length; e++) {
      if (!sig.learns(e)) continue;
      const sf = sig.signal(e, vf);
      const sc = sig.signal(e, vc);
      const next = clip(k[e] + rate * (sf - sc), sig.lower(e), sig.upper(e));
      if (next !== k[e]) changed++;
      k[e] = next;
    }
    return changed;
  }
}

/**
 * The contrast gradient of a clamped-state rule (CL and the tap rule): (1/(2 eta)) [(dV_e^C)^2 - (dV_e^F)^2] in V^2
 * (with `signals`: (1/(2 eta)) [sigma_e^C - sigma_e^F]), from the free state and the first contrast state of `s`.
 */
export function clampedContrastGradient(
  edgeA: Int32Array,
  edgeB: Int32Array,
  s: ContrastStates,
  eta: number,
  out: Float64Array = new Float64Array(edgeA.length),
  signals?: EdgeSignals,
): Float64Array {
  const sig = signals ?? linearSignals(edgeA, edgeB, [0, Infinity]);
  const vf = s.free.voltages;
  const vc = s.contrast[0].voltages;
  const c = 1 / (2 * eta);
  for (let e = 0; e < edgeA.length; e++) out[e] = sig.learns(e) ? c * (sig.signal(e, vc) - sig.signal(e, vf)) : 0;
  return out;
}
