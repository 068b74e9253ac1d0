/**
 * Which parameters a least-squares fit determines, from its normal matrix `J^T J` (J weighted by 1 / sigma):
 *
 * 1. Symmetric eigen-decomposition of J^T J. Eigenvalues at or below `relativeTolerance * max eigenvalue` count as
 *    zero; their eigenvectors span the null space (directions the measurements do not see). Rank = n - its dimension.
 * 2. Gauges (directions unobservable by construction, fixed by a reference) whose Rayleigh quotient
 *    `v^T J^T J v / v^T v` is at or below that tolerance are reported as such and projected out of the null space
 *    (Gram-Schmidt in null-space coordinates). What remains is undetermined.
 * 3. The undetermined basis is rotated to a sparse form (reduced row echelon form with full pivoting on the largest
 *    entries), entries below 1e-9 of a vector's largest are cleared, vectors sharing parameters are grouped
 *    (connected components) and orthonormalised within their group. So a parameter no measurement uses (a zero
 *    column of J) comes out as its own single-parameter direction, and separate degeneracies as separate directions.
 * 4. Each direction lists the parameters taking part (|component| >= `participation` * largest), largest first;
 *    `why` is 'not used' when every one of them has a zero diagonal in J^T J (<= the tolerance), else 'degenerate'.
 *    Suggestions: the candidate measurements whose rows R see the direction v, scored by `|R v|^2` and kept when the
 *    score is above `relativeTolerance * |R|_F^2` (the candidate sees v, not just rounding) and at least 1e-6 of the
 *    best candidate's score, best first.
 * 5. Standard errors: square roots of the diagonal of the pseudo-inverse of `J^T J + C^T C` (C: the weighted
 *    reference constraint rows), by its eigen-decomposition with eigenvalues at or below the relative tolerance
 *    dropped; Infinity for the parameters taking part in an undetermined direction.
 *
 * Cost: one or two dense symmetric eigen-decompositions (ml-matrix), about 0.2 s each at n = 300.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { InvalidInputError, show } from '../errors.js';

/** A named direction in parameter space (e.g. a gauge: the voltage scale). */
export interface NamedDirection {
  name: string;
  /** Length n; any scale. */
  vector: Float64Array;
}

/** A measurement that could be added: the weighted Jacobian rows it would contribute. */
export interface CandidateRows {
  /** What to measure, as shown to the user. */
  description: string;
  /** mc x n row-major weighted Jacobian rows the candidate measurement would add. */
  rows: Float64Array;
}

/** Options of {@link analyseIdentifiability}. */
export interface IdentifiabilityOptions {
  /** One name per parameter, e.g. 'adc.gain[3]'. */
  names: string[];
  /** Directions known to be unobservable by construction (fixed by a reference); projected out before reporting. */
  gauges?: NamedDirection[];
  /** g x n rows of the reference constraints (weighted), used for the covariance. */
  constraints?: Float64Array;
  /** Possible extra measurements, to suggest what would determine an undetermined direction. */
  candidates?: CandidateRows[];
  /** An eigenvalue of J^T J at or below relativeTolerance * max eigenvalue counts as zero. Default 1e-10. */
  relativeTolerance?: number;
  /** A parameter takes part in a direction if |component| >= participation * max |component|. Default 0.2. */
  participation?: number;
  /** Most suggestions per undetermined direction. Default 3. */
  maxSuggestions?: number;
}

/** One undetermined direction. */
export interface UndeterminedDirection {
  /** Parameters taking part, largest |component| first. */
  parameters: string[];
  /** 'not used': no measurement depends on any of them; 'degenerate': measurements see them only in combination. */
  why: 'not used' | 'degenerate';
  /** Descriptions of the candidates that would determine it, best first (may be empty). */
  suggestions: string[];
  /** Unit vector (length n); its largest component is positive. */
  direction: Float64Array;
}

/** What the measurements determine. */
export interface IdentifiabilityResult {
  /** Numerical rank of J (J^T J eigenvalues above tolerance). */
  rank: number;
  /**
   * Standard error of each parameter from the covariance (JtJ + CtC)^-1 (J already weighted by 1/sigma so this is
   * the covariance), Infinity for parameters in an undetermined direction.
   */
  std: Float64Array;
  /** Null directions of J that are not spanned by the gauges, orthonormal, each with the parameters taking part. */
  undetermined: UndeterminedDirection[];
  /** Names of the gauges that are indeed unobservable (null directions of J), in order. */
  gauges: string[];
}

/** Entries below this fraction of a sparse basis vector's largest are rounding: cleared. */
const CLEAR = 1e-9;
/** A gauge whose null-space part, after removing earlier gauges, is below this fraction of its norm adds nothing. */
const DEPENDENT = 1e-8;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** v -= (v . u) u for every u (unit vectors), twice (re-orthogonalisation). */
function orthogonalise(v: Float64Array, basis: Float64Array[]): void {
  for (let pass = 0; pass < 2; pass++) {
    for (const u of basis) {
      const c = dot(v, u);
      if (c !== 0) for (let i = 0; i < v.length; i++) v[i] -= c * u[i];
    }
  }
}

