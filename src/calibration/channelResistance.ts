/**
 * DAC channels with an output (series) resistance: each drive or clamp channel is a Thevenin source, the ideal
 * `gain * commanded + offset` (V) behind `r_j` ohm to its node (analog switch on-resistance, DAC output impedance,
 * wiring), so the node sits at `V_src - r_j I_j` with `I_j` (A) the current the channel delivers into the network.
 *
 * Solved without a new solver: each channel with r_j != 0 gets an auxiliary node held at V_src and joined to its
 * node by an extra edge of fixed conductance 1 / r_j (S); the node itself becomes free (Kirchhoff holds there, with
 * the channel's current through the extra edge). A channel with r_j = 0 stays an imposed node, exactly as without
 * this file, so r = 0 (or absent) gives bit-identical voltages. A slightly negative r_j (noise around 0 in a fit)
 * is still well defined (V = V_src - r I), as long as 1 / |r_j| exceeds the node's own conductance to the network
 * by far (r of ohms against edges of kilohms).
 */
import type { BoardGraph, EdgeLawArrays } from '../physics/boardSolve.js';

/** One channel behind a resistance: its node, its source voltage (V) and its resistance (ohm, != 0). */
export interface SeriesChannel {
  node: number;
  source: number;
  r: number;
}

/** The augmented problem: graph, law and imposed map for solveBoard, and where each channel's source node is. */
export interface AugmentedBoard {
  graph: BoardGraph;
  law: EdgeLawArrays;
  imposed: Map<number, number>;
  /** Per channel (order of `channels`): index of its auxiliary source node, and of its extra edge. */
  sourceNode: Int32Array;
  extraEdge: Int32Array;
}

/**
 * The board with every channel of `channels` (r != 0) behind its resistance; `imposed` holds the other imposed
 * nodes (r = 0), which stay imposed. The extra edges run from the channel's node (a) to its source node (b).
 */
export function withSeriesChannels(graph: BoardGraph, law: EdgeLawArrays, imposed: ReadonlyMap<number, number>, channels: SeriesChannel[]): AugmentedBoard {
  const N = graph.nodes;
  const E = graph.edgeA.length;
  const q = channels.length;
  const edgeA = new Int32Array(E + q);
  const edgeB = new Int32Array(E + q);
  edgeA.set(graph.edgeA);
  edgeB.set(graph.edgeB);
  const k = new Float64Array(E + q);
  k.set(law.k);
  // the extra edges are plain resistors whatever the board's law: a fixed conductance replaces the law there
  const fixed = new Float64Array(E + q).fill(NaN);
  if (law.fixed) fixed.set(law.fixed);
  const out: EdgeLawArrays = { k, floor: law.floor, fixed };
  if (law.overdrive) {
    const od = new Float64Array(E + q);
    od.set(law.overdrive);
    out.overdrive = od;
  }
  if (law.scale) {
    const sc = new Float64Array(E + q).fill(1);
    sc.set(law.scale);
    out.scale = sc;
  }
  const imp = new Map(imposed);
  const sourceNode = new Int32Array(q);
  const extraEdge = new Int32Array(q);
  channels.forEach((c, i) => {
    const s = N + i;
    sourceNode[i] = s;
    extraEdge[i] = E + i;
    edgeA[E + i] = c.node;
    edgeB[E + i] = s;
    k[E + i] = 1 / c.r;
    fixed[E + i] = 1 / c.r;
    imp.delete(c.node);
    imp.set(s, c.source);
  });
  return { graph: { nodes: N + q, edgeA, edgeB }, law: out, imposed: imp, sourceNode, extraEdge };
}

/** Net current (A) leaving `node` into the board's edges at `voltages`, with the edges' `conductance` (S). */
export function currentInto(graph: BoardGraph, conductance: ArrayLike<number>, voltages: ArrayLike<number>, node: number): number {
  let i = 0;
  const E = graph.edgeA.length;
  for (let e = 0; e < E; e++) {
    const a = graph.edgeA[e];
    const b = graph.edgeB[e];
    if (a === node) i += conductance[e] * (voltages[a] - voltages[b]);
    else if (b === node) i += conductance[e] * (voltages[b] - voltages[a]);
  }
  return i;
}
