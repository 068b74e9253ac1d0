import { InvalidInputError, show } from '../errors.js';
import { LaplacianSystem } from '../physics/LaplacianSystem.js';
import type { Network } from '../physics/Network.js';
import { imposedNodes, type Roles } from '../physics/Task.js';
import { lanczos, type LanczosOptions } from './lanczos.js';
import { symmetricEigen } from './symmetricEigen.js';

/** The parts of a network the spectrum depends on. */
export type SpectrumNetwork = Pick<Network, 'nodes' | 'edgeA' | 'edgeB' | 'conductance'>;

/** Options of {@link physicalSpectrum}. */
export interface SpectrumOptions {
  /**
   * Node ids held at fixed voltage (sources, clamps, ground): their rows and columns are removed and the spectrum is
   * that of H_FF over the other (free) nodes. Distinct, in [0, N). Default none: the full Laplacian H.
   */
  imposed?: ArrayLike<number>;
  /**
   * Instead of `imposed`: the task whose free state is meant. Its sources and ground are imposed (the targets are free
   * in the free state), i.e. the same as `imposed: imposedNodes(task)`. Give one of `task` and `imposed`, not both.
   */
  task?: Roles;
  /**
   * 'lowest' / 'highest': the k smallest / largest eigenpairs; 'all': every one (dense only). Default 'all' when
   * the matrix has at most {@link ALL_BY_DEFAULT_ROWS} rows, else 'lowest'.
   */
  which?: 'lowest' | 'highest' | 'all';
  /**
   * Number of eigenpairs for 'lowest' / 'highest', integer in [1, rows]. Default 10 (or rows when there are
   * fewer). Ignored for 'all'.
   */
  k?: number;
  /**
   * 'dense': {@link symmetricEigen} on the assembled H_FF (O(rows^3) time, O(rows^2) memory); 'lanczos': thick-
   * restart Lanczos ({@link lanczos}) through sparse operations only. Default 'auto': dense for 'all' or at most
   * {@link DENSE_AUTO_ROWS} rows, else Lanczos.
   */
  method?: 'auto' | 'dense' | 'lanczos';
  /**
   * Lanczos only: relative residual target of the iterated operator, see {@link LanczosOptions.tolerance}. 'highest':
   * |H v - lambda v| <= tolerance * lambda_max. 'lowest': |H^+ v - theta v| <= tolerance * theta for each pair (theta =
   * 1 / lambda, relativeTo 'own'), which after the refinement step gives |H v - lambda v| of the order of
   * tolerance * lambda_k. Default 1e-10.
   */
  tolerance?: number;
}

/** Eigenpairs of the physical Hessian H = D^T diag(k) D (or of its free block H_FF), node-indexed. */
export interface PhysicalSpectrum {
  /** The rows of the matrix: the free nodes, ascending (all nodes when nothing is imposed). */
  nodes: Int32Array;
  /** Eigenvalues in siemens (H maps volts to amperes), ascending. */
  values: Float64Array;
  /** Eigenvectors, vectors[j] of values[j]: length N (indexed by node id), 0 at imposed nodes, unit 2-norm. */
  vectors: Float64Array[];
  which: 'lowest' | 'highest' | 'all';
  method: 'dense' | 'lanczos';
  /**
   * max_j |H v_j - lambda_j v_j| / max_j |lambda_j| over the pairs returned, computed afresh from the edge list
   * (when every value returned is 0, the denominator is the largest diagonal entry of H_FF instead).
   */
  residual: number;
  /** Dense: every QL iteration converged. Lanczos: it converged (see LanczosResult) and every sparse solve did. */
  converged: boolean;
  /** Dense: QL sweeps. Lanczos: Lanczos steps (operator applications, restarts and verification included). */
  iterations: number;
  /** Wall time of the whole call, seconds. */
  seconds: number;
}

/** Up to this many rows, which defaults to 'all'. */
export const ALL_BY_DEFAULT_ROWS = 2000;
/** method 'auto' uses the dense solver up to this many rows (and always for 'all'). */
export const DENSE_AUTO_ROWS = 600;
/** Default number of eigenpairs for 'lowest' / 'highest'. */
export const DEFAULT_PAIRS = 10;

