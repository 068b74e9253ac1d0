/**
 * Coupling between the cost Hessian (E x E, over edges: d2C/dk_i dk_j, docs/design.md) and the physical Hessian (the N x N
 * Laplacian H = D^T diag(k) D, over nodes; or a spring network's d N x d N stiffness matrix, with `edgeSignal`). Learning makes the stiff directions of the cost line up with the soft
 * modes of the physics: changing k_e by delta changes the stiffness psi^T H psi of a mode psi by
 * delta (psi(b_e) - psi(a_e))^2, so the edge-space image of a physical mode is its vector of squared drops
 * s_e = (psi(b_e) - psi(a_e))^2.
 *
 * Measured here:
 * - alignment: |cos| between each of the `stiff` stiffest cost modes v (unit eigenvectors of the cost Hessian, largest
 *   eigenvalues first) and the squared drops s of each of the `soft` softest physical modes;
 * - a baseline: the same cosine for the stiffest cost mode against the squared drops of random unit node vectors
 *   (Gaussian entries, normalised; seeded), so that "aligned" means "more than chance" (squared drops are all >= 0,
 *   so even random ones have a sizeable cosine with any vector of one sign);
 * - a power law between the spectra: log mu_i = log c + p log(1 / lambda_i), least squares over the first `pairs`
 *   modes paired by rank (mu descending, lambda ascending), with its coefficient of determination r2.
 *
 * Zero modes of the physical Hessian (eigenvalue <= 1e-10 x the largest |eigenvalue| given, or a vector with no drop on
 * any edge: the constant vector of a full Laplacian) have no squared drops and log(1 / 0) is infinite: they are skipped
 * here; `soft.skipped` says how many.
 *
 * Cost: one dense symmetric eigen-decomposition of the cost Hessian (symmetricEigen), O(E^3) time and O(E^2) memory:
 * fine up to E ~ 2000 for now (measured on Node 20: 0.7 s at E = 500, 8 s at E = 1000, so about a minute at 2000);
 * larger networks use stiffModeAlignment.ts (the Gauss-Newton Hessian's stiffest mode by Lanczos, matrix-free), which
 * shares this file's physical side and statistic (softModeDrops, softCount, alignmentOf).
 */
import { symmetricEigen } from './symmetricEigen.js';
import { InvalidInputError, show } from '../errors.js';
import { Rng } from '../physics/Rng.js';

/** Options of {@link modeCoupling}. */
export interface CouplingOptions {
  /**
   * The edge-space image of a physical mode (or of a state): the network kind's per-edge learning signal evaluated on
   * it (NetworkKind.ts), the change of the mode's stiffness psi^T H psi per unit change of each edge's parameter.
   * Default the resistor network's squared drops (psi(b_e) - psi(a_e))^2 ({@link squaredDrops}); a spring network's is
   * the squared extensions ext_e(psi)^2.
   */
  edgeSignal?: (psi: Float64Array) => Float64Array;
  /** Number of stiffest cost modes compared, integer in [1, E]. Default min(3, E). */
  stiff?: number;
  /** Number of softest (non-zero) physical modes compared, integer in [1, available]. Default min(10, available). */
  soft?: number;
  /** Seed of the random baseline. Default 1. */
  seed?: number;
  /** Number of random node vectors in the baseline, integer >= 1. Default 200. */
  randomSamples?: number;
  /**
   * Modes in the power fit, integer in [0, min(stiff', available)], where stiff' = number of cost eigenvalues above
   * 1e-10 x the largest and available = non-zero physical modes given. Default min(stiff', soft). With fewer than 2 pairs
   * the fit is undefined (NaN).
   */
  pairs?: number;
}

