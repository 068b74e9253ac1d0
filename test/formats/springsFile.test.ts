/**
 * Issue 17, point 1: the clln.springs/1 reader. Validated once (schema, then the rules a schema cannot say); every bad
 * input is an InvalidInputError naming the file, the field, the rule and the fix; the writer's output reads back equal.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as L from '../../src/formats/limits.js';
import { parseSprings, readSpringsFile, SPRINGS_FORMAT, springsToJson, writeSpringsFile } from '../../src/formats/springsFile.js';
import type { SpringNetwork } from '../../src/physics/springs/SpringNetwork.js';
import { expectInvalid } from './expectInvalid.js';
import { undocumented } from './undocumented.js';

const SRC = 'springs.json';

/** A valid unit square with one diagonal, every optional field. */
function doc(): Record<string, unknown> {
  return {
    format: SPRINGS_FORMAT,
    name: 'square',
    dim: 2,
    positions: [[0, 0], [1, 0], [1, 1], [0, 1]],
    edges: [[0, 1], [1, 2], [2, 3], [3, 0], [0, 2]],
    stiffness: [1, 2, 3, 4, 5],
    bounds: [0.5, 10],
  };
}
const withField = (key: string, value: unknown): Record<string, unknown> => ({ ...doc(), [key]: value });

describe('parseSprings', () => {
  it('reads positions, springs, stiffness, rest lengths (the distances unless given) and bounds', () => {
    const net = parseSprings(doc(), SRC);
    expect(net.dim).toBe(2);
    expect(net.nodes).toBe(4);
    expect(Array.from(net.positions)).toEqual([0, 0, 1, 0, 1, 1, 0, 1]);
    expect(Array.from(net.edgeA)).toEqual([0, 1, 2, 3, 0]);
    expect(Array.from(net.edgeB)).toEqual([1, 2, 3, 0, 2]);
    expect(Array.from(net.stiffness)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(net.restLength)).toEqual([1, 1, 1, 1, Math.SQRT2]);
    expect(net.bounds).toEqual([0.5, 10]);
    const pre = parseSprings(withField('restLengths', [1, 1, 1, 1.5, 2]), SRC);
    expect(Array.from(pre.restLength)).toEqual([1, 1, 1, 1.5, 2]);
  });

  it('reads a 3D network', () => {
    const net = parseSprings({ format: SPRINGS_FORMAT, name: 'tet', dim: 3, positions: [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], edges: [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]], stiffness: [1, 1, 1, 1, 1, 1] }, SRC);
    expect(net.positions.length).toBe(12);
    expect(net.restLength[3]).toBeCloseTo(Math.SQRT2, 15);
  });

  it('round-trips through springsToJson and through a file, with and without rest lengths', () => {
    for (const d of [doc(), withField('restLengths', [1, 1, 1, 1.5, 2])]) {
      const net = parseSprings(d, SRC);
      expect(parseSprings(springsToJson(net), SRC)).toEqual(net);
      const path = join(mkdtempSync(join(tmpdir(), 'clln-springs-')), 'net.json');
      writeSpringsFile(path, net);
      expect(readSpringsFile(path)).toEqual(net);
    }
    // an unstressed network is written without restLengths
    expect(springsToJson(parseSprings(doc(), SRC)).restLengths).toBeUndefined();
  });

  it('refuses structural errors through the schema, naming the field and the fix', () => {
    expectInvalid(() => parseSprings(withField('format', 'clln.network/1'), SRC), 'format', 'clln.springs/1');
    const { stiffness: _s, ...noStiffness } = doc();
    expectInvalid(() => parseSprings(noStiffness, SRC), 'stiffness', 'required field "stiffness" is missing');
    expectInvalid(() => parseSprings(withField('dim', 4), SRC), 'dim', 'must be 2 or 3');
    expectInvalid(() => parseSprings(withField('stiffnes', [1]), SRC), 'stiffnes', 'did you mean "stiffness"');
    expectInvalid(() => parseSprings(withField('stiffness', [1, 2, 0, 4, 5]), SRC), 'stiffness[2]', 'positive (> 0) and finite');
    expectInvalid(() => parseSprings(withField('stiffness', [1, 2, -3, 4, 5]), SRC), 'stiffness[2]', 'positive');
    expectInvalid(() => parseSprings(withField('restLengths', [1, 1, 0, 1, 1]), SRC), 'restLengths[2]', 'positive');
    expectInvalid(() => parseSprings(withField('edges', [[0, 1.5]]), SRC), 'edges[0][1]', 'node id');
    expectInvalid(() => parseSprings(withField('edges', [[0, 1, 2]]), SRC), 'edges[0]', 'a pair of node ids');
    expectInvalid(() => parseSprings(withField('positions', [[0, 0]]), SRC), 'positions', 'at least 2 entries');
    expectInvalid(() => parseSprings(withField('positions', [[0, 0], [1, 'a'], [1, 1], [0, 1]]), SRC), 'positions[1][1]', 'finite number');
    expectInvalid(() => parseSprings(withField('bounds', [0, 1]), SRC), 'bounds[0]', 'positive');
  });

  it('refuses what the schema cannot say: coordinates per dim, node ids, self-loops, duplicates, coincident endpoints, counts, bounds', () => {
    expectInvalid(() => parseSprings(withField('positions', [[0, 0], [1, 0, 0], [1, 1], [0, 1]]), SRC), 'positions[1]', 'must have 2 coordinates ("dim" is 2), got 3');
    expectInvalid(() => parseSprings(withField('edges', [[0, 1], [1, 4], [2, 3], [3, 0], [0, 2]]), SRC), 'edges[1][1]', 'unknown node 4', '0..3');
    expectInvalid(() => parseSprings(withField('edges', [[0, 1], [2, 2], [2, 3], [3, 0], [0, 2]]), SRC), 'edges[1]', 'self-loop');
    expectInvalid(() => parseSprings(withField('edges', [[0, 1], [1, 2], [2, 3], [3, 0], [1, 0]]), SRC), 'edges[4]', 'duplicate spring [1, 0]', 'edges[0]');
    expectInvalid(() => parseSprings(withField('positions', [[0, 0], [1, 0], [0, 0], [0, 1]]), SRC), 'edges[4]', 'same position');
    expectInvalid(() => parseSprings(withField('stiffness', [1, 2, 3, 4]), SRC), 'stiffness', 'one stiffness per spring', 'got 4');
    expectInvalid(() => parseSprings(withField('restLengths', [1, 1]), SRC), 'restLengths', 'one rest length per spring');
    expectInvalid(() => parseSprings(withField('bounds', [10, 0.5]), SRC), 'bounds', 'k_min must be <= k_max');
    expectInvalid(() => parseSprings(withField('bounds', [2, 10]), SRC), 'stiffness[0]', 'outside "bounds"');
  });

  it('bounds every count (before looking at the entries) and every quoted value', () => {
    expectInvalid(() => parseSprings(withField('positions', new Array(L.MAX_SPRING_NODES + 1)), SRC), 'positions', `at most ${L.MAX_SPRING_NODES} entries`);
    expectInvalid(() => parseSprings(withField('edges', new Array(L.MAX_SPRINGS + 1)), SRC), 'edges', `at most ${L.MAX_SPRINGS} entries`);
    expectInvalid(() => parseSprings(withField('name', 'n'.repeat(L.MAX_NAME_LENGTH + 1)), SRC), 'name', `at most ${L.MAX_NAME_LENGTH} characters`);
    // JSON's 1e400 parses to Infinity; a huge coordinate would overflow squared distances
    const inf = JSON.parse('{"x": 1e400}').x as number;
    expectInvalid(() => parseSprings(withField('stiffness', [1, 2, inf, 4, 5]), SRC), 'stiffness[2]');
    const e = expectInvalid(() => parseSprings(withField('positions', [[0, 0], [1e300, 0], [1, 1], [0, 1]]), SRC), 'positions[1][0]', '|x| <= 1e12');
    expect(e.message.length).toBeLessThan(400);
    const long = expectInvalid(() => parseSprings(withField('name', 'x'.repeat(1_000_000)), SRC), 'name');
    expect(long.message.length).toBeLessThan(600);
  });

  it('reads a file, and names the path in errors', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'clln-springs-')), 'bad.json');
    writeFileSync(path, JSON.stringify(withField('edges', [[0, 1], [0, 1], [2, 3], [3, 0], [0, 2]])));
    expectInvalid(() => readSpringsFile(path), 'edges[1]', path, 'duplicate spring');
    writeFileSync(path, '{"format": "clln.springs/1",}');
    expectInvalid(() => readSpringsFile(path), undefined, path, 'not valid JSON');
  });
});