/**
 * Eigenvalues and eigenvectors of the physical Hessian of a resistor network: the weighted graph Laplacian
 * H = D^T diag(k) D (N x N, D the signed edge-node incidence), or, with `imposed` nodes, its restriction H_FF to
 * the free nodes — the matrix whose inverse maps current injections at free nodes to voltages.
 *
 * Lanczos, 'highest': Lanczos on H_FF itself (one sparse product per step).
 *
 * Lanczos, 'lowest': shift-invert at 0 — Lanczos for the largest eigenvalues of H_FF^+, each step one solve with the
 * sparse Cholesky factor of {@link LaplacianSystem} (method 'cholesky'); then one step of subspace iteration with
 * the inverse and a Rayleigh-Ritz projection with H itself (one more solve and product per pair), which turns the
 * inverse's residual tolerance into a comparable one for H (the eigenvalues come out of that projection). Cost: one
 * factorisation plus about 60 solves for k = 10 on a lattice (128 x 128: about 0.5 s); on random graphs the
 * Cholesky fill is large (20000 nodes, mean degree 5: nnz(L) 17e6, 12 s to factorise).
 *
 * H_FF is singular on every connected component (through edges of positive conductance) that has no imposed node —
 * the whole network when nothing is imposed. Such a "floating" component C contributes the eigenvalue 0 with the
 * eigenvector constant on C (1/sqrt|C| there, 0 elsewhere); for 'lowest' by Lanczos these are reported first,
 * exactly (ordered by the smallest node id of the component), and deflated from the Lanczos space. On the rest the
 * pseudo-inverse is applied as: ground the smallest node g of each floating component (solve with g imposed at 0)
 * for a right-hand side orthogonal to the constants, then subtract each floating component's mean (for b
 * orthogonal to 1_C this is L_C^+ b). So several components are handled, one zero eigenvalue each; nothing is
 * thrown for them.
 *
 * Dense: the whole H_FF is assembled and diagonalised; zero eigenvalues (floating components) come out as
 * rounding-level numbers with an arbitrary orthonormal basis of their eigenspace.
 *
 * Degenerate eigenvalues (lattices): all copies are found, see {@link lanczos}; within a degenerate eigenspace the
 * basis returned is arbitrary.
 */
export function physicalSpectrum(net: SpectrumNetwork, opts: SpectrumOptions = {}): PhysicalSpectrum {
  const t0 = performance.now();
  validateNetwork(net);
  if (opts.task && opts.imposed) {
    throw new InvalidInputError({ field: 'task' }, 'both task and imposed were given', 'give the task (its sources and ground are imposed) or the imposed nodes, not both');
  }
  const layout = freeLayout(net, opts.task ? imposedNodes(opts.task) : opts.imposed);
  const rows = layout.free.length;
  if (rows === 0) {
    throw new InvalidInputError({ field: 'imposed' }, `every one of the ${net.nodes} nodes is imposed: the matrix has no rows`, 'leave at least one node free');
  }
  const which = opts.which ?? (rows <= ALL_BY_DEFAULT_ROWS ? 'all' : 'lowest');
  if (which !== 'lowest' && which !== 'highest' && which !== 'all') {
    throw new InvalidInputError({ field: 'which' }, `must be 'lowest', 'highest' or 'all', got ${show(which)}`);
  }
  const methodOpt = opts.method ?? 'auto';
  if (methodOpt !== 'auto' && methodOpt !== 'dense' && methodOpt !== 'lanczos') {
    throw new InvalidInputError({ field: 'method' }, `must be 'auto', 'dense' or 'lanczos', got ${show(methodOpt)}`);
  }
  if (which === 'all' && methodOpt === 'lanczos') {
    throw new InvalidInputError({ field: 'method' }, `'lanczos' computes a few extreme eigenpairs, not which: 'all'`, "use method 'dense' (or 'auto') for the whole spectrum");
  }
  let k = rows;
  if (which !== 'all') {
    if (opts.k === undefined) k = Math.min(DEFAULT_PAIRS, rows);
    else if (Number.isInteger(opts.k) && opts.k >= 1 && opts.k <= rows) k = opts.k;
    else throw new InvalidInputError({ field: 'k' }, `must be an integer in [1, ${rows}] (the number of free nodes), got ${show(opts.k)}`);
  }
  if (opts.tolerance !== undefined && !(typeof opts.tolerance === 'number' && opts.tolerance > 0 && opts.tolerance < 1)) {
    throw new InvalidInputError({ field: 'tolerance' }, `must be a number in (0, 1), got ${show(opts.tolerance)}`);
  }
  const method = methodOpt === 'auto' ? (which === 'all' || rows <= DENSE_AUTO_ROWS ? 'dense' : 'lanczos') : methodOpt;

  const op = laplacianOperator(net, layout);
  const r = operatorSpectrum(op, which, k, method, opts.tolerance);
  // node-indexed vectors (0 at imposed nodes)
  const vectors = r.vectors.map((v) => {
    const full = new Float64Array(net.nodes);
    for (let f = 0; f < rows; f++) full[layout.free[f]] = v[f];
    return full;
  });
  const compact = r;
  const residual = r.residual;
  return {
    nodes: layout.free,
    values: compact.values,
    vectors,
    which,
    method,
    residual,
    converged: compact.converged,
    iterations: compact.iterations,
    seconds: (performance.now() - t0) / 1000,
  };
}

