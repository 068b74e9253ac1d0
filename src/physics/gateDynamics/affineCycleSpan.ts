import { InvalidInputError } from '../../errors.js';
import { DenseLu } from '../denseLu.js';

/** An affine flow `dG/dt = -M G + mu` (M row-major n x n in 1/s, mu in V/s): the authors' linearised model. */
export interface AffineFlow {
  m: ArrayLike<number>;
  mu: ArrayLike<number>;
}

/** exp(A) of a small dense matrix (row-major k x k) by scaling and squaring with a degree-16 Taylor polynomial. */
export function smallExpm(a: ArrayLike<number>, k: number): Float64Array {
  let norm = 0;
  for (let i = 0; i < k; i++) {
    let row = 0;
    for (let j = 0; j < k; j++) row += Math.abs(a[i * k + j]);
    norm = Math.max(norm, row);
  }
  // Scale to norm <= 0.5, where 16 Taylor terms are exact to rounding (0.5^17 / 17! ~ 1e-20).
  const squarings = norm > 0.5 ? Math.ceil(Math.log2(norm / 0.5)) : 0;
  const scale = 2 ** -squarings;
  const mul = (x: Float64Array, y: Float64Array): Float64Array => {
    const z = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let l = 0; l < k; l++) for (let j = 0; j < k; j++) z[i * k + j] += x[i * k + l] * y[l * k + j];
    return z;
  };
  const as = Float64Array.from(a, (v) => v * scale);
  let result: Float64Array = new Float64Array(k * k);
  let term: Float64Array = new Float64Array(k * k);
  for (let i = 0; i < k; i++) result[i * k + i] = term[i * k + i] = 1;
  for (let p = 1; p <= 16; p++) {
    term = mul(term, as).map((v) => v / p);
    for (let i = 0; i < k * k; i++) result[i] += term[i];
  }
  for (let s = 0; s < squarings; s++) result = mul(result, result);
  return result;
}

/**
 * The exact steady cycle of two affine flows alternating every tau/2 (the authors' linear model): each half period
 * maps G to `E_i G + c_i` with `[E_i c_i]` the top n rows of `exp(tau/2 [[-M_i, mu_i], [0, 0]])`; the cycle starts at
 * `G0 = (I - E_B E_A)^-1 (E_B c_A + c_B)` and its span is `D^2 = |E_A G0 + c_A - G0|^2`.
 */
export function affineCycleSpan(a: AffineFlow, b: AffineFlow, tau: number, n: number): { g0: Float64Array; gHalf: Float64Array; d2: number } {
  if (!(tau > 0)) throw new InvalidInputError({ field: 'tau' }, `period must be positive seconds, got ${tau}`, 'pass e.g. 0.02');
  const half = (f: AffineFlow): { e: Float64Array; c: Float64Array } => {
    const k = n + 1;
    const big = new Float64Array(k * k);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) big[i * k + j] = (-f.m[i * n + j] * tau) / 2;
      big[i * k + n] = (f.mu[i] * tau) / 2;
    }
    const x = smallExpm(big, k);
    const e = new Float64Array(n * n);
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) e[i * n + j] = x[i * k + j];
      c[i] = x[i * k + n];
    }
    return { e, c };
  };
  const A = half(a);
  const B = half(b);
  const lhs = new Float64Array(n * n);
  const rhs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < n; l++) s += B.e[i * n + l] * A.e[l * n + j];
      lhs[i * n + j] = (i === j ? 1 : 0) - s;
    }
    let s = B.c[i];
    for (let l = 0; l < n; l++) s += B.e[i * n + l] * A.c[l];
    rhs[i] = s;
  }
  const lu = DenseLu.factor(lhs, n);
  if (!lu) throw new InvalidInputError({ field: 'flows' }, 'the two flows share a zero mode, so the cycle is not unique', 'use tasks whose solution sets cross');
  const g0 = lu.solve(rhs);
  const gHalf = new Float64Array(n);
  let d2 = 0;
  for (let i = 0; i < n; i++) {
    let s = A.c[i];
    for (let l = 0; l < n; l++) s += A.e[i * n + l] * g0[l];
    gHalf[i] = s;
    d2 += (s - g0[i]) ** 2;
  }
  return { g0, gHalf, d2 };
}
