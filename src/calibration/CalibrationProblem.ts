/**
 * The calibration as a nonlinear least-squares problem: parameters (ADC and DAC gains and offsets, the edges'
 * conductance parameters), residuals (predicted minus measured reading of every node in every measurement, divided
 * by the reading's standard deviation) and their exact Jacobian (implicit differentiation of Kirchhoff's law, through
 * the exact non-symmetric Kirchhoff Jacobian at each state). States come from the host's nonlinear solver
 * (boardStates.ts).
 *
 * Parameters (names as the identifiability report prints them):
 * - `adc.gain[i]`, `adc.offset[i]` for every node i: reading = gain V + offset;
 * - `dac.drive.gain[j]`, `dac.drive.offset[j]` for every drivable node, `dac.clamp.*` for every clampable node:
 *   source V = gain * commanded + offset;
 * - `dac.drive.r[j]`, `dac.clamp.r[j]` (ohm, when the channels' output resistance is fitted): the channel's series
 *   resistance, so the node sits at source V - r I with I (A) the current the channel delivers (channelResistance.ts);
 * - tap boards: `edge[e]@tap t` = ln k_e(t) (S), one per (edge, tap) pair the configurations visit;
 * - gate boards: `edge[e].ln_s` = ln s_e (S/V) and `edge[e].vt` = V_T (V).
 *
 * Readings within `railMargin` of an ADC rail are clipped by the converter and left out (weight 0).
 */
import type { BoardIdentity } from '../../firmware-protocol/identity.js';
import { type EdgeLaw, gateFloor } from '../physics/edgeLaws.js';
import { type BoardGraph, type BoardState, BoardStates, boardLaws, type EdgeParameters } from './boardStates.js';
import { exactCurrentInto, SeriesBoardStates, type SeriesChannel } from './channelResistance.js';
import type { LeastSquaresProblem } from './levenbergMarquardt.js';
import type { CalibrationData } from './types.js';

/** Where each parameter lives in the vector. -1: no such parameter (e.g. a node without a clamp channel). */
export interface ParameterLayout {
  n: number;
  names: string[];
  adcGain: Int32Array;
  adcOffset: Int32Array;
  driveGain: Int32Array;
  driveOffset: Int32Array;
  clampGain: Int32Array;
  clampOffset: Int32Array;
  /** Series resistance (ohm) of each drive and clamp channel; -1 where not fitted (then it is 0). */
  driveR: Int32Array;
  clampR: Int32Array;
  /** Tap boards: parameter of edge e in configuration c at [c * E + e]; gate boards: empty. */
  edgeParam: Int32Array;
  /** Tap boards: the (edge, setting) of each edge parameter, in parameter order (offset `firstEdgeParam`). */
  tapPairs: { edge: number; setting: number }[];
  /** Gate boards: ln s_e and vt_e parameter of each edge; tap boards: empty. */
  logS: Int32Array;
  vt: Int32Array;
  firstEdgeParam: number;
}

/** What the problem is built from. */
export interface ProblemInput {
  id: Pick<BoardIdentity, 'nodes' | 'edges' | 'drivable' | 'clampable' | 'adc' | 'edge'>;
  data: CalibrationData;
  /** The nominal law (for the gate cut-off floor). */
  nominal: EdgeLaw;
  /** Standard deviation of one reading (V). */
  readingSigma: number;
  /** Readings within this of an ADC rail are left out (V). */
  railMargin: number;
  /**
   * Fit every DAC channel's series resistance (`dac.*.r[j]`; a channel no measurement uses comes out undetermined);
   * default false (no such parameters).
   */
  channelResistance?: boolean;
}

export class CalibrationProblem implements LeastSquaresProblem {
  readonly n: number;
  readonly m: number;
  readonly layout: ParameterLayout;
  readonly graph: BoardGraph;
  /** Per residual: 1 if used, 0 if the reading was at a rail. */
  readonly weight: Float64Array;
  readonly excluded: number;
  /** Standard deviation of one reading (V) the residuals are divided by. */
  readonly readingSigma: number;
  private readonly N: number;
  private readonly E: number;
  private readonly floor: number;
  private readonly gate: boolean;
  private readonly warm: (Float64Array | undefined)[];
  private lastX: Float64Array | null = null;
  private lastSolutions: BoardState[] = [];
  private lastParams: EdgeParameters[] = [];
  /**
   * Per measurement at the last x: the channels solved behind their resistance (r != 0), their parameter columns,
   * source nodes, and the states of the board they were solved on (the augmented one, or the board's own).
   */
  private lastSeries: { channels: SeriesChannel[]; col: number[]; sourceNode: Int32Array; extraEdge: Int32Array; states: BoardStates }[] = [];
  private readonly states: BoardStates;
  private readonly series: SeriesBoardStates;