describe('clln.springs/1 schema', () => {
  const schema = JSON.parse(readFileSync(new URL('../../src/formats/schemas/clln.springs-1.schema.json', import.meta.url), 'utf8'));
  it('documents every field, states the units, and carries the limits of limits.ts', () => {
    expect(undocumented(schema)).toEqual([]);
    expect(Object.keys(schema.properties)).toEqual(['format', 'name', 'dim', 'positions', 'edges', 'stiffness', 'restLengths', 'bounds']);
    expect(schema.description).toMatch(/k_B = 1/);
    expect(schema.description).toMatch(/mass 1/);
    expect(schema.properties.positions.maxItems).toBe(L.MAX_SPRING_NODES);
    expect(schema.properties.edges.maxItems).toBe(L.MAX_SPRINGS);
    expect(schema.properties.stiffness.maxItems).toBe(L.MAX_SPRINGS);
    expect(schema.properties.restLengths.maxItems).toBe(L.MAX_SPRINGS);
    expect(schema.properties.edges.items.prefixItems[0].maximum).toBe(L.MAX_SPRING_NODES - 1);
    expect(schema.properties.positions.items.items.maximum).toBe(L.MAX_SPRING_COORDINATE);
    expect(schema.properties.name.maxLength).toBe(L.MAX_NAME_LENGTH);
  });
  it('accepts what the writer writes', () => {
    const net: SpringNetwork = parseSprings(doc(), SRC);
    expect(() => parseSprings(JSON.parse(JSON.stringify(springsToJson(net))), SRC)).not.toThrow();
  });
});
