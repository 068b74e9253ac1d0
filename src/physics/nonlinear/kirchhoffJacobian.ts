/**
 * The exact Kirchhoff Jacobian of a solved nonlinear network, and a solve with its free-free block.
 *
 * With `F_i(V)` the net current (A) leaving node i by the exact laws, `J = dF/dV` (S). For elements whose current
 * depends on the drop alone it is the Laplacian of the differential conductances, symmetric: the Newton matrix of
 * NonlinearSolver. A transistor edge's current depends on its mean voltage too (transistorLaw.ts), so its entries are
 * `dI/dV_a` and `dI/dV_b` without `dI/dV_a = -dI/dV_b`, and J is not symmetric. Sensitivities of the state need this
 * J: perturbing a parameter by `dtheta` moves the free voltages by `dV_F = -J_FF^-1 (dF_F/dtheta)`, and an imposed
 * voltage `V_j` moves them by `-J_FF^-1 J_Fj`. The symmetric matrix of the gate-referenced form would give wrong
 * sensitivities wherever current flows through a transistor.
 *
 * Dense (N x N, row-major): for boards of tens to a few hundred nodes (the calibration's use), where an LU with partial
 * pivoting (denseLu.ts) costs less than setting up a sparse one.
 */
import { DenseLu } from '../denseLu.js';
import { TransistorLaw } from './transistorLaw.js';
import type { TwoTerminalLaw } from './TwoTerminalLaw.js';

/**
 * `dF/dV` (S) over all nodes at `voltages` (V): entry `[i * nodes + j]` = dF_i/dV_j, F_i the net current leaving node
 * i by the edges' exact laws (transistor laws at their own means, not at the solver's reference).
 */
export function kirchhoffJacobian(nodes: number, edgeA: Int32Array, edgeB: Int32Array, laws: readonly TwoTerminalLaw[], voltages: ArrayLike<number>, out = new Float64Array(nodes * nodes)): Float64Array {
  out.fill(0);
  for (let e = 0; e < edgeA.length; e++) {
    const a = edgeA[e];
    const b = edgeB[e];
    const law = laws[e];
    let da: number;
    let db: number;
    if (law instanceof TransistorLaw) [da, db] = law.exactDerivatives(voltages[a], voltages[b]);
    else {
      da = law.slope(voltages[a] - voltages[b]);
      db = -da;
    }
    // I_e leaves a and enters b
    out[a * nodes + a] += da;
    out[a * nodes + b] += db;
    out[b * nodes + a] -= da;
    out[b * nodes + b] -= db;
  }
  return out;
}

/**
 * The LU factorisation of the free-free block `J_FF` (rows and columns `free`, in that order) of a Jacobian from
 * {@link kirchhoffJacobian}; null when there are no free nodes or the block is singular.
 */
export function freeBlockLu(jacobian: Float64Array, nodes: number, free: Int32Array): DenseLu | null {
  const nf = free.length;
  if (nf === 0) return null;
  const block = new Float64Array(nf * nf);
  for (let r = 0; r < nf; r++) for (let c = 0; c < nf; c++) block[r * nf + c] = jacobian[free[r] * nodes + free[c]];
  return DenseLu.factor(block, nf);
}
