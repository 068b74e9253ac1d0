/**
 * FIRE, the Fast Inertial Relaxation Engine (Bitzek, Koskinen, Gähler, Moseler & Gumbsch, PRL 97, 170201, 2006):
 * energy minimisation by damped molecular dynamics (unit masses) whose velocity is steered towards the force, with an
 * adaptive time step. Written from the paper's description. Pure.
 */

/** Energy and force at x: writes F = -grad E into `force` and returns E. */
export type EnergyAndForce = (x: Float64Array, force: Float64Array) => number;

/** Options of {@link fire}; the defaults are the paper's. */
export interface FireOptions {
  /** Converged when every component satisfies |F_i| <= this (force units). Default 1e-10. */
  forceTolerance?: number;
  /** Most MD steps. Default 1e6. */
  maxIterations?: number;
  /** Initial time step (time units; mass 1). Default 0.01. */
  dt?: number;
  /** Largest time step. Default 10 dt. */
  dtMax?: number;
  /** Steps with P = F.v > 0 before the step may grow (N_min). Default 5. */
  nMin?: number;
  /** Step growth f_inc. Default 1.1. */
  fInc?: number;
  /** Step shrink f_dec. Default 0.5. */
  fDec?: number;
  /** Initial steering alpha_start. Default 0.1. */
  alphaStart?: number;
  /** Steering decay f_alpha. Default 0.99. */
  fAlpha?: number;
}

/** The result, with its diagnostics. */
export interface FireResult {
  /** The final positions (the input array, moved in place). */
  x: Float64Array;
  /** E at x. */
  energy: number;
  /** max_i |F_i| at x. */
  maxForce: number;
  /** MD steps taken. */
  iterations: number;
  /** maxForce <= forceTolerance. */
  converged: boolean;
}

/**
 * Minimise E from `x` (moved in place). Each step: a semi-implicit Euler MD step v += F dt, then the FIRE mixing
 * v <- (1 - alpha) v + alpha |v| F / |F| when P = F.v > 0 (after N_min such steps dt grows by f_inc up to dt_max and
 * alpha decays by f_alpha), else v <- 0, dt shrinks by f_dec and alpha resets; then x += v dt.
 */
export function fire(x: Float64Array, energyAndForce: EnergyAndForce, options: FireOptions = {}): FireResult {
  const tol = options.forceTolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 1_000_000;
  let dt = options.dt ?? 0.01;
  const dtMax = options.dtMax ?? 10 * dt;
  const nMin = options.nMin ?? 5;
  const fInc = options.fInc ?? 1.1;
  const fDec = options.fDec ?? 0.5;
  const alphaStart = options.alphaStart ?? 0.1;
  const fAlpha = options.fAlpha ?? 0.99;
  const n = x.length;
  const v = new Float64Array(n);
  const f = new Float64Array(n);
  let energy = energyAndForce(x, f);
  let alpha = alphaStart;
  let positive = 0; // steps since P was last <= 0
  let iterations = 0;
  let maxForce = maxAbs(f);
  while (maxForce > tol && iterations < maxIterations) {
    let p = 0;
    let vv = 0;
    let ff = 0;
    for (let i = 0; i < n; i++) {
      p += f[i] * v[i];
      vv += v[i] * v[i];
      ff += f[i] * f[i];
    }
    if (p > 0) {
      const scale = ff > 0 ? (alpha * Math.sqrt(vv)) / Math.sqrt(ff) : 0;
      for (let i = 0; i < n; i++) v[i] = (1 - alpha) * v[i] + scale * f[i];
      positive++;
      if (positive > nMin) {
        dt = Math.min(dt * fInc, dtMax);
        alpha *= fAlpha;
      }
    } else {
      v.fill(0);
      dt *= fDec;
      alpha = alphaStart;
      positive = 0;
    }
    for (let i = 0; i < n; i++) {
      v[i] += f[i] * dt;
      x[i] += v[i] * dt;
    }
    energy = energyAndForce(x, f);
    maxForce = maxAbs(f);
    iterations++;
  }
  return { x, energy, maxForce, iterations, converged: maxForce <= tol };
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const t = Math.abs(a[i]);
    if (t > m) m = t;
  }
  return m;
}
