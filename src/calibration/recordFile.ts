/**
 * Calibration records, format `clln.calibration/1` (JSON; schema in
 * `src/formats/schemas/clln.calibration-1.schema.json`, fields documented in calibration/README.md): the board the
 * record belongs to, the plan, the fitted converter channels and edges, the fit summary, the identifiability report
 * and (optionally) the raw measurements.
 *
 * JSON has no Infinity or NaN. {@link calibrationToJson} writes every non-finite number as `null`, and
 * {@link parseCalibrationRecord} reads `null` back where a non-finite value is meaningful:
 * - ChannelFit entries (gain, offset and their standard errors): null = not fitted / undetermined (the type allows
 *   null there);
 * - standard errors of fitted edges (`points[].relStd`, `sRelStd`, `vtStd`): null -> Infinity (undetermined);
 * - `lawDeviation`, `fit.residual.rms/max/chi2PerDof`, `fit.readingSigma`: null -> NaN (not defined, e.g.
 *   chi2PerDof with no degree of freedom).
 * Every other number must be finite.
 */
import { show } from '../errors.js';
import {
  child,
  entries,
  expectArray,
  expectFinite,
  expectFormat,
  expectKnownKeys,
  expectNodeId,
  expectObject,
  expectPositive,
  expectPresent,
  fail,
  kind,
} from '../formats/jsonChecks.js';
import { readJsonFile, writeJsonFile } from '../formats/jsonFile.js';
import {
  MAX_BOARD_EDGES,
  MAX_BOARD_NODES,
  MAX_BOARD_TOKEN_LENGTH,
  MAX_FIT_COUNT,
  MAX_IDENTIFIABILITY_ENTRIES,
  MAX_NAME_LENGTH,
  MAX_PLAN_CONFIGURATIONS,
  MAX_PLAN_MEASUREMENTS,
  MAX_PLAN_PATTERNS,
  MAX_PROTOCOL_VERSION,
  MAX_SAMPLES,
  MAX_SUGGESTIONS,
  MAX_TAPS,
  MAX_TEXT_LENGTH,
} from '../formats/limits.js';
import type { EdgeLaw } from '../physics/edgeLaws.js';
import { parsePlan } from './planFile.js';
import { checkCalibrationPlausible } from './plausibility.js';
import {
  RECORD_FORMAT,
  type CalibrationData,
  type CalibrationMeasurement,
  type CalibrationRecord,
  type ChannelFit,
  type CurvePoint,
  type FitSummary,
  type GateEdgesFit,
  type IdentifiabilityReport,
  type TapEdgesFit,
  type Undetermined,
} from './types.js';

export { RECORD_FORMAT } from './types.js';

/** A JSON value (what {@link calibrationToJson} returns). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const RECORD_FIELDS = ['format', 'id', 'created', 'board', 'plan', 'adc', 'dac', 'edges', 'fit', 'identifiability', 'data'] as const;
const BOARD_FIELDS = ['model', 'uid', 'firmware', 'protocol', 'nodes', 'edges', 'adc', 'dac', 'edge'] as const;
const CHANNEL_FIELDS = ['gain', 'offset', 'gainStd', 'offsetStd'] as const;
/** ISO 8601 date and time with a time zone, e.g. 2025-03-01T12:00:00.000Z. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

type Ctx = { source: string };

/**
 * Validate a parsed `clln.calibration/1` document structurally (its parts against each other: array lengths against
 * the board's node and edge counts, the plan's board against the record's board, the edge kind) and return a fresh
 * record. See the file comment for how `null` is read. Physical plausibility is a separate check
 * ({@link checkCalibrationPlausible}, made by {@link readCalibrationFile}): a record the fit produced is always
 * written, whatever its values, so that no measurement is lost.
 * @throws InvalidInputError naming `source`, the field (e.g. `edges.rMax[3]`), the rule, the value and the fix
 */
