/**
 * The null model of the stiff-mode/soft-mode alignment: the distribution of |cos| between a uniformly random unit
 * vector and any fixed unit vector in d dimensions.
 *
 * The alignment statistic of a member is c = |v . s| with v the stiffest cost-Hessian mode and s the edge-space image
 * of the softest physical mode, both unit vectors in the d = E dimensional edge space (|.| because an eigenvector's
 * sign is arbitrary). Null hypothesis: learning did not tie the two together, i.e. v points in a uniformly random
 * direction independent of s. Only one of the two needs to be random: the uniform distribution on the sphere is
 * invariant under rotations, so rotate s to the first axis e_1. Write v = g / |g| with g ~ N(0, I_d) (a normalised
 * Gaussian vector is uniform on the sphere). Then
 *
 *   c^2 = g_1^2 / (g_1^2 + g_2^2 + ... + g_d^2) = X / (X + Y),  X ~ chi^2_1,  Y ~ chi^2_(d-1) independent,
 *
 * and X / (X + Y) ~ Beta(1/2, (d-1)/2). Hence P(c <= x) = I_(x^2)(1/2, (d-1)/2) (regularised incomplete beta),
 * density f(x) = 2 (1 - x^2)^((d-3)/2) / B(1/2, (d-1)/2) on [0, 1], and
 *
 *   E[c] = E[sqrt T], T ~ Beta(1/2, (d-1)/2)  =  B(1, (d-1)/2) / B(1/2, (d-1)/2)  =  Gamma(d/2) / (sqrt(pi) Gamma((d+1)/2)),
 *
 * about sqrt(2 / (pi d)) for large d. Checks: d = 2 gives P(c <= x) = (2/pi) arcsin x (c = |cos theta|, theta
 * uniform); d = 3 gives c uniform on [0, 1] (Archimedes' hat-box theorem).
 *
 * Note: clln's `modeCoupling` baseline randomises the other side (squared drops of random node vectors, which are all
 * >= 0 and far from isotropic); that is a different, network-specific null. This one holds whatever s is.
 */
import { incompleteBeta, lnGamma } from './special.js';

/** The null distribution of |cos| in `d` dimensions (integer d >= 2). */
export interface AlignmentNull {
  d: number;
  /** P(c <= x). */
  cdf(x: number): number;
  /** Density of c at x in [0, 1]. */
  pdf(x: number): number;
  /** The p-quantile (bisection on the CDF to 1e-12). */
  quantile(p: number): number;
  mean: number;
}

/** The null model of |cos| between a random unit vector and a fixed one in d >= 2 dimensions (see the file comment). */
export function alignmentNull(d: number): AlignmentNull {
  if (!(Number.isInteger(d) && d >= 2)) throw new RangeError(`alignmentNull: d must be an integer >= 2, got ${d}`);
  const a = 0.5;
  const b = (d - 1) / 2;
  const lnB = lnGamma(a) + lnGamma(b) - lnGamma(a + b);
  const cdf = (x: number): number => (x <= 0 ? 0 : x >= 1 ? 1 : incompleteBeta(x * x, a, b));
  const pdf = (x: number): number => (x < 0 || x > 1 ? 0 : 2 * Math.exp((b - 1) * Math.log1p(-x * x) - lnB));
  const quantile = (p: number): number => {
    if (p <= 0) return 0;
    if (p >= 1) return 1;
    let lo = 0;
    let hi = 1;
    while (hi - lo > 1e-12) {
      const mid = (lo + hi) / 2;
      if (cdf(mid) < p) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  const mean = Math.exp(lnGamma(d / 2) - lnGamma((d + 1) / 2)) / Math.sqrt(Math.PI);
  return { d, cdf, pdf, quantile, mean };
}
