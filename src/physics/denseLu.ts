/**
 * Dense LU factorisation with partial pivoting, for the small free-node systems of a board (tens of nodes): the
 * Kirchhoff Jacobian of a transistor board is not symmetric, so Cholesky does not apply. Row-major Float64Array.
 */

/** An LU factorisation of an n x n matrix: solve many right-hand sides against it. */
export class DenseLu {
  private constructor(
    readonly n: number,
    private readonly lu: Float64Array,
    private readonly perm: Int32Array,
  ) {}

  /** Factorise `a` (n x n row-major; not modified). Returns null if a pivot is zero or not finite (singular). */
  static factor(a: Float64Array, n: number): DenseLu | null {
    const lu = Float64Array.from(a.subarray(0, n * n));
    const perm = Int32Array.from({ length: n }, (_, i) => i);
    for (let c = 0; c < n; c++) {
      let p = c;
      let best = Math.abs(lu[c * n + c]);
      for (let r = c + 1; r < n; r++) {
        const v = Math.abs(lu[r * n + c]);
        if (v > best) {
          best = v;
          p = r;
        }
      }
      if (!(best > 0) || !Number.isFinite(best)) return null;
      if (p !== c) {
        for (let j = 0; j < n; j++) {
          const t = lu[p * n + j];
          lu[p * n + j] = lu[c * n + j];
          lu[c * n + j] = t;
        }
        const t = perm[p];
        perm[p] = perm[c];
        perm[c] = t;
      }
      const d = lu[c * n + c];
      for (let r = c + 1; r < n; r++) {
        const f = (lu[r * n + c] /= d);
        if (f === 0) continue;
        for (let j = c + 1; j < n; j++) lu[r * n + j] -= f * lu[c * n + j];
      }
    }
    return new DenseLu(n, lu, perm);
  }

  /** Solve A x = b; writes x into `out` (may be a fresh array) and returns it. `b` is not modified. */
  solve(b: ArrayLike<number>, out: Float64Array = new Float64Array(this.n)): Float64Array {
    const { n, lu, perm } = this;
    for (let i = 0; i < n; i++) out[i] = b[perm[i]];
    for (let i = 0; i < n; i++) {
      let s = out[i];
      for (let j = 0; j < i; j++) s -= lu[i * n + j] * out[j];
      out[i] = s;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = out[i];
      for (let j = i + 1; j < n; j++) s -= lu[i * n + j] * out[j];
      out[i] = s / lu[i * n + i];
    }
    return out;
  }
}
