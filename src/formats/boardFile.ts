/**
 * Board description files (`clln.board/1` JSON): what a physical board is made of. One format for two readers: the
 * twin simulates a board from it (twins/models/*.json, twins/README.md), and the host reads a real board's nominal
 * edge law from it (`--board-file`) when the board's `ID` does not report one (protocol 1.1) or to override it. The
 * JSON Schema is schemas/clln.board-1.schema.json, the limits limits.ts; {@link parseBoard} is the one validation.
 */
import { InvalidInputError, show } from '../errors.js';
import type { EdgeLaw } from '../physics/edgeLaws.js';
import { readJsonFile } from './jsonFile.js';
import { MAX_BOARD_EDGES, MAX_BOARD_NODES, MAX_BOARD_TOKEN_LENGTH, MAX_TAPS, MAX_TEXT_LENGTH, MAX_UID_HEX_DIGITS } from './limits.js';

/** Format tag of a board model file. */
export const BOARD_FORMAT = 'clln.board/1';

/** A digital potentiometer edge: `taps` positions, resistance geometric from rMax (tap 0) to rMin (tap taps-1). */
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
  /** Most examples a schedule may hold, 1..65535. Default 65535. */
  maxExamples?: number;
}

/** Defaults of {@link StepLimitsModel}. */
export const STEP_LIMIT_DEFAULTS = { eta: [1e-6, 1] as [number, number], amp: [0, 100] as [number, number], maxExamples: 65535 };

const TOP_KEYS = ['format', 'name', 'firmware', 'uid', 'nodes', 'edges', 'drivable', 'clampable', 'adc', 'dac', 'edge', 'drift', 'maxSampleRate', 'positions', 'description', 'step'];

/** Read and validate a `clln.board/1` file; throws InvalidInputError naming the file, the field, the rule and the fix. */
export function readBoardFile(path: string): BoardModel {
  return parseBoard(readJsonFile(path, 'board file'), path);
}

/** The nominal edge law a board description gives (its `edge` block without tolerance and power-on setting). */
export function boardLaw(model: BoardModel): EdgeLaw {
  const e = model.edge;
  return e.kind === 'tap' ? { kind: 'tap', taps: e.taps, rMin: e.rMin, rMax: e.rMax } : { kind: 'gate', s: e.s, vt: e.vt };
}

/**
 * Check a parsed `clln.board/1` document (e.g. from JSON or built in a test) and return it typed. Throws InvalidInputError
 * naming `source` and the field.
 */
