import { InvalidInputError } from '../../errors.js';
import type { CircuitState } from '../CircuitState.js';
import { edgeContrast, tapStep } from '../edgeSteps.js';
import { clampedContrastGradient } from './CoupledLearning.js';
import type { ContrastSolver, ContrastStates, LearningRule } from './LearningRule.js';

/**
 * The discrete rule of digital-potentiometer boards (Dillavou et al. 2022): the clamped state of coupled learning,
 * then each edge moves one tap up or down with sign((dV_e^F)^2 - (dV_e^C)^2) — up (higher conductance) when the
 * free drop exceeds the clamped one — and stays when the two are equal. Conductance comes from the tap table.
 */
export class TapRule implements LearningRule {
  readonly name = 'tap' as const;
  /** Current tap index of each edge. */
  readonly tap: Int32Array;

  /**
   * @param eta clamping strength, dimensionless in (0, 1]
   * @param taps tap table: conductance in siemens of each tap, strictly increasing
   * @param initial initial conductances; each edge starts at the tap nearest in log-conductance
   */
  constructor(readonly eta: number, readonly taps: Float64Array, initial: Float64Array) {
    if (taps.length < 2) throw new InvalidInputError({ field: 'taps' }, `a tap table needs at least 2 entries, got ${taps.length}`);
    this.tap = new Int32Array(initial.length);
    for (let e = 0; e < initial.length; e++) this.tap[e] = nearestTap(taps, initial[e]);
  }

  states(solver: ContrastSolver, free: CircuitState, desired: ArrayLike<number>): ContrastStates {
    return { free, contrast: [solver.clamped(free, desired, this.eta)] };
  }

  gradient(edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, out = new Float64Array(edgeA.length)): Float64Array {
    return clampedContrastGradient(edgeA, edgeB, s, this.eta, out);
  }

  /** Moves taps; the conductance is set from the table (and the tap kept within `bounds`). */
  update(k: Float64Array, edgeA: Int32Array, edgeB: Int32Array, s: ContrastStates, bounds: [number, number]): number {
    const vf = s.free.voltages;
    const vc = s.contrast[0].voltages;
    const top = this.taps.length - 1;
    let changed = 0;
    for (let e = 0; e < edgeA.length; e++) {
      let t = tapStep(this.tap[e], edgeContrast(vf, vc, edgeA[e], edgeB[e]), top);
      if (this.taps[t] < bounds[0] || this.taps[t] > bounds[1]) t = this.tap[e];
      if (t !== this.tap[e]) changed++;
      this.tap[e] = t;
      k[e] = this.taps[t];
    }
    return changed;
  }
}

/** Index of the tap nearest to conductance `k` in log-conductance. */
export function nearestTap(taps: Float64Array, k: number): number {
  let best = 0;
  let bestDist = Infinity;
  const lk = Math.log(k);
  for (let i = 0; i < taps.length; i++) {
    const d = Math.abs(Math.log(taps[i]) - lk);
    if (d < bestDist) {
      bestDist = d;
      best = i;
    }
  }
  return best;
}

/** Geometric tap table of `count` taps from `kMin` to `kMax` siemens (a digital potentiometer's resistance steps are roughly geometric in conductance on the Penn boards). */
export function geometricTaps(count: number, kMin: number, kMax: number): Float64Array {
  if (!Number.isInteger(count) || count < 2) throw new InvalidInputError({ field: 'taps' }, `tap count must be an integer >= 2, got ${count}`);
  if (!(kMin > 0 && kMax > kMin)) throw new InvalidInputError({ field: 'taps' }, `tap range must satisfy 0 < kMin < kMax, got [${kMin}, ${kMax}]`);
  const t = new Float64Array(count);
  for (let i = 0; i < count; i++) t[i] = kMin * Math.pow(kMax / kMin, i / (count - 1));
  return t;
}
