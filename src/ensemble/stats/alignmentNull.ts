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
 * The statistic kept per member (src/ensemble/runMember.ts) is the largest |cos| over the K softest modes:
 * M = max_k |v . s_k|. Its null law depends on how the s_k lie to each other, but it is bracketed: M >= |v . s_1|, so
 * P(M <= x) <= F(x); and in the Gaussian limit of large d (v ~ g / sqrt(d), the v . s_k jointly normal with the s_k's
 * Gram matrix as covariance), Sidak's inequality P(max_k |X_k| <= x) >= prod_k P(|X_k| <= x) for any centred normal
 * vector gives P(M <= x) >= F(x)^K, with equality when the s_k are orthogonal. So the K-mode model here, F(x)^K, is
 * the conservative null: its 95th percentile F^-1(0.95^(1/K)) is exceeded by chance with probability <= 5 %, and its
 * mean is an upper bound on the chance mean. Squared drops are all >= 0 and strongly correlated, so the true null is
 * nearer the one-mode law; both are reported.
 *
 * Note: clln's `modeCoupling` baseline randomises the other side (squared drops of random node vectors, which are all
 * >= 0 and far from isotropic); that is a different, network-specific null. This one holds whatever s is.
 */
import { incompleteBeta, lnGamma } from './special.js';

/** The null distribution of the largest |cos| over K fixed vectors in `d` dimensions (integer d >= 2, K >= 1). */
export interface AlignmentNull {
  d: number;
  K: number;
  /** P(M <= x): F(x)^K (exact for K = 1). */
  cdf(x: number): number;
  /** Density of M at x in [0, 1]: K F^(K-1) f. */
  pdf(x: number): number;
  /** The p-quantile (bisection on the CDF to 1e-12). */
  quantile(p: number): number;
  /** E[M]: the closed form for K = 1, the integral of 1 - F^K otherwise (midpoint rule, 4000 points). */
  mean: number;
}

/** The null model of the alignment in d >= 2 dimensions over K >= 1 soft modes (see the file comment). */
export function alignmentNull(d: number, K = 1): AlignmentNull {
  if (!(Number.isInteger(d) && d >= 2)) throw new RangeError(`alignmentNull: d must be an integer >= 2, got ${d}`);
  if (!(Number.isInteger(K) && K >= 1)) throw new RangeError(`alignmentNull: K must be an integer >= 1, got ${K}`);
  const a = 0.5;
  const b = (d - 1) / 2;
  const lnB = lnGamma(a) + lnGamma(b) - lnGamma(a + b);
  const one = (x: number): number => (x <= 0 ? 0 : x >= 1 ? 1 : incompleteBeta(x * x, a, b));
  const cdf = (x: number): number => one(x) ** K;
  const pdf = (x: number): number => (x < 0 || x > 1 ? 0 : K * one(x) ** (K - 1) * 2 * Math.exp((b - 1) * Math.log1p(-x * x) - lnB));
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
  let mean = Math.exp(lnGamma(d / 2) - lnGamma((d + 1) / 2)) / Math.sqrt(Math.PI);
  if (K > 1) {
    // E[M] = integral over [0, 1] of P(M > x); beyond the (1 - 1e-14) quantile the integrand is negligible
    const top = quantile(1 - 1e-14);
    const n = 4000;
    let s = 0;
    for (let i = 0; i < n; i++) s += 1 - cdf(((i + 0.5) * top) / n);
    mean = (s * top) / n;
  }
  return { d, K, cdf, pdf, quantile, mean };
}
