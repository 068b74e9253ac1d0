/**
 * The per-edge learning signal that every contrast rule (CL, EP, centered EP) is written in, for linear and nonlinear
 * edges alike.
 *
 * A state's Lyapunov function is the co-content `P = sum_e p_e(x_e; theta_e)` (for a linear edge the power
 * `k x^2 / 2`), and a contrast rule descends `(P^C - P^F) / eta` with the free and contrast states' voltages held
 * (their own variation drops out to first order because each state minimises its P):
 *
 *     theta_e <- clip(theta_e - (alpha / eta) d/dtheta_e [p_e(x_e^C) - p_e(x_e^F)])
 *              = clip(theta_e + (alpha / (2 eta)) [sigma_e(F) - sigma_e(C)]),   sigma_e = 2 dp_e/dtheta_e.
 *
 * `sigma_e` is this interface's `signal`: `(dV_e)^2` for a linear edge with theta = k (`d/dk (k x^2 / 2) = x^2 / 2`),
 * which gives the familiar `alpha/(2 eta) [(dV^F)^2 - (dV^C)^2]` computed with the same operations as before (hence
 * bit-identical linear runs). Nonlinear edges (src/physics/nonlinear/learningParameters.ts) supply their own.
 */
export interface EdgeSignals {
  /**
   * `sigma_e = 2 dp_e/dtheta_e` at node voltages `v` (V): V^2 for a conductance (theta in S), W/V = A for a gate
   * voltage (theta in V), so that `rate * sigma` is in the parameter's unit.
   */
  signal(e: number, v: Float64Array): number;
  /** Whether edge e has a learning parameter (diodes and tables have none: their entry is never changed). */
  learns(e: number): boolean;
  /** Lower bound of edge e's parameter (S or V). */
  lower(e: number): number;
  /** Upper bound of edge e's parameter (S or V). */
  upper(e: number): number;
}

/** The signals of a linear resistor network: theta = k, sigma = (dV_e)^2, every edge bounded by `bounds` (S). */
export function linearSignals(edgeA: Int32Array, edgeB: Int32Array, bounds: [number, number]): EdgeSignals {
  const lo = bounds[0];
  const hi = bounds[1];
  return {
    signal(e: number, v: Float64Array): number {
      const d = v[edgeB[e]] - v[edgeA[e]];
      return d * d;
    },
    learns: () => true,
    lower: () => lo,
    upper: () => hi,
  };
}
