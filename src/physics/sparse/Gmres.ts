/**
 * Flexible GMRES with restarts (Saad's FGMRES, right-preconditioned) for a general, non-symmetric system `A x = b`
 * given by its action. Why GMRES: it minimises the true residual over the Krylov space, so with a preconditioner close
 * to A (the exact Kirchhoff Jacobian of a transistor network against the Laplacian of its symmetric part) it converges
 * in a handful of iterations, monotonically, and stops on a residual it can state; BiCGSTAB is cheaper per iteration
 * but its residual is not monotone and it can break down. Why flexible: the columns `z_j = M^-1 v_j` are kept and the
 * iterate is `x0 + Z y`, exact even when the preconditioner is itself iterative (LaplacianSystem in CG mode solves to
 * a relative 1e-12, a slightly different operator each call), where plain right preconditioning would need one more,
 * inconsistent, preconditioner solve. Orthogonalisation: modified Gram-Schmidt repeated once (twice is enough in double
 * precision), Givens rotations for the small least-squares problem. At each restart the true residual `b - A x` is
 * recomputed, so the reported residual is never the recurrence's estimate.
 */

/** `out = A x` (or the preconditioner's `out = M^-1 x`); vectors of the solver's order. */
export type LinearMap = (x: Float64Array, out: Float64Array) => void;

/** Outcome of a {@link Gmres} solve. */
export interface GmresResult {
  /** Krylov iterations (matrix-vector products with A, restarts' residuals not counted). */
  iterations: number;
  /** True relative residual ||b - A x||_2 / ||b||_2 at the end (recomputed). 0 for b = 0. */
  residual: number;
  /** residual <= tolerance. */
  converged: boolean;
}

export class Gmres {
  readonly n: number;
  readonly restart: number;
  /** Orthonormal Krylov basis v_0..v_m and the preconditioned columns z_0..z_{m-1}. */
  private readonly v: Float64Array[];
  private readonly z: Float64Array[];
  /** Hessenberg matrix, column-major (m+1) x m, rotated in place into R. */
  private readonly h: Float64Array;
  private readonly cs: Float64Array;
  private readonly sn: Float64Array;
  private readonly g: Float64Array;
  private readonly y: Float64Array;
  private readonly r: Float64Array;

  /**
   * @param n order of the system
   * @param restart Krylov dimension per cycle (default 40: the preconditioned transistor Jacobians need far fewer)
   */
  constructor(n: number, restart = 40) {
    this.n = n;
    this.restart = restart;
    this.v = Array.from({ length: restart + 1 }, () => new Float64Array(n));
    this.z = Array.from({ length: restart }, () => new Float64Array(n));
    this.h = new Float64Array((restart + 1) * restart);
    this.cs = new Float64Array(restart);
    this.sn = new Float64Array(restart);
    this.g = new Float64Array(restart + 1);
    this.y = new Float64Array(restart);
    this.r = new Float64Array(n);
  }

  /**
   * Solve A x = b. `x` holds the initial guess on entry (zeros for a cold start) and the solution on return.
   * @param tolerance relative residual target ||b - A x|| / ||b|| (dimensionless)
   * @param maxIterations Krylov iterations at most over all restarts
   */
  solve(apply: LinearMap, precondition: LinearMap, b: Float64Array, x: Float64Array, tolerance: number, maxIterations: number): GmresResult {
    const { n, restart: m, v, z, h, cs, sn, g, y, r } = this;
    const ld = m + 1;
    const bnorm = norm(b);
    if (bnorm === 0) {
      x.fill(0);
      return { iterations: 0, residual: 0, converged: true };
    }
    let iterations = 0;
    let residual = this.trueResidual(apply, b, x) / bnorm;
    let stagnant = 0;
    while (residual > tolerance && iterations < maxIterations) {
      // r holds b - A x
      const beta = norm(r);
      const v0 = v[0];
      for (let i = 0; i < n; i++) v0[i] = r[i] / beta;
      g.fill(0);
      g[0] = beta;
      let k = 0;
      for (; k < m && iterations < maxIterations; k++) {
        precondition(v[k], z[k]);
        const w = v[k + 1];
        apply(z[k], w);
        iterations++;
        const col = k * ld;
        for (let i = 0; i <= k; i++) h[col + i] = 0;
        for (let pass = 0; pass < 2; pass++) {
          for (let i = 0; i <= k; i++) {
            const vi = v[i];
            let d = 0;
            for (let j = 0; j < n; j++) d += w[j] * vi[j];
            h[col + i] += d;
            for (let j = 0; j < n; j++) w[j] -= d * vi[j];
          }
        }
        const wn = norm(w);
        h[col + k + 1] = wn;
        if (wn > 0) for (let j = 0; j < n; j++) w[j] /= wn;
        // apply the earlier rotations to the new column, then one that zeroes its subdiagonal
        for (let i = 0; i < k; i++) {
          const a = h[col + i];
          const c = h[col + i + 1];
          h[col + i] = cs[i] * a + sn[i] * c;
          h[col + i + 1] = -sn[i] * a + cs[i] * c;
        }
        const a = h[col + k];
        const c = h[col + k + 1];
        const rho = Math.hypot(a, c);
        cs[k] = rho === 0 ? 1 : a / rho;
        sn[k] = rho === 0 ? 0 : c / rho;
        h[col + k] = rho;
        h[col + k + 1] = 0;
        g[k + 1] = -sn[k] * g[k];
        g[k] = cs[k] * g[k];
        // the rotated right-hand side's last entry is the residual norm of the least-squares solution
        if (Math.abs(g[k + 1]) <= 0.5 * tolerance * bnorm || wn === 0) {
          k++;
          break;
        }
      }
      // y = R^-1 g (upper triangular k x k), x += Z y
      for (let i = k - 1; i >= 0; i--) {
        let s = g[i];
        for (let j = i + 1; j < k; j++) s -= h[j * ld + i] * y[j];
        const d = h[i * ld + i];
        y[i] = d === 0 ? 0 : s / d;
      }
      for (let j = 0; j < k; j++) {
        const zj = z[j];
        const yj = y[j];
        for (let i = 0; i < n; i++) x[i] += yj * zj[i];
      }
      const next = this.trueResidual(apply, b, x) / bnorm;
      // A cycle that no longer lowers the true residual has met rounding (or a singular A): stop rather than spin.
      if (!(next < 0.999 * residual)) stagnant++;
      else stagnant = 0;
      residual = next;
      if (stagnant >= 2) break;
    }
    return { iterations, residual, converged: residual <= tolerance };
  }

  /** this.r = b - A x; returns its norm. */
  private trueResidual(apply: LinearMap, b: Float64Array, x: Float64Array): number {
    const r = this.r;
    apply(x, r);
    for (let i = 0; i < this.n; i++) r[i] = b[i] - r[i];
    return norm(r);
  }
}

function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}