function checkFinite(field: string, a: Float64Array): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new InvalidInputError({ field: `${field}[${i}]` }, `must be finite, got ${show(a[i])}`);
  }
}

function validate(normalMatrix: Float64Array, n: number, opts: IdentifiabilityOptions): void {
  if (!(Number.isInteger(n) && n >= 1)) throw new InvalidInputError({ field: 'n' }, `must be an integer >= 1, got ${show(n)}`);
  if (!(normalMatrix instanceof Float64Array) || normalMatrix.length !== n * n) {
    throw new InvalidInputError({ field: 'normalMatrix' }, `must be a Float64Array of n * n = ${n * n} entries, got ${show(normalMatrix?.length)}`);
  }
  checkFinite('normalMatrix', normalMatrix);
  if (!Array.isArray(opts.names) || opts.names.length !== n) {
    throw new InvalidInputError({ field: 'names' }, `must be an array of n = ${n} names, got ${show(opts.names?.length)}`);
  }
  (opts.gauges ?? []).forEach((g, i) => {
    if (!(g.vector instanceof Float64Array) || g.vector.length !== n) {
      throw new InvalidInputError({ field: `gauges[${i}].vector` }, `must be a Float64Array of length n = ${n}, got ${show(g.vector?.length)}`);
    }
    checkFinite(`gauges[${i}].vector`, g.vector);
    if (!(dot(g.vector, g.vector) > 0)) throw new InvalidInputError({ field: `gauges[${i}].vector` }, 'must not be zero', `give a direction for ${show(g.name)}`);
  });
  if (opts.constraints !== undefined) {
    if (!(opts.constraints instanceof Float64Array) || opts.constraints.length % n !== 0) {
      throw new InvalidInputError({ field: 'constraints' }, `must be a Float64Array whose length is a multiple of n = ${n}, got ${show(opts.constraints?.length)}`);
    }
    checkFinite('constraints', opts.constraints);
  }
  (opts.candidates ?? []).forEach((c, i) => {
    if (!(c.rows instanceof Float64Array) || c.rows.length % n !== 0) {
      throw new InvalidInputError({ field: `candidates[${i}].rows` }, `must be a Float64Array whose length is a multiple of n = ${n}, got ${show(c.rows?.length)}`);
    }
    checkFinite(`candidates[${i}].rows`, c.rows);
  });
  const tol = opts.relativeTolerance;
  if (tol !== undefined && !(tol > 0 && tol < 1)) throw new InvalidInputError({ field: 'relativeTolerance' }, `must be in (0, 1), got ${show(tol)}`);
  const p = opts.participation;
  if (p !== undefined && !(p > 0 && p <= 1)) throw new InvalidInputError({ field: 'participation' }, `must be in (0, 1], got ${show(p)}`);
  const s = opts.maxSuggestions;
  if (s !== undefined && !(Number.isInteger(s) && s >= 0)) throw new InvalidInputError({ field: 'maxSuggestions' }, `must be an integer >= 0, got ${show(s)}`);
}

/** Eigenvalues and eigenvectors (as length-n columns) of a symmetric n x n row-major matrix (symmetrised first). */
function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array[] } {
  const m = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m.set(i, j, 0.5 * (a[i * n + j] + a[j * n + i]));
  const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const V = evd.eigenvectorMatrix;
  const vectors = Array.from({ length: n }, (_, k) => Float64Array.from(V.getColumn(k)));
  return { values: Float64Array.from(evd.realEigenvalues), vectors };
}

/** Rotate the rows of B (r independent vectors) to reduced row echelon form, pivoting on the largest entry. */
function sparseBasis(B: Float64Array[], n: number): Float64Array[] {
  const r = B.length;
  const rows = B.map((b) => Float64Array.from(b));
  const pivoted = new Uint8Array(n);
  for (let s = 0; s < r; s++) {
    let bi = -1, bj = -1, best = 0;
    for (let i = s; i < r; i++) {
      for (let j = 0; j < n; j++) {
        const v = Math.abs(rows[i][j]);
        if (!pivoted[j] && v > best) {
          best = v;
          bi = i;
          bj = j;
        }
      }
    }
    if (bi < 0) break; // (cannot happen for independent rows)
    [rows[s], rows[bi]] = [rows[bi], rows[s]];
    const p = rows[s];
    const inv = 1 / p[bj];
    for (let j = 0; j < n; j++) p[j] *= inv;
    p[bj] = 1;
    for (let i = 0; i < r; i++) {
      if (i === s) continue;
      const f = rows[i][bj];
      if (f === 0) continue;
      const row = rows[i];
      for (let j = 0; j < n; j++) row[j] -= f * p[j];
      row[bj] = 0;
    }
    pivoted[bj] = 1;
  }
  for (const row of rows) {
    let max = 0;
    for (let j = 0; j < n; j++) max = Math.max(max, Math.abs(row[j]));
    for (let j = 0; j < n; j++) if (Math.abs(row[j]) <= CLEAR * max) row[j] = 0;
  }
  return rows;
}