  constructor(private readonly input: ProblemInput) {
    const { id, data } = input;
    this.N = id.nodes;
    this.E = id.edges.length;
    this.gate = id.edge.kind === 'gate';
    this.graph = { nodes: id.nodes, edgeA: Int32Array.from(id.edges, (e) => e[0]), edgeB: Int32Array.from(id.edges, (e) => e[1]) };
    this.states = new BoardStates(this.graph);
    this.series = new SeriesBoardStates(this.graph);
    this.floor = input.nominal.kind === 'gate' ? gateFloor(input.nominal) : 0;
    this.layout = buildLayout(id, data, input.channelResistance ?? false);
    this.readingSigma = input.readingSigma;
    this.n = this.layout.n;
    this.m = data.measurements.length * this.N;
    this.weight = new Float64Array(this.m);
    let excluded = 0;
    const { lo, hi } = id.adc;
    data.measurements.forEach((meas, mi) => {
      for (let i = 0; i < this.N; i++) {
        const r = meas.readings[i];
        const ok = Number.isFinite(r) && r > lo + input.railMargin && r < hi - input.railMargin;
        this.weight[mi * this.N + i] = ok ? 1 : 0;
        if (!ok) excluded++;
      }
    });
    this.excluded = excluded;
    this.warm = new Array(data.measurements.length).fill(undefined);
  }

  /** The edge law parameters of configuration `c` at parameters x. */
  law(x: Float64Array, c: number): EdgeParameters {
    const E = this.E;
    const k = new Float64Array(E);
    const settings = this.input.data.configurations[c];
    if (!this.gate) {
      for (let e = 0; e < E; e++) k[e] = Math.exp(x[this.layout.edgeParam[c * E + e]]);
      return { k, floor: 0 };
    }
    const overdrive = new Float64Array(E);
    for (let e = 0; e < E; e++) {
      k[e] = Math.exp(x[this.layout.logS[e]]);
      overdrive[e] = settings[e] - x[this.layout.vt[e]];
    }
    return { k, overdrive, floor: this.floor };
  }

  /** The voltages imposed in measurement `mi` at parameters x (commanded values through the DAC parameters). */
  imposed(x: Float64Array, mi: number): Map<number, number> {
    const meas = this.input.data.measurements[mi];
    const L = this.layout;
    const out = new Map<number, number>();
    for (const [j, c] of meas.drive) out.set(j, x[L.driveGain[j]] * c + x[L.driveOffset[j]]);
    for (const [j, c] of meas.clamp) out.set(j, x[L.clampGain[j]] * c + x[L.clampOffset[j]]);
    return out;
  }

  /** Solve every measurement's state at x (cached for the last x). */
  solveAll(x: Float64Array): BoardState[] {
    if (this.lastX && sameVector(this.lastX, x)) return this.lastSolutions;
    const ms = this.input.data.measurements;
    const params = this.input.data.configurations.map((_, c) => this.law(x, c));
    const laws = params.map(boardLaws);
    const sols: BoardState[] = [];
    const L = this.layout;
    const series: typeof this.lastSeries = [];
    for (let mi = 0; mi < ms.length; mi++) {
      const imp = this.imposed(x, mi);
      // channels with a nonzero series resistance are solved behind it; with none, exactly the imposed solve
      const channels: SeriesChannel[] = [];
      const col: number[] = [];
      for (const [list, R] of [[ms[mi].drive, L.driveR], [ms[mi].clamp, L.clampR]] as const) {
        for (const [j] of list) {
          if (R[j] >= 0 && x[R[j]] !== 0) {
            channels.push({ node: j, source: imp.get(j)!, r: x[R[j]] });
            col.push(R[j]);
          }
        }
      }
      const warm = this.gate ? this.warm[mi] : undefined;
      let sol: BoardState;
      if (channels.length === 0) {
        // (a warm state of the augmented board, from an x with r != 0, starts the board's nodes)
        sol = this.states.solve(laws[ms[mi].configuration], imp, warm && warm.length !== this.N ? warm.subarray(0, this.N) : warm);
        series.push({ channels, col, sourceNode: new Int32Array(0), extraEdge: new Int32Array(0), states: this.states });
      } else {
        const s = this.series.solve(params[ms[mi].configuration], imp, channels, warm);
        sol = s.state;
        series.push({ channels, col, sourceNode: s.sourceNode, extraEdge: s.extraEdge, states: s.states });
      }
      if (this.gate && sol.converged) this.warm[mi] = sol.voltages;
      sols.push(sol);
    }
    this.lastX = Float64Array.from(x);
    this.lastSolutions = sols;
    this.lastParams = params;
    this.lastSeries = series;
    return sols;
  }

