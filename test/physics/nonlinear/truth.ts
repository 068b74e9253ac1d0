/**
 * Independent truths for the nonlinear solver tests, written from the textbook formulas and not from the solver's
 * code: the Lambert W function (Halley's iteration) and a bisection root finder.
 */

/** Principal branch W0(z) for z >= 0: the w >= 0 with w e^w = z, by Halley's iteration to rounding. */
export function lambertW(z: number): number {
  if (z === 0) return 0;
  // start: log1p for small z, the asymptotic log z - log log z for large z
  let w = z < 3 ? Math.log1p(z) : Math.log(z) - Math.log(Math.log(z));
  for (let k = 0; k < 100; k++) {
    const ew = Math.exp(w);
    const f = w * ew - z;
    const step = f / (ew * (w + 1) - ((w + 2) * f) / (2 * w + 2));
    w -= step;
    if (Math.abs(step) <= 1e-16 * Math.max(1, Math.abs(w))) break;
  }
  return w;
}

/** A root of an increasing f on [lo, hi] (f(lo) < 0 < f(hi)) by bisection to the last bit. */
export function bisect(f: (x: number) => number, lo: number, hi: number): number {
  for (let k = 0; k < 2000; k++) {
    const m = 0.5 * (lo + hi);
    if (m <= lo || m >= hi) break;
    if (f(m) < 0) lo = m;
    else hi = m;
  }
  return 0.5 * (lo + hi);
}

/** k_B T / q at 300 K (V), from the CODATA constants. */
export const VT300 = (1.380649e-23 * 300) / 1.602176634e-19;