/** Group sparse vectors by shared parameters (connected components) and orthonormalise within each group. */
function orthonormalGroups(rows: Float64Array[], n: number): Float64Array[] {
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  const support = rows.map((row) => {
    const s: number[] = [];
    for (let j = 0; j < n; j++) if (row[j] !== 0) s.push(j);
    return s;
  });
  for (const s of support) for (let k = 1; k < s.length; k++) parent[find(s[k])] = find(s[0]);
  const groups = new Map<number, number[]>();
  rows.forEach((_, i) => {
    const root = find(support[i][0]);
    const list = groups.get(root) ?? [];
    list.push(i);
    groups.set(root, list);
  });
  const out: Float64Array[] = [];
  for (const members of groups.values()) {
    // sparsest first, so that it stays as it is
    members.sort((a, b) => support[a].length - support[b].length || support[a][0] - support[b][0]);
    const done: Float64Array[] = [];
    for (const i of members) {
      const v = Float64Array.from(rows[i]);
      orthogonalise(v, done);
      const nv = Math.sqrt(dot(v, v));
      for (let j = 0; j < n; j++) v[j] /= nv;
      done.push(v);
    }
    out.push(...done);
  }
  return out;
}

/**
 * Analyse which parameters the normal matrix `J^T J` (n x n row-major, J weighted by 1 / sigma, WITHOUT the
 * reference constraints) determines; see the module comment for the method. Throws InvalidInputError for malformed
 * input (sizes, non-finite entries, options out of range).
 */
