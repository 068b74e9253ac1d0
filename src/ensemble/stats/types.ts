/**
 * What the statistics read: the contract's MemberResult (issue 16, src/ensemble/runMember.ts, helper E1) and the
 * dataset readDataset(dir) returns. Declared here, field for field as the contract fixes them, so that this folder
 * type-checks before E1's code lands; at merge, replace the two declarations by
 * `export type { MemberResult } from '../runMember.js'` (structurally identical, so nothing else changes).
 */
export interface MemberResult {
  index: number;
  seeds: { network: number; task: number; order: number };
  steps: number;
  converged: boolean;
  /** Final mean squared errors, V^2 (test: null without a test set). */
  trainMse: number;
  testMse: number | null;
  /** Lowest non-zero and highest eigenvalues of the physical Hessian (the Laplacian), S. */
  lambdaLow: number;
  lambdaHigh: number;
  /** |cos| between the stiffest cost-Hessian mode and the softest physical mode's edge image (dimensionless). */
  stiffAlignment: number | null;
  /** Final conductances, S (length edges). */
  conductance: Float64Array;
  /** Boundary frequency f_e per edge (dimensionless), or null when not kept. */
  boundaryFrequency: Float64Array | null;
  edges: number;
  nodes: number;
}

/** The drawing of a network shared by every member: node positions (x, y interleaved) and the edges. */
export interface SharedTopology {
  positions: Float64Array;
  edgeA: Int32Array;
  edgeB: Int32Array;
  /** The task's node roles, when every member has the same (marked on the drawing). */
  roles?: { sources: number[]; ground: number[]; targets: number[] };
}

/** Names that identify an ensemble on its figures and in its summary. */
export interface EnsembleNames {
  /** The ensemble (its name or dataset folder) and its spec digest, shortened. */
  ensemble: string;
  /** The member generator, e.g. `lattice 8x8`. */
  network: string;
  /** The task or task generator. */
  task: string;
}
