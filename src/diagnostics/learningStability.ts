/**
 * Step-size stability of learning: plain gradient descent k <- k - alpha dC/dk near a minimum of C is the linear
 * iteration dk <- (I - alpha H_C) dk with H_C the cost Hessian, which contracts along every mode only if
 * alpha lambda_max(H_C) < 2. The stability index alpha lambda_max > 2 flags divergence along the stiffest mode.
 *
 * Relation to the board rules (docs/design.md's contrast update). Units: k in S, C in V^2, so H_C is in V^2/S^2.
 *
 * - EP, update k += alpha/(2 beta) [(dV^F)^2 - (dV^{+beta})^2] = -alpha g_EP, where g_EP = (1/(2 beta))
 *   [(dV^{+beta})^2 - (dV^F)^2] is the rule's gradient estimate, equal to dC/dk + O(beta) (centered EP:
 *   alpha/(4 beta) [(dV^{-beta})^2 - (dV^{+beta})^2] = -alpha g_CEP, error O(beta^2)). So EP is gradient descent on
 *   C with effective step exactly alpha (S^2/V^2 for a dimensionally consistent update), and the index here applies
 *   as it is, up to O(beta).
 * - CL, update k += alpha/(2 eta) [(dV^F)^2 - (dV^C)^2] = -alpha g_CL with g_CL -> J^T G_TT^{-1} r as eta -> 0
 *   (V^2; alpha in S/V^2): clamping the targets by eta r takes the injected currents G_TT^{-1} eta r, so the
 *   residual is reweighted by the inverse target transfer resistances G_TT^{-1} (S). Near a solution the CL
 *   iteration is dk <- (I - alpha J^T G_TT^{-1} J) dk: its stiffness is lambda_max(J^T G_TT^{-1} J) (V^2/S), not
 *   that of the cost Hessian (the two agree only if G_TT is a multiple of the identity, e.g. one target:
 *   lambda_CL = lambda_GN / G_TT). To get it, pass the Jacobian route below with each example's |T| rows
 *   whitened by L^{-1}, G_TT = L L^T (the target Green's functions, StateSolver.greenFunctions().gTT).
 * - Mean versus per example: the index uses the Hessian of the mean cost over the examples given (full-batch
 *   descent). A sequential run steps on one example at a time; its per-step stiffness is that example's own
 *   Hessian, which can be up to M times the mean's on tasks whose examples excite different modes.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { InvalidInputError, show } from '../errors.js';
import { Rng } from '../physics/Rng.js';
import type { CostHessianResult } from './costHessian.js';

/** Step-size stability of gradient descent with step alpha on the cost. */
export interface StabilityResult {
  /** The step given (S^2/V^2 for gradient descent on C in V^2 with k in S). */
  alpha: number;
  /** Largest (algebraic) eigenvalue of the cost Hessian (full if available, else Gauss-Newton), V^2/S^2. */
  lambdaMax: number;
  /** alpha * lambdaMax, dimensionless. */
  index: number;
  /** index > 2: plain gradient descent with step alpha on C diverges along the stiffest mode. */
  unstable: boolean;
  /** Which Hessian was used. */
  hessian: 'full' | 'gauss-newton';
  /** Lanczos steps, one matrix-vector product each (one more product is spent on the final Rayleigh quotient). */
  iterations: number;
  /** Whether the eigenvalue met the tolerance (see {@link largestEigenvalue}). */
  converged: boolean;
}

/**
 * A Gauss-Newton Hessian given matrix-free by its Jacobian: H = scale J^T J, J `rows` x `edges` row-major.
 * For the mean over M examples of CostHessianResult.jacobian, scale = 1/M (default 1).
 */
export interface JacobianHessian {
  jacobian: Float64Array;
  rows: number;
  edges: number;
  /** Factor on J^T J; default 1. */
  scale?: number;
}

