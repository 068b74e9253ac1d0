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
 * a_kk (a_kk its diagonal entry, dimensionless, about the node's coordination). Generous on purpose: rounding leaves
 * 1e-16 .. 1e-9 at a true zero pivot (more after ill-placed earlier pins), and a soft mode caught by mistake is
 * discarded by the Rayleigh-Ritz test that follows, while a missed zero pivot would spoil the factor.
 */
export const ZERO_PIVOT_TOLERANCE = 1e-6;

/**
 * A candidate mode q (unit norm) is a zero mode when q^T H_1 q <= this times max diag(H_1). True zero modes come out at
 * ~1e-15; the softest nonzero modes of networks of up to ~10^6 nodes are far above (an elastic body's softest mode
 * scales as 1 / N, a nearly collinear bond pair at angle theta as theta^2).
 */
export const ZERO_MODE_TOLERANCE = 1e-10;

/** The final zero-mode basis must have ||H_1 q||_2 <= this times max diag(H_1), else the analysis fails. */
export const NULL_RESIDUAL_LIMIT = 1e-9;

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
  /** Candidates from small pivots that Rayleigh-Ritz found to be soft modes, not zero modes (usually 0). */
  softCandidates: number;
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
 * 4. one candidate per pin p: 1 at p, 0 at the other pins, the least-energy extension elsewhere (H_RR z_R = -H_Rp, with
 *    the same factor). Their span contains every zero mode (a zero mode is the least-energy extension of its own pinned
 *    values). Orthonormalised; if a candidate has q^T H_1 q > {@link ZERO_MODE_TOLERANCE} max diag (a soft mode whose
 *    pivot fell below the generous pivot tolerance), Rayleigh-Ritz keeps only the combinations on which H_1 vanishes;
 * 5. checked (||H_1 q|| small, every rigid mode inside the span) and counted: floppy = count - rigid;
 * 6. the solver's pins: the count dofs chosen by pivoted QR of the basis' rows, so that the stiffness matrix without them
 *    is positive definite for every k > 0 and as well conditioned as pins allow.
 * Cost: one sparse LDL^T (the fill of the solver's Cholesky), one solve per candidate, O(count^2 dN) dense work.
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
  const candidates = pinnedNew.length;
  if (candidates * n > MAX_ZERO_MODE_ENTRIES) {
    throw new InvalidInputError(
      { source: net.name, field: 'edges' },
      `the network has about ${candidates} zero modes (${rigid} rigid-body, the rest floppy) on ${n} degrees of freedom; the exact ` +
        `solver keeps them as a dense basis of ${candidates} x ${n} numbers, more than its limit of ${MAX_ZERO_MODE_ENTRIES}`,
      'remove isolated nodes and dangling springs (nodes with fewer than d + 1 springs), or rigidify the network',
    );
  }

  // One candidate per pin p: z_p = 1, 0 at the other pins, H_RR z_R = -H_Rp (the least-energy extension of those
  // pinned values). Their span holds every zero mode: a zero mode is the least-energy extension of its own pinned values.
  let basis = new Float64Array(candidates * n);
  const rhs = new Float64Array(n);
  const { rowPtr, colIdx, values } = h1;
  pinnedNew.forEach((p, j) => {
    rhs.fill(0);
    const v = order[p];
    for (let q = rowPtr[v]; q < rowPtr[v + 1]; q++) {
      const i = inv[colIdx[q]];
      if (!ldl.pinned[i]) rhs[i] = -values[q];
    }
    ldl.solve(rhs);
    const col = basis.subarray(j * n, (j + 1) * n);
    for (let i = 0; i < n; i++) col[order[i]] = ldl.pinned[i] ? 0 : rhs[i];
    col[v] = 1;
  });
  orthonormalise(basis, n, candidates);

  let maxDiag = 0;
  for (let i = 0; i < n; i++) {
    for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) if (colIdx[q] === i) maxDiag = Math.max(maxDiag, values[q]);
  }
  maxDiag = Math.max(maxDiag, 1e-300);
  // Rayleigh-Ritz: keep the combinations of the candidates on which H_1 vanishes (all of them unless a soft mode's pivot
  // fell below the pivot tolerance).
  const hq = new Float64Array(candidates * n);
  let allZero = true;
  for (let j = 0; j < candidates; j++) {
    const out = hq.subarray(j * n, (j + 1) * n);
    stiffnessTimes(net, directions, unit, basis.subarray(j * n, (j + 1) * n), out);
    if (dot(basis.subarray(j * n, (j + 1) * n), out) > ZERO_MODE_TOLERANCE * maxDiag) allZero = false;
  }
  let z = candidates;
  if (!allZero) {
    const T = new Float64Array(z * z);
    for (let a = 0; a < z; a++) for (let b = 0; b <= a; b++) T[a * z + b] = T[b * z + a] = dot(basis.subarray(a * n, (a + 1) * n), hq.subarray(b * n, (b + 1) * n));
    const { values: ev, vectors: Y } = smallSymmetricEigen(T, z);
    const keep: number[] = [];
    for (let j = 0; j < z; j++) if (ev[j] <= ZERO_MODE_TOLERANCE * maxDiag) keep.push(j);
    const kept = new Float64Array(keep.length * n);
    keep.forEach((j, t) => {
      const out = kept.subarray(t * n, (t + 1) * n);
      for (let a = 0; a < z; a++) {
        const y = Y[a * z + j];
        if (y === 0) continue;
        const q = basis.subarray(a * n, (a + 1) * n);
        for (let i = 0; i < n; i++) out[i] += y * q[i];
      }
    });
    z = keep.length;
    basis = kept;
    orthonormalise(basis, n, z);
  }

  const one = new Float64Array(n);
  let nullResidual = 0;
  for (let j = 0; j < z; j++) {
    stiffnessTimes(net, directions, unit, basis.subarray(j * n, (j + 1) * n), one);
    nullResidual = Math.max(nullResidual, norm(one) / maxDiag);
  }
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
  if (!(nullResidual <= NULL_RESIDUAL_LIMIT) || !(rigidResidual <= 1e-8) || z < rigid) {
    throw new NumericalError(
      `spring network ${net.name}: the zero-mode analysis failed (found ${z} zero modes, ${rigid} rigid; ` +
        `||H q|| / max diag = ${nullResidual.toExponential(2)}, rigid modes outside the found null space by ${rigidResidual.toExponential(2)}): ` +
        `a zero pivot was missed at the pivot tolerance ${tolerance}`,
    );
  }
  // The pins of the solver: the z dofs on which the zero modes are best told apart (pivoted QR of the basis' rows),
  // so that the stiffness matrix without them is positive definite and as well conditioned as the pins allow.
  const pinned = Int32Array.from(pivotedRows(basis, n, z)).sort();
  return { order, pinned, basis, count: z, rigid, floppy: z - rigid, nullResidual, rigidResidual, nnzL: ldl.nnzL, softCandidates: candidates - z };
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
