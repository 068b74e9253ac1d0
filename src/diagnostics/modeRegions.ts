/**
 * Regions of a localised soft-mode basis, their boundaries, and how often each edge is a boundary over a range of
 * mode counts (the "boundary frequency" f_e: learning concentrates on the edges between the regions into which the
 * soft modes of the physical Hessian localise).
 *
 * - {@link binariseModes}: each node belongs to the localised vector with the largest weight there (|psi_i(node)|^2,
 *   summed over a node's components: nodeWeights in localisedModes.ts);
 *   an edge is a boundary edge when its two ends belong to different regions.
 * - {@link boundaryFrequency}: for every mode count N_m in [minModes, maxModes], localise the lowest N_m modes
 *   (localiseModes.ts), binarise them, and add n_e(N_m) / sqrt(N_m) to f_e (n_e = 1 on a boundary edge, else 0);
 *   it also picks a single N_m by the eigengap rule below.
 */
import { InvalidInputError, show } from '../errors.js';
import { checkLayout, localiseModes, nodeWeights, type LocalisationOptions, type LocalisedBasis, type ModeLayout } from './localisedModes.js';

/** Regions of a localised basis. */
export interface ModeRegions {
  /**
   * Per node: index of the localised vector with the largest |psi_i(node)|^2 (ties: the lowest index); -1 where every
   * |psi_i(node)|^2 is at or below `zeroBelow` x the largest weight anywhere (e.g. imposed nodes of a grounded
   * Laplacian, where all eigenvectors vanish).
   */
  region: Int32Array;
  /** Per edge: 1 if its two ends are in different regions (both assigned, i.e. not -1), else 0. */
  boundary: Uint8Array;
  /** Indices of the edges with boundary 1, ascending. */
  boundaryEdges: Int32Array;
  /** Nodes per region (length Nm). */
  sizes: Int32Array;
}

/** Options of {@link binariseModes}. */
export interface BinariseOptions extends Pick<ModeLayout, 'components'> {
  /** Nodes whose largest weight is at or below this fraction of the largest weight anywhere get region -1. Default 1e-12. */
  zeroBelow?: number;
}

const SOURCE_BIN = 'binariseModes';
const SOURCE_FREQ = 'boundaryFrequency';
/** An eigenvalue with |lambda| <= this x the largest |lambda| given is a zero mode. */
const ZERO_MODE_REL = 1e-10;

/**
 * Assign every node to the localised vector that dominates it and mark the edges between regions.
 * `basis.vectors`: Nm vectors of length N (any normalisation; typically localiseModes' output). `edgeA`, `edgeB`:
 * the edge ends (node ids in 0..N-1).
 */
export function binariseModes(basis: Pick<LocalisedBasis, 'vectors'>, edgeA: Int32Array, edgeB: Int32Array, opts: BinariseOptions = {}): ModeRegions {
  const vectors = basis.vectors;
  const m = vectors.length;
  if (m < 1) throw new InvalidInputError({ source: SOURCE_BIN, field: 'vectors' }, 'needs at least one vector, got none');
  const n = vectors[0].length;
  for (let i = 0; i < m; i++) {
    if (vectors[i].length !== n) throw new InvalidInputError({ source: SOURCE_BIN, field: `vectors[${i}]` }, `all vectors must have the same length N = ${n}, got ${vectors[i].length}`);
    for (let k = 0; k < n; k++) {
      if (!Number.isFinite(vectors[i][k])) throw new InvalidInputError({ source: SOURCE_BIN, field: `vectors[${i}][${k}]` }, `must be a finite number, got ${show(vectors[i][k])}`);
    }
  }
  const { components } = checkLayout({ components: opts.components }, n, SOURCE_BIN);
  const nodes = n / components;
  checkEdges(edgeA, edgeB, nodes, SOURCE_BIN);
  const zeroBelow = opts.zeroBelow ?? 1e-12;
  if (!(zeroBelow >= 0 && Number.isFinite(zeroBelow))) {
    throw new InvalidInputError({ source: SOURCE_BIN, field: 'zeroBelow' }, `must be a finite number >= 0 (relative to the largest weight), got ${show(opts.zeroBelow)}`);
  }

  // node weights sum_c psi_(k,c)^2 (one component per node: psi_k^2)
  const weights = vectors.map((v) => nodeWeights(v, components));
  let globalMax = 0;
  for (const w of weights) for (let k = 0; k < nodes; k++) globalMax = Math.max(globalMax, w[k]);
  const cut = zeroBelow * globalMax;

  const region = new Int32Array(nodes).fill(-1);
  const sizes = new Int32Array(m);
  for (let k = 0; k < nodes; k++) {
    let best = -1;
    let bestW = cut;
    for (let i = 0; i < m; i++) {
      const w = weights[i][k];
      if (w > bestW) {
        bestW = w;
        best = i;
      }
    }
    region[k] = best;
    if (best >= 0) sizes[best]++;
  }
  const E = edgeA.length;
  const boundary = new Uint8Array(E);
  const list: number[] = [];
  for (let e = 0; e < E; e++) {
    const ra = region[edgeA[e]];
    const rb = region[edgeB[e]];
    if (ra >= 0 && rb >= 0 && ra !== rb) {
      boundary[e] = 1;
      list.push(e);
    }
  }
  return { region, boundary, boundaryEdges: Int32Array.from(list), sizes };
}