/**
 * y = H_FF x for vectors over the free nodes (compact: entry f belongs to node nodes[f], the free nodes ascending;
 * length = number of free nodes). Conductances are copied: later changes to net.conductance do not affect it.
 */
export function laplacianMatvec(net: SpectrumNetwork, imposed?: ArrayLike<number>): (x: Float64Array, y: Float64Array) => void {
  validateNetwork(net);
  return compactMatvec(net, freeLayout(net, imposed));
}

/**
 * The physical Hessian of a resistor network as a {@link HessianOperator}: H_FF over the free nodes (all nodes when
 * nothing is imposed), and the node of each compact row (`dofs`, ascending).
 */
export function laplacianHessian(net: SpectrumNetwork, imposed?: ArrayLike<number>): { operator: HessianOperator; dofs: Int32Array } {
  validateNetwork(net);
  const layout = freeLayout(net, imposed);
  return { operator: laplacianOperator(net, layout), dofs: layout.free };
}

/** Free nodes, each node's row (-1 if imposed), and the imposed ids. */
interface FreeLayout {
  free: Int32Array;
  row: Int32Array;
  imposed: Int32Array;
}

function freeLayout(net: SpectrumNetwork, imposed: ArrayLike<number> | undefined): FreeLayout {
  const N = net.nodes;
  const list = imposed === undefined ? new Int32Array(0) : imposed;
  if (typeof list !== 'object' || list === null || typeof list.length !== 'number') {
    throw new InvalidInputError({ field: 'imposed' }, `must be an array of node ids, got ${show(imposed)}`);
  }
  const seen = new Int32Array(N).fill(-1);
  for (let t = 0; t < list.length; t++) {
    const v = list[t];
    if (!Number.isInteger(v) || v < 0 || v >= N) {
      throw new InvalidInputError({ field: `imposed[${t}]` }, `node id must be an integer in [0, ${N}), got ${show(v)}`);
    }
    if (seen[v] >= 0) throw new InvalidInputError({ field: `imposed[${t}]` }, `imposed nodes must be distinct, node ${v} is also imposed[${seen[v]}]`);
    seen[v] = t;
  }
  const free = new Int32Array(N - list.length);
  const row = new Int32Array(N).fill(-1);
  for (let v = 0, f = 0; v < N; v++) {
    if (seen[v] < 0) {
      row[v] = f;
      free[f++] = v;
    }
  }
  return { free, row, imposed: Int32Array.from(list) };
}

