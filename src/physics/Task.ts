/** One training or test example: voltages at the sources and the desired voltages at the targets (volts). */
export interface Example {
  /** Source voltages in volts, in the order of `Task.sources`. */
  in: Float64Array;
  /** Desired target voltages in volts, in the order of `Task.targets`. */
  out: Float64Array;
}

/** The roles of nodes in a task: which are driven, grounded (0 V) and read out. */
export interface Roles {
  /** Nodes driven to the example's input voltages. */
  sources: Int32Array;
  /** Nodes held at 0 V. */
  ground: Int32Array;
  /** Output nodes: free in the free state, clamped or nudged towards the desired values while learning. */
  targets: Int32Array;
}

/** A supervised task: node roles plus training and test examples. */
export interface Task extends Roles {
  train: Example[];
  test: Example[];
}

/**
 * The nodes whose voltages a task imposes in its free state: the sources, then the ground nodes (the targets are
 * free). These are the rows removed from the Laplacian to get the free-node block H_FF of the free state.
 */
export function imposedNodes(roles: Pick<Roles, 'sources' | 'ground'>): Int32Array {
  const out = new Int32Array(roles.sources.length + roles.ground.length);
  out.set(roles.sources, 0);
  out.set(roles.ground, roles.sources.length);
  return out;
}
