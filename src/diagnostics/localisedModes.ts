/**
 * A maximally localised basis of a set of soft modes (the lowest eigenvectors of the physical Hessian, the
 * Laplacian H = D^T diag(k) D of docs/design.md). Soft modes of a learning network tend to localise into regions; the
 * boundaries between the regions are where learning concentrates (see modeRegions.ts).
 *
 * The input is an orthonormal set Psi = [psi_1 .. psi_Nm] (length N each) and the node positions. The output is the
 * orthogonal rotation of the set that minimises the total spread (position units squared)
 *
 *     Omega = sum_i sum_d ( psi_i^T X_d^2 psi_i - (psi_i^T X_d psi_i)^2 ),     X_d = diag(coordinate d of every node),
 *
 * the sum of the positional variances of the |psi_i|^2 distributions (a Foster-Boys-like criterion on a graph).
 * With several components per node (a spring network's d displacement components, `components`), every component of
 * node j sits at node j's position, so X_d repeats that coordinate for each and node j's weight in psi is
 * sum_c psi_(j,c)^2 ({@link nodeWeights}); positions may have 2 or 3 coordinates (`dim`).
 * The first term summed over i is the trace of Psi^T X_d^2 Psi, invariant under rotations of the set, so minimising
 * Omega is maximising F = sum_i sum_d (M_d)_ii^2 with M_d = Psi^T X_d Psi.
 *
 * Method: cyclic Jacobi sweeps over the pairs (i, j), i < j. Rotating the pair by theta,
 * psi_i' = c psi_i + s psi_j, psi_j' = -s psi_i + c psi_j (c = cos theta, s = sin theta), with A_d = (M_d)_ii,
 * B_d = (M_d)_jj, C_d = (M_d)_ij, u_d = (A_d - B_d) / 2:
 *
 *     A_d' = (A_d + B_d)/2 + u_d cos 2theta + C_d sin 2theta,   B_d' = (A_d + B_d)/2 - u_d cos 2theta - C_d sin 2theta,
 *     A_d'^2 + B_d'^2 = const + 2 (u_d cos 2theta + C_d sin 2theta)^2
 *                     = const' + (u_d^2 - C_d^2) cos 4theta + 2 u_d C_d sin 4theta.
 *
 * Summed over d, F(theta) = const + a cos 4theta + b sin 4theta with a = sum_d (u_d^2 - C_d^2), b = sum_d 2 u_d C_d,
 * whose maximum is at 4theta = atan2(b, a) (gain sqrt(a^2 + b^2) - a >= 0 over theta = 0). Each rotation is the exact
 * optimum of its pair, so the spread never increases. M_d is updated in place: rows and columns i, j rotate, and
 * (M_d)_ij' = (c^2 - s^2) C_d + c s (B_d - A_d). Positions are centred first (the spread of a unit vector does not
 * depend on the origin), for accuracy.
 *
 * Cost: O(Nm^2 N) to build M_d and the final vectors, O(Nm^3) per sweep.
 *
 * The result is a local maximum of F reached from the given start (Jacobi sweeps do not guarantee the global one, but
 * each pair step is globally optimal in its angle, so a pair never stays at a saddle). Each output vector has its
 * largest-magnitude entry positive (the sign is otherwise arbitrary); vectors are not reordered.
 */
import { InvalidInputError, show } from '../errors.js';

/**
 * How a mode's entries map to nodes and positions: `components` entries per node (1: a voltage; d: a displacement,
 * interleaved) and `dim` coordinates per node position (interleaved). Default 1 and 2: a resistor network drawn in
 * the plane.
 */
export interface ModeLayout {
  components?: number;
  dim?: number;
}

/**
 * The weight of each node in a mode psi: sum over its components of psi_(i,c)^2 (a node's displacement components
 * share its position, so they share its weight). The one place this law lives: localisation and regions use it.
 */
