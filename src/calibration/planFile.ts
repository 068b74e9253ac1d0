/**
 * Calibration plans, format `clln.calibration-plan/1` (JSON; schema in
 * `src/formats/schemas/clln.calibration-plan-1.schema.json`, fields documented in calibration/README.md):
 *
 * ```json
 * {"format": "clln.calibration-plan/1", "board": "penn-gen1", "samples": 64,
 *  "settings": {"levels": [25, 50, 75, 99], "mixed": 3, "seed": 1},
 *  "patterns": {"kind": "random", "count": 24, "seed": 1}}
 * ```
 *
 * Two steps, as for task files: {@link parsePlan} checks the document on its own (structure, types, ranges) and
 * {@link expandPlan} checks it against a board's identity and expands it into what is applied: every edge
 * configuration and every source pattern, all defaults filled in. {@link defaultPlan} gives the shipped plan of a
 * board model (calibration/plans/<model>.json) or a generated one. Every error is an InvalidInputError naming the
 * file, the JSON path, the rule, the value and the fix.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BoardIdentity } from '../../firmware-protocol/identity.js';
import { show } from '../errors.js';
import {
  child,
  entries,
  expectArray,
  expectFinite,
  expectKnownKeys,
  expectNodeId,
  expectObject,
  expectPositive,
  expectPresent,
  fail,
  kind,
} from '../formats/jsonChecks.js';
import { readJsonFile } from '../formats/jsonFile.js';
import {
  MAX_BOARD_EDGES,
  MAX_BOARD_NODES,
  MAX_BOARD_TOKEN_LENGTH,
  MAX_PLAN_CONFIGURATIONS,
  MAX_PLAN_MEASUREMENTS,
  MAX_PLAN_PATTERNS,
  MAX_SAMPLES,
  MAX_TEXT_LENGTH,
} from '../formats/limits.js';
import { Rng } from '../physics/Rng.js';
import {
  PLAN_FORMAT,
  RECORD_FORMAT,
  type CalibrationPattern,
  type CalibrationPlan,
  type ConductanceReference,
  type ExpandedPlan,
  type RandomPatterns,
  type SettingsSweep,
  type VoltageReference,
} from './types.js';

export { PLAN_FORMAT } from './types.js';

/** Defaults of the optional plan fields. */
export const PLAN_DEFAULTS = {
  samples: 64,
  mixed: 3,
  seed: 1,
  drive: [2, 4] as [number, number],
  clamp: [0, 2] as [number, number],
  range: [0.1, 0.9] as [number, number],
  reference: { voltage: 'adc-mean', conductance: 'nominal-mean' } as { voltage: VoltageReference; conductance: ConductanceReference },
} as const;

export { MAX_SAMPLES } from '../formats/limits.js';

/**
 * Fewest random patterns for which the coverage of {@link generatePatterns} is built (below, patterns are purely
 * random).
 */
export const COVER_MIN_COUNT = 8;

/** Two driven voltages of one node in the coverage differ by at least this fraction of the usable range. */
export const COVER_MIN_SPREAD = 0.25;

const PLAN_FIELDS = ['format', 'board', 'description', 'samples', 'settings', 'patterns', 'reference'] as const;
const SETTINGS_FIELDS = ['levels', 'mixed', 'seed', 'configurations'] as const;
const PATTERNS_FIELDS = ['kind', 'count', 'seed', 'drive', 'clamp', 'range', 'list'] as const;

// ---------------------------------------------------------------------------------------------------------------
// Structural validation

/**
 * Validate a parsed `clln.calibration-plan/1` document on its own (no board at hand): known fields only, types,
 * integers and ranges. Returns a fresh plan (`format` always set; optional fields only when given; no defaults
 * filled in — that is {@link expandPlan}'s job).
 * @param json the value from `JSON.parse`
 * @param source where it came from (a file name), used in error messages
 * @param parent JSON path of the plan inside an enclosing document (e.g. `plan` in a calibration record)
 * @throws InvalidInputError naming `source`, the field (e.g. `settings.levels[2]`), the rule, the value and the fix
 */
export function parsePlan(json: unknown, source: string, parent?: string): CalibrationPlan {
  const doc = expectObject(json, source, parent, 'a calibration plan');
  if ('format' in doc && doc.format !== PLAN_FORMAT) {
    const got = doc.format;
    const note = got === RECORD_FORMAT ? ' (that is a calibration record, not a plan; was the wrong file passed? The plan a record was made with is its "plan" field)' : '';
    fail(source, child(parent, 'format'), `must be ${show(PLAN_FORMAT)}, got ${show(got)}${note}`, `set "format": ${show(PLAN_FORMAT)}`);
  }
  expectKnownKeys(doc, PLAN_FIELDS, source, parent);

  const boardField = child(parent, 'board');
  const board = expectPresent(doc, 'board', source, parent, 'add "board": "<model>", the board model the plan is written for (e.g. "penn-gen1")');
  if (typeof board !== 'string' || board.trim().length === 0) {
    fail(source, boardField, `must be a non-empty string (a board model name), got ${kind(board)} ${show(board)}`, 'set "board" to the board model name, e.g. "penn-gen1"');
  }
  if (board.length > MAX_BOARD_TOKEN_LENGTH) {
    fail(source, boardField, `must be at most ${MAX_BOARD_TOKEN_LENGTH} characters long (a board model name), got ${board.length}`, 'set "board" to the board model name, e.g. "penn-gen1"');
  }
  // Built in the documented key order; settings and patterns are filled in below.
  const out = { format: PLAN_FORMAT, board } as CalibrationPlan;
  if (doc.description !== undefined) {
    if (typeof doc.description !== 'string') {
      fail(source, child(parent, 'description'), `must be a string, got ${kind(doc.description)} ${show(doc.description)}`, 'write the description as a JSON string, or remove it');
    }
    if (doc.description.length > MAX_TEXT_LENGTH) {
      fail(source, child(parent, 'description'), `must be at most ${MAX_TEXT_LENGTH} characters long, got ${doc.description.length}`, 'shorten the description');
    }
    out.description = doc.description;
  }
  if (doc.samples !== undefined) {
    out.samples = expectInteger(doc.samples, source, child(parent, 'samples'), 1, MAX_SAMPLES, `give the number of ADC samples averaged per measurement as an integer in 1..${MAX_SAMPLES} (default ${PLAN_DEFAULTS.samples})`);
  }
  const settingsRaw = expectPresent(doc, 'settings', source, parent, 'add "settings": {"levels": [...]} (the edge settings to visit) or {"configurations": [[...], ...]}');
  out.settings = parseSettings(settingsRaw, source, child(parent, 'settings'));
  const patternsRaw = expectPresent(doc, 'patterns', source, parent, 'add "patterns": {"kind": "random", "count": 24, "seed": 1} or {"list": [...]}');
  out.patterns = parsePatternSpec(patternsRaw, source, child(parent, 'patterns'));
  checkMeasurementCount(out, source, parent);
  if (doc.reference !== undefined) out.reference = parseReference(doc.reference, source, child(parent, 'reference'));
  return out;
}

