import { InvalidInputError, show } from '../errors.js';
import { Rng } from '../physics/Rng.js';
import { symmetricEigen } from './symmetricEigen.js';

/** Options of {@link lanczos}. */
export interface LanczosOptions {
  /** Number of eigenpairs wanted, integer in [1, n - deflate.length]. */
  k: number;
  /** Which end of the spectrum: the k algebraically largest or smallest eigenvalues. */
  which: 'largest' | 'smallest';
  /**
   * A pair (theta, v) is converged when |A v - theta v| <= tolerance * |theta_max|, where |theta_max| is the largest
   * |Ritz value| seen so far (an estimate of ||A|| restricted to the searched space); see also `relativeTo`.
   * Default 1e-10.
   */
  tolerance?: number;
  /**
   * What the residual is measured against. 'largest' (default): |theta_max|, as above. 'own': each pair's own
   * |theta|, floored at 100 eps |theta_max| / tolerance (below that the target would be under rounding level) — for
   * shift-invert, where the wanted theta = 1 / lambda span orders of magnitude and each pair should be accurate
   * relative to itself.
   */
  relativeTo?: 'largest' | 'own';
  /**
   * Cap on the Lanczos steps (one operator application each), over all restarts and verification runs. Default
   * max(2000, 200 k).
   */
  maxIterations?: number;
  /** Seed of the random start vectors (src/physics/Rng.ts). Default 1. */
  seed?: number;
  /**
   * Orthonormal vectors (length n each) whose span is excluded: every Krylov vector is kept orthogonal to them, so
   * the result holds the wanted eigenpairs of A restricted to their orthogonal complement (e.g. the constant vector,
   * the null space of a Laplacian). Default none.
   */
  deflate?: Float64Array[];
  /** Checked before every operator application; an aborted signal throws an error named `AbortError`. */
  signal?: AbortSignal;
}

/** Wanted eigenpairs of a symmetric operator, with what the iteration reports about itself. */
export interface LanczosResult {
  /** The k wanted eigenvalues of the operator, ascending. */
  values: Float64Array;
  /**
   * Unit eigenvectors (length n), vectors[j] belongs to values[j]; mutually orthogonal and orthogonal to `deflate`.
   * Within a degenerate eigenspace the basis is arbitrary.
   */
  vectors: Float64Array[];
  /** True residual |A v_j - values[j] v_j| (2-norm) of each pair, computed with one extra application each. */
  residuals: Float64Array;
  /**
   * Every true residual meets the tolerance (same rule as the iteration), and the completeness check (a run from a
   * fresh start vector in the complement of the pairs found finds nothing further out than the k-th) finished
   * within maxIterations.
   */
  converged: boolean;
  /** Lanczos steps taken (Krylov vectors generated, over restarts and verification runs). */
  iterations: number;
  /** Calls of `apply` (Lanczos steps plus the k residual checks). */
  operatorApplications: number;
}

const EPS = 2.220446049250313e-16;
/** Default relative residual target. */
export const LANCZOS_TOLERANCE = 1e-10;
/**
 * A Lanczos vector whose norm after orthogonalisation is below this fraction of |A v| spans nothing new: the
 * Krylov space is invariant, and the iteration continues from a fresh random vector.
 */
const BREAKDOWN = 1e-12;
/** A fresh random vector that loses more than this fraction of its norm to orthogonalisation: the space is full. */
const EXHAUSTED = 1e-8;

/** Largest departure from orthonormality accepted in `deflate` (dot products against the identity). */
const ORTHONORMAL_TOLERANCE = 1e-6;

/** One eigenpair found, with its residual estimate |beta s_m|. */
interface Pair {
  value: number;
  vector: Float64Array;
  estimate: number;
}

