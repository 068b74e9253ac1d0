import { InvalidInputError, NumericalError, show } from '../../errors.js';
import { adjacencyOfCsr } from '../sparse/AdjacencyGraph.js';
import { type CsrMatrix, csrFind, csrFromTriplets, csrMatVec } from '../sparse/CsrMatrix.js';
import { SupernodalCholesky } from '../sparse/SupernodalCholesky.js';
import { SymbolicFactor } from '../sparse/SymbolicFactor.js';
import { smallSolve, smallSymmetricEigen } from './smallDense.js';
import { degreesOfFreedom, referenceDistance, type SpringNetwork, springCount } from './SpringNetwork.js';
import { bondDirections, springExtensions, stiffnessTimes, strainVector } from './stiffnessMatrix.js';
import { type StrainDirection, strainDirections, type StrainTask } from './StrainTask.js';
import { analyseZeroModes, dot, norm, ZERO_PIVOT_TOLERANCE, type ZeroModeAnalysis } from './zeroModes.js';

/** One imposed strain: eps_ij = b_ij . (u_j - u_i) / l_ij = strain (dimensionless). */
export interface StrainConstraint {
  /** The node pair [i, j] (need not be a spring). */
  pair: readonly [number, number];
  /** The strain imposed (dimensionless). */
  strain: number;
}

/** Options of {@link StrainSolver}. */
export interface StrainSolverOptions {
  /** Zero-pivot tolerance of the zero-mode analysis (relative to the pivot's diagonal entry). Default {@link ZERO_PIVOT_TOLERANCE}. */
  zeroPivotTolerance?: number;
}

/** What the constructor found and what it cost. */
export interface StrainSolverAnalysis {
  /** Degrees of freedom d N. */
  dofs: number;
  /** dim null(H) = rigid + floppy. */
  zeroModes: number;
  /** Independent rigid-body modes (3 in 2D, 6 in 3D unless degenerate). */
  rigidModes: number;
  /** Floppy modes: zero modes of H that are not rigid motions (dN - rank H - rigid). */
  floppyModes: number;
  /** Dofs pinned to remove the zero modes (one per zero mode). */
  pinnedDofs: number;
  /** Nonzeros of the sparse Cholesky factor of the pinned stiffness matrix (diagonal included). */
  nnzL: number;
  /** max_j ||H_1 q_j|| / max diag(H_1) over the computed zero-mode basis (H_1: unit stiffness); ~1e-15 when exact. */
  nullResidual: number;
  /** Time for the ordering, the zero-mode analysis and the symbolic factorisation (ms). */
  analysisMs: number;
}

/** Diagnostics of one linear-response solve. */
export interface ResponseDiagnostics {
  /** residual <= {@link RESPONSE_ACCEPT}. */
  converged: boolean;
  /** max(forceResidual, strainResidual). */
  residual: number;
  /**
   * Force balance at every dof: ||H u - C lambda - f||_2 over the largest of the terms' own sizes, ||f||_2,
   * ||C lambda||_2, ||H u||_2 and sqrt(2) ||k ext||_2 (the spring tensions before they cancel at the nodes). Not their
   * sum's size: when the constraint alone balances the force (f on a spring joining a constrained pair, strain 0), u,
   * H u and f + C lambda are all rounding, and only the terms say how large an error would matter.
   */
  forceResidual: number;
  /**
   * The constraints: max_k |c_k . u - eps_k| / max(|eps_k|, ||c_k|| s), s the largest of ||u|| and the sizes of the
   * terms u is summed from (||G f||, |lambda_k| ||G c_k||, the floppy amplitudes): the strain those terms could make.
   */
  strainResidual: number;
  /** Largest number of sparse triangular solves per right-hand side (1 + refinement steps). */
  iterations: number;
  /** Floppy modes of the network (not rigid motions). */
  floppyModes: number;
  /** Number of independent constraint directions that floppy modes can satisfy at zero energy (0..constraints). */
  floppyConstraints: number;
}

