import { InvalidInputError, NumericalError } from '../../errors.js';
import { type AdjacencyGraph, adjacencyOfCsr } from '../sparse/AdjacencyGraph.js';
import { type CsrMatrix, csrFromTriplets } from '../sparse/CsrMatrix.js';
import { columnCounts, eliminationTree, inversePermutation, postorderForest } from '../sparse/eliminationTree.js';
import { fillReducingOrder } from '../sparse/fillReducingOrder.js';
import { rigidBodyModes } from './rigidModes.js';
import { smallSymmetricEigen } from './smallDense.js';
import { degreesOfFreedom, type SpringNetwork, springCount } from './SpringNetwork.js';
import { stiffnessMatrix, stiffnessTimes } from './stiffnessMatrix.js';

/**
 * A pivot d_k of the unit-stiffness matrix (rigid motions already pinned) is a candidate zero when d_k <= this times
 * a_kk (a_kk its diagonal entry, dimensionless, about the node's coordination). Generous on purpose: a soft mode caught
 * by mistake is discarded by the Rayleigh-Ritz test that follows. Not sufficient: a zero pivot can come out far above
 * any tolerance (see step 4 of {@link analyseZeroModes}); the near-null space of the pinned matrix catches those.
 */
export const ZERO_PIVOT_TOLERANCE = 1e-6;

/**
 * A Ritz value theta of H_1 on the candidates is a zero mode when theta <= this times max diag(H_1). True zero modes come
 * out at rounding level (~1e-16 .. 1e-15 max diag, {@link ROUNDING_LEVEL}); a mode below this threshold but above
 * rounding level is counted as zero and reported by a small {@link ZeroModeAnalysis.gap}.
 */
export const ZERO_MODE_TOLERANCE = 1e-12;

/** Eigenvalues of H_1 at or below this times max diag are rounding noise (a zero mode's computed eigenvalue). */
export const ROUNDING_LEVEL = 1e-15;

/** A zero mode's Ritz value above this times max diag (100 x rounding level) marks a near-mechanism: warned about. */
export const ZERO_LEVEL_LIMIT = 1e-13;

/**
 * Below this ratio of the softest nonzero mode to the largest zero mode (at least rounding level) the count is not
 * clear-cut: the analysis then carries a warning.
 */
export const CLEAR_GAP = 1e4;

/**
 * Eigen-directions of H_RR (H_1 without the pinned dofs) with Ritz value below this times max diag join the candidates:
 * along them the candidates' solves lose up to eps / (this) of accuracy, so with 1e-6 the candidates are good to ~1e-10.
 */
export const NEAR_NULL_TOLERANCE = 1e-6;

/** Inverse-iteration sweeps for the near-null space of H_RR (components along eigenvalue ratio r shrink as r^8). */
const INVERSE_ITERATIONS = 8;

/** Inverse-iteration sweeps with the pseudo-inverse for the softest nonzero mode (an estimate, a few digits). */
const SOFTEST_ITERATIONS = 12;

/** A vector keeping less than this fraction of its norm after projection on the earlier ones is dependent on them. */
const DEPENDENT_FRACTION = 1e-8;

/** The final zero-mode basis must have ||H_1 q||_2 <= this times max diag(H_1), else the analysis fails. */
export const NULL_RESIDUAL_LIMIT = 1e-9;

/**
 * Every rigid mode must lie in the found null space to within this (unit-norm distance), or to within
 * 100 eps max diag / (softest nonzero mode) when that is larger: rounding tilts the null space by that much.
 */
export const RIGID_RESIDUAL_LIMIT = 1e-8;

/** Most stored doubles of the dense zero-mode basis (count x dN), 256 MiB. */
export const MAX_ZERO_MODE_ENTRIES = 2 ** 25;