  /** Predicted readings of measurement mi at x (V). */
  predictedReadings(x: Float64Array, mi: number): Float64Array {
    const sol = this.solveAll(x)[mi];
    const L = this.layout;
    return Float64Array.from(sol.voltages.subarray(0, this.N), (v, i) => x[L.adcGain[i]] * v + x[L.adcOffset[i]]);
  }

  residuals(x: Float64Array, r: Float64Array): void {
    const sols = this.solveAll(x);
    const ms = this.input.data.measurements;
    const N = this.N;
    const L = this.layout;
    const inv = 1 / this.input.readingSigma;
    for (let mi = 0; mi < ms.length; mi++) {
      const v = sols[mi].voltages;
      const meas = ms[mi].readings;
      for (let i = 0; i < N; i++) {
        const row = mi * N + i;
        r[row] = this.weight[row] === 0 ? 0 : (x[L.adcGain[i]] * v[i] + x[L.adcOffset[i]] - meas[i]) * inv;
      }
    }
  }

  jacobian(x: Float64Array, J: Float64Array): void {
    J.fill(0);
    const sols = this.solveAll(x);
    const ms = this.input.data.measurements;
    const { N, E, n } = this;
    const L = this.layout;
    const inv = 1 / this.input.readingSigma;
    for (let mi = 0; mi < ms.length; mi++) {
      const sol = sols[mi];
      const v = sol.voltages;
      const base = mi * N;
      const series = this.lastSeries[mi];
      // the exact Kirchhoff Jacobian of the board the state was solved on (with the channels' source nodes, if any)
      const { jacobian: K, lu } = series.states.jacobian(sol);
      // dr_i / d(adc params)
      for (let i = 0; i < N; i++) {
        if (this.weight[base + i] === 0) continue;
        J[(base + i) * n + L.adcGain[i]] = v[i] * inv;
        J[(base + i) * n + L.adcOffset[i]] = inv;
      }
      const nf = sol.free.length;
      // nodes of the solved system: the board's, plus one source node per channel behind its resistance
      const Na = v.length;
      // dV / d(imposed value of node j): 1 at j, -K_ff^-1 K_fj at the free nodes
      const imposedSens = (j: number): Float64Array => {
        const dv = new Float64Array(Na);
        dv[j] = 1;
        if (nf > 0 && lu) {
          const rhs = new Float64Array(nf);
          for (let r = 0; r < nf; r++) rhs[r] = -K[sol.free[r] * Na + j];
          const z = lu.solve(rhs);
          for (let r = 0; r < nf; r++) dv[sol.free[r]] = z[r];
        }
        return dv;
      };
      const addColumn = (col: number, dv: Float64Array, scale: number): void => {
        if (col < 0 || scale === 0) return;
        for (let i = 0; i < N; i++) {
          if (dv[i] === 0 || this.weight[base + i] === 0) continue;
          J[(base + i) * n + col] += x[L.adcGain[i]] * dv[i] * scale * inv;
        }
      };
      for (const [list, G, O, R] of [
        [ms[mi].drive, L.driveGain, L.driveOffset, L.driveR],
        [ms[mi].clamp, L.clampGain, L.clampOffset, L.clampR],
      ] as const) {
        for (const [j, c] of list) {
          const q = R[j] >= 0 ? series.col.indexOf(R[j]) : -1;
          // the source voltage: at the channel's node (r = 0) or at its source node behind r
          const dv = imposedSens(q >= 0 ? series.sourceNode[q] : j);
          addColumn(G[j], dv, c);
          addColumn(O[j], dv, 1);
          if (R[j] < 0) continue;
          if (q < 0) {
            // r = 0: V_j = V_src - r I_j, so dV/dr = -I_j times the sensitivity to node j's imposed value
            addColumn(R[j], dv, -exactCurrentInto(this.graph, sol.laws, v, j));
          } else if (nf > 0 && lu) {
            // r != 0: the extra edge j -> source carries I = (V_j - V_src) / r; dI/dr = -(V_j - V_src) / r^2
            const fj = sol.freeIndex[j];
            const dI = -(v[j] - v[series.sourceNode[q]]) / (x[R[j]] * x[R[j]]);
            if (fj < 0 || dI === 0) continue;
            const rhs = new Float64Array(nf);
            rhs[fj] = -dI;
            const z = lu.solve(rhs);
            const dvr = new Float64Array(Na);
            for (let r = 0; r < nf; r++) dvr[sol.free[r]] = z[r];
            addColumn(R[j], dvr, 1);
          }
        }
      }
      if (nf === 0 || !lu) continue;
      // edge parameters: dF/dtheta = dI_e/dtheta at a, minus at b; dV_f = -K_ff^-1 dF_f/dtheta
      const cfg = ms[mi].configuration;
      const p = this.lastParams[cfg];
      for (let e = 0; e < E; e++) {
        const a = this.graph.edgeA[e];
        const b = this.graph.edgeB[e];
        const fa = sol.freeIndex[a];
        const fb = sol.freeIndex[b];
        if (fa < 0 && fb < 0) continue;
        const d = v[a] - v[b];
        // Gate edges: I = max(floor, s_e c) d with c = V_G - vt_e - (V_a + V_b)/2; where the channel conducts,
        // dI/d ln s_e = s_e c d and dI/d vt_e = -s_e d; cut off, the floor depends on neither. Tap: dI/d ln k = k d.
        let cols: [number, number][];
        if (this.gate) {
          const kOn = p.k[e] * (p.overdrive![e] - 0.5 * (v[a] + v[b]));
          if (!(kOn > p.floor)) continue;
          cols = [
            [L.logS[e], kOn * d],
            [L.vt[e], -p.k[e] * d],
          ];
        } else cols = [[L.edgeParam[cfg * E + e], p.k[e] * d]];
        for (const [col, dI] of cols) {
          if (dI === 0) continue;
          const rhs = new Float64Array(nf);
          if (fa >= 0) rhs[fa] = -dI;
          if (fb >= 0) rhs[fb] = dI;
          const z = lu.solve(rhs);
          const dv = new Float64Array(Na);
          for (let r = 0; r < nf; r++) dv[sol.free[r]] = z[r];
          addColumn(col, dv, 1);
        }
      }
    }
  }
}

