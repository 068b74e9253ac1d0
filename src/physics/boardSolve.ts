/**
 * Node voltages of a small board for given imposed voltages, with edges that are linear resistors (tap boards) or
 * transistors in the Ohmic region (gate boards), solved densely: boards have tens of nodes, and calibration needs
 * the Kirchhoff Jacobian itself (for parameter sensitivities), not just the voltages. The one gate-board Newton
 * solver: calibration (src/calibration) and the twin (twins/TwinBoardCore.ts, when its fixed-point iteration stalls)
 * both call it.
 *
 * Edge law (src/physics/edgeLaws.ts): tap edges have the fixed conductance `k_e` (S); gate edges
 * `k_e(V) = ohmicConductance(s_e, overdrive_e, (V_a + V_b)/2, floor)` = `max(floor, s_e (overdrive_e - (V_a + V_b)/2))`
 * with `overdrive_e = V_G - vt_e` (V). The current from a to b is `I_e = k_e (V_a - V_b)`; Kirchhoff: the net current
 * leaving every free node is zero.
 *
 * Nodes in a connected component without an imposed node float: they read 0 V here (as on the twin) and are not
 * solved for.
 */
import { DenseLu } from './denseLu.js';
import { ohmicConductance } from './edgeLaws.js';

/** The board's graph: node count and edge list. */
export interface BoardGraph {
  nodes: number;
  edgeA: Int32Array;
  edgeB: Int32Array;
}

/** A solved state, with what sensitivities need. */
export interface BoardSolution {
  /** Node voltages (V). */
  voltages: Float64Array;
  /** Free (solved) nodes, ascending. */
  free: Int32Array;
  /** Node -> index in `free`, or -1 (imposed or floating). */
  freeIndex: Int32Array;
  /** Kirchhoff Jacobian dF/dV over all nodes (N x N row-major; F = net current leaving each node, A). */
  jacobian: Float64Array;
  /** LU of the free-free block of the Jacobian; null when there are no free nodes or it is singular. */
  lu: DenseLu | null;
  /** Edge conductances at the solution (S). */
  conductance: Float64Array;
  /** Whether each edge is above its floor (conducting by its law; false = cut off). */
  on: Uint8Array;
  converged: boolean;
  iterations: number;
  /** Largest |net current| at a free node (A). */
  residual: number;
}

/** Edge law arrays of {@link solveBoard}: see the file comment. */
export interface EdgeLawArrays {
  /** Tap boards: each edge's conductance (S). Gate boards: each edge's factor s_e (S/V, multiplier included). */
  k: Float64Array;
  /** Gate boards: each edge's V_G - vt_e (V). Absent: a linear (tap) board. */
  overdrive?: Float64Array;
  /** Gate boards: the cut-off conductance (S). */
  floor: number;
  /**
   * Twin fault knobs (twins/TwinBoardCore.ts): per-edge factor on the law's conductance after the floor (an open
   * edge), and per-edge fixed conductance (S) that replaces the law where it is finite (a shorted edge; NaN = none).
   */
  scale?: Float64Array;
  fixed?: Float64Array;
}

const MAX_NEWTON = 60;

/**
 * Solve the board for `imposed` (node -> V). `warm` (node voltages of a nearby state) speeds up gate boards. Tap
 * boards: one linear solve. Gate boards: damped Newton on Kirchhoff's law from `warm` or the mean imposed voltage,
 * to a voltage step below 1e-13 V (or no further decrease of the current residual).
 */