/**
 * The k largest or smallest eigenpairs of a symmetric operator given only as y = A x.
 *
 * Method: Lanczos with full reorthogonalisation (classical Gram-Schmidt, twice, against the whole basis and the
 * deflation vectors) and thick restarts: the basis holds up to max(2k + 10, 20) vectors; at a restart the Ritz
 * vectors nearest the wanted end (k plus half the remaining room) are kept with the last residual direction, and the
 * projected matrix V^T A V (diagonal plus one arrow row) is solved with {@link symmetricEigen}. Convergence is
 * checked every few steps, so a run stops as soon as its goal is met.
 *
 * Degenerate eigenvalues: from one start vector a Krylov space holds only one direction of each eigenspace in exact
 * arithmetic, so a double eigenvalue may show up once. Hence a completeness check: the converged pairs are locked
 * (added to the deflation set) and a verification run starts from a fresh random vector in their orthogonal
 * complement, collecting the pairs it finds beyond the current k-th value (up to k, nearest the wanted end first)
 * and stopping at the first converged pair that is not beyond it; runs repeat until one finds nothing. A random
 * vector has a component in every remaining eigenspace, so a missing partner is the first thing such a run finds.
 * A k-th eigenvalue that is itself degenerate is reported once per copy found within the k; any copy is as good as
 * another.
 *
 * Cost: each step one application plus O(n (basis + deflation)) for the reorthogonalisation; memory
 * O(n (basis + k)).
 *
 * @param n order of the operator (integer >= 1)
 * @param apply y = A x for vectors of length n (A symmetric); must not keep x or y
 */
export function lanczos(n: number, apply: (x: Float64Array, y: Float64Array) => void, opts: LanczosOptions): LanczosResult {
  const deflate = opts?.deflate ?? [];
  validate(n, apply, opts, deflate);
  const { k, which } = opts;
  const tolerance = opts.tolerance ?? LANCZOS_TOLERANCE;
  const maxIterations = opts.maxIterations ?? Math.max(2000, 200 * k);
  const largest = which === 'largest';
  const rng = new Rng(opts.seed ?? 1);
  const own = opts.relativeTo === 'own';
  const state = {
    steps: 0,
    applications: 0,
    scale: 0,
    /** largest residual accepted for Ritz value theta */
    limit(theta: number): number {
      const ref = own ? Math.max(Math.abs(theta), (100 * EPS * this.scale) / tolerance) : this.scale;
      return tolerance * ref;
    },
  };
  const counted = (x: Float64Array, y: Float64Array): void => {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    state.applications++;
    apply(x, y);
  };

  // Better-first order of the wanted end.
  const better = (x: number, y: number): boolean => (largest ? x > y : x < y);
  const found: Pair[] = [];
  let converged = true;
  for (let pass = 0; ; pass++) {
    const room = n - deflate.length - found.length;
    if (room <= 0) break;
    let cutoff: number | null = null;
    if (pass > 0) {
      // Verification: only pairs clearly beyond the k-th best so far count (a converged Ritz value lies within its
      // residual of an eigenvalue, so values within a few tolerances of it are the same level).
      const ranked = found.map((p) => p.value).sort((x, y) => (largest ? y - x : x - y));
      const kth = ranked[Math.min(k, ranked.length) - 1];
      const margin = 4 * state.limit(kth);
      cutoff = ranked.length < k ? (largest ? -Infinity : Infinity) : largest ? kth + margin : kth - margin;
    }
    const locked = deflate.concat(found.map((p) => p.vector));
    const run = thickRestart(n, counted, Math.min(room, k), cutoff, largest, tolerance, maxIterations, locked, rng, state);
    found.push(...run.pairs);
    if (!run.converged) {
      converged = false;
      break;
    }
    if (run.exhausted || (pass > 0 && run.pairs.length === 0)) break;
  }

  found.sort((x, y) => (better(x.value, y.value) ? -1 : better(y.value, x.value) ? 1 : 0));
  const chosen = found.slice(0, k).sort((x, y) => x.value - y.value);
  const residuals = new Float64Array(chosen.length);
  const av = new Float64Array(n);
  for (let j = 0; j < chosen.length; j++) {
    const { value, vector } = chosen[j];
    counted(vector, av);
    let s = 0;
    for (let i = 0; i < n; i++) {
      const r = av[i] - value * vector[i];
      s += r * r;
    }
    residuals[j] = Math.sqrt(s);
  }
  if (chosen.length < k) converged = false;
  for (let j = 0; j < chosen.length; j++) if (!(residuals[j] <= state.limit(chosen[j].value))) converged = false;
  return {
    values: Float64Array.from(chosen, (p) => p.value),
    vectors: chosen.map((p) => p.vector),
    residuals,
    converged,
    iterations: state.steps,
    operatorApplications: state.applications,
  };
}