function compactMatvec(net: SpectrumNetwork, layout: FreeLayout): (x: Float64Array, y: Float64Array) => void {
  const E = net.edgeA.length;
  const ra = new Int32Array(E);
  const rb = new Int32Array(E);
  for (let e = 0; e < E; e++) {
    ra[e] = layout.row[net.edgeA[e]];
    rb[e] = layout.row[net.edgeB[e]];
  }
  const k = Float64Array.from(net.conductance);
  const rows = layout.free.length;
  return (x: Float64Array, y: Float64Array): void => {
    if (x.length !== rows || y.length !== rows) {
      throw new InvalidInputError({ field: 'x' }, `x and y must have one entry per free node (${rows}), got lengths ${x.length} and ${y.length}`);
    }
    y.fill(0);
    for (let e = 0; e < E; e++) {
      const a = ra[e];
      const b = rb[e];
      const xa = a >= 0 ? x[a] : 0;
      const xb = b >= 0 ? x[b] : 0;
      const current = k[e] * (xa - xb);
      if (a >= 0) y[a] += current;
      if (b >= 0) y[b] -= current;
    }
  };
}

function maxDiagonal(net: SpectrumNetwork, layout: FreeLayout): number {
  const diag = new Float64Array(net.nodes);
  for (let e = 0; e < net.edgeA.length; e++) {
    if (net.edgeA[e] === net.edgeB[e]) continue;
    diag[net.edgeA[e]] += net.conductance[e];
    diag[net.edgeB[e]] += net.conductance[e];
  }
  let m = 0;
  for (const v of layout.free) m = Math.max(m, diag[v]);
  return m;
}

/**
 * A symmetric positive semidefinite physical Hessian on its free space, as the spectrum needs it (NetworkKind.ts builds
 * one per kind of network). Vectors are "compact": one entry per free coordinate (a resistor network's free nodes; a
 * spring network's d N displacement components).
 */
export interface HessianOperator {
  /** Number of free coordinates (the length of every compact vector). */
  rows: number;
  /** y = H x (both length rows; y overwritten). */
  matvec(x: Float64Array, y: Float64Array): void;
  /** H assembled dense, rows x rows row-major (for the dense method). */
  dense(): Float64Array;
  /** An orthonormal basis of null(H), known exactly (compact vectors): floating components, rigid and floppy modes. */
  nullVectors: Float64Array[];
  /**
   * 'report': the null vectors are eigenpairs of value 0, returned first by 'lowest' (a full Laplacian's constants:
   * the resistor convention). 'exclude': the spectrum is that of H on the orthogonal complement of null(H), the zero
   * modes are never returned (a spring network's rigid and floppy modes).
   */
  zeroModes: 'report' | 'exclude';
  /**
   * The pseudo-inverse, built on first use (a sparse factorisation): apply(x, y) sets y = H^+ x for x orthogonal to
   * null(H) (y orthogonal to it too); converged() says whether every solve so far met its tolerance.
   */
  pseudoInverse(): { apply(x: Float64Array, y: Float64Array): void; converged(): boolean };
  /** Largest diagonal entry of H: the residual's scale when every eigenvalue returned is 0. */
  maxDiagonal(): number;
}

/** Eigenpairs of a {@link HessianOperator} in its compact coordinates, with their diagnostics. */
export interface OperatorSpectrum {
  values: Float64Array;
  vectors: Float64Array[];
  /** max_j |H v_j - lambda_j v_j| / max_j |lambda_j| (the largest diagonal entry when every value is 0), from matvec. */
  residual: number;
  converged: boolean;
  iterations: number;
}

/**
 * The k lowest or highest (or all) eigenpairs of a Hessian operator. The caller validates which, k (in [1, rows], or
 * [1, rows - nullity] for zeroModes 'exclude') and method.
 * - dense: symmetricEigen of H ('report'), or of H - c Q Q^T with c the largest diagonal entry ('exclude'): the exact
 *   null vectors Q move to -c (below every other eigenvalue, which Q Q^T leaves unchanged) and are dropped, so no
 *   threshold decides what a zero mode is;
 * - Lanczos 'highest': on H (deflating null(H) for 'exclude');
 * - Lanczos 'lowest': shift-invert, Lanczos on H^+ with null(H) deflated ('report': its basis returned first with
 *   value 0), then one step of subspace iteration and Rayleigh-Ritz with H ({@link refine}).
 */