/**
 * Configurations x patterns must be at most {@link MAX_PLAN_MEASUREMENTS}, checked before anything is expanded: the
 * acquisition and the fit grow with it.
 */
function checkMeasurementCount(plan: CalibrationPlan, source: string, parent: string | undefined): void {
  const s = plan.settings;
  const configurations = 'configurations' in s ? s.configurations.length : s.levels.length + (s.mixed ?? PLAN_DEFAULTS.mixed);
  const p = plan.patterns;
  const patterns = 'list' in p ? p.list.length : p.count;
  if (configurations * patterns > MAX_PLAN_MEASUREMENTS) {
    fail(
      source,
      child(parent, 'list' in p ? 'patterns.list' : 'patterns.count'),
      `${configurations} configurations x ${patterns} patterns make ${configurations * patterns} measurements; the limit is ${MAX_PLAN_MEASUREMENTS}`,
      `use fewer patterns or configurations, so that their product is at most ${MAX_PLAN_MEASUREMENTS}`,
    );
  }
}

/** Read and structurally validate a plan file (see {@link parsePlan}). Throws InvalidInputError naming `path`. */
export function readPlanFile(path: string): CalibrationPlan {
  return parsePlan(readJsonFile(path, 'calibration plan file'), path);
}

function expectInteger(value: unknown, source: string, field: string, min: number, max: number | undefined, fix: string): number {
  const x = expectFinite(value, source, field, fix);
  const range = max === undefined ? `>= ${min}` : `in ${min}..${max}`;
  if (!Number.isInteger(x) || x < min || (max !== undefined && x > max)) {
    fail(source, field, `must be an integer ${range}, got ${show(x)}`, fix);
  }
  return x;
}

/** At most `max` entries (the format's limit), checked before anything is built from them. */
function expectAtMost(raw: unknown[], max: number, source: string, field: string, what: string): void {
  if (raw.length > max) fail(source, field, `must list at most ${max} ${what} (the limit of the format), got ${raw.length}`, `list at most ${max}`);
}

function expectSeed(value: unknown, source: string, field: string): number {
  const fix = 'give the seed as an integer, e.g. 1 (equal seeds give equal plans)';
  const x = expectFinite(value, source, field, fix);
  if (!Number.isSafeInteger(x)) fail(source, field, `must be an integer, got ${show(x)}`, fix);
  return x;
}

function parseSettings(value: unknown, source: string, field: string): SettingsSweep | { configurations: number[][] } {
  const obj = expectObject(value, source, field, '"settings"');
  expectKnownKeys(obj, SETTINGS_FIELDS, source, field);
  if ('configurations' in obj) {
    for (const k of ['levels', 'mixed', 'seed']) {
      if (k in obj) {
        fail(
          source,
          child(field, k),
          `"${k}" belongs to a settings sweep, but "configurations" (an explicit list) is given too`,
          'give either {"levels": [...], "mixed": M, "seed": S} or {"configurations": [[...], ...]}, not both',
        );
      }
    }
    const cfgField = child(field, 'configurations');
    const fix = 'write "configurations" as a non-empty list of settings vectors, one setting per edge, e.g. [[50, 50, ...], [25, 99, ...]]';
    const raw = expectArray(obj.configurations, source, cfgField, fix);
    if (raw.length === 0) fail(source, cfgField, 'must list at least one configuration, got []', fix);
    expectAtMost(raw, MAX_PLAN_CONFIGURATIONS, source, cfgField, 'configurations');
    const configurations: number[][] = [];
    for (let c = 0; c < raw.length; c++) {
      const cf = child(cfgField, c);
      const row = expectArray(raw[c], source, cf, fix);
      if (row.length === 0) fail(source, cf, 'must have one setting per edge, got []', fix);
      expectAtMost(row, MAX_BOARD_EDGES, source, cf, 'settings (one per edge of a board)');
      if (c > 0 && row.length !== configurations[0].length) {
        fail(source, cf, `must have ${entries(configurations[0].length)} like ${child(cfgField, 0)} (one setting per edge), got ${row.length}`, fix);
      }
      configurations.push(row.map((x, e) => expectFinite(x, source, child(cf, e), fix)));
    }
    return { configurations };
  }
  const levelsField = child(field, 'levels');
  const fix = 'give "levels" as a non-empty list of edge settings (taps on tap boards, gate volts on gate boards), e.g. [25, 50, 75, 99]';
  const raw = expectArray(
    expectPresent(obj, 'levels', source, field, 'add "levels": [...], the edge settings to visit, or give "configurations": [[...], ...] instead'),
    source,
    levelsField,
    fix,
  );
  if (raw.length === 0) fail(source, levelsField, 'must list at least one level, got []', fix);
  expectAtMost(raw, MAX_PLAN_CONFIGURATIONS, source, levelsField, 'levels');
  const levels: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const f = child(levelsField, i);
    const x = expectFinite(raw[i], source, f, fix);
    const j = levels.indexOf(x); // at most 1000 x 1000 comparisons
    if (j >= 0) fail(source, f, `level ${show(x)} is listed twice (also at ${child(levelsField, j)})`, 'list each level once');
    levels.push(x);
  }
  const sweep: SettingsSweep = { levels };
  if (obj.mixed !== undefined) {
    sweep.mixed = expectInteger(obj.mixed, source, child(field, 'mixed'), 0, MAX_PLAN_CONFIGURATIONS, `give the number of mixed configurations as an integer in 0..${MAX_PLAN_CONFIGURATIONS} (default ${PLAN_DEFAULTS.mixed})`);
  }
  if (obj.seed !== undefined) sweep.seed = expectSeed(obj.seed, source, child(field, 'seed'));
  return sweep;
}

