/**
 * The step length along a Newton direction for a convex function phi(t) = P(V + t d), found from its derivative
 * phi'(t) (the Kirchhoff residual dotted with the direction, accurate to rounding) rather than from differences of
 * P (whose cancellation near the solution swamps the decrease).
 *
 * Convexity makes phi' nondecreasing, so every t with phi'(t) <= 0 lies left of the minimiser along the line and
 * lowers P: phi(t) - phi(0) = integral_0^t phi' <= t phi'(t) <= 0. The search accepts such a t once it is near the
 * minimiser (phi'(t) >= CURVATURE * phi'(0)); right of the minimiser it accepts a t only where the co-content itself
 * has dropped by the Armijo amount. So every accepted step lowers P, and the accepted steps satisfy the Wolfe
 * conditions, which is what makes damped Newton converge from any start on a convex P with bounded level sets.
 */

/** Wolfe curvature constant: accept t left of the minimiser once phi'(t) >= CURVATURE * phi'(0). */
const CURVATURE = 0.1;
/** Armijo constant: right of the minimiser, phi(t) <= phi(0) + ARMIJO t phi'(0). */
const ARMIJO = 1e-4;
/** The full step is doubled at most this many times while phi' stays steep (the Newton model far too cautious). */
const MAX_EXPANSIONS = 40;
/** Bracketing trials before the search settles for the best point known to lower P. */
const MAX_TRIALS = 80;

/** The line's derivative and, right of the minimiser, its change. */
export interface LineFunction {
  /** phi'(t) (W per unit t). */
  slope(t: number): number;
  /** phi(t) - phi(0) (W), summed per edge. */
  change(t: number): number;
}

/**
 * A step t > 0 that lowers phi, or 0 when none is found (phi'(0) >= 0: no descent, e.g. at rounding level).
 * @param f the line
 * @param slope0 phi'(0)
 */
export function convexLineSearch(f: LineFunction, slope0: number): number {
  if (!(slope0 < 0)) return 0;
  let t = 1;
  let s = f.slope(t);
  if (!Number.isFinite(s)) s = Infinity;
  let lo = 0;
  let slo = slope0;
  if (s <= 0) {
    // Left of the minimiser at the full step: take it, or double it while the line is still steep.
    for (let k = 0; k < MAX_EXPANSIONS && s < CURVATURE * slope0; k++) {
      lo = t;
      slo = s;
      t *= 2;
      s = f.slope(t);
      if (!Number.isFinite(s)) s = Infinity;
      if (s > 0) break;
    }
    if (s <= 0) return t;
  }
  // Bracket [lo, hi] with phi'(lo) < 0 < phi'(hi): regula falsi (Illinois: the weight of an end kept twice in a row
  // is halved) safeguarded by bisection. wlo, whi are the interpolation weights, slo, shi the true slopes.
  let hi = t;
  let shi = s;
  let wlo = slo;
  let whi = shi;
  let side = 0;
  for (let trial = 0; trial < MAX_TRIALS; trial++) {
    if (Number.isFinite(shi) && shi <= -CURVATURE * slope0 && f.change(hi) <= ARMIJO * hi * slope0) return hi;
    const w = hi - lo;
    let m = Number.isFinite(whi) ? lo + (w * -wlo) / (whi - wlo) : 0.5 * (lo + hi);
    // keep trials away from the ends (at least a tenth of the bracket)
    if (!(m > lo + 0.1 * w && m < hi - 0.1 * w)) m = 0.5 * (lo + hi);
    let sm = f.slope(m);
    if (!Number.isFinite(sm)) sm = Infinity;
    if (sm <= 0) {
      if (sm >= CURVATURE * slope0) return m;
      lo = m;
      slo = sm;
      wlo = sm;
      if (side === -1) whi *= 0.5;
      side = -1;
    } else {
      hi = m;
      shi = sm;
      whi = sm;
      if (side === 1) wlo *= 0.5;
      side = 1;
    }
    if (hi - lo <= 1e-15 * hi) break;
  }
  return lo;
}
