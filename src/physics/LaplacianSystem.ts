import { InvalidInputError, NumericalError, show } from '../errors.js';
import { type EliminationOrderCache, isPermutation } from './EliminationOrderCache.js';
import { adjacencyOfCsr } from './sparse/AdjacencyGraph.js';
import { ConjugateGradient } from './sparse/ConjugateGradient.js';
import { type CsrMatrix, csrFind, csrFromTriplets, csrMatVec, csrNnz } from './sparse/CsrMatrix.js';
import { fillReducingOrder, type OrderingMethod } from './sparse/fillReducingOrder.js';
import { IncompleteCholesky } from './sparse/IncompleteCholesky.js';
import { JacobiPreconditioner } from './sparse/JacobiPreconditioner.js';
import type { Preconditioner } from './sparse/Preconditioner.js';
import { SupernodalCholesky } from './sparse/SupernodalCholesky.js';
import { SymbolicFactor } from './sparse/SymbolicFactor.js';
import { SubspaceWarmStart, WarmStartCache } from './sparse/WarmStartCache.js';

/** How H_FF x = b is solved: sparse Cholesky, preconditioned conjugate gradients, or chosen from the fill. */
export type SolveMethod = 'auto' | 'cholesky' | 'cg';

/** Options of {@link LaplacianSystem}. */
export interface LaplacianSystemOptions {
  /**
   * Default 'auto': Cholesky unless the symbolic factor would be too large (more than
   * {@link AUTO_CG_FILL_RATIO} times nnz(H_FF) with more than {@link AUTO_CG_MIN_FREE} free nodes, as on
   * random graphs), then CG.
   */
  method?: SolveMethod;
  /** Fill-reducing ordering for Cholesky. Default 'auto' (the better of nested dissection and AMD). */
  ordering?: OrderingMethod;
  /** CG: relative residual target ||b - A x|| / ||b||. Default 1e-12. */
  cgTolerance?: number;
  /** CG: iteration cap per solve (all restarts included). Default max(100, 10 * free nodes). */
  cgMaxIterations?: number;
  /**
   * Cholesky only: after new conductances, keep the factor of earlier ones as the preconditioner of CG on the new
   * matrix, refactorising when the iterations it costs say a new factor pays ({@link LaplacianSystem}). Every
   * solve still meets the relative residual `cgTolerance`. 'auto': on with at least {@link REUSE_MIN_FREE} free
   * nodes, where a factorisation costs several solves; 'always'; 'never' (default: on the 128 x 128 and 256 x 256
   * lattices of the solver bench, CL training, the CG iterations an old factor needs cost as much as the factorisation
   * they save; see bench/README.md). With reuse a result depends on the conductances solved before (within the
   * residual bound), not only on the current ones: bit-for-bit equality with a fresh system needs 'never'.
   */
  factorReuse?: 'auto' | 'always' | 'never';
  /**
   * Factor reuse: the cost of a numeric factorisation in preconditioned CG iterations, which the refactorisation
   * policy weighs against the iterations an old factor costs. Default: from the flop counts (see
   * {@link FACTOR_FLOP_ADVANTAGE}). Very large: reuse until a large change or a CG failure forces a new factor.
   */
  factorCostIterations?: number;
  /**
   * Cholesky only: where to look up the fill-reducing order before computing it, and to keep it afterwards (for
   * systems with at least {@link ORDER_CACHE_MIN_FREE} free nodes). Default none: every system orders its graph.
   */
  orderCache?: EliminationOrderCache;
}

/** Systems with fewer free nodes order their graph in a few milliseconds: not worth a cache entry. */
export const ORDER_CACHE_MIN_FREE = 2000;

/**
 * Part of every order cache request: raise it when the ordering algorithms change, so that orders of the old
 * ones (correct, but possibly with more fill) are computed again.
 */
export const ORDERING_VERSION = 1;

/** What a solve reports about itself. */
export interface SolveDiagnostics {
  method: 'cholesky' | 'cg';
  /** relative KCL residual ||A x - b||_2 / max(||b||_2, tiny) over the free nodes, computed after the solve */
  residual: number;
  /** CG iterations, or refinement steps + 1 for Cholesky */
  iterations: number;
  /**
   * CG: residual <= cgTolerance. Cholesky: residual <= {@link CHOLESKY_ACCEPT} (a direct solve that misses this
   * even after iterative refinement has met a numerically singular system).
   */
  converged: boolean;
  /**
   * Cholesky with factor reuse on (see {@link LaplacianSystemOptions.factorReuse}): how many conductance updates ago
   * the factor this solve used was computed (0: the factor of the current conductances; then `iterations` are
   * refinement steps + 1, else CG iterations preconditioned by the older factor).
   */
  factorAge?: number;
  /** With factor reuse on: whether the current conductances were factorised (before or during this solve). */
  refactorized?: boolean;
}

