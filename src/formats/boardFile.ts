/**
 * Board description files (`clln.board/1` JSON): what a physical board is made of. One format for two readers: the
 * twin simulates a board from it (twins/models/*.json, twins/README.md), and the host reads a real board's nominal
 * edge law from it (`--board-file`) when the board's `ID` does not report one (protocol 1.1) or to override it. The
 * JSON Schema is schemas/clln.board-1.schema.json, the limits limits.ts; {@link parseBoard} is the one validation.
 */
import { InvalidInputError, show } from '../errors.js';
import type { EdgeLaw, TapTaper } from '../physics/edgeLaws.js';
import { readJsonFile } from './jsonFile.js';
import { checkAgainstSchema } from './schemaCheck.js';

/** Format tag of a board model file. */
export const BOARD_FORMAT = 'clln.board/1';

/** A digital potentiometer edge: `taps` positions, resistance from rMax (tap 0) to rMin (tap taps-1), by `taper`. */
export interface TapEdgeModel {
  kind: 'tap';
  /** Number of tap positions (>= 2); settings are integers 0..taps-1, higher tap = higher conductance. */
  taps: number;
  /** Resistance at the top tap (ohm). */
  rMin: number;
  /** Resistance at tap 0 (ohm). */
  rMax: number;
  /** Relative standard deviation of the per-edge resistance error (a fixed, seeded factor per edge). */
  tolerance: number;
  /** Tap every edge holds after power-up or reset. */
  powerOn: number;
  /** `geometric` (absent: the default, so files written before it mean what they meant) or `linear` in the tap (src/physics/edgeLaws.ts). */
  taper?: TapTaper;
}

/**
 * A transistor edge whose gate voltage (held on a capacitor) is the learned value. Ohmic (triode) law:
 * k = s (V_G - vt - (V_a + V_b)/2), cut off (a tiny floor conductance) when that is not positive.
 */
export interface GateEdgeModel {
  kind: 'gate';
  /** Gate voltage range (V). */
  lo: number;
  hi: number;
  /** Threshold voltage V_T (V). */
  vt: number;
  /** Transconductance factor S (siemens per volt). */
  s: number;
  /** Relative standard deviation of the per-edge error of s. */
  tolerance: number;
  /** Gate voltage every edge holds after power-up or reset (V). */
  powerOn: number;
}

export type EdgeModel = TapEdgeModel | GateEdgeModel;

/** A board model, format `clln.board/1`. */
export interface BoardModel {
  format?: 'clln.board/1';
  /** Model name, e.g. `penn-gen1` (reported as `board=` in ID). */
  name: string;
  /** Firmware version string the twin reports. */
  firmware: string;
  /** Unique id of the board (hex), reported as `uid=`. */
  uid: string;
  /** Number of nodes N. */
  nodes: number;
  /** Edge list: edge e joins edges[e][0] to edges[e][1]. */
  edges: [number, number][];
  /** Nodes with a drive (source) channel. */
  drivable: number[];
  /** Nodes with a clamp channel. */
  clampable: number[];
  /**
   * ADC: resolution (bits), input range (V; readings saturate there), noise per sample (V rms); optional per-channel
   * gain error (relative std) and offset (V std), default 0: reading = gain_i V + offset_i before quantisation.
   */
  adc: { bits: number; lo: number; hi: number; noise: number; gainSpread?: number; offsetSpread?: number };
  /**
   * DAC (drive and clamp channels): output range (V); per-channel gain error (relative std) and offset (V std);
   * optional resolution in bits (default: none beyond the wire's 1 uV).
   */
  dac: { lo: number; hi: number; gainSpread: number; offsetSpread: number; bits?: number };
  /** The adjustable edges. */
  edge: EdgeModel;
  /** Relative conductance drift per hour (std of a multiplicative random walk per edge). */
  drift: number;
  /** Maximum ADC sample rate (samples per second). */
  maxSampleRate: number;
  /** Node positions [x, y] for drawing. */
  positions?: [number, number][];
  /** Free text: what the board is (topology, numbering). */
  description?: string;
  /** What the board's learning step accepts, reported in `ID` (PROTOCOL.md section 7.1); see {@link StepLimitsModel}. */
  step?: StepLimitsModel;
}

/**
 * The limits of a board's learning step (`clln.board/1` field `step`, every entry optional). The twin refuses a
 * STEP or schedule outside them (416) and reports them in `ID`, so the host can refuse out-of-range values before
 * sending them.
 */
export interface StepLimitsModel {
  /** [lo, hi] range of eta, 0 < lo <= hi <= 1. Default [1e-6, 1] (all of (0, 1] the wire can carry). */
  eta?: [number, number];
  /** Gate boards: [lo, hi] range of amp, V/V^2, 0 <= lo <= hi <= 100 (the plan's own bound, PLAN_LIMITS). Default [0, 100]. */
  amp?: [number, number];
  /** Gate boards: largest change of one gate voltage in one step, V (> 0). Default: the whole gate range (no limit). */
  maxGateStep?: number;
  /** Most examples a schedule may hold, 1..65535 (`sched=` in ID). Default 65535. */
  maxExamples?: number;
  /** Frames of the present or last run kept for RESEND, 1..65535 (`keep=` in ID, protocol 1.3). Default 256. */
  keep?: number;
}

