/**
 * An elastic (spring) network: `nodes` point masses at reference positions in `dim` = 2 or 3 dimensions, joined by E
 * central-force springs e = (a_e, b_e) of stiffness k_e > 0 and rest length l_e > 0.
 *
 * Units are consistent arbitrary units (docs/design.md, "Elastic (spring) networks"): lengths in the positions' unit,
 * stiffness in energy / length^2, energies in the same energy unit as the temperature (k_B = 1), masses 1.
 *
 * Conventions (the same as the resistor networks', with a vector per node):
 * - displacements `u` are interleaved, length dim * N: node i's components at `u[dim*i .. dim*i + dim - 1]`;
 * - `b_e` is the unit vector from a_e to b_e at the reference positions; the spring's (linearised) extension is
 *   `ext_e = b_e . (u[b_e] - u[a_e])`, its energy `k_e ext_e^2 / 2`, so the stiffness matrix (physical Hessian) is
 *   `H = sum_e k_e B_e B_e^T` with B_e = -b_e at a_e and +b_e at b_e (`stiffnessMatrix.ts`);
 * - the strain between any two nodes i, j (not necessarily an edge) is `eps_ij = b_ij . (u_j - u_i) / l_ij`, with b_ij
 *   and l_ij = |x_j - x_i| at the reference positions (`strainVector`).
 *
 * Arrays are owned by the caller; solvers never keep a reference to `stiffness` across calls (learning rewrites it).
 */
export interface SpringNetwork {
  /** Human-readable name. */
  name: string;
  /** Space dimension d: 2 or 3. */
  dim: 2 | 3;
  /** Number of nodes N. */
  nodes: number;
  /** Reference positions, interleaved, length dim * N (length unit). */
  positions: Float64Array;
  /** First endpoint a_e of each spring (length E). */
  edgeA: Int32Array;
  /** Second endpoint b_e of each spring (length E). */
  edgeB: Int32Array;
  /** Stiffness k_e > 0 of each spring (energy / length^2, length E). */
  stiffness: Float64Array;
  /**
   * Rest length l_e > 0 of each spring (length unit, length E). Equal to the reference distance |x_b - x_a| unless the
   * file states otherwise (a prestressed network, which the linear-response tools refuse: at its reference positions
   * it is not in force balance).
   */
  restLength: Float64Array;
  /** Allowed stiffness range [k_min, k_max]; learning clips to it and every stiffness lies inside it. */
  bounds?: [number, number];
}

/** Number of springs E. */
export function springCount(net: Pick<SpringNetwork, 'edgeA'>): number {
  return net.edgeA.length;
}

/** Number of degrees of freedom d N. */
export function degreesOfFreedom(net: Pick<SpringNetwork, 'dim' | 'nodes'>): number {
  return net.dim * net.nodes;
}

/** Number of rigid-body modes in `dim` dimensions: d translations and d(d-1)/2 rotations (3 in 2D, 6 in 3D). */
export function rigidBodyModeCount(dim: 2 | 3): number {
  return dim === 2 ? 3 : 6;
}

/** Reference distance |x_j - x_i| between nodes i and j (length unit). */
export function referenceDistance(net: Pick<SpringNetwork, 'dim' | 'positions'>, i: number, j: number): number {
  const { dim, positions: x } = net;
  let s = 0;
  for (let c = 0; c < dim; c++) {
    const d = x[dim * j + c] - x[dim * i + c];
    s += d * d;
  }
  return Math.sqrt(s);
}