export function solveBoard(g: BoardGraph, law: EdgeLawArrays, imposed: ReadonlyMap<number, number>, warm?: Float64Array): BoardSolution {
  const N = g.nodes;
  const E = g.edgeA.length;
  const anchored = anchoredNodes(g, imposed);
  const freeIndex = new Int32Array(N).fill(-1);
  const freeList: number[] = [];
  for (let i = 0; i < N; i++) if (anchored[i] && !imposed.has(i)) freeIndex[i] = freeList.push(i) - 1;
  const free = Int32Array.from(freeList);
  const nf = free.length;
  const v = new Float64Array(N);
  let mean = 0;
  for (const x of imposed.values()) mean += x;
  mean = imposed.size > 0 ? mean / imposed.size : 0;
  for (let i = 0; i < N; i++) v[i] = freeIndex[i] >= 0 ? (warm ? warm[i] : mean) : 0;
  for (const [i, x] of imposed) v[i] = x;

  const linear = law.overdrive === undefined;
  const K = new Float64Array(N * N);
  const F = new Float64Array(N);
  const k = new Float64Array(E);
  const on = new Uint8Array(E);
  const assemble = (): void => {
    K.fill(0);
    F.fill(0);
    for (let e = 0; e < E; e++) {
      const a = g.edgeA[e];
      const b = g.edgeB[e];
      const d = v[a] - v[b];
      let ke: number;
      // dk: d k_e / d V_a = d k_e / d V_b (S/V)
      let dk = 0;
      on[e] = 1;
      if (law.overdrive === undefined) ke = law.k[e];
      else {
        ke = ohmicConductance(law.k[e], law.overdrive[e], 0.5 * (v[a] + v[b]), law.floor);
        if (ke > law.floor) dk = -0.5 * law.k[e];
        else on[e] = 0;
      }
      if (law.fixed && Number.isFinite(law.fixed[e])) {
        ke = law.fixed[e];
        dk = 0;
      } else if (law.scale) {
        ke *= law.scale[e];
        dk *= law.scale[e];
      }
      k[e] = ke;
      const i = ke * d;
      const dIa = ke + dk * d;
      const dIb = -ke + dk * d;
      F[a] += i;
      F[b] -= i;
      K[a * N + a] += dIa;
      K[a * N + b] += dIb;
      K[b * N + a] -= dIa;
      K[b * N + b] -= dIb;
    }
  };
  const freeBlock = (): Float64Array => {
    const A = new Float64Array(nf * nf);
    for (let r = 0; r < nf; r++) for (let c = 0; c < nf; c++) A[r * nf + c] = K[free[r] * N + free[c]];
    return A;
  };
  const residualOf = (): number => {
    let m = 0;
    for (let r = 0; r < nf; r++) m = Math.max(m, Math.abs(F[free[r]]));
    return m;
  };

  assemble();
  let lu = nf > 0 ? DenseLu.factor(freeBlock(), nf) : null;
  let iterations = 0;
  let converged = nf === 0;
  if (nf > 0 && lu) {
    for (iterations = 1; iterations <= (linear ? 1 : MAX_NEWTON); iterations++) {
      const rhs = new Float64Array(nf);
      for (let r = 0; r < nf; r++) rhs[r] = -F[free[r]];
      const dx = lu.solve(rhs);
      const r0 = residualOf();
      const saved = Float64Array.from(v);
      let t = 1;
      let maxStep = 0;
      for (let h = 0; h < 30; h++, t *= 0.5) {
        for (let r = 0; r < nf; r++) v[free[r]] = saved[free[r]] + t * dx[r];
        assemble();
        if (linear || residualOf() <= r0 || h === 29) break;
      }
      for (let r = 0; r < nf; r++) maxStep = Math.max(maxStep, Math.abs(t * dx[r]));
      lu = DenseLu.factor(freeBlock(), nf);
      if (linear || maxStep < 1e-13 || !lu) {
        converged = lu !== null;
        break;
      }
    }
    if (!linear && iterations > MAX_NEWTON) converged = residualOf() < 1e-12;
  }
  return { voltages: v, free, freeIndex, jacobian: K, lu, conductance: k, on, converged, iterations, residual: residualOf() };
}

/** Nodes whose connected component holds an imposed node (1) or not (0). */
function anchoredNodes(g: BoardGraph, imposed: ReadonlyMap<number, number>): Uint8Array {
  const parent = Int32Array.from({ length: g.nodes }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  for (let e = 0; e < g.edgeA.length; e++) parent[find(g.edgeA[e])] = find(g.edgeB[e]);
  const roots = new Set<number>();
  for (const i of imposed.keys()) roots.add(find(i));
  return Uint8Array.from({ length: g.nodes }, (_, i) => (roots.has(find(i)) ? 1 : 0));
}
