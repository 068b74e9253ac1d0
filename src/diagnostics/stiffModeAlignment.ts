/**
 * The stiffest mode of the Gauss-Newton cost Hessian, matrix-free, and its alignment with the softest physical modes:
 * the large-network path of the "stiff cost-mode alignment" (modeCoupling.ts measures it densely, O(E^3), up to
 * ~2000 edges).
 *
 * Gauss-Newton Hessian (costHessian.ts, file comment): GN = (1/M) sum_m J_m^T J_m with J_m,Te = dV_T/dk_e =
 * -G_Te q_m,e, where G_Te = g_T(b_e) - g_T(a_e) are the edge drops of target T's Green's function (one solve of the
 * factored H_FF per target) and q_m = D V(m) the edge drops of example m's free state (one solve per example). So
 *
 *     GN v = (1/M) sum_m J_m^T (J_m v):   (J_m v)_T = -sum_e G_Te q_m,e v_e,   (J_m^T y)_e = -q_m,e sum_T G_Te y_T,
 *
 * 2 M |T| E multiply-adds per product and O((M + |T|) E) memory, never E x E. Lanczos (lanczos.ts) finds the largest
 * eigenpair. Why Gauss-Newton and not the full Hessian: the second-order term (1/M) sum_m R o (p q^T + q p^T) needs
 * the E x E transfer resistances R (one solve per edge per product, or E solves up front); it is proportional to the
 * residuals and so vanishes at a fit, while GN is positive semi-definite and is the curvature of the cost near one.
 *
 * The alignment statistic itself is modeCoupling's (alignmentOf / softModeDrops), so both paths measure the same
 * thing: the largest |cos| between the stiffest mode and the unit squared drops of the first `soft` non-zero physical
 * modes.
 */
import { InvalidInputError, NumericalError } from '../errors.js';
import type { SolveDiagnostics } from '../physics/LaplacianSystem.js';
import type { Network } from '../physics/Network.js';
import { StateSolver } from '../physics/StateSolver.js';
import type { Example, Task } from '../physics/Task.js';
import { checkProblem } from './costHessian.js';
import { lanczos } from './lanczos.js';
import { alignmentOf, softCount, softModeDrops } from './modeCoupling.js';

/** The Gauss-Newton operator of a task at the network's conductances. */
export interface GaussNewtonOperator {
  edges: number;
  /** y = GN x (x, y length E; x in S, y in V^2/S). */
  apply(x: Float64Array, y: Float64Array): void;
  /** Linear solves done to build it: |T| Green's functions + M free states. */
  solves: number;
}

/**
 * The matrix-free Gauss-Newton cost Hessian (1/M) sum_m J_m^T J_m of `task` on `net` (see the file comment).
 * @param examples the examples the cost averages over; default task.train
 * @throws InvalidInputError for bad inputs (checkProblem); NumericalError if a solve fails
 */
export function gaussNewtonOperator(net: Network, task: Task, examples: Example[] = task.train): GaussNewtonOperator {
  checkProblem(net, task, examples, 'gaussNewtonOperator');
  const { edgeA, edgeB } = net;
  const E = edgeA.length;
  const M = examples.length;
  const T = task.targets.length;
  const solver = new StateSolver(net, task);
  solver.setConductance(net.conductance);
  const note = (d: SolveDiagnostics, what: string): void => {
    if (!d.converged) throw new NumericalError(`gaussNewtonOperator: ${what} did not converge (relative residual ${d.residual})`);
  };
  const greens = solver.greenFunctions();
  note(greens.diagnostics, "a target Green's function solve");
  const G = new Float64Array(T * E);
  for (let t = 0; t < T; t++) {
    const g = greens.greens[t];
    for (let e = 0; e < E; e++) G[t * E + e] = g[edgeB[e]] - g[edgeA[e]];
  }
  const Q = new Float64Array(M * E);
  const v = new Float64Array(net.nodes);
  for (let m = 0; m < M; m++) {
    const free = solver.free(examples[m].in, v);
    note(free.diagnostics, `the free state of example ${m}`);
    const o = m * E;
    for (let e = 0; e < E; e++) Q[o + e] = free.voltages[edgeB[e]] - free.voltages[edgeA[e]];
  }
  const jv = new Float64Array(T);
  const invM = 1 / M;
  // The sign of J cancels in J^T J, so both products use +G q.
  const apply = (x: Float64Array, y: Float64Array): void => {
    y.fill(0);
    for (let m = 0; m < M; m++) {
      const o = m * E;
      for (let t = 0; t < T; t++) {
        const go = t * E;
        let s = 0;
        for (let e = 0; e < E; e++) s += G[go + e] * Q[o + e] * x[e];
        jv[t] = s * invM;
      }
      for (let t = 0; t < T; t++) {
        const go = t * E;
        const c = jv[t];
        for (let e = 0; e < E; e++) y[e] += c * G[go + e] * Q[o + e];
      }
    }
  };
  return { edges: E, apply, solves: T + M };
}

/** The stiffest Gauss-Newton mode and its alignment with the soft physical modes. */
export interface StiffModeAlignment {
  /** Largest eigenvalue of the Gauss-Newton Hessian, V^2/S^2. */
  value: number;
  /** Its unit eigenvector over the edges (sign arbitrary). */
  vector: Float64Array;
  /** modeCoupling's best.cosine with one stiff mode: max over the soft modes of |cos(vector, squared drops)|. */
  cosine: number;
  /** Index (among the non-zero soft modes) of the best-aligned physical mode. */
  softMode: number;
  /** Lanczos met its tolerance (lanczos.ts `converged`). */
  converged: boolean;
  /** GN products used by Lanczos. */
  operatorApplications: number;
}

/**
 * The stiff cost-mode alignment of a large network, matrix-free: the stiffest eigenvector of the Gauss-Newton Hessian
 * by Lanczos, then the same statistic as modeCoupling (`best.cosine` with stiff = 1) against `physical` (softest
 * eigenpairs of H_FF, ascending; zero modes skipped).
 * @param opts.soft soft modes compared (default min(10, non-zero modes given)); seed: Lanczos start (default 1)
 * @throws NumericalError when Lanczos does not converge (an unconverged vector would give a wrong cosine silently)
 */
export function stiffModeAlignment(
  net: Network,
  task: Task,
  physical: { values: ArrayLike<number>; vectors: Float64Array[] },
  opts: { soft?: number; seed?: number; examples?: Example[] } = {},
): StiffModeAlignment {
  const E = net.edgeA.length;
  const { values, drops } = softModeDrops(physical, net.edgeA, net.edgeB, E);
  const nSoft = softCount(opts.soft, values.length);
  const op = gaussNewtonOperator(net, task, opts.examples);
  const r = lanczos(E, op.apply, { k: 1, which: 'largest', seed: opts.seed ?? 1 });
  if (!r.converged) {
    throw new NumericalError(`stiffModeAlignment: Lanczos on the Gauss-Newton Hessian did not converge (${r.iterations} steps, residual ${r.residuals[0]})`);
  }
  if (!(r.values[0] > 0)) {
    throw new InvalidInputError({ source: 'stiffModeAlignment', field: 'task' }, `the Gauss-Newton Hessian is zero (largest eigenvalue ${r.values[0]}): no target responds to any conductance`);
  }
  const { best } = alignmentOf([r.vectors[0]], drops.slice(0, nSoft));
  return { value: r.values[0], vector: r.vectors[0], cosine: best.cosine, softMode: best.softMode, converged: r.converged, operatorApplications: r.operatorApplications };
}