/** What {@link analyseZeroModes} found. */
export interface ZeroModeAnalysis {
  /** Degree-of-freedom elimination order (postordered), order[k] = dof eliminated k-th. */
  order: Int32Array;
  /** Dofs whose pivot was zero (ascending): fixing them to 0 removes every zero mode. */
  pinned: Int32Array;
  /** Orthonormal basis of null(H), dN x count, column-major (mode j at basis.subarray(j * dN, (j + 1) * dN)). */
  basis: Float64Array;
  /** dim null(H) = dN - rank H = rigid + floppy. */
  count: number;
  /** Independent rigid-body modes (3 in 2D, 6 in 3D unless the positions are degenerate). */
  rigid: number;
  /** Floppy modes: zero modes that are not rigid motions (count - rigid). */
  floppy: number;
  /** max_j ||H_1 q_j||_2 / max diag(H_1) over the basis (H_1: unit stiffness). */
  nullResidual: number;
  /** max_r ||r - Q Q^T r||_2 over the rigid modes r (unit norm): every rigid mode must lie in the computed null space. */
  rigidResidual: number;
  /** Nonzeros of the LDL^T factor used for the detection (diagonal included). */
  nnzL: number;
  /** Candidates (small pivots, near-null vectors of the pinned matrix) that Rayleigh-Ritz found to be soft modes, not zero modes. */
  softCandidates: number;
  /**
   * Softest nonzero eigenvalue of H_1 over max diag(H_1) (dimensionless), estimated by inverse iteration with the
   * pseudo-inverse (an upper bound, a few digits); Infinity when every mode is a zero mode.
   */
  smallestNonzero: number;
  /** smallestNonzero over the largest zero mode (at least rounding level, {@link ROUNDING_LEVEL}); >= {@link CLEAR_GAP} when clear-cut. */
  gap: number;
  /**
   * Set when the count is not clear-cut: the gap is below {@link CLEAR_GAP}, or a mode counted as zero lies above
   * {@link ZERO_LEVEL_LIMIT} max diag (a near-mechanism). The count then rests on the threshold, not on a separation.
   */
  warning?: string;
}

/**
 * The zero modes of a spring network's stiffness matrix, exactly: rigid-body and floppy modes alike.
 *
 * null(H) does not depend on the stiffnesses while every k_e > 0 (u^T H u = sum_e k_e ext_e^2 vanishes iff every
 * extension does), so it is found once, on the unit-stiffness matrix H_1 = sum_e B_e B_e^T (dimensionless entries):
 * 1. a fill-reducing order of the node graph, expanded to the d dofs of each node, postordered;
 * 2. the rigid motions (known: rigidModes.ts) pinned at d(d+1)/2 far-apart dofs (pivoted QR of their basis);
 * 3. an up-looking sparse LDL^T of H_1 in that order that pins every further dof whose pivot is (nearly) zero,
 *    d_k <= tolerance x a_kk: its row and column are dropped from the rest of the elimination. For a positive
 *    semidefinite matrix a zero pivot means the whole remaining column is zero, so what remains is the factor of H_1
 *    without the pinned dofs;
 * 4. the near-null space W of H_RR (H_1 without the pinned dofs; Ritz values <= {@link NEAR_NULL_TOLERANCE} max diag)
 *    by block inverse iteration with the same factor: a pivot test misses a singularity of H_RR whose null vector is
 *    small at its last-eliminated dof (that pivot is then rounding / component^2, up to 1e-5 a_kk and more);
 * 5. candidates: W, and one per pin p: 1 at p, 0 at the other pins, the least-energy extension elsewhere
 *    (H_RR z_R = -H_Rp, solved on the complement of W). Their span contains every zero mode. Rayleigh-Ritz keeps the
 *    combinations with Ritz value <= {@link ZERO_MODE_TOLERANCE} max diag;
 * 6. the solver's pins: the count dofs chosen by pivoted QR of the basis' rows, so that the stiffness matrix without them
 *    is positive definite for every k > 0 and as well conditioned as pins allow; H_1 without them is factorised again
 *    (a further zero pivot is a NumericalError), and each basis vector refined with that factor (twice);
 * 7. checked (||H_1 q|| small, every rigid mode inside the span, the softest nonzero mode, estimated by inverse
 *    iteration with the pseudo-inverse, above the threshold) and counted: floppy = count - rigid. A gap below
 *    {@link CLEAR_GAP}, or a zero mode above {@link ZERO_LEVEL_LIMIT}, sets `warning`.
 * Cost: two sparse LDL^T (the fill of the solver's Cholesky), ~70 + 2 count + candidates solves, O(count^2 dN) dense work.
 */
