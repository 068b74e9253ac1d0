/**
 * The cost Hessian d2C/dk_i dk_j of a task, its Gauss-Newton part and the target Jacobian, exactly (no finite
 * differences), from Green's functions of the grounded Laplacian H_FF.
 *
 * Cost over M examples: C(k) = (1/M) sum_m 1/2 sum_T (V_T^F(m) - V_T^*(m))^2 (V^2).
 *
 * First derivatives. H = D^T diag(k) D, so dH/dk_e = d_e d_e^T with d_e the edge's incidence column
 * (-1 at a_e, +1 at b_e). Kirchhoff at the free nodes, (H V)_F = 0 with the imposed voltages fixed, differentiated:
 *
 *     dV/dk_e = -H_FF^{-1} d_e (d_e . V) = -H_FF^{-1} d_e dV_e          (d_e restricted to the free nodes),
 *     J_Te = dV_T/dk_e = -(g_T(b_e) - g_T(a_e)) dV_e,   g_T = H_FF^{-1} e_T  (V/S),
 *
 * g_T the target's Green's function (zero at imposed nodes, symmetric H_FF so e_T^T H_FF^{-1} = g_T^T).
 *
 * Second derivatives. With x_j = H_FF^{-1} d_j and R_ij = d_i^T H_FF^{-1} d_j (the transfer resistance between the
 * two edges with every imposed node grounded, ohm, symmetric), d(H_FF^{-1})/dk_i = -H_FF^{-1} d_i d_i^T H_FF^{-1} gives
 *
 *     d2V/dk_i dk_j = x_i R_ij dV_j + x_j R_ij dV_i,
 *
 * so with residuals r_T = V_T - V_T^* and the adjoint u = H_FF^{-1} E_T r = sum_T r_T g_T:
 *
 *     sum_T r_T d2V_T/dk_i dk_j = R_ij [(d_i . u)(d_j . V) + (d_j . u)(d_i . V)].
 *
 * The Hessian is (1/M) sum_m [J_m^T J_m + R o (p_m q_m^T + q_m p_m^T)] (o: elementwise product) with q_m = D V(m)
 * and p_m = D u(m) the edge drops of the free state and of the adjoint. Both sums factor through the targets:
 * J_m,Ti = -G_Ti q_m,i with G_Ti = g_T(b_i) - g_T(a_i), and p_m,i = sum_T r_m,T G_Ti, so
 *
 *     (1/M) sum_m J_m^T J_m = (1/M) (G^T G) o (Q^T Q),           Q = [q_m] (M x E),
 *     (1/M) sum_m (p_m q_m^T + q_m p_m^T) = (1/M) (G^T W + W^T G),   W_Tj = sum_m r_m,T q_m,j,
 *
 * which costs (M + 3|T|) E^2 / 2 multiply-adds instead of M |T| E^2. Solves: one free state per example, one
 * Green's function per target, and (second order only) one solve H_FF x_j = d_j per edge with a free end; R and the
 * Green's functions depend only on k, so every example shares them.
 *
 * `method: 'dense'` is a deliberately straightforward ml-matrix implementation (dense inverse of H_FF, per-example
 * matrix products): the benchmark baseline and an independent cross-check of the factored formulas above.
 */
import { inverse, Matrix } from 'ml-matrix';
import { InvalidInputError, NumericalError, show } from '../errors.js';
import type { SolveDiagnostics } from '../physics/LaplacianSystem.js';
import type { Network } from '../physics/Network.js';
import { StateSolver } from '../physics/StateSolver.js';
import type { Example, Task } from '../physics/Task.js';

/** Options of {@link costHessian}. */
export interface CostHessianOptions {
  /** Examples the cost averages over. Default `task.train`. */
  examples?: Example[];
  /** Include the second-order (residual) term, i.e. return the full Hessian in `full`. Default true. */
  secondOrder?: boolean;
  /**
   * 'sparse' (default): sparse Cholesky / CG solves and the factored formulas. 'dense': a straightforward
   * ml-matrix implementation with the dense inverse of H_FF, O(N^3 + E^2 N + M E^2); the benchmark baseline.
   */
  method?: 'sparse' | 'dense';
}

