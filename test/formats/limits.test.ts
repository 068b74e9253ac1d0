/**
 * Issue 11, point 3 (E): every count and size in every format has a documented limit, in the JSON Schema (maxItems,
 * maxLength, maximum) and enforced by the reader with the same value (src/formats/limits.ts).
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../src/calibration/planFile.js';
import { parseCalibrationRecord } from '../../src/calibration/recordFile.js';
import { parseNetwork } from '../../src/formats/networkFile.js';
import { parseTask } from '../../src/formats/taskFile.js';
import * as L from '../../src/formats/limits.js';
import { listBoardModels, modelsDir, validateBoardModel } from '../../twins/BoardModel.js';
import { expectInvalid } from './expectInvalid.js';
import { undocumented } from './undocumented.js';

const schemaDir = new URL('../../src/formats/schemas/', import.meta.url);
const load = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, schemaDir), 'utf8'));
const SCHEMAS = ['clln.network-1', 'clln.task-1', 'clln.board-1', 'clln.calibration-plan-1', 'clln.calibration-1', 'clln.springs-1', 'clln.strain-task-1'];
const schemas = Object.fromEntries(SCHEMAS.map((n) => [n, load(`${n}.schema.json`)]));

/**
 * JSON paths of the sub-schemas of `schema` that hold a count or a size without a bound: an array without maxItems,
 * a string without maxLength (a const or enum is bounded), an integer without maximum.
 */
function unbounded(schema: unknown, path = '#'): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Record<string, unknown>;
  const out: string[] = [];
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (!('$ref' in s) && !('const' in s) && !('enum' in s)) {
    if (types.includes('array') && typeof s.maxItems !== 'number') out.push(`${path} (array without maxItems)`);
    if (types.includes('string') && typeof s.maxLength !== 'number') out.push(`${path} (string without maxLength)`);
    if (types.includes('integer') && typeof s.maximum !== 'number') out.push(`${path} (integer without maximum)`);
  } else if ('$ref' in s && s.type === 'array' && typeof s.maxItems !== 'number' && !String(s.$ref).startsWith('#/$defs/')) {
    out.push(`${path} (array without maxItems)`);
  }
  for (const key of ['properties', '$defs'] as const) {
    for (const [name, sub] of Object.entries((s[key] as Record<string, unknown>) ?? {})) out.push(...unbounded(sub, `${path}/${key}/${name}`));
  }
  for (const key of ['items', 'prefixItems', 'oneOf', 'anyOf', 'allOf'] as const) {
    const sub = s[key];
    const list = Array.isArray(sub) ? sub : sub && typeof sub === 'object' ? [sub] : [];
    list.forEach((x, i) => out.push(...unbounded(x, `${path}/${key}/${i}`)));
  }
  return out;
}

/** The sub-schema at a path of property names (through properties, $defs, items and $ref into $defs). */
function at(schema: Record<string, unknown>, ...names: string[]): Record<string, unknown> {
  let s = schema;
  for (const n of names) {
    if (n === '[]') s = s.items as Record<string, unknown>;
    else if (n.startsWith('$defs/')) s = (schema.$defs as Record<string, Record<string, unknown>>)[n.slice(6)];
    else s = (s.properties as Record<string, Record<string, unknown>>)[n];
    expect(s, names.join('.')).toBeDefined();
  }
  return s;
}