export function analyseIdentifiability(normalMatrix: Float64Array, n: number, opts: IdentifiabilityOptions): IdentifiabilityResult {
  validate(normalMatrix, n, opts);
  const relTol = opts.relativeTolerance ?? 1e-10;
  const participation = opts.participation ?? 0.2;
  const maxSuggestions = opts.maxSuggestions ?? 3;
  const A = normalMatrix;

  // 1. null space of J^T J
  const eig = symmetricEigen(A, n);
  let maxEig = 0;
  for (const v of eig.values) maxEig = Math.max(maxEig, v);
  const tol = relTol * maxEig;
  const nullBasis: Float64Array[] = [];
  eig.values.forEach((v, k) => {
    if (v <= tol) nullBasis.push(eig.vectors[k]);
  });
  const k = nullBasis.length;
  const rank = n - k;

  // 2. gauges: those in the null space are reported and removed (in null-space coordinates)
  const gauges: string[] = [];
  const gaugeCoords: Float64Array[] = [];
  const Av = new Float64Array(n);
  for (const g of opts.gauges ?? []) {
    const v = g.vector;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += A[i * n + j] * v[j];
      Av[i] = s;
    }
    const vv = dot(v, v);
    if (!(dot(v, Av) / vv <= tol)) continue;
    gauges.push(g.name);
    const c = Float64Array.from(nullBasis, (u) => dot(u, v));
    orthogonalise(c, gaugeCoords);
    const nc = Math.sqrt(dot(c, c));
    if (nc <= DEPENDENT * Math.sqrt(vv)) continue;
    for (let i = 0; i < k; i++) c[i] /= nc;
    gaugeCoords.push(c);
  }
  // complement of the gauges in null-space coordinates: pivoted Gram-Schmidt on the unit vectors with the gauges
  // removed (pick the largest remainder, normalise, remove it from the others)
  const remainders = Array.from({ length: k }, (_, i) => {
    const e = new Float64Array(k);
    e[i] = 1;
    orthogonalise(e, gaugeCoords);
    return e;
  });
  const rest: Float64Array[] = [];
  while (gaugeCoords.length + rest.length < k) {
    let bi = -1, bestNorm = 0;
    remainders.forEach((e, i) => {
      const ne = Math.sqrt(dot(e, e));
      if (ne > bestNorm) {
        bestNorm = ne;
        bi = i;
      }
    });
    if (bi < 0 || bestNorm < 1e-6) break;
    const w = remainders[bi];
    remainders.splice(bi, 1);
    for (let i = 0; i < k; i++) w[i] /= bestNorm;
    orthogonalise(w, rest); // (rounding only)
    const nw = Math.sqrt(dot(w, w));
    for (let i = 0; i < k; i++) w[i] /= nw;
    rest.push(w);
    for (const e of remainders) {
      const c = dot(e, w);
      for (let i = 0; i < k; i++) e[i] -= c * w[i];
    }
  }
  const undeterminedBasis = rest.map((w) => {
    const v = new Float64Array(n);
    for (let i = 0; i < k; i++) {
      const c = w[i];
      if (c !== 0) for (let j = 0; j < n; j++) v[j] += c * nullBasis[i][j];
    }
    return v;
  });

  // 3. sparse, grouped, orthonormal directions
  const directions = undeterminedBasis.length > 0 ? orthonormalGroups(sparseBasis(undeterminedBasis, n), n) : [];

  // 4. participation, why, suggestions
  const candidates = (opts.candidates ?? []).map((c) => {
    let frob = 0;
    for (let i = 0; i < c.rows.length; i++) frob += c.rows[i] * c.rows[i];
    return { description: c.description, rows: c.rows, frob, count: c.rows.length / n };
  });
  const undetermined: UndeterminedDirection[] = directions.map((v) => {
    let max = 0, at = 0;
    for (let j = 0; j < n; j++) {
      if (Math.abs(v[j]) > max) {
        max = Math.abs(v[j]);
        at = j;
      }
    }
    if (v[at] < 0) for (let j = 0; j < n; j++) v[j] = -v[j];
    // magnitudes compared at 1e-9 of the largest, so that equal components (up to rounding) keep parameter order
    const part: { j: number; key: number }[] = [];
    for (let j = 0; j < n; j++) if (Math.abs(v[j]) >= participation * max) part.push({ j, key: Math.round((Math.abs(v[j]) / max) * 1e9) });
    part.sort((a, b) => b.key - a.key || a.j - b.j);
    const notUsed = part.every(({ j }) => A[j * n + j] <= tol);
    const scored: { description: string; score: number }[] = [];
    for (const c of candidates) {
      let score = 0;
      for (let i = 0; i < c.count; i++) {
        let s = 0;
        const off = i * n;
        for (let j = 0; j < n; j++) s += c.rows[off + j] * v[j];
        score += s * s;
      }
      if (score > 0 && score > relTol * c.frob) scored.push({ description: c.description, score });
    }
    const bestScore = scored.reduce((b, s) => Math.max(b, s.score), 0);
    const suggestions = scored
      .filter((s) => s.score >= 1e-6 * bestScore)
      .sort((a, b) => b.score - a.score)
      .slice(0, maxSuggestions)
      .map((s) => s.description);
    return {
      parameters: part.map(({ j }) => opts.names[j]),
      why: notUsed ? ('not used' as const) : ('degenerate' as const),
      suggestions,
      direction: v,
      first: Math.min(...part.map(({ j }) => j)),
    };
  })
    .sort((a, b) => a.first - b.first)
    .map(({ first: _first, ...u }) => u);

  // 5. standard errors from the pseudo-inverse of J^T J + C^T C, taken on the Jacobi-scaled matrix D^-1 M D^-1
  // (D = sqrt(diag M)): parameters of very different units and leverage (ADC gains, ln k, series resistances in ohm)
  // and the heavily weighted constraint rows make M span many decades, and a cut relative to its largest eigenvalue
  // would drop well-determined directions of small leverage (their variance lost, the standard errors too small).
  // Scaled, the cut is relative to a unit diagonal, i.e. it drops only directions that are nearly degenerate.
  const C = opts.constraints;
  const M = Float64Array.from(A);
  if (C && C.length > 0) {
    const g = C.length / n;
    for (let r = 0; r < g; r++) {
      const off = r * n;
      for (let p = 0; p < n; p++) {
        const cp = C[off + p];
        if (cp === 0) continue;
        for (let q = 0; q < n; q++) M[p * n + q] += cp * C[off + q];
      }
    }
  }
  const d = Float64Array.from({ length: n }, (_, j) => (M[j * n + j] > 0 ? Math.sqrt(M[j * n + j]) : 1));
  for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) M[p * n + q] /= d[p] * d[q];
  const covEig = symmetricEigen(M, n);
  let maxM = 0;
  for (const v of covEig.values) maxM = Math.max(maxM, v);
  const variance = new Float64Array(n);
  covEig.values.forEach((lam, kk) => {
    if (!(lam > relTol * maxM)) return;
    const u = covEig.vectors[kk];
    for (let j = 0; j < n; j++) variance[j] += (u[j] * u[j]) / lam / (d[j] * d[j]);
  });
  const std = Float64Array.from(variance, Math.sqrt);
  for (const v of directions) {
    let max = 0;
    for (let j = 0; j < n; j++) max = Math.max(max, Math.abs(v[j]));
    for (let j = 0; j < n; j++) if (Math.abs(v[j]) >= participation * max) std[j] = Infinity;
  }
  return { rank, std, undetermined, gauges };
}
