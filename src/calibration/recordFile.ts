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
 * Every other number must be finite (the schema says where null is allowed; ajv refuses Infinity and NaN).
 */
import { show } from '../errors.js';
import { entries, expectFormat, expectLength, expectNodeId, expectObject, fail } from '../formats/jsonChecks.js';
import { readJsonFile, writeJsonFile } from '../formats/jsonFile.js';
import { checkAgainstSchema } from '../formats/schemaCheck.js';
import type { EdgeLaw } from '../physics/edgeLaws.js';
import { parsePlan } from './planFile.js';
import { checkCalibrationPlausible } from './plausibility.js';
import { RECORD_FORMAT, type CalibrationData, type CalibrationRecord, type ChannelFit, type GateEdgesFit, type TapEdgesFit } from './types.js';

export { RECORD_FORMAT } from './types.js';

/** A JSON value (what {@link calibrationToJson} returns). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** null (a value written as non-finite) read back as Infinity: undetermined. */
const orInfinity = (x: number | null): number => x ?? Infinity;
/** null (a value written as non-finite) read back as NaN: not defined. */
const orNaN = (x: number | null): number => x ?? NaN;

/**
 * Validate a parsed `clln.calibration/1` document and return a fresh record. The structure (known fields, types,
 * integers, ranges, limits, where null may stand, the two edge kinds) is checked against the shipped schema with ajv
 * (src/formats/schemaCheck.ts), the plan as a plan ({@link parsePlan}); what follows is what a schema cannot state:
 * the parts against each other (array lengths against the board's node and edge counts, node ids below its node
 * count, the plan's board and the fitted edge kind against the record's board), lo < hi, rMax > rMin and a real
 * date. See the file comment for how `null` is read. Physical plausibility is a separate check
 * ({@link checkCalibrationPlausible}, made by {@link readCalibrationFile}): a record the fit produced is always
 * written, whatever its values, so that no measurement is lost.
 * @throws InvalidInputError naming `source`, the field (e.g. `edges.rMax[3]`), the rule, the value and the fix
 */
