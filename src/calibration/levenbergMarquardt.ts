/**
 * Levenberg-Marquardt for dense nonlinear least squares: minimise `0.5 |r(x)|^2 + 0.5 |C x - t|^2` over x, where r
 * are the problem's residuals (with their exact Jacobian) and `C x - t` optional fixed linear rows (e.g. the
 * reference constraints fixing a gauge).
 *
 * Each iteration solves the damped normal equations
 * `(A + lambda * D + ridge I) dx = -g`, with `A = J^T J + C^T C`, `g = J^T r + C^T (C x - t)`,
 * `D = diag(max(A_jj, 1e-12 * max_k A_kk))` (Marquardt scaling, floored so that a parameter no residual depends on
 * does not make the system singular) and a tiny ridge `1e-15 * max_k A_kk` (or 1e-15 when A is zero). The solve is a
 * dense Cholesky (denseCholesky.ts). A step that lowers the cost is taken and lambda divided by 3; otherwise lambda
 * is multiplied by 10 and the step recomputed, up to {@link MAX_REJECTIONS} times per iteration or lambda above
 * {@link LAMBDA_MAX} ('damping exhausted').
 *
 * A parameter whose Jacobian column is zero (and which no constraint row touches) gets a zero gradient and zero
 * coupling, so its step is exactly zero: it stays at its starting value.
 */
import { InvalidInputError, NumericalError, show } from '../errors.js';
import { choleskySolve } from './denseCholesky.js';

/** A dense nonlinear least-squares problem: n parameters, m residuals with their exact Jacobian. */
export interface LeastSquaresProblem {
  /** Number of parameters. */
  n: number;
  /** Number of residuals. */
  m: number;
  /** Fill r (length m) with the residuals at x. */
  residuals(x: Float64Array, r: Float64Array): void;
  /** Fill J (m x n, row-major: `J[i*n + j] = d r_i / d x_j`) at x. J is zeroed before each call. */
  jacobian(x: Float64Array, J: Float64Array): void;
  /**
   * Optional: extra fixed linear rows appended to the problem (g x n row-major, residual = rows . x - target), e.g.
   * reference/gauge constraints with their weights already applied.
   */
  constraints?: { rows: Float64Array; target: Float64Array };
}

/** Options of {@link levenbergMarquardt}. */
export interface LmOptions {
  /** Iteration limit (each iteration ends with one accepted step, or with a stop). Default 100. */
  maxIterations?: number;
  /** Stop when the step is small: `|dx| <= stepTolerance * (|x| + stepTolerance)` (Euclidean norms). Default 1e-10. */
  stepTolerance?: number;
  /**
   * Stop when an accepted step lowers the cost by at most `costTolerance * cost`, or when even the linear model
   * predicts no more than that for a rejected step. Default 1e-14.
   */
  costTolerance?: number;
  /**
   * Stop when the scaled gradient is small: `max_j |g_j| / (sqrt(A_jj) |r|)` (the largest cosine between the residual
   * vector, constraint rows included, and a Jacobian column; columns with A_jj = 0 skipped). Default 1e-12.
   */
  gradientTolerance?: number;
  /** Initial damping lambda (dimensionless, relative to diag(A)). Default 1e-3. */
  lambda?: number;
  /** Called after every iteration with its number (from 1), the cost at the current x and the damping. */
  onIteration?: (iteration: number, cost: number, lambda: number) => void;
  /** Checked at the start of each iteration: when aborted, throws an Error named `AbortError`. */
  signal?: AbortSignal;
}

/** The solution and its diagnostics. */
export interface LmResult {
  /** The parameters at the end (a new array). */
  x: Float64Array;
  /** True when a tolerance was met (step, cost change or gradient). */
  converged: boolean;
  /**
   * Why the iterations stopped: 'step below tolerance', 'cost change below tolerance', 'gradient below tolerance'
   * (converged), 'max iterations' or 'damping exhausted' (not converged).
   */
  reason: string;
  /** Iterations done. */
  iterations: number;
  /** Residual evaluations (the start included). */
  evaluations: number;
  /** 0.5 |r|^2 incl. constraint rows */
  cost: number;
  /** |r| of the problem's residuals only (not constraints) */
  residualNorm: number;
  /** J^T J + C^T C at the solution (n x n row-major), for covariance */
  normalMatrix: Float64Array;
}

