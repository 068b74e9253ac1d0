/**
 * The fast paths of reading a document (issue 18: `clln train` on a 2.7 MB network starts in well under a second)
 * must never accept what the full checks refuse, and must be taken for ordinary valid files:
 * - the schema check proven without ajv (schemaCheck.provenValid) against ajv itself, on valid and broken documents;
 * - the JSON text parsed by JSON.parse after a bracket count, against the full syntax check;
 * - the network's edge list checked without per-edge messages, against a plain reference rule.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { checkJsonSyntax } from '../../src/formats/jsonSyntax.js';
import { bracketsNestDeeperThan, parseJsonText } from '../../src/formats/jsonFile.js';
import { MAX_JSON_DEPTH } from '../../src/formats/limits.js';
import { networkToJson, parseNetwork } from '../../src/formats/networkFile.js';
import { provenValid, schemaValidator, SCHEMA_FILES, schemasDir, type SchemaFormat } from '../../src/formats/schemaCheck.js';
import { taskToJson } from '../../src/formats/taskFile.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { linearTask } from '../../src/physics/generators/linearTask.js';

const schemaOf = (format: SchemaFormat): Record<string, unknown> =>
  JSON.parse(readFileSync(`${schemasDir()}/${SCHEMA_FILES[format]}`, 'utf8')) as Record<string, unknown>;
const json = (url: string): unknown => JSON.parse(readFileSync(new URL(url, import.meta.url), 'utf8'));

const net = latticeNetwork({ rows: 4, cols: 5, diagonals: true, seed: 3 });
const netDoc = { ...networkToJson(net), bounds: [1e-5, 1], taps: [1e-4, 1e-3, 1e-2] };
const taskDoc = taskToJson(linearTask({ matrix: [[0.2, 0.3]], sources: [0, 4], targets: [12], ground: [19], count: 5, test: 2, seed: 1 }));

/** Valid documents of each format (the generated ones and the shipped examples). */
const valid: [SchemaFormat, unknown][] = [
  ['clln.network/1', netDoc],
  ['clln.network/1', networkToJson(net)],
  ['clln.task/1', taskDoc],
  ['clln.calibration/1', json('../../calibration/examples/penn-gen1-twin-seed0.json')],
  ['clln.board/1', json('../../twins/models/penn-gen1.json')],
];

/** A copy of `doc` with the value at a random place replaced, removed, or given an extra field. */
function mutated(doc: unknown, path: number[], replacement: unknown, action: number): unknown {
  const copy = structuredClone(doc) as Record<string, unknown>;
  let node: unknown = copy;
  for (let d = 0; d < path.length; d++) {
    const keys = node !== null && typeof node === 'object' ? Object.keys(node) : [];
    if (keys.length === 0) break;
    const key = keys[path[d] % keys.length];
    const child = (node as Record<string, unknown>)[key];
    const last = d === path.length - 1 || child === null || typeof child !== 'object';
    if (last) {
      const container = node as Record<string, unknown>;
      if (action === 0) container[key] = replacement;
      else if (action === 1 && !Array.isArray(container)) delete container[key];
      else if (action === 1) (container as unknown as unknown[]).splice(Number(key), 1);
      else if (Array.isArray(container)) container.push(replacement);
      else container[`extra${path[0]}`] = replacement;
      break;
    }
    node = child;
  }
  return copy;
}

const values = fc.oneof(
  fc.constantFrom(0, -1, 1, 0.5, 2.5, -0, 1e300, 199999, 200000, 1e-12, '', 'x', '4', null, true, false, [], {}, [0, 1], [0, 0], [1, 'a'], [0, 1, 2], { kind: 'resistor', k: 1 }),
  fc.integer({ min: -5, max: 30 }),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 300 }),
);