export function analyseZeroModes(net: SpringNetwork, directions: Float64Array, tolerance = ZERO_PIVOT_TOLERANCE): ZeroModeAnalysis {
  const n = degreesOfFreedom(net);
  const unit = new Float64Array(springCount(net)).fill(1);
  const h1 = stiffnessMatrix(net, directions, unit);
  const graph = adjacencyOfCsr(h1);
  const dofOrder = expandedNodeOrder(net);
  const parent0 = eliminationTree(graph, dofOrder);
  const post = postorderForest(parent0);
  const order = new Int32Array(n);
  for (let k = 0; k < n; k++) order[k] = dofOrder[post[k]];
  const inv = inversePermutation(order);
  const parent = eliminationTree(graph, order, inv);
  const counts = columnCounts(graph, order, parent, inv);
  // Rigid motions are known: pin d(d+1)/2 dofs far apart (pivoted QR of the rigid basis), so that the elimination
  // meets only the floppy zero pivots, which it finds with little rounding.
  const { basis: rigidBasis, count: rigid } = rigidBodyModes(net);
  const rigidPins = pivotedRows(rigidBasis, n, rigid);
  const ldl = pinningLdl(h1, graph, order, inv, parent, counts, tolerance, Int32Array.from(rigidPins, (p) => inv[p]));

  const pinnedNew: number[] = [];
  for (let k = 0; k < n; k++) if (ldl.pinned[k]) pinnedNew.push(k);
  const pinCount = pinnedNew.length;
  if (pinCount * n > MAX_ZERO_MODE_ENTRIES) {
    throw new InvalidInputError(
      { source: net.name, field: 'edges' },
      `the network has about ${pinCount} zero modes (${rigid} rigid-body, the rest floppy) on ${n} degrees of freedom; the exact ` +
        `solver keeps them as a dense basis of ${pinCount} x ${n} numbers, more than its limit of ${MAX_ZERO_MODE_ENTRIES}`,
      'remove isolated nodes and dangling springs (nodes with fewer than d + 1 springs), or rigidify the network',
    );
  }

  const { rowPtr, colIdx, values } = h1;
  let maxDiag = 0;
  for (let i = 0; i < n; i++) {
    for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) if (colIdx[q] === i) maxDiag = Math.max(maxDiag, values[q]);
  }
  maxDiag = Math.max(maxDiag, 1e-300);
  const times = (x: Float64Array, out: Float64Array): void => {
    stiffnessTimes(net, directions, unit, x, out as Float64Array<ArrayBuffer>);
  };
  // A pivot test cannot see every singularity of H_RR (H_1 without the pinned dofs): a (rounded) null vector whose
  // component at its last-eliminated dof is small gives that dof a pivot of rounding / component^2, 1e-5 of a_kk and
  // more on diluted 3D lattices, even in exact arithmetic. So the near-null space W of H_RR is found by inverse iteration
  // with the factor, and each of its vectors (0 at the pins) is a candidate.
  const near = nearNullVectors(ldl, order, n, times, maxDiag);
  const deflate = (x: Float64Array): void => {
    for (let pass = 0; pass < 2; pass++) {
      for (const w of near.permuted) {
        const c = dot(w, x);
        if (c !== 0) for (let i = 0; i < n; i++) x[i] -= c * w[i];
      }
    }
  };
  // One candidate per pin p: z_p = 1, 0 at the other pins, H_RR z_R = -H_Rp (the least-energy extension of those pinned
  // values), solved on the complement of W (where H_RR is well conditioned; the W part is W's own candidates). Together
  // with W they span every zero mode: a zero mode is its pinned values' least-energy extension plus a part in W.
  const vectors: Float64Array[] = [...near.full];
  const rhs = new Float64Array(n);
  for (const p of pinnedNew) {
    rhs.fill(0);
    const v = order[p];
    for (let q = rowPtr[v]; q < rowPtr[v + 1]; q++) {
      const i = inv[colIdx[q]];
      if (!ldl.pinned[i]) rhs[i] = -values[q];
    }
    deflate(rhs);
    ldl.solve(rhs);
    deflate(rhs);
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[order[i]] = ldl.pinned[i] ? 0 : rhs[i];
    col[v] = 1;
    vectors.push(col);
  }
  const candidates = vectors.length;
  const span = orthonormalSet(vectors);

  // Rayleigh-Ritz: keep the combinations of the candidates on which H_1 vanishes; the smallest rejected Ritz value is an
  // upper bound on the softest nonzero mode.
  const ritz = rayleighRitz(span, n, times);
  const zeroIdx: number[] = [];
  for (let j = 0; j < ritz.values.length; j++) if (ritz.values[j] <= ZERO_MODE_TOLERANCE * maxDiag) zeroIdx.push(j);
  const z = zeroIdx.length;
  const basis = new Float64Array(z * n);
  zeroIdx.forEach((j, t) => basis.set(ritz.vector(j), t * n));
  orthonormalise(basis, n, z);

  // The pins of the solver: the z dofs on which the zero modes are best told apart (pivoted QR of the basis' rows),
  // so that the stiffness matrix without them is positive definite and as well conditioned as the pins allow.
  const pinned = Int32Array.from(pivotedRows(basis, n, z)).sort();
  // H without these z pins must be positive definite (no further zero pivot): its factor checks the count below.
  const check = pinningLdl(h1, graph, order, inv, parent, counts, 0, Int32Array.from(pinned, (p) => inv[p]));
  let extraPins = -z;
  for (let k = 0; k < n; k++) if (check.pinned[k]) extraPins++;
  const one = new Float64Array(n);
  if (extraPins === 0) {
    // Refinement: q - [H_RR^-1 (H q)_R; 0] is in null(H) exactly (it is the least-energy extension of q's values at the
    // pins), and the correction is small, so its rounding is too; twice, re-orthonormalised.
    const work = new Float64Array(n);
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < z; j++) {
        const q = basis.subarray(j * n, (j + 1) * n);
        times(q, one);
        for (let k = 0; k < n; k++) work[k] = one[order[k]];
        check.solve(work);
        for (let k = 0; k < n; k++) q[order[k]] -= work[k];
      }
      orthonormalise(basis, n, z);
    }
  }
  // zeroLevel: the largest q^T H_1 q over the (refined) basis, the zero modes' eigenvalue level
  let nullResidual = 0;
  let zeroLevel = 0;
  for (let j = 0; j < z; j++) {
    const q = basis.subarray(j * n, (j + 1) * n);
    times(q, one);
    nullResidual = Math.max(nullResidual, norm(one) / maxDiag);
    zeroLevel = Math.max(zeroLevel, dot(q, one));
  }
  // The softest nonzero mode (inverse iteration with the pseudo-inverse of H, from the same factor) must be clearly
  // above the zero modes; a missed zero mode shows up there as a Ritz value at rounding level.
  const softest = extraPins === 0 ? softestNonzero(check, order, n, basis, z, times) : 0;
  const gap = softest / Math.max(zeroLevel, ROUNDING_LEVEL * maxDiag);
  let rigidResidual = 0;
  const coef = new Float64Array(z);
  for (let r = 0; r < rigid; r++) {
    const rv = rigidBasis.slice(r * n, (r + 1) * n);
    for (let j = 0; j < z; j++) coef[j] = dot(basis.subarray(j * n, (j + 1) * n), rv);
    for (let j = 0; j < z; j++) {
      const q = basis.subarray(j * n, (j + 1) * n);
      for (let i = 0; i < n; i++) rv[i] -= coef[j] * q[i];
    }
    rigidResidual = Math.max(rigidResidual, norm(rv));
  }
  // Rounding in H (the bond directions are rounded, so a rotation is a null vector only to ~1e-16 max diag) tilts the
  // null space towards the softest nonzero mode by ~eps max diag / softest: the rigid modes can lie no closer than that.
  const rigidLimit = Math.max(RIGID_RESIDUAL_LIMIT, 100 * Number.EPSILON * maxDiag / Math.max(softest, 1e-300));
  const facts = () =>
    `found ${z} zero modes, ${rigid} rigid, from ${candidates} candidates; ||H q|| / max diag = ${nullResidual.toExponential(2)}, ` +
    `rigid modes outside the found null space by ${rigidResidual.toExponential(2)}; softest nonzero mode ${(softest / maxDiag).toExponential(2)} of max diag`;
  if (!(nullResidual <= NULL_RESIDUAL_LIMIT) || !(rigidResidual <= rigidLimit) || z < rigid || extraPins !== 0 || !(softest > ZERO_MODE_TOLERANCE * maxDiag)) {
    throw new NumericalError(
      `spring network ${net.name}: the zero-mode analysis failed (${facts()}${extraPins !== 0 ? `; ${extraPins} further zero pivot(s) after pinning the zero modes` : ''}): ` +
        'a zero mode was missed or mistaken; the network may have modes between rounding level and the zero-mode tolerance ' +
        `${ZERO_MODE_TOLERANCE} max diag (pivot tolerance ${tolerance})`,
    );
  }
  // Clear-cut: every zero mode at rounding level (not a near-mechanism just under the threshold) and the softest nonzero
  // mode CLEAR_GAP above them.
  const nearMechanism = zeroLevel > ZERO_LEVEL_LIMIT * maxDiag;
  const warning =
    gap >= CLEAR_GAP && !nearMechanism
      ? undefined
      : `spring network ${net.name}: no clear gap between the zero modes and the softest nonzero mode (` +
        (nearMechanism
          ? `a mode counted as zero has ${(zeroLevel / maxDiag).toExponential(1)} of max diag, above rounding level ${ROUNDING_LEVEL}: a near-mechanism, not an exact zero mode`
          : `ratio ${gap.toExponential(1)} < ${CLEAR_GAP}: zero modes up to ${(Math.max(zeroLevel, ROUNDING_LEVEL * maxDiag) / maxDiag).toExponential(1)}, softest nonzero ${(softest / maxDiag).toExponential(1)} of max diag`) +
        `): the count ${z} rests on the threshold ${ZERO_MODE_TOLERANCE} max diag, and the response along a near-mechanism this soft is not resolved in double precision`;
  return {
    order,
    pinned,
    basis,
    count: z,
    rigid,
    floppy: z - rigid,
    nullResidual,
    rigidResidual,
    nnzL: ldl.nnzL,
    softCandidates: candidates - z,
    smallestNonzero: softest / maxDiag,
    gap,
    ...(warning ? { warning } : {}),
  };
}