/** What one thick-restart run delivers. */
interface RunResult {
  pairs: Pair[];
  /** the run's goal was met (see thickRestart) */
  converged: boolean;
  /** the Krylov space filled the whole searched space: the pairs are exact and nothing is missing */
  exhausted: boolean;
}

/** Rayleigh-Ritz on the current basis, and whether the run's goal is met. */
interface RitzStep {
  size: number;
  theta: Float64Array;
  /** eigenvectors of the projected matrix, column-major size x size */
  S: Float64Array;
  /** residual norm of the basis' last vector coupling (beta), 0 for an invariant basis */
  last: number;
  done: boolean;
  /** number of pairs (from the wanted end) to return when done */
  count: number;
}

/** Lanczos steps between convergence checks within a basis fill (a check costs one small dense eigenproblem). */
const CHECK_EVERY = 5;

/**
 * One thick-restart Lanczos run on A restricted to the complement of `locked` (orthonormal).
 *
 * Without a cutoff the goal is the `want` pairs at the wanted end, all converged. With a cutoff (verification runs)
 * the goal is every pair beyond it: the pairs are taken from the wanted end while they are converged and beyond
 * the cutoff, and the run ends at the first converged pair that is not (or after `want` pairs). Stops early at an
 * exhausted space; when the step budget runs out the current Ritz pairs are returned, unconverged.
 */
function thickRestart(
  n: number,
  apply: (x: Float64Array, y: Float64Array) => void,
  want: number,
  cutoff: number | null,
  largest: boolean,
  tolerance: number,
  maxIterations: number,
  locked: Float64Array[],
  rng: Rng,
  state: { steps: number; scale: number; limit(theta: number): number },
): RunResult {
  const room = n - locked.length;
  const m = Math.min(room, Math.max(2 * want + 10, 20));
  const V: Float64Array[] = [];
  for (let j = 0; j <= m; j++) V.push(new Float64Array(n));
  const T = new Float64Array(m * m);
  const betas = new Float64Array(m);
  const h = new Float64Array(m);
  const w = new Float64Array(n);
  // Wanted end first: rank t -> column of the projected eigenvectors.
  const col = (t: number, size: number): number => (largest ? size - 1 - t : t);

  const ritz = (size: number, last: number, complete: boolean): RitzStep => {
    const small = new Float64Array(size * size);
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) small[i * size + j] = T[i * m + j];
    const eig = symmetricEigen(small, size);
    const theta = eig.values;
    const S = eig.vectors!;
    for (let i = 0; i < size; i++) state.scale = Math.max(state.scale, Math.abs(theta[i]));
    const got = Math.min(want, size);
    const ok = (t: number): boolean => {
      const c = col(t, size);
      return complete || Math.abs(last * S[c * size + size - 1]) <= state.limit(theta[c]);
    };
    if (cutoff === null) {
      let done = true;
      for (let t = 0; t < got && done; t++) done = ok(t);
      return { size, theta, S, last, done: done && (got === want || complete), count: got };
    }
    for (let t = 0; t < got; t++) {
      if (!ok(t)) return { size, theta, S, last, done: complete, count: t };
      const value = theta[col(t, size)];
      if (largest ? !(value > cutoff) : !(value < cutoff)) return { size, theta, S, last, done: true, count: t };
    }
    return { size, theta, S, last, done: complete || got === want, count: got };
  };

  const finish = (step: RitzStep, converged: boolean, exhausted: boolean): RunResult => {
    const pairs: Pair[] = [];
    const { size, theta, S, last } = step;
    for (let t = 0; t < step.count; t++) {
      const c = col(t, size);
      const y = new Float64Array(n);
      combine(V, S, c, size, y);
      normalise(y);
      pairs.push({ value: theta[c], vector: y, estimate: Math.abs(last * S[c * size + size - 1]) });
    }
    return { pairs, converged, exhausted };
  };

  if (!randomStart(V[0], rng, locked, V, 0)) return { pairs: [], converged: true, exhausted: true };
  let kept = 0;
  for (;;) {
    // Expand the basis from column `kept` towards m (or until the space or the budget runs out).
    let size = kept;
    let exhausted = false;
    let budget = false;
    let step: RitzStep | null = null;
    for (let j = kept; j < m; j++) {
      if (state.steps >= maxIterations) {
        budget = true;
        break;
      }
      apply(V[j], w);
      state.steps++;
      const normAv = norm(w);
      orthogonalise(w, locked, V, j + 1, h);
      for (let i = 0; i <= j; i++) {
        T[i * m + j] = h[i];
        T[j * m + i] = h[i];
      }
      const beta = norm(w);
      size = j + 1;
      if (beta > BREAKDOWN * Math.max(normAv, state.scale)) {
        betas[j] = beta;
        const v = V[j + 1];
        for (let i = 0; i < n; i++) v[i] = w[i] / beta;
      } else {
        // Invariant subspace: no coupling to the rest; continue from a fresh direction if there is one.
        betas[j] = 0;
        if (size === room || !randomStart(V[j + 1], rng, locked, V, size)) {
          exhausted = true;
          break;
        }
      }
      if (size < m && size >= (cutoff === null ? want : 2) && (size - kept) % CHECK_EVERY === 0) {
        step = ritz(size, betas[j], false);
        if (step.done) break;
        step = null;
      }
    }
    if (size === 0) return { pairs: [], converged: false, exhausted: false };
    if (budget && size === kept) {
      // Out of steps right after a restart: the kept Ritz pairs as they are (their couplings were not re-measured).
      return finish(ritz(size, 0, false), false, false);
    }
    // The basis spans every direction left (breakdown with nothing new, or as many vectors as dimensions): exact.
    const complete = exhausted || size === room;
    if (!step) step = ritz(size, complete ? 0 : betas[size - 1], complete);
    if (step.done || budget) return finish(step, step.done, complete);

    // Thick restart: keep the Ritz vectors nearest the wanted end, then the residual direction V[size].
    const { theta, S, last } = step;
    const keep = Math.min(size - 1, want + Math.max(2, Math.floor((size - want) / 2)));
    const Y: Float64Array[] = [];
    for (let t = 0; t < keep; t++) {
      const y = new Float64Array(n);
      combine(V, S, col(t, size), size, y);
      Y.push(y);
    }
    T.fill(0);
    for (let t = 0; t < keep; t++) {
      V[t].set(Y[t]);
      const c = col(t, size);
      T[t * m + t] = theta[c];
      const coupling = last * S[c * size + size - 1];
      T[t * m + keep] = coupling;
      T[keep * m + t] = coupling;
    }
    V[keep].set(V[size]);
    kept = keep;
  }
}

