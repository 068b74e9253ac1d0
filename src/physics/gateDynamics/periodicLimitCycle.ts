import { InvalidInputError } from '../../errors.js';
import { DenseLu } from '../denseLu.js';
import type { GateFlow } from './GateFlow.js';
import { flowJacobian, frobeniusNorm } from './flowJacobian.js';
import { integrateGates } from './integrateGates.js';

/** Options of {@link periodicLimitCycle}. */
export interface LimitCycleOptions {
  /** Largest RK4 step as a fraction of 1/|M| (|M| bounded by the Frobenius norm of both tasks' flow matrices). Default 0.02. */
  stepFraction?: number;
  /** At least this many steps per half period. Default 40. */
  minStepsPerHalf?: number;
  /** Stop when |P(G) - G| (V, Euclidean; P = one period) is below this. Default 1e-10 V. */
  tolerance?: number;
  /** Newton iterations on P(G) - G = 0 before falling back to plain periods. Default 30. */
  maxNewton?: number;
  /** Plain periods allowed after Newton (rails can make the period map non-smooth). Default 20000. */
  maxPeriods?: number;
  /** Points recorded along the final period for the bowtie (including both ends). Default 61. */
  bowtiePoints?: number;
}

/** The steady limit cycle of the two-task schedule and what it costs. */
export interface LimitCycle {
  /** Period tau (s of learning time); task A runs over [0, tau/2), task B over [tau/2, tau). */
  tau: number;
  /** Gates at the start of task A's half (V). */
  g0: Float64Array;
  /** Gates at the end of task A's half (V). */
  gHalf: Float64Array;
  /** Cycle span D^2 = |G(tau/2) - G(0)|^2 (V^2). */
  d2: number;
  /** Output MSE (V^2): squared errors averaged over both tasks and over the states g0 and gHalf. */
  mse: number;
  /** Gates along one period, interleaved per point (n per point), bowtiePoints points from t = 0 to tau. */
  bowtie: Float64Array;
  /** Per gate: max - min of the gate over the period (V). */
  spans: Float64Array;
  /** True when |P(g0) - g0| <= tolerance. */
  converged: boolean;
  /** |P(g0) - g0| (V) of the reported cycle. */
  residual: number;
  newtonIterations: number;
  /** Periods simulated in all (Newton's finite differences, plain periods, the final recorded one). */
  periods: number;
  /** RK4 step (s) and its size against the fastest relaxation, h |M|. */
  step: number;
  stepTimesRate: number;
}

/**
 * The steady limit cycle of alternating task A and task B every tau/2 of learning time, from the start `g`:
 * Newton on the period map `P(G) - G = 0` (Jacobian by finite differences, one period per gate), damped to 0.5 V
 * per step and kept inside the rails, then plain periods if Newton did not meet the tolerance (rails make P
 * non-smooth). Convergence is reported, not assumed.
 */