/**
 * Inverse iteration with the pinned factor: the eigenvectors of H_RR (H without the pinned dofs) with Ritz value below
 * {@link NEAR_NULL_TOLERANCE} max diag, orthonormal, in the original numbering and in elimination order (0 at the pins). Blocks of 8, doubled while
 * every Ritz value of the block is below the tolerance. Deterministic start (a fixed linear congruential sequence).
 */
function nearNullVectors(ldl: PinningLdl, order: Int32Array, n: number, times: (x: Float64Array, out: Float64Array) => void, maxDiag: number): { full: Float64Array[]; permuted: Float64Array[] } {
  let free = 0;
  for (let k = 0; k < n; k++) if (!ldl.pinned[k]) free++;
  if (free === 0) return { full: [], permuted: [] };
  let seed = 12345;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  for (let b = Math.min(8, free); ; b = Math.min(2 * b, free)) {
    let block: Float64Array[] = [];
    for (let j = 0; j < b; j++) {
      const x = new Float64Array(n);
      for (let k = 0; k < n; k++) if (!ldl.pinned[k]) x[k] = random();
      block.push(x);
    }
    for (let it = 0; it < INVERSE_ITERATIONS; it++) {
      for (const x of block) {
        ldl.solve(x);
        const s = norm(x);
        if (s > 0) for (let k = 0; k < n; k++) x[k] /= s;
      }
      block = orthonormalSet(block);
    }
    const full = block.map((x) => {
      const v = new Float64Array(n);
      for (let k = 0; k < n; k++) v[order[k]] = x[k];
      return v;
    });
    const ritz = rayleighRitz(full, n, times);
    const out: Float64Array[] = [];
    for (let j = 0; j < ritz.values.length; j++) if (ritz.values[j] <= NEAR_NULL_TOLERANCE * maxDiag) out.push(ritz.vector(j));
    if (out.length < full.length || b === free) {
      const fullSet = orthonormalSet(out);
      const permuted = fullSet.map((v) => Float64Array.from(order, (dof) => v[dof]));
      return { full: fullSet, permuted };
    }
  }
}

