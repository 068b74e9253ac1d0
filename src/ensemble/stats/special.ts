/**
 * Special functions the ensemble statistics need, written from their textbook definitions: log Gamma (Lanczos), the
 * regularised incomplete beta function I_x(a, b) (continued fraction, modified Lentz), and the binomial upper tail
 * through it. Pure; no state.
 */

// Lanczos coefficients for g = 7, nine terms: |relative error| < 1e-15 for Re z > 0.5 (Numerical Recipes' and
// Godfrey's choice of g); the reflection formula covers z < 0.5.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Gamma(z) for z > 0 (NaN otherwise). */
export function lnGamma(z: number): number {
  if (!(z > 0) || !Number.isFinite(z)) return z === Infinity ? Infinity : NaN;
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z);
  const x = z - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += LANCZOS[i] / (x + i);
  const t = x + LANCZOS_G + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b), a, b > 0. */
export function lnBeta(a: number, b: number): number {
  return lnGamma(a) + lnGamma(b) - lnGamma(a + b);
}

const TINY = 1e-300;
const EPS = 1e-15;
const MAX_ITER = 100_000;

/**
 * The continued fraction of I_x(a, b) (the even and odd terms d_2m, d_2m+1 of the standard expansion), evaluated by
 * the modified Lentz method; converges fast for x < (a + 1) / (a + b + 2). Iterations grow like sqrt(max(a, b)), so
 * b = 10^4 (an edge space of 2*10^4 dimensions) takes a few hundred.
 */
function betaFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITER; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return h;
  }
  return h;
}

/**
 * The regularised incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b): the CDF at x of a Beta(a, b) variable.
 * a, b > 0; x is clamped to [0, 1]. Uses the continued fraction directly below the mean-ish point (a + 1)/(a + b + 2)
 * and the symmetry I_x(a, b) = 1 - I_(1-x)(b, a) above it, where the fraction converges fastest.
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0) || Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = a * Math.log(x) + b * Math.log1p(-x) - lnBeta(a, b);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaFraction(1 - x, b, a)) / b;
}

/** P(X >= k) for X ~ Binomial(n, p): I_p(k, n - k + 1) for 1 <= k <= n, 1 for k <= 0, 0 for k > n. */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  return incompleteBeta(p, k, n - k + 1);
}