/** Counters of the factor reuse since construction (Cholesky systems). */
export interface ReuseStats {
  /** Numeric factorisations. */
  factorizations: number;
  /** Solves done by CG preconditioned with an earlier factor. */
  reusedSolves: number;
  /** CG iterations of those solves. */
  reusedIterations: number;
  /** Solves done directly with the factor of the current conductances. */
  directSolves: number;
}

/** What the constructor decided and what it cost. */
export interface SystemAnalysis {
  method: 'cholesky' | 'cg';
  /** 'nd', 'amd' or 'natural' for Cholesky; for CG the preconditioner ('ic0', or 'jacobi' after an IC(0) breakdown). */
  ordering: string;
  /** Whether the order came from the options' orderCache (computed by an earlier system on the same graph). */
  orderCached: boolean;
  /** Number of free nodes (order of H_FF). */
  free: number;
  /** Stored nonzeros of H_FF (both triangles and diagonal). */
  nnzA: number;
  /**
   * Nonzeros of the Cholesky factor (diagonal included). For CG chosen by 'auto': the fill of the rejected factor,
   * or the limit it exceeded when the analysis gave up early (a lower bound). For method 'cg': 0 (not analysed).
   */
  nnzL: number;
  /** Time spent computing the fill-reducing ordering (ms). */
  orderingMs: number;
  /** Time spent on the symbolic factorisation and setting up the solver (ms). */
  symbolicMs: number;
}

/** 'auto' switches to CG when nnz(L) > AUTO_CG_FILL_RATIO * nnz(H_FF) ... */
export const AUTO_CG_FILL_RATIO = 60;
/** ... and there are more than this many free nodes (below it Cholesky is cheap whatever the fill). */
export const AUTO_CG_MIN_FREE = 2000;
/** Cholesky: iterative refinement is tried while the relative residual exceeds this. */
export const CHOLESKY_REFINE_ABOVE = 1e-12;
/** Cholesky: a solve is reported converged when its relative residual is at most this. */
export const CHOLESKY_ACCEPT = 1e-9;
/** Cholesky: at most this many refinement steps per solve. */
const MAX_REFINEMENT_STEPS = 2;
/** factorReuse 'auto' reuses factors from this many free nodes on (below, a factorisation costs about one solve). */
export const REUSE_MIN_FREE = 2000;
/**
 * Factor reuse: a conductance that moved by more than this fraction of its value at the last factorisation forces a
 * new factor (the old one would precondition poorly, and a large change is rare in online training).
 */
export const REUSE_MAX_CHANGE = 0.25;
/** Factor reuse: after this many conductance updates refactorised on the prediction, measure reuse again. */
export const REUSE_REPROBE = 16;
/** Factor reuse: a CG solve preconditioned by an old factor that needs more iterations gives up and refactorises. */
export const REUSE_MAX_ITERATIONS = 40;
/**
 * Factor reuse cost model: a numeric factorisation costs flops / (FACTOR_FLOP_ADVANTAGE * (2 nnz(L) + nnz(A))) CG
 * iterations. The blocked dense kernels of the factorisation do about this many times more multiply-adds per second
 * than the triangular solves and products of an iteration (measured on the 128 x 128 lattice: factorisation 21 ms,
 * 2.06e7 multiply-adds; solve 3.5 ms, 1.2e6). A constant, not a timing, so that runs are reproducible.
 */
export const FACTOR_FLOP_ADVANTAGE = 3;
/** Denominator floor of the relative residual, so that b = 0 gives residual 0 rather than NaN. */
const TINY = 1e-300;

/**
 * The grounded Laplacian H_FF of a network whose nodes `imposed` have prescribed voltages. Symbolic analysis once
 * in the constructor; setConductance re-factorises numerically.
 *
 * H = D^T diag(k) D over all nodes (see docs/design.md); with the imposed nodes I and free nodes F, Kirchhoff's law at
 * the free nodes reads H_FF V_F = injection_F - H_FI V_I. H_FF is positive definite exactly when every connected
 * component of the network (edges of positive conductance) contains an imposed node.
 */
export class LaplacianSystem {
  readonly analysis: SystemAnalysis;
  readonly nodes: number;
  /** Copy of the imposed node ids, in the given order. */
  readonly imposedNodes: Int32Array;
  /** Node ids that are not imposed, ascending. */
  readonly freeNodes: Int32Array;