/** The linear response to imposed strains (and an optional force). */
export interface LinearResponse {
  /** Displacements u (length unit), interleaved, length d N: the minimum-norm minimiser (see {@link StrainSolver.solve}). */
  displacements: Float64Array;
  /** Spring extensions ext_e = b_e . (u_b - u_a) (length unit), length E. */
  extensions: Float64Array;
  /** Elastic energy E = 1/2 sum_e k_e ext_e^2 (energy unit). */
  energy: number;
  /** Constraint forces lambda_k (energy unit; force = lambda_k c_k), one per constraint: H u = sum_k lambda_k c_k + f. */
  forces: Float64Array;
  /** Strains achieved c_k . u, one per constraint (dimensionless). */
  strains: Float64Array;
  diagnostics: ResponseDiagnostics;
}

/** The two states of one direction of a strain task. */
export interface StrainDirectionStates {
  direction: StrainDirection;
  /** Free state: the source strain imposed. */
  free: LinearResponse;
  /** Clamped state: the source strain and the target strain eps_T^F + eta (Delta - eps_T^F) imposed. */
  clamped: LinearResponse;
  /** Target strain in the free state, eps_T^F. */
  freeTarget: number;
  /** Target strain imposed in the clamped state. */
  clampedTarget: number;
}

/** A solve is reported converged when its residual is at most this. */
export const RESPONSE_ACCEPT = 1e-9;
/** Iterative refinement of a sparse solve while its relative residual exceeds this. */
const REFINE_ABOVE = 1e-14;
const MAX_REFINEMENT_STEPS = 2;
/** A constraint direction counts as held by floppy modes when sigma(C^T Q) exceeds this times max ||c_k||. */
const FLOPPY_COUPLING_TOLERANCE = 1e-8;
/** Constraint vectors are dependent when the smallest eigenvalue of C^T C is below this times the largest. */
const DEPENDENT_TOLERANCE = 1e-12;
/** Rest lengths may differ from the reference distances by this much, relative, before the network counts as prestressed. */
const PRESTRESS_TOLERANCE = 1e-9;

/**
 * Exact linear response of an unstressed spring network to imposed strains: minimise E = 1/2 u^T H u subject to
 * c_k . u = eps_k (k = 1..m), H = sum_e k_e B_e B_e^T. Stationarity: H u = sum_k lambda_k c_k (plus an optional force f).
 *
 * Zero modes (rigid and floppy) are handled exactly (src/physics/springs/README.md): the constructor finds null(H) once
 * (it does not depend on k > 0) and the dofs P to pin so that K = H_RR on the other dofs R is positive definite; it
 * orders and analyses K once. {@link setStiffness} refactorises numerically. A solve uses Green's functions g_k = K^-1
 * c_k, the orthonormal zero-mode basis Q and the small system [C^T G C, C^T Q; Q^T C, 0] (one row per constraint and
 * zero mode), solved by splitting the constraint directions that floppy modes can satisfy from those they cannot.
 */
export class StrainSolver {
  readonly net: SpringNetwork;
  /** Unit bond vectors b_e at the reference positions, interleaved. */
  readonly directions: Float64Array;
  readonly analysis: StrainSolverAnalysis;
  readonly zeroModes: ZeroModeAnalysis;
  private readonly n: number;
  /** Local index in R of each dof, -1 for pinned dofs. */
  private readonly localOf: Int32Array;
  private readonly rDofs: Int32Array;
  private readonly matrix: CsrMatrix;
  /** Per spring, (2d)^2 CSR positions of its entries in K (-1 where a dof is pinned). */
  private readonly pos: Int32Array;
  private readonly cholesky: SupernodalCholesky;
  private readonly k: Float64Array;
  private factored = false;

