import { NumericalError } from '../../errors.js';
import type { CsrMatrix } from './CsrMatrix.js';
import type { Preconditioner } from './Preconditioner.js';

/** Diagonal (Jacobi) preconditioner M = diag(A): cheapest, and never breaks down on a positive diagonal. */
export class JacobiPreconditioner implements Preconditioner {
  readonly name = 'jacobi';
  private readonly inv: Float64Array;

  constructor(n: number) {
    this.inv = new Float64Array(n);
  }

  /** Take the diagonal of `a` (same order n). Throws NumericalError on a non-positive diagonal entry. */
  update(a: CsrMatrix): void {
    const { n, rowPtr, colIdx, values } = a;
    for (let i = 0; i < n; i++) {
      let d = 0;
      for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) if (colIdx[p] === i) d = values[p];
      if (!(d > 0)) throw new NumericalError(`matrix is not positive definite: diagonal entry ${i} is ${d}`);
      this.inv[i] = 1 / d;
    }
  }

  apply(r: Float64Array, z: Float64Array): void {
    const inv = this.inv;
    for (let i = 0; i < inv.length; i++) z[i] = r[i] * inv[i];
  }
}