export function nodeWeights(psi: ArrayLike<number>, components: number, out = new Float64Array(psi.length / components)): Float64Array {
  for (let i = 0; i < out.length; i++) {
    let w = 0;
    for (let c = 0; c < components; c++) w += psi[components * i + c] ** 2;
    out[i] = w;
  }
  return out;
}

/** Options of {@link localiseModes}. */
export interface LocalisationOptions extends ModeLayout {
  /** Largest number of Jacobi sweeps (each visits every pair once). Integer >= 0. Default 200. */
  maxSweeps?: number;
  /**
   * Stop when a sweep lowers the total spread by less than `tolerance x initialSpread` (relative, >= 0).
   * Default 1e-12.
   */
  tolerance?: number;
}

/** A localised basis of the span of the input vectors, with its diagnostics. */
export interface LocalisedBasis {
  /** Nm orthonormal vectors, length N each (the rotated input set). */
  vectors: Float64Array[];
  /** Nm x Nm orthogonal matrix, row-major: vectors[i] = sum_j rotation[i*Nm + j] * input[j]. */
  rotation: Float64Array;
  /** Per vector: sum_d (psi^T X_d^2 psi - (psi^T X_d psi)^2), the positional variance, position units squared. */
  spread: Float64Array;
  /** Per vector: the centre <x_d> = psi^T X_d psi, interleaved (length dim x Nm), position units. */
  centre: Float64Array;
  /** Sum of `spread` (position units squared). */
  totalSpread: number;
  /** Total spread of the input set (position units squared). */
  initialSpread: number;
  /** Sweeps done. */
  sweeps: number;
  /** True when the last sweep lowered the spread by less than tolerance x initialSpread (or Nm < 2). */
  converged: boolean;
}

const SOURCE = 'localiseModes';
/** Orthonormality of the input is checked to this absolute tolerance on every entry of Psi^T Psi - I. */
const ORTHONORMAL_TOL = 1e-6;

/**
 * Rotate the orthonormal set `vectors` (Nm vectors of length N) to the basis of the same span with the smallest
 * total spread over the node `positions` (x, y interleaved, length 2N, any length unit). See the file comment for
 * the method. Throws InvalidInputError when the set is empty, lengths disagree, entries are not finite, or the set
 * is not orthonormal to 1e-6.
 */