/** Boundary frequency of every edge over a range of mode counts, and the chosen mode count. */
export interface BoundaryFrequency {
  /** Per edge: sum over N_m in [minModes, maxModes] of n_e(N_m) / sqrt(N_m), n_e = 1 on a boundary edge. */
  f: Float64Array;
  minModes: number;
  maxModes: number;
  /** N_m picked by the eigengap rule (see {@link boundaryFrequency}). */
  chosenModes: number;
  /** The rule for N_m in words, with the numbers that decided it. */
  rule: string;
  /** Number of the given modes that are zero modes (|lambda| <= 1e-10 x the largest |lambda|). */
  zeroModes: number;
  /** Per mode count: the localisation's total spread, spread per mode (position units squared), boundary edge count. */
  perModes: { modes: number; totalSpread: number; meanSpread: number; boundaryEdges: number }[];
}

/** Options of {@link boundaryFrequency}, plus the localisation options passed to every localiseModes call. */
export interface BoundaryFrequencyOptions extends LocalisationOptions {
  /** Smallest mode count, integer >= 2 (one region has no boundary). Default 2. */
  minModes?: number;
  /** Largest mode count, integer in [minModes, K]. Default K, all given modes. */
  maxModes?: number;
}

/**
 * The boundary frequency f_e over mode counts N_m = minModes..maxModes, and one mode count by the eigengap rule.
 *
 * `eigen`: the lowest K eigenpairs of the physical Hessian, eigenvalues ascending (>= 0 up to rounding), vectors
 * orthonormal of length components x N. `positions`: `dim` coordinates interleaved (length dim x N; default x, y).
 * `edgeA`, `edgeB`: the edges.
 *
 * Zero modes. A mode whose eigenvalue is at most 1e-10 x the largest |eigenvalue| given is a zero mode: the constant
 * vector of the full Laplacian of a connected network (one per connected component in general). Zero modes are
 * skipped as denominators of the eigengap rule (lambda_(m+1) / 0 is not a gap measurement) but they are kept in the
 * localised span and counted in N_m: for n weakly joined clusters the soft subspace is spanned by the n cluster
 * indicators, which need the constant vector (a full Laplacian's n softest modes are the constant plus n - 1
 * inter-cluster modes). A grounded Laplacian (imposed nodes removed or pinned) has no zero mode and nothing changes.
 *
 * Rule for N_m (eigengap): N_m = the m in [minModes, maxModes] (m <= K - 1, so that lambda_(m+1) is given) with the
 * largest relative gap lambda_(m+1) / lambda_m (modes counted from 1, zero modes included); a zero lambda_m followed by
 * a non-zero lambda_(m+1) counts as an infinite gap (the network falls into m disconnected parts), two zeros as no
 * gap; ties go to the smaller m. Why: the localised regions are meaningful when the span of the lowest N_m modes is
 * well separated from the next mode (its sensitivity to perturbations of H scales as 1 / gap, Davis-Kahan); for n
 * clusters joined by weak conductances the spectrum has n soft modes ~ k_weak followed by stiff ones ~ k_strong, so the
 * largest ratio sits right after mode n; the ratio does not depend on the conductance unit. When no gap can be
 * evaluated (minModes = maxModes = K, or only zero modes), N_m = minModes and `rule` says so.
 *
 * Cost: one localisation per mode count, O(sum over N_m of N_m^2 N + sweeps N_m^3).
 */