function parsePatternSpec(value: unknown, source: string, field: string): RandomPatterns | { list: CalibrationPattern[] } {
  const obj = expectObject(value, source, field, '"patterns"');
  expectKnownKeys(obj, PATTERNS_FIELDS, source, field);
  if ('list' in obj) {
    for (const k of ['kind', 'count', 'seed', 'drive', 'clamp', 'range']) {
      if (k in obj) {
        fail(
          source,
          child(field, k),
          `"${k}" belongs to random patterns, but "list" (explicit patterns) is given too`,
          'give either {"kind": "random", "count": N, "seed": S, ...} or {"list": [...]}, not both',
        );
      }
    }
    return { list: parsePatternList(obj.list, source, child(field, 'list')) };
  }
  const kindRaw = expectPresent(obj, 'kind', source, field, 'add "kind": "random" (random patterns), or give explicit patterns as {"list": [...]}');
  if (kindRaw !== 'random') {
    fail(source, child(field, 'kind'), `must be "random", got ${show(kindRaw)}`, 'set "kind": "random", or give explicit patterns as {"list": [...]}');
  }
  const count = expectInteger(
    expectPresent(obj, 'count', source, field, 'add "count": N, the number of random patterns (e.g. 24)'),
    source,
    child(field, 'count'),
    1,
    MAX_PLAN_PATTERNS,
    `give the number of random patterns as an integer in 1..${MAX_PLAN_PATTERNS} (e.g. 24)`,
  );
  const seed = expectSeed(expectPresent(obj, 'seed', source, field, 'add "seed": S, an integer (e.g. 1)'), source, child(field, 'seed'));
  const spec: RandomPatterns = { kind: 'random', count, seed };
  if (obj.drive !== undefined) spec.drive = parseCountRange(obj.drive, source, child(field, 'drive'), 1, 'driven');
  if (obj.clamp !== undefined) spec.clamp = parseCountRange(obj.clamp, source, child(field, 'clamp'), 0, 'clamped');
  if (obj.range !== undefined) spec.range = parseFractionRange(obj.range, source, child(field, 'range'));
  return spec;
}

function parseCountRange(value: unknown, source: string, field: string, least: number, what: string): [number, number] {
  const why = least > 0 ? ' (every pattern drives at least one node)' : '';
  const fix = `write it as [min, max], the number of ${what} nodes per pattern: two integers with ${least} <= min <= max${why}`;
  const raw = expectArray(value, source, field, fix);
  if (raw.length !== 2) fail(source, field, `must be a pair [min, max], got ${entries(raw.length)}`, fix);
  const lo = expectInteger(raw[0], source, child(field, 0), least, MAX_BOARD_NODES, fix);
  const hi = expectInteger(raw[1], source, child(field, 1), 0, MAX_BOARD_NODES, fix);
  if (lo > hi) fail(source, field, `min ${lo} exceeds max ${hi}`, fix);
  return [lo, hi];
}

function parseFractionRange(value: unknown, source: string, field: string): [number, number] {
  const fix = 'write it as [lo, hi], fractions of the DAC range with 0 <= lo < hi <= 1 (default [0.1, 0.9])';
  const raw = expectArray(value, source, field, fix);
  if (raw.length !== 2) fail(source, field, `must be a pair [lo, hi], got ${entries(raw.length)}`, fix);
  const lo = expectFinite(raw[0], source, child(field, 0), fix);
  const hi = expectFinite(raw[1], source, child(field, 1), fix);
  for (const [x, i] of [[lo, 0], [hi, 1]] as const) {
    if (x < 0 || x > 1) fail(source, child(field, i), `must be a fraction of the DAC range within [0, 1], got ${show(x)}`, fix);
  }
  if (!(lo < hi)) fail(source, field, `lo ${show(lo)} must be below hi ${show(hi)}`, fix);
  return [lo, hi];
}

function parsePatternList(value: unknown, source: string, field: string): CalibrationPattern[] {
  const fix = 'write "list" as a non-empty list of patterns {"drive": [[node, volts], ...], "clamp": [[node, volts], ...]}';
  const raw = expectArray(value, source, field, fix);
  if (raw.length === 0) fail(source, field, 'must list at least one pattern, got []', fix);
  expectAtMost(raw, MAX_PLAN_PATTERNS, source, field, 'patterns');
  return raw.map((p, i) => parsePattern(p, source, child(field, i)));
}