/**
 * The softest nonzero eigenvalue of H_1 (units of H_1), estimated by block inverse iteration with the pseudo-inverse
 * H^+ b = P [H_RR^-1 b_R; 0] (P the projector off the zero-mode basis; exact when the pins are as many as the zero modes
 * and H_RR is nonsingular), then the smallest Ritz value of H_1 on the block (an upper bound, converged to a few digits).
 */
function softestNonzero(ldl: PinningLdl, order: Int32Array, n: number, basis: Float64Array, z: number, times: (x: Float64Array, out: Float64Array) => void): number {
  let free = 0;
  for (let k = 0; k < n; k++) if (!ldl.pinned[k]) free++;
  const b = Math.min(4, free - z);
  if (b <= 0) return Infinity;
  let seed = 54321;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const project = (x: Float64Array): void => {
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < z; j++) {
        const q = basis.subarray(j * n, (j + 1) * n);
        const c = dot(q, x);
        if (c !== 0) for (let i = 0; i < n; i++) x[i] -= c * q[i];
      }
    }
  };
  let block: Float64Array[] = [];
  for (let j = 0; j < b; j++) block.push(Float64Array.from({ length: n }, random));
  const work = new Float64Array(n);
  for (let it = 0; it < SOFTEST_ITERATIONS; it++) {
    block = orthonormalSet(
      block.map((x) => {
        project(x);
        for (let k = 0; k < n; k++) work[k] = x[order[k]];
        ldl.solve(work);
        const y = new Float64Array(n);
        for (let k = 0; k < n; k++) y[order[k]] = work[k];
        project(y);
        const s = norm(y);
        if (s > 0) for (let i = 0; i < n; i++) y[i] /= s;
        return y;
      }),
    );
  }
  const ritz = rayleighRitz(block, n, times);
  return ritz.values.length > 0 ? Math.max(ritz.values[0], 0) : Infinity;
}