/**
 * Largest eigenvalue of the cost Hessian and the stability index alpha lambda_max of gradient descent with step alpha.
 * @param alpha step size, > 0 (S^2/V^2)
 * @param hessian a {@link CostHessianResult} (its `full` Hessian if computed, else `gaussNewton`, dense E x E
 *   matrix-vector products), or a Jacobian ({@link JacobianHessian}: products J^T (J x), O(rows E) each, the cheap
 *   route when E is large)
 * @param opts.tolerance relative Ritz residual at which Lanczos stops; default 1e-10
 */
export function learningStability(
  alpha: number,
  hessian: Pick<CostHessianResult, 'edges' | 'full' | 'gaussNewton'> | JacobianHessian,
  opts: { tolerance?: number } = {},
): StabilityResult {
  if (!(typeof alpha === 'number' && alpha > 0 && Number.isFinite(alpha))) {
    throw new InvalidInputError({ field: 'alpha' }, `learningStability: the step must be a positive finite number, got ${show(alpha)}`);
  }
  let apply: (x: Float64Array, y: Float64Array) => void;
  let n: number;
  let kind: 'full' | 'gauss-newton';
  if ('gaussNewton' in hessian) {
    n = hessian.edges;
    const h = hessian.full ?? hessian.gaussNewton;
    kind = hessian.full ? 'full' : 'gauss-newton';
    if (h.length !== n * n) {
      throw new InvalidInputError({ field: 'hessian' }, `learningStability: expected an ${n} x ${n} matrix (${n * n} values), got ${h.length}`);
    }
    apply = (x, y) => {
      for (let i = 0; i < n; i++) {
        let s = 0;
        const o = i * n;
        for (let j = 0; j < n; j++) s += h[o + j] * x[j];
        y[i] = s;
      }
    };
  } else {
    const { jacobian: J, rows, edges } = hessian;
    const scale = hessian.scale ?? 1;
    n = edges;
    kind = 'gauss-newton';
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(edges) || edges < 1 || J.length !== rows * edges) {
      throw new InvalidInputError(
        { field: 'hessian.jacobian' },
        `learningStability: expected rows x edges = ${show(rows)} x ${show(edges)} values, got ${J.length}`,
      );
    }
    if (!(scale > 0 && Number.isFinite(scale))) {
      throw new InvalidInputError({ field: 'hessian.scale' }, `learningStability: must be a positive finite number, got ${show(scale)}`);
    }
    const jx = new Float64Array(rows);
    apply = (x, y) => {
      for (let r = 0; r < rows; r++) {
        let s = 0;
        const o = r * edges;
        for (let e = 0; e < edges; e++) s += J[o + e] * x[e];
        jx[r] = scale * s;
      }
      y.fill(0);
      for (let r = 0; r < rows; r++) {
        const c = jx[r];
        if (c === 0) continue;
        const o = r * edges;
        for (let e = 0; e < edges; e++) y[e] += c * J[o + e];
      }
    };
  }
  const eig = largestEigenvalue(apply, n, { tolerance: opts.tolerance });
  const index = alpha * eig.value;
  return { alpha, lambdaMax: eig.value, index, unstable: index > 2, hessian: kind, iterations: eig.iterations, converged: eig.converged };
}

/** Relative size below which a Lanczos vector counts as zero (an invariant subspace was found). */
const BREAKDOWN = 1e-13;

/**
 * Largest (algebraic, not largest in magnitude) eigenvalue of a symmetric operator, by Lanczos with full
 * reorthogonalisation from a seeded random start. Stops when the Ritz residual |A y - theta y| <= tolerance *
 * ||A|| (estimated from the tridiagonal), when the Krylov space becomes invariant, or after maxIterations steps
 * (n steps span the whole space: exact). The returned value is the Rayleigh quotient y^T A y of the unit Ritz
 * vector y (one more product); its error is at most about residual^2 / gap.
 * @param apply y = A x (must not keep x or y); A must be symmetric
 * @param n dimension, >= 1
 * @param opts.tolerance default 1e-10; opts.maxIterations default min(n, 300); opts.seed default 1
 */
