/**
 * An elastic task (allostery or cooperative binding): straining the source pair A by `sourceStrain` should strain the
 * target pair B by `delta`. Strains are dimensionless, eps_ij = b_ij . (u_j - u_i) / l_ij (SpringNetwork.ts).
 *
 * States (docs/design.md, "Elastic (spring) networks"): the *free* state imposes the source strain as a constraint and
 * minimises the elastic energy; the *clamped* state also imposes the target strain at `eps_T^F + eta (delta - eps_T^F)`.
 * Cooperative binding trains both directions, A -> B and B -> A (the source strain imposed at B, `delta` desired at
 * A), with the contrasts summed. The energy regularisation adds `lambda E^F` to each direction's contrast:
 * C = 1/eta [(E^C - E^F) + lambda E^F].
 *
 * File form: `clln.strain-task/1` (src/formats).
 */
export interface StrainTask {
  /** Source node pair A = [i, j]: its strain is imposed in the free state. */
  source: [number, number];
  /** Target node pair B = [i, j]: its strain is the response. */
  target: [number, number];
  /** Strain imposed at the source pair (dimensionless). Default 1: linear response is scale-free; T* scales as its square. */
  sourceStrain: number;
  /** Desired target strain Delta when the source is strained by `sourceStrain` (dimensionless). */
  delta: number;
  /** Train both directions A -> B and B -> A (cooperative binding). Default false (allostery). */
  cooperative: boolean;
  /**
   * Energy regularisation weight lambda (dimensionless, either sign). Default 0. Training descends C, so lambda > 0
   * lowers the free-state energy E^F and lambda < 0 raises it (what the notes ask the term to do).
   */
  lambda: number;
}

/** One direction of a strain task: which pair is strained and which responds. */
export interface StrainDirection {
  /** The pair whose strain is imposed. */
  source: [number, number];
  /** The pair whose strain is the response. */
  target: [number, number];
}

/** The directions a task trains: A -> B, and B -> A as well when cooperative. */
export function strainDirections(task: StrainTask): StrainDirection[] {
  const forward: StrainDirection = { source: task.source, target: task.target };
  return task.cooperative ? [forward, { source: task.target, target: task.source }] : [forward];
}