export function boundaryFrequency(
  eigen: { values: ArrayLike<number>; vectors: Float64Array[] },
  positions: Float64Array,
  edgeA: Int32Array,
  edgeB: Int32Array,
  opts: BoundaryFrequencyOptions = {},
): BoundaryFrequency {
  const K = eigen.vectors.length;
  if (eigen.values.length !== K) {
    throw new InvalidInputError({ source: SOURCE_FREQ, field: 'eigen.values' }, `must have one eigenvalue per vector (${K}), got ${eigen.values.length}`);
  }
  if (K < 2) throw new InvalidInputError({ source: SOURCE_FREQ, field: 'eigen.vectors' }, `needs at least 2 modes (two regions), got ${K}`);
  const n = eigen.vectors[0].length;
  const { components, dim } = checkLayout(opts, n, SOURCE_FREQ);
  const nodes = n / components;
  if (positions.length !== dim * nodes) {
    throw new InvalidInputError({ source: SOURCE_FREQ, field: 'positions' }, `must hold ${dim} coordinates interleaved for every node (length ${dim} x ${nodes} = ${dim * nodes}), got length ${positions.length}`);
  }
  checkEdges(edgeA, edgeB, nodes, SOURCE_FREQ);
  let biggest = 0;
  for (let i = 0; i < K; i++) {
    const v = eigen.values[i];
    if (!Number.isFinite(v)) throw new InvalidInputError({ source: SOURCE_FREQ, field: `eigen.values[${i}]` }, `must be a finite number, got ${show(v)}`);
    biggest = Math.max(biggest, Math.abs(v));
  }
  const zeroTol = ZERO_MODE_REL * biggest;
  for (let i = 0; i < K; i++) {
    const v = eigen.values[i];
    if (v < -zeroTol) {
      throw new InvalidInputError({ source: SOURCE_FREQ, field: `eigen.values[${i}]` }, `a Laplacian has no negative eigenvalue, got ${show(v)}`);
    }
    if (i > 0 && v < eigen.values[i - 1] - zeroTol) {
      throw new InvalidInputError(
        { source: SOURCE_FREQ, field: `eigen.values[${i}]` },
        `eigenvalues must be ascending, got ${show(v)} after ${show(eigen.values[i - 1])}`,
        'pass the lowest eigenpairs sorted by eigenvalue',
      );
    }
  }
  const minModes = opts.minModes ?? 2;
  if (!(Number.isInteger(minModes) && minModes >= 2 && minModes <= K)) {
    throw new InvalidInputError({ source: SOURCE_FREQ, field: 'minModes' }, `must be an integer in [2, ${K}] (2 regions at least, K = ${K} modes given), got ${show(opts.minModes)}`);
  }
  const maxModes = opts.maxModes ?? K;
  if (!(Number.isInteger(maxModes) && maxModes >= minModes && maxModes <= K)) {
    throw new InvalidInputError({ source: SOURCE_FREQ, field: 'maxModes' }, `must be an integer in [minModes = ${minModes}, K = ${K}], got ${show(opts.maxModes)}`);
  }

  const isZero = (i: number): boolean => Math.abs(eigen.values[i]) <= zeroTol;
  let zeroModes = 0;
  for (let i = 0; i < K; i++) if (isZero(i)) zeroModes++;

  // Eigengap rule.
  let chosen = minModes;
  let bestGap = NaN;
  const lastCandidate = Math.min(maxModes, K - 1);
  for (let m = minModes; m <= lastCandidate; m++) {
    const lo = eigen.values[m - 1];
    const hi = eigen.values[m];
    const gap = isZero(m - 1) ? (isZero(m) ? NaN : Infinity) : hi / lo;
    if (Number.isNaN(gap)) continue;
    if (Number.isNaN(bestGap) || gap > bestGap) {
      bestGap = gap;
      chosen = m;
    }
  }
  const rule = Number.isNaN(bestGap)
    ? `N_m = ${chosen} (minModes): no relative eigengap lambda_(m+1)/lambda_m could be evaluated for m in [${minModes}, ${maxModes}] (needs m <= K - 1 = ${K - 1} and a non-zero lambda_m or lambda_(m+1))`
    : `N_m = ${chosen}: the m in [${minModes}, ${lastCandidate}] with the largest relative eigengap lambda_(m+1)/lambda_m (= ${bestGap === Infinity ? 'infinite: lambda_m is a zero mode' : bestGap.toPrecision(4)}), zero modes counted in m`;

  const E = edgeA.length;
  const f = new Float64Array(E);
  const perModes: BoundaryFrequency['perModes'] = [];
  const loc: LocalisationOptions = { maxSweeps: opts.maxSweeps, tolerance: opts.tolerance, components, dim };
  for (let modes = minModes; modes <= maxModes; modes++) {
    const basis = localiseModes(eigen.vectors.slice(0, modes), positions, loc);
    const regions = binariseModes(basis, edgeA, edgeB, { components });
    const w = 1 / Math.sqrt(modes);
    for (const e of regions.boundaryEdges) f[e] += w;
    perModes.push({ modes, totalSpread: basis.totalSpread, meanSpread: basis.totalSpread / modes, boundaryEdges: regions.boundaryEdges.length });
  }
  return { f, minModes, maxModes, chosenModes: chosen, rule, zeroModes, perModes };
}

function checkEdges(edgeA: Int32Array, edgeB: Int32Array, n: number, source: string): void {
  if (edgeA.length !== edgeB.length) {
    throw new InvalidInputError({ source, field: 'edgeB' }, `must have the length of edgeA (${edgeA.length}), got ${edgeB.length}`);
  }
  for (let e = 0; e < edgeA.length; e++) {
    for (const [name, v] of [['edgeA', edgeA[e]], ['edgeB', edgeB[e]]] as const) {
      if (!(v >= 0 && v < n)) throw new InvalidInputError({ source, field: `${name}[${e}]` }, `node id must be in 0..${n - 1} (the vectors cover ${n} nodes), got ${show(v)}`);
    }
  }
}