export function largestEigenvalue(
  apply: (x: Float64Array, y: Float64Array) => void,
  n: number,
  opts: { tolerance?: number; maxIterations?: number; seed?: number } = {},
): { value: number; vector: Float64Array; iterations: number; converged: boolean } {
  if (!Number.isInteger(n) || n < 1) throw new InvalidInputError({ field: 'n' }, `largestEigenvalue: dimension must be an integer >= 1, got ${show(n)}`);
  const tolerance = opts.tolerance ?? 1e-10;
  if (!(tolerance > 0)) throw new InvalidInputError({ field: 'tolerance' }, `largestEigenvalue: must be a positive number, got ${show(opts.tolerance)}`);
  const maxIterations = Math.min(n, opts.maxIterations ?? 300);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new InvalidInputError({ field: 'maxIterations' }, `largestEigenvalue: must be an integer >= 1, got ${show(opts.maxIterations)}`);
  }
  const rng = new Rng(opts.seed ?? 1);
  const basis: Float64Array[] = [];
  const alphas: number[] = [];
  const betas: number[] = [];
  let q = new Float64Array(n);
  for (let i = 0; i < n; i++) q[i] = rng.normal();
  scaleTo(q, 1 / norm(q));
  const w = new Float64Array(n);
  let normEstimate = 0;
  let ritz = { theta: 0, s: [1] };
  let converged = false;
  let steps = 0;
  for (let k = 0; k < maxIterations; k++) {
    basis.push(q);
    apply(q, w);
    steps++;
    const a = dot(q, w);
    alphas.push(a);
    // Full reorthogonalisation, twice ("twice is enough"); the first pass also removes the three-term part.
    for (let pass = 0; pass < 2; pass++) {
      for (const v of basis) {
        const c = dot(v, w);
        for (let i = 0; i < n; i++) w[i] -= c * v[i];
      }
    }
    const b = norm(w);
    normEstimate = Math.max(normEstimate, Math.abs(a) + b + (k > 0 ? betas[k - 1] : 0));
    const last = k + 1 === maxIterations;
    const breakdown = b <= BREAKDOWN * normEstimate;
    if (k < 30 || k % 5 === 4 || last || breakdown) {
      ritz = tridiagonalTop(alphas, betas);
      const residual = b * Math.abs(ritz.s[k]);
      if (breakdown || residual <= tolerance * normEstimate || k + 1 === n) {
        converged = true;
        break;
      }
    }
    if (last) break;
    betas.push(b);
    q = new Float64Array(n);
    for (let i = 0; i < n; i++) q[i] = w[i] / b;
  }
  // Ritz vector and its Rayleigh quotient.
  const y = new Float64Array(n);
  for (let j = 0; j < ritz.s.length; j++) {
    const c = ritz.s[j];
    const v = basis[j];
    for (let i = 0; i < n; i++) y[i] += c * v[i];
  }
  scaleTo(y, 1 / norm(y));
  apply(y, w);
  return { value: dot(y, w), vector: y, iterations: steps, converged };
}

/** Largest eigenvalue theta of the symmetric tridiagonal (alphas, betas) and its unit eigenvector s. */
function tridiagonalTop(alphas: number[], betas: number[]): { theta: number; s: number[] } {
  const m = alphas.length;
  if (m === 1) return { theta: alphas[0], s: [1] };
  const t = Matrix.zeros(m, m);
  for (let i = 0; i < m; i++) {
    t.set(i, i, alphas[i]);
    if (i + 1 < m) {
      t.set(i, i + 1, betas[i]);
      t.set(i + 1, i, betas[i]);
    }
  }
  const evd = new EigenvalueDecomposition(t, { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  let best = 0;
  for (let i = 1; i < m; i++) if (values[i] > values[best]) best = i;
  return { theta: values[best], s: evd.eigenvectorMatrix.getColumn(best) };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}

function scaleTo(a: Float64Array, c: number): void {
  for (let i = 0; i < a.length; i++) a[i] *= c;
}
