import { InvalidInputError } from '../../errors.js';
import type { GateFlow } from './GateFlow.js';

/** What an integration did. */
export interface IntegrationDiagnostics {
  /** RK4 steps taken. */
  steps: number;
  /** The step used (s of learning time). */
  step: number;
}

/**
 * Classical fixed-step RK4 of `flow` from `g` (modified in place) over `duration` seconds of learning time, the step
 * the largest `<= maxStep` that divides the duration evenly (so that schedule boundaries are hit exactly). The
 * step control is a priori: callers pick `maxStep` small against `1/|M|` (see {@link stableStep}); the rails are
 * enforced after every step (a gate beyond a rail is put back on it), which costs accuracy only in the step where a
 * gate arrives at a rail. `sample(t, g)` (optional) sees the state after every step.
 */
export function integrateGates(
  flow: GateFlow,
  g: Float64Array,
  duration: number,
  maxStep: number,
  sample?: (t: number, g: Float64Array) => void,
): IntegrationDiagnostics {
  if (!(duration >= 0) || !(maxStep > 0)) {
    throw new InvalidInputError({ field: 'duration/maxStep' }, `need duration >= 0 and maxStep > 0, got ${duration}, ${maxStep}`, 'pass seconds of learning time');
  }
  const n = g.length;
  const steps = duration === 0 ? 0 : Math.max(1, Math.ceil(duration / maxStep - 1e-9));
  const h = steps === 0 ? 0 : duration / steps;
  const k1 = new Float64Array(n);
  const k2 = new Float64Array(n);
  const k3 = new Float64Array(n);
  const k4 = new Float64Array(n);
  const tmp = new Float64Array(n);
  const rails = flow.network.rails;
  for (let s = 0; s < steps; s++) {
    flow.derivative(g, k1);
    for (let j = 0; j < n; j++) tmp[j] = g[j] + 0.5 * h * k1[j];
    flow.derivative(tmp, k2);
    for (let j = 0; j < n; j++) tmp[j] = g[j] + 0.5 * h * k2[j];
    flow.derivative(tmp, k3);
    for (let j = 0; j < n; j++) tmp[j] = g[j] + h * k3[j];
    flow.derivative(tmp, k4);
    for (let j = 0; j < n; j++) {
      const next = g[j] + (h / 6) * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
      g[j] = Math.min(rails[j][1], Math.max(rails[j][0], next));
    }
    if (sample) sample((s + 1) * h, g);
  }
  return { steps, step: h };
}
