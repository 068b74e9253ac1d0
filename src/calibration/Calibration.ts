/**
 * A loaded calibration record, as the host uses it: readings to volts (ADC gain and offset), commanded to imposed
 * volts and back (DAC gain and offset of each drive and clamp channel), edge settings to conductances (per-edge law),
 * and the board state it predicts for given settings and sources. A channel the record does not determine (null)
 * is taken as ideal (gain 1, offset 0, series resistance 0). A DAC channel is a source behind its fitted output
 * resistance r (ohm; channelResistance.ts): the node sits at `gain c + offset - r I`, I the channel's current (A).
 */
import type { BoardIdentity } from '../../firmware-protocol/identity.js';
import { InvalidInputError } from '../errors.js';
import { type BoardGraph, BoardStates, boardLaws, type EdgeParameters } from './boardStates.js';
import { gateFloor, ohmicConductance, tapConductance } from '../physics/edgeLaws.js';
import { currentInto, SeriesBoardStates, type SeriesChannel } from './channelResistance.js';
import type { CalibrationRecord, ChannelFit } from './types.js';

/** Which DAC channel of a node. */
export type DacKind = 'drive' | 'clamp';

/** What a run record's start document keeps about the calibration in force. */
export interface CalibrationSummary {
  id: string;
  created: string;
  /** File it was loaded from, if any. */
  file?: string;
  model: string;
  uid: string;
}

export class Calibration {
  readonly nodes: number;
  readonly edges: number;
  readonly graph: BoardGraph;
  private readonly adcGain: Float64Array;
  private readonly adcOffset: Float64Array;
  private readonly dac: Record<DacKind, { gain: Float64Array; offset: Float64Array; r: Float64Array }>;
  private readonly states: BoardStates;
  /** The board with channels behind their series resistance (channelResistance.ts). */
  private readonly series: SeriesBoardStates;

  constructor(
    readonly record: CalibrationRecord,
    /** The file it came from (for messages and run records). */
    readonly file?: string,
  ) {
    const b = record.board;
    this.nodes = b.nodes;
    this.edges = b.edges.length;
    this.graph = { nodes: b.nodes, edgeA: Int32Array.from(b.edges, (e) => e[0]), edgeB: Int32Array.from(b.edges, (e) => e[1]) };
    const gains = (c: ChannelFit): Float64Array => Float64Array.from({ length: b.nodes }, (_, i) => c.gain[i] ?? 1);
    const offsets = (c: ChannelFit): Float64Array => Float64Array.from({ length: b.nodes }, (_, i) => c.offset[i] ?? 0);
    this.states = new BoardStates(this.graph);
    this.series = new SeriesBoardStates(this.graph);
    this.adcGain = gains(record.adc);
    this.adcOffset = offsets(record.adc);
    // no r (a record before it) or null (not fitted): 0, the ideal voltage source
    const rs = (c: ChannelFit): Float64Array => Float64Array.from({ length: b.nodes }, (_, i) => c.r?.[i] ?? 0);
    this.dac = {
      drive: { gain: gains(record.dac.drive), offset: offsets(record.dac.drive), r: rs(record.dac.drive) },
      clamp: { gain: gains(record.dac.clamp), offset: offsets(record.dac.clamp), r: rs(record.dac.clamp) },
    };
  }

  /**
   * Check that the record belongs to this board: same model, uid and topology (InvalidInputError otherwise, naming
   * `source`). Returns warnings for differences that do not invalidate it (firmware version).
   */
  checkBoard(id: BoardIdentity, source = this.file ?? 'calibration'): string[] {
    const b = this.record.board;
    const fix = `calibrate this board with 'clln calibrate --board ... --out FILE' and pass that file`;
    if (b.model !== id.model) throw new InvalidInputError({ source, field: 'board.model' }, `is for a ${b.model} board, but the board is a ${id.model}`, fix);
    if (b.uid !== id.uid) throw new InvalidInputError({ source, field: 'board.uid' }, `is for board uid ${b.uid}, but the connected board is uid ${id.uid}`, fix);
    if (b.nodes !== id.nodes || b.edges.length !== id.edges.length || b.edges.some(([x, y], e) => id.edges[e][0] !== x || id.edges[e][1] !== y)) {
      throw new InvalidInputError({ source, field: 'board.edges' }, "does not match the board's topology", fix);
    }
    if (b.edge.kind !== id.edge.kind) throw new InvalidInputError({ source, field: 'board.edge.kind' }, `is ${b.edge.kind}, the board's edges are ${id.edge.kind}`, fix);
    const warnings: string[] = [];
    if (b.firmware !== id.firmware) warnings.push(`calibration taken with firmware ${b.firmware}; the board runs ${id.firmware}`);
    return warnings;
  }