/** y = sum_s V[s] * S[c][s] (the Ritz vector of column c of the projected eigenvectors). */
function combine(V: Float64Array[], S: Float64Array, c: number, size: number, y: Float64Array): void {
  y.fill(0);
  const n = y.length;
  for (let s = 0; s < size; s++) {
    const f = S[c * size + s];
    if (f === 0) continue;
    const v = V[s];
    for (let i = 0; i < n; i++) y[i] += f * v[i];
  }
}

/**
 * w <- w minus its components along `locked` and V[0..count-1], classical Gram-Schmidt twice (the second pass
 * removes what rounding left after the first). h[i] receives the total coefficient along V[i].
 */
function orthogonalise(w: Float64Array, locked: Float64Array[], V: Float64Array[], count: number, h: Float64Array): void {
  const n = w.length;
  h.fill(0, 0, count);
  for (let pass = 0; pass < 2; pass++) {
    for (const q of locked) {
      const c = dot(q, w);
      for (let i = 0; i < n; i++) w[i] -= c * q[i];
    }
    for (let s = 0; s < count; s++) {
      const v = V[s];
      const c = dot(v, w);
      h[s] += c;
      for (let i = 0; i < n; i++) w[i] -= c * v[i];
    }
  }
}

/**
 * A random unit vector orthogonal to `locked` and V[0..count-1], written into `out`; false when nothing is left
 * (the orthogonal complement is numerically empty).
 */
