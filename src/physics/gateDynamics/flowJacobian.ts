import type { GateFlow } from './GateFlow.js';

/**
 * The linearised flow matrix `M = -d(dG/dt)/dG` (1/s, row-major n x n, rails ignored) at gates `g` by central
 * differences with step `h` (V). For the rate law of GateFlow this is `r kappa Hess_G(P_C - P_F)` up to the constant
 * 1/(0.33 V) scale (the bias is constant and drops out), the authors' `M_i`.
 */
export function flowJacobian(flow: GateFlow, g: ArrayLike<number>, h = 1e-5): Float64Array {
  const n = g.length;
  const m = new Float64Array(n * n);
  const gp = Float64Array.from(g);
  const fp = new Float64Array(n);
  const fm = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    gp[j] = g[j] + h;
    flow.derivative(gp, fp, false);
    gp[j] = g[j] - h;
    flow.derivative(gp, fm, false);
    gp[j] = g[j];
    for (let i = 0; i < n; i++) m[i * n + j] = -(fp[i] - fm[i]) / (2 * h);
  }
  return m;
}

/** Upper bound of the spectral radius of a row-major n x n matrix (Frobenius norm), 1/s for a flow matrix. */
export function frobeniusNorm(m: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < m.length; i++) s += m[i] * m[i];
  return Math.sqrt(s);
}