/** The coupling measurements. */
export interface CouplingResult {
  stiff: {
    /** The `stiff` largest cost-Hessian eigenvalues, descending (units of the cost Hessian). */
    values: Float64Array;
    /** Their eigenvectors, length E, unit (sign arbitrary). */
    vectors: Float64Array[];
    /** stiff': number of cost eigenvalues above 1e-10 x the largest (the numerical rank). */
    rank: number;
  };
  soft: {
    /** The physical eigenvalues used (the given ones with zero modes skipped, ascending; first `soft`). */
    values: Float64Array;
    /** Per soft mode psi: s_e = (psi(b_e) - psi(a_e))^2, normalised to unit length. */
    squaredDrops: Float64Array[];
    /** Number of given zero modes skipped. */
    skipped: number;
  };
  /** Cosine |v . s| / (|v||s|) for every stiff cost mode v and soft physical mode s, stiff x soft row-major. */
  alignment: Float64Array;
  /** The largest entry of `alignment` (first one on ties). */
  best: { stiffMode: number; softMode: number; cosine: number };
  /**
   * The same cosine for the stiffest cost mode against the squared drops of random unit node vectors (seeded): mean
   * and 95th percentile (linear interpolation between order statistics).
   */
  random: { mean: number; p95: number; samples: number };
  /**
   * log(mu_i) = log(prefactor) + exponent * log(1 / lambda_i), least squares over the first `pairs` modes (mu:
   * cost-Hessian eigenvalues descending, lambda: non-zero physical eigenvalues ascending, paired by rank); r2 is the
   * coefficient of determination in log space (1 when all mu are equal and fitted exactly). NaN with pairs < 2 or
   * when all lambda are equal.
   */
  power: { exponent: number; prefactor: number; r2: number; pairs: number };
}

const SOURCE = 'modeCoupling';
const ZERO_REL = 1e-10;

/**
 * Measure the coupling of the cost Hessian `costHessian` (E x E row-major, symmetric to 1e-8 relative; it is
 * symmetrised) with the physical modes `physical` (softest eigenpairs of the Laplacian, ascending, vectors of length
 * N; zero modes are skipped here) on the edges (edgeA[e], edgeB[e]). See the file comment.
 */