/** Rayleigh-Ritz of H_1 on orthonormal vectors: Ritz values ascending, and the Ritz vector of each (unit norm). */
function rayleighRitz(span: Float64Array[], n: number, times: (x: Float64Array, out: Float64Array) => void): { values: Float64Array; vector(j: number): Float64Array } {
  const m = span.length;
  const hq = span.map((q) => {
    const out = new Float64Array(n);
    times(q, out);
    return out;
  });
  const T = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b <= a; b++) T[a * m + b] = T[b * m + a] = 0.5 * (dot(span[a], hq[b]) + dot(span[b], hq[a]));
  const { values, vectors: Y } = smallSymmetricEigen(T, m);
  return {
    values,
    vector(j: number): Float64Array {
      const out = new Float64Array(n);
      for (let a = 0; a < m; a++) {
        const y = Y[a * m + j];
        if (y === 0) continue;
        const q = span[a];
        for (let i = 0; i < n; i++) out[i] += y * q[i];
      }
      return out;
    },
  };
}

/**
 * An orthonormal basis of the span of the vectors (modified Gram-Schmidt, twice): a vector that keeps less than
 * {@link DEPENDENT_FRACTION} of its norm after the projections is dependent on the earlier ones and dropped.
 */
function orthonormalSet(vectors: Float64Array[]): Float64Array[] {
  const out: Float64Array[] = [];
  for (const v0 of vectors) {
    const before = norm(v0);
    if (!(before > 0)) continue;
    const v = v0.slice();
    for (let t = 0; t < v.length; t++) v[t] /= before;
    for (let pass = 0; pass < 2; pass++) {
      for (const q of out) {
        const c = dot(q, v);
        if (c !== 0) for (let t = 0; t < v.length; t++) v[t] -= c * q[t];
      }
    }
    const after = norm(v);
    if (!(after > DEPENDENT_FRACTION)) continue;
    for (let t = 0; t < v.length; t++) v[t] /= after;
    out.push(v);
  }
  return out;
}