  constructor(net: SpringNetwork, options: StrainSolverOptions = {}) {
    const t0 = performance.now();
    const E = springCount(net);
    for (let e = 0; e < E; e++) {
      const d = referenceDistance(net, net.edgeA[e], net.edgeB[e]);
      if (!(Math.abs(net.restLength[e] - d) <= PRESTRESS_TOLERANCE * d)) {
        throw new InvalidInputError(
          { source: net.name, field: `restLengths[${e}]` },
          `rest length ${show(net.restLength[e])} differs from the spring's reference distance ${show(d)}: the network is prestressed, ` +
            'not in force balance at its reference positions, and the linear-response solver takes unstressed networks only',
          'leave "restLengths" out of the file (each rest length is then its spring\'s reference distance)',
        );
      }
    }
    this.net = net;
    this.n = degreesOfFreedom(net);
    this.directions = bondDirections(net);
    this.zeroModes = analyseZeroModes(net, this.directions, options.zeroPivotTolerance ?? ZERO_PIVOT_TOLERANCE);
    const n = this.n;
    const localOf = new Int32Array(n).fill(0);
    for (const p of this.zeroModes.pinned) localOf[p] = -1;
    let nr = 0;
    for (let i = 0; i < n; i++) if (localOf[i] === 0) localOf[i] = nr++;
    // (the loop above numbered R in ascending dof order; pinned dofs stay -1)
    this.localOf = localOf;
    this.rDofs = new Int32Array(nr);
    for (let i = 0; i < n; i++) if (localOf[i] >= 0) this.rDofs[localOf[i]] = i;

    const { dim, edgeA, edgeB } = net;
    const w = 2 * dim;
    const rows: number[] = [];
    const cols: number[] = [];
    for (let r = 0; r < nr; r++) {
      rows.push(r);
      cols.push(r);
    }
    const dofsOf = (e: number, t: number): number => (t < dim ? dim * edgeA[e] + t : dim * edgeB[e] + t - dim);
    for (let e = 0; e < E; e++) {
      for (let p = 0; p < w; p++) {
        const lp = localOf[dofsOf(e, p)];
        if (lp < 0) continue;
        for (let q = 0; q < w; q++) {
          const lq = localOf[dofsOf(e, q)];
          if (lq < 0) continue;
          rows.push(lp);
          cols.push(lq);
        }
      }
    }
    this.matrix = csrFromTriplets(nr, rows, cols, new Float64Array(rows.length));
    this.pos = new Int32Array(E * w * w).fill(-1);
    for (let e = 0; e < E; e++) {
      for (let p = 0; p < w; p++) {
        const lp = localOf[dofsOf(e, p)];
        if (lp < 0) continue;
        for (let q = 0; q < w; q++) {
          const lq = localOf[dofsOf(e, q)];
          if (lq >= 0) this.pos[e * w * w + p * w + q] = csrFind(this.matrix, lp, lq);
        }
      }
    }
    // Order K by the zero-mode analysis' order (fill-reducing on the node graph, postordered), pins left out.
    const order = new Int32Array(nr);
    let t = 0;
    for (const dof of this.zeroModes.order) if (localOf[dof] >= 0) order[t++] = localOf[dof];
    const symbolic = new SymbolicFactor(adjacencyOfCsr(this.matrix), this.matrix.rowPtr, this.matrix.colIdx, order);
    this.cholesky = new SupernodalCholesky(symbolic);
    this.k = new Float64Array(E);
    this.analysis = {
      dofs: n,
      zeroModes: this.zeroModes.count,
      rigidModes: this.zeroModes.rigid,
      floppyModes: this.zeroModes.floppy,
      pinnedDofs: this.zeroModes.pinned.length,
      nnzL: symbolic.nnzL,
      nullResidual: this.zeroModes.nullResidual,
      analysisMs: performance.now() - t0,
    };
    this.setStiffness(net.stiffness);
  }

  /** The stiffnesses of the last {@link setStiffness} (a copy; energy / length^2). */
  get stiffness(): Float64Array {
    return this.k.slice();
  }

  /**
   * Set the stiffnesses k_e (finite, > 0; energy / length^2; copied) and refactorise K numerically. The ordering, the
   * symbolic factorisation and the zero modes are kept: none depends on k.
   */
  setStiffness(k: Float64Array): void {
    const E = springCount(this.net);
    if (k.length !== E) throw new InvalidInputError({ source: this.net.name, field: 'stiffness' }, `must have one stiffness per spring (${E}), got ${k.length}`);
    for (let e = 0; e < E; e++) {
      if (!(Number.isFinite(k[e]) && k[e] > 0)) {
        throw new InvalidInputError({ source: this.net.name, field: `stiffness[${e}]` }, `must be finite and > 0, got ${show(k[e])}`, 'keep every stiffness positive (clip to "bounds")');
      }
    }
    this.factored = false;
    this.k.set(k);
    const { dim } = this.net;
    const w = 2 * dim;
    const values = this.matrix.values;
    values.fill(0);
    const b = this.directions;
    for (let e = 0; e < E; e++) {
      const ke = k[e];
      for (let p = 0; p < w; p++) {
        const sp = p < dim ? -b[dim * e + p] : b[dim * e + p - dim];
        for (let q = 0; q < w; q++) {
          const at = this.pos[e * w * w + p * w + q];
          if (at < 0) continue;
          const sq = q < dim ? -b[dim * e + q] : b[dim * e + q - dim];
          values[at] += ke * sp * sq;
        }
      }
    }
    if (this.rDofs.length > 0) this.cholesky.factorize(values);
    this.factored = true;
  }