export function modeCoupling(
  costHessian: Float64Array,
  edges: number,
  physical: { values: ArrayLike<number>; vectors: Float64Array[] },
  edgeA: Int32Array,
  edgeB: Int32Array,
  opts: CouplingOptions = {},
): CouplingResult {
  // ---- validation
  if (!(Number.isInteger(edges) && edges >= 1)) throw new InvalidInputError({ source: SOURCE, field: 'edges' }, `must be an integer >= 1, got ${show(edges)}`);
  const E = edges;
  if (costHessian.length !== E * E) {
    throw new InvalidInputError({ source: SOURCE, field: 'costHessian' }, `must be E x E = ${E * E} entries (row-major, E = ${E}), got ${costHessian.length}`);
  }
  let scale = 0;
  for (let i = 0; i < E * E; i++) {
    const v = costHessian[i];
    if (!Number.isFinite(v)) throw new InvalidInputError({ source: SOURCE, field: `costHessian[${i}]` }, `must be a finite number, got ${show(v)}`);
    scale = Math.max(scale, Math.abs(v));
  }
  for (let i = 0; i < E; i++) {
    for (let j = i + 1; j < E; j++) {
      const a = costHessian[i * E + j];
      const b = costHessian[j * E + i];
      if (Math.abs(a - b) > 1e-8 * scale) {
        throw new InvalidInputError({ source: SOURCE, field: `costHessian[${i}][${j}]` }, `must be symmetric (to 1e-8 of the largest entry), got ${show(a)} vs [${j}][${i}] = ${show(b)}`);
      }
    }
  }
  if (edgeA.length !== E || edgeB.length !== E) {
    throw new InvalidInputError({ source: SOURCE, field: edgeA.length !== E ? 'edgeA' : 'edgeB' }, `must have one entry per edge (E = ${E}), got ${edgeA.length !== E ? edgeA.length : edgeB.length}`);
  }
  const { values: softValuesAll, drops: dropsAll, skipped } = softModeDrops(physical, edgeA, edgeB, E, opts.edgeSignal);
  const available = softValuesAll.length;
  const nSoft = softCount(opts.soft, available);
  const nStiff = opts.stiff ?? Math.min(3, E);
  if (!(Number.isInteger(nStiff) && nStiff >= 1 && nStiff <= E)) {
    throw new InvalidInputError({ source: SOURCE, field: 'stiff' }, `must be an integer in [1, E = ${E}], got ${show(opts.stiff)}`);
  }
  const seed = opts.seed ?? 1;
  if (!Number.isFinite(seed)) throw new InvalidInputError({ source: SOURCE, field: 'seed' }, `must be a finite number, got ${show(opts.seed)}`);
  const samples = opts.randomSamples ?? 200;
  if (!(Number.isInteger(samples) && samples >= 1)) {
    throw new InvalidInputError({ source: SOURCE, field: 'randomSamples' }, `must be an integer >= 1, got ${show(opts.randomSamples)}`);
  }

  // ---- cost Hessian spectrum (descending), by the typed-array symmetric solver (symmetricEigen.ts)
  const C = new Float64Array(E * E);
  for (let i = 0; i < E; i++) {
    for (let j = 0; j < E; j++) C[i * E + j] = 0.5 * (costHessian[i * E + j] + costHessian[j * E + i]);
  }
  const evd = symmetricEigen(C, E);
  const ev = evd.values;
  const V = { getColumn: (j: number): Float64Array => evd.vectors!.subarray(j * E, (j + 1) * E) };
  const order = Array.from({ length: E }, (_, i) => i).sort((p, q) => ev[q] - ev[p]);
  const mu = Float64Array.from(order, (i) => ev[i]);
  const muMax = mu[0];
  let rank = 0;
  if (muMax > 0) for (let i = 0; i < E; i++) if (mu[i] > ZERO_REL * muMax) rank++;
  const stiffVectors: Float64Array[] = [];
  for (let r = 0; r < nStiff; r++) {
    const col = V.getColumn(order[r]);
    let norm = 0;
    for (const x of col) norm += x * x;
    const inv = 1 / Math.sqrt(norm);
    stiffVectors.push(Float64Array.from(col, (x) => x * inv));
  }

  const pairs = opts.pairs ?? Math.min(rank, nSoft);
  const pairsMax = Math.min(rank, available);
  if (!(Number.isInteger(pairs) && pairs >= 0 && pairs <= pairsMax)) {
    throw new InvalidInputError(
      { source: SOURCE, field: 'pairs' },
      `must be an integer in [0, ${pairsMax}] (min of the cost Hessian's numerical rank ${rank} and the ${available} non-zero physical modes), got ${show(opts.pairs)}`,
    );
  }

  // ---- alignment
  const softDrops = dropsAll.slice(0, nSoft);
  const { alignment, best } = alignmentOf(stiffVectors, softDrops);

  // ---- random baseline
  const N = physical.vectors[0].length;
  const rng = new Rng(seed);
  const cos = new Float64Array(samples);
  const r = new Float64Array(N);
  for (let t = 0; t < samples; t++) {
    for (let k = 0; k < N; k++) r[k] = rng.normal();
    const s = opts.edgeSignal ? opts.edgeSignal(r) : squaredDrops(r, edgeA, edgeB);
    const norm = Math.sqrt(dot(s, s));
    cos[t] = norm > 0 ? Math.min(1, Math.abs(dot(stiffVectors[0], s)) / norm) : 0;
  }
  let mean = 0;
  for (const c of cos) mean += c;
  mean /= samples;
  const sorted = Float64Array.from(cos).sort();
  const at = 0.95 * (samples - 1);
  const lo = Math.floor(at);
  const hi = Math.min(samples - 1, lo + 1);
  const p95 = sorted[lo] + (at - lo) * (sorted[hi] - sorted[lo]);

  return {
    stiff: { values: mu.slice(0, nStiff), vectors: stiffVectors, rank },
    soft: { values: Float64Array.from(softValuesAll.slice(0, nSoft)), squaredDrops: softDrops, skipped },
    alignment,
    best,
    random: { mean, p95, samples },
    power: powerFit(mu, softValuesAll, pairs),
  };
}

