/**
 * Sparse solves with the exact Kirchhoff Jacobian of a nonlinear network, `J d = r` and `J^T u = r` on the free nodes,
 * for networks too large for the dense LU (nonlinearGradient.ts MAX_DENSE_NODES).
 *
 * J (S) has the Laplacian's sparsity pattern: edge e adds `dI/dV_a` and `dI/dV_b` to its endpoints' rows (the
 * transistor's mean-voltage term makes them differ, kirchhoffJacobian.ts). Its symmetric part per edge is the
 * gate-referenced differential conductance `g_e = (dI/dV_a - dI/dV_b) / 2` (the co-content Hessian's, >= 0 for every
 * element here), so J = H + (skew and mean terms) with H the grounded Laplacian of g: the matrix NonlinearSolver already
 * factorises at every Newton step. The solve is flexible GMRES (sparse/Gmres.ts) right-preconditioned by that factor,
 * through the solver's own {@link LaplacianSystem} (its fill-reducing ordering and symbolic analysis are reused; only
 * the numeric factorisation is redone). Measured: a handful of iterations on the 64 x 64 transistor lattice.
 *
 * Why not a sparse LU: J is structurally symmetric and close to H, so the factor the project already has (Cholesky)
 * plus a few products with J costs less than a second factorisation with pivoting would, and needs no new kernel; no
 * npm package for sparse LU or GMRES that fits (typed arrays, Node 20, maintained) was found.
 *
 * Vectors are indexed by node id (length N); entries at the system's imposed nodes are ignored on input and 0 on output.
 */
import { NumericalError } from '../../errors.js';
import type { LaplacianSystem } from '../LaplacianSystem.js';
import type { Network } from '../Network.js';
import { Gmres } from '../sparse/Gmres.js';
import { edgeSensitivity, type EdgeSensitivity, lawsAt } from './learningParameters.js';

/**
 * Free nodes up to which the callers (a stalled state's exact-Newton finish, the adjoint gradient) factorise the exact
 * Jacobian densely instead (LU, O(n^3)). Measured on the bench's transistor lattices at a solved state, one Jacobian
 * and one solve (Node 20, load about 4): 168 free nodes 0.57 ms dense, 0.56 ms sparse; 288: 10.8 ms and 1.9 ms;
 * 960: 51 ms and 7.6 ms; 48: 0.6 ms and 1.9 ms.
 */
export const DENSE_JACOBIAN_NODES = 200;
/** Default relative residual target of a sparse Jacobian solve: near double precision, as a direct solve's. */
export const SPARSE_JACOBIAN_TOLERANCE = 1e-13;
/** Default Krylov iterations at most per solve. */
export const SPARSE_JACOBIAN_MAX_ITERATIONS = 400;
/** Krylov dimension per GMRES cycle. */
export const GMRES_RESTART = 40;
/** Floor of the preconditioner's conductances (S): the Newton solver's default slopeFloor (SPICE's gmin). */
const PRECONDITIONER_FLOOR = 1e-12;

/** A solve's answer and what it reports about itself, as the rest of the solver does. */
export interface JacobianSolve {
  /** Solution by node id (V for J d = r with r in A; imposed nodes 0). */
  x: Float64Array;
  /** Relative residual ||r - J x||_2 / ||r||_2 over the free nodes met the tolerance. */
  converged: boolean;
  /** GMRES iterations. */
  iterations: number;
  /** That relative residual, recomputed after the solve. */
  residual: number;
}

export class SparseExactJacobian {
  readonly nodes: number;
  private readonly dA: Float64Array;
  private readonly dB: Float64Array;
  private readonly g: Float64Array;
  private readonly held: Uint8Array;
  private readonly gmres: Gmres;
  private readonly rhs: Float64Array;
  private loaded = false;

  /**
   * @param system a Laplacian system of the network's edges whose imposed nodes are the ones J leaves out (its factor
   *   is overwritten by {@link setDerivatives})
   */
  constructor(
    readonly system: LaplacianSystem,
    private readonly edgeA: Int32Array,
    private readonly edgeB: Int32Array,
    restart = GMRES_RESTART,
  ) {
    const N = system.nodes;
    this.nodes = N;
    const E = edgeA.length;
    this.dA = new Float64Array(E);
    this.dB = new Float64Array(E);
    this.g = new Float64Array(E);
    this.held = new Uint8Array(N);
    for (const i of system.imposedNodes) this.held[i] = 1;
    this.gmres = new Gmres(N, restart);
    this.rhs = new Float64Array(N);
  }