export function parseCalibrationRecord(json: unknown, source: string): CalibrationRecord {
  const doc = expectObject(json, source, undefined, 'a calibration record');
  expectFormat(doc, RECORD_FORMAT, source);
  checkAgainstSchema(doc, RECORD_FORMAT, source);
  // the document as the schema describes it, null where a value was not finite (read below)
  const record = structuredClone(doc) as unknown as CalibrationRecord;
  if (Number.isNaN(Date.parse(record.created))) {
    fail(source, 'created', `must be an ISO 8601 date and time with a time zone, got ${show(record.created)} (no such date or time)`, 'give the time as ISO 8601, e.g. "2025-03-01T12:00:00.000Z"');
  }
  const { board } = record;
  checkBoard(board, source);
  const N = board.nodes;
  const E = board.edges.length;
  record.plan = parsePlan(record.plan, source, 'plan');
  if (record.plan.board !== board.model) {
    fail(source, 'plan.board', `the plan is for board model ${show(record.plan.board)}, but the record's board is a ${show(board.model)}`, 'store the plan the calibration was measured with');
  }
  checkChannels(record.adc, 'adc', N, source);
  checkChannels(record.dac.drive, 'dac.drive', N, source);
  checkChannels(record.dac.clamp, 'dac.clamp', N, source);
  record.edges = edgesFit(record.edges, board.edge, E, source);
  const { residual } = record.fit;
  record.fit.residual = { rms: orNaN(residual.rms), max: orNaN(residual.max), chi2PerDof: orNaN(residual.chi2PerDof), dof: residual.dof };
  record.fit.readingSigma = orNaN(record.fit.readingSigma);
  if (record.data === undefined) delete record.data;
  else checkData(record.data, N, E, source);
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
// What the schema cannot state

/** The board's edges join two different nodes below its node count, and its ranges have lo < hi. */
function checkBoard(board: CalibrationRecord['board'], source: string): void {
  board.edges.forEach(([a, b], i) => {
    expectNodeId(a, board.nodes, source, `board.edges[${i}][0]`, 'the board');
    expectNodeId(b, board.nodes, source, `board.edges[${i}][1]`, 'the board');
    if (a === b) fail(source, `board.edges[${i}]`, `joins node ${a} to itself`, `write each edge as [a, b], two different node ids in 0..${board.nodes - 1}`);
  });
  loHi(board.adc, 'board.adc', source, 'give the ADC input range with lo < hi');
  loHi(board.dac, 'board.dac', source, 'give the DAC output range with lo < hi');
  if (board.edge.kind === 'gate') loHi(board.edge, 'board.edge', source, 'give the gate range with lo < hi');
}

function loHi(range: { lo: number; hi: number }, field: string, source: string, fix: string): void {
  if (!(range.lo < range.hi)) fail(source, `${field}.hi`, `must exceed ${field}.lo (${range.lo} V), got ${show(range.hi)}`, fix);
}

/** Each list of a channel fit has one entry per node. */
function checkChannels(fit: ChannelFit, field: string, N: number, source: string): void {
  for (const key of ['gain', 'offset', 'gainStd', 'offsetStd'] as const) {
    expectLength(fit[key], N, source, `${field}.${key}`, `one per node; the board has ${N} nodes`, `give ${N} entries, one per node: a number, or null where the channel was not fitted`);
  }
  // series resistances (DAC channels, optional: records before them read as r = 0)
  if (field === 'adc' && (fit.r !== undefined || fit.rStd !== undefined)) {
    fail(source, `${field}.r`, 'an ADC channel has no series resistance in the model (only DAC channels do)', 'leave "r" and "rStd" out of "adc"');
  }
  if ((fit.r === undefined) !== (fit.rStd === undefined)) {
    fail(source, `${field}.${fit.r === undefined ? 'r' : 'rStd'}`, 'is missing: "r" and "rStd" come together', 'give both "r" and "rStd", one entry per node, or neither');
  }
  for (const key of ['r', 'rStd'] as const) {
    const list = fit[key];
    if (list !== undefined) expectLength(list, N, source, `${field}.${key}`, `one per node; the board has ${N} nodes`, `give ${N} entries, one per node: ohms, or null where not fitted`);
  }
}

/**
 * The fitted edges are of the board's edge kind (and tap count), with one entry per edge in each list, rMax > rMin,
 * and a tap edge's points at its taps; returned with null read back (see the file comment).
 */
function edgesFit(edges: TapEdgesFit | GateEdgesFit, edge: CalibrationRecord['board']['edge'], E: number, source: string): TapEdgesFit | GateEdgesFit {
  if (edges.kind !== edge.kind) {
    fail(source, 'edges.kind', `must be ${show(edge.kind)} (board.edge.kind), got ${show(edges.kind)}`, `give the fitted edges of a ${edge.kind} board`);
  }
  const perEdge = (key: string, list: unknown[]): void =>
    expectLength(list, E, source, `edges.${key}`, `one per edge; the board has ${E} edges`, `give ${E} entries, one per edge, in the order of board.edges`);
  if (edges.kind === 'gate') {
    for (const key of ['s', 'vt', 'sRelStd', 'vtStd'] as const) perEdge(key, edges[key]);
    return { ...edges, sRelStd: edges.sRelStd.map(orInfinity), vtStd: edges.vtStd.map(orInfinity) };
  }
  const { taps, rMin } = edges;
  if (edge.kind === 'tap' && taps !== edge.taps) fail(source, 'edges.taps', `must equal board.edge.taps (${edge.taps}), got ${taps}`, `set "taps": ${edge.taps}`);
  for (const key of ['rMax', 'rMin', 'points', 'lawDeviation'] as const) perEdge(key, edges[key]);
  edges.rMax.forEach((r, e) => {
    if (!(r > rMin[e])) {
      fail(source, `edges.rMax[${e}]`, `must exceed edges.rMin[${e}] (${rMin[e]} ohm; the resistance at tap 0 is the largest), got ${show(r)}`, 'give resistances in ohms, rMax[e] > rMin[e] > 0');
    }
  });
  edges.points.forEach((list, e) => {
    if (list.length > taps) {
      fail(source, `edges.points[${e}]`, `must have at most ${entries(taps)} (one per tap; edges.taps is ${taps}), got ${list.length}`, "give each edge's fitted points, at most one per tap");
    }
    list.forEach((p, j) => {
      if (p.setting >= taps) fail(source, `edges.points[${e}][${j}].setting`, `must be a tap in 0..${taps - 1} (edges.taps is ${taps}), got ${p.setting}`, `give the tap, an integer in 0..${taps - 1}`);
    });
  });
  return {
    ...edges,
    points: edges.points.map((list) => list.map((p) => ({ ...p, relStd: orInfinity(p.relStd) }))),
    lawDeviation: edges.lawDeviation.map(orNaN),
  };
}

/** The raw measurements against the board: one setting per edge, one reading per node, node ids and configuration indices in range. */
function checkData(data: CalibrationData, N: number, E: number, source: string): void {
  const C = data.configurations.length;
  data.configurations.forEach((c, i) => {
    expectLength(c, E, source, `data.configurations[${i}]`, `one setting per edge; the board has ${E} edges`, `give each configuration as ${E} settings, one per edge`);
  });
  data.measurements.forEach((m, i) => {
    const f = `data.measurements[${i}]`;
    if (m.configuration >= C) {
      fail(source, `${f}.configuration`, `must be an index into data.configurations, an integer in 0..${C - 1}, got ${m.configuration}`, `give an index into data.configurations (0..${C - 1})`);
    }
    for (const key of ['drive', 'clamp'] as const) {
      const pairs = m[key];
      if (pairs.length > N) {
        fail(source, `${f}.${key}`, `must have at most ${entries(N)} (a node at most once; the board has ${N} nodes), got ${pairs.length}`, `write "${key}" as [[node, volts], ...], each node once`);
      }
      pairs.forEach(([node], j) => expectNodeId(node, N, source, `${f}.${key}[${j}][0]`, 'the board'));
    }
    expectLength(m.readings, N, source, `${f}.readings`, `one per node; the board has ${N} nodes`, `give ${N} readings in volts, one per node`);
  });
}