function parsePattern(value: unknown, source: string, field: string): CalibrationPattern {
  const obj = expectObject(value, source, field, 'a pattern');
  expectKnownKeys(obj, ['drive', 'clamp'], source, field);
  const seen = new Map<number, string>();
  const pairs = (key: 'drive' | 'clamp'): [number, number][] => {
    const kf = child(field, key);
    const fix = `write "${key}" as a list of [node, volts] pairs, e.g. [[0, 1.5], [3, 0]]${key === 'clamp' ? ' (may be [])' : ''}`;
    const raw = expectArray(expectPresent(obj, key, source, field, `add "${key}": [[node, volts], ...]${key === 'clamp' ? ' (may be [])' : ''}`), source, kf, fix);
    expectAtMost(raw, MAX_BOARD_NODES, source, kf, '[node, volts] pairs (one per node of a board)');
    const out: [number, number][] = [];
    for (let j = 0; j < raw.length; j++) {
      const pf = child(kf, j);
      const pair = expectArray(raw[j], source, pf, fix);
      if (pair.length !== 2) fail(source, pf, `must be a pair [node, volts], got ${entries(pair.length)}`, fix);
      const node = expectNodeId(pair[0], undefined, source, child(pf, 0));
      const volts = expectFinite(pair[1], source, child(pf, 1), 'give the commanded voltage in volts');
      const first = seen.get(node);
      if (first !== undefined) {
        fail(
          source,
          child(pf, 0),
          `node ${node} is listed twice in one pattern (also at ${first}); a node is driven, clamped or free`,
          `remove node ${node} from one of the two places`,
        );
      }
      seen.set(node, pf);
      out.push([node, volts]);
    }
    return out;
  };
  const drive = pairs('drive');
  const clamp = pairs('clamp');
  if (drive.length === 0) {
    fail(source, child(field, 'drive'), 'must drive at least one node: with nothing driven every node sits at the clamp voltages or floats, and the pattern says nothing about the edges', 'add a [node, volts] pair to "drive"');
  }
  return { drive, clamp };
}

function parseReference(value: unknown, source: string, field: string): NonNullable<CalibrationPlan['reference']> {
  const obj = expectObject(value, source, field, '"reference"');
  expectKnownKeys(obj, ['voltage', 'conductance'], source, field);
  const out: NonNullable<CalibrationPlan['reference']> = {};
  if (obj.voltage !== undefined) out.voltage = parseVoltageReference(obj.voltage, source, child(field, 'voltage'));
  if (obj.conductance !== undefined) out.conductance = parseConductanceReference(obj.conductance, source, child(field, 'conductance'));
  return out;
}

function parseVoltageReference(value: unknown, source: string, field: string): VoltageReference {
  const fix = 'use "adc-mean" (mean ADC gain 1 and offset 0) or {"adc": [{"node": i, "gain": g, "offset": V}, ...]} (channels checked externally)';
  if (typeof value === 'string') {
    if (value !== 'adc-mean') fail(source, field, `must be "adc-mean" or an object {"adc": [...]}, got ${show(value)}`, fix);
    return 'adc-mean';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(source, field, `must be "adc-mean" or an object {"adc": [...]}, got ${kind(value)} ${show(value)}`, fix);
  }
  const obj = value as Record<string, unknown>;
  expectKnownKeys(obj, ['adc'], source, field);
  const adcField = child(field, 'adc');
  const raw = expectArray(expectPresent(obj, 'adc', source, field, fix), source, adcField, fix);
  if (raw.length === 0) fail(source, adcField, 'must list at least one ADC channel, got []', fix);
  expectAtMost(raw, MAX_BOARD_NODES, source, adcField, 'ADC channels (one per node of a board)');
  const seen = new Map<number, string>();
  const adc = raw.map((r, i) => {
    const f = child(adcField, i);
    const o = expectObject(r, source, f, 'an ADC reference');
    expectKnownKeys(o, ['node', 'gain', 'offset'], source, f);
    const entryFix = 'write it as {"node": i, "gain": g, "offset": V}: reading = gain * V + offset';
    const node = expectNodeId(expectPresent(o, 'node', source, f, entryFix), undefined, source, child(f, 'node'));
    const gain = expectPositive(expectPresent(o, 'gain', source, f, entryFix), source, child(f, 'gain'), 'dimensionless', 'give the channel gain as a positive number (1 for an ideal channel)');
    const offset = expectFinite(expectPresent(o, 'offset', source, f, entryFix), source, child(f, 'offset'), 'give the channel offset in volts (0 for an ideal channel)');
    const first = seen.get(node);
    if (first !== undefined) fail(source, child(f, 'node'), `node ${node} is referenced twice (also at ${first})`, 'give each ADC channel once');
    seen.set(node, f);
    return { node, gain, offset };
  });
  return { adc };
}

