import { InvalidInputError } from '../../errors.js';
import type { Network } from '../Network.js';

/**
 * A network whose learning edges are transistors with an analog gate each (the gen-2 small-network experiments,
 * arXiv 2505.22887), the others fixed resistors. Meaning of the fields, units:
 */
export interface GateNetwork {
  /** Topology; `conductance[e]` (S) is used as is for every edge that is not in `gateEdges`. */
  net: Network;
  /** Edges whose conductance is `k = s (G - vt)` (the authors' analysis law, no channel-mean term). */
  gateEdges: Int32Array;
  /** Transconductance factor S in A/V^2 (conductance per volt of overdrive). */
  s: number;
  /** Threshold V_T in volts. */
  vt: number;
  /** Nodes held at fixed voltages in every state (volts), e.g. High and Low. */
  held: Map<number, number>;
  /** The node the task's input voltage is imposed on. */
  inputNode: number;
  /** The output node, clamped to the desired voltage in the clamped state. */
  outputNode: number;
  /** Gate rails [lo, hi] in volts, one pair per gate edge (same order as gateEdges). */
  rails: [number, number][];
  /**
   * Conductance law of the gate edges: `'analysis'` (default) `k = S (G - V_T)`, the authors' analysis law;
   * `'channelMean'` the gen-2 twin's Ohmic law `k = S (G - V_T - (V_a + V_b)/2)` (edgeLaws.gateEdgeElement), whose
   * free state is nonlinear and is solved by the project's nonlinear solver.
   */
  gateLaw?: 'analysis' | 'channelMean';
}

/** One task: the input voltage and the desired output voltage (volts). */
export interface GateTask {
  name: string;
  input: number;
  desired: number;
}

/** Refuses a gate network whose parts do not fit together (bad input, exit 2 at the CLI). */
export function checkGateNetwork(g: GateNetwork): void {
  const n = g.net.nodes;
  const nodeOk = (i: number): boolean => Number.isInteger(i) && i >= 0 && i < n;
  if (!nodeOk(g.inputNode) || !nodeOk(g.outputNode) || g.inputNode === g.outputNode) {
    throw new InvalidInputError({ field: 'inputNode/outputNode' }, 'must be two different node ids of the network', 'name existing nodes');
  }
  if (g.held.has(g.inputNode) || g.held.has(g.outputNode)) {
    throw new InvalidInputError({ field: 'held' }, 'the input and output nodes cannot be held', 'hold other nodes');
  }
  if (g.rails.length !== g.gateEdges.length) {
    throw new InvalidInputError({ field: 'rails' }, `expected ${g.gateEdges.length} rail pairs, got ${g.rails.length}`, 'give one [lo, hi] per gate edge');
  }
  for (const [lo, hi] of g.rails) {
    if (!(lo > g.vt && hi > lo)) {
      throw new InvalidInputError({ field: 'rails' }, `rail [${lo}, ${hi}] must satisfy vt < lo < hi`, 'keep the gates above threshold');
    }
  }
  if (!(g.s > 0)) throw new InvalidInputError({ field: 's' }, 'must be positive (A/V^2)', 'use e.g. 8.5e-4');
}