  private readonly edgeA: Int32Array;
  private readonly edgeB: Int32Array;
  /** Free index of each node, -1 for imposed nodes. */
  private readonly freeIndex: Int32Array;
  /** Position of each imposed node in imposedNodes, -1 for free nodes. */
  private readonly imposedIndex: Int32Array;
  /** H_FF with a fixed pattern; values rewritten by setConductance. */
  private readonly matrix: CsrMatrix;
  /** Per edge: CSR positions of the entries it touches (-1 if none). */
  private readonly posAB: Int32Array;
  private readonly posBA: Int32Array;
  private readonly posAA: Int32Array;
  private readonly posBB: Int32Array;
  /** Free nodes in components without an imposed node (structurally singular), for the error message. */
  private readonly floating: Int32Array;
  /** Conductances of the last setConductance (own copy). */
  private readonly k: Float64Array;
  private hasConductance = false;

  private readonly cholesky: SupernodalCholesky | null;
  private readonly cg: ConjugateGradient | null;
  private readonly ic0: IncompleteCholesky | null;
  private readonly jacobi: JacobiPreconditioner | null;
  private preconditioner: Preconditioner | null = null;
  private readonly tolerance: number;
  private readonly maxIterations: number;
  private readonly warmSolve: WarmStartCache | null;
  private readonly warmFree: WarmStartCache | null;

  // Factor reuse (Cholesky): see LaplacianSystemOptions.factorReuse.
  private readonly reuse: boolean;
  private readonly reuseCg: ConjugateGradient | null;
  private readonly subspace: SubspaceWarmStart | null;
  /** Conductances the factor in hand was computed from. */
  private readonly factorK: Float64Array | null;
  /** The factor in hand is that of the current matrix values. */
  private factorCurrent = false;
  /** Conductance updates since the factor in hand was computed. */
  private factorAge = 0;
  /** Increments with every change of the matrix values (versions of the products kept by `subspace`). */
  private matrixVersion = 0;
  /** A numeric factorisation in CG iterations (cost model, see FACTOR_FLOP_ADVANTAGE). */
  private readonly factorUnits: number;
  /** Since the last factorisation: its cost plus every later matrix's extra iterations (beyond one solve per RHS). */
  private cycleUnits = 0;
  /** Matrices solved since the last factorisation, that one included. */
  private cycleMatrices = 0;
  /** Extra iterations spent on the current matrix so far. */
  private currentExcess = 0;
  /** Extra iterations of the first matrix after the last factorisation that was followed by a reused one. */
  private firstExcess = 0;
  /** Conductance updates that refactorised at once on the prediction of firstExcess since it was last measured. */
  private skipped = 0;
  /** A matrix-vector product with H_FF in CG iterations (cost model). */
  private readonly productUnits: number;
  private readonly stats: ReuseStats = { factorizations: 0, reusedSolves: 0, reusedIterations: 0, directSolves: 0 };

  // Work vectors over the free nodes.
  private readonly b: Float64Array;
  private readonly x: Float64Array;
  private readonly r: Float64Array;
  private readonly d: Float64Array;
  /** H_FF x of the last solution (for the subspace warm start). */
  private readonly ax: Float64Array;