function parseConductanceReference(value: unknown, source: string, field: string): ConductanceReference {
  const fix = 'use "nominal-mean" or a list of measurements: {"edge": e, "setting": tap, "siemens": k} (tap boards) or {"edge": e, "s": S_per_V} (gate boards)';
  if (typeof value === 'string') {
    if (value !== 'nominal-mean') fail(source, field, `must be "nominal-mean" or a list of measurements, got ${show(value)}`, fix);
    return 'nominal-mean';
  }
  const raw = expectArray(value, source, field, fix);
  if (raw.length === 0) fail(source, field, 'must list at least one measurement, got []', fix);
  expectAtMost(raw, MAX_BOARD_EDGES, source, field, 'measurements');
  const out: ({ edge: number; setting: number; siemens: number } | { edge: number; s: number })[] = [];
  const seen = new Map<string, string>();
  let firstKind: 'tap' | 'gate' | undefined;
  for (let i = 0; i < raw.length; i++) {
    const f = child(field, i);
    const o = expectObject(raw[i], source, f, 'a conductance reference');
    expectKnownKeys(o, ['edge', 'setting', 'siemens', 's'], source, f);
    const isGate = 's' in o;
    if (isGate && ('setting' in o || 'siemens' in o)) {
      fail(source, f, 'mixes the tap-board form {edge, setting, siemens} with the gate-board form {edge, s}', 'give either {"edge": e, "setting": tap, "siemens": k} or {"edge": e, "s": S_per_V}');
    }
    const k = isGate ? 'gate' : 'tap';
    if (firstKind !== undefined && k !== firstKind) {
      fail(source, f, `is a ${k}-board reference but ${child(field, 0)} is a ${firstKind}-board reference`, 'use one form for every entry: the one of the board\'s edge kind');
    }
    firstKind = k;
    const entryFix = isGate ? 'write it as {"edge": e, "s": S_per_V}' : 'write it as {"edge": e, "setting": tap, "siemens": k}';
    const edge = expectInteger(expectPresent(o, 'edge', source, f, entryFix), source, child(f, 'edge'), 0, undefined, 'give the edge index as an integer >= 0');
    if (isGate) {
      const s = expectPositive(o.s, source, child(f, 's'), 'S/V', 'give the edge\'s transconductance factor s in siemens per volt, > 0');
      const key = `${edge}`;
      const first = seen.get(key);
      if (first !== undefined) fail(source, child(f, 'edge'), `edge ${edge} is referenced twice (also at ${first})`, 'give each edge once');
      seen.set(key, f);
      out.push({ edge, s });
    } else {
      const setting = expectInteger(expectPresent(o, 'setting', source, f, entryFix), source, child(f, 'setting'), 0, undefined, 'give the tap the edge was measured at, an integer >= 0');
      const siemens = expectPositive(expectPresent(o, 'siemens', source, f, entryFix), source, child(f, 'siemens'), 'S', 'give the measured conductance in siemens, > 0 (1 / ohms)');
      const key = `${edge}@${setting}`;
      const first = seen.get(key);
      if (first !== undefined) fail(source, f, `edge ${edge} at tap ${setting} is referenced twice (also at ${first})`, 'give each (edge, setting) once');
      seen.set(key, f);
      out.push({ edge, setting, siemens });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Expansion against a board

/**
 * Check a plan against a board's identity and expand it: every edge configuration (Float64Array, one setting per
 * edge) and every source pattern, with the defaults filled in. The same patterns are applied in every
 * configuration.
 *
 * Sweeps give first one uniform configuration per level (every edge at that level, in the order given), then
 * `mixed` configurations drawn with the seeded Rng: when E >= levels, each is a shuffled round-robin assignment
 * (every level on at least floor(E / levels) edges), so every level is tied to every other in one configuration;
 * with fewer edges than levels, the edges get distinct random levels.
 *
 * @param source named in error messages (the plan file)
 * @throws InvalidInputError when the plan does not fit the board (model, settings, nodes, voltages, references)
 */
export function expandPlan(plan: CalibrationPlan, id: BoardIdentity, source = 'calibration plan'): ExpandedPlan {
  const p = parsePlan(plan, source);
  if (p.board !== id.model) {
    fail(
      source,
      'board',
      `the plan is written for board model ${show(p.board)}, but the board is a ${show(id.model)} (uid ${id.uid})`,
      `use a plan written for ${show(id.model)} ("board": ${show(id.model)}), or run \`clln calibrate\` without --plan to use the default plan of ${show(id.model)}`,
    );
  }
  const configurations = expandSettings(p.settings, id, source);
  const patterns = 'list' in p.patterns ? checkPatterns(p.patterns.list, id, source) : generatePatterns(p.patterns, id, source);
  const reference = expandReference(p.reference, id, configurations, source);
  return { board: id.model, samples: p.samples ?? PLAN_DEFAULTS.samples, configurations, patterns, reference };
}

function settingRule(id: BoardIdentity): { ok: (x: number) => boolean; rule: string; fix: string } {
  if (id.edge.kind === 'tap') {
    const top = id.edge.taps - 1;
    return {
      ok: (x) => Number.isInteger(x) && x >= 0 && x <= top,
      rule: `must be a tap, an integer in 0..${top} (board ${id.model} has ${id.edge.taps} taps per edge)`,
      fix: `use a tap in 0..${top}`,
    };
  }
  const { lo, hi } = id.edge;
  return {
    ok: (x) => x >= lo && x <= hi,
    rule: `must be a gate voltage within the board's gate range [${lo}, ${hi}] V (board ${id.model})`,
    fix: `use a gate voltage in [${lo}, ${hi}] V`,
  };
}

function expandSettings(settings: CalibrationPlan['settings'], id: BoardIdentity, source: string): Float64Array[] {
  const E = id.edges.length;
  const { ok, rule, fix } = settingRule(id);
  if ('configurations' in settings) {
    return settings.configurations.map((row, c) => {
      const f = child('settings.configurations', c);
      if (row.length !== E) {
        fail(source, f, `must have ${entries(E)} (one setting per edge; board ${id.model} has ${E} edges), got ${row.length}`, `give ${E} settings, in the order of the board's edges`);
      }
      row.forEach((x, e) => {
        if (!ok(x)) fail(source, child(f, e), `${rule}, got ${show(x)}`, fix);
      });
      return Float64Array.from(row);
    });
  }
  settings.levels.forEach((x, i) => {
    if (!ok(x)) fail(source, child('settings.levels', i), `${rule}, got ${show(x)}`, fix);
  });
  return sweepConfigurations(settings.levels, settings.mixed ?? PLAN_DEFAULTS.mixed, settings.seed ?? PLAN_DEFAULTS.seed, E);
}

/**
 * The configurations of a sweep over `levels` on `edges` edges: the uniform ones, then `mixed` seeded mixed ones
 * (each containing every level when edges >= levels).
 */
export function sweepConfigurations(levels: readonly number[], mixed: number, seed: number, edges: number): Float64Array[] {
  const out = levels.map((l) => new Float64Array(edges).fill(l));
  const L = levels.length;
  const rng = new Rng(seed);
  for (let m = 0; m < mixed; m++) {
    const c = new Float64Array(edges);
    if (edges >= L) {
      // Round-robin from a random start (which levels get the spare edges varies), then shuffled.
      const start = rng.int(L);
      for (let e = 0; e < edges; e++) c[e] = levels[(e + start) % L];
      rng.shuffle(c);
    } else {
      const order = rng.shuffle([...levels]);
      for (let e = 0; e < edges; e++) c[e] = order[e];
    }
    out.push(c);
  }
  return out;
}

function checkPatterns(list: CalibrationPattern[], id: BoardIdentity, source: string): CalibrationPattern[] {
  const drivable = new Set(id.drivable);
  const clampable = new Set(id.clampable);
  const { lo, hi } = id.dac;
  const board = `board ${id.model}`;
  return list.map((pat, i) => {
    const pf = child('patterns.list', i);
    if (pat.drive.length === 0) fail(source, child(pf, 'drive'), 'must drive at least one node', 'add a [node, volts] pair to "drive"');
    const seen = new Map<number, string>();
    for (const key of ['drive', 'clamp'] as const) {
      const allowed = key === 'drive' ? drivable : clampable;
      const list = key === 'drive' ? id.drivable : id.clampable;
      pat[key].forEach(([node, volts], j) => {
        const f = child(child(pf, key), j);
        expectNodeId(node, id.nodes, source, child(f, 0), board);
        if (!allowed.has(node)) {
          fail(
            source,
            child(f, 0),
            `node ${node} has no ${key} channel on ${board}; ${key === 'drive' ? 'drivable' : 'clampable'} nodes are ${show(list)}`,
            `${key} one of the ${key === 'drive' ? 'drivable' : 'clampable'} nodes instead`,
          );
        }
        const first = seen.get(node);
        if (first !== undefined) fail(source, child(f, 0), `node ${node} is listed twice in one pattern (also at ${first})`, `remove node ${node} from one of the two places`);
        seen.set(node, f);
        if (!(volts >= lo && volts <= hi)) {
          fail(source, child(f, 1), `commanded voltage must be within the DAC range [${lo}, ${hi}] V of ${board}, got ${show(volts)}`, `use a voltage in [${lo}, ${hi}] V`);
        }
      });
    }
    return { drive: pat.drive.map(([n, v]) => [n, v] as [number, number]), clamp: pat.clamp.map(([n, v]) => [n, v] as [number, number]) };
  });
}

function expandReference(
  ref: CalibrationPlan['reference'],
  id: BoardIdentity,
  configurations: Float64Array[],
  source: string,
): ExpandedPlan['reference'] {
  const voltage = ref?.voltage ?? PLAN_DEFAULTS.reference.voltage;
  const conductance = ref?.conductance ?? PLAN_DEFAULTS.reference.conductance;
  if (typeof voltage === 'object') {
    voltage.adc.forEach((a, i) => expectNodeId(a.node, id.nodes, source, `reference.voltage.adc[${i}].node`, `board ${id.model}`));
  }
  if (Array.isArray(conductance)) {
    const E = id.edges.length;
    conductance.forEach((c, i) => {
      const f = child('reference.conductance', i);
      if (c.edge >= E) fail(source, child(f, 'edge'), `unknown edge ${c.edge}: board ${id.model} has ${E} edges, so edge indices run 0..${E - 1}`, `use an edge index in 0..${E - 1}`);
      if ('s' in c) {
        if (id.edge.kind !== 'gate') {
          fail(source, f, `{edge, s} is a gate-board reference, but board ${id.model} has tap edges`, 'give tap-board references as {"edge": e, "setting": tap, "siemens": k}, or use "nominal-mean"');
        }
      } else {
        if (id.edge.kind !== 'tap') {
          fail(source, f, `{edge, setting, siemens} is a tap-board reference, but board ${id.model} has gate edges`, 'give gate-board references as {"edge": e, "s": S_per_V}, or use "nominal-mean"');
        }
        const visited = [...new Set(configurations.map((cfg) => cfg[c.edge]))].sort((a, b) => a - b);
        if (!visited.includes(c.setting)) {
          fail(
            source,
            child(f, 'setting'),
            `edge ${c.edge} never sits at tap ${c.setting} in this plan (it visits taps ${visited.join(', ')}), so the measurement would fix nothing`,
            `use one of the taps ${visited.join(', ')}, or add tap ${c.setting} to the plan's settings`,
          );
        }
      }
    });
  }
  return { voltage, conductance };
}

// ---------------------------------------------------------------------------------------------------------------
// Random patterns

/**
 * Random source patterns, `spec.count` of them, from `spec.seed` (deterministic). Each pattern drives a random
 * number of distinct drivable nodes (uniform in `spec.drive`, capped at what the board offers) and clamps a random
 * number (uniform in `spec.clamp`, capped likewise) of distinct clampable nodes that are not driven. Voltages are
 * uniform in `dac.lo + range * (dac.hi - dac.lo)` and rounded to 1e-4 V.
 *
 * Coverage (count >= {@link COVER_MIN_COUNT}): before the random fill, a deterministic-given-the-seed cover is laid
 * out:
 * 1. drive cover: each drivable node is put into 2 patterns, each time into a least-loaded pattern (ties broken at
 *    random; when every allowed pattern is full, nodes already placed are moved along an augmenting path, so the
 *    cover fits whenever count * drive max >= 2 x drivable nodes), once at a voltage in the lowest 35 % of the usable range and once in the highest 35 %
 *    (so the two differ by at least 30 % > {@link COVER_MIN_SPREAD} of it);
 * 2. clamp cover: each clampable node is likewise clamped in 2 least-loaded patterns where it is not driven, once
 *    low and once high (needs count * clamp max >= 2 x clampable nodes);
 * 3. free reservation: each drivable node gets 2 patterns (fewest reservations first) where it is neither driven
 *    nor clamped, and the random fill leaves it free there;
 * 4. random fill: each pattern is topped up to its random drive and clamp counts with random nodes and voltages.
 * The per-pattern minimum counts always win over the reservations. Hence the coverage (every drivable node driven
 * in >= 2 patterns at voltages >= 25 % of the usable range apart and free in >= 2 patterns; every clampable node
 * clamped in >= 2 patterns at different voltages) holds whenever count >= 8, count * drive max >= 2 x drivable
 * nodes, count * clamp max >= 2 x clampable nodes and the minimum counts leave room; otherwise it is best effort.
 *
 * @throws InvalidInputError when the board cannot satisfy the minimum counts (no drivable node, drive min > drivable
 *   nodes, clamp min > clampable nodes, drive min + clamp min > nodes that can be driven or clamped)
 */
export function generatePatterns(spec: RandomPatterns, id: BoardIdentity, source = 'calibration plan'): CalibrationPattern[] {
  const [dMin, dMax] = spec.drive ?? PLAN_DEFAULTS.drive;
  const [cMin, cMax] = spec.clamp ?? PLAN_DEFAULTS.clamp;
  const [fLo, fHi] = spec.range ?? PLAN_DEFAULTS.range;
  const D = [...new Set(id.drivable)].sort((a, b) => a - b);
  const C = [...new Set(id.clampable)].sort((a, b) => a - b);
  const inD = new Set(D);
  const inC = new Set(C);
  const union = new Set([...D, ...C]).size;
  const board = `board ${id.model}`;
  if (D.length === 0) fail(source, 'patterns', `${board} has no drivable node, so no pattern can drive anything`, 'calibrate a board with drive channels');
  if (dMin > D.length) {
    fail(source, 'patterns.drive', `asks for at least ${dMin} driven nodes per pattern, but ${board} has only ${D.length} drivable nodes`, `lower the minimum to at most ${D.length}`);
  }
  if (cMin > C.length) {
    fail(source, 'patterns.clamp', `asks for at least ${cMin} clamped nodes per pattern, but ${board} has only ${C.length} clampable nodes`, `lower the minimum to at most ${C.length}`);
  }
  if (dMin + cMin > union) {
    fail(
      source,
      'patterns.clamp',
      `${dMin} driven plus ${cMin} clamped nodes per pattern need ${dMin + cMin} distinct nodes, but only ${union} nodes of ${board} can be driven or clamped`,
      `lower the minima so that drive min + clamp min <= ${union}`,
    );
  }
  const capD = Math.min(dMax, D.length, union - cMin);
  const capC = Math.min(cMax, C.length);

  const rng = new Rng(spec.seed);
  const P = spec.count;
  const span = id.dac.hi - id.dac.lo;
  const vLo = id.dac.lo + fLo * span;
  const vHi = id.dac.lo + fHi * span;
  const u = vHi - vLo;
  const volts = (a: number, b: number): number => {
    const v = Math.round(rng.uniform(a, b) * 1e4) / 1e4;
    return Math.min(id.dac.hi, Math.max(id.dac.lo, v));
  };
  const band = (high: boolean): number => (high ? volts(vLo + 0.65 * u, vHi) : volts(vLo, vLo + 0.35 * u));

  const drive = Array.from({ length: P }, () => new Map<number, number>());
  const clamp = Array.from({ length: P }, () => new Map<number, number>());
  const reserved = Array.from({ length: P }, () => new Set<number>());
  const busy = (p: number, x: number): boolean => drive[p].has(x) || clamp[p].has(x);
  // Per pattern: how many drivable / clampable nodes are driven or clamped (kept up to date by put and take).
  const busyD = new Int32Array(P);
  const busyC = new Int32Array(P);
  const mark = (p: number, x: number, d: number): void => {
    if (inD.has(x)) busyD[p] += d;
    if (inC.has(x)) busyC[p] += d;
  };
  const put = (maps: Map<number, number>[], p: number, x: number, v: number): void => {
    maps[p].set(x, v);
    mark(p, x, 1);
  };
  const take = (maps: Map<number, number>[], p: number, x: number): number => {
    const v = maps[p].get(x)!;
    maps[p].delete(x);
    mark(p, x, -1);
    return v;
  };
  /** Driving x in p leaves enough clampable nodes for the clamp minimum. */
  const mayDrive = (p: number, x: number): boolean => !inC.has(x) || clamp[p].size + (C.length - busyC[p]) - 1 >= cMin;
  /** Clamping x in p leaves enough drivable nodes for the drive minimum. */
  const mayClamp = (p: number, x: number): boolean => !inD.has(x) || drive[p].size + (D.length - busyD[p]) - 1 >= dMin;
  /** A pattern among those passing `ok` with the smallest `load`, ties broken at random; -1 if none. */
  const leastLoaded = (ok: (p: number) => boolean, load: (p: number) => number): number => {
    let best: number[] = [];
    let bestLoad = Infinity;
    for (let p = 0; p < P; p++) {
      if (!ok(p)) continue;
      const l = load(p);
      if (l < bestLoad) {
        bestLoad = l;
        best = [p];
      } else if (l === bestLoad) best.push(p);
    }
    return best.length === 0 ? -1 : best[rng.int(best.length)];
  };

  /**
   * Put x (at voltage v) into one pattern of `maps` with room (size < cap) where `allowed`: a least-loaded one, or,
   * when every allowed pattern is full, along an augmenting path (move a node already placed to another allowed
   * pattern, and so on until one with room is reached), so a tight cover (count * max = 2 x nodes) still fits.
   */
  const place = (maps: Map<number, number>[], cap: number, allowed: (p: number, x: number) => boolean, x: number, v: number): void => {
    const p0 = leastLoaded((q) => maps[q].size < cap && allowed(q, x), (q) => maps[q].size);
    if (p0 >= 0) {
      put(maps, p0, x, v);
      return;
    }
    const parent = new Map<number, [number, number] | null>(); // pattern -> [pattern the node came from, node]
    const queue: number[] = [];
    for (let q = 0; q < P; q++) {
      if (allowed(q, x)) {
        parent.set(q, null);
        queue.push(q);
      }
    }
    while (queue.length > 0) {
      const q = queue.shift()!;
      for (const y of maps[q].keys()) {
        for (let r = 0; r < P; r++) {
          if (parent.has(r) || !allowed(r, y)) continue;
          parent.set(r, [q, y]);
          if (maps[r].size < cap) {
            let cur = r;
            for (let step = parent.get(cur); step; step = parent.get(cur)) {
              const [from, node] = step;
              put(maps, cur, node, take(maps, from, node));
              cur = from;
            }
            put(maps, cur, x, v);
            return;
          }
          queue.push(r);
        }
      }
    }
    // No room anywhere: the cover is partial (count * max < 2 x nodes).
  };

  if (P >= COVER_MIN_COUNT) {
    for (const x of rng.shuffle([...D])) {
      const highFirst = rng.next() < 0.5;
      for (let k = 0; k < 2; k++) place(drive, capD, (q, y) => !busy(q, y) && mayDrive(q, y), x, band(highFirst === (k === 0)));
    }
    if (capC > 0) {
      for (const x of rng.shuffle([...C])) {
        const highFirst = rng.next() < 0.5;
        for (let k = 0; k < 2; k++) place(clamp, capC, (q, y) => !busy(q, y) && mayClamp(q, y), x, band(highFirst === (k === 0)));
      }
    }
    for (const x of rng.shuffle([...D])) {
      for (let k = 0; k < 2; k++) {
        const p = leastLoaded((q) => !busy(q, x) && !reserved[q].has(x), (q) => reserved[q].size);
        if (p >= 0) reserved[p].add(x);
      }
    }
  }

  for (let p = 0; p < P; p++) {
    const dTarget = Math.max(drive[p].size, dMin + rng.int(capD - dMin + 1));
    while (drive[p].size < dTarget) {
      let cand = D.filter((x) => !busy(p, x) && !reserved[p].has(x) && mayDrive(p, x));
      if (cand.length === 0 && drive[p].size < dMin) cand = D.filter((x) => !busy(p, x) && mayDrive(p, x));
      if (cand.length === 0) break;
      put(drive, p, cand[rng.int(cand.length)], volts(vLo, vHi));
    }
    const cTarget = Math.max(clamp[p].size, cMin + rng.int(capC - cMin + 1));
    while (clamp[p].size < cTarget) {
      let cand = C.filter((x) => !busy(p, x) && !reserved[p].has(x));
      if (cand.length === 0 && clamp[p].size < cMin) cand = C.filter((x) => !busy(p, x));
      if (cand.length === 0) break;
      put(clamp, p, cand[rng.int(cand.length)], volts(vLo, vHi));
    }
  }

  const pairs = (m: Map<number, number>): [number, number][] => [...m.entries()].sort((a, b) => a[0] - b[0]);
  return drive.map((d, p) => ({ drive: pairs(d), clamp: pairs(clamp[p]) }));
}

// ---------------------------------------------------------------------------------------------------------------
// Default plans

let cachedPlansDir: string | undefined;

/**
 * The repository's calibration/plans folder, found by walking up from this file (works from the sources and from
 * dist/); undefined when there is none.
 */
export function plansDir(): string | undefined {
  if (cachedPlansDir) return cachedPlansDir;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const cand = join(dir, 'calibration', 'plans');
    if (existsSync(cand) && statSync(cand).isDirectory()) return (cachedPlansDir = cand);
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** Names (board models) of the shipped default plans, calibration/plans/*.json, sorted. */
export function listDefaultPlans(): string[] {
  const dir = plansDir();
  if (!dir) return [];
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

/**
 * The default plan of a board: the shipped calibration/plans/<model>.json when there is one (validated with
 * {@link readPlanFile}), otherwise {@link generateDefaultPlan}.
 */
export function defaultPlan(id: BoardIdentity): CalibrationPlan {
  const dir = plansDir();
  if (dir && /^[A-Za-z0-9._-]+$/.test(id.model)) {
    const path = join(dir, `${id.model}.json`);
    if (existsSync(path)) return readPlanFile(path);
  }
  return generateDefaultPlan(id);
}

/**
 * A plan for any board: tap boards visit taps round(x (taps - 1)) for x in 0.25, 0.5, 0.75, 1 (duplicates dropped);
 * gate boards 4 gate voltages evenly spread over the upper 70 % of the gate range (ends included, rounded to
 * 1e-4 V); 3 mixed configurations (seed 1); 24 random patterns (seed 1, default counts and range); 64 samples.
 */
export function generateDefaultPlan(id: BoardIdentity): CalibrationPlan {
  let levels: number[];
  let what: string;
  if (id.edge.kind === 'tap') {
    const top = id.edge.taps - 1;
    levels = [...new Set([0.25, 0.5, 0.75, 1].map((x) => Math.round(x * top)))];
    what = 'taps at a quarter, half, three quarters and all of the range';
  } else {
    const { lo, hi } = id.edge;
    const start = lo + 0.3 * (hi - lo);
    levels = [...new Set([0, 1, 2, 3].map((k) => Math.min(hi, Math.max(lo, Math.round((start + (k * (hi - start)) / 3) * 1e4) / 1e4))))];
    what = 'gate voltages evenly spread over the upper 70 % of the gate range';
  }
  return {
    format: PLAN_FORMAT,
    board: id.model,
    description: `Generated default plan for ${id.model}: every edge uniformly at each of ${levels.length} settings (${what}), plus 3 mixed configurations tying the settings together; 24 random patterns in each.`,
    samples: PLAN_DEFAULTS.samples,
    settings: { levels, mixed: PLAN_DEFAULTS.mixed, seed: PLAN_DEFAULTS.seed },
    patterns: { kind: 'random', count: 24, seed: 1 },
  };
}