/**
 * The physical side of the coupling, shared by {@link modeCoupling} and the matrix-free {@link stiffModeAlignment}:
 * validates the physical modes against the edges, skips zero modes (see the file comment) and returns the unit
 * squared drops of the others, ascending by eigenvalue.
 */
export function softModeDrops(
  physical: { values: ArrayLike<number>; vectors: Float64Array[] },
  edgeA: Int32Array,
  edgeB: Int32Array,
  E: number,
  edgeSignal?: (psi: Float64Array) => Float64Array,
): { values: number[]; drops: Float64Array[]; skipped: number } {
  const K = physical.vectors.length;
  if (physical.values.length !== K) {
    throw new InvalidInputError({ source: SOURCE, field: 'physical.values' }, `must have one eigenvalue per vector (${K}), got ${physical.values.length}`);
  }
  if (K < 1) throw new InvalidInputError({ source: SOURCE, field: 'physical.vectors' }, 'needs at least one physical mode, got none');
  const N = physical.vectors[0].length;
  for (let i = 0; i < K; i++) {
    const v = physical.vectors[i];
    if (v.length !== N) throw new InvalidInputError({ source: SOURCE, field: `physical.vectors[${i}]` }, `all vectors must have the same length N = ${N}, got ${v.length}`);
    for (let k = 0; k < N; k++) {
      if (!Number.isFinite(v[k])) throw new InvalidInputError({ source: SOURCE, field: `physical.vectors[${i}][${k}]` }, `must be a finite number, got ${show(v[k])}`);
    }
  }
  for (let e = 0; e < E; e++) {
    for (const [name, v] of [['edgeA', edgeA[e]], ['edgeB', edgeB[e]]] as const) {
      if (!(v >= 0 && v < N)) throw new InvalidInputError({ source: SOURCE, field: `${name}[${e}]` }, `node id must be in 0..${N - 1} (physical vectors have length ${N}), got ${show(v)}`);
    }
  }
  let lamMax = 0;
  for (let i = 0; i < K; i++) {
    const v = physical.values[i];
    if (!Number.isFinite(v)) throw new InvalidInputError({ source: SOURCE, field: `physical.values[${i}]` }, `must be a finite number, got ${show(v)}`);
    lamMax = Math.max(lamMax, Math.abs(v));
  }
  const zeroTol = ZERO_REL * lamMax;
  const dropsOf = physical.vectors.map((psi) => (edgeSignal ? edgeSignal(psi) : squaredDrops(psi, edgeA, edgeB)));
  // A vector with no drop on any edge (relative to |psi|^2: the drops are quadratic in psi) is a zero mode whatever its
  // eigenvalue says (this also catches a lone zero mode, where the relative eigenvalue test has no scale).
  const flat = physical.vectors.map((psi, i) => !(Math.sqrt(dot(dropsOf[i], dropsOf[i])) > 1e-10 * dot(psi, psi)));
  const isZero = (i: number): boolean => flat[i] || Math.abs(physical.values[i]) <= zeroTol;
  for (let i = 0; i < K; i++) {
    const v = physical.values[i];
    if (!isZero(i) && v < 0) throw new InvalidInputError({ source: SOURCE, field: `physical.values[${i}]` }, `a Laplacian has no negative eigenvalue, got ${show(v)}`);
    if (i > 0 && v < physical.values[i - 1] - zeroTol) {
      throw new InvalidInputError({ source: SOURCE, field: `physical.values[${i}]` }, `eigenvalues must be ascending, got ${show(v)} after ${show(physical.values[i - 1])}`, 'pass the softest modes sorted by eigenvalue');
    }
  }

  // ---- physical modes: skip zero modes, squared drops
  const softValuesAll: number[] = [];
  const dropsAll: Float64Array[] = [];
  let skipped = 0;
  for (let i = 0; i < K; i++) {
    if (isZero(i)) {
      skipped++;
      continue;
    }
    const s = dropsOf[i];
    const inv = 1 / Math.sqrt(dot(s, s));
    for (let e = 0; e < E; e++) s[e] *= inv;
    softValuesAll.push(physical.values[i]);
    dropsAll.push(s);
  }
  if (softValuesAll.length < 1) {
    throw new InvalidInputError({ source: SOURCE, field: 'physical' }, `every given mode is a zero mode (${K} of ${K}); pass the softest non-zero modes too`);
  }
  return { values: softValuesAll, drops: dropsAll, skipped };
}