/** Damping is multiplied by this after a rejected step. */
const LAMBDA_UP = 10;
/** Damping is divided by this after an accepted step. */
const LAMBDA_DOWN = 3;
/** Smallest damping (keeps a little regularisation along degenerate directions). */
const LAMBDA_MIN = 1e-10;
/** Above this damping the step is hopeless: 'damping exhausted'. */
const LAMBDA_MAX = 1e16;
/** Rejected steps allowed in one iteration before 'damping exhausted'. */
const MAX_REJECTIONS = 30;

/** Rows of J accumulated together into the normal matrix (a block of them, transposed, stays in cache). */
const BLOCK = 32;

/**
 * Add M^T M to the upper triangle of A and M^T r to grad, for M (rows x n, row-major). Rows are taken in blocks of
 * {@link BLOCK}, transposed into `block` (n x BLOCK), and columns that are zero in the whole block skipped: dense
 * Jacobians run at cache speed, sparse ones cost little. `nz` is scratch of length n.
 */
function accumulateNormal(
  M: Float64Array,
  rows: number,
  n: number,
  r: Float64Array,
  A: Float64Array,
  grad: Float64Array,
  block: Float64Array,
  nz: Int32Array,
): void {
  for (let i0 = 0; i0 < rows; i0 += BLOCK) {
    const bs = Math.min(BLOCK, rows - i0);
    let count = 0;
    for (let j = 0; j < n; j++) {
      const jo = j * BLOCK;
      let used = false;
      let gj = 0;
      for (let i = 0; i < bs; i++) {
        const v = M[(i0 + i) * n + j];
        block[jo + i] = v;
        if (v !== 0) {
          used = true;
          gj += v * r[i0 + i];
        }
      }
      if (used) {
        nz[count++] = j;
        grad[j] += gj;
      }
    }
    for (let a = 0; a < count; a++) {
      const p = nz[a];
      const po = p * BLOCK;
      const base = p * n;
      let b = a;
      // four columns at a time: each entry of column p is loaded once for four products
      for (; b + 3 < count; b += 4) {
        const q0 = nz[b], q1 = nz[b + 1], q2 = nz[b + 2], q3 = nz[b + 3];
        const o0 = q0 * BLOCK, o1 = q1 * BLOCK, o2 = q2 * BLOCK, o3 = q3 * BLOCK;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let i = 0; i < bs; i++) {
          const v = block[po + i];
          s0 += v * block[o0 + i];
          s1 += v * block[o1 + i];
          s2 += v * block[o2 + i];
          s3 += v * block[o3 + i];
        }
        A[base + q0] += s0;
        A[base + q1] += s1;
        A[base + q2] += s2;
        A[base + q3] += s3;
      }
      for (; b < count; b++) {
        const q = nz[b];
        const qo = q * BLOCK;
        let s = 0;
        for (let i = 0; i < bs; i++) s += block[po + i] * block[qo + i];
        A[base + q] += s;
      }
    }
  }
}

function abortError(signal: AbortSignal): Error {
  const e = new Error('levenbergMarquardt cancelled', { cause: signal.reason });
  e.name = 'AbortError';
  return e;
}

function checkNonNegative(field: string, v: unknown, integer: boolean): void {
  const ok = typeof v === 'number' && Number.isFinite(v) && v >= 0 && (!integer || Number.isInteger(v));
  if (!ok) {
    throw new InvalidInputError({ field }, `must be a finite ${integer ? 'integer' : 'number'} >= 0, got ${show(v)}`);
  }
}

