/**
 * Diagnostics of nonlinear networks (issue 14 point 3), through the seam the linear ones already take.
 *
 * **Physical Hessian.** A nonlinear network's Hessian is the Jacobian of Kirchhoff's equations at a state: the Hessian
 * of the co-content there, i.e. the Laplacian of the differential conductances `g_e = dI_e/dx_e` (S). So the state's
 * **linearised network** — the same graph with conductances g_e — is a linear network whose Laplacian is that Hessian,
 * and every linear diagnostic (physicalSpectrum, localised modes, ...) takes it unchanged. For transistor edges g_e is
 * the slope of the gate-referenced form at the state's own mean (the co-content the solver minimises); the exact
 * Jacobian adds the mean-voltage term, which is not symmetric, and `asymmetry` reports its relative size
 * (||J - J^T||_F / ||J||_F, 0 for networks of two-terminal elements).
 *
 * **Cost Jacobian and Hessian** in the learning parameters theta (k in S, V_G in V): with the exact Jacobian J,
 * `dV_T/dtheta_e = -(w_T[a_e] - w_T[b_e]) dI_e/dtheta_e`, `w_T = J^-T e_T` (nonlinearGradient.ts derives it). The
 * Gauss-Newton part `(1/M) sum_m J_m^T J_m` is exact; the full Hessian adds the residual term, which needs the second
 * derivatives of every law and of the state: it is taken here by central differences of the exact adjoint gradient,
 * column by column (O(h^2), h relative to each parameter), then symmetrised.
 */
import { InvalidInputError } from '../errors.js';
import { DenseLu } from '../physics/denseLu.js';
import type { Network } from '../physics/Network.js';
import { initialParameters, lawsAt, withParameters } from '../physics/nonlinear/learningParameters.js';
import { edgeSensitivity, type EdgeSensitivity, parameterKind } from '../physics/nonlinear/learningParameters.js';
import { exactJacobian, nonlinearCostGradient } from '../physics/nonlinear/nonlinearGradient.js';
import { NonlinearStateSolver } from '../physics/nonlinear/NonlinearStateSolver.js';
import { TransistorLaw } from '../physics/nonlinear/transistorLaw.js';
import type { Example, Roles, Task } from '../physics/Task.js';

/** Smallest conductance given to an edge of the linearised network (S): a reverse-biased diode's slope underflows. */
export const LINEARISED_FLOOR = 1e-30;

/** The physical Hessian of a nonlinear network at one state. */
export interface NonlinearHessian {
  /** The network with conductances g_e (S) at the state: its Laplacian is the co-content's Hessian. */
  linearised: Network;
  /** The exact Kirchhoff Jacobian over the free nodes (S), dense row-major n x n, and each node's row (-1: imposed). */
  jacobian: { n: number; index: Int32Array; J: Float64Array };
  /** ||J - J^T||_F / ||J||_F: 0 for two-terminal elements, the transistors' mean-voltage term otherwise. */
  asymmetry: number;
  /** The state's node voltages (V). */
  voltages: Float64Array;
}

/** The physical Hessian of `net` (its own parameters) at the free state of `inputs` (V, in the order of roles.sources). */
export function nonlinearHessian(net: Network, roles: Roles, inputs: ArrayLike<number>): NonlinearHessian {
  const theta = initialParameters(net);
  const solver = new NonlinearStateSolver(net, roles);
  solver.setConductance(theta);
  const v = solver.free(inputs).voltages;
  const laws = lawsAt(net, theta);
  const g = new Float64Array(net.edgeA.length);
  for (let e = 0; e < g.length; e++) {
    const a = net.edgeA[e];
    const b = net.edgeB[e];
    const law = laws[e];
    if (law instanceof TransistorLaw) law.mean = 0.5 * (v[a] + v[b]);
    g[e] = Math.max(LINEARISED_FLOOR, law.slope(v[a] - v[b]));
  }
  const { elements: _drop, ...rest } = net;
  const linearised: Network = { ...rest, name: `${net.name} (linearised)`, conductance: g };
  const jacobian = exactJacobian(net, theta, roles, v);
  const { n, J } = jacobian;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      diff += (J[i * n + j] - J[j * n + i]) ** 2;
      norm += J[i * n + j] ** 2;
    }
  }
  return { linearised, jacobian, asymmetry: norm > 0 ? Math.sqrt(diff / 2 / norm) : 0, voltages: v };
}

/** dV_T/dtheta at a free state: |T| rows of E entries (V/S for conductances, V/V for gates, 0 without a parameter). */
export function nonlinearTargetJacobian(net: Network, theta: Float64Array, roles: Roles, voltages: Float64Array): Float64Array[] {
  return targetSensitivities(net, theta, roles, voltages).rows;
}

/**
 * The target Jacobian's rows and the targets' transfer resistances G_TT = (J^-1)_TT (ohm, |T| x |T|; row T', column
 * T: the voltage at T' per ampere injected at T) at a free state: the adjoint vectors w_T = J^-T e_T give both.
 */