function randomStart(out: Float64Array, rng: Rng, locked: Float64Array[], V: Float64Array[], count: number): boolean {
  const n = out.length;
  for (let attempt = 0; attempt < 3; attempt++) {
    for (let i = 0; i < n; i++) out[i] = rng.normal();
    const before = norm(out);
    const h = new Float64Array(count);
    orthogonalise(out, locked, V, count, h);
    const after = norm(out);
    if (after > EXHAUSTED * before) {
      for (let i = 0; i < n; i++) out[i] /= after;
      return true;
    }
  }
  return false;
}

function dot(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

function norm(x: Float64Array): number {
  return Math.sqrt(dot(x, x));
}

function normalise(x: Float64Array): void {
  const s = norm(x);
  if (s > 0) for (let i = 0; i < x.length; i++) x[i] /= s;
}

function abortError(signal: AbortSignal): Error {
  const e = new Error('lanczos cancelled', { cause: signal.reason });
  e.name = 'AbortError';
  return e;
}

function validate(n: number, apply: unknown, opts: LanczosOptions, deflate: Float64Array[]): void {
  if (!Number.isInteger(n) || n < 1) throw new InvalidInputError({ field: 'n' }, `must be an integer >= 1, got ${show(n)}`);
  if (typeof apply !== 'function') throw new InvalidInputError({ field: 'apply' }, `must be a function (x, y) => void computing y = A x, got ${show(apply)}`);
  if (typeof opts !== 'object' || opts === null) throw new InvalidInputError({ field: 'opts' }, `must be an object with k and which, got ${show(opts)}`);
  if (opts.which !== 'largest' && opts.which !== 'smallest') {
    throw new InvalidInputError({ field: 'which' }, `must be 'largest' or 'smallest', got ${show(opts.which)}`);
  }
  if (!Array.isArray(deflate)) throw new InvalidInputError({ field: 'deflate' }, `must be an array of Float64Array, got ${show(deflate)}`);
  deflate.forEach((q, i) => {
    if (!(q instanceof Float64Array) || q.length !== n) {
      throw new InvalidInputError({ field: `deflate[${i}]` }, `must be a Float64Array of length n = ${n}, got ${q instanceof Float64Array ? `length ${q.length}` : show(q)}`);
    }
  });
  for (let i = 0; i < deflate.length; i++) {
    for (let j = 0; j <= i; j++) {
      const d = dot(deflate[i], deflate[j]);
      if (!(Math.abs(d - (i === j ? 1 : 0)) <= ORTHONORMAL_TOLERANCE)) {
        throw new InvalidInputError(
          { field: `deflate[${i}]` },
          i === j ? `deflation vectors must have unit norm, got norm^2 ${show(d)}` : `deflation vectors must be orthogonal, got deflate[${i}] . deflate[${j}] = ${show(d)}`,
          'orthonormalise them first (e.g. Gram-Schmidt)',
        );
      }
    }
  }
  const room = n - deflate.length;
  if (!Number.isInteger(opts.k) || opts.k < 1 || opts.k > room) {
    throw new InvalidInputError(
      { field: 'k' },
      `must be an integer in [1, ${room}] (n = ${n} minus ${deflate.length} deflated directions), got ${show(opts.k)}`,
    );
  }
  if (opts.tolerance !== undefined && !(typeof opts.tolerance === 'number' && opts.tolerance > 0 && opts.tolerance < 1)) {
    throw new InvalidInputError({ field: 'tolerance' }, `must be a number in (0, 1), got ${show(opts.tolerance)}`);
  }
  if (opts.maxIterations !== undefined && !(Number.isInteger(opts.maxIterations) && opts.maxIterations >= 1)) {
    throw new InvalidInputError({ field: 'maxIterations' }, `must be an integer >= 1, got ${show(opts.maxIterations)}`);
  }
  if (opts.relativeTo !== undefined && opts.relativeTo !== 'largest' && opts.relativeTo !== 'own') {
    throw new InvalidInputError({ field: 'relativeTo' }, `must be 'largest' or 'own', got ${show(opts.relativeTo)}`);
  }
  if (opts.seed !== undefined && !(typeof opts.seed === 'number' && Number.isFinite(opts.seed))) {
    throw new InvalidInputError({ field: 'seed' }, `must be a finite number, got ${show(opts.seed)}`);
  }
}