export function parseCalibrationRecord(json: unknown, source: string): CalibrationRecord {
  const ctx: Ctx = { source };
  const doc = expectObject(json, source, undefined, 'a calibration record');
  expectFormat(doc, RECORD_FORMAT, source);
  expectKnownKeys(doc, RECORD_FIELDS, source, undefined);
  const need = (key: string, fix: string): unknown => expectPresent(doc, key, source, undefined, fix);

  const id = str(need('id', 'add "id": a unique id of this calibration (a UUID)'), ctx, 'id', 'give the calibration id as a non-empty string (a UUID)');
  const created = str(need('created', 'add "created": the ISO 8601 time of the calibration'), ctx, 'created', 'give the time as ISO 8601, e.g. "2025-03-01T12:00:00.000Z"');
  if (!ISO_DATE.test(created) || Number.isNaN(Date.parse(created))) {
    fail(source, 'created', `must be an ISO 8601 date and time with a time zone, got ${show(created)}`, 'give the time as ISO 8601, e.g. "2025-03-01T12:00:00.000Z"');
  }
  const board = parseBoard(need('board', 'add "board": the identity of the calibrated board'), ctx);
  const N = board.nodes;
  const E = board.edges.length;
  const plan = parsePlan(need('plan', 'add "plan": the calibration plan the record was measured with'), source, 'plan');
  if (plan.board !== board.model) {
    fail(source, 'plan.board', `the plan is for board model ${show(plan.board)}, but the record's board is a ${show(board.model)}`, 'store the plan the calibration was measured with');
  }
  const adc = parseChannelFit(need('adc', 'add "adc": the fitted ADC channels {gain, offset, gainStd, offsetStd}'), ctx, 'adc', N);
  const dacObj = expectObject(need('dac', 'add "dac": {"drive": {...}, "clamp": {...}}, the fitted DAC channels'), source, 'dac', '"dac"');
  expectKnownKeys(dacObj, ['drive', 'clamp'], source, 'dac');
  const dac = {
    drive: parseChannelFit(expectPresent(dacObj, 'drive', source, 'dac', 'add "drive": the fitted drive channels'), ctx, 'dac.drive', N),
    clamp: parseChannelFit(expectPresent(dacObj, 'clamp', source, 'dac', 'add "clamp": the fitted clamp channels'), ctx, 'dac.clamp', N),
  };
  const edges = parseEdgesFit(need('edges', 'add "edges": the fitted edges'), ctx, board.edge, E);
  const fit = parseFit(need('fit', 'add "fit": the fit summary'), ctx);
  const identifiability = parseIdentifiability(need('identifiability', 'add "identifiability": the identifiability report'), ctx);
  const record: CalibrationRecord = { format: RECORD_FORMAT, id, created, board, plan, adc, dac, edges, fit, identifiability };
  if (doc.data !== undefined) record.data = parseData(doc.data, ctx, N, E);
  return record;
}

/**
 * Read and validate a calibration record file, structurally ({@link parseCalibrationRecord}) and for physical
 * plausibility ({@link checkCalibrationPlausible}): this is how a record is loaded for use. Throws InvalidInputError
 * naming `path` and the field on any problem.
 * @param nominalOf the nominal edge law of a board model, when the host knows it (plausibility compares each edge
 *   with it; without it, with the record's own edges)
 */
export function readCalibrationFile(path: string, nominalOf?: (model: string) => EdgeLaw | undefined): CalibrationRecord {
  const record = parseCalibrationRecord(readJsonFile(path, 'calibration record'), path);
  checkCalibrationPlausible(record, path, nominalOf?.(record.board.model));
  return record;
}

/**
 * Write `record` as a `clln.calibration/1` file (atomically: temporary file, then rename). It is converted with
 * {@link calibrationToJson} and validated first, so a record that could not be read back is never written.
 */
export function writeCalibrationFile(path: string, record: CalibrationRecord): void {
  const json = calibrationToJson(record);
  parseCalibrationRecord(json, path);
  writeJsonFile(path, json);
}

/**
 * The record as plain JSON: a deep copy with typed arrays turned into arrays, undefined fields dropped, and every
 * non-finite number (Infinity, -Infinity, NaN) replaced by `null` (JSON cannot hold them; see the file comment for
 * how they are read back). Other numbers are kept as they are.
 */
export function calibrationToJson(record: CalibrationRecord): { [key: string]: JsonValue } {
  return toJson(record) as { [key: string]: JsonValue };
}

