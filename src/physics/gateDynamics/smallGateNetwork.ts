import type { Network } from '../Network.js';
import type { GateNetwork, GateTask } from './GateNetwork.js';

/** Node ids of the experiments' small network. */
export const SMALL_NODES = { high: 0, low: 1, input: 2, output: 3 } as const;
/** Edge ids: G- (Low-Out, transistor), G+ (High-Out, transistor), the fixed 500 ohm In-Out resistor. */
export const SMALL_EDGES = { gMinus: 0, gPlus: 1, fixed: 2 } as const;

/** Held voltages (V) of the small network, from the authors' notebook and arXiv 2505.22887. */
export const SMALL_HIGH_V = 0.4351;
export const SMALL_LOW_V = 0.0181;
/** The authors' analysis law k = S (G - V_T): S in A/V^2, V_T in V. */
export const SMALL_S = 8.5e-4;
export const SMALL_VT = 0.7;
/** The fixed In-Out resistor, ohm. */
export const SMALL_FIXED_OHMS = 500;
/** Charging time constant R C = 100 ohm * 22 uF, seconds. */
export const SMALL_RC = 100 * 22e-6;
/**
 * Default gate rails (V): the plateaus the drift tests reach (README of the drift data: about 5.03-5.19 V); the
 * lower rail is not reached in any run used here, 1 V keeps the conductance positive.
 */
export const SMALL_DEFAULT_RAILS: [number, number][] = [
  [1, 5.1],
  [1, 5.1],
];

/**
 * The experiments' small network: High (held 0.4351 V), Low (held 0.0181 V), In, Out; gates G- = edge 0 (Low-Out)
 * and G+ = edge 1 (High-Out), the gate vector is ordered (G-, G+) as in the data files; edge 2 is 500 ohm In-Out.
 * Edge orientation a -> b = source node -> Out, so dV_e = V_out - V_source.
 */
export function smallGateNetwork(rails: [number, number][] = SMALL_DEFAULT_RAILS): GateNetwork {
  const { high, low, input, output } = SMALL_NODES;
  const net: Network = {
    name: 'gen2-small',
    nodes: 4,
    edgeA: Int32Array.from([low, high, input]),
    edgeB: Int32Array.from([output, output, output]),
    // Gate entries are overwritten from the gates at every solve; 1 mS is a placeholder.
    conductance: Float64Array.from([1e-3, 1e-3, 1 / SMALL_FIXED_OHMS]),
  };
  return {
    net,
    gateEdges: Int32Array.from([SMALL_EDGES.gMinus, SMALL_EDGES.gPlus]),
    s: SMALL_S,
    vt: SMALL_VT,
    held: new Map([
      [high, SMALL_HIGH_V],
      [low, SMALL_LOW_V],
    ]),
    inputNode: input,
    outputNode: output,
    rails: rails.map(([lo, hi]) => [lo, hi] as [number, number]),
  };
}

/** The tasks of experiments 1 and 2 (input V -> desired output V), as in issue 19 (the authors' fitted values). */
export const SMALL_TASKS: Record<'exp1' | 'exp2', [GateTask, GateTask]> = {
  exp1: [
    { name: 'alpha', input: 0.4227, desired: 0.32317 },
    { name: 'beta', input: -0.00409, desired: 0.14534 },
  ],
  exp2: [
    { name: 'alpha', input: 0.40781, desired: 0.31822 },
    { name: 'beta', input: 0.01955, desired: 0.19657 },
  ],
};
