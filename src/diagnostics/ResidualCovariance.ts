/**
 * Covariance of the voltage residual over the checked nodes when nothing is faulty, built as a sum of rank-1 terms
 * std^2 p p^T (one per elementary cause: see FaultPatterns.ts), and its Cholesky factor L for whitening:
 * whiten(v) = L^{-1} v, so that a residual drawn from this covariance whitens to independent unit normals and
 * least-squares fits on whitened vectors are generalised least squares.
 *
 * Dense (m x m for m checked nodes) up to `maxDense` nodes, which covers every board (16 nodes on the shipped
 * models); above it only the diagonal is kept (each node's own variance), which is exact for the thresholds and
 * ignores correlations in the fits.
 */
import { NumericalError } from '../errors.js';
import { Float64Slab } from '../Float64Slab.js';

/** Each covariance's diagonal and each whitened vector, as views of shared blocks (Float64Slab.ts). */
const slab = new Float64Slab();

/** Above this many checked nodes the covariance is kept diagonal. */
export const MAX_DENSE_COVARIANCE = 512;

export class ResidualCovariance {
  /** Checked node ids, ascending. */
  readonly checked: Int32Array;
  /** Whether correlations are kept. */
  readonly dense: boolean;
  private readonly index: Int32Array;
  private readonly m: number;
  /** Dense: m x m row-major (lower triangle holds L after factorize); diagonal: m variances. */
  private readonly c: Float64Array;
  private readonly diagonal: Float64Array;
  private factored = false;

  /** @param checked mask over nodes (1 = checked) */
  constructor(checked: Uint8Array, maxDense = MAX_DENSE_COVARIANCE, matrix?: Float64Array) {
    const ids: number[] = [];
    this.index = new Int32Array(checked.length).fill(-1);
    for (let i = 0; i < checked.length; i++) if (checked[i]) this.index[i] = ids.push(i) - 1;
    this.checked = Int32Array.from(ids);
    this.m = ids.length;
    this.dense = this.m <= maxDense;
    if (matrix && matrix.length !== this.m * this.m) throw new Error(`ResidualCovariance: matrix of ${matrix.length} entries for ${this.m} checked nodes`);
    this.c = matrix ?? slab.take(this.dense ? this.m * this.m : 0);
    this.diagonal = slab.take(this.m);
  }

  /**
   * The covariance given whole (dense): `lower` holds it over the checked nodes of `checked` (ascending node order),
   * m x m row-major, of which the lower triangle (diagonal included) is read. Taken over, not copied. For a caller
   * that sums the rank-1 terms itself (ConsistencyChecker's dense path); {@link add} may still follow.
   */
  static fromMatrix(checked: Uint8Array, lower: Float64Array): ResidualCovariance {
    const cov = new ResidualCovariance(checked, Infinity, lower);
    const m = cov.m;
    for (let a = 0; a < m; a++) cov.diagonal[a] = lower[a * m + a];
    return cov;
  }

  /** Add std^2 p p^T (p indexed by node; entries at unchecked nodes ignored). */
  add(pattern: ArrayLike<number>, std: number): void {
    if (this.factored) throw new Error('ResidualCovariance: add after factorize');
    if (std === 0) return;
    const s2 = std * std;
    const { checked, m, c, diagonal } = this;
    for (let a = 0; a < m; a++) {
      const pa = pattern[checked[a]];
      if (pa === 0) continue;
      diagonal[a] += s2 * pa * pa;
      if (!this.dense) continue;
      for (let b = 0; b <= a; b++) c[a * m + b] += s2 * pa * pattern[checked[b]];
    }
  }

  /** Variance of node i's residual (V^2); NaN for an unchecked node. */
  variance(i: number): number {
    const a = this.index[i];
    return a < 0 ? NaN : this.diagonal[a];
  }

  /** Cholesky factorisation (call once, after the last add). Throws NumericalError if not positive definite. */
  factorize(): void {
    if (this.factored) return;
    this.factored = true;
    const { m, c, diagonal } = this;
    if (!this.dense) {
      for (let a = 0; a < m; a++) if (!(diagonal[a] > 0)) throw new NumericalError(`residual covariance: node ${this.checked[a]} has no variance`);
      return;
    }
    for (let j = 0; j < m; j++) {
      let d = c[j * m + j];
      for (let t = 0; t < j; t++) d -= c[j * m + t] ** 2;
      if (!(d > 1e-14 * diagonal[j]) || !(diagonal[j] > 0)) {
        throw new NumericalError(`residual covariance is not positive definite at node ${this.checked[j]}`);
      }
      const ljj = Math.sqrt(d);
      c[j * m + j] = ljj;
      for (let i = j + 1; i < m; i++) {
        let s = c[i * m + j];
        for (let t = 0; t < j; t++) s -= c[i * m + t] * c[j * m + t];
        c[i * m + j] = s / ljj;
      }
    }
  }

  /** L^{-1} v over the checked nodes (v indexed by node). */
  whiten(v: ArrayLike<number>): Float64Array {
    if (!this.factored) this.factorize();
    const { m, c, checked } = this;
    const y = slab.take(m);
    if (!this.dense) {
      for (let a = 0; a < m; a++) y[a] = v[checked[a]] / Math.sqrt(this.diagonal[a]);
      return y;
    }
    for (let i = 0; i < m; i++) {
      let s = v[checked[i]];
      for (let t = 0; t < i; t++) s -= c[i * m + t] * y[t];
      y[i] = s / c[i * m + i];
    }
    return y;
  }
}
