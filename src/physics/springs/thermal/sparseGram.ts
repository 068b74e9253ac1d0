/**
 * The sparse route to the {@link StrainPairGram} (README.md, "Sparse route"): the Green's functions of two strains
 * g_pq = c_p^T H^+ c_q and their floppy parts f_pq = (Q^T c_p) . (Q^T c_q), from the {@link StrainSolver}'s exact
 * zero-mode basis Q and its pinned sparse Cholesky, without any eigen-decomposition. Cost: the solver's construction
 * (ordering, zero-mode analysis, symbolic and numeric factorisation; ~1-2 s at 8,000 dof) and two sparse solves, against
 * O((dN)^3) for the dense normal modes.
 *
 * Why this equals the dense result exactly (in exact arithmetic): let P = I - Q Q^T project out null(H) (rigid and
 * floppy modes alike). H^+ = H^+ P, so g_pq = (P c_p)^T H^+ (P c_q). P c_q lies in range(H), so the force problem
 * "minimise 1/2 u^T H u - (P c_q) . u" is bounded and its least-norm minimiser is u_q = H^+ P c_q, which is what
 * `StrainSolver.solve([], P c_q)` returns (Green's function of the pinned stiffness matrix, then the zero-mode part
 * removed). Then g_pq = c_p . u_q (u_q has no zero-mode part, so c_p's does not count). Only the solver's public API is
 * used; nothing in StrainSolver was changed.
 */
import { InvalidInputError, NumericalError } from '../../../errors.js';
import { degreesOfFreedom, referenceDistance, type SpringNetwork } from '../SpringNetwork.js';
import { StrainSolver } from '../StrainSolver.js';
import { assertUnstressed, checkedStrain, type NodePair, rigidBasis, type StrainPairGram } from './strainGram.js';

/**
 * A functional couples to floppy modes when |Q_F^T c| > SPARSE_COUPLING_TOLERANCE |c| on the sparse route. 1e-8 is
 * the threshold the StrainSolver itself uses to decide that floppy modes hold a constraint direction (its
 * FLOPPY_COUPLING_TOLERANCE), so the thermal analysis and the linear response agree on which pairs a mechanism moves.
 * The basis Q is exact to its null residual (~1e-15 of max diag, StrainSolver.analysis.nullResidual), far below; the
 * same number serves as the rounding floor of a response (|g_ST| <= 1e-8 sqrt(g_SS g_TT) counts as none): the solves
 * are backward stable to ~1e-14 after refinement, so relative forward errors stay below 1e-8 for condition numbers up
 * to ~1e6.
 */
export const SPARSE_COUPLING_TOLERANCE = 1e-8;

/** Options of {@link sparseStrainPairGram}. */
export interface SparseGramOptions {
  /**
   * A solver already built on this network object (reused: its construction is the main cost). The Gram is then of
   * the solver's current stiffnesses (its last setStiffness), which a training loop may have changed.
   */
  solver?: StrainSolver;
}

/**
 * The Gram of the strains of two node pairs by the sparse route (module comment). `modes.route` is `sparse-cholesky`;
 * its eigenvalue fields are NaN (no eigenvalue is computed: the zero modes come from the solver's exact pivoting
 * analysis, not from a threshold on eigenvalues), `residual` is the largest relative force residual of the two solves.
 *
 * @throws InvalidInputError for a bad pair or a prestressed network; NumericalError if a solve did not converge.
 */
export function sparseStrainPairGram(net: SpringNetwork, pairs: [NodePair, NodePair], opts: SparseGramOptions = {}): StrainPairGram {
  const c = [checkedStrain(net, pairs[0], 'source pair'), checkedStrain(net, pairs[1], 'target pair')];
  assertUnstressed(net);
  const solver = opts.solver ?? new StrainSolver(net);
  if (solver.net !== net) {
    throw new InvalidInputError({ source: 'sparseStrainPairGram', field: 'solver' }, `the solver was built for the network ${solver.net.name}, not for this ${net.name}`, 'pass a StrainSolver constructed on the same network object');
  }
  const n = degreesOfFreedom(net);
  const zm = solver.zeroModes;
  const z = zm.count;
  const Q = zm.basis;
  // projections on the zero modes (rigid ones included: c . r = 0 analytically, so they measure rounding only)
  const proj = c.map((cp) => {
    const a = new Float64Array(z);
    for (let j = 0; j < z; j++) a[j] = dot(cp, Q.subarray(j * n, (j + 1) * n));
    return a;
  });
  const f: [number, number, number] = [dot(proj[0], proj[0]), dot(proj[0], proj[1]), dot(proj[1], proj[1])];
  const norms: [number, number] = [dot(c[0], c[0]), dot(c[1], c[1])];
  const u: Float64Array[] = [];
  let residual = 0;
  let iterations = 0;
  let converged = true;
  c.forEach((cp, p) => {
    const pc = cp.slice();
    for (let j = 0; j < z; j++) {
      const a = proj[p][j];
      if (a === 0) continue;
      const q = Q.subarray(j * n, (j + 1) * n);
      for (let i = 0; i < n; i++) pc[i] -= a * q[i];
    }
    const r = solver.solve([], pc);
    u.push(r.displacements);
    residual = Math.max(residual, r.diagnostics.residual);
    iterations = Math.max(iterations, r.diagnostics.iterations);
    converged &&= r.diagnostics.converged;
  });
  if (!converged) {
    throw new NumericalError(`Green's functions of ${net.name}: the sparse solve did not converge (relative force residual ${residual.toExponential(2)})`);
  }
  const g00 = dot(c[0], u[0]);
  const g11 = dot(c[1], u[1]);
  // symmetric in exact arithmetic; the mean of the two halves is as accurate as either
  const g01 = 0.5 * (dot(c[0], u[1]) + dot(c[1], u[0]));
  let rigid = 0;
  for (const r of rigidBasis(net)) for (let p = 0; p < 2; p++) rigid = Math.max(rigid, Math.abs(dot(c[p], r)) / Math.sqrt(norms[p]));
  return {
    pairs: [[pairs[0][0], pairs[0][1]], [pairs[1][0], pairs[1][1]]],
    compliance: [g00, g01, g11],
    floppy: f,
    lengths: [referenceDistance(net, pairs[0][0], pairs[0][1]), referenceDistance(net, pairs[1][0], pairs[1][1])],
    norms,
    couplingTolerance: SPARSE_COUPLING_TOLERANCE,
    modes: {
      route: 'sparse-cholesky',
      dof: n,
      zeroModes: z,
      rigidModes: zm.rigid,
      floppyModes: zm.floppy,
      largestEigenvalue: NaN,
      smallestNonzeroEigenvalue: NaN,
      zeroThreshold: NaN,
      rigidLeak: rigid,
      converged,
      iterations,
      residual,
      nullResidual: zm.nullResidual,
    },
  };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}