export function operatorSpectrum(op: HessianOperator, which: 'lowest' | 'highest' | 'all', k: number, method: 'dense' | 'lanczos', tolerance?: number): OperatorSpectrum {
  const rows = op.rows;
  let compact: { values: Float64Array; vectors: Float64Array[]; converged: boolean; iterations: number };
  if (method === 'dense') compact = denseSpectrum(op, which, k);
  else if (which === 'highest') {
    const r = lanczos(rows, (x, y) => op.matvec(x, y), { k, which: 'largest', tolerance, ...(op.zeroModes === 'exclude' ? { deflate: op.nullVectors } : {}) });
    compact = { values: r.values, vectors: r.vectors, converged: r.converged, iterations: r.iterations };
  } else compact = shiftInvert(op, k, tolerance);

  // residuals from the operator itself
  let maxAbs = 0;
  for (const v of compact.values) maxAbs = Math.max(maxAbs, Math.abs(v));
  if (maxAbs === 0) maxAbs = op.maxDiagonal();
  let worst = 0;
  const hv = new Float64Array(rows);
  for (let j = 0; j < compact.values.length; j++) {
    const v = compact.vectors[j];
    op.matvec(v, hv);
    let s = 0;
    for (let f = 0; f < rows; f++) {
      const r = hv[f] - compact.values[j] * v[f];
      s += r * r;
    }
    worst = Math.max(worst, Math.sqrt(s));
  }
  return { ...compact, residual: maxAbs > 0 ? worst / maxAbs : worst };
}

/** The Laplacian's free block H_FF as a {@link HessianOperator} (zero modes: one constant per floating component, reported). */
function laplacianOperator(net: SpectrumNetwork, layout: FreeLayout): HessianOperator {
  const rows = layout.free.length;
  const floating = floatingComponents(net, layout);
  const nullVectors = floating.map((members) => {
    const v = new Float64Array(rows);
    const c = 1 / Math.sqrt(members.length);
    for (const node of members) v[layout.row[node]] = c;
    return v;
  });
  const matvec = compactMatvec(net, layout);
  return {
    rows,
    matvec,
    dense: () => denseLaplacian(net, layout),
    nullVectors,
    zeroModes: 'report',
    pseudoInverse: () => laplacianPseudoInverse(net, layout, floating),
    maxDiagonal: () => maxDiagonal(net, layout),
  };
}

/** H_FF assembled dense, row-major. */
function denseLaplacian(net: SpectrumNetwork, layout: FreeLayout): Float64Array {
  const n = layout.free.length;
  const a = new Float64Array(n * n);
  for (let e = 0; e < net.edgeA.length; e++) {
    const p = layout.row[net.edgeA[e]];
    const q = layout.row[net.edgeB[e]];
    if (net.edgeA[e] === net.edgeB[e]) continue;
    const g = net.conductance[e];
    if (p >= 0) a[p * n + p] += g;
    if (q >= 0) a[q * n + q] += g;
    if (p >= 0 && q >= 0) {
      a[p * n + q] -= g;
      a[q * n + p] -= g;
    }
  }
  return a;
}

/** Dense H (shifted on its null space for 'exclude'), diagonalised; the requested pairs as compact vectors. */
function denseSpectrum(op: HessianOperator, which: 'lowest' | 'highest' | 'all', k: number) {
  const n = op.rows;
  const a = op.dense();
  // 'exclude': H - c Q Q^T moves exactly the null space to -c and leaves every other eigenpair of H as it is
  const skip = op.zeroModes === 'exclude' ? op.nullVectors.length : 0;
  if (skip > 0) {
    const c = Math.max(op.maxDiagonal(), 1e-300);
    for (const q of op.nullVectors) {
      for (let i = 0; i < n; i++) {
        const ci = c * q[i];
        if (ci === 0) continue;
        for (let j = 0; j < n; j++) a[i * n + j] -= ci * q[j];
      }
    }
  }
  const eig = symmetricEigen(a, n);
  const first = which === 'highest' ? n - k : skip;
  const count = which === 'all' ? n - skip : k;
  const values = eig.values.slice(first, first + count);
  const vectors: Float64Array[] = [];
  for (let j = first; j < first + count; j++) vectors.push(eig.vectors!.slice(j * n, (j + 1) * n));
  return { values, vectors, converged: eig.converged, iterations: eig.iterations };
}

/**
 * The k lowest pairs through shift-invert Lanczos: zero modes first ('report'), the rest as 1 / the largest
 * eigenvalues of the pseudo-inverse, with null(H) deflated.
 */