function validate(problem: LeastSquaresProblem, x0: Float64Array, opts: LmOptions): number {
  const { n, m } = problem;
  if (!(Number.isInteger(n) && n >= 1)) throw new InvalidInputError({ field: 'problem.n' }, `must be an integer >= 1, got ${show(n)}`);
  if (!(Number.isInteger(m) && m >= 0)) throw new InvalidInputError({ field: 'problem.m' }, `must be an integer >= 0, got ${show(m)}`);
  if (typeof problem.residuals !== 'function' || typeof problem.jacobian !== 'function') {
    throw new InvalidInputError({ field: 'problem' }, 'must have residuals(x, r) and jacobian(x, J) functions');
  }
  if (!(x0 instanceof Float64Array)) throw new InvalidInputError({ field: 'x0' }, `must be a Float64Array, got ${show(x0)}`);
  if (x0.length !== n) throw new InvalidInputError({ field: 'x0' }, `must have length n = ${n}, got length ${x0.length}`);
  for (let j = 0; j < n; j++) {
    if (!Number.isFinite(x0[j])) throw new InvalidInputError({ field: `x0[${j}]` }, `must be finite, got ${show(x0[j])}`);
  }
  let g = 0;
  const c = problem.constraints;
  if (c !== undefined) {
    g = c.target.length;
    if (c.rows.length !== g * n) {
      throw new InvalidInputError(
        { field: 'problem.constraints.rows' },
        `must have target.length * n = ${g} * ${n} = ${g * n} entries, got ${c.rows.length}`,
      );
    }
    for (let k = 0; k < c.rows.length; k++) {
      if (!Number.isFinite(c.rows[k])) throw new InvalidInputError({ field: `problem.constraints.rows[${k}]` }, `must be finite, got ${show(c.rows[k])}`);
    }
    for (let k = 0; k < g; k++) {
      if (!Number.isFinite(c.target[k])) throw new InvalidInputError({ field: `problem.constraints.target[${k}]` }, `must be finite, got ${show(c.target[k])}`);
    }
  }
  if (m + g === 0) throw new InvalidInputError({ field: 'problem.m' }, 'is 0 and there are no constraint rows: nothing to fit');
  if (opts.maxIterations !== undefined) checkNonNegative('maxIterations', opts.maxIterations, true);
  if (opts.stepTolerance !== undefined) checkNonNegative('stepTolerance', opts.stepTolerance, false);
  if (opts.costTolerance !== undefined) checkNonNegative('costTolerance', opts.costTolerance, false);
  if (opts.gradientTolerance !== undefined) checkNonNegative('gradientTolerance', opts.gradientTolerance, false);
  if (opts.lambda !== undefined && !(typeof opts.lambda === 'number' && opts.lambda > 0 && Number.isFinite(opts.lambda))) {
    throw new InvalidInputError({ field: 'lambda' }, `must be a finite number > 0, got ${show(opts.lambda)}`);
  }
  return g;
}

/**
 * Minimise `0.5 |r(x)|^2 + 0.5 |C x - t|^2` from x0 by Levenberg-Marquardt (see the module comment for the method).
 * Throws InvalidInputError for malformed input (x0 of the wrong length or not finite, options out of range, residuals
 * not finite at x0), NumericalError if the Jacobian is not finite at an accepted point, and an `AbortError` when
 * `opts.signal` is aborted.
 */