  /** What a run record keeps. */
  summary(): CalibrationSummary {
    return { id: this.record.id, created: this.record.created, ...(this.file ? { file: this.file } : {}), model: this.record.board.model, uid: this.record.board.uid };
  }

  /** Readings (V, as the ADC reports them) to node voltages (V): (r - offset) / gain. */
  readingsToVolts(readings: ArrayLike<number>, out = new Float64Array(readings.length)): Float64Array {
    for (let i = 0; i < readings.length; i++) out[i] = (readings[i] - this.adcOffset[i]) / this.adcGain[i];
    return out;
  }

  /** The ADC gain of node i's channel (1 where undetermined). */
  adcGainAt(i: number): number {
    return this.adcGain[i];
  }

  /** Node voltages (V) to what the ADC would read: gain V + offset. */
  voltsToReadings(volts: ArrayLike<number>, out = new Float64Array(volts.length)): Float64Array {
    for (let i = 0; i < volts.length; i++) out[i] = this.adcGain[i] * volts[i] + this.adcOffset[i];
    return out;
  }

  /** What node i's ADC channel reads at `volts`. */
  readingOf(node: number, volts: number): number {
    return this.adcGain[node] * volts + this.adcOffset[node];
  }

  /** The voltage (V) at node i for its channel's `reading`. */
  voltsOf(node: number, reading: number): number {
    return (reading - this.adcOffset[node]) / this.adcGain[node];
  }

  /**
   * Gate boards: per edge s_mean / s_e (s_mean the geometric mean), the factor by which a gate-voltage step is scaled
   * so that every edge's conductance changes by the same amount for the same rule output. Tap boards: null.
   */
  gateStepScale(): Float64Array | null {
    const ed = this.record.edges;
    if (ed.kind !== 'gate') return null;
    let logMean = 0;
    for (const s of ed.s) logMean += Math.log(s) / ed.s.length;
    const mean = Math.exp(logMean);
    return Float64Array.from(ed.s, (s) => mean / s);
  }

  /** A DAC channel's output (series) resistance (ohm; 0 where the record has none). */
  seriesResistance(node: number, kind: DacKind): number {
    return this.dac[kind].r[node];
  }

  /**
   * The node voltages (V) of driven and clamped nodes given the state the board is in: each channel's source
   * (imposedVolts) less its drop r I, with I the current (A) the node delivers into the edges at `volts` (node
   * voltages, e.g. the calibrated readings) and `conductances` (S). With every r 0, exactly imposedMap.
   */
  channelNodeVolts(drive: ReadonlyMap<number, number>, clamp: ReadonlyMap<number, number>, volts: ArrayLike<number>, conductances: ArrayLike<number>): Map<number, number> {
    const out = new Map<number, number>();
    for (const [m, kind] of [[drive, 'drive'], [clamp, 'clamp']] as const) {
      for (const [n, c] of m) {
        const r = this.dac[kind].r[n];
        const src = this.imposedVolts(n, c, kind);
        out.set(n, r === 0 ? src : src - r * currentInto(this.graph, conductances, volts, n));
      }
    }
    return out;
  }

  /** The source voltage (V) of a DAC channel for a commanded value (at its node when its series resistance is 0). */
  imposedVolts(node: number, commanded: number, kind: DacKind): number {
    return this.dac[kind].gain[node] * commanded + this.dac[kind].offset[node];
  }

  /** The command that makes a DAC channel impose `volts`. */
  commandFor(node: number, volts: number, kind: DacKind): number {
    return (volts - this.dac[kind].offset[node]) / this.dac[kind].gain[node];
  }

  /** Map every value of `m` (node -> V) through a channel kind: commanded -> imposed. */
  imposedMap(m: ReadonlyMap<number, number>, kind: DacKind): Map<number, number> {
    const out = new Map<number, number>();
    for (const [n, v] of m) out.set(n, this.imposedVolts(n, v, kind));
    return out;
  }

