/** What the statistics read: one member's result (src/ensemble/runMember.ts). */
export type { MemberResult } from '../runMember.js';
/** A member whose computation threw (src/ensemble/memberStore.ts): index, seeds, error. */
export type { FailedMember, StoredMember } from '../memberStore.js';

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
