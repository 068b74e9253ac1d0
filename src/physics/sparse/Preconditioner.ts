/**
 * A preconditioner M ~ A for the conjugate-gradient method: apply() computes z = M^{-1} r. M must be symmetric
 * positive definite; apply() must not allocate (it runs once per CG iteration).
 */
export interface Preconditioner {
  /** Short name for diagnostics, e.g. 'jacobi' or 'ic0'. */
  readonly name: string;
  /** z = M^{-1} r (r and z of length n, distinct arrays). */
  apply(r: Float64Array, z: Float64Array): void;
}