export function periodicLimitCycle(flowA: GateFlow, flowB: GateFlow, tau: number, g: ArrayLike<number>, options: LimitCycleOptions = {}): LimitCycle {
  if (!(tau > 0)) throw new InvalidInputError({ field: 'tau' }, `period must be positive seconds, got ${tau}`, 'pass e.g. 0.02');
  const n = g.length;
  const tol = options.tolerance ?? 1e-10;
  const rails = flowA.network.rails;
  const rate = Math.max(frobeniusNorm(flowJacobian(flowA, g)), frobeniusNorm(flowJacobian(flowB, g)));
  const maxStep = Math.min((options.stepFraction ?? 0.02) / rate, tau / 2 / (options.minStepsPerHalf ?? 40));
  let periods = 0;
  let step = 0;
  const period = (x: Float64Array): Float64Array => {
    const y = Float64Array.from(x);
    step = integrateGates(flowA, y, tau / 2, maxStep).step;
    integrateGates(flowB, y, tau / 2, maxStep);
    periods++;
    return y;
  };
  const norm = (a: Float64Array, b: Float64Array): number => {
    let s = 0;
    for (let j = 0; j < n; j++) s += (a[j] - b[j]) ** 2;
    return Math.sqrt(s);
  };
  let x: Float64Array = Float64Array.from(g);
  let px: Float64Array = period(x);
  let residual = norm(px, x);
  let newton = 0;
  const fdStep = 1e-7;
  while (residual > tol && newton < (options.maxNewton ?? 30)) {
    newton++;
    // J = dP/dG - I, by forward differences.
    const jac = new Float64Array(n * n);
    for (let c = 0; c < n; c++) {
      const xp = Float64Array.from(x);
      xp[c] += fdStep;
      const pp = period(xp);
      for (let r = 0; r < n; r++) jac[r * n + c] = (pp[r] - px[r]) / fdStep - (r === c ? 1 : 0);
    }
    const rhs = new Float64Array(n);
    for (let r = 0; r < n; r++) rhs[r] = -(px[r] - x[r]);
    const lu = DenseLu.factor(jac, n);
    if (!lu) break;
    const dx = lu.solve(rhs);
    let len = 0;
    for (let j = 0; j < n; j++) len += dx[j] * dx[j];
    len = Math.sqrt(len);
    const scale = len > 0.5 ? 0.5 / len : 1;
    const next = new Float64Array(n);
    for (let j = 0; j < n; j++) next[j] = Math.min(rails[j][1], Math.max(rails[j][0], x[j] + scale * dx[j]));
    const pn = period(next);
    const rn = norm(pn, next);
    if (!(rn < residual) && scale === 1 && newton > 3) {
      // Not improving (a rail kink): leave it to plain periods.
      break;
    }
    x = next;
    px = pn;
    residual = rn;
  }
  const maxPeriods = options.maxPeriods ?? 20000;
  let plain = 0;
  while (residual > tol && plain < maxPeriods) {
    x = px;
    px = period(x);
    residual = norm(px, x);
    plain++;
  }
  // Record the final period from x.
  const points = options.bowtiePoints ?? 61;
  const halfSteps = Math.max(1, Math.ceil(tau / 2 / maxStep - 1e-9));
  const bowtie = new Float64Array(points * n);
  const y = Float64Array.from(x);
  const totalSteps = 2 * halfSteps;
  const path: Float64Array[] = [Float64Array.from(y)];
  integrateGates(flowA, y, tau / 2, maxStep, (_t, gg) => path.push(Float64Array.from(gg)));
  const gHalf = Float64Array.from(y);
  integrateGates(flowB, y, tau / 2, maxStep, (_t, gg) => path.push(Float64Array.from(gg)));
  periods++;
  const spans = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of path) {
      lo = Math.min(lo, p[j]);
      hi = Math.max(hi, p[j]);
    }
    spans[j] = hi - lo;
  }
  for (let p = 0; p < points; p++) {
    // Linear interpolation on the step grid at t = p tau / (points - 1).
    const pos = (p / (points - 1)) * totalSteps;
    const i0 = Math.min(totalSteps - 1, Math.floor(pos));
    const w = pos - i0;
    for (let j = 0; j < n; j++) bowtie[p * n + j] = (1 - w) * path[i0][j] + w * path[i0 + 1][j];
  }
  const mse = 0.25 * (flowA.squaredError(x) + flowB.squaredError(x) + flowA.squaredError(gHalf) + flowB.squaredError(gHalf));
  let d2 = 0;
  for (let j = 0; j < n; j++) d2 += (gHalf[j] - x[j]) ** 2;
  return {
    tau,
    g0: x,
    gHalf,
    d2,
    mse,
    bowtie,
    spans,
    converged: residual <= tol,
    residual,
    newtonIterations: newton,
    periods,
    step,
    stepTimesRate: step * rate,
  };
}
