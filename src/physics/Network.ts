import type { EdgeElement } from './nonlinear/EdgeElement.js';

/**
 * A resistor network: `nodes` nodes numbered 0..N-1 and E edges e = (a_e, b_e) with conductances k_e > 0
 * (siemens). Edge voltage drop dV_e = V[b_e] - V[a_e]; the current "from a_e to b_e" is k_e (V[a_e] - V[b_e]).
 * Conductance arrays are owned by the caller; solvers never keep a reference to them across calls.
 */
export interface Network {
  /** Human-readable name. */
  name: string;
  /** Number of nodes N. */
  nodes: number;
  /** First endpoint a_e of each edge (length E). */
  edgeA: Int32Array;
  /** Second endpoint b_e of each edge (length E). */
  edgeB: Int32Array;
  /** Conductance k_e of each edge in siemens (length E). */
  conductance: Float64Array;
  /** Allowed conductance range [k_min, k_max] in siemens; updates are clipped to it. */
  bounds?: [number, number];
  /** Node positions (x, y) interleaved, length 2N; used for drawing and localisation. */
  positions?: Float64Array;
  /** Tap table of a digital-potentiometer edge: allowed conductances in siemens, strictly increasing. */
  taps?: Float64Array;
  /**
   * Nonlinear elements, one per edge (src/physics/nonlinear/EdgeElement.ts); null (or no array) is a linear resistor
   * of the edge's conductance. Only the nonlinear solver (solveNonlinearCircuit) reads them; the linear tools refuse a
   * network that has any (networkFile.ts).
   */
  elements?: (EdgeElement | null)[];
}

/** Number of edges. */
export function edgeCount(net: Pick<Network, 'edgeA'>): number {
  return net.edgeA.length;
}
