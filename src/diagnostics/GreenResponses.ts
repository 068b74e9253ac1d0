/**
 * A solved network and the exact response of its free-node voltages to one change at a time: one edge's
 * conductance (rank-1, Sherman-Morrison), or one imposed node's voltage (harmonic weights). Both are Green's
 * functions of the grounded Laplacian H_FF, one solve each, computed on demand and kept.
 *
 * Edge e = (a, b) with d = e_b - e_a (docs/design.md's incidence row) and drop dV_e = V_b - V_a. Changing k_e by Delta
 * changes H by Delta d d^T; with the imposed voltages held, Kirchhoff at the free nodes gives
 *
 *     H_FF dV_F = -Delta d_F (d^T V'),   d^T V' = dV_e / (1 + Delta R_e),   R_e = d_F^T H_FF^{-1} d_F,
 *
 * so the change is always a multiple of the fixed shape g_e = H_FF^{-1} d_F:
 *
 *     V'_F - V_F = alpha g_e,   alpha = -Delta dV_e / (1 + Delta R_e)             (exact, any Delta > -k_e).
 *
 * alpha is monotone in Delta: from alpha_open = k_e dV_e / (1 - k_e R_e) (Delta = -k_e, the edge removed) through 0 to
 * alpha_short = -dV_e / R_e (Delta -> infinity, the ends joined). Inverting, an observed alpha means
 * Delta = -alpha / (dV_e + alpha R_e). R_e is the resistance between the edge's ends with the imposed nodes grounded,
 * so k_e R_e <= 1 (equality: the edge is the only path, removing it floats a node).
 *
 * Raising imposed node j by 1 V moves every free node by w_j = H_FF^{-1} (sum of k over the edges from each free
 * node to j): the harmonic weights (with w_j[j] = 1).
 */
import { InvalidInputError, NumericalError, show } from '../errors.js';
import type { LaplacianSystem, SolveDiagnostics } from '../physics/LaplacianSystem.js';

export class GreenResponses {
  readonly nodes: number;
  /** Node voltages of the solved state (V): imposed values at imposed nodes, Kirchhoff's solution elsewhere. */
  readonly voltages: Float64Array;
  /** The state's own solve. */
  readonly solve: SolveDiagnostics;
  /** Number of Green's-function solves done so far (one per edge shape and per imposed node asked for). */
  solves = 0;
  /** Largest relative KCL residual of any solve so far (the state's included). */
  maxSolveResidual: number;

  private readonly system: LaplacianSystem;
  private readonly edgeA: Int32Array;
  private readonly edgeB: Int32Array;
  private readonly k: Float64Array;
  private readonly isFree: Uint8Array;
  private readonly shapes: (Float64Array | null)[];
  private readonly resistance: Float64Array;
  private readonly weights = new Map<number, Float64Array>();
  private readonly rhs: Float64Array;

  private constructor(system: LaplacianSystem, edgeA: Int32Array, edgeB: Int32Array, k: Float64Array, voltages: Float64Array, solve: SolveDiagnostics) {
    this.system = system;
    this.nodes = system.nodes;
    this.edgeA = edgeA;
    this.edgeB = edgeB;
    this.k = k;
    this.voltages = voltages;
    this.solve = solve;
    this.maxSolveResidual = solve.residual;
    this.isFree = new Uint8Array(this.nodes);
    for (const f of system.freeNodes) this.isFree[f] = 1;
    this.shapes = new Array<Float64Array | null>(edgeA.length).fill(null);
    this.resistance = new Float64Array(edgeA.length).fill(NaN);
    this.rhs = new Float64Array(this.nodes);
  }

  /**
   * Set the conductances `k` (S, one per edge; all positive) on `system` (factorise), solve for `imposedValues` (in
   * the order of system.imposedNodes) and return the state with its response functions. `system` must have been
   * built on the same edge list; it is used (and must not be re-factorised by anyone else) while this object lives.
   */
  static solve(system: LaplacianSystem, edgeA: Int32Array, edgeB: Int32Array, k: Float64Array, imposedValues: Float64Array): GreenResponses {
    if (edgeA.length !== k.length || edgeB.length !== k.length) {
      throw new InvalidInputError({ field: 'conductance' }, `expected ${edgeA.length} conductances (one per edge), got ${k.length}`);
    }
    for (let e = 0; e < k.length; e++) {
      if (!(k[e] > 0 && Number.isFinite(k[e]))) throw new InvalidInputError({ field: `conductance[${e}]` }, `must be a positive number of siemens, got ${show(k[e])}`);
    }
    const own = Float64Array.from(k);
    system.setConductance(own);
    const { voltages, diagnostics } = system.solve(imposedValues);
    if (!diagnostics.converged) throw new NumericalError(`GreenResponses: the state's solve did not converge (relative residual ${diagnostics.residual})`);
    return new GreenResponses(system, edgeA, edgeB, own, voltages, diagnostics);
  }

  /** Conductance of edge e in this state (S). */
  conductance(e: number): number {
    return this.k[e];
  }

  /** Whether node i is free (not imposed) in this state. */
  free(i: number): boolean {
    return this.isFree[i] === 1;
  }

  /** Drop dV_e = V_b - V_a of the solved state (V). */
  edgeDrop(e: number): number {
    return this.voltages[this.edgeB[e]] - this.voltages[this.edgeA[e]];
  }