  /** The per-edge law parameters for given settings (boardStates.ts). */
  edgeLaw(settings: ArrayLike<number>): EdgeParameters {
    const E = this.edges;
    const k = new Float64Array(E);
    const ed = this.record.edges;
    if (ed.kind === 'tap') {
      for (let e = 0; e < E; e++) k[e] = tapConductance({ taps: ed.taps, rMin: ed.rMin[e], rMax: ed.rMax[e], taper: ed.taper }, settings[e]);
      return { k, floor: 0 };
    }
    const overdrive = new Float64Array(E);
    let logMean = 0;
    for (let e = 0; e < E; e++) {
      k[e] = ed.s[e];
      overdrive[e] = settings[e] - ed.vt[e];
      logMean += Math.log(ed.s[e]) / E;
    }
    // the cut-off of the law (edgeLaws.ts) at the geometric mean of the fitted s
    return { k, overdrive, floor: gateFloor({ s: Math.exp(logMean) }) };
  }

  /**
   * Conductance (S) of every edge for its setting; gate boards need the node voltages (V) at which the law is
   * evaluated (e.g. the calibrated readings).
   */
  conductances(settings: ArrayLike<number>, voltages?: ArrayLike<number>): Float64Array {
    const law = this.edgeLaw(settings);
    if (!law.overdrive) return law.k;
    if (!voltages) throw new InvalidInputError({ field: 'voltages' }, 'gate edges need the node voltages', 'pass the calibrated readings');
    const out = new Float64Array(this.edges);
    for (let e = 0; e < this.edges; e++) {
      const vm = 0.5 * (voltages[this.graph.edgeA[e]] + voltages[this.graph.edgeB[e]]);
      out[e] = ohmicConductance(law.k[e], law.overdrive[e], vm, law.floor);
    }
    return out;
  }

  /**
   * Relative standard error of each edge's conductance as the record determines it (largest over its fitted points,
   * plus how far those points stray from the law; gate boards: that of s). Infinity where undetermined.
   */
  conductanceUncertainty(): Float64Array {
    const ed = this.record.edges;
    if (ed.kind === 'gate') return Float64Array.from(ed.sRelStd, (s) => (s === null || s === undefined ? Infinity : s));
    return Float64Array.from(ed.points, (pts, e) => {
      let m = 0;
      for (const p of pts) m = Math.max(m, p.relStd ?? Infinity);
      return Math.hypot(m, ed.lawDeviation[e]);
    });
  }

  /** The largest standard errors of the DAC channels (gain relative, offset V), for the consistency check. */
  dacUncertainty(): { gain: number; offset: number } {
    const out = { gain: 0, offset: 0 };
    for (const ch of [this.record.dac.drive, this.record.dac.clamp]) {
      for (const g of ch.gainStd) if (g !== null && Number.isFinite(g)) out.gain = Math.max(out.gain, g);
      for (const o of ch.offsetStd) if (o !== null && Number.isFinite(o)) out.offset = Math.max(out.offset, o);
    }
    return out;
  }

  /** Node voltages (V) and readings (V) the calibrated model predicts for settings and commanded drives and clamps. */
  predict(settings: ArrayLike<number>, drive: ReadonlyMap<number, number>, clamp: ReadonlyMap<number, number>): { volts: Float64Array; readings: Float64Array; converged: boolean } {
    const imposed = this.imposedMap(drive, 'drive');
    for (const [n, v] of this.imposedMap(clamp, 'clamp')) imposed.set(n, v);
    // channels with a series resistance are solved behind it (the extra source nodes dropped from the result)
    const series: SeriesChannel[] = [];
    for (const [m, kind] of [[drive, 'drive'], [clamp, 'clamp']] as const) {
      for (const n of m.keys()) if (this.dac[kind].r[n] !== 0) series.push({ node: n, source: imposed.get(n)!, r: this.dac[kind].r[n] });
    }
    const sol = series.length === 0 ? this.states.solve(boardLaws(this.edgeLaw(settings)), imposed) : this.series.solve(this.edgeLaw(settings), imposed, series).state;
    const volts = sol.voltages.length === this.nodes ? sol.voltages : sol.voltages.slice(0, this.nodes);
    return { volts, readings: this.voltsToReadings(volts), converged: sol.converged };
  }
}