  /** The strain eps_ij = c . u of displacements `u` between nodes i and j (dimensionless). */
  strain(u: Float64Array, i: number, j: number): number {
    this.checkPair([i, j], 'pair');
    const { dofs, coefficients } = strainVector(this.net, i, j);
    let s = 0;
    for (let t = 0; t < dofs.length; t++) s += coefficients[t] * u[dofs[t]];
    return s;
  }

  /**
   * Minimise E = 1/2 u^T H u - f . u subject to the strain constraints (f: an optional force per dof, force units, length
   * dN; default none). Returns the minimiser of least 2-norm: zero modes that neither the constraints nor the force
   * excite have zero amplitude, so u is orthogonal to every rigid motion and to every floppy mode the constraints leave
   * free; strains, extensions, energy and forces do not depend on that choice.
   * @throws InvalidInputError for a bad pair, constraint vectors that are linearly dependent (the same pair twice, in
   *   either orientation: contradictory or redundant), or a force that drives a zero mode no constraint holds (the
   *   response is then unbounded)
   */
  solve(constraints: readonly StrainConstraint[], force?: Float64Array): LinearResponse {
    if (!this.factored) throw new NumericalError('StrainSolver: no valid stiffness (the last setStiffness failed)');
    const n = this.n;
    const m = constraints.length;
    const Q = this.zeroModes.basis;
    const z = this.zeroModes.count;
    if (force && force.length !== n) throw new InvalidInputError({ source: this.net.name, field: 'force' }, `must have one entry per degree of freedom (${n}), got ${force.length}`);
    const c: Float64Array[] = constraints.map((con, k) => {
      this.checkPair(con.pair, `constraints[${k}].pair`);
      if (!Number.isFinite(con.strain)) throw new InvalidInputError({ source: this.net.name, field: `constraints[${k}].strain` }, `must be a finite number, got ${show(con.strain)}`);
      const { dofs, coefficients } = strainVector(this.net, con.pair[0], con.pair[1]);
      const v = new Float64Array(n);
      for (let t = 0; t < dofs.length; t++) v[dofs[t]] += coefficients[t];
      return v;
    });
    const eps = Float64Array.from(constraints, (con) => con.strain);

    // Independent constraint vectors, or the constraint set is contradictory or redundant.
    if (m > 1) {
      const gram = new Float64Array(m * m);
      for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) gram[i * m + j] = dot(c[i], c[j]);
      const { values } = smallSymmetricEigen(gram, m);
      if (!(values[0] > DEPENDENT_TOLERANCE * values[m - 1])) {
        const pairs = constraints.map((con) => `(${con.pair[0]}, ${con.pair[1]})`).join(', ');
        throw new InvalidInputError(
          { source: this.net.name, field: 'constraints' },
          `the strain constraints on the pairs ${pairs} are linearly dependent (e.g. one pair twice): they are contradictory or redundant`,
          'impose each pair once (a task\'s source and target pairs must differ)',
        );
      }
    }