function targetSensitivities(net: Network, theta: Float64Array, roles: Roles, voltages: Float64Array): { rows: Float64Array[]; gTT: number[][] } {
  const { n, index, J } = exactJacobian(net, theta, roles, voltages);
  const JT = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) JT[j * n + i] = J[i * n + j];
  const lu = DenseLu.factor(JT, n);
  if (!lu) throw new InvalidInputError({ field: 'network' }, 'the Kirchhoff Jacobian at the free state is singular (a node hangs on cut-off or reverse-biased elements only)');
  const laws = lawsAt(net, theta);
  const s: EdgeSensitivity = { dA: 0, dB: 0, dTheta: 0 };
  const E = net.edgeA.length;
  const dTheta = new Float64Array(E);
  for (let e = 0; e < E; e++) dTheta[e] = edgeSensitivity(net, laws[e], e, theta[e], voltages[net.edgeA[e]], voltages[net.edgeB[e]], s).dTheta;
  const ws = Array.from(roles.targets, (t) => {
    const rhs = new Float64Array(n);
    rhs[index[t]] = 1;
    return lu.solve(rhs);
  });
  // (J^-1)_{T' T} = e_T'^T J^-1 e_T = w_T'[T]
  const gTT = Array.from(roles.targets, (_, i) => Array.from(roles.targets, (t) => ws[i][index[t]]));
  const rows = ws.map((w) => {
    const row = new Float64Array(E);
    for (let e = 0; e < E; e++) {
      const ia = index[net.edgeA[e]];
      const ib = index[net.edgeB[e]];
      row[e] = dTheta[e] === 0 ? 0 : -((ia >= 0 ? w[ia] : 0) - (ib >= 0 ? w[ib] : 0)) * dTheta[e];
    }
    return row;
  });
  return { rows, gTT };
}

/** The cost Hessian of a nonlinear network in its learning parameters, dense row-major E x E. */
export interface NonlinearCostHessian {
  edges: number;
  /** Number of examples M averaged over. */
  examples: number;
  /** (1/M) sum_m J_m^T J_m (units of theta_i^-1 theta_j^-1 V^2). */
  gaussNewton: Float64Array;
  /** The full Hessian d2C/dtheta_i dtheta_j: Gauss-Newton plus the residual term (differences of the exact gradient). */
  full: Float64Array;
  /** The cost (1/M) sum_m 1/2 sum_T r^2 (V^2). */
  cost: number;
  /** dC/dtheta, the exact adjoint gradient averaged over the examples (V^2/S on conductances, V^2/V on gates). */
  gradient: Float64Array;
  /** Rows: for each example m and target t (row m |T| + t), dV_T/dtheta_e; (M |T|) x E row-major. */
  jacobian: Float64Array;
  /** Per example, the targets' transfer resistances (J^-1)_TT at its free state (ohm, |T| x |T|). */
  targetTransfer: number[][][];
}

/**
 * The cost Hessian over `examples` (default task.train) at the network's own parameters. Edges without a parameter
 * (diodes, tables) have zero rows and columns: their columns are not differenced.
 * @param opts.step relative step of the gradient differences (default 1e-5)
 */
export function nonlinearCostHessian(net: Network, task: Task, opts: { examples?: Example[]; step?: number } = {}): NonlinearCostHessian {
  const examples = opts.examples ?? task.train;
  const h = opts.step ?? 1e-5;
  const theta = initialParameters(net);
  const E = theta.length;
  const M = examples.length;
  const T = task.targets.length;
  const solver = new NonlinearStateSolver(net, task);
  const gn = new Float64Array(E * E);
  const jacobian = new Float64Array(M * T * E);
  const targetTransfer: number[][][] = [];
  solver.setConductance(theta);
  let cost = 0;
  examples.forEach((ex, m) => {
    const v = solver.free(ex.in).voltages;
    task.targets.forEach((t, i) => (cost += (0.5 * (v[t] - ex.out[i]) ** 2) / M));
    const { rows, gTT } = targetSensitivities(net, theta, task, v);
    targetTransfer.push(gTT);
    rows.forEach((row, t) => {
      jacobian.set(row, (m * T + t) * E);
      for (let i = 0; i < E; i++) {
        if (row[i] === 0) continue;
        for (let j = 0; j < E; j++) gn[i * E + j] += (row[i] * row[j]) / M;
      }
    });
  });
  const gradient = (th: Float64Array): Float64Array => {
    const s = new NonlinearStateSolver(withParameters(net, th), task);
    s.setConductance(th);
    const g = new Float64Array(E);
    for (const ex of examples) {
      const ge = nonlinearCostGradient(net, th, task, s.free(ex.in).voltages, ex.out);
      for (let e = 0; e < E; e++) g[e] += ge[e] / M;
    }
    return g;
  };
  const full = new Float64Array(E * E);
  for (let j = 0; j < E; j++) {
    if (parameterKind(net.elements?.[j]) === 'none') continue;
    const dj = h * Math.max(Math.abs(theta[j]), 1e-300);
    const p = Float64Array.from(theta);
    const m = Float64Array.from(theta);
    p[j] += dj;
    m[j] -= dj;
    const gp = gradient(p);
    const gm = gradient(m);
    for (let i = 0; i < E; i++) full[i * E + j] = (gp[i] - gm[i]) / (2 * dj);
  }
  for (let i = 0; i < E; i++) {
    for (let j = 0; j < i; j++) {
      const s = 0.5 * (full[i * E + j] + full[j * E + i]);
      full[i * E + j] = s;
      full[j * E + i] = s;
    }
  }
  return { edges: E, examples: M, gaussNewton: gn, full, cost, gradient: gradient(theta), jacobian, targetTransfer };
}