/** The number of soft modes compared: opts.soft validated, default min(10, available). */
export function softCount(soft: number | undefined, available: number): number {
  const nSoft = soft ?? Math.min(10, available);
  if (!(Number.isInteger(nSoft) && nSoft >= 1 && nSoft <= available)) {
    throw new InvalidInputError({ source: SOURCE, field: 'soft' }, `must be an integer in [1, ${available}] (non-zero physical modes given), got ${show(soft)}`);
  }
  return nSoft;
}

/**
 * The alignment statistic: |cos| between every stiff cost mode (unit vectors over the edges) and every soft mode's unit
 * squared drops, stiff x soft row-major, and its largest entry (first on ties). `best.cosine` with one stiff mode is
 * the ensemble's stiffAlignment.
 */
export function alignmentOf(stiffVectors: Float64Array[], softDrops: Float64Array[]): Pick<CouplingResult, 'alignment' | 'best'> {
  const nStiff = stiffVectors.length;
  const nSoft = softDrops.length;
  const alignment = new Float64Array(nStiff * nSoft);
  const best = { stiffMode: 0, softMode: 0, cosine: -1 };
  for (let i = 0; i < nStiff; i++) {
    let norm = 0;
    for (const x of stiffVectors[i]) norm += x * x;
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < nSoft; j++) {
      const c = Math.min(1, Math.abs(dot(stiffVectors[i], softDrops[j])) * inv);
      alignment[i * nSoft + j] = c;
      if (c > best.cosine) {
        best.stiffMode = i;
        best.softMode = j;
        best.cosine = c;
      }
    }
  }
  return { alignment, best };
}

/** Least squares of log mu_i on log(1 / lambda_i) over i < pairs. */
function powerFit(mu: Float64Array, lambda: number[], pairs: number): CouplingResult['power'] {
  if (pairs < 2) return { exponent: NaN, prefactor: NaN, r2: NaN, pairs };
  const x = new Float64Array(pairs);
  const y = new Float64Array(pairs);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < pairs; i++) {
    x[i] = -Math.log(lambda[i]);
    y[i] = Math.log(mu[i]);
    mx += x[i];
    my += y[i];
  }
  mx /= pairs;
  my /= pairs;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < pairs; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) ** 2;
  }
  if (!(sxx > 1e-24 * Math.max(1, mx * mx) * pairs)) return { exponent: NaN, prefactor: NaN, r2: NaN, pairs };
  const exponent = sxy / sxx;
  const intercept = my - exponent * mx;
  let ssRes = 0;
  for (let i = 0; i < pairs; i++) ssRes += (y[i] - intercept - exponent * x[i]) ** 2;
  const r2 = syy > 0 ? 1 - ssRes / syy : 1;
  return { exponent, prefactor: Math.exp(intercept), r2, pairs };
}

/** A resistor network's per-edge learning signal of a node vector: the squared drops (psi(b_e) - psi(a_e))^2. */
export function squaredDrops(psi: ArrayLike<number>, edgeA: Int32Array, edgeB: Int32Array): Float64Array {
  const s = new Float64Array(edgeA.length);
  for (let e = 0; e < edgeA.length; e++) {
    const d = psi[edgeB[e]] - psi[edgeA[e]];
    s[e] = d * d;
  }
  return s;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