  constructor(nodes: number, edgeA: Int32Array, edgeB: Int32Array, imposed: Int32Array, options: LaplacianSystemOptions = {}) {
    if (!Number.isInteger(nodes) || nodes < 0) {
      throw new InvalidInputError({ field: 'nodes' }, `must be a non-negative integer, got ${show(nodes)}`);
    }
    if (edgeA.length !== edgeB.length) {
      throw new InvalidInputError({ field: 'edgeB' }, `must have the length of edgeA (${edgeA.length}), got ${edgeB.length}`);
    }
    const E = edgeA.length;
    for (let e = 0; e < E; e++) {
      if (edgeA[e] < 0 || edgeA[e] >= nodes) {
        throw new InvalidInputError({ field: `edgeA[${e}]` }, `node id must be in [0, ${nodes}), got ${show(edgeA[e])}`);
      }
      if (edgeB[e] < 0 || edgeB[e] >= nodes) {
        throw new InvalidInputError({ field: `edgeB[${e}]` }, `node id must be in [0, ${nodes}), got ${show(edgeB[e])}`);
      }
    }
    const imposedIndex = new Int32Array(nodes).fill(-1);
    for (let t = 0; t < imposed.length; t++) {
      const v = imposed[t];
      if (v < 0 || v >= nodes) {
        throw new InvalidInputError({ field: `imposed[${t}]` }, `node id must be in [0, ${nodes}), got ${show(v)}`);
      }
      if (imposedIndex[v] >= 0) {
        throw new InvalidInputError({ field: `imposed[${t}]` }, `imposed nodes must be distinct, node ${v} is also imposed[${imposedIndex[v]}]`);
      }
      imposedIndex[v] = t;
    }
    const method = options.method ?? 'auto';
    if (method !== 'auto' && method !== 'cholesky' && method !== 'cg') {
      throw new InvalidInputError({ field: 'method' }, `must be 'auto', 'cholesky' or 'cg', got ${show(method)}`);
    }
    const ordering = options.ordering ?? 'auto';
    if (ordering !== 'auto' && ordering !== 'nd' && ordering !== 'amd' && ordering !== 'natural') {
      throw new InvalidInputError({ field: 'ordering' }, `must be 'auto', 'nd', 'amd' or 'natural', got ${show(ordering)}`);
    }
    const factorReuse = options.factorReuse ?? 'never';
    if (factorReuse !== 'auto' && factorReuse !== 'always' && factorReuse !== 'never') {
      throw new InvalidInputError({ field: 'factorReuse' }, `must be 'auto', 'always' or 'never', got ${show(factorReuse)}`);
    }
    if (options.factorCostIterations !== undefined && !(options.factorCostIterations >= 0)) {
      throw new InvalidInputError({ field: 'factorCostIterations' }, `must be a number >= 0, got ${show(options.factorCostIterations)}`);
    }
    this.tolerance = options.cgTolerance ?? 1e-12;
    if (!(this.tolerance > 0)) {
      throw new InvalidInputError({ field: 'cgTolerance' }, `must be a positive number, got ${show(options.cgTolerance)}`);
    }

    this.nodes = nodes;
    this.edgeA = edgeA.slice();
    this.edgeB = edgeB.slice();
    this.imposedNodes = imposed.slice();
    this.imposedIndex = imposedIndex;
    const nf = nodes - imposed.length;
    const freeNodes = new Int32Array(nf);
    const freeIndex = new Int32Array(nodes).fill(-1);
    for (let v = 0, f = 0; v < nodes; v++) {
      if (imposedIndex[v] < 0) {
        freeIndex[v] = f;
        freeNodes[f++] = v;
      }
    }
    this.freeNodes = freeNodes;
    this.freeIndex = freeIndex;
    this.maxIterations = options.cgMaxIterations ?? Math.max(100, 10 * nf);
    this.k = new Float64Array(E);
    this.floating = floatingNodes(nodes, this.edgeA, this.edgeB, imposedIndex, null);

    // Pattern of H_FF: a diagonal entry for every free node and both off-diagonal entries of free-free edges.
    let nFreeFree = 0;
    for (let e = 0; e < E; e++) {
      const fa = freeIndex[edgeA[e]];
      const fb = freeIndex[edgeB[e]];
      if (fa >= 0 && fb >= 0 && fa !== fb) nFreeFree++;
    }
    const rows = new Int32Array(nf + 2 * nFreeFree);
    const cols = new Int32Array(nf + 2 * nFreeFree);
    for (let f = 0; f < nf; f++) {
      rows[f] = f;
      cols[f] = f;
    }
    for (let e = 0, t = nf; e < E; e++) {
      const fa = freeIndex[edgeA[e]];
      const fb = freeIndex[edgeB[e]];
      if (fa >= 0 && fb >= 0 && fa !== fb) {
        rows[t] = fa;
        cols[t++] = fb;
        rows[t] = fb;
        cols[t++] = fa;
      }
    }
    this.matrix = csrFromTriplets(nf, rows, cols, new Float64Array(rows.length));
    this.posAB = new Int32Array(E).fill(-1);
    this.posBA = new Int32Array(E).fill(-1);
    this.posAA = new Int32Array(E).fill(-1);
    this.posBB = new Int32Array(E).fill(-1);
    for (let e = 0; e < E; e++) {
      const fa = freeIndex[edgeA[e]];
      const fb = freeIndex[edgeB[e]];
      if (fa === fb) continue; // self loop: carries no current
      if (fa >= 0) this.posAA[e] = csrFind(this.matrix, fa, fa);
      if (fb >= 0) this.posBB[e] = csrFind(this.matrix, fb, fb);
      if (fa >= 0 && fb >= 0) {
        this.posAB[e] = csrFind(this.matrix, fa, fb);
        this.posBA[e] = csrFind(this.matrix, fb, fa);
      }
    }
    const nnzA = csrNnz(this.matrix);

    // Ordering and symbolic analysis, or the CG set-up.
    const t0 = performance.now();
    let chosen: 'cholesky' | 'cg' = method === 'cg' ? 'cg' : 'cholesky';
    let orderName = 'natural';
    let nnzL = 0;
    let order: Int32Array | null = null;
    let orderCached = false;
    const graph = adjacencyOfCsr(this.matrix);
    if (method !== 'cg') {
      const fillLimit = AUTO_CG_FILL_RATIO * nnzA;
      const auto = method === 'auto' && nf > AUTO_CG_MIN_FREE;
      const cache = nf >= ORDER_CACHE_MIN_FREE ? options.orderCache : undefined;
      const request = `${ordering}:${auto ? 'auto-cg' : 'cholesky'}:v${ORDERING_VERSION}`;
      const hit = cache?.get(graph, request);
      if (hit && isPermutation(hit.order, nf)) {
        // Only orders whose factor was accepted are kept, so the fill limit held for this graph before.
        order = hit.order;
        orderName = hit.method;
        orderCached = true;
      } else {
        const chosenOrder = fillReducingOrder(graph, ordering, { fillBudget: auto ? fillLimit : undefined });
        nnzL = chosenOrder.nnzL;
        orderName = chosenOrder.method;
        order = chosenOrder.order;
        if (auto && (order === null || nnzL > fillLimit)) chosen = 'cg';
        if (chosen === 'cholesky' && order) cache?.set(graph, request, { order, method: chosenOrder.method });
      }
    }
    const t1 = performance.now();
    if (chosen === 'cholesky') {
      const symbolic = new SymbolicFactor(graph, this.matrix.rowPtr, this.matrix.colIdx, order!);
      if (orderCached) nnzL = symbolic.nnzL;
      this.cholesky = new SupernodalCholesky(symbolic);
      this.reuse = factorReuse === 'always' || (factorReuse === 'auto' && nf >= REUSE_MIN_FREE);
      this.factorUnits = options.factorCostIterations ?? symbolic.flops / (FACTOR_FLOP_ADVANTAGE * (2 * symbolic.nnzL + nnzA));
      this.productUnits = nnzA / (2 * symbolic.nnzL + nnzA);
      this.cg = null;
      this.ic0 = null;
      this.jacobi = null;
      this.warmSolve = null;
      this.warmFree = null;
    } else {
      this.cholesky = null;
      this.reuse = false;
      this.factorUnits = 0;
      this.productUnits = 0;
      this.cg = new ConjugateGradient(nf);
      this.ic0 = new IncompleteCholesky(this.matrix);
      this.jacobi = new JacobiPreconditioner(nf);
      this.warmSolve = new WarmStartCache(nf);
      this.warmFree = new WarmStartCache(nf);
      orderName = 'ic0';
    }
    const t2 = performance.now();
    this.analysis = { method: chosen, ordering: orderName, orderCached, free: nf, nnzA, nnzL, orderingMs: t1 - t0, symbolicMs: t2 - t1 };
    this.b = new Float64Array(nf);
    this.x = new Float64Array(nf);
    this.r = new Float64Array(nf);
    this.d = new Float64Array(nf);
    this.ax = new Float64Array(nf);
    this.reuseCg = this.reuse ? new ConjugateGradient(nf) : null;
    this.subspace = this.reuse ? new SubspaceWarmStart(nf) : null;
    this.factorK = this.reuse ? new Float64Array(E) : null;
  }

