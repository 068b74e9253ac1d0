/**
 * The exact cost gradient of a nonlinear network by one adjoint solve.
 *
 * Kirchhoff's law at the free nodes, `F_i(V, theta) = sum_{e: a_e = i} I_e - sum_{e: b_e = i} I_e = 0` (A), defines the
 * free state V(theta). Differentiating, `J dV/dtheta_e = -dF/dtheta_e` with the exact Jacobian `J = dF/dV_free` (S) and
 * `dF/dtheta_e = dI_e/dtheta_e (u_{a_e} - u_{b_e})` (the edge's current enters its two endpoints with opposite signs).
 * For `C = 1/2 sum_T (V_T - V_T^*)^2` and the adjoint `u = J^{-T} E_T r`, `r = V_T - V_T^*`:
 *
 *     dC/dtheta_e = r^T dV_T/dtheta_e = -(u_{a_e} - u_{b_e}) dI_e/dtheta_e.
 *
 * For two-terminal elements J is the Laplacian of differential conductances (symmetric, the co-content's Hessian);
 * a transistor's current depends on its mean voltage too, which adds `dI/dm` to both columns and makes J non-symmetric
 * (README "The transistor is not a gradient field"). One solve with J^T serves every kind: a dense LU on small networks,
 * the sparse GMRES solve of sparseJacobian.ts on large ones (exactJacobian, dense, stays limited to
 * {@link MAX_DENSE_NODES}: the diagnostics use it). For a linear network this is costGradient's formula (dI/dk = x):
 * `-(dU_e)(dV_e)`.
 */
import { InvalidInputError, NumericalError } from '../../errors.js';
import { DenseLu } from '../denseLu.js';
import { LaplacianSystem } from '../LaplacianSystem.js';
import type { Network } from '../Network.js';
import type { Roles } from '../Task.js';
import { edgeSensitivity, type EdgeSensitivity, lawsAt } from './learningParameters.js';
import { DENSE_JACOBIAN_NODES, exactEdgeDerivatives, SPARSE_JACOBIAN_TOLERANCE, SparseExactJacobian } from './sparseJacobian.js';

/** Free nodes above which the dense Jacobian is refused (8 bytes x n^2: 32 MB at 2000). */
export const MAX_DENSE_NODES = 2000;

/** The exact Kirchhoff Jacobian over the free nodes, dense row-major, and the index of each node in it (-1: imposed). */
export function exactJacobian(
  net: Network,
  theta: Float64Array,
  roles: Pick<Roles, 'sources' | 'ground'>,
  voltages: Float64Array,
  extraImposed: ArrayLike<number> = [],
  /** Return an empty J (n = count) instead of refusing a network above MAX_DENSE_NODES: the caller has a fallback. */
  sizeOnly = false,
): { n: number; index: Int32Array; J: Float64Array } {
  const N = net.nodes;
  const index = new Int32Array(N).fill(0);
  for (const i of roles.sources) index[i] = -1;
  for (const i of roles.ground) index[i] = -1;
  for (let i = 0; i < extraImposed.length; i++) index[extraImposed[i]] = -1;
  let n = 0;
  for (let i = 0; i < N; i++) if (index[i] === 0) index[i] = n++;
  else index[i] = -1;
  // (the loop above leaves imposed nodes at -1 and numbers the free ones 0..n-1)
  if (n > MAX_DENSE_NODES && sizeOnly) return { n, index, J: new Float64Array(0) };
  if (n > MAX_DENSE_NODES) {
    throw new InvalidInputError({ field: 'network' }, `the exact gradient of a nonlinear network uses a dense Jacobian, limited to ${MAX_DENSE_NODES} free nodes; this one has ${n}`, 'use a smaller network for the exact gradient and the diagnostics');
  }
  const J = new Float64Array(n * n);
  const laws = lawsAt(net, theta);
  const s: EdgeSensitivity = { dA: 0, dB: 0, dTheta: 0 };
  for (let e = 0; e < net.edgeA.length; e++) {
    const a = net.edgeA[e];
    const b = net.edgeB[e];
    edgeSensitivity(net, laws[e], e, theta[e], voltages[a], voltages[b], s);
    const ia = index[a];
    const ib = index[b];
    // F_a += I_e, F_b -= I_e
    if (ia >= 0) {
      J[ia * n + ia] += s.dA;
      if (ib >= 0) J[ia * n + ib] += s.dB;
    }
    if (ib >= 0) {
      J[ib * n + ib] -= s.dB;
      if (ia >= 0) J[ib * n + ia] -= s.dA;
    }
  }
  return { n, index, J };
}

