import type { GateFlow } from './GateFlow.js';
import { integrateGates } from './integrateGates.js';

/**
 * A single-task run of the analog dynamics from gates `g0` (V) at `times[0]`, sampled at `times` (s of learning
 * time, increasing): the model of a drift test. Returns the gates per sample, interleaved (n per sample), and the
 * RK4 steps taken (step <= maxStep).
 */
export function simulateDriftTest(flow: GateFlow, g0: ArrayLike<number>, times: ArrayLike<number>, maxStep: number): { gates: Float64Array; steps: number } {
  const n = g0.length;
  const out = new Float64Array(times.length * n);
  const g = Float64Array.from(g0);
  out.set(g, 0);
  let steps = 0;
  for (let i = 1; i < times.length; i++) {
    steps += integrateGates(flow, g, times[i] - times[i - 1], maxStep).steps;
    out.set(g, i * n);
  }
  return { gates: out, steps };
}