  /** Whether this system reuses factors across conductance updates (see {@link LaplacianSystemOptions.factorReuse}). */
  get reusesFactors(): boolean {
    return this.reuse;
  }

  /** Counters of factorisations and solves since construction (a copy). */
  get reuseStats(): ReuseStats {
    return { ...this.stats };
  }

  /**
   * Assemble H from conductances k (siemens, length E) and factorise (Cholesky) or build the preconditioner (CG).
   * Throws NumericalError if H_FF is not positive definite (e.g. a floating component).
   */
  setConductance(k: Float64Array): void {
    const E = this.edgeA.length;
    if (k.length !== E) {
      throw new InvalidInputError({ field: 'k' }, `must have one conductance per edge (${E}), got ${k.length}`);
    }
    let nonPositive = false;
    for (let e = 0; e < E; e++) {
      const ke = k[e];
      if (!Number.isFinite(ke)) {
        throw new InvalidInputError({ field: `k[${e}]` }, `conductance must be a finite number of siemens, got ${show(ke)}`);
      }
      if (ke <= 0) nonPositive = true;
    }
    this.hasConductance = false;
    this.factorCurrent = false;
    // A component without an imposed node has no reference potential: H_FF is singular there. Zero
    // conductances can cut a network into such components, so recheck with only the conducting edges.
    const floating = nonPositive ? floatingNodes(this.nodes, this.edgeA, this.edgeB, this.imposedIndex, k) : this.floating;
    if (floating.length > 0) {
      const list = Array.from(floating.subarray(0, 8)).join(', ') + (floating.length > 8 ? ', ...' : '');
      throw new NumericalError(
        `H_FF is not positive definite: ${floating.length} free node(s) belong to components with no imposed node ` +
          `(no path of positive conductance to a source or ground): ${list}`,
      );
    }
    this.k.set(k);
    const values = this.matrix.values;
    values.fill(0);
    const { posAB, posBA, posAA, posBB } = this;
    for (let e = 0; e < E; e++) {
      const ke = k[e];
      if (posAA[e] >= 0) values[posAA[e]] += ke;
      if (posBB[e] >= 0) values[posBB[e]] += ke;
      if (posAB[e] >= 0) {
        values[posAB[e]] -= ke;
        values[posBA[e]] -= ke;
      }
    }
    this.matrixVersion++;
    if (this.cholesky) {
      if (this.reuse && this.cholesky.isFactored && !nonPositive && !this.refactorPays(k)) {
        // Keep the factor of earlier conductances: solves run CG preconditioned by it.
        this.cycleUnits += this.currentExcess;
        this.cycleMatrices++;
        if (this.cycleMatrices === 2) this.skipped = 0;
        this.currentExcess = 0;
        this.factorCurrent = false;
        this.factorAge++;
      } else {
        this.factorizeNow();
      }
    } else {
      if (this.ic0!.update(this.matrix)) {
        this.preconditioner = this.ic0;
        this.analysis.ordering = 'ic0';
      } else {
        // IC(0) exists for M-matrices; negative conductances may break it. Jacobi needs only a positive diagonal.
        this.jacobi!.update(this.matrix);
        this.preconditioner = this.jacobi;
        this.analysis.ordering = 'jacobi';
      }
    }
    this.hasConductance = true;
  }