describe('every count and size of every format has a limit', () => {
  it.each(SCHEMAS)('%s: every array, string and integer of the schema is bounded, every field documented', (name) => {
    expect(unbounded(schemas[name])).toEqual([]);
    expect(undocumented(schemas[name])).toEqual([]);
  });

  it('the schemas state the limits the readers enforce', () => {
    const net = schemas['clln.network-1'];
    expect(at(net, 'nodes').maximum).toBe(L.MAX_NETWORK_NODES);
    expect(at(net, 'edges').maxItems).toBe(L.MAX_NETWORK_EDGES);
    expect(at(net, 'conductance').maxItems).toBe(L.MAX_NETWORK_EDGES);
    expect(at(net, 'positions').maxItems).toBe(L.MAX_NETWORK_NODES);
    expect(at(net, 'taps').maxItems).toBe(L.MAX_TAPS);
    expect(at(net, 'elements').maxItems).toBe(L.MAX_NETWORK_EDGES);
    expect(at(net, '$defs/table', 'v').maxItems).toBe(L.MAX_TABLE_POINTS);
    expect(at(net, '$defs/table', 'i').maxItems).toBe(L.MAX_TABLE_POINTS);
    expect(at(net, 'name').maxLength).toBe(L.MAX_NAME_LENGTH);
    const task = schemas['clln.task-1'];
    expect(at(task, 'train').maxItems).toBe(L.MAX_EXAMPLES);
    expect(at(task, 'test').maxItems).toBe(L.MAX_EXAMPLES);
    expect(at(task, '$defs/nodeIds').maxItems).toBe(L.MAX_NETWORK_NODES);
    const board = schemas['clln.board-1'];
    expect(at(board, 'nodes').maximum).toBe(L.MAX_BOARD_NODES);
    expect(at(board, 'edges').maxItems).toBe(L.MAX_BOARD_EDGES);
    expect(at(board, '$defs/tapEdge', 'taps').maximum).toBe(L.MAX_TAPS);
    expect(at(board, '$defs/token').maxLength).toBe(L.MAX_BOARD_TOKEN_LENGTH);
    expect(at(board, 'uid').maxLength).toBe(L.MAX_UID_HEX_DIGITS);
    expect(at(board, 'description').maxLength).toBe(L.MAX_TEXT_LENGTH);
    const plan = schemas['clln.calibration-plan-1'];
    expect(at(plan, '$defs/randomPatterns', 'count').maximum).toBe(L.MAX_PLAN_PATTERNS);
    expect(at(plan, '$defs/patternList', 'list').maxItems).toBe(L.MAX_PLAN_PATTERNS);
    expect(at(plan, '$defs/sweep', 'levels').maxItems).toBe(L.MAX_PLAN_CONFIGURATIONS);
    expect(at(plan, '$defs/sweep', 'mixed').maximum).toBe(L.MAX_PLAN_CONFIGURATIONS);
    expect(at(plan, '$defs/configurations', 'configurations').maxItems).toBe(L.MAX_PLAN_CONFIGURATIONS);
    expect(at(plan, 'samples').maximum).toBe(L.MAX_SAMPLES);
    expect(at(plan, 'board').maxLength).toBe(L.MAX_BOARD_TOKEN_LENGTH);
    const rec = schemas['clln.calibration-1'];
    expect(at(rec, 'board', 'nodes').maximum).toBe(L.MAX_BOARD_NODES);
    expect(at(rec, 'board', 'edges').maxItems).toBe(L.MAX_BOARD_EDGES);
    expect(at(rec, 'data', 'measurements').maxItems).toBe(L.MAX_PLAN_MEASUREMENTS);
    expect(at(rec, 'fit', 'iterations').maximum).toBe(L.MAX_FIT_COUNT);
    expect(at(rec, 'id').maxLength).toBe(L.MAX_NAME_LENGTH);
    const springs = schemas['clln.springs-1'];
    expect(at(springs, 'positions').maxItems).toBe(L.MAX_SPRING_NODES);
    expect(at(springs, 'edges').maxItems).toBe(L.MAX_SPRINGS);
    expect(at(springs, 'stiffness').maxItems).toBe(L.MAX_SPRINGS);
    expect(at(springs, 'name').maxLength).toBe(L.MAX_NAME_LENGTH);
  });

  it('the shipped board models satisfy the new board schema', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true, discriminator: true });
    // clln's annotations (src/formats/schemaCheck.ts)
    ajv.addKeyword({ keyword: 'rule', schemaType: 'string' });
    ajv.addKeyword({ keyword: 'fix', schemaType: 'string' });
    const validate = ajv.compile(schemas['clln.board-1']);
    for (const name of listBoardModels()) {
      const doc = JSON.parse(readFileSync(`${modelsDir()}/${name}.json`, 'utf8'));
      expect(validate(doc), ajv.errorsText(validate.errors)).toBe(true);
      expect(validate({ ...doc, nodes: L.MAX_BOARD_NODES + 1 })).toBe(false);
    }
  });
});