export function localiseModes(vectors: Float64Array[], positions: Float64Array, opts: LocalisationOptions = {}): LocalisedBasis {
  const m = vectors.length;
  if (m < 1) throw new InvalidInputError({ source: SOURCE, field: 'vectors' }, 'needs at least one vector, got none');
  const n = vectors[0].length;
  if (n < 1) throw new InvalidInputError({ source: SOURCE, field: 'vectors[0]' }, 'vectors must have one entry per node (N >= 1), got length 0');
  for (let i = 0; i < m; i++) {
    const v = vectors[i];
    if (v.length !== n) throw new InvalidInputError({ source: SOURCE, field: `vectors[${i}]` }, `all vectors must have the same length N = ${n}, got ${v.length}`);
    for (let k = 0; k < n; k++) {
      if (!Number.isFinite(v[k])) throw new InvalidInputError({ source: SOURCE, field: `vectors[${i}][${k}]` }, `must be a finite number, got ${show(v[k])}`);
    }
  }
  const { components, dim } = checkLayout(opts, n, SOURCE);
  const nodes = n / components;
  if (positions.length !== dim * nodes) {
    throw new InvalidInputError(
      { source: SOURCE, field: 'positions' },
      `must hold ${dim} coordinates interleaved for every node (length ${dim} x ${nodes} = ${dim * nodes}), got length ${positions.length}`,
    );
  }
  for (let k = 0; k < positions.length; k++) {
    if (!Number.isFinite(positions[k])) throw new InvalidInputError({ source: SOURCE, field: `positions[${k}]` }, `must be a finite number, got ${show(positions[k])}`);
  }
  const maxSweeps = opts.maxSweeps ?? 200;
  if (!(Number.isInteger(maxSweeps) && maxSweeps >= 0)) {
    throw new InvalidInputError({ source: SOURCE, field: 'maxSweeps' }, `must be an integer >= 0, got ${show(opts.maxSweeps)}`);
  }
  const tolerance = opts.tolerance ?? 1e-12;
  if (!(tolerance >= 0 && Number.isFinite(tolerance))) {
    throw new InvalidInputError({ source: SOURCE, field: 'tolerance' }, `must be a finite number >= 0 (relative decrease of the spread), got ${show(opts.tolerance)}`);
  }
  for (let i = 0; i < m; i++) {
    for (let j = i; j < m; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += vectors[i][k] * vectors[j][k];
      const err = Math.abs(dot - (i === j ? 1 : 0));
      if (!(err <= ORTHONORMAL_TOL)) {
        throw new InvalidInputError(
          { source: SOURCE, field: 'vectors' },
          `must be orthonormal (|Psi^T Psi - I| <= ${ORTHONORMAL_TOL}), but vectors[${i}] . vectors[${j}] = ${show(dot)}`,
          'pass eigenvectors of a symmetric matrix, normalised to unit length',
        );
      }
    }
  }

  // Centred coordinates, one per vector entry (a node's components share its position).
  const origin = new Array<number>(dim).fill(0);
  const xs = Array.from({ length: dim }, () => new Float64Array(n));
  for (let d = 0; d < dim; d++) {
    let mean = 0;
    for (let k = 0; k < nodes; k++) mean += positions[dim * k + d];
    origin[d] = mean / nodes;
    for (let k = 0; k < n; k++) xs[d][k] = positions[dim * Math.floor(k / components) + d] - origin[d];
  }

  // M_d = Psi^T X_d Psi (symmetric, full storage).
  const M = Array.from({ length: dim }, () => new Float64Array(m * m));
  for (let d = 0; d < dim; d++) {
    const x = xs[d];
    const Md = M[d];
    for (let i = 0; i < m; i++) {
      const vi = vectors[i];
      for (let j = i; j < m; j++) {
        const vj = vectors[j];
        let s = 0;
        for (let k = 0; k < n; k++) s += x[k] * vi[k] * vj[k];
        Md[i * m + j] = s;
        Md[j * m + i] = s;
      }
    }
  }
  const objective = (): number => {
    let f = 0;
    for (let d = 0; d < dim; d++) for (let i = 0; i < m; i++) f += M[d][i * m + i] ** 2;
    return f;
  };

  const initial = spreadsOf(vectors, xs);
  const initialSpread = sum(initial.spread);

  const U = new Float64Array(m * m);
  for (let i = 0; i < m; i++) U[i * m + i] = 1;

  let sweeps = 0;
  let converged = m < 2;
  let f = objective();
  while (!converged && sweeps < maxSweeps) {
    for (let i = 0; i < m - 1; i++) {
      for (let j = i + 1; j < m; j++) rotatePair(M, U, m, i, j);
    }
    sweeps++;
    const fNew = objective();
    // The decrease of the spread equals the increase of F (the other term is invariant).
    if (fNew - f <= tolerance * initialSpread) converged = true;
    f = fNew;
  }

  // Sign convention: the largest-magnitude entry of each vector is positive.
  const out: Float64Array[] = [];
  for (let i = 0; i < m; i++) {
    const v = new Float64Array(n);
    for (let j = 0; j < m; j++) {
      const r = U[i * m + j];
      if (r === 0) continue;
      const w = vectors[j];
      for (let k = 0; k < n; k++) v[k] += r * w[k];
    }
    let big = 0;
    for (let k = 1; k < n; k++) if (Math.abs(v[k]) > Math.abs(v[big])) big = k;
    if (v[big] < 0) {
      for (let k = 0; k < n; k++) v[k] = -v[k];
      for (let j = 0; j < m; j++) U[i * m + j] = -U[i * m + j];
    }
    out.push(v);
  }
  const final = spreadsOf(out, xs);
  for (let i = 0; i < m; i++) for (let d = 0; d < dim; d++) final.centre[dim * i + d] += origin[d];
  return {
    vectors: out,
    rotation: U,
    spread: final.spread,
    centre: final.centre,
    totalSpread: sum(final.spread),
    initialSpread,
    sweeps,
    converged,
  };
}

