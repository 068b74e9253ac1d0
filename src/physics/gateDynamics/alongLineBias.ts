import { InvalidInputError } from '../../errors.js';
import type { GateFlow } from './GateFlow.js';

/** A straight-line fit of one run's drift: velocity (V/s) per gate and its standard error. */
export interface DriftVelocity {
  velocity: [number, number];
  stderr: [number, number];
  /** Mean gates (V) over the window, where the solution line's direction is taken. */
  centre: [number, number];
  samples: number;
}

/**
 * Least-squares velocity of the two gates over samples `[from, to)` (times in s, gates in V): the drift along the
 * solution line once the gates have relaxed onto it.
 */
export function driftVelocity(time: ArrayLike<number>, gMinus: ArrayLike<number>, gPlus: ArrayLike<number>, from: number, to: number): DriftVelocity {
  const m = to - from;
  if (m < 3) throw new InvalidInputError({ field: 'drift window' }, `needs at least 3 samples, got ${m}`, 'start earlier or stop later');
  let tm = 0;
  for (let i = from; i < to; i++) tm += time[i] / m;
  let stt = 0;
  for (let i = from; i < to; i++) stt += (time[i] - tm) ** 2;
  const fit = (y: ArrayLike<number>): [number, number, number] => {
    let ym = 0;
    for (let i = from; i < to; i++) ym += y[i] / m;
    let sty = 0;
    for (let i = from; i < to; i++) sty += (time[i] - tm) * (y[i] - ym);
    const v = sty / stt;
    let ssr = 0;
    for (let i = from; i < to; i++) ssr += (y[i] - ym - v * (time[i] - tm)) ** 2;
    return [v, Math.sqrt(ssr / (m - 2) / stt), ym];
  };
  const [vm, em, cm] = fit(gMinus);
  const [vp, ep, cp] = fit(gPlus);
  return { velocity: [vm, vp], stderr: [em, ep], centre: [cm, cp], samples: m };
}

/**
 * Unit tangent (G-, G+) of a task's solution line (free output = desired) at gates `g`: perpendicular to the gradient
 * of the free output, by central differences (step h in V). Two gates only.
 */
export function solutionLineTangent(flow: GateFlow, g: [number, number], h = 1e-5): [number, number] {
  const d0 = (flow.output([g[0] + h, g[1]]) - flow.output([g[0] - h, g[1]])) / (2 * h);
  const d1 = (flow.output([g[0], g[1] + h]) - flow.output([g[0], g[1] - h])) / (2 * h);
  const len = Math.hypot(d0, d1);
  // Oriented so that G+ grows along it (a fixed convention; the sign cancels in the projection).
  const t: [number, number] = [-d1 / len, d0 / len];
  return t[1] >= 0 ? t : [-t[0], -t[1]];
}

/**
 * The bias b (V/s, (G-, G+)) from the drifts of two tasks: on each task's solution line the flow matrix is symmetric
 * with the tangent u in its null space, so the along-line velocity is u . b whatever the rate r. Two lines with
 * different directions give b: solve [u_A; u_B] b = [u_A . v_A; u_B . v_B]. Also returns the condition (|sin| of the
 * angle between the lines; small = ill-determined).
 */
export function alongLineBias(
  tangents: [[number, number], [number, number]],
  velocities: [[number, number], [number, number]],
): { bias: [number, number]; sinAngle: number } {
  const [ua, ub] = tangents;
  const ra = ua[0] * velocities[0][0] + ua[1] * velocities[0][1];
  const rb = ub[0] * velocities[1][0] + ub[1] * velocities[1][1];
  const det = ua[0] * ub[1] - ua[1] * ub[0];
  if (Math.abs(det) < 1e-6) throw new InvalidInputError({ field: 'tasks' }, 'the two solution lines are parallel, so the bias is not determined', 'use tasks with different lines');
  return { bias: [(ra * ub[1] - rb * ua[1]) / det, (ua[0] * rb - ub[0] * ra) / det], sinAngle: Math.abs(det) };
}
