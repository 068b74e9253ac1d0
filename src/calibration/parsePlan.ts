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
import { child, entries, expectObject, fail } from '../formats/jsonChecks.js';
import { readJsonFile } from '../formats/jsonFile.js';
import { MAX_BOARD_NODES, MAX_PLAN_MEASUREMENTS } from '../formats/limits.js';
import { checkAgainstSchema } from '../formats/schemaCheck.js';
import { PLAN_FORMAT, RECORD_FORMAT, type CalibrationPattern, type CalibrationPlan, type RandomPatterns } from './types.js';
import { PLAN_DEFAULTS } from './planDefaults.js';

/**
 * Validate a parsed `clln.calibration-plan/1` document on its own (no board at hand). The structure — known fields
 * only, types, integers, ranges, counts, which of the alternative forms (a sweep or explicit configurations, random
 * or listed patterns, reference strings or entries) — is checked against the shipped schema with ajv
 * (src/formats/schemaCheck.ts); what follows is what the schema cannot state. Returns a fresh plan (`format` always
 * set; optional fields only when given; no defaults filled in — that is {@link expandPlan}'s job).
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
  checkAgainstSchema(doc, PLAN_FORMAT, source, parent);
  const plan = structuredClone(doc) as unknown as CalibrationPlan;

  if (plan.board.trim().length === 0) {
    fail(source, child(parent, 'board'), `must name a board model, got ${show(plan.board)}`, 'set "board" to the board model name, e.g. "penn-gen1"');
  }
  const settings = plan.settings;
  if ('configurations' in settings) {
    const field = child(parent, 'settings.configurations');
    const first = settings.configurations[0].length;
    settings.configurations.forEach((row, c) => {
      if (row.length !== first) {
        fail(source, child(field, c), `must have ${entries(first)} like ${child(field, 0)} (one setting per edge), got ${row.length}`, 'give every configuration one setting per edge, in the same edge order');
      }
    });
  }
  const patterns = plan.patterns;
  if ('list' in patterns) patterns.list.forEach((p, i) => checkPattern(p, source, child(parent, `patterns.list[${i}]`)));
  else checkRandomPatterns(patterns, source, child(parent, 'patterns'));
  checkMeasurementCount(plan, source, parent);
  const ref = plan.reference;
  if (ref?.voltage !== undefined && ref.voltage !== 'adc-mean') {
    const seen = new Map<number, number>();
    ref.voltage.adc.forEach((r, i) => {
      const first = seen.get(r.node);
      if (first !== undefined) fail(source, child(parent, `reference.voltage.adc[${i}].node`), `node ${r.node} is referenced twice (also at ${child(parent, `reference.voltage.adc[${first}]`)})`, 'give each ADC channel once');
      seen.set(r.node, i);
    });
  }
  if (ref?.conductance !== undefined && ref.conductance !== 'nominal-mean') {
    const seen = new Map<string, number>();
    ref.conductance.forEach((r, i) => {
      const key = 's' in r ? `${r.edge}` : `${r.edge}@${r.setting}`;
      const first = seen.get(key);
      const what = 's' in r ? `edge ${r.edge}` : `edge ${r.edge} at tap ${r.setting}`;
      if (first !== undefined) fail(source, child(parent, `reference.conductance[${i}]${'s' in r ? '.edge' : ''}`), `${what} is referenced twice (also at ${child(parent, `reference.conductance[${first}]`)})`, 's' in r ? 'give each edge once' : 'give each (edge, setting) once');
      seen.set(key, i);
    });
  }
  // in the documented key order, optional fields only when given
  const out = { format: PLAN_FORMAT, board: plan.board } as CalibrationPlan;
  if (plan.description !== undefined) out.description = plan.description;
  if (plan.samples !== undefined) out.samples = plan.samples;
  out.settings = plan.settings;
  out.patterns = plan.patterns;
  if (plan.reference !== undefined) out.reference = plan.reference;
  return out;
}

/** Random patterns: [min, max] counts with min <= max (and at least one driven node), [lo, hi] fractions with lo < hi. */
function checkRandomPatterns(p: RandomPatterns, source: string, field: string): void {
  for (const [key, least, what] of [['drive', 1, 'driven'], ['clamp', 0, 'clamped']] as const) {
    const r = p[key];
    if (!r) continue;
    const why = least > 0 ? ' (every pattern drives at least one node)' : '';
    const fix = `write it as [min, max], the number of ${what} nodes per pattern: two integers with ${least} <= min <= max${why}`;
    if (r[0] < least) fail(source, child(field, `${key}[0]`), `must be an integer in ${least}..${MAX_BOARD_NODES}${why}, got ${r[0]}`, fix);
    if (r[0] > r[1]) fail(source, child(field, key), `min ${r[0]} exceeds max ${r[1]}`, fix);
  }
  if (p.range && !(p.range[0] < p.range[1])) {
    fail(source, child(field, 'range'), `lo ${show(p.range[0])} must be below hi ${show(p.range[1])}`, 'write it as [lo, hi], fractions of the DAC range with 0 <= lo < hi <= 1 (default [0.1, 0.9])');
  }
}

/** Within one pattern a node is driven, clamped or free: never listed twice. */
function checkPattern(p: CalibrationPattern, source: string, field: string): void {
  const seen = new Map<number, string>();
  for (const key of ['drive', 'clamp'] as const) {
    p[key].forEach(([node], j) => {
      const pf = child(field, `${key}[${j}]`);
      const first = seen.get(node);
      if (first !== undefined) {
        fail(source, child(pf, 0), `node ${node} is listed twice in one pattern (also at ${first}); a node is driven, clamped or free`, `remove node ${node} from one of the two places`);
      }
      seen.set(node, pf);
    });
  }
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

// ---------------------------------------------------------------------------------------------------------------
// Expansion against a board