  /**
   * g_e = H_FF^{-1} d_F (per unit of alpha, indexed by node; 0 at imposed nodes). All zero when neither end is free:
   * such an edge cannot change a free voltage. Read-only (cached).
   */
  edgeShape(e: number): Float64Array {
    this.checkEdge(e);
    const cached = this.shapes[e];
    if (cached) return cached;
    const a = this.edgeA[e];
    const b = this.edgeB[e];
    let g: Float64Array;
    if (!this.isFree[a] && !this.isFree[b]) {
      g = new Float64Array(this.nodes);
    } else {
      this.rhs.fill(0);
      if (this.isFree[b]) this.rhs[b] += 1;
      if (this.isFree[a]) this.rhs[a] -= 1;
      g = this.greenSolve(this.rhs);
    }
    this.shapes[e] = g;
    this.resistance[e] = (this.isFree[b] ? g[b] : 0) - (this.isFree[a] ? g[a] : 0);
    return g;
  }

  /** R_e = d_F^T H_FF^{-1} d_F (ohm): resistance between the edge's ends with every imposed node grounded. */
  edgeResistance(e: number): number {
    this.edgeShape(e);
    return this.resistance[e];
  }

  /** alpha for a change of k_e to `factor * k_e` (factor >= 0; Infinity = short). */
  edgeAmplitude(e: number, factor: number): number {
    if (!(factor >= 0)) throw new InvalidInputError({ field: 'factor' }, `must be a number >= 0 (Infinity for a short), got ${show(factor)}`);
    const R = this.edgeResistance(e);
    const dV = this.edgeDrop(e);
    if (factor === Infinity) return R > 0 ? -dV / R : 0;
    const delta = (factor - 1) * this.k[e];
    const den = 1 + delta * R;
    if (!(den > 0)) return dV === 0 ? 0 : Math.sign(this.k[e] * dV) * Infinity; // removing a bridge floats a node
    return (-delta * dV) / den;
  }

  /** Physically possible alphas of edge e, [min, max]: between the open edge (factor 0) and the short (factor Infinity). */
  edgeAmplitudeRange(e: number): [number, number] {
    const open = this.edgeAmplitude(e, 0);
    const short = this.edgeAmplitude(e, Infinity);
    return open <= short ? [open, short] : [short, open];
  }

  /**
   * The factor k'_e / k_e that produces amplitude alpha: 1 - alpha / (k_e (dV_e + alpha R_e)). Alphas beyond the
   * physical range are reported as its end: 0 (open) or Infinity (short). NaN when the edge carries no current
   * (dV_e = 0: nothing about k_e is observable).
   */
  edgeFactor(e: number, alpha: number): number {
    const R = this.edgeResistance(e);
    const dV = this.edgeDrop(e);
    if (dV === 0 || R === 0) return alpha === 0 ? 1 : NaN;
    const den = dV + alpha * R;
    // at (or, by rounding, just past) alpha_short the denominator vanishes
    if (Math.sign(den) !== Math.sign(dV) || Math.abs(den) <= 1e-12 * Math.abs(dV)) return Infinity;
    const f = 1 - alpha / (this.k[e] * den);
    return f < 0 ? 0 : f;
  }

  /** Exact change of every node voltage (V) when k_e becomes factor * k_e (0 at imposed nodes). */
  edgeChange(e: number, factor: number): Float64Array {
    const alpha = this.edgeAmplitude(e, factor);
    const g = this.edgeShape(e);
    const out = new Float64Array(this.nodes);
    if (alpha === 0) return out;
    for (let i = 0; i < this.nodes; i++) out[i] = alpha * g[i];
    return out;
  }

  /**
   * dV/dV_j for imposed node j: the change of every node voltage per volt at j (1 at j, 0 at the other imposed
   * nodes, the harmonic weights at the free nodes). Read-only (cached).
   */
  boundaryWeights(j: number): Float64Array {
    if (!Number.isInteger(j) || j < 0 || j >= this.nodes || this.isFree[j]) {
      throw new InvalidInputError({ field: 'node' }, `must be an imposed node, got ${show(j)}`);
    }
    const cached = this.weights.get(j);
    if (cached) return cached;
    this.rhs.fill(0);
    const { edgeA, edgeB, k, isFree } = this;
    for (let e = 0; e < edgeA.length; e++) {
      if (edgeA[e] === j && isFree[edgeB[e]]) this.rhs[edgeB[e]] += k[e];
      else if (edgeB[e] === j && isFree[edgeA[e]]) this.rhs[edgeA[e]] += k[e];
    }
    const w = this.greenSolve(this.rhs);
    w[j] = 1;
    this.weights.set(j, w);
    return w;
  }

  private greenSolve(rhs: Float64Array): Float64Array {
    const { x, diagnostics } = this.system.solveFree(rhs);
    this.solves++;
    if (diagnostics.residual > this.maxSolveResidual) this.maxSolveResidual = diagnostics.residual;
    if (!diagnostics.converged) throw new NumericalError(`GreenResponses: a Green's-function solve did not converge (relative residual ${diagnostics.residual})`);
    return x;
  }

  private checkEdge(e: number): void {
    if (!Number.isInteger(e) || e < 0 || e >= this.edgeA.length) {
      throw new InvalidInputError({ field: 'edge' }, `must be an edge index in 0..${this.edgeA.length - 1}, got ${show(e)}`);
    }
  }
}