    // Green's functions g_k = K^-1 c_k (and g_f), over R.
    let iterations = 1;
    const g: Float64Array[] = c.map((ck) => {
      const r = this.solveK(ck);
      iterations = Math.max(iterations, r.iterations);
      return r.x;
    });
    let gf: Float64Array | null = null;
    if (force) {
      const r = this.solveK(force);
      iterations = Math.max(iterations, r.iterations);
      gf = r.x;
    }
    const A = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) A[i * m + j] = this.dotR(c[i], g[j]);
    for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) A[i * m + j] = A[j * m + i] = 0.5 * (A[i * m + j] + A[j * m + i]);
    // W = C^T Q (m x z): how each zero mode strains each pair (rigid modes: 0).
    const W = new Float64Array(m * z);
    for (let k = 0; k < m; k++) for (let j = 0; j < z; j++) W[k * z + j] = dot(c[k], Q.subarray(j * n, (j + 1) * n));
    const WWt = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
      let s = 0;
      for (let t = 0; t < z; t++) s += W[i * z + t] * W[j * z + t];
      WWt[i * m + j] = s;
    }
    const { values: sig2, vectors: U } = smallSymmetricEigen(WWt, m);
    let cmax = 0;
    for (const ck of c) cmax = Math.max(cmax, norm(ck));
    const held: number[] = []; // directions floppy modes satisfy (U_1)
    const rigidOnly: number[] = []; // the others (U_0)
    for (let i = 0; i < m; i++) (Math.sqrt(Math.max(sig2[i], 0)) > FLOPPY_COUPLING_TOLERANCE * cmax ? held : rigidOnly).push(i);
    const col = (i: number): Float64Array => Float64Array.from({ length: m }, (_, r) => U[r * m + i]);
    const sigma = held.map((i) => Math.sqrt(sig2[i]));
    // V_1 = W^T U_1 / sigma (z-vectors, orthonormal): the zero-mode combinations the constraints excite.
    const V1 = held.map((i, h) => {
      const u = col(i);
      const v = new Float64Array(z);
      for (let k = 0; k < m; k++) for (let j = 0; j < z; j++) v[j] += W[k * z + j] * u[k];
      for (let j = 0; j < z; j++) v[j] /= sigma[h];
      return v;
    });

    // The force must be balanced modulo constraint forces: Q^T f in the span of V_1.
    const lambda = new Float64Array(m);
    const r = eps.slice();
    if (force) {
      const qf = new Float64Array(z);
      for (let j = 0; j < z; j++) qf[j] = dot(Q.subarray(j * n, (j + 1) * n), force);
      const rest = qf.slice();
      V1.forEach((v) => {
        const d = dot(v, qf);
        for (let j = 0; j < z; j++) rest[j] -= d * v[j];
      });
      if (norm(rest) > FLOPPY_COUPLING_TOLERANCE * Math.max(norm(force), 1e-300)) {
        throw new InvalidInputError(
          { source: this.net.name, field: 'force' },
          'the force drives a zero mode (a rigid motion or a floppy mode) that no strain constraint holds, so the response is unbounded',
          'apply a force without net force, torque or floppy-mode component, or constrain the pair the floppy mode moves',
        );
      }
      // lambda_p = -U_1 Sigma^-1 V_1^T Q^T f solves W^T lambda = -Q^T f
      held.forEach((i, h) => {
        const d = -dot(V1[h], qf) / sigma[h];
        for (let k = 0; k < m; k++) lambda[k] += d * U[k * m + i];
      });
      for (let k = 0; k < m; k++) r[k] -= this.dotR(c[k], gf!);
    }
    // lambda = lambda_p + U_0 mu with (U_0^T A U_0) mu = U_0^T (r - A lambda_p)
    const m0 = rigidOnly.length;
    if (m0 > 0) {
      const Alp = matVec(A, lambda, m);
      const M0 = new Float64Array(m0 * m0);
      const rhs0 = new Float64Array(m0);
      for (let a = 0; a < m0; a++) {
        const ua = col(rigidOnly[a]);
        const Aua = matVec(A, ua, m);
        for (let b2 = 0; b2 < m0; b2++) M0[a * m0 + b2] = dot(col(rigidOnly[b2]), Aua);
        let s = 0;
        for (let k = 0; k < m; k++) s += ua[k] * (r[k] - Alp[k]);
        rhs0[a] = s;
      }
      const mu = smallSolve(M0, rhs0, m0);
      if (!mu || mu.some((x) => !Number.isFinite(x))) {
        throw new NumericalError(`StrainSolver: the reduced constraint system of ${show(this.net.name)} is singular (a constraint no mode of the network can strain)`);
      }
      for (let a = 0; a < m0; a++) {
        const ua = col(rigidOnly[a]);
        for (let k = 0; k < m; k++) lambda[k] += mu[a] * ua[k];
      }
    }
    // a = V_1 Sigma^-1 U_1^T (r - A lambda): the floppy amplitudes that meet the rest of the strains at no energy.
    const resid = matVec(A, lambda, m);
    for (let k = 0; k < m; k++) resid[k] = r[k] - resid[k];
    const amp = new Float64Array(z);
    held.forEach((i, h) => {
      const d = dot(col(i), resid) / sigma[h];
      for (let j = 0; j < z; j++) amp[j] += d * V1[h][j];
    });

    // u = G (C lambda + f) + Q a, then the zero-mode part the constraints do not fix removed (least norm).
    const u = new Float64Array(n);
    const { rDofs } = this;
    for (let l = 0; l < rDofs.length; l++) {
      let s = gf ? gf[l] : 0;
      for (let k = 0; k < m; k++) s += lambda[k] * g[k][l];
      u[rDofs[l]] = s;
    }
    for (let j = 0; j < z; j++) {
      if (amp[j] === 0) continue;
      const q = Q.subarray(j * n, (j + 1) * n);
      for (let i = 0; i < n; i++) u[i] += amp[j] * q[i];
    }
    const tq = new Float64Array(z);
    for (let j = 0; j < z; j++) tq[j] = dot(Q.subarray(j * n, (j + 1) * n), u);
    const keep = new Float64Array(z);
    for (const v of V1) {
      const d = dot(v, tq);
      for (let j = 0; j < z; j++) keep[j] += d * v[j];
    }
    for (let j = 0; j < z; j++) {
      const drop = tq[j] - keep[j];
      if (drop === 0) continue;
      const q = Q.subarray(j * n, (j + 1) * n);
      for (let i = 0; i < n; i++) u[i] -= drop * q[i];
    }
    // the displacement terms' sizes (length): the scale of the rounding in u, for the strain residual
    let uScale = norm(amp);
    if (gf) uScale = Math.max(uScale, norm(gf));
    for (let k = 0; k < m; k++) uScale = Math.max(uScale, Math.abs(lambda[k]) * norm(g[k]));
    return this.response(u, c, eps, lambda, force, iterations, held.length, uScale);
  }

  /** The free state of a task direction: the source strain imposed. */
  freeState(direction: StrainDirection, sourceStrain: number): LinearResponse {
    return this.solve([{ pair: direction.source, strain: sourceStrain }]);
  }

  /**
   * The clamped state: the source strain and the target strain nudged from its free value towards `delta`,
   * eps_T^C = eps_T^F + eta (delta - eps_T^F). `freeTarget` is eps_T^F (from {@link freeState}).
   */
  clampedState(direction: StrainDirection, sourceStrain: number, delta: number, eta: number, freeTarget: number): LinearResponse {
    checkEta(eta);
    return this.solve([
      { pair: direction.source, strain: sourceStrain },
      { pair: direction.target, strain: freeTarget + eta * (delta - freeTarget) },
    ]);
  }

  /** Free and clamped states of every direction of a task (one, or two when cooperative). */
  taskStates(task: StrainTask, eta: number): StrainDirectionStates[] {
    checkEta(eta);
    return strainDirections(task).map((direction) => {
      const free = this.freeState(direction, task.sourceStrain);
      const freeTarget = this.strain(free.displacements, direction.target[0], direction.target[1]);
      const clampedTarget = freeTarget + eta * (task.delta - freeTarget);
      const clamped = this.clampedState(direction, task.sourceStrain, task.delta, eta, freeTarget);
      return { direction, free, clamped, freeTarget, clampedTarget };
    });
  }

  /** K x = b over R (b indexed by dof, length dN; entries at pinned dofs ignored), with iterative refinement. */
  private solveK(b: Float64Array): { x: Float64Array; iterations: number } {
    const nr = this.rDofs.length;
    const rhs = new Float64Array(nr);
    for (let l = 0; l < nr; l++) rhs[l] = b[this.rDofs[l]];
    const x = new Float64Array(nr);
    if (nr === 0) return { x, iterations: 1 };
    this.cholesky.solve(rhs, x);
    const bnorm = Math.max(norm(rhs), 1e-300);
    const res = new Float64Array(nr);
    const d = new Float64Array(nr);
    let rel = this.residualK(rhs, x, res) / bnorm;
    let iterations = 1;
    while (rel > REFINE_ABOVE && iterations <= MAX_REFINEMENT_STEPS) {
      this.cholesky.solve(res, d);
      for (let l = 0; l < nr; l++) d[l] += x[l];
      const next = this.residualK(rhs, d, res) / bnorm;
      iterations++;
      if (!(next < rel)) break;
      x.set(d);
      rel = next;
    }
    return { x, iterations };
  }

  private residualK(b: Float64Array, x: Float64Array, r: Float64Array): number {
    csrMatVec(this.matrix, x, r);
    for (let l = 0; l < b.length; l++) r[l] = b[l] - r[l];
    return norm(r);
  }

  /** c . x over R (c indexed by dof, x by local index). */
  private dotR(c: Float64Array, x: Float64Array): number {
    let s = 0;
    for (let l = 0; l < x.length; l++) s += c[this.rDofs[l]] * x[l];
    return s;
  }

  /** @param uScale the largest size of the terms u was summed from (length); see {@link ResponseDiagnostics}. */
  private response(u: Float64Array, c: Float64Array[], eps: Float64Array, lambda: Float64Array, force: Float64Array | undefined, iterations: number, held: number, uScale: number): LinearResponse {
    const { net, directions, k, n } = this;
    const extensions = springExtensions(net, directions, u);
    let energy = 0;
    let tension = 0;
    for (let e = 0; e < extensions.length; e++) {
      energy += 0.5 * k[e] * extensions[e] * extensions[e];
      tension += (k[e] * extensions[e]) ** 2;
    }
    const hu = stiffnessTimes(net, directions, k, u);
    const cl = new Float64Array(n);
    c.forEach((ck, q) => {
      for (let i = 0; i < n; i++) cl[i] += lambda[q] * ck[i];
    });
    let fr = 0;
    for (let i = 0; i < n; i++) fr += (hu[i] - cl[i] - (force ? force[i] : 0)) ** 2;
    // the floor only avoids 0/0 when every term is exactly 0 (no strain, no force): the residual is then exactly 0
    const forceScale = Math.max(force ? norm(force) : 0, norm(cl), norm(hu), Math.SQRT2 * Math.sqrt(tension), 1e-300);
    const forceResidual = Math.sqrt(fr) / forceScale;
    const displacementScale = Math.max(norm(u), uScale);
    const strains = new Float64Array(c.length);
    let strainResidual = 0;
    c.forEach((ck, q) => {
      strains[q] = dot(ck, u);
      strainResidual = Math.max(strainResidual, Math.abs(strains[q] - eps[q]) / Math.max(Math.abs(eps[q]), norm(ck) * displacementScale, 1e-300));
    });
    const residual = Math.max(forceResidual, strainResidual);
    return {
      displacements: u,
      extensions,
      energy,
      forces: lambda,
      strains,
      diagnostics: {
        converged: residual <= RESPONSE_ACCEPT,
        residual,
        forceResidual,
        strainResidual,
        iterations,
        floppyModes: this.zeroModes.floppy,
        floppyConstraints: held,
      },
    };
  }

  private checkPair(pair: readonly [number, number], field: string): void {
    const N = this.net.nodes;
    for (const v of pair) {
      if (!Number.isInteger(v) || v < 0 || v >= N) {
        throw new InvalidInputError({ source: this.net.name, field }, `node id must be an integer in 0..${N - 1}, got ${show(v)}`, `use a node id in 0..${N - 1}`);
      }
    }
  }
}

function checkEta(eta: number): void {
  if (!(Number.isFinite(eta) && eta > 0 && eta <= 1)) {
    throw new InvalidInputError({ field: 'eta' }, `the nudge eta must be in (0, 1], got ${show(eta)}`, 'use a small positive eta, e.g. 0.1');
  }
}

function matVec(a: Float64Array, x: Float64Array, m: number): Float64Array {
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) s += a[i * m + j] * x[j];
    y[i] = s;
  }
  return y;
}

