/**
 * DAC channels with an output (series) resistance: each drive or clamp channel is a Thevenin source, the ideal
 * `gain * commanded + offset` (V) behind `r_j` ohm to its node (analog switch on-resistance, DAC output impedance,
 * wiring), so the node sits at `V_src - r_j I_j` with `I_j` (A) the current the channel delivers into the network.
 *
 * Solved by the board's one solver (boardStates.ts, the host's nonlinear solver), without a new one: each channel
 * with r_j != 0 gets an auxiliary node held at V_src and joined to its node by an extra edge of fixed conductance
 * 1 / r_j (S, `fixed` in the edge parameters, a plain resistor whatever the board's law); the node itself becomes
 * free (Kirchhoff holds there, with the channel's current through the extra edge). A channel with r_j = 0 stays an
 * imposed node, exactly as without this file, so r = 0 (or absent) gives bit-identical voltages.
 *
 * A slightly negative r_j (noise around 0 in a fit, or a finite-difference step through 0) is still well defined
 * (V = V_src - r I) as long as 1 / |r_j| exceeds the node's own conductance to the network by far (r of ohms against
 * edges of kilohms). The solver minimises a convex co-content and cannot hold a negative conductance, so such a
 * channel's node is imposed at V_j and V_j iterated to `V_src - r_j I_j(V_j)` (a contraction of rate |r_j| times the
 * node's driving-point conductance, ~1e-3 and below); the state is then reported in the augmented form (the node
 * free, the extra edge a resistor of conductance 1 / r_j) so that sensitivities read it as any other.
 */
import { type BoardGraph, type BoardState, BoardStates, boardLaws, type EdgeParameters } from './boardStates.js';
import { ResistorLaw, type TwoTerminalLaw } from '../physics/nonlinear/TwoTerminalLaw.js';
import { TransistorLaw } from '../physics/nonlinear/transistorLaw.js';

/** One channel behind a resistance: its node, its source voltage (V) and its resistance (ohm, != 0). */
export interface SeriesChannel {
  node: number;
  source: number;
  r: number;
}

/** The augmented problem: graph, edge parameters and imposed map for BoardStates, and where each channel's source node is. */
export interface AugmentedBoard {
  graph: BoardGraph;
  law: EdgeParameters;
  imposed: Map<number, number>;
  /** Per channel (order of `channels`): index of its auxiliary source node, and of its extra edge. */
  sourceNode: Int32Array;
  extraEdge: Int32Array;
}

/**
 * The board with every channel of `channels` (r != 0) behind its resistance; `imposed` holds the other imposed
 * nodes (r = 0), which stay imposed. The extra edges run from the channel's node (a) to its source node (b), with
 * `fixed` conductance 1 / r (boardLaws makes them resistors).
 */