/** The optimal Jacobi rotation of pair (i, j): updates M_0, M_1 and the rows i, j of U in place. */
function rotatePair(M: Float64Array[], U: Float64Array, m: number, i: number, j: number): void {
  let a = 0;
  let b = 0;
  let scale = 0;
  for (let d = 0; d < M.length; d++) {
    const A = M[d][i * m + i];
    const B = M[d][j * m + j];
    const C = M[d][i * m + j];
    const u = (A - B) / 2;
    a += u * u - C * C;
    b += 2 * u * C;
    scale += A * A + B * B + 2 * C * C;
  }
  const gain = Math.hypot(a, b) - a;
  // A gain at rounding level is no gain: skipping it keeps converged sets exactly fixed.
  if (!(gain > 1e-14 * scale)) return;
  const theta = Math.atan2(b, a) / 4;
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  for (let d = 0; d < M.length; d++) {
    const Md = M[d];
    const A = Md[i * m + i];
    const B = Md[j * m + j];
    const C = Md[i * m + j];
    for (let k = 0; k < m; k++) {
      if (k === i || k === j) continue;
      const p = Md[i * m + k];
      const q = Md[j * m + k];
      const pn = c * p + s * q;
      const qn = -s * p + c * q;
      Md[i * m + k] = pn;
      Md[k * m + i] = pn;
      Md[j * m + k] = qn;
      Md[k * m + j] = qn;
    }
    Md[i * m + i] = c * c * A + 2 * c * s * C + s * s * B;
    Md[j * m + j] = s * s * A - 2 * c * s * C + c * c * B;
    const off = (c * c - s * s) * C + c * s * (B - A);
    Md[i * m + j] = off;
    Md[j * m + i] = off;
  }
  for (let k = 0; k < m; k++) {
    const p = U[i * m + k];
    const q = U[j * m + k];
    U[i * m + k] = c * p + s * q;
    U[j * m + k] = -s * p + c * q;
  }
}

/** Spread (sum_d sum_k (x_d - <x_d>)^2 psi_k^2 / |psi|^2, never negative) and centred centre of each vector. */
function spreadsOf(vectors: Float64Array[], xs: Float64Array[]): { spread: Float64Array; centre: Float64Array } {
  const m = vectors.length;
  const spread = new Float64Array(m);
  const dim = xs.length;
  const centre = new Float64Array(dim * m);
  for (let i = 0; i < m; i++) {
    const v = vectors[i];
    let norm = 0;
    for (let k = 0; k < v.length; k++) norm += v[k] * v[k];
    for (let d = 0; d < dim; d++) {
      const x = xs[d];
      let mean = 0;
      for (let k = 0; k < v.length; k++) mean += x[k] * v[k] * v[k];
      mean /= norm;
      let variance = 0;
      for (let k = 0; k < v.length; k++) variance += (x[k] - mean) ** 2 * v[k] * v[k];
      spread[i] += variance / norm;
      centre[dim * i + d] = mean;
    }
  }
  return { spread, centre };
}

/** Validated `components` (an integer >= 1 dividing the vector length n) and `dim` (2 or 3). */
export function checkLayout(opts: ModeLayout, n: number, source: string): { components: number; dim: number } {
  const components = opts.components ?? 1;
  if (!(Number.isInteger(components) && components >= 1 && n % components === 0)) {
    throw new InvalidInputError({ source, field: 'components' }, `must be an integer >= 1 that divides the vector length ${n}, got ${show(opts.components)}`);
  }
  const dim = opts.dim ?? 2;
  if (dim !== 2 && dim !== 3) throw new InvalidInputError({ source, field: 'dim' }, `must be 2 or 3 (coordinates per node position), got ${show(opts.dim)}`);
  return { components, dim };
}

function sum(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}