export function parseBoard(json: unknown, source = 'board file'): BoardModel {
  const fail = (field: string, problem: string, fix: string): never => {
    throw new InvalidInputError({ source, field }, problem, fix);
  };
  const obj = (v: unknown, field: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, `must be a JSON object, got ${show(v)}`, 'write it as {"key": value, ...}');
    return v as Record<string, unknown>;
  };
  const num = (v: unknown, field: string, rule: (x: number) => boolean = () => true, ruleText = 'a finite number'): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !rule(v)) fail(field, `must be ${ruleText}, got ${show(v)}`, `set ${field} to ${ruleText}`);
    return v as number;
  };
  const str = (v: unknown, field: string, max: number, re?: RegExp): string => {
    if (typeof v !== 'string' || v.length === 0 || (re && !re.test(v))) fail(field, `must be a non-empty string${re ? ` matching ${re}` : ''}, got ${show(v)}`, `set ${field}`);
    if ((v as string).length > max) fail(field, `must be at most ${max} characters long, got ${(v as string).length}`, `shorten ${field}`);
    return v as string;
  };
  /** An array of at most `max` entries (checked before anything is built from it). */
  const list = (v: unknown, field: string, max: number, what: string, fix: string): unknown[] => {
    if (!Array.isArray(v)) fail(field, `must be an array of ${what}, got ${show(v)}`, fix);
    if ((v as unknown[]).length > max) fail(field, `must have at most ${max} entries (the limit), got ${(v as unknown[]).length}`, fix);
    return v as unknown[];
  };
  const keys = (o: Record<string, unknown>, allowed: string[], parent: string): void => {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) fail(parent ? `${parent}.${k}` : k, `unknown field ${show(k)}; allowed: ${allowed.join(', ')}`, 'remove it or correct its spelling');
    }
  };
  const nonNeg = (x: number): boolean => x >= 0;
  const pos = (x: number): boolean => x > 0;

  const o = obj(json, '(document)');
  keys(o, TOP_KEYS, '');
  if (o.format !== undefined && o.format !== BOARD_FORMAT) fail('format', `must be ${show(BOARD_FORMAT)}, got ${show(o.format)}`, `set "format": ${show(BOARD_FORMAT)}`);
  // Names and firmware go on the wire as single fields: printable, no spaces, no '*'.
  const token = /^[\x21-\x29\x2b-\x7e]+$/;
  const name = str(o.name, 'name', MAX_BOARD_TOKEN_LENGTH, token);
  const firmware = str(o.firmware, 'firmware', MAX_BOARD_TOKEN_LENGTH, token);
  const uid = str(o.uid, 'uid', MAX_UID_HEX_DIGITS, /^[0-9a-fA-F]+$/);
  const nodes = num(o.nodes, 'nodes', (x) => Number.isInteger(x) && x >= 1 && x <= MAX_BOARD_NODES, `an integer in 1..${MAX_BOARD_NODES}`);
  const nodeId = (v: unknown, field: string): number => num(v, field, (x) => Number.isInteger(x) && x >= 0 && x < nodes, `a node id in 0..${nodes - 1}`);
  const edgeList = list(o.edges, 'edges', MAX_BOARD_EDGES, '[a, b] pairs', 'list the edges as [[a,b],...]');
  const edges: [number, number][] = edgeList.map((e, i) => {
    if (!Array.isArray(e) || e.length !== 2) fail(`edges[${i}]`, `must be a pair [a, b], got ${show(e)}`, 'write the edge as [a, b]');
    const a = nodeId((e as unknown[])[0], `edges[${i}][0]`);
    const b = nodeId((e as unknown[])[1], `edges[${i}][1]`);
    if (a === b) fail(`edges[${i}]`, `joins node ${a} to itself`, 'remove the self-loop');
    return [a, b];
  });
  if (edges.length === 0) fail('edges', 'must list at least one edge', 'add edges');
  const nodeList = (v: unknown, field: string): number[] => {
    const out = list(v, field, nodes, 'node ids, each once', 'list the nodes as [0, 1, ...]').map((x, i) => nodeId(x, `${field}[${i}]`));
    if (new Set(out).size !== out.length) fail(field, 'lists a node twice', 'list each node once');
    return out.sort((a, b) => a - b);
  };
  const drivable = nodeList(o.drivable, 'drivable');
  const clampable = nodeList(o.clampable, 'clampable');

  const adcO = obj(o.adc, 'adc');
  keys(adcO, ['bits', 'lo', 'hi', 'noise', 'gainSpread', 'offsetSpread'], 'adc');
  const adc: BoardModel['adc'] = {
    bits: num(adcO.bits, 'adc.bits', (x) => Number.isInteger(x) && x >= 1 && x <= 24, 'an integer in 1..24'),
    lo: num(adcO.lo, 'adc.lo'),
    hi: num(adcO.hi, 'adc.hi'),
    noise: num(adcO.noise, 'adc.noise', nonNeg, 'a number >= 0 (V rms)'),
  };
  if (adcO.gainSpread !== undefined) adc.gainSpread = num(adcO.gainSpread, 'adc.gainSpread', (x) => x >= 0 && x < 0.5, 'a number in [0, 0.5) (relative std)');
  if (adcO.offsetSpread !== undefined) adc.offsetSpread = num(adcO.offsetSpread, 'adc.offsetSpread', nonNeg, 'a number >= 0 (V std)');
  if (!(adc.hi > adc.lo)) fail('adc.hi', `must exceed adc.lo (${adc.lo}), got ${adc.hi}`, 'give the ADC input range lo < hi');

  const dacO = obj(o.dac, 'dac');
  keys(dacO, ['lo', 'hi', 'gainSpread', 'offsetSpread', 'bits'], 'dac');
  const dac: BoardModel['dac'] = {
    lo: num(dacO.lo, 'dac.lo'),
    hi: num(dacO.hi, 'dac.hi'),
    gainSpread: num(dacO.gainSpread, 'dac.gainSpread', nonNeg, 'a number >= 0 (relative std)'),
    offsetSpread: num(dacO.offsetSpread, 'dac.offsetSpread', nonNeg, 'a number >= 0 (V std)'),
  };
  if (dacO.bits !== undefined) dac.bits = num(dacO.bits, 'dac.bits', (x) => Number.isInteger(x) && x >= 1 && x <= 24, 'an integer in 1..24');
  if (!(dac.hi > dac.lo)) fail('dac.hi', `must exceed dac.lo (${dac.lo}), got ${dac.hi}`, 'give the DAC output range lo < hi');

  const edgeO = obj(o.edge, 'edge');
  let edge: EdgeModel;
  if (edgeO.kind === 'tap') {
    keys(edgeO, ['kind', 'taps', 'rMin', 'rMax', 'tolerance', 'powerOn'], 'edge');
    const taps = num(edgeO.taps, 'edge.taps', (x) => Number.isInteger(x) && x >= 2 && x <= MAX_TAPS, `an integer in 2..${MAX_TAPS}`);
    const rMin = num(edgeO.rMin, 'edge.rMin', pos, 'a positive resistance (ohm)');
    const rMax = num(edgeO.rMax, 'edge.rMax', (x) => x > rMin, `a resistance above edge.rMin (${rMin} ohm)`);
    edge = {
      kind: 'tap',
      taps,
      rMin,
      rMax,
      tolerance: num(edgeO.tolerance, 'edge.tolerance', (x) => x >= 0 && x < 0.5, 'a number in [0, 0.5) (relative std)'),
      powerOn: num(edgeO.powerOn, 'edge.powerOn', (x) => Number.isInteger(x) && x >= 0 && x < taps, `a tap index in 0..${taps - 1}`),
    };
  } else if (edgeO.kind === 'gate') {
    keys(edgeO, ['kind', 'lo', 'hi', 'vt', 's', 'tolerance', 'powerOn'], 'edge');
    const lo = num(edgeO.lo, 'edge.lo');
    const hi = num(edgeO.hi, 'edge.hi', (x) => x > lo, `a voltage above edge.lo (${lo} V)`);
    edge = {
      kind: 'gate',
      lo,
      hi,
      vt: num(edgeO.vt, 'edge.vt'),
      s: num(edgeO.s, 'edge.s', pos, 'a positive number (S/V)'),
      tolerance: num(edgeO.tolerance, 'edge.tolerance', (x) => x >= 0 && x < 0.5, 'a number in [0, 0.5) (relative std)'),
      powerOn: num(edgeO.powerOn, 'edge.powerOn', (x) => x >= lo && x <= hi, `a gate voltage in [${lo}, ${hi}] V`),
    };
  } else {
    return fail('edge.kind', `must be "tap" or "gate", got ${show(edgeO.kind)}`, 'set edge.kind');
  }
  const model: BoardModel = {
    format: BOARD_FORMAT,
    name,
    firmware,
    uid,
    nodes,
    edges,
    drivable,
    clampable,
    adc,
    dac,
    edge,
    drift: num(o.drift, 'drift', nonNeg, 'a number >= 0 (relative drift per hour)'),
    maxSampleRate: num(o.maxSampleRate, 'maxSampleRate', pos, 'a positive number (samples per second)'),
  };
  if (o.description !== undefined) model.description = str(o.description, 'description', MAX_TEXT_LENGTH);
  if (o.step !== undefined) {
    const stepO = obj(o.step, 'step');
    keys(stepO, edge.kind === 'gate' ? ['eta', 'amp', 'maxGateStep', 'maxExamples'] : ['eta', 'maxExamples'], 'step');
    const range = (v: unknown, field: string, lo: number, hi: number, loOpen: boolean, unit: string): [number, number] => {
      const rule = `[lo, hi] with ${lo} ${loOpen ? '<' : '<='} lo <= hi <= ${hi}${unit}`;
      if (!Array.isArray(v) || v.length !== 2) fail(field, `must be ${rule}, got ${show(v)}`, `set ${field} to ${rule}`);
      const [a, b] = (v as unknown[]).map((x, i) => num(x, `${field}[${i}]`));
      if (!((loOpen ? a > lo : a >= lo) && a <= b && b <= hi)) fail(field, `must be ${rule}, got ${show(v)}`, `set ${field} to ${rule}`);
      return [a, b];
    };
    const step: StepLimitsModel = {};
    if (stepO.eta !== undefined) step.eta = range(stepO.eta, 'step.eta', 0, 1, true, '');
    if (stepO.amp !== undefined) step.amp = range(stepO.amp, 'step.amp', 0, 100, false, ' (V/V^2)');
    if (stepO.maxGateStep !== undefined) step.maxGateStep = num(stepO.maxGateStep, 'step.maxGateStep', pos, 'a positive number (V)');
    if (stepO.maxExamples !== undefined) {
      step.maxExamples = num(stepO.maxExamples, 'step.maxExamples', (x) => Number.isInteger(x) && x >= 1 && x <= 65535, 'an integer in 1..65535');
    }
    model.step = step;
  }
  if (o.positions !== undefined) {
    if (!Array.isArray(o.positions) || o.positions.length !== nodes) fail('positions', `must be an array of ${nodes} [x, y] pairs`, 'give one position per node or remove the field');
    model.positions = (o.positions as unknown[]).map((p, i) => {
      if (!Array.isArray(p) || p.length !== 2) fail(`positions[${i}]`, `must be [x, y], got ${show(p)}`, 'write it as [x, y]');
      return [num((p as unknown[])[0], `positions[${i}][0]`), num((p as unknown[])[1], `positions[${i}][1]`)];
    });
  }
  return model;
}
