/**
 * Dense Cholesky solve for the small symmetric positive definite systems of a least-squares fit (the damped normal
 * equations of Levenberg-Marquardt, n up to a few hundred). Row-major Float64Array; about n^3 / 6 multiply-adds.
 * Faster than a general-purpose matrix library for many repeated small solves, and allocation-light.
 */

/**
 * Solve A x = b for a symmetric positive definite n x n matrix A (row-major; only the lower triangle, i.e.
 * `A[i*n + j]` with j <= i, is read). Neither `A` nor `b` is modified.
 *
 * @returns x (a new array of length n), or null if A is not numerically positive definite (a pivot is not
 *   positive or not finite), so that the caller can damp more and retry.
 */
export function choleskySolve(A: Float64Array, n: number, b: Float64Array): Float64Array | null {
  // L (lower triangle, row-major) with A = L L^T, computed row by row (Cholesky-Banachiewicz).
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = A[ri + j];
      for (let k = 0; k < j; k++) s -= L[ri + k] * L[rj + k];
      if (j === i) {
        if (!(s > 0) || !Number.isFinite(s)) return null;
        L[ri + i] = Math.sqrt(s);
      } else {
        L[ri + j] = s / L[rj + j];
      }
    }
  }
  // L y = b
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[ri + k] * x[k];
    x[i] = s / L[ri + i];
  }
  // L^T x = y
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
  }
  for (let i = 0; i < n; i++) if (!Number.isFinite(x[i])) return null;
  return x;
}
