/**
 * Reading and structural validation of calibration plans, format `clln.calibration-plan/1` (JSON; schema in
 * `src/formats/schemas/clln.calibration-plan-1.schema.json`, fields documented in calibration/README.md):
 *
 * ```json
 * {"format": "clln.calibration-plan/1", "board": "penn-gen1", "samples": 64,
 *  "settings": {"levels": [25, 50, 75, 99], "mixed": 3, "seed": 1},
 *  "patterns": {"kind": "random", "count": 24, "seed": 1}}
 * ```
 *
 * The first of two steps, as for task files: {@link parsePlan} checks the document on its own (structure, types,
 * ranges); `expandPlan` (expandPlan.ts) then checks it against a board. Every error is an InvalidInputError naming
 * the file, the JSON path, the rule, the value and the fix.
 */
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
import {
  PLAN_FORMAT,
  RECORD_FORMAT,
  type CalibrationPattern,
  type CalibrationPlan,
  type ConductanceReference,
  type RandomPatterns,
  type SettingsSweep,
  type VoltageReference,
} from './types.js';
import { PLAN_DEFAULTS } from './planDefaults.js';

const PLAN_FIELDS = ['format', 'board', 'description', 'samples', 'settings', 'patterns', 'reference'] as const;
const SETTINGS_FIELDS = ['levels', 'mixed', 'seed', 'configurations'] as const;
const PATTERNS_FIELDS = ['kind', 'count', 'seed', 'drive', 'clamp', 'range', 'list'] as const;

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