function shiftInvert(op: HessianOperator, k: number, tolerance: number | undefined) {
  const rows = op.rows;
  const nulls = op.nullVectors;
  const zeros = op.zeroModes === 'report' ? Math.min(k, nulls.length) : 0;
  const values: number[] = new Array<number>(zeros).fill(0);
  const vectors: Float64Array[] = nulls.slice(0, zeros);
  if (zeros === k) return { values: Float64Array.from(values), vectors, converged: true, iterations: 0 };
  const inverse = op.pseudoInverse();
  const apply = (x: Float64Array, y: Float64Array): void => inverse.apply(x, y);
  const r = lanczos(rows, apply, { k: k - zeros, which: 'largest', tolerance, relativeTo: 'own', deflate: nulls });
  const refined = refine(r.vectors, apply, (x, y) => op.matvec(x, y));
  values.push(...refined.values);
  vectors.push(...refined.vectors);
  return { values: Float64Array.from(values), vectors, converged: r.converged && inverse.converged(), iterations: r.iterations };
}

/**
 * H_FF^+ of a Laplacian: ground the smallest node of every floating component (sparse Cholesky with it imposed at 0)
 * for a right-hand side orthogonal to the constants, then subtract each floating component's mean (for b orthogonal
 * to 1_C this is L_C^+ b).
 */
function laplacianPseudoInverse(net: SpectrumNetwork, layout: FreeLayout, floating: Int32Array[]): { apply(x: Float64Array, y: Float64Array): void; converged(): boolean } {
  const rows = layout.free.length;
  const grounds = floating.map((members) => members[0]);
  const system = new LaplacianSystem(net.nodes, net.edgeA, net.edgeB, Int32Array.from([...layout.imposed, ...grounds]), { method: 'cholesky' });
  system.setConductance(Float64Array.from(net.conductance));
  const member = new Int32Array(rows).fill(-1); // floating component of each row
  floating.forEach((members, c) => {
    for (const node of members) member[layout.row[node]] = c;
  });
  const sums = new Float64Array(floating.length);
  const sizes = Float64Array.from(floating, (m) => m.length);
  const centre = (x: Float64Array): void => {
    if (floating.length === 0) return;
    sums.fill(0);
    for (let f = 0; f < rows; f++) if (member[f] >= 0) sums[member[f]] += x[f];
    for (let c = 0; c < sums.length; c++) sums[c] /= sizes[c];
    for (let f = 0; f < rows; f++) if (member[f] >= 0) x[f] -= sums[member[f]];
  };
  const rhs = new Float64Array(net.nodes);
  const sol = new Float64Array(net.nodes);
  const b = new Float64Array(rows);
  let solvesConverged = true;
  return {
    apply: (x: Float64Array, y: Float64Array): void => {
      b.set(x);
      centre(b);
      for (let f = 0; f < rows; f++) rhs[layout.free[f]] = b[f];
      const { diagnostics } = system.solveFree(rhs, sol);
      if (!diagnostics.converged) solvesConverged = false;
      for (let f = 0; f < rows; f++) y[f] = sol[layout.free[f]];
      centre(y);
    },
    converged: () => solvesConverged,
  };
}

/**
 * One step of subspace iteration with the inverse, then Rayleigh-Ritz with H itself: Z = orth(H^+ Y), pairs of
 * Z^T H Z. Lanczos on the inverse leaves residual components along high-lambda eigenvectors that H multiplies by up
 * to ||H|| / lambda; one more application of H^+ damps each by lambda / lambda_high, which brings |H v - lambda v|
 * down to the level the tolerance promises for the inverse. Costs one solve and one product per pair.
 */