/** The cost Hessian and what it was built from. Units: k in S, voltages in V. */
export interface CostHessianResult {
  /** Number of edges E (the Hessian is E x E). */
  edges: number;
  /** Number of examples M averaged over. */
  examples: number;
  /** Gauss-Newton part (1/M) sum_examples J^T J, E x E row-major, V^2/S^2. Exactly symmetric. */
  gaussNewton: Float64Array;
  /** GN + second-order term (the full Hessian d2C/dk_i dk_j), E x E row-major, V^2/S^2; null without `secondOrder`. */
  full: Float64Array | null;
  /** Mean cost over the examples, V^2. */
  cost: number;
  /** dC/dk (mean over the examples), V^2/S. */
  gradient: Float64Array;
  /** Rows: for each example m and target t (row m |T| + t), dV_T/dk_e (V/S); (M |T|) x E row-major. */
  jacobian: Float64Array;
  diagnostics: {
    /**
     * Linear solves done. Sparse: M free states + |T| Green's functions (+ one per edge with a free end for the
     * second order). Dense: the free nodes' count (columns of the dense inverse).
     */
    solves: number;
    /** Largest relative Kirchhoff residual ||H_FF x - b|| / ||b|| over the solves (dense: over the free states). */
    maxSolveResidual: number;
  };
}

/** Largest edge count accepted: each E x E matrix takes 8 E^2 bytes (512 MiB at this limit). */
export const MAX_HESSIAN_EDGES = 8192;

/**
 * The cost Hessian of `task` on `net` at the network's conductances (see the file comment for the formulas).
 * @param net the network; `net.conductance` (S, all > 0) is the point of evaluation
 * @param task node roles (sources, ground, targets) and, by default, the examples (`task.train`)
 * @throws InvalidInputError for bad options, examples or conductances; NumericalError if a solve fails
 */
export function costHessian(net: Network, task: Task, opts: CostHessianOptions = {}): CostHessianResult {
  const examples = opts.examples ?? task.train;
  const secondOrder = opts.secondOrder ?? true;
  const method = opts.method ?? 'sparse';
  if (method !== 'sparse' && method !== 'dense') {
    throw new InvalidInputError({ field: 'method' }, `costHessian: must be 'sparse' or 'dense', got ${show(method)}`);
  }
  if (typeof secondOrder !== 'boolean') {
    throw new InvalidInputError({ field: 'secondOrder' }, `costHessian: must be a boolean, got ${show(secondOrder)}`);
  }
  checkProblem(net, task, examples, 'costHessian');
  const E = net.edgeA.length;
  if (E > MAX_HESSIAN_EDGES) {
    throw new InvalidInputError(
      { field: 'net.edgeA' },
      `costHessian: ${E} edges need E x E matrices of ${((8 * E * E) / 2 ** 20).toFixed(0)} MiB each; at most ${MAX_HESSIAN_EDGES} edges are supported`,
      'use learningStability with the Jacobian route (Gauss-Newton, matrix-free) for larger networks',
    );
  }
  return method === 'dense' ? denseHessian(net, task, examples, secondOrder) : sparseHessian(net, task, examples, secondOrder);
}

/**
 * Validate what every diagnostic over examples needs: targets, one input per source and one desired value per
 * target in each example, finite; positive finite conductances. Shared by the diagnostics of this folder.
 * @param who the calling function's name, for messages
 */