/**
 * dC/dtheta_e at the free state `voltages` for parameters `theta` (learningParameters.ts): V^2/S for conductances,
 * V^2/V = V for gate voltages, 0 for edges without a parameter. The adjoint `J^T u = E_T r` is solved by a dense LU up
 * to DENSE_JACOBIAN_NODES free nodes (sparseJacobian.ts, where it is the faster), above that by the sparse solve
 * (GMRES preconditioned by the co-content Hessian's Cholesky factor), on any size.
 * @param sparse the sparse solver to use above DENSE_JACOBIAN_NODES ({@link sparseJacobianFor}; its system's imposed
 *   nodes must be the roles' sources and ground). Default: one made for this call (a fill-reducing ordering and a
 *   symbolic analysis each time, so a caller that takes many gradients of one network passes its own).
 */
export function nonlinearCostGradient(net: Network, theta: Float64Array, roles: Roles, voltages: Float64Array, desired: ArrayLike<number>, out = new Float64Array(net.edgeA.length), sparse?: SparseExactJacobian): Float64Array {
  const N = net.nodes;
  const free = N - new Set([...roles.sources, ...roles.ground]).size;
  // u by node id (imposed nodes 0)
  let u: Float64Array;
  if (free <= DENSE_JACOBIAN_NODES) {
    const { n, index, J } = exactJacobian(net, theta, roles, voltages);
    const JT = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) JT[j * n + i] = J[i * n + j];
    const lu = DenseLu.factor(JT, n);
    if (!lu) throw new NumericalError('the Kirchhoff Jacobian at the free state is singular (a node hangs on cut-off or reverse-biased elements only)');
    const rhs = new Float64Array(n);
    roles.targets.forEach((t, i) => (rhs[index[t]] += voltages[t] - desired[i]));
    const x = lu.solve(rhs);
    u = new Float64Array(N);
    for (let i = 0; i < N; i++) if (index[i] >= 0) u[i] = x[index[i]];
  } else {
    const s = sparse ?? sparseJacobianFor(net, roles);
    const { dA, dB } = exactEdgeDerivatives(net, theta, voltages);
    s.setDerivatives(dA, dB);
    const rhs = new Float64Array(N);
    roles.targets.forEach((t, i) => (rhs[t] += voltages[t] - desired[i]));
    const r = s.solve(rhs, true);
    if (!r.converged && !(r.residual <= ADJOINT_ACCEPT)) {
      throw new NumericalError(`the adjoint solve with the exact Kirchhoff Jacobian did not converge (relative residual ${r.residual.toExponential(2)} after ${r.iterations} GMRES iterations, tolerance ${SPARSE_JACOBIAN_TOLERANCE.toExponential(0)})`);
    }
    u = r.x;
  }
  const laws = lawsAt(net, theta);
  const s: EdgeSensitivity = { dA: 0, dB: 0, dTheta: 0 };
  for (let e = 0; e < net.edgeA.length; e++) {
    const a = net.edgeA[e];
    const b = net.edgeB[e];
    edgeSensitivity(net, laws[e], e, theta[e], voltages[a], voltages[b], s);
    out[e] = s.dTheta === 0 ? 0 : -(u[a] - u[b]) * s.dTheta;
  }
  return out;
}

/** Relative residual of an adjoint solve accepted when GMRES stops short of its tolerance (rounding): 8 digits left. */
const ADJOINT_ACCEPT = 1e-8;

/** A sparse exact-Jacobian solver over the free nodes of `roles` (sources and ground imposed), for nonlinearCostGradient. */
export function sparseJacobianFor(net: Network, roles: Pick<Roles, 'sources' | 'ground'>): SparseExactJacobian {
  const imposed = Int32Array.from(new Set([...roles.sources, ...roles.ground]));
  return new SparseExactJacobian(new LaplacianSystem(net.nodes, net.edgeA, net.edgeB, imposed), net.edgeA, net.edgeB);
}