function refine(Y: Float64Array[], inverse: (x: Float64Array, y: Float64Array) => void, matvec: (x: Float64Array, y: Float64Array) => void) {
  const p = Y.length;
  if (p === 0) return { values: [] as number[], vectors: [] as Float64Array[] };
  const rows = Y[0].length;
  const Z = Y.map((y) => {
    const z = new Float64Array(rows);
    inverse(y, z);
    return z;
  });
  // Modified Gram-Schmidt, twice.
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < p; j++) {
      const z = Z[j];
      for (let i = 0; i < j; i++) {
        const c = dotProduct(Z[i], z);
        for (let f = 0; f < rows; f++) z[f] -= c * Z[i][f];
      }
      const s = Math.sqrt(dotProduct(z, z));
      for (let f = 0; f < rows; f++) z[f] /= s;
    }
  }
  const hz = new Float64Array(rows);
  const G = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    matvec(Z[j], hz);
    for (let i = 0; i <= j; i++) {
      const g = dotProduct(Z[i], hz);
      G[i * p + j] = g;
      G[j * p + i] = g;
    }
  }
  const eig = symmetricEigen(G, p);
  const vectors: Float64Array[] = [];
  for (let j = 0; j < p; j++) {
    const v = new Float64Array(rows);
    for (let i = 0; i < p; i++) {
      const c = eig.vectors![j * p + i];
      const z = Z[i];
      for (let f = 0; f < rows; f++) v[f] += c * z[f];
    }
    vectors.push(v);
  }
  return { values: Array.from(eig.values), vectors };
}

function dotProduct(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/**
 * Connected components (through edges of positive conductance) without an imposed node, each as its node ids
 * ascending; components ordered by their smallest node.
 */
function floatingComponents(net: SpectrumNetwork, layout: FreeLayout): Int32Array[] {
  const N = net.nodes;
  const up = new Int32Array(N);
  for (let v = 0; v < N; v++) up[v] = v;
  const find = (v: number): number => {
    while (up[v] !== v) {
      up[v] = up[up[v]];
      v = up[v];
    }
    return v;
  };
  for (let e = 0; e < net.edgeA.length; e++) {
    if (!(net.conductance[e] > 0)) continue;
    const a = find(net.edgeA[e]);
    const b = find(net.edgeB[e]);
    if (a !== b) up[a] = b;
  }
  const anchored = new Uint8Array(N);
  for (const v of layout.imposed) anchored[find(v)] = 1;
  const groups = new Map<number, number[]>();
  for (let v = 0; v < N; v++) {
    const root = find(v);
    if (anchored[root]) continue;
    let g = groups.get(root);
    if (!g) groups.set(root, (g = []));
    g.push(v);
  }
  return [...groups.values()].map((g) => Int32Array.from(g)).sort((x, y) => x[0] - y[0]);
}

function validateNetwork(net: SpectrumNetwork): void {
  if (typeof net !== 'object' || net === null) throw new InvalidInputError({ field: 'net' }, `must be a network object, got ${show(net)}`);
  const N = net.nodes;
  if (!Number.isInteger(N) || N < 1) throw new InvalidInputError({ field: 'nodes' }, `must be an integer >= 1, got ${show(N)}`);
  const { edgeA, edgeB, conductance } = net;
  if (!(edgeA instanceof Int32Array) || !(edgeB instanceof Int32Array)) {
    throw new InvalidInputError({ field: 'edgeA' }, 'edgeA and edgeB must be Int32Arrays of node ids');
  }
  if (edgeB.length !== edgeA.length) throw new InvalidInputError({ field: 'edgeB' }, `must have the length of edgeA (${edgeA.length}), got ${edgeB.length}`);
  if (!(conductance instanceof Float64Array) || conductance.length !== edgeA.length) {
    throw new InvalidInputError(
      { field: 'conductance' },
      `must be a Float64Array with one conductance per edge (${edgeA.length}), got ${conductance instanceof Float64Array ? `length ${conductance.length}` : show(conductance)}`,
    );
  }
  for (let e = 0; e < edgeA.length; e++) {
    if (edgeA[e] < 0 || edgeA[e] >= N) throw new InvalidInputError({ field: `edgeA[${e}]` }, `node id must be in [0, ${N}), got ${show(edgeA[e])}`);
    if (edgeB[e] < 0 || edgeB[e] >= N) throw new InvalidInputError({ field: `edgeB[${e}]` }, `node id must be in [0, ${N}), got ${show(edgeB[e])}`);
    const k = conductance[e];
    if (!(Number.isFinite(k) && k >= 0)) {
      throw new InvalidInputError({ field: `conductance[${e}]` }, `must be a finite conductance >= 0 siemens (H must be positive semi-definite), got ${show(k)}`);
    }
  }
}
