/**
 * The calibration's board model solved by the host's one nonlinear solver (src/physics/nonlinear): tap edges as
 * resistors, gate edges as transistor elements (edgeLaws.gateEdgeElement), nodes that nothing imposed reaches held at
 * 0 V (what the board reads there). One NonlinearSolver per set of imposed nodes, so the ordering and symbolic
 * analysis are done once per pattern, not once per measurement and parameter vector. For sensitivities, the exact
 * Kirchhoff Jacobian at the state and the LU of its free block (kirchhoffJacobian.ts: a transistor's J is not
 * symmetric, and the sensitivities need its true inverse).
 */
import type { DenseLu } from '../physics/denseLu.js';
import { gateEdgeElement } from '../physics/edgeLaws.js';
import { elementLaw } from '../physics/nonlinear/elementLaw.js';
import { freeBlockLu, kirchhoffJacobian } from '../physics/nonlinear/kirchhoffJacobian.js';
import { NonlinearSolver } from '../physics/nonlinear/NonlinearSolver.js';
import { ResistorLaw, type TwoTerminalLaw } from '../physics/nonlinear/TwoTerminalLaw.js';

/** The board's graph: node count and edge list. */
export interface BoardGraph {
  nodes: number;
  edgeA: Int32Array;
  edgeB: Int32Array;
}

/**
 * Per-edge parameters of a board's law. Tap boards: `k` = each edge's conductance (S). Gate boards: `k` = each edge's
 * factor s_e (S/V), `overdrive` = V_G - vt_e (V), `floor` = the cut-off conductance (S).
 */
export interface EdgeParameters {
  k: Float64Array;
  overdrive?: Float64Array;
  floor: number;
  /**
   * Per edge: a conductance (S, > 0) that replaces the edge's law by a plain resistor where finite (NaN = the law).
   * The calibration's DAC channels behind their output resistance (channelResistance.ts) are such edges.
   */
  fixed?: Float64Array;
}

/** The two-terminal laws of a board's edges (see {@link EdgeParameters}). */
export function boardLaws(p: EdgeParameters): TwoTerminalLaw[] {
  const { k, overdrive, floor, fixed } = p;
  // gate element at vt = 0 and vg = overdrive: the law depends on V_G - vt only
  return Array.from(k, (ke, e) => {
    if (fixed && Number.isFinite(fixed[e])) return elementLaw(null, 0, { fixed: fixed[e] });
    return overdrive ? elementLaw(gateEdgeElement(ke, 0, overdrive[e], floor), 0) : new ResistorLaw(ke);
  });
}

/** A solved board state. */
export interface BoardState {
  /** Node voltages (V); floating nodes 0. */
  voltages: Float64Array;
  /** Solved (free) nodes, ascending: neither imposed nor floating. */
  free: Int32Array;
  /** Node -> index in `free`, or -1. */
  freeIndex: Int32Array;
  /** The laws it was solved with. */
  laws: readonly TwoTerminalLaw[];
  converged: boolean;
  /** Largest Kirchhoff imbalance at a free node (A). */
  residual: number;
}

export class BoardStates {
  private readonly solvers = new Map<string, { solver: NonlinearSolver; nodes: Int32Array; freeIndex: Int32Array }>();

  constructor(readonly graph: BoardGraph) {}

  /** The state for `imposed` (node -> V) with `laws`; `start`: node voltages of a nearby state (V), or none. */
  solve(laws: readonly TwoTerminalLaw[], imposed: ReadonlyMap<number, number>, start?: Float64Array): BoardState {
    const nodes = Int32Array.from([...imposed.keys()].sort((a, b) => a - b));
    const key = nodes.join(',');
    let entry = this.solvers.get(key);
    if (!entry) {
      if (this.solvers.size > 1024) this.solvers.clear();
      const { nodes: N, edgeA, edgeB } = this.graph;
      const solver = new NonlinearSolver(N, edgeA, edgeB, laws, nodes, { floating: 'zero' });
      const freeIndex = new Int32Array(N).fill(-1);
      solver.freeNodes.forEach((n, f) => (freeIndex[n] = f));
      entry = { solver, nodes, freeIndex };
      this.solvers.set(key, entry);
    } else entry.solver.setLaws(laws);
    const sol = entry.solver.solve(Float64Array.from(entry.nodes, (n) => imposed.get(n)!), start);
    return { voltages: sol.voltages, free: entry.solver.freeNodes, freeIndex: entry.freeIndex, laws, converged: sol.converged, residual: sol.residual };
  }

  /** The exact Kirchhoff Jacobian dF/dV (N x N, S) at a state, and the LU of its free block (null: none or singular). */
  jacobian(state: BoardState): { jacobian: Float64Array; lu: DenseLu | null } {
    const { nodes, edgeA, edgeB } = this.graph;
    const jacobian = kirchhoffJacobian(nodes, edgeA, edgeB, state.laws, state.voltages);
    return { jacobian, lu: freeBlockLu(jacobian, nodes, state.free) };
  }
}