  /**
   * Factor reuse policy, at a conductance update: a new factor pays when the last matrix cost more extra iterations
   * than the average cost per matrix since the last factorisation (factorisation included), the classic rule that
   * minimises the mean cost of a refactorisation cycle when the iterations grow with the factor's age; and always
   * after a large change of some conductance (more than REUSE_MAX_CHANGE of its value at the factorisation).
   */
  private refactorPays(k: Float64Array): boolean {
    if (this.currentExcess * this.cycleMatrices >= this.cycleUnits + this.currentExcess) return true;
    if (this.cycleMatrices === 1) {
      // The factor is that of the matrix just left. Reusing it pays only if the first reused matrix costs less
      // than a factorisation (x_1 < (F + x_1) / 2): predict x_1 from the last cycle that measured it, and measure
      // again now and then (every REUSE_REPROBE updates), since the cost changes as training goes on.
      if (this.firstExcess >= this.factorUnits && this.skipped < REUSE_REPROBE) {
        this.skipped++;
        return true;
      }
    }
    const kf = this.factorK!;
    for (let e = 0; e < k.length; e++) {
      if (Math.abs(k[e] - kf[e]) > REUSE_MAX_CHANGE * Math.abs(kf[e])) return true;
    }
    return false;
  }

  /** Numeric factorisation of the current matrix values; resets the reuse cycle. */
  private factorizeNow(): void {
    if (this.cycleMatrices === 2) this.firstExcess = this.currentExcess;
    this.factorCurrent = false;
    this.cholesky!.factorize(this.matrix.values);
    this.stats.factorizations++;
    this.factorCurrent = true;
    this.factorAge = 0;
    if (this.factorK) this.factorK.set(this.k);
    this.cycleUnits = this.factorUnits;
    this.cycleMatrices = 1;
    this.currentExcess = 0;
  }

  /**
   * Node voltages (length N) for imposed voltages (in the order of imposedNodes) and optional extra current
   * injections (amperes, length N, indexed by node id, entries at imposed nodes ignored). Kirchhoff:
   * (H V)_i = injection_i at every free node. Writes into `out` if given.
   */
  solve(imposedValues: Float64Array, injection?: Float64Array, out?: Float64Array): { voltages: Float64Array; diagnostics: SolveDiagnostics } {
    this.requireConductance();
    const ni = this.imposedNodes.length;
    if (imposedValues.length !== ni) {
      throw new InvalidInputError({ field: 'imposedValues' }, `expected ${ni} values (one per imposed node), got ${imposedValues.length}`);
    }
    if (injection && injection.length !== this.nodes) {
      throw new InvalidInputError({ field: 'injection' }, `expected ${this.nodes} values (one per node), got ${injection.length}`);
    }
    const voltages = this.output(out, 'out');
    const b = this.b;
    const nf = this.freeNodes.length;
    for (let f = 0; f < nf; f++) b[f] = injection ? injection[this.freeNodes[f]] : 0;
    // Move the known voltages to the right-hand side: b_F -= H_FI V_I.
    const { edgeA, edgeB, freeIndex, imposedIndex, k } = this;
    for (let e = 0; e < edgeA.length; e++) {
      const fa = freeIndex[edgeA[e]];
      const fb = freeIndex[edgeB[e]];
      if (fa >= 0 && fb < 0) b[fa] += k[e] * imposedValues[imposedIndex[edgeB[e]]];
      else if (fb >= 0 && fa < 0) b[fb] += k[e] * imposedValues[imposedIndex[edgeA[e]]];
    }
    const diagnostics = this.solveFreeSystem(this.warmSolve);
    for (let f = 0; f < nf; f++) voltages[this.freeNodes[f]] = this.x[f];
    for (let t = 0; t < ni; t++) voltages[this.imposedNodes[t]] = imposedValues[t];
    return { voltages, diagnostics };
  }