/**
 * Greedy row selection by pivoted QR on the rows of a dN x z column-major basis: z dofs whose rows of the basis are as
 * independent as possible (each pick is the row of largest norm after removing the picked rows' directions).
 */
function pivotedRows(basis: Float64Array, n: number, z: number): number[] {
  // rows as z-vectors (row-major copy)
  const rows = new Float64Array(n * z);
  for (let j = 0; j < z; j++) for (let i = 0; i < n; i++) rows[i * z + j] = basis[j * n + i];
  const picked: number[] = [];
  const used = new Uint8Array(n);
  const dir = new Float64Array(z);
  for (let t = 0; t < z; t++) {
    let best = -1;
    let bestNorm = -1;
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      let s = 0;
      for (let j = 0; j < z; j++) s += rows[i * z + j] ** 2;
      if (s > bestNorm) {
        bestNorm = s;
        best = i;
      }
    }
    picked.push(best);
    used[best] = 1;
    const len = Math.sqrt(bestNorm);
    for (let j = 0; j < z; j++) dir[j] = rows[best * z + j] / len;
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      let s = 0;
      for (let j = 0; j < z; j++) s += rows[i * z + j] * dir[j];
      if (s !== 0) for (let j = 0; j < z; j++) rows[i * z + j] -= s * dir[j];
    }
  }
  return picked;
}

/** A fill-reducing order of the node graph (the springs), expanded so that each node's d dofs are eliminated together. */
function expandedNodeOrder(net: SpringNetwork): Int32Array {
  const { dim, nodes, edgeA, edgeB } = net;
  const E = edgeA.length;
  const rows = new Int32Array(2 * E + nodes);
  const cols = new Int32Array(2 * E + nodes);
  for (let e = 0; e < E; e++) {
    rows[2 * e] = edgeA[e];
    cols[2 * e] = edgeB[e];
    rows[2 * e + 1] = edgeB[e];
    cols[2 * e + 1] = edgeA[e];
  }
  for (let i = 0; i < nodes; i++) {
    rows[2 * E + i] = i;
    cols[2 * E + i] = i;
  }
  const nodeGraph: AdjacencyGraph = adjacencyOfCsr(csrFromTriplets(nodes, rows, cols, new Float64Array(rows.length)));
  const nodeOrder = fillReducingOrder(nodeGraph, 'auto').order!;
  const out = new Int32Array(dim * nodes);
  for (let k = 0; k < nodes; k++) for (let c = 0; c < dim; c++) out[dim * k + c] = dim * nodeOrder[k] + c;
  return out;
}

interface PinningLdl {
  /** pinned[k] = 1 when pivot k (new numbering) was zero. */
  pinned: Uint8Array;
  nnzL: number;
  /** Solve (L D L^T) x = b in place over the unpinned positions (new numbering); pinned entries are set to 0. */
  solve(b: Float64Array): void;
}

