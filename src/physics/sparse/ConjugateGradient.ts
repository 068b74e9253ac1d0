import { NumericalError } from '../../errors.js';
import { type CsrMatrix, csrMatVec } from './CsrMatrix.js';
import type { Preconditioner } from './Preconditioner.js';

/** Outcome of a {@link ConjugateGradient} solve. */
export interface CgResult {
  /** Iterations performed (over all restarts). */
  iterations: number;
  /** True relative residual ||b - A x||_2 / ||b||_2 at the end (recomputed, not the recurrence's estimate). */
  residual: number;
  /** residual <= tolerance. */
  converged: boolean;
}

/**
 * Preconditioned conjugate gradients for a symmetric positive definite CSR matrix, with work vectors
 * allocated once for order n. The recursively updated residual drifts from the true one in long runs, so on
 * apparent convergence the true residual is recomputed and, if it misses the tolerance, CG restarts from the
 * current iterate (at most a few times).
 */
export class ConjugateGradient {
  readonly n: number;
  private readonly r: Float64Array;
  private readonly z: Float64Array;
  private readonly p: Float64Array;
  private readonly q: Float64Array;

  constructor(n: number) {
    this.n = n;
    this.r = new Float64Array(n);
    this.z = new Float64Array(n);
    this.p = new Float64Array(n);
    this.q = new Float64Array(n);
  }

  /**
   * Solve A x = b. `x` holds the initial guess on entry (zeros for a cold start) and the solution on return.
   * @param tolerance relative residual target ||b - A x|| / ||b|| (dimensionless)
   * @param maxIterations iteration cap over all restarts
   * Throws NumericalError if a search direction has p^T A p <= 0 (A not positive definite).
   */
  solve(a: CsrMatrix, m: Preconditioner, b: Float64Array, x: Float64Array, tolerance: number, maxIterations: number): CgResult {
    const n = this.n;
    const { r, z, p, q } = this;
    const bnorm = Math.sqrt(dot(b, b, n));
    if (bnorm === 0) {
      x.fill(0);
      return { iterations: 0, residual: 0, converged: true };
    }
    const target = tolerance * bnorm;
    let iterations = 0;
    let rnorm = this.trueResidual(a, b, x);
    for (let restart = 0; restart < 4 && rnorm > target && iterations < maxIterations; restart++) {
      m.apply(r, z);
      for (let i = 0; i < n; i++) p[i] = z[i];
      let rz = dot(r, z, n);
      while (iterations < maxIterations) {
        csrMatVec(a, p, q);
        const pq = dot(p, q, n);
        if (!(pq > 0)) {
          throw new NumericalError(`conjugate gradients: matrix is not positive definite (p^T A p = ${pq} at iteration ${iterations})`);
        }
        const alpha = rz / pq;
        let rr = 0;
        for (let i = 0; i < n; i++) {
          x[i] += alpha * p[i];
          const ri = r[i] - alpha * q[i];
          r[i] = ri;
          rr += ri * ri;
        }
        iterations++;
        if (Math.sqrt(rr) <= target) break;
        m.apply(r, z);
        const rzNew = dot(r, z, n);
        const beta = rzNew / rz;
        rz = rzNew;
        for (let i = 0; i < n; i++) p[i] = z[i] + beta * p[i];
      }
      rnorm = this.trueResidual(a, b, x);
    }
    const residual = rnorm / bnorm;
    return { iterations, residual, converged: residual <= tolerance };
  }

  /** r = b - A x; returns ||r||. */
  private trueResidual(a: CsrMatrix, b: Float64Array, x: Float64Array): number {
    const { r, q } = this;
    csrMatVec(a, x, q);
    let s = 0;
    for (let i = 0; i < this.n; i++) {
      const ri = b[i] - q[i];
      r[i] = ri;
      s += ri * ri;
    }
    return Math.sqrt(s);
  }
}

function dot(x: Float64Array, y: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * y[i];
  return s;
}