  /**
   * Solve H_FF x = rhs where rhs and x are indexed by node id (length N); entries at imposed nodes of rhs are
   * ignored and of x set to 0. Used for Green's functions and adjoint solves.
   */
  solveFree(rhs: Float64Array, out?: Float64Array): { x: Float64Array; diagnostics: SolveDiagnostics } {
    this.requireConductance();
    if (rhs.length !== this.nodes) {
      throw new InvalidInputError({ field: 'rhs' }, `expected ${this.nodes} values (one per node), got ${rhs.length}`);
    }
    const x = this.output(out, 'out');
    const nf = this.freeNodes.length;
    for (let f = 0; f < nf; f++) this.b[f] = rhs[this.freeNodes[f]];
    const diagnostics = this.solveFreeSystem(this.warmFree);
    for (let t = 0; t < this.imposedNodes.length; t++) x[this.imposedNodes[t]] = 0;
    for (let f = 0; f < nf; f++) x[this.freeNodes[f]] = this.x[f];
    return { x, diagnostics };
  }

  /**
   * The block of H_FF^{-1} on free nodes `nodes` (node ids; ohms for a grounded Laplacian: G_TT of the targets), from
   * the Cholesky factor of the current conductances by forward solves along the elimination tree only (a small part
   * of one solve), or null where that factor is not in hand (CG, or a reused older factor): then solve for the
   * columns instead. Throws InvalidInputError for an imposed node.
   */
  inverseBlock(nodes: ArrayLike<number>): number[][] | null {
    this.requireConductance();
    if (!this.cholesky || !this.factorCurrent || this.freeNodes.length === 0) return null;
    const idx = new Int32Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const f = nodes[i] >= 0 && nodes[i] < this.nodes ? this.freeIndex[nodes[i]] : -1;
      if (f < 0) throw new InvalidInputError({ field: `nodes[${i}]` }, `must be a free node id, got ${show(nodes[i])}`);
      idx[i] = f;
    }
    return this.cholesky.inverseBlock(idx);
  }

  /** Solve H_FF x = b for the work vectors b -> x. */
  private solveFreeSystem(warm: WarmStartCache | null): SolveDiagnostics {
    const { b, x, r, d } = this;
    const nf = b.length;
    const bnorm = Math.max(norm(b), TINY);
    if (this.cholesky) {
      const chol = this.cholesky;
      if (nf === 0) return { method: 'cholesky', residual: 0, iterations: 1, converged: true };
      if (this.reuse && !this.factorCurrent) {
        const reused = this.solveWithOldFactor(b, bnorm);
        if (reused) return reused;
        // CG with the old factor did not converge in REUSE_MAX_ITERATIONS: factorise this matrix after all.
        this.factorizeNow();
      }
      this.stats.directSolves++;
      chol.solve(b, x);
      let res = this.residual(b, x, r) / bnorm;
      let iterations = 1;
      let rOfX = true; // r holds b - A x (not the residual of a rejected correction)
      // Iterative refinement: solve for the correction from the residual, keep it only if it helps.
      while (res > CHOLESKY_REFINE_ABOVE && iterations <= MAX_REFINEMENT_STEPS) {
        chol.solve(r, d);
        for (let i = 0; i < nf; i++) d[i] += x[i];
        const resNew = this.residual(b, d, r) / bnorm;
        if (!(resNew < res)) {
          rOfX = false;
          break;
        }
        x.set(d);
        res = resNew;
        iterations++;
      }
      if (!this.reuse) return { method: 'cholesky', residual: res, iterations, converged: res <= CHOLESKY_ACCEPT };
      // Keep the solution, with A x = b - r, for the warm starts of the next matrices.
      if (!rOfX) this.residual(b, x, r);
      for (let i = 0; i < nf; i++) this.ax[i] = b[i] - r[i];
      this.subspace!.remember(x, this.ax, this.matrixVersion);
      return { method: 'cholesky', residual: res, iterations, converged: res <= CHOLESKY_ACCEPT, factorAge: 0, refactorized: true };
    }
    const a = this.matrix;
    if (warm) warm.initialGuess(a, b, x, r);
    else x.fill(0);
    const result = this.cg!.solve(a, this.preconditioner!, b, x, this.tolerance, this.maxIterations);
    if (warm) warm.remember(b, x);
    const res = this.residual(b, x, r) / bnorm;
    return { method: 'cg', residual: res, iterations: result.iterations, converged: res <= this.tolerance };
  }

  /**
   * Solve H_FF x = b (work vectors) by CG preconditioned with the factor of earlier conductances, from the subspace
   * warm start. Returns null when CG misses the tolerance within REUSE_MAX_ITERATIONS.
   */
  private solveWithOldFactor(b: Float64Array, bnorm: number): SolveDiagnostics | null {
    const { x, r } = this;
    const nf = b.length;
    const a = this.matrix;
    const products = this.subspace!.initialGuess(a, this.matrixVersion, b, x);
    this.currentExcess += products * this.productUnits;
    const result = this.reuseCg!.solve(a, this.cholesky!, b, x, this.tolerance, REUSE_MAX_ITERATIONS);
    // Beyond a direct solve: the iterations but one, and CG's two true residuals.
    this.currentExcess += Math.max(0, result.iterations - 1) + 2 * this.productUnits;
    if (!result.converged) return null;
    this.stats.reusedSolves++;
    this.stats.reusedIterations += result.iterations;
    const res = this.residual(b, x, r) / bnorm;
    for (let i = 0; i < nf; i++) this.ax[i] = b[i] - r[i];
    this.subspace!.remember(x, this.ax, this.matrixVersion);
    const diagnostics: SolveDiagnostics = {
      method: 'cholesky',
      residual: res,
      iterations: result.iterations,
      converged: res <= this.tolerance,
      factorAge: this.factorAge,
      refactorized: false,
    };
    // Many solves on one matrix (an MSE over a data set): once their extra iterations exceed two factorisations,
    // the remaining ones (as many again, presumably) are cheaper with a new factor. Not at one: a training step's
    // few solves would then pay for a factor that the next update makes stale at once.
    if (this.currentExcess >= 2 * this.factorUnits) this.factorizeNow();
    return diagnostics;
  }

  /** r = b - H_FF x; returns ||r||_2. */
  private residual(b: Float64Array, x: Float64Array, r: Float64Array): number {
    csrMatVec(this.matrix, x, r);
    let s = 0;
    for (let i = 0; i < b.length; i++) {
      const ri = b[i] - r[i];
      r[i] = ri;
      s += ri * ri;
    }
    return Math.sqrt(s);
  }

  private output(out: Float64Array | undefined, field: string): Float64Array {
    if (!out) return new Float64Array(this.nodes);
    if (out.length !== this.nodes) {
      throw new InvalidInputError({ field }, `expected an array of ${this.nodes} values (one per node), got ${out.length}`);
    }
    return out;
  }

  private requireConductance(): void {
    if (!this.hasConductance) {
      throw new NumericalError('LaplacianSystem: no valid conductances (call setConductance first, or the last call failed)');
    }
  }
}

function norm(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/**
 * Free nodes whose connected component (through edges of positive conductance, or all edges when k is null)
 * contains no imposed node, ascending.
 */
function floatingNodes(nodes: number, edgeA: Int32Array, edgeB: Int32Array, imposedIndex: Int32Array, k: Float64Array | null): Int32Array {
  // Union-find with path halving; a root is marked grounded if any member is imposed.
  const up = new Int32Array(nodes);
  for (let v = 0; v < nodes; v++) up[v] = v;
  const find = (v: number): number => {
    while (up[v] !== v) {
      up[v] = up[up[v]];
      v = up[v];
    }
    return v;
  };
  for (let e = 0; e < edgeA.length; e++) {
    if (k && !(k[e] > 0)) continue;
    const ra = find(edgeA[e]);
    const rb = find(edgeB[e]);
    if (ra !== rb) up[ra] = rb;
  }
  const grounded = new Uint8Array(nodes);
  for (let v = 0; v < nodes; v++) if (imposedIndex[v] >= 0) grounded[find(v)] = 1;
  const out: number[] = [];
  for (let v = 0; v < nodes; v++) if (imposedIndex[v] < 0 && !grounded[find(v)]) out.push(v);
  return Int32Array.from(out);
}