export function checkProblem(net: Network, task: Task, examples: Example[], who: string): void {
  const E = net.edgeA.length;
  if (net.conductance.length !== E) {
    throw new InvalidInputError({ field: 'net.conductance' }, `${who}: expected one conductance per edge (${E}), got ${net.conductance.length}`);
  }
  for (let e = 0; e < E; e++) {
    const k = net.conductance[e];
    if (!(k > 0 && Number.isFinite(k))) {
      throw new InvalidInputError({ field: `net.conductance[${e}]` }, `${who}: must be a positive finite number of siemens, got ${show(k)}`);
    }
  }
  if (task.targets.length === 0) {
    throw new InvalidInputError({ field: 'task.targets' }, `${who}: the cost needs at least one target, got none`);
  }
  if (!Array.isArray(examples) || examples.length === 0) {
    throw new InvalidInputError({ field: 'examples' }, `${who}: need at least one example, got ${Array.isArray(examples) ? 0 : show(examples)}`, 'pass examples or a task with training examples');
  }
  const ns = task.sources.length;
  const nt = task.targets.length;
  examples.forEach((ex, m) => {
    if (!ex || ex.in?.length !== ns) {
      throw new InvalidInputError({ field: `examples[${m}].in` }, `${who}: expected ${ns} source voltages, got ${show(ex?.in?.length)}`);
    }
    if (ex.out?.length !== nt) {
      throw new InvalidInputError({ field: `examples[${m}].out` }, `${who}: expected ${nt} desired target voltages, got ${show(ex.out?.length)}`);
    }
    for (let i = 0; i < ns; i++) {
      if (!Number.isFinite(ex.in[i])) throw new InvalidInputError({ field: `examples[${m}].in[${i}]` }, `${who}: must be a finite voltage, got ${show(ex.in[i])}`);
    }
    for (let i = 0; i < nt; i++) {
      if (!Number.isFinite(ex.out[i])) throw new InvalidInputError({ field: `examples[${m}].out[${i}]` }, `${who}: must be a finite voltage, got ${show(ex.out[i])}`);
    }
  });
}

function sparseHessian(net: Network, task: Task, examples: Example[], secondOrder: boolean): CostHessianResult {
  const { edgeA, edgeB } = net;
  const E = edgeA.length;
  const N = net.nodes;
  const M = examples.length;
  const targets = task.targets;
  const T = targets.length;
  const solver = new StateSolver(net, task);
  solver.setConductance(net.conductance);
  let solves = 0;
  let maxRes = 0;
  const note = (d: SolveDiagnostics, what: string): void => {
    if (!d.converged) throw new NumericalError(`costHessian: ${what} did not converge (relative residual ${d.residual})`);
    if (d.residual > maxRes) maxRes = d.residual;
  };

  // Green's functions of the targets and their edge drops G (T x E).
  const greens = solver.greenFunctions();
  note(greens.diagnostics, "a target Green's function solve");
  solves += T;
  const G = new Float64Array(T * E);
  for (let t = 0; t < T; t++) {
    const g = greens.greens[t];
    for (let e = 0; e < E; e++) G[t * E + e] = g[edgeB[e]] - g[edgeA[e]];
  }

  // Free states: drops Q (M x E), residuals, cost, Jacobian, gradient, and W = sum_m r_m q_m^T (T x E).
  const Q = new Float64Array(M * E);
  const W = new Float64Array(T * E);
  const jacobian = new Float64Array(M * T * E);
  const gradient = new Float64Array(E);
  const voltages = new Float64Array(N);
  let cost = 0;
  for (let m = 0; m < M; m++) {
    const ex = examples[m];
    const free = solver.free(ex.in, voltages);
    solves++;
    note(free.diagnostics, `the free state of example ${m}`);
    const v = free.voltages;
    const qo = m * E;
    for (let e = 0; e < E; e++) Q[qo + e] = v[edgeB[e]] - v[edgeA[e]];
    for (let t = 0; t < T; t++) {
      const r = v[targets[t]] - ex.out[t];
      cost += 0.5 * r * r;
      const jo = (m * T + t) * E;
      const go = t * E;
      for (let e = 0; e < E; e++) {
        const j = -G[go + e] * Q[qo + e];
        jacobian[jo + e] = j;
        gradient[e] += r * j;
        W[go + e] += r * Q[qo + e];
      }
    }
  }
  cost /= M;
  for (let e = 0; e < E; e++) gradient[e] /= M;

  // Gauss-Newton: (1/M) (G^T G) o (Q^T Q), upper triangle row by row, then mirrored.
  const gaussNewton = new Float64Array(E * E);
  const qq = new Float64Array(E);
  const gg = new Float64Array(E);
  const invM = 1 / M;
  for (let i = 0; i < E; i++) {
    qq.fill(0, i);
    gg.fill(0, i);
    for (let m = 0; m < M; m++) {
      const o = m * E;
      const qi = Q[o + i];
      if (qi === 0) continue;
      for (let j = i; j < E; j++) qq[j] += qi * Q[o + j];
    }
    for (let t = 0; t < T; t++) {
      const o = t * E;
      const gi = G[o + i];
      if (gi === 0) continue;
      for (let j = i; j < E; j++) gg[j] += gi * G[o + j];
    }
    const row = i * E;
    for (let j = i; j < E; j++) gaussNewton[row + j] = invM * gg[j] * qq[j];
  }
  mirrorUpper(gaussNewton, E);

  let full: Float64Array | null = null;
  if (secondOrder) {
    // Transfer resistances: row j of R = d_i . x_j for every i, with x_j = H_FF^{-1} d_j. Stored in `full`, then
    // replaced in place by the Hessian (each pair (i, j), i <= j, reads R_ij and R_ji once and writes both).
    full = new Float64Array(E * E);
    const isFree = new Uint8Array(N).fill(1);
    for (const i of solver.system.imposedNodes) isFree[i] = 0;
    const rhs = new Float64Array(N);
    const x = new Float64Array(N);
    for (let j = 0; j < E; j++) {
      const a = edgeA[j];
      const b = edgeB[j];
      if (a === b || (!isFree[a] && !isFree[b])) continue; // d_j vanishes on the free nodes: R row is 0
      rhs[a] = 0;
      rhs[b] = 0;
      rhs[b] += 1;
      rhs[a] -= 1;
      const r = solver.system.solveFree(rhs, x);
      solves++;
      note(r.diagnostics, `the transfer-resistance solve of edge ${j}`);
      rhs[a] = 0;
      rhs[b] = 0;
      const row = j * E;
      for (let i = 0; i < E; i++) full[row + i] = x[edgeB[i]] - x[edgeA[i]];
    }
    const s = new Float64Array(E);
    for (let i = 0; i < E; i++) {
      s.fill(0, i);
      for (let t = 0; t < T; t++) {
        const o = t * E;
        const gi = G[o + i];
        const wi = W[o + i];
        for (let j = i; j < E; j++) s[j] += gi * W[o + j] + wi * G[o + j];
      }
      const row = i * E;
      for (let j = i; j < E; j++) {
        const rij = 0.5 * (full[row + j] + full[j * E + i]);
        const h = gaussNewton[row + j] + invM * rij * s[j];
        full[row + j] = h;
        full[j * E + i] = h;
      }
    }
  }

  return { edges: E, examples: M, gaussNewton, full, cost, gradient, jacobian, diagnostics: { solves, maxSolveResidual: maxRes } };
}

