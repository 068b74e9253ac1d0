import type { CsrMatrix } from './CsrMatrix.js';
import type { Preconditioner } from './Preconditioner.js';

/**
 * Zero-fill incomplete Cholesky preconditioner IC(0): M = L L^T with L restricted to the lower triangle of
 * A's own pattern. For graph Laplacians with positive conductances (M-matrices) it always exists and roughly
 * halves the CG iteration count compared with Jacobi. The pattern is analysed once; update() recomputes the
 * numbers in place.
 */
export class IncompleteCholesky implements Preconditioner {
  readonly name = 'ic0';
  private readonly n: number;
  /** Lower-triangular pattern, row by row, ascending columns, diagonal last in each row. */
  private readonly ptr: Int32Array;
  private readonly col: Int32Array;
  /** Position in A's value array of each stored entry of L. */
  private readonly src: Int32Array;
  private readonly val: Float64Array;
  private readonly mark: Int32Array;
  private readonly y: Float64Array;

  /** @param a symmetric matrix with both triangles stored, columns ascending, diagonal present in every row */
  constructor(a: CsrMatrix) {
    const { n, rowPtr, colIdx } = a;
    this.n = n;
    const ptr = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      let c = 0;
      for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) if (colIdx[p] <= i) c++;
      ptr[i + 1] = ptr[i] + c;
    }
    const col = new Int32Array(ptr[n]);
    const src = new Int32Array(ptr[n]);
    for (let i = 0; i < n; i++) {
      let q = ptr[i];
      for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) {
        if (colIdx[p] <= i) {
          col[q] = colIdx[p];
          src[q] = p;
          q++;
        }
      }
    }
    this.ptr = ptr;
    this.col = col;
    this.src = src;
    this.val = new Float64Array(ptr[n]);
    this.mark = new Int32Array(n).fill(-1);
    this.y = new Float64Array(n);
  }

  /**
   * Recompute the factor for the values of `a` (same pattern as in the constructor). Returns false on a
   * breakdown (a non-positive pivot), in which case the caller should fall back to another preconditioner.
   */
  update(a: CsrMatrix): boolean {
    const { n, ptr, col, src, val, mark } = this;
    const av = a.values;
    for (let q = 0; q < val.length; q++) val[q] = av[src[q]];
    for (let i = 0; i < n; i++) {
      const end = ptr[i + 1] - 1; // diagonal position
      if (col[end] !== i) return false; // missing diagonal
      for (let q = ptr[i]; q < end; q++) mark[col[q]] = q;
      let diag = val[end];
      for (let q = ptr[i]; q < end; q++) {
        const k = col[q];
        let s = val[q];
        const kend = ptr[k + 1] - 1;
        for (let r = ptr[k]; r < kend; r++) {
          const m = mark[col[r]];
          if (m >= 0) s -= val[m] * val[r];
        }
        s /= val[kend];
        val[q] = s;
        diag -= s * s;
      }
      for (let q = ptr[i]; q < end; q++) mark[col[q]] = -1;
      if (!(diag > 0)) return false;
      val[end] = Math.sqrt(diag);
    }
    return true;
  }

  apply(r: Float64Array, z: Float64Array): void {
    const { n, ptr, col, val, y } = this;
    for (let i = 0; i < n; i++) {
      const end = ptr[i + 1] - 1;
      let s = r[i];
      for (let q = ptr[i]; q < end; q++) s -= val[q] * y[col[q]];
      y[i] = s / val[end];
    }
    for (let i = 0; i < n; i++) z[i] = y[i];
    for (let i = n - 1; i >= 0; i--) {
      const end = ptr[i + 1] - 1;
      const zi = z[i] / val[end];
      z[i] = zi;
      for (let q = ptr[i]; q < end; q++) z[col[q]] -= val[q] * zi;
    }
  }
}
