/**
 * The Green's functions of two strain functionals, c_p^T H^+ c_q, and their coupling to floppy modes: everything the
 * harmonic thermal analysis (harmonicThermal.ts) needs from the network. The dense route here goes through all normal
 * modes; a sparse route (pinned Cholesky solves H x = c on the complement of the rigid modes, see the README) fills
 * the same {@link StrainPairGram} for large networks, and nothing downstream changes.
 *
 * The physics layer may not import src/diagnostics, so the dense eigensolver is passed in ({@link DenseEigenSolver};
 * src/diagnostics/symmetricEigen.ts `symmetricEigen` has this shape).
 */
import { InvalidInputError, NumericalError, show } from '../../../errors.js';
import { degreesOfFreedom, referenceDistance, type SpringNetwork } from '../SpringNetwork.js';
import { bondDirections, denseStiffnessMatrix, strainVector } from '../stiffnessMatrix.js';

/** A node pair (i, j), i != j. */
export type NodePair = [number, number];

/**
 * A dense symmetric eigensolver: all eigenvalues ascending and orthonormal eigenvectors, column-major (eigenvector j
 * at `vectors.subarray(j*n, (j+1)*n)`). `symmetricEigen` of src/diagnostics/symmetricEigen.ts fits.
 */
export type DenseEigenSolver = (a: Float64Array, n: number) => { values: Float64Array; vectors: Float64Array | null; converged: boolean; iterations: number };

/**
 * Eigenvalues |lambda| <= DEFAULT_ZERO_TOLERANCE x lambda_max count as zero modes. Why 1e-9: the dense solver's
 * backward error is ~1e-15 lambda_max (symmetricEigen.ts), so an exact zero mode computes as |lambda| <~ 1e-13
 * lambda_max, four decades below; and a genuine mode softer than 1e-9 lambda_max would fluctuate 3e4 times more than
 * the stiffest one (amplitude ~ 1/sqrt(lambda)), far outside any harmonic regime, so calling it floppy (infinite
 * variance, T* = 0) is the honest report rather than a finite number dominated by one near-zero denominator.
 */
export const DEFAULT_ZERO_TOLERANCE = 1e-9;

/** Largest relative mismatch |l_e - |x_b - x_a|| / |x_b - x_a| accepted as "unstressed at the reference positions". */
export const PRESTRESS_TOLERANCE = 1e-9;

/** Where the normal modes came from, and what they say about the network. */
export interface ModeSummary {
  /**
   * How the Green's functions were computed: `dense-modes` (all normal modes, {@link denseStrainPairGram}) or
   * `sparse-cholesky` (pinned sparse Cholesky and the exact zero-mode basis, sparseGram.ts).
   */
  route: 'dense-modes' | 'sparse-cholesky';
  /** Degrees of freedom d N. */
  dof: number;
  /** Eigenvalues counted as zero (rigid + floppy). */
  zeroModes: number;
  /** Rank of the rigid-body motions at these positions (3 in 2D, 6 in 3D; fewer for a degenerate, e.g. collinear 3D, network). */
  rigidModes: number;
  /** zeroModes - rigidModes: mechanisms that cost no energy to first order. */
  floppyModes: number;
  /** Largest eigenvalue of H (energy / length^2); NaN on the sparse route (not computed). */
  largestEigenvalue: number;
  /** Smallest eigenvalue above the zero threshold (energy / length^2); NaN if none, and on the sparse route. */
  smallestNonzeroEigenvalue: number;
  /**
   * Absolute zero threshold used: zeroTolerance x largestEigenvalue (energy / length^2); NaN on the sparse route, whose
   * zero modes come from the solver's exact pivoting analysis (src/physics/springs/README.md, "Zero modes, exactly").
   */
  zeroThreshold: number;
  /** Largest |c . r| / |c| over both functionals and the orthonormal rigid modes r: analytically 0, so rounding only. */
  rigidLeak: number;
  /** The eigensolver converged. */
  converged: boolean;
  /** Its iterations (QL sweeps for symmetricEigen; sparse: most triangular solves per right-hand side, refinement included). */
  iterations: number;
  /** Sparse route: largest relative force residual ||H u - P c|| of the two Green's-function solves (~1e-15). */
  residual?: number;
  /** Sparse route: max ||H_1 q|| / max diag(H_1) over the zero-mode basis (StrainSolver.analysis.nullResidual). */
  nullResidual?: number;
}

/**
 * The harmonic covariance structure of two strains eps_p = c_p . u (p = 0, 1) of a network at temperature T:
 * - finite part: Cov(eps_p, eps_q) = T g_pq with g_pq = c_p^T H^+ c_q over the non-zero modes;
 * - floppy part: f_pq = (P_F c_p) . (P_F c_q), P_F the projector on the zero modes. Rigid modes r have c . r = 0
 *   exactly (a strain does not change under a rigid motion), so only floppy (non-rigid zero) modes contribute, and any
 *   functional with P_F c != 0 has infinite thermal variance.
 */
