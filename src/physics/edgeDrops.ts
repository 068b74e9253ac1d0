/**
 * Edge voltage drops dV = D V: dV_e = V[b_e] - V[a_e] (volts), per docs/design.md's incidence convention.
 * Writes into `out` when given (length E) so that hot loops allocate nothing.
 */
export function edgeDrops(
  edgeA: Int32Array,
  edgeB: Int32Array,
  voltages: ArrayLike<number>,
  out: Float64Array = new Float64Array(edgeA.length),
): Float64Array {
  for (let e = 0; e < edgeA.length; e++) out[e] = voltages[edgeB[e]] - voltages[edgeA[e]];
  return out;
}

/** Edge currents from a_e to b_e in amperes: I_e = k_e (V[a_e] - V[b_e]) = -k_e dV_e. */
export function edgeCurrents(
  edgeA: Int32Array,
  edgeB: Int32Array,
  conductance: ArrayLike<number>,
  voltages: ArrayLike<number>,
  out: Float64Array = new Float64Array(edgeA.length),
): Float64Array {
  for (let e = 0; e < edgeA.length; e++) out[e] = conductance[e] * (voltages[edgeA[e]] - voltages[edgeB[e]]);
  return out;
}

/**
 * Kirchhoff residual per node: the net current leaving node i through the edges, sum_e k_e (V_i - V_j)
 * (amperes), computed straight from the edge list. It is zero at every node whose voltage is not imposed
 * (and equals any injected current there); at imposed nodes it is the current the source supplies.
 */
export function nodeCurrentImbalance(
  nodes: number,
  edgeA: Int32Array,
  edgeB: Int32Array,
  conductance: ArrayLike<number>,
  voltages: ArrayLike<number>,
  out: Float64Array = new Float64Array(nodes),
): Float64Array {
  out.fill(0);
  for (let e = 0; e < edgeA.length; e++) {
    const a = edgeA[e];
    const b = edgeB[e];
    const i = conductance[e] * (voltages[a] - voltages[b]);
    out[a] += i;
    out[b] -= i;
  }
  return out;
}