/** Copy the upper triangle of an n x n row-major matrix onto the lower one. */
function mirrorUpper(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[j * n + i] = a[i * n + j];
}

/** The straightforward dense version: ml-matrix inverse of H_FF and per-example matrix products. */
function denseHessian(net: Network, task: Task, examples: Example[], secondOrder: boolean): CostHessianResult {
  const { edgeA, edgeB, conductance: k } = net;
  const E = edgeA.length;
  const N = net.nodes;
  const M = examples.length;
  const T = task.targets.length;
  const imposed = [...task.sources, ...task.ground];
  const imposedIndex = new Int32Array(N).fill(-1);
  imposed.forEach((n, i) => (imposedIndex[n] = i));
  const freeNodes: number[] = [];
  const freeIndex = new Int32Array(N).fill(-1);
  for (let n = 0; n < N; n++) if (imposedIndex[n] < 0) freeIndex[n] = freeNodes.push(n) - 1;
  const F = freeNodes.length;

  // H_FF and the free-to-imposed coupling; DF = incidence restricted to the free nodes (E x F).
  const A = Matrix.zeros(F, F);
  const DF = Matrix.zeros(E, F);
  for (let e = 0; e < E; e++) {
    const a = freeIndex[edgeA[e]];
    const b = freeIndex[edgeB[e]];
    if (edgeA[e] === edgeB[e]) continue;
    if (a >= 0) {
      A.set(a, a, A.get(a, a) + k[e]);
      DF.set(e, a, -1);
    }
    if (b >= 0) {
      A.set(b, b, A.get(b, b) + k[e]);
      DF.set(e, b, 1);
    }
    if (a >= 0 && b >= 0) {
      A.set(a, b, A.get(a, b) - k[e]);
      A.set(b, a, A.get(b, a) - k[e]);
    }
  }
  const Ainv = inverse(A);
  if (!Ainv.to1DArray().every(Number.isFinite)) throw new NumericalError('costHessian (dense): H_FF is singular (a component has no imposed node)');
  const X = Ainv.mmul(DF.transpose()); // F x E: columns x_j = H_FF^{-1} d_j
  const R = secondOrder ? DF.mmul(X) : null; // E x E transfer resistances
  const targetRows = Array.from(task.targets, (t) => freeIndex[t]);
  const XT = X.selection(targetRows, Array.from({ length: E }, (_, e) => e)); // T x E: G_Te = g_T . d_e
  const GT = Ainv.selection(targetRows, Array.from({ length: F }, (_, f) => f)); // T x F: g_T on the free nodes

  const gn = Matrix.zeros(E, E);
  const fullM = secondOrder ? Matrix.zeros(E, E) : null;
  const grad = Matrix.zeros(E, 1);
  const jacobian = new Float64Array(M * T * E);
  let cost = 0;
  let maxRes = 0;
  for (let m = 0; m < M; m++) {
    const ex = examples[m];
    const b = Matrix.zeros(F, 1);
    for (let e = 0; e < E; e++) {
      const fa = freeIndex[edgeA[e]];
      const fb = freeIndex[edgeB[e]];
      const ia = imposedIndex[edgeA[e]];
      const ib = imposedIndex[edgeB[e]];
      if (fa >= 0 && ib >= 0) b.set(fa, 0, b.get(fa, 0) + k[e] * imposedValue(ib, ex, task));
      if (fb >= 0 && ia >= 0) b.set(fb, 0, b.get(fb, 0) + k[e] * imposedValue(ia, ex, task));
    }
    const vF = Ainv.mmul(b);
    const res = A.mmul(vF).sub(b).norm() / Math.max(b.norm(), 1e-300);
    if (res > maxRes) maxRes = res;
    const v = new Float64Array(N);
    for (let f = 0; f < F; f++) v[freeNodes[f]] = vF.get(f, 0);
    imposed.forEach((n, i) => (v[n] = imposedValue(i, ex, task)));
    const dV = Matrix.zeros(1, E);
    for (let e = 0; e < E; e++) dV.set(0, e, v[edgeB[e]] - v[edgeA[e]]);
    // J_m = -(G o broadcast dV): T x E
    const J = XT.clone();
    for (let t = 0; t < T; t++) for (let e = 0; e < E; e++) J.set(t, e, -J.get(t, e) * dV.get(0, e));
    const r = Matrix.zeros(T, 1);
    for (let t = 0; t < T; t++) r.set(t, 0, v[task.targets[t]] - ex.out[t]);
    cost += 0.5 * r.dot(r);
    gn.add(J.transpose().mmul(J));
    grad.add(J.transpose().mmul(r));
    jacobian.set(J.to1DArray(), m * T * E);
    if (fullM && R) {
      const u = GT.transpose().mmul(r); // F x 1 adjoint
      const du = DF.mmul(u); // E x 1
      const outer = du.mmul(dV);
      fullM.add(R.clone().mul(outer.add(outer.transpose())));
    }
  }
  gn.div(M);
  const gaussNewton = Float64Array.from(gn.to1DArray());
  let full: Float64Array | null = null;
  if (fullM) {
    fullM.div(M).add(gn);
    full = Float64Array.from(fullM.to1DArray());
    symmetrise(full, E);
  }
  symmetrise(gaussNewton, E);
  return {
    edges: E,
    examples: M,
    gaussNewton,
    full,
    cost: cost / M,
    gradient: Float64Array.from(grad.div(M).getColumn(0)),
    jacobian,
    diagnostics: { solves: F, maxSolveResidual: maxRes },
  };
}

function imposedValue(i: number, ex: Example, task: Task): number {
  return i < task.sources.length ? ex.in[i] : 0;
}

function symmetrise(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = 0.5 * (a[i * n + j] + a[j * n + i]);
      a[i * n + j] = s;
      a[j * n + i] = s;
    }
  }
}