export interface StrainPairGram {
  /** The two node pairs; functional p is the strain of pairs[p]. */
  pairs: [NodePair, NodePair];
  /** [g00, g01, g11] = c_p^T H^+ c_q (1/energy): strain covariance per unit temperature. */
  compliance: [number, number, number];
  /** [f00, f01, f11]: Gram of the projections onto the zero modes (1/length^2). */
  floppy: [number, number, number];
  /** Reference distances l_p of the two pairs (length unit): a source spring K acts on eps_S with kappa = K l_S^2. */
  lengths: [number, number];
  /** [|c_0|^2, |c_1|^2] (1/length^2): the scale the floppy projections are judged against. */
  norms: [number, number];
  /**
   * A functional couples to floppy modes when |P_F c| > couplingTolerance |c|. The dense route sets it from the
   * eigenvector accuracy: the zero space is resolved to ~ n eps lambda_max / lambda_gap (Davis-Kahan), times 100,
   * clamped to [1e-10, 1e-3].
   */
  couplingTolerance: number;
  /** What the modes said. */
  modes: ModeSummary;
}

/** Options of {@link denseStrainPairGram}. */
export interface DenseGramOptions {
  /** Zero-mode threshold relative to the largest eigenvalue. Default {@link DEFAULT_ZERO_TOLERANCE}. */
  zeroTolerance?: number;
}

/** A strain functional as a dense vector (1/length), after checking the pair (InvalidInputError naming `field`). */
export function checkedStrain(net: SpringNetwork, pair: NodePair, field: string): Float64Array {
  const n = net.nodes;
  const ok = Array.isArray(pair) && pair.length === 2 && pair.every((v) => Number.isInteger(v) && v >= 0 && v < n) && pair[0] !== pair[1];
  if (!ok) {
    throw new InvalidInputError({ source: net.name, field }, `must be two distinct node indices in [0, ${n - 1}], got ${show(pair)}`, 'name two distinct nodes of the network');
  }
  const { dofs, coefficients } = strainVector(net, pair[0], pair[1]);
  const c = new Float64Array(degreesOfFreedom(net));
  for (let k = 0; k < dofs.length; k++) c[dofs[k]] += coefficients[k];
  return c;
}

/**
 * Refuse a prestressed network: the harmonic analysis expands about the reference positions, which must then be a
 * force-free minimum (every rest length equal to its reference distance within {@link PRESTRESS_TOLERANCE}).
 */
export function assertUnstressed(net: SpringNetwork): void {
  for (let s = 0; s < net.edgeA.length; s++) {
    const d = referenceDistance(net, net.edgeA[s], net.edgeB[s]);
    if (!(Math.abs(net.restLength[s] - d) <= PRESTRESS_TOLERANCE * d)) {
      throw new InvalidInputError(
        { source: net.name, field: `restLengths[${s}]` },
        `rest length ${show(net.restLength[s])} differs from the reference distance ${show(d)}: the network is prestressed, so its reference positions are not a force-free minimum to expand about`,
        'relax the network first (or give rest lengths equal to the distances)',
      );
    }
  }
}

/**
 * Orthonormal basis of the infinitesimal rigid motions at the reference positions (translations; rotations about the
 * centroid), column vectors of length dN, by Gram-Schmidt; directions that vanish (a rotation about the axis of a
 * collinear 3D network) are dropped.
 */
export function rigidBasis(net: SpringNetwork): Float64Array[] {
  const { dim, nodes, positions: x } = net;
  const n = dim * nodes;
  const centre = new Float64Array(dim);
  for (let i = 0; i < nodes; i++) for (let c = 0; c < dim; c++) centre[c] += x[dim * i + c] / nodes;
  const raw: Float64Array[] = [];
  for (let c = 0; c < dim; c++) {
    const t = new Float64Array(n);
    for (let i = 0; i < nodes; i++) t[dim * i + c] = 1;
    raw.push(t);
  }
  // rotation in the (p, q) plane: u_p = -(x_q - centre_q), u_q = x_p - centre_p
  const planes = dim === 2 ? [[0, 1]] : [[0, 1], [1, 2], [2, 0]];
  for (const [p, q] of planes) {
    const r = new Float64Array(n);
    for (let i = 0; i < nodes; i++) {
      r[dim * i + p] = -(x[dim * i + q] - centre[q]);
      r[dim * i + q] = x[dim * i + p] - centre[p];
    }
    raw.push(r);
  }
  const basis: Float64Array[] = [];
  for (const v of raw) {
    const before = Math.sqrt(dot(v, v));
    for (const b of basis) axpy(-dot(v, b), b, v);
    const after = Math.sqrt(dot(v, v));
    if (after > 1e-10 * before && after > 0) {
      for (let k = 0; k < n; k++) v[k] /= after;
      basis.push(v);
    }
  }
  return basis;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  for (let k = 0; k < y.length; k++) y[k] += alpha * x[k];
}