describe('the schema check without ajv', () => {
  it('proves the ordinary valid documents valid (so that the fast path is taken)', () => {
    expect(provenValid(schemaOf('clln.network/1'), schemaOf('clln.network/1'), netDoc)).toBe(true);
    expect(provenValid(schemaOf('clln.task/1'), schemaOf('clln.task/1'), taskDoc)).toBe(true);
  });

  it('never calls valid a document ajv refuses (valid documents broken at random places)', () => {
    let proven = 0;
    let refusedByAjv = 0;
    for (const [format, doc] of valid) {
      const schema = schemaOf(format);
      const ajv = schemaValidator(format);
      fc.assert(
        fc.property(fc.array(fc.nat(50), { minLength: 1, maxLength: 5 }), values, fc.nat(2), (path, replacement, action) => {
          const broken = mutated(doc, path, replacement, action);
          const ok = ajv(broken);
          if (!ok) refusedByAjv++;
          if (provenValid(schema, schema, broken)) {
            proven++;
            expect(ok).toBe(true);
          }
        }),
        { seed: 18, numRuns: 400 },
      );
    }
    // both outcomes occur, so neither half of the comparison is empty
    expect(proven).toBeGreaterThan(100);
    expect(refusedByAjv).toBeGreaterThan(100);
  });

  it('leaves what it does not know (oneOf, an unknown keyword) to ajv', () => {
    const withElements = { ...networkToJson(net), elements: net.edgeA.length ? Array.from(net.edgeA, () => null) : [] };
    const s = schemaOf('clln.network/1');
    expect(provenValid(s, s, withElements)).toBe(false);
    expect(schemaValidator('clln.network/1')(withElements)).toBe(true);
    expect(provenValid({ type: 'string', pattern: '^a' }, {}, 'b')).toBe(false);
    expect(provenValid({ type: 'number' }, {}, Infinity)).toBe(false);
    expect(provenValid({ type: 'string', maxLength: 2 }, {}, 'abc')).toBe(false);
  });
});

describe('JSON text: bracket count and JSON.parse before the full syntax check', () => {
  it('counts the nesting depth of valid JSON exactly', () => {
    const depthOf = (v: unknown): number =>
      v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as object).map(depthOf)) : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 7 }), (v, limit) => {
        const text = JSON.stringify(v);
        expect(bracketsNestDeeperThan(text, limit)).toBe(depthOf(v) > limit);
      }),
      { seed: 18, numRuns: 500 },
    );
    // brackets inside strings (after an escaped quote and after an escaped backslash) do not count: depth 3
    expect(bracketsNestDeeperThan('["[[[\\"]]]", {"a\\\\": [1]}]', 3)).toBe(false);
    expect(bracketsNestDeeperThan('["[[[\\"]]]", {"a\\\\": [1]}]', 2)).toBe(true);
  });

  it('gives JSON.parse\'s value for valid text and the full check\'s message for broken or too deep text', () => {
    const deep = '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1);
    const texts = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v, null, 1)),
      fc.tuple(fc.jsonValue({ maxDepth: 4 }), fc.nat(), fc.constantFrom(',', ']', '}', '"', '\\', 'x', ' ', '[', '{', '1', '-', '\n')).map(([v, at, c]) => {
        const t = JSON.stringify(v);
        const i = at % (t.length + 1);
        return t.slice(0, i) + c + t.slice(i);
      }),
      fc.constant(deep),
    );
    fc.assert(
      fc.property(texts, (text) => {
        const problem = checkJsonSyntax(text, MAX_JSON_DEPTH);
        if (!problem) {
          expect(parseJsonText(text, 'f.json', 'file')).toStrictEqual(JSON.parse(text));
          return;
        }
        try {
          parseJsonText(text, 'f.json', 'file');
          throw new Error('expected a refusal');
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidInputError);
          expect((e as InvalidInputError).field).toBe(`line ${problem.line}, column ${problem.column}`);
          expect((e as InvalidInputError).problem).toContain(problem.problem);
        }
      }),
      { seed: 18, numRuns: 600 },
    );
  });
});

describe('the edge list of a network file', () => {
  it('is accepted exactly when every id is a node, no edge is a loop and no pair is joined twice', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 7 }),
        fc.array(fc.tuple(fc.integer({ min: -1, max: 8 }), fc.integer({ min: -1, max: 8 })), { minLength: 1, maxLength: 12 }),
        (nodes, edges) => {
          const seen = new Set<string>();
          let ok = true;
          for (const [a, b] of edges) {
            const key = `${Math.min(a, b)},${Math.max(a, b)}`;
            if (a < 0 || b < 0 || a >= nodes || b >= nodes || a === b || seen.has(key)) ok = false;
            seen.add(key);
          }
          const doc = { format: 'clln.network/1', name: 'n', nodes, edges, conductance: edges.map(() => 1) };
          if (ok) {
            const parsed = parseNetwork(doc, 'n.json');
            expect(Array.from(parsed.edgeA)).toEqual(edges.map((e) => e[0]));
            expect(Array.from(parsed.edgeB)).toEqual(edges.map((e) => e[1]));
          } else {
            expect(() => parseNetwork(doc, 'n.json')).toThrow(InvalidInputError);
          }
        },
      ),
      { seed: 18, numRuns: 400 },
    );
  });
});