export function withSeriesChannels(graph: BoardGraph, law: EdgeParameters, imposed: ReadonlyMap<number, number>, channels: SeriesChannel[]): AugmentedBoard {
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
  const out: EdgeParameters = { k, floor: law.floor, fixed };
  if (law.overdrive) {
    const od = new Float64Array(E + q);
    od.set(law.overdrive);
    out.overdrive = od;
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

/** Current (A) of edge `e` from its a to its b end at `voltages`, by its exact law (a transistor at its own mean). */
function edgeCurrent(graph: BoardGraph, law: TwoTerminalLaw, voltages: ArrayLike<number>, e: number): number {
  const va = voltages[graph.edgeA[e]];
  const vb = voltages[graph.edgeB[e]];
  return law instanceof TransistorLaw ? law.exactCurrent(va, vb) : law.current(va - vb);
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

/**
 * Net current (A) leaving `node` into the first `edges` edges of the graph (default all) at `voltages`, by the
 * edges' exact `laws` (a solved state's: a transistor at its own mean, whatever its solver reference).
 */
export function exactCurrentInto(graph: BoardGraph, laws: readonly TwoTerminalLaw[], voltages: ArrayLike<number>, node: number, edges = graph.edgeA.length): number {
  let i = 0;
  for (let e = 0; e < edges; e++) {
    if (graph.edgeA[e] === node) i += edgeCurrent(graph, laws[e], voltages, e);
    else if (graph.edgeB[e] === node) i -= edgeCurrent(graph, laws[e], voltages, e);
  }
  return i;
}

/** A board state with channels behind their resistances, and what its sensitivities need. */
export interface SeriesState {
  /** The state of the augmented board (voltages of its N + q nodes; the channels' nodes free). */
  state: BoardState;
  /** The augmented board's states (its graph, for the Jacobian at `state`). */
  states: BoardStates;
  sourceNode: Int32Array;
  extraEdge: Int32Array;
}

/** Rounds at most of the iteration on the imposed channels' node voltages. */
const MAX_ROUNDS = 60;

/**
 * A channel is solved by the iteration on its node voltage, not as an extra edge, when `r G_j` is below this (G_j the
 * conductance of the node's edges, S): the extra edge's current `(V_j - V_src) / r` is then computed from two nearly
 * equal voltages, and its rounding (1/r times an ulp of V) reaches the solver's residual tolerance (1e-11 of the
 * largest edge current) as r -> 0, while the iteration converges fastest there.
 */
const STIFF = 1e-2;

/** `d(current leaving node n by edge e)/dV_n` (S) at `voltages`, by the exact law. */
function edgeSelfSlope(graph: BoardGraph, law: TwoTerminalLaw, voltages: ArrayLike<number>, e: number, n: number): number {
  const va = voltages[graph.edgeA[e]];
  const vb = voltages[graph.edgeB[e]];
  if (law instanceof TransistorLaw) {
    const [da, db] = law.exactDerivatives(va, vb);
    return graph.edgeA[e] === n ? da : -db;
  }
  return law.slope(va - vb);
}

/**
 * States of one board with some channels behind their resistance: one {@link BoardStates} per augmented graph (the
 * graph depends on which nodes have a channel with r != 0, in order), so each keeps its solvers per pattern.
 *
 * Two ways to one state. A channel with `r G_j >= STIFF` (G_j: its node's edge conductance, estimated from the edge
 * parameters) is its extra edge of fixed conductance 1 / r, solved with the board by the nonlinear solver. The others
 * (negative r, which the solver's convex co-content cannot hold, and r so small that the extra edge is stiff) have their
 * node imposed at V_j, V_j found by Newton on `f(V_j) = V_j - V_src + r I_j(V_j)` with the node's own slope
 * (`1 + r dI_j/dV_j`; the neighbours' response makes the rate `r (G_jj - D_jj) / (1 + r G_jj)`, D the driving-point
 * conductance: below 1e-2 here); their extra edges, held at both ends meanwhile, are given |1 / r|. Either way the
 * state is returned in the augmented form (every channel's node free, its extra edge a resistor of 1 / r), which is
 * what the sensitivities read.
 */
export class SeriesBoardStates {
  private readonly augmented = new Map<string, BoardStates>();

  constructor(readonly graph: BoardGraph) {}

  /**
   * The state with `channels` (r != 0) behind their resistances and the other nodes of `imposed` imposed;
   * `start`: node voltages of a nearby state (V; the board's nodes are taken from it), or none.
   */
  solve(params: EdgeParameters, imposed: ReadonlyMap<number, number>, channels: SeriesChannel[], start?: Float64Array): SeriesState {
    const aug = withSeriesChannels(this.graph, params, imposed, channels);
    const key = channels.map((c) => c.node).join(',');
    let states = this.augmented.get(key);
    if (!states) {
      if (this.augmented.size > 256) this.augmented.clear();
      states = new BoardStates(aug.graph);
      this.augmented.set(key, states);
    }
    const Na = aug.graph.nodes;
    const N = this.graph.nodes;
    const E = this.graph.edgeA.length;
    let warm: Float64Array | undefined;
    if (start) {
      warm = new Float64Array(Na);
      warm.set(start.subarray(0, Math.min(N, start.length)));
      channels.forEach((c, i) => (warm![aug.sourceNode[i]] = c.source));
    }
    // each node's edge conductance (S), estimated from the parameters: tap k, gate s (V_G - vt) (at 0 V), floor below
    const g = new Float64Array(N);
    for (let e = 0; e < E; e++) {
      const ge = params.fixed && Number.isFinite(params.fixed[e]) ? params.fixed[e] : params.overdrive ? Math.max(params.floor, params.k[e] * params.overdrive[e]) : params.k[e];
      g[this.graph.edgeA[e]] += ge;
      g[this.graph.edgeB[e]] += ge;
    }
    const iterated = channels.map((_, i) => i).filter((i) => !(channels[i].r * g[channels[i].node] >= STIFF));
    const base = { states, sourceNode: aug.sourceNode, extraEdge: aug.extraEdge };
    if (iterated.length === 0) return { ...base, state: states.solve(boardLaws(aug.law), aug.imposed, warm) };

    const fixed = Float64Array.from(aug.law.fixed!);
    for (const i of iterated) fixed[aug.extraEdge[i]] = Math.abs(fixed[aug.extraEdge[i]]);
    const inner = boardLaws({ ...aug.law, fixed });
    const imp = new Map(aug.imposed);
    const vj = Float64Array.from(iterated, (i) => channels[i].source);
    let state: BoardState | undefined;
    let step = Infinity;
    let kcl = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      iterated.forEach((i, t) => imp.set(channels[i].node, vj[t]));
      state = states.solve(inner, imp, state ? state.voltages : warm);
      const lastStep = step;
      step = 0;
      kcl = 0;
      iterated.forEach((i, t) => {
        const c = channels[i];
        // the current the channel delivers, out of its node into the board's edges (a node has one channel per
        // pattern, so no other extra edge meets it), and its slope in the node's voltage
        const into = exactCurrentInto(aug.graph, inner, state!.voltages, c.node, E);
        let slope = 0;
        for (let e = 0; e < E; e++) {
          if (this.graph.edgeA[e] === c.node || this.graph.edgeB[e] === c.node) slope += edgeSelfSlope(aug.graph, inner[e], state!.voltages, e, c.node);
        }
        const f = vj[t] - c.source + c.r * into;
        const d = 1 + c.r * slope;
        kcl = Math.max(kcl, Math.abs(f / c.r));
        // (a negative r with |r| G_j near 1 has no solvable neighbourhood: then the plain fixed-point step)
        const next = vj[t] - f / (d > 0.1 ? d : 1);
        step = Math.max(step, Math.abs(next - vj[t]));
        vj[t] = next;
      });
      if (!state.converged || step <= 1e-15 * (1 + Math.max(...Array.from(vj, Math.abs))) || step >= lastStep) break;
    }
    // the state read in the augmented form: the channels' nodes free, their extra edges at 1 / r
    const s = state!;
    const freeSet = new Set<number>(s.free);
    for (const i of iterated) freeSet.add(channels[i].node);
    const free = Int32Array.from([...freeSet].sort((a, b) => a - b));
    const freeIndex = new Int32Array(Na).fill(-1);
    free.forEach((n, f) => (freeIndex[n] = f));
    const laws = inner.slice();
    for (const i of iterated) laws[aug.extraEdge[i]] = new ResistorLaw(1 / channels[i].r);
    const converged = s.converged && step <= 1e-12;
    return { ...base, state: { voltages: s.voltages, free, freeIndex, laws, converged, residual: Math.max(s.residual, kcl) } };
  }
}