  /**
   * Load J's edge entries, `dI_e/dV_a` and `dI_e/dV_b` (S, length E each), and factorise the preconditioner: the
   * Laplacian of `max(floor, (dA - dB)/2)`, the floor raised (relative to the largest slope) only if the factorisation
   * needs it, as NonlinearSolver.factorise does. Throws NumericalError if no floor makes it factorise.
   */
  setDerivatives(dA: Float64Array, dB: Float64Array): void {
    this.dA.set(dA);
    this.dB.set(dB);
    const E = dA.length;
    let top = 0;
    for (let e = 0; e < E; e++) top = Math.max(top, 0.5 * (dA[e] - dB[e]));
    this.loaded = false;
    for (let range = 0; range <= 1; range = range === 0 ? 1e-14 : range * 1e3) {
      const floor = Math.max(PRECONDITIONER_FLOOR, range * top);
      for (let e = 0; e < E; e++) {
        const s = 0.5 * (dA[e] - dB[e]);
        this.g[e] = s >= floor ? s : floor;
      }
      try {
        this.system.setConductance(this.g);
        this.loaded = true;
        return;
      } catch (err) {
        if (!(err instanceof NumericalError)) throw err;
      }
    }
    throw new NumericalError('the preconditioner of the exact Kirchhoff Jacobian (Laplacian of the differential conductances) does not factorise');
  }

  /**
   * Solve `J x = r` (or `J^T x = r` with `transpose`) on the free nodes.
   * @param r right-hand side by node id (A for J, imposed entries ignored)
   * @param tolerance relative residual target (default {@link SPARSE_JACOBIAN_TOLERANCE})
   */
  solve(r: ArrayLike<number>, transpose = false, tolerance = SPARSE_JACOBIAN_TOLERANCE, maxIterations = SPARSE_JACOBIAN_MAX_ITERATIONS): JacobianSolve {
    if (!this.loaded) throw new NumericalError('SparseExactJacobian: call setDerivatives() before solving');
    const { held, rhs, edgeA, edgeB, dA, dB } = this;
    const N = this.nodes;
    for (let i = 0; i < N; i++) rhs[i] = held[i] ? 0 : r[i];
    const E = edgeA.length;
    const apply = transpose
      ? (x: Float64Array, out: Float64Array): void => {
          out.fill(0);
          // column a of J holds dA at row a and -dA at row b: (J^T u)_a = dA (u_a - u_b), likewise for b
          for (let e = 0; e < E; e++) {
            const d = x[edgeA[e]] - x[edgeB[e]];
            out[edgeA[e]] += dA[e] * d;
            out[edgeB[e]] += dB[e] * d;
          }
          for (let i = 0; i < N; i++) if (held[i]) out[i] = 0;
        }
      : (x: Float64Array, out: Float64Array): void => {
          out.fill(0);
          // dI_e = dA dV_a + dB dV_b leaves a and enters b
          for (let e = 0; e < E; e++) {
            const i = dA[e] * x[edgeA[e]] + dB[e] * x[edgeB[e]];
            out[edgeA[e]] += i;
            out[edgeB[e]] -= i;
          }
          for (let i = 0; i < N; i++) if (held[i]) out[i] = 0;
        };
    const precondition = (v: Float64Array, out: Float64Array): void => {
      this.system.solveFree(v, out);
    };
    const x = new Float64Array(N);
    const res = this.gmres.solve(apply, precondition, rhs, x, tolerance, maxIterations);
    return { x, converged: res.converged, iterations: res.iterations, residual: res.residual };
  }
}

/** The exact law's `dI_e/dV_a`, `dI_e/dV_b` (S) of every edge at parameters `theta` and node voltages (V). */
export function exactEdgeDerivatives(net: Network, theta: Float64Array, voltages: ArrayLike<number>, dA = new Float64Array(net.edgeA.length), dB = new Float64Array(net.edgeA.length)): { dA: Float64Array; dB: Float64Array } {
  const laws = lawsAt(net, theta);
  const s: EdgeSensitivity = { dA: 0, dB: 0, dTheta: 0 };
  for (let e = 0; e < net.edgeA.length; e++) {
    edgeSensitivity(net, laws[e], e, theta[e], voltages[net.edgeA[e]], voltages[net.edgeB[e]], s);
    dA[e] = s.dA;
    dB[e] = s.dB;
  }
  return { dA, dB };
}