function sameVector(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lay out the parameters of a board and a data set. */
export function buildLayout(id: ProblemInput['id'], data: CalibrationData, channelResistance = false): ParameterLayout {
  const N = id.nodes;
  const E = id.edges.length;
  const names: string[] = [];
  const add = (name: string): number => names.push(name) - 1;
  const adcGain = Int32Array.from({ length: N }, (_, i) => add(`adc.gain[${i}]`));
  const adcOffset = Int32Array.from({ length: N }, (_, i) => add(`adc.offset[${i}]`));
  const driveGain = new Int32Array(N).fill(-1);
  const driveOffset = new Int32Array(N).fill(-1);
  for (const j of id.drivable) {
    driveGain[j] = add(`dac.drive.gain[${j}]`);
    driveOffset[j] = add(`dac.drive.offset[${j}]`);
  }
  const clampGain = new Int32Array(N).fill(-1);
  const clampOffset = new Int32Array(N).fill(-1);
  for (const j of id.clampable) {
    clampGain[j] = add(`dac.clamp.gain[${j}]`);
    clampOffset[j] = add(`dac.clamp.offset[${j}]`);
  }
  // series resistances of every channel, like the gains: one the data do not use is reported 'not used'; the layout
  // depends on the board only, so that candidate measurements (identifiability suggestions) extend it
  const driveR = new Int32Array(N).fill(-1);
  const clampR = new Int32Array(N).fill(-1);
  if (channelResistance) {
    for (const j of id.drivable) driveR[j] = add(`dac.drive.r[${j}]`);
    for (const j of id.clampable) clampR[j] = add(`dac.clamp.r[${j}]`);
  }
  const firstEdgeParam = names.length;
  const C = data.configurations.length;
  const edgeParam = new Int32Array(id.edge.kind === 'tap' ? C * E : 0);
  const tapPairs: { edge: number; setting: number }[] = [];
  const logS = new Int32Array(id.edge.kind === 'gate' ? E : 0);
  const vt = new Int32Array(id.edge.kind === 'gate' ? E : 0);
  if (id.edge.kind === 'tap') {
    const seen = new Map<string, number>();
    for (let c = 0; c < C; c++) {
      for (let e = 0; e < E; e++) {
        const t = data.configurations[c][e];
        const key = `${e}@${t}`;
        let p = seen.get(key);
        if (p === undefined) {
          p = add(`edge[${e}]@tap ${t}`);
          seen.set(key, p);
          tapPairs.push({ edge: e, setting: t });
        }
        edgeParam[c * E + e] = p;
      }
    }
  } else {
    for (let e = 0; e < E; e++) {
      logS[e] = add(`edge[${e}].ln_s`);
      vt[e] = add(`edge[${e}].vt`);
    }
  }
  return { n: names.length, names, adcGain, adcOffset, driveGain, driveOffset, clampGain, clampOffset, driveR, clampR, edgeParam, tapPairs, logS, vt, firstEdgeParam };
}