/** Defaults of {@link StepLimitsModel}. */
export const STEP_LIMIT_DEFAULTS = { eta: [1e-6, 1] as [number, number], amp: [0, 100] as [number, number], maxExamples: 65535, keep: 256 };


/** Read and validate a `clln.board/1` file; throws InvalidInputError naming the file, the field, the rule and the fix. */
export function readBoardFile(path: string): BoardModel {
  return parseBoard(readJsonFile(path, 'board file'), path);
}

/** The nominal edge law a board description gives (its `edge` block without tolerance and power-on setting). */
export function boardLaw(model: BoardModel): EdgeLaw {
  const e = model.edge;
  if (e.kind === 'gate') return { kind: 'gate', s: e.s, vt: e.vt };
  return e.taper === 'linear' ? { kind: 'tap', taps: e.taps, rMin: e.rMin, rMax: e.rMax, taper: 'linear' } : { kind: 'tap', taps: e.taps, rMin: e.rMin, rMax: e.rMax };
}

/**
 * Check a parsed `clln.board/1` document (e.g. from JSON or built in a test) and return it typed. The structure
 * (types, required and known fields, ranges, limits, the edge kinds) is checked against the shipped schema
 * (schemas/clln.board-1.schema.json, with ajv: schemaCheck.ts); what follows is what a schema cannot say. Throws
 * InvalidInputError naming `source` and the field.
 */
export function parseBoard(json: unknown, source = 'board file'): BoardModel {
  const fail = (field: string, problem: string, fix: string): never => {
    throw new InvalidInputError({ source, field }, problem, fix);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('(document)', `must be a JSON object, got ${show(json)}`, 'write it as {"key": value, ...}');
  checkAgainstSchema(json, BOARD_FORMAT, source);
  const o = json as BoardModel;
  const { nodes, edge } = o;

  const nodeId = (x: number, field: string): void => {
    if (x >= nodes) fail(field, `must be a node id in 0..${nodes - 1} ("nodes" is ${nodes}), got ${x}`, `use a node id below ${nodes}`);
  };
  o.edges.forEach(([a, b], i) => {
    nodeId(a, `edges[${i}][0]`);
    nodeId(b, `edges[${i}][1]`);
    if (a === b) fail(`edges[${i}]`, `joins node ${a} to itself`, 'remove the self-loop');
  });
  const nodeList = (list: number[], field: string): number[] => {
    list.forEach((x, i) => nodeId(x, `${field}[${i}]`));
    return [...list].sort((x, y) => x - y);
  };
  const adc: BoardModel['adc'] = { ...o.adc };
  if (!(adc.hi > adc.lo)) fail('adc.hi', `must exceed adc.lo (${adc.lo}), got ${adc.hi}`, 'give the ADC input range lo < hi');
  const dac: BoardModel['dac'] = { ...o.dac };
  if (!(dac.hi > dac.lo)) fail('dac.hi', `must exceed dac.lo (${dac.lo}), got ${dac.hi}`, 'give the DAC output range lo < hi');
  if (edge.kind === 'tap') {
    if (!(edge.rMax > edge.rMin)) fail('edge.rMax', `must be a resistance above edge.rMin (${edge.rMin} ohm), got ${edge.rMax}`, 'give rMax (tap 0) above rMin (the top tap)');
    if (!Number.isInteger(edge.powerOn) || edge.powerOn >= edge.taps) fail('edge.powerOn', `must be a tap index in 0..${edge.taps - 1}, got ${show(edge.powerOn)}`, 'set the tap the board powers on at');
  } else {
    if (!(edge.hi > edge.lo)) fail('edge.hi', `must be a voltage above edge.lo (${edge.lo} V), got ${edge.hi}`, 'give the gate range lo < hi');
    if (!(edge.powerOn >= edge.lo && edge.powerOn <= edge.hi)) fail('edge.powerOn', `must be a gate voltage in [${edge.lo}, ${edge.hi}] V, got ${edge.powerOn}`, 'set the gate voltage the board powers on at');
  }
  const model: BoardModel = {
    format: BOARD_FORMAT,
    name: o.name,
    firmware: o.firmware,
    uid: o.uid,
    nodes,
    edges: o.edges.map(([a, b]) => [a, b]),
    drivable: nodeList(o.drivable, 'drivable'),
    clampable: nodeList(o.clampable, 'clampable'),
    adc,
    dac,
    edge: { ...edge },
    drift: o.drift,
    maxSampleRate: o.maxSampleRate,
  };
  if (o.description !== undefined) model.description = o.description;
  if (o.step !== undefined) {
    const step: StepLimitsModel = { ...o.step };
    if (edge.kind === 'tap') {
      for (const k of ['amp', 'maxGateStep'] as const) {
        if (step[k] !== undefined) fail(`step.${k}`, `is a gate board's limit, but edge.kind is "tap"`, `remove step.${k}`);
      }
    }
    for (const k of ['eta', 'amp'] as const) {
      const r = step[k];
      if (r && !(r[0] <= r[1])) fail(`step.${k}`, `must be [lo, hi] with lo <= hi, got [${r[0]}, ${r[1]}]`, 'swap the two values');
    }
    model.step = step;
  }
  if (o.positions !== undefined) {
    if (o.positions.length !== nodes) fail('positions', `must be an array of ${nodes} [x, y] pairs (one per node), got ${o.positions.length}`, 'give one position per node or remove the field');
    model.positions = o.positions.map(([x, y]) => [x, y]);
  }
  return model;
}