/**
 * The Green's functions of the strains of two node pairs by dense normal modes: H = sum_j lambda_j e_j e_j^T
 * (denseStiffnessMatrix, then the injected eigensolver; O((dN)^3), fine to a few thousand degrees of freedom), then
 * g_pq = sum_{lambda_j > zero} (c_p . e_j)(c_q . e_j) / lambda_j and f_pq = sum_{lambda_j ~ 0} (c_p . e_j)(c_q . e_j).
 *
 * @throws InvalidInputError for a bad pair or a prestressed network; NumericalError if the eigensolver did not
 *   converge, returned no vectors, or found a clearly negative eigenvalue (H is positive semi-definite by construction).
 */
export function denseStrainPairGram(net: SpringNetwork, pairs: [NodePair, NodePair], eigen: DenseEigenSolver, opts: DenseGramOptions = {}): StrainPairGram {
  const zeroTolerance = opts.zeroTolerance ?? DEFAULT_ZERO_TOLERANCE;
  if (!(zeroTolerance > 0 && zeroTolerance < 1)) {
    throw new InvalidInputError({ source: 'denseStrainPairGram', field: 'zeroTolerance' }, `must be in (0, 1), got ${show(zeroTolerance)}`, `use the default ${DEFAULT_ZERO_TOLERANCE}`);
  }
  const c = [checkedStrain(net, pairs[0], 'source pair'), checkedStrain(net, pairs[1], 'target pair')];
  assertUnstressed(net);
  const n = degreesOfFreedom(net);
  const h = denseStiffnessMatrix(net, bondDirections(net));
  const eig = eigen(h, n);
  if (!eig.converged || !eig.vectors) {
    throw new NumericalError(`normal modes of ${net.name}: the dense eigensolver ${eig.vectors ? 'did not converge' : 'returned no eigenvectors'} (${eig.iterations} iterations)`);
  }
  const { values, vectors } = eig;
  let lambdaMax = 0;
  for (let j = 0; j < n; j++) lambdaMax = Math.max(lambdaMax, Math.abs(values[j]));
  const threshold = zeroTolerance * lambdaMax;
  const g = [0, 0, 0];
  const f = [0, 0, 0];
  let zeros = 0;
  let smallest = Infinity;
  for (let j = 0; j < n; j++) {
    const lambda = values[j];
    if (lambda < -threshold) {
      throw new NumericalError(`normal modes of ${net.name}: eigenvalue ${lambda} < 0 beyond the zero threshold ${threshold}; a stiffness matrix is positive semi-definite`);
    }
    const e = vectors.subarray(j * n, (j + 1) * n);
    const p0 = dot(c[0], e);
    const p1 = dot(c[1], e);
    if (lambda <= threshold) {
      zeros++;
      f[0] += p0 * p0;
      f[1] += p0 * p1;
      f[2] += p1 * p1;
    } else {
      smallest = Math.min(smallest, lambda);
      g[0] += (p0 * p0) / lambda;
      g[1] += (p0 * p1) / lambda;
      g[2] += (p1 * p1) / lambda;
    }
  }
  const rigid = rigidBasis(net);
  if (zeros < rigid.length) {
    // every rigid motion is an exact zero mode; missing ones mean the threshold is below the eigensolver's accuracy
    throw new NumericalError(`normal modes of ${net.name}: ${zeros} eigenvalues below the zero threshold ${threshold}, fewer than the ${rigid.length} rigid-body modes; raise zeroTolerance`);
  }
  const norms: [number, number] = [dot(c[0], c[0]), dot(c[1], c[1])];
  let rigidLeak = 0;
  for (const r of rigid) for (let p = 0; p < 2; p++) rigidLeak = Math.max(rigidLeak, Math.abs(dot(c[p], r)) / Math.sqrt(norms[p]));
  const gap = Number.isFinite(smallest) ? smallest : lambdaMax;
  const couplingTolerance = Math.min(1e-3, Math.max(1e-10, (100 * n * 2.220446049250313e-16 * lambdaMax) / (gap > 0 ? gap : 1)));
  return {
    pairs: [[pairs[0][0], pairs[0][1]], [pairs[1][0], pairs[1][1]]],
    compliance: [g[0], g[1], g[2]],
    floppy: [f[0], f[1], f[2]],
    lengths: [referenceDistance(net, pairs[0][0], pairs[0][1]), referenceDistance(net, pairs[1][0], pairs[1][1])],
    norms,
    couplingTolerance,
    modes: {
      route: 'dense-modes',
      dof: n,
      zeroModes: zeros,
      rigidModes: rigid.length,
      floppyModes: zeros - rigid.length,
      largestEigenvalue: lambdaMax,
      smallestNonzeroEigenvalue: Number.isFinite(smallest) ? smallest : NaN,
      zeroThreshold: threshold,
      rigidLeak,
      converged: eig.converged,
      iterations: eig.iterations,
    },
  };
}