/**
 * Up-looking sparse LDL^T (row k of L from a sparse triangular solve along the elimination tree) with zero-pivot
 * pinning. `order` must be postordered with elimination tree `parent` and column counts `counts` (diagonal included).
 */
function pinningLdl(a: CsrMatrix, graph: AdjacencyGraph, order: Int32Array, inv: Int32Array, parent: Int32Array, counts: Int32Array, tol: number, prePinned: Int32Array): PinningLdl {
  const n = graph.n;
  const Lp = new Float64Array(n + 1);
  for (let k = 0; k < n; k++) Lp[k + 1] = Lp[k] + counts[k] - 1;
  const nnz = Lp[n];
  const Li = new Int32Array(nnz);
  const Lx = new Float64Array(nnz);
  const Lnz = new Int32Array(n);
  const D = new Float64Array(n);
  const pinned = new Uint8Array(n);
  const y = new Float64Array(n);
  const flag = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  const path = new Int32Array(n);
  const { rowPtr, colIdx, values } = a;
  for (const k of prePinned) pinned[k] = 1;
  for (let k = 0; k < n; k++) {
    if (pinned[k]) continue;
    const v = order[k];
    let top = n;
    flag[k] = k;
    let akk = 0;
    for (let q = rowPtr[v]; q < rowPtr[v + 1]; q++) {
      let i = inv[colIdx[q]];
      if (i > k) continue;
      if (i === k) {
        akk += values[q];
        continue;
      }
      y[i] += values[q];
      let len = 0;
      while (flag[i] !== k) {
        path[len++] = i;
        flag[i] = k;
        i = parent[i];
      }
      while (len > 0) stack[--top] = path[--len];
    }
    let d = akk;
    for (let t = top; t < n; t++) {
      const i = stack[t];
      const yi = y[i];
      y[i] = 0;
      if (pinned[i]) continue;
      const p0 = Lp[i];
      const p1 = p0 + Lnz[i];
      for (let p = p0; p < p1; p++) y[Li[p]] -= Lx[p] * yi;
      const l = yi / D[i];
      d -= l * yi;
      Li[p1] = k;
      Lx[p1] = l;
      Lnz[i]++;
    }
    if (!(akk > 0) || d <= tol * akk) pinned[k] = 1;
    else D[k] = d;
  }
  let stored = n;
  for (let k = 0; k < n; k++) stored += Lnz[k];
  return {
    pinned,
    nnzL: stored,
    solve(b: Float64Array): void {
      for (let j = 0; j < n; j++) {
        if (pinned[j]) {
          b[j] = 0;
          continue;
        }
        const bj = b[j];
        if (bj !== 0) for (let p = Lp[j], end = Lp[j] + Lnz[j]; p < end; p++) b[Li[p]] -= Lx[p] * bj;
      }
      for (let j = 0; j < n; j++) if (!pinned[j]) b[j] /= D[j];
      for (let j = n - 1; j >= 0; j--) {
        if (pinned[j]) continue;
        let s = b[j];
        for (let p = Lp[j], end = Lp[j] + Lnz[j]; p < end; p++) s -= Lx[p] * (pinned[Li[p]] ? 0 : b[Li[p]]);
        b[j] = s;
      }
    },
  };
}

/** Modified Gram-Schmidt, twice, on the z columns (length n each) of a column-major array. Columns are independent. */
function orthonormalise(basis: Float64Array, n: number, z: number): void {
  for (let j = 0; j < z; j++) {
    const v = basis.subarray(j * n, (j + 1) * n);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < j; i++) {
        const q = basis.subarray(i * n, (i + 1) * n);
        const c = dot(q, v);
        for (let t = 0; t < n; t++) v[t] -= c * q[t];
      }
    }
    const s = norm(v);
    for (let t = 0; t < n; t++) v[t] /= s;
  }
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}