export function levenbergMarquardt(problem: LeastSquaresProblem, x0: Float64Array, opts: LmOptions = {}): LmResult {
  const g = validate(problem, x0, opts);
  const { n, m } = problem;
  const maxIterations = opts.maxIterations ?? 100;
  const stepTol = opts.stepTolerance ?? 1e-10;
  const costTol = opts.costTolerance ?? 1e-14;
  const gradTol = opts.gradientTolerance ?? 1e-12;
  let lambda = opts.lambda ?? 1e-3;
  const C = problem.constraints?.rows;
  const target = problem.constraints?.target;

  let x = Float64Array.from(x0);
  let r = new Float64Array(m);
  let rc = new Float64Array(g);
  let xt = new Float64Array(n);
  let rt = new Float64Array(m);
  let rct = new Float64Array(g);
  const J = new Float64Array(m * n);
  const A = new Float64Array(n * n);
  const grad = new Float64Array(n);
  const D = new Float64Array(n * n);
  const negGrad = new Float64Array(n);
  const nz = new Int32Array(n);
  const block = new Float64Array(n * BLOCK);

  /** Residuals (problem and constraints) at xx into rr, rrc; returns the cost (NaN if not finite). */
  const evaluate = (xx: Float64Array, rr: Float64Array, rrc: Float64Array): number => {
    rr.fill(0);
    problem.residuals(xx, rr);
    let ss = 0;
    for (let i = 0; i < m; i++) ss += rr[i] * rr[i];
    if (C && target) {
      for (let k = 0; k < g; k++) {
        let s = -target[k];
        const off = k * n;
        for (let j = 0; j < n; j++) s += C[off + j] * xx[j];
        rrc[k] = s;
        ss += s * s;
      }
    }
    return Number.isFinite(ss) ? 0.5 * ss : NaN;
  };

  /** A = J^T J + C^T C and grad = J^T r + C^T rc at x (J evaluated here). Zero entries of J are skipped. */
  const buildNormal = (): void => {
    J.fill(0);
    problem.jacobian(x, J);
    A.fill(0);
    grad.fill(0);
    accumulateNormal(J, m, n, r, A, grad, block, nz);
    if (C) accumulateNormal(C, g, n, rc, A, grad, block, nz);
    for (let p = 0; p < n; p++) {
      if (!Number.isFinite(grad[p])) throw new NumericalError(`levenbergMarquardt: the Jacobian or gradient is not finite at parameter ${p}`);
      for (let q = p + 1; q < n; q++) {
        const v = A[p * n + q];
        if (!Number.isFinite(v)) throw new NumericalError(`levenbergMarquardt: the Jacobian is not finite (normal matrix entry ${p}, ${q})`);
        A[q * n + p] = v;
      }
    }
  };

  /** Largest cosine between the residual vector and a Jacobian column (0 when the residual is zero). */
  const scaledGradient = (cost: number): number => {
    const rn = Math.sqrt(2 * cost);
    if (rn === 0) return 0;
    let worst = 0;
    for (let j = 0; j < n; j++) {
      const d = A[j * n + j];
      if (d > 0) worst = Math.max(worst, Math.abs(grad[j]) / (Math.sqrt(d) * rn));
    }
    return worst;
  };

  const norm = (v: Float64Array): number => {
    let s = 0;
    for (let j = 0; j < v.length; j++) s += v[j] * v[j];
    return Math.sqrt(s);
  };

  let evaluations = 1;
  let cost = evaluate(x, r, rc);
  if (!Number.isFinite(cost)) throw new InvalidInputError({ field: 'x0' }, 'gives residuals that are not finite', 'start from a point where the model is defined');
  buildNormal();

  let iterations = 0;
  let reason = 'max iterations';
  let converged = false;
  if (scaledGradient(cost) <= gradTol) {
    reason = 'gradient below tolerance';
    converged = true;
  }
  while (!converged && iterations < maxIterations) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    iterations++;
    let stop = false;
    let maxDiag = 0;
    for (let j = 0; j < n; j++) maxDiag = Math.max(maxDiag, A[j * n + j]);
    const scale = maxDiag > 0 ? maxDiag : 1;
    const floor = 1e-12 * scale;
    const ridge = 1e-15 * scale;
    for (let j = 0; j < n; j++) negGrad[j] = -grad[j];
    for (let rejections = 0; ; ) {
      D.set(A);
      for (let j = 0; j < n; j++) {
        const d = A[j * n + j];
        D[j * n + j] = d + lambda * Math.max(d, floor) + ridge;
      }
      const dx = choleskySolve(D, n, negGrad);
      let costT = NaN;
      let small = false;
      if (dx) {
        for (let j = 0; j < n; j++) xt[j] = x[j] + dx[j];
        costT = evaluate(xt, rt, rct);
        evaluations++;
        small = norm(dx) <= stepTol * (norm(x) + stepTol);
      }
      if (dx && costT < cost) {
        const decrease = cost - costT;
        [x, xt] = [xt, x];
        [r, rt] = [rt, r];
        [rc, rct] = [rct, rc];
        const before = cost;
        cost = costT;
        lambda = Math.max(lambda / LAMBDA_DOWN, LAMBDA_MIN);
        buildNormal();
        if (small) reason = 'step below tolerance';
        else if (decrease <= costTol * before) reason = 'cost change below tolerance';
        else if (scaledGradient(cost) <= gradTol) reason = 'gradient below tolerance';
        else break;
        converged = true;
        break;
      }
      if (dx) {
        // rejected: stop if the step or what the (undamped) linear model expects of it is negligible
        if (small) {
          reason = 'step below tolerance';
          converged = true;
          break;
        }
        let gdx = 0, dAd = 0;
        for (let p = 0; p < n; p++) {
          gdx += grad[p] * dx[p];
          let s = 0;
          const off = p * n;
          for (let q = 0; q < n; q++) s += A[off + q] * dx[q];
          dAd += dx[p] * s;
        }
        const predicted = -gdx - 0.5 * dAd;
        if (predicted <= costTol * cost) {
          reason = 'cost change below tolerance';
          converged = true;
          break;
        }
      }
      lambda *= LAMBDA_UP;
      rejections++;
      if (lambda > LAMBDA_MAX || rejections >= MAX_REJECTIONS) {
        reason = 'damping exhausted';
        stop = true;
        break;
      }
    }
    opts.onIteration?.(iterations, cost, lambda);
    if (stop) break;
  }
  let rr = 0;
  for (let i = 0; i < m; i++) rr += r[i] * r[i];
  return {
    x,
    converged,
    reason,
    iterations,
    evaluations,
    cost,
    residualNorm: Math.sqrt(rr),
    normalMatrix: Float64Array.from(A),
  };
}