describe('the readers refuse one past each limit, naming the field and the limit', () => {
  const square = { format: 'clln.network/1', name: 'sq', nodes: 4, edges: [[0, 1], [1, 2], [2, 3], [3, 0]], conductance: [1, 1, 1, 1] };
  it('network', () => {
    expectInvalid(() => parseNetwork({ ...square, nodes: L.MAX_NETWORK_NODES + 1 }, 'n.json'), 'nodes', `at most ${L.MAX_NETWORK_NODES}`);
    expectInvalid(() => parseNetwork({ ...square, name: 'n'.repeat(L.MAX_NAME_LENGTH + 1) }, 'n.json'), 'name', `at most ${L.MAX_NAME_LENGTH} characters`);
    // the length is checked before any entry is looked at
    expectInvalid(() => parseNetwork({ ...square, edges: new Array(L.MAX_NETWORK_EDGES + 1) }, 'n.json'), 'edges', `at most ${L.MAX_NETWORK_EDGES} entries`);
    expectInvalid(() => parseNetwork({ ...square, taps: new Array(L.MAX_TAPS + 1) }, 'n.json'), 'taps', `at most ${L.MAX_TAPS} entries`);
    expectInvalid(() => parseNetwork({ ...square, elements: new Array(L.MAX_NETWORK_EDGES + 1) }, 'n.json'), 'elements', `at most ${L.MAX_NETWORK_EDGES} entries`);
    const long = { kind: 'table', v: new Array(L.MAX_TABLE_POINTS + 1), i: [0, 1] };
    expectInvalid(() => parseNetwork({ ...square, elements: [long, null, null, null] }, 'n.json'), 'elements[0].v', `at most ${L.MAX_TABLE_POINTS} entries`);
  });

  it('task', () => {
    const net = parseNetwork(square, 'n.json');
    const doc = { format: 'clln.task/1', sources: [0], ground: [2], targets: [1], train: [{ in: [1], out: [0.5] }] };
    expectInvalid(() => parseTask({ ...doc, train: new Array(L.MAX_EXAMPLES + 1) }, 't.json', net), 'train', `at most ${L.MAX_EXAMPLES} entries`);
    expectInvalid(() => parseTask({ ...doc, test: new Array(L.MAX_EXAMPLES + 1) }, 't.json', net), 'test', `at most ${L.MAX_EXAMPLES} entries`);
    expectInvalid(() => parseTask({ ...doc, targets: [0, 1, 2, 3, 4] }, 't.json', net), 'targets', 'has 4 nodes');
  });

  it('board model', () => {
    const doc = JSON.parse(readFileSync(`${modelsDir()}/penn-gen1.json`, 'utf8'));
    const bad = (over: Record<string, unknown>, field: string, text: string) => {
      let caught: unknown;
      try {
        validateBoardModel({ ...doc, ...over }, 'b.json');
      } catch (e) {
        caught = e;
      }
      expect((caught as { field?: string }).field).toBe(field);
      expect((caught as Error).message).toContain(text);
    };
    bad({ edges: new Array(L.MAX_BOARD_EDGES + 1) }, 'edges', `at most ${L.MAX_BOARD_EDGES} entries`);
    bad({ uid: 'a'.repeat(L.MAX_UID_HEX_DIGITS + 1) }, 'uid', `at most ${L.MAX_UID_HEX_DIGITS} characters`);
    bad({ name: 'n'.repeat(L.MAX_BOARD_TOKEN_LENGTH + 1) }, 'name', `at most ${L.MAX_BOARD_TOKEN_LENGTH} characters`);
    // more entries than nodes means one listed twice (ids are below nodes): the first repeat is named
    bad({ drivable: new Array(doc.nodes + 1).fill(0) }, `drivable[${doc.nodes}]`, 'listed twice');
  });

  it('calibration plan: each count, and configurations x patterns', () => {
    const plan = { board: 'penn-gen1', settings: { levels: [25, 50] }, patterns: { kind: 'random', count: 24, seed: 1 } };
    expectInvalid(() => parsePlan({ ...plan, patterns: { kind: 'random', count: L.MAX_PLAN_PATTERNS + 1, seed: 1 } }, 'p.json'), 'patterns.count', `1..${L.MAX_PLAN_PATTERNS}`);
    expectInvalid(() => parsePlan({ ...plan, settings: { levels: Array.from({ length: L.MAX_PLAN_CONFIGURATIONS + 1 }, (_, i) => i) } }, 'p.json'), 'settings.levels', `at most ${L.MAX_PLAN_CONFIGURATIONS} entries`);
    expectInvalid(() => parsePlan({ ...plan, settings: { levels: [1], mixed: L.MAX_PLAN_CONFIGURATIONS + 1 } }, 'p.json'), 'settings.mixed', `0..${L.MAX_PLAN_CONFIGURATIONS}`);
    expectInvalid(() => parsePlan({ ...plan, patterns: { list: new Array(L.MAX_PLAN_PATTERNS + 1) } }, 'p.json'), 'patterns.list', `at most ${L.MAX_PLAN_PATTERNS} entries`);
    // 100 levels + 3 mixed configurations x 100 patterns = 10300 measurements
    const levels = Array.from({ length: 100 }, (_, i) => i);
    expectInvalid(() => parsePlan({ ...plan, settings: { levels }, patterns: { kind: 'random', count: 100, seed: 1 } }, 'p.json'), 'patterns.count', '103 configurations x 100 patterns make 10300 measurements; the limit is 10000');
    expect(parsePlan({ ...plan, settings: { levels, mixed: 0 }, patterns: { kind: 'random', count: 100, seed: 1 } }, 'p.json').board).toBe('penn-gen1');
  });

  it('calibration record', () => {
    const rec = JSON.parse(readFileSync(new URL('../../calibration/examples/penn-gen1-twin-seed0.json', import.meta.url), 'utf8'));
    const edit = (f: (r: typeof rec) => void) => {
      const r = structuredClone(rec);
      f(r);
      return () => parseCalibrationRecord(r, 'c.json');
    };
    expectInvalid(edit((r) => (r.board.nodes = L.MAX_BOARD_NODES + 1)), 'board.nodes', `1..${L.MAX_BOARD_NODES}`);
    expectInvalid(edit((r) => (r.data.measurements = new Array(L.MAX_PLAN_MEASUREMENTS + 1))), 'data.measurements', `at most ${L.MAX_PLAN_MEASUREMENTS} entries`);
    expectInvalid(edit((r) => (r.identifiability.gauges = new Array(L.MAX_SUGGESTIONS + 1).fill('g'))), 'identifiability.gauges', `at most ${L.MAX_SUGGESTIONS} entries`);
    expectInvalid(edit((r) => (r.fit.reason = 'r'.repeat(L.MAX_TEXT_LENGTH + 1))), 'fit.reason', `at most ${L.MAX_TEXT_LENGTH} characters`);
  });
});