function toJson(value: unknown): JsonValue {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : toJson(v)));
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>, (v) => toJson(v));
  if (typeof value === 'object') {
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------

function str(value: unknown, ctx: Ctx, field: string, fix: string, max = MAX_NAME_LENGTH): string {
  if (typeof value !== 'string' || value.length === 0) fail(ctx.source, field, `must be a non-empty string, got ${kind(value)} ${show(value)}`, fix);
  if (value.length > max) fail(ctx.source, field, `must be at most ${max} characters long, got ${value.length}`, fix);
  return value;
}

function int(value: unknown, ctx: Ctx, field: string, min: number, max: number | undefined, fix: string): number {
  const x = expectFinite(value, ctx.source, field, fix);
  if (!Number.isInteger(x) || x < min || (max !== undefined && x > max)) {
    fail(ctx.source, field, `must be an integer ${max === undefined ? `>= ${min}` : `in ${min}..${max}`}, got ${show(x)}`, fix);
  }
  return x;
}

function bool(value: unknown, ctx: Ctx, field: string): boolean {
  if (typeof value !== 'boolean') fail(ctx.source, field, `must be true or false, got ${kind(value)} ${show(value)}`, 'write true or false');
  return value;
}

/** A number, or null read as `nullAs` (Infinity or NaN: a value that was not finite when written). */
function numOrNull(value: unknown, ctx: Ctx, field: string, nullAs: number, nonNegative: boolean, fix: string): number {
  if (value === null) return nullAs;
  const x = expectFinite(value, ctx.source, field, fix);
  if (nonNegative && x < 0) fail(ctx.source, field, `must be >= 0, got ${show(x)}`, fix);
  return x;
}

function obj(value: unknown, ctx: Ctx, field: string, what: string, keys: readonly string[]): Record<string, unknown> {
  const o = expectObject(value, ctx.source, field, what);
  expectKnownKeys(o, keys, ctx.source, field);
  return o;
}

/**
 * The value must be an array of exactly `length` entries, or of at most `length.max` (a limit of the format), checked
 * before anything is built from it.
 */
function arr(value: unknown, ctx: Ctx, field: string, length: number | { max: number }, rule: string, fix: string): unknown[] {
  const a = expectArray(value, ctx.source, field, fix);
  if (typeof length === 'number') {
    if (a.length !== length) fail(ctx.source, field, `must have ${entries(length)} (${rule}), got ${a.length}`, fix);
  } else if (a.length > length.max) {
    fail(ctx.source, field, `must have at most ${entries(length.max)} (the limit of the format), got ${a.length}`, fix);
  }
  return a;
}

function strings(value: unknown, ctx: Ctx, field: string, max: number): string[] {
  const fix = `write it as a list of at most ${max} strings of at most ${MAX_TEXT_LENGTH} characters`;
  return arr(value, ctx, field, { max }, '', fix).map((s, i) => {
    if (typeof s !== 'string') fail(ctx.source, child(field, i), `must be a string, got ${kind(s)} ${show(s)}`, fix);
    if (s.length > MAX_TEXT_LENGTH) fail(ctx.source, child(field, i), `must be at most ${MAX_TEXT_LENGTH} characters long, got ${s.length}`, fix);
    return s;
  });
}

function parseBoard(value: unknown, ctx: Ctx): CalibrationRecord['board'] {
  const { source } = ctx;
  const o = obj(value, ctx, 'board', '"board"', BOARD_FIELDS);
  const need = (key: string): unknown => expectPresent(o, key, source, 'board', `add board.${key} (copy it from the board's identity)`);
  const model = str(need('model'), ctx, 'board.model', 'give the board model name, e.g. "penn-gen1"', MAX_BOARD_TOKEN_LENGTH);
  const uid = str(need('uid'), ctx, 'board.uid', "give the board's unique id (hex)");
  const firmware = str(need('firmware'), ctx, 'board.firmware', "give the board's firmware version", MAX_BOARD_TOKEN_LENGTH);
  const protocol = int(need('protocol'), ctx, 'board.protocol', 0, MAX_PROTOCOL_VERSION, `give the protocol version, an integer in 0..${MAX_PROTOCOL_VERSION}`);
  const nodes = int(need('nodes'), ctx, 'board.nodes', 1, MAX_BOARD_NODES, `give the node count N, an integer in 1..${MAX_BOARD_NODES}`);
  const edgeFix = `write the edges as [[a, b], ...] (at most ${MAX_BOARD_EDGES}), node ids in 0..nodes-1, a != b`;
  const edges = arr(need('edges'), ctx, 'board.edges', { max: MAX_BOARD_EDGES }, '', edgeFix).map((e, i): [number, number] => {
    const f = child('board.edges', i);
    const pair = arr(e, ctx, f, 2, 'an edge joins two nodes', edgeFix);
    const a = expectNodeId(pair[0], nodes, source, child(f, 0), 'the board');
    const b = expectNodeId(pair[1], nodes, source, child(f, 1), 'the board');
    if (a === b) fail(source, f, `joins node ${a} to itself`, edgeFix);
    return [a, b];
  });
  const adcO = obj(need('adc'), ctx, 'board.adc', '"board.adc"', ['bits', 'lo', 'hi']);
  const adc = {
    bits: int(expectPresent(adcO, 'bits', source, 'board.adc', 'add the ADC resolution "bits"'), ctx, 'board.adc.bits', 1, 32, 'give the ADC resolution in bits, 1..32'),
    lo: expectFinite(expectPresent(adcO, 'lo', source, 'board.adc', 'add the ADC range "lo" (V)'), source, 'board.adc.lo', 'give the ADC range in volts'),
    hi: expectFinite(expectPresent(adcO, 'hi', source, 'board.adc', 'add the ADC range "hi" (V)'), source, 'board.adc.hi', 'give the ADC range in volts'),
  };
  if (!(adc.lo < adc.hi)) fail(source, 'board.adc.hi', `must exceed board.adc.lo (${adc.lo} V), got ${show(adc.hi)}`, 'give the ADC input range with lo < hi');
  const dacO = obj(need('dac'), ctx, 'board.dac', '"board.dac"', ['lo', 'hi']);
  const dac = {
    lo: expectFinite(expectPresent(dacO, 'lo', source, 'board.dac', 'add the DAC range "lo" (V)'), source, 'board.dac.lo', 'give the DAC range in volts'),
    hi: expectFinite(expectPresent(dacO, 'hi', source, 'board.dac', 'add the DAC range "hi" (V)'), source, 'board.dac.hi', 'give the DAC range in volts'),
  };
  if (!(dac.lo < dac.hi)) fail(source, 'board.dac.hi', `must exceed board.dac.lo (${dac.lo} V), got ${show(dac.hi)}`, 'give the DAC output range with lo < hi');
  const edgeO = expectObject(need('edge'), source, 'board.edge', '"board.edge"');
  let edge: CalibrationRecord['board']['edge'];
  if (edgeO.kind === 'tap') {
    expectKnownKeys(edgeO, ['kind', 'taps'], source, 'board.edge');
    edge = { kind: 'tap', taps: int(expectPresent(edgeO, 'taps', source, 'board.edge', 'add "taps"'), ctx, 'board.edge.taps', 2, MAX_TAPS, `give the number of taps, an integer in 2..${MAX_TAPS}`) };
  } else if (edgeO.kind === 'gate') {
    expectKnownKeys(edgeO, ['kind', 'lo', 'hi'], source, 'board.edge');
    const lo = expectFinite(expectPresent(edgeO, 'lo', source, 'board.edge', 'add the gate range "lo" (V)'), source, 'board.edge.lo', 'give the gate range in volts');
    const hi = expectFinite(expectPresent(edgeO, 'hi', source, 'board.edge', 'add the gate range "hi" (V)'), source, 'board.edge.hi', 'give the gate range in volts');
    if (!(lo < hi)) fail(source, 'board.edge.hi', `must exceed board.edge.lo (${lo} V), got ${show(hi)}`, 'give the gate range with lo < hi');
    edge = { kind: 'gate', lo, hi };
  } else {
    fail(source, 'board.edge.kind', `must be "tap" or "gate", got ${show(edgeO.kind)}`, 'write {"kind": "tap", "taps": T} or {"kind": "gate", "lo": V, "hi": V}');
  }
  return { model, uid, firmware, protocol, nodes, edges, adc, dac, edge };
}

function parseChannelFit(value: unknown, ctx: Ctx, field: string, N: number): ChannelFit {
  const o = obj(value, ctx, field, `"${field}"`, CHANNEL_FIELDS);
  const list = (key: (typeof CHANNEL_FIELDS)[number]): (number | null)[] => {
    const f = child(field, key);
    const fix = `give ${N} entries, one per node: a number, or null where the channel was not fitted`;
    const raw = arr(expectPresent(o, key, ctx.source, field, `add "${key}": [...], one entry per node`), ctx, f, N, `one per node; the board has ${N} nodes`, fix);
    return raw.map((x, i) => {
      if (x === null) return null;
      const fi = child(f, i);
      if (key === 'gain') return expectPositive(x, ctx.source, fi, 'dimensionless', 'a channel gain is a positive number (about 1); use null for a channel that was not fitted');
      const v = expectFinite(x, ctx.source, fi, fix);
      if (key.endsWith('Std') && v < 0) fail(ctx.source, fi, `a standard error must be >= 0, got ${show(v)}`, fix);
      return v;
    });
  };
  return { gain: list('gain'), offset: list('offset'), gainStd: list('gainStd'), offsetStd: list('offsetStd') };
}

function parseEdgesFit(value: unknown, ctx: Ctx, edge: CalibrationRecord['board']['edge'], E: number): TapEdgesFit | GateEdgesFit {
  const { source } = ctx;
  const o0 = expectObject(value, source, 'edges', '"edges"');
  if (o0.kind !== edge.kind) {
    fail(source, 'edges.kind', `must be ${show(edge.kind)} (board.edge.kind), got ${show(o0.kind)}`, `give the fitted edges of a ${edge.kind} board`);
  }
  const rule = `one per edge; the board has ${E} edges`;
  const perEdge = (key: string, fix: string): unknown[] =>
    arr(expectPresent(o0, key, source, 'edges', `add "${key}": [...], one entry per edge`), ctx, child('edges', key), E, rule, fix);
  if (edge.kind === 'tap') {
    expectKnownKeys(o0, ['kind', 'taps', 'rMax', 'rMin', 'points', 'lawDeviation'], source, 'edges');
    const taps = int(expectPresent(o0, 'taps', source, 'edges', 'add "taps"'), ctx, 'edges.taps', 2, MAX_TAPS, 'give the number of taps');
    if (taps !== edge.taps) fail(source, 'edges.taps', `must equal board.edge.taps (${edge.taps}), got ${taps}`, `set "taps": ${edge.taps}`);
    const rFix = 'give resistances in ohms, rMax[e] > rMin[e] > 0';
    const rMax = perEdge('rMax', rFix).map((x, e) => expectPositive(x, source, `edges.rMax[${e}]`, 'ohm', rFix));
    const rMin = perEdge('rMin', rFix).map((x, e) => expectPositive(x, source, `edges.rMin[${e}]`, 'ohm', rFix));
    rMax.forEach((r, e) => {
      if (!(r > rMin[e])) fail(source, `edges.rMax[${e}]`, `must exceed edges.rMin[${e}] (${rMin[e]} ohm; the resistance at tap 0 is the largest), got ${show(r)}`, rFix);
    });
    const pFix = 'give each edge\'s fitted points as [{"setting": tap, "conductance": S, "relStd": r}, ...]';
    const points = perEdge('points', pFix).map((list, e) => {
      const f = `edges.points[${e}]`;
      return arr(list, ctx, f, { max: Math.min(taps, MAX_PLAN_CONFIGURATIONS) }, '', pFix).map((p, j): CurvePoint => {
        const pf = child(f, j);
        const po = obj(p, ctx, pf, 'a curve point', ['setting', 'conductance', 'relStd']);
        const has = (k: string): unknown => expectPresent(po, k, source, pf, pFix);
        return {
          setting: int(has('setting'), ctx, child(pf, 'setting'), 0, taps - 1, `give the tap, an integer in 0..${taps - 1}`),
          conductance: expectPositive(has('conductance'), source, child(pf, 'conductance'), 'S', 'give the fitted conductance in siemens, > 0'),
          relStd: numOrNull(has('relStd'), ctx, child(pf, 'relStd'), Infinity, true, 'give the relative standard error, >= 0 (null: undetermined)'),
        };
      });
    });
    const lawDeviation = perEdge('lawDeviation', 'give a number >= 0 per edge (null: not defined)').map((x, e) =>
      numOrNull(x, ctx, `edges.lawDeviation[${e}]`, NaN, true, 'give a number >= 0 per edge (null: not defined)'),
    );
    return { kind: 'tap', taps, rMax, rMin, points, lawDeviation };
  }
  expectKnownKeys(o0, ['kind', 's', 'vt', 'sRelStd', 'vtStd'], source, 'edges');
  const s = perEdge('s', 'give s in S/V, > 0, per edge').map((x, e) => expectPositive(x, source, `edges.s[${e}]`, 'S/V', 'give s in S/V, > 0, per edge'));
  const vt = perEdge('vt', 'give V_T in volts per edge').map((x, e) => expectFinite(x, source, `edges.vt[${e}]`, 'give V_T in volts per edge'));
  const stdFix = 'give a standard error >= 0 per edge (null: undetermined)';
  const sRelStd = perEdge('sRelStd', stdFix).map((x, e) => numOrNull(x, ctx, `edges.sRelStd[${e}]`, Infinity, true, stdFix));
  const vtStd = perEdge('vtStd', stdFix).map((x, e) => numOrNull(x, ctx, `edges.vtStd[${e}]`, Infinity, true, stdFix));
  return { kind: 'gate', s, vt, sRelStd, vtStd };
}

function parseFit(value: unknown, ctx: Ctx): FitSummary {
  const { source } = ctx;
  const o = obj(value, ctx, 'fit', '"fit"', ['converged', 'reason', 'iterations', 'residual', 'readingSigma', 'excludedReadings']);
  const need = (k: string): unknown => expectPresent(o, k, source, 'fit', `add fit.${k}`);
  const r = obj(need('residual'), ctx, 'fit.residual', '"fit.residual"', ['rms', 'max', 'chi2PerDof', 'dof']);
  const rNeed = (k: string): unknown => expectPresent(r, k, source, 'fit.residual', `add fit.residual.${k}`);
  const vFix = 'give a number >= 0 (null: not defined)';
  return {
    converged: bool(need('converged'), ctx, 'fit.converged'),
    reason: str(need('reason'), ctx, 'fit.reason', 'say why the iterations stopped', MAX_TEXT_LENGTH),
    iterations: int(need('iterations'), ctx, 'fit.iterations', 0, MAX_FIT_COUNT, `give the iteration count, an integer in 0..${MAX_FIT_COUNT}`),
    residual: {
      rms: numOrNull(rNeed('rms'), ctx, 'fit.residual.rms', NaN, true, vFix),
      max: numOrNull(rNeed('max'), ctx, 'fit.residual.max', NaN, true, vFix),
      chi2PerDof: numOrNull(rNeed('chi2PerDof'), ctx, 'fit.residual.chi2PerDof', NaN, true, vFix),
      dof: int(rNeed('dof'), ctx, 'fit.residual.dof', 0, MAX_FIT_COUNT, `give the degrees of freedom, an integer in 0..${MAX_FIT_COUNT}`),
    },
    readingSigma: numOrNull(need('readingSigma'), ctx, 'fit.readingSigma', NaN, true, 'give the assumed reading standard deviation in volts, >= 0'),
    excludedReadings: int(need('excludedReadings'), ctx, 'fit.excludedReadings', 0, MAX_FIT_COUNT, `give the number of excluded readings, an integer in 0..${MAX_FIT_COUNT}`),
  };
}

function parseIdentifiability(value: unknown, ctx: Ctx): IdentifiabilityReport {
  const { source } = ctx;
  const o = obj(value, ctx, 'identifiability', '"identifiability"', ['parameters', 'rank', 'gauges', 'undetermined']);
  const need = (k: string): unknown => expectPresent(o, k, source, 'identifiability', `add identifiability.${k}`);
  const uFix = 'write it as [{"parameters": [...], "why": "not used" | "degenerate", "suggestions": [...]}, ...]';
  return {
    parameters: int(need('parameters'), ctx, 'identifiability.parameters', 0, MAX_IDENTIFIABILITY_ENTRIES, `give the parameter count, an integer in 0..${MAX_IDENTIFIABILITY_ENTRIES}`),
    rank: int(need('rank'), ctx, 'identifiability.rank', 0, MAX_IDENTIFIABILITY_ENTRIES, `give the numerical rank, an integer in 0..${MAX_IDENTIFIABILITY_ENTRIES}`),
    gauges: strings(need('gauges'), ctx, 'identifiability.gauges', MAX_SUGGESTIONS),
    undetermined: arr(need('undetermined'), ctx, 'identifiability.undetermined', { max: MAX_IDENTIFIABILITY_ENTRIES }, '', uFix).map((u, i): Undetermined => {
      const f = child('identifiability.undetermined', i);
      const uo = obj(u, ctx, f, 'an undetermined group', ['parameters', 'why', 'suggestions']);
      const why = expectPresent(uo, 'why', source, f, uFix);
      if (why !== 'not used' && why !== 'degenerate') fail(source, child(f, 'why'), `must be "not used" or "degenerate", got ${show(why)}`, uFix);
      return {
        parameters: strings(expectPresent(uo, 'parameters', source, f, uFix), ctx, child(f, 'parameters'), MAX_IDENTIFIABILITY_ENTRIES),
        why,
        suggestions: strings(expectPresent(uo, 'suggestions', source, f, uFix), ctx, child(f, 'suggestions'), MAX_SUGGESTIONS),
      };
    }),
  };
}

function parseData(value: unknown, ctx: Ctx, N: number, E: number): CalibrationData {
  const { source } = ctx;
  const o = obj(value, ctx, 'data', '"data"', ['configurations', 'measurements', 'samples']);
  const need = (k: string): unknown => expectPresent(o, k, source, 'data', `add data.${k}`);
  const cFix = `give each configuration as ${E} settings, one per edge`;
  const configurations = arr(need('configurations'), ctx, 'data.configurations', { max: MAX_PLAN_MEASUREMENTS }, '', cFix).map((c, i) =>
    arr(c, ctx, `data.configurations[${i}]`, E, `one setting per edge; the board has ${E} edges`, cFix).map((x, e) => expectFinite(x, source, `data.configurations[${i}][${e}]`, cFix)),
  );
  const samples = int(need('samples'), ctx, 'data.samples', 1, MAX_SAMPLES, `give the ADC samples per measurement, 1..${MAX_SAMPLES}`);
  const mFix = 'write each measurement as {"configuration": c, "pattern": p, "drive": [[node, V], ...], "clamp": [...], "readings": [...]}';
  const measurements = arr(need('measurements'), ctx, 'data.measurements', { max: MAX_PLAN_MEASUREMENTS }, '', mFix).map((m, i): CalibrationMeasurement => {
    const f = child('data.measurements', i);
    const mo = obj(m, ctx, f, 'a measurement', ['configuration', 'pattern', 'drive', 'clamp', 'readings']);
    const has = (k: string): unknown => expectPresent(mo, k, source, f, mFix);
    const configuration = int(has('configuration'), ctx, child(f, 'configuration'), 0, configurations.length - 1, `give an index into data.configurations (0..${configurations.length - 1})`);
    const pattern = int(has('pattern'), ctx, child(f, 'pattern'), 0, MAX_PLAN_PATTERNS - 1, `give the pattern index, an integer in 0..${MAX_PLAN_PATTERNS - 1}`);
    const pairs = (key: 'drive' | 'clamp'): [number, number][] => {
      const kf = child(f, key);
      const pFix = `write "${key}" as [[node, volts], ...]`;
      return arr(has(key), ctx, kf, { max: N }, '', pFix).map((p, j) => {
        const pf = child(kf, j);
        const pair = arr(p, ctx, pf, 2, 'a [node, volts] pair', pFix);
        return [expectNodeId(pair[0], N, source, child(pf, 0), 'the board'), expectFinite(pair[1], source, child(pf, 1), pFix)];
      });
    };
    const drive = pairs('drive');
    const clamp = pairs('clamp');
    const rFix = `give ${N} readings in volts, one per node`;
    const readings = arr(has('readings'), ctx, child(f, 'readings'), N, `one per node; the board has ${N} nodes`, rFix).map((x, j) =>
      expectFinite(x, source, child(child(f, 'readings'), j), rFix),
    );
    return { configuration, pattern, drive, clamp, readings };
  });
  return { configurations, measurements, samples };
}
