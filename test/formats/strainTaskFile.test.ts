import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStrainTask, readStrainTaskFile, strainTaskToJson, writeStrainTaskFile } from '../../src/formats/strainTaskFile.js';
import type { SpringNetwork } from '../../src/physics/springs/SpringNetwork.js';
import { MAX_NETWORK_NODES } from '../../src/formats/limits.js';
import { expectInvalid } from './expectInvalid.js';
import { undocumented } from './undocumented.js';

const SRC = 'task.json';

/** Four nodes: a unit square 0..3, and node 4 on top of node 0. */
const net: SpringNetwork = {
  name: 'square',
  dim: 2,
  nodes: 5,
  positions: Float64Array.from([0, 0, 1, 0, 1, 1, 0, 1, 0, 0]),
  edgeA: Int32Array.from([0, 1, 2, 3]),
  edgeB: Int32Array.from([1, 2, 3, 0]),
  stiffness: Float64Array.from([1, 1, 1, 1]),
  restLength: Float64Array.from([1, 1, 1, 1]),
};

const doc = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ format: 'clln.strain-task/1', source: [0, 1], target: [2, 3], delta: 0.5, ...extra });

describe('parseStrainTask', () => {
  it('fills in the defaults: sourceStrain 1, cooperative false, lambda 0, no eta', () => {
    expect(parseStrainTask(doc(), SRC)).toEqual({ source: [0, 1], target: [2, 3], sourceStrain: 1, delta: 0.5, cooperative: false, lambda: 0 });
  });

  it('reads every field as given', () => {
    const t = parseStrainTask(doc({ sourceStrain: -0.02, cooperative: true, lambda: 0.3, eta: 0.05, delta: -1 }), SRC, net, 'square.json');
    expect(t).toEqual({ source: [0, 1], target: [2, 3], sourceStrain: -0.02, delta: -1, cooperative: true, lambda: 0.3, eta: 0.05 });
    // lambda < 0 raises the free-state energy (the notes' intent), so both signs are valid
    expect(parseStrainTask(doc({ lambda: -1e-6 }), SRC).lambda).toBe(-1e-6);
  });

  it('round-trips through the writer and the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-strain-'));
    const path = join(dir, 't.json');
    const t = { source: [3, 1] as [number, number], target: [0, 2] as [number, number], sourceStrain: 2, delta: 0.25, cooperative: true, lambda: 1.5, eta: 0.2 };
    writeStrainTaskFile(path, t, net);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ format: 'clln.strain-task/1', ...t });
    expect(readStrainTaskFile(path, net)).toEqual(t);
    expect(strainTaskToJson(readStrainTaskFile(path))).toEqual({ format: 'clln.strain-task/1', ...t });
  });

  it('rejects structural errors through the schema, naming the field', () => {
    const d = doc();
    delete d.delta;
    expectInvalid(() => parseStrainTask(d, SRC), 'delta', 'required field "delta" is missing');
    expectInvalid(() => parseStrainTask(doc({ format: 'clln.task/1' }), SRC), 'format', 'clln.strain-task/1');
    expectInvalid(() => parseStrainTask(doc({ source: [0, 1, 2] }), SRC), 'source');
    expectInvalid(() => parseStrainTask(doc({ target: [2.5, 3] }), SRC), 'target[0]', '2.5');
    expectInvalid(() => parseStrainTask(doc({ target: [-1, 3] }), SRC), 'target[0]');
    expectInvalid(() => parseStrainTask(doc({ delta: '0.5' }), SRC), 'delta');
    expectInvalid(() => parseStrainTask(doc({ delta: Number.NaN }), SRC), 'delta');
    expectInvalid(() => parseStrainTask(doc({ sourceStrain: Number.POSITIVE_INFINITY }), SRC), 'sourceStrain');
    expectInvalid(() => parseStrainTask(doc({ lambda: '0.1' }), SRC), 'lambda');
    expectInvalid(() => parseStrainTask(doc({ lambda: Number.POSITIVE_INFINITY }), SRC), 'lambda');
    expectInvalid(() => parseStrainTask(doc({ eta: 0 }), SRC), 'eta');
    expectInvalid(() => parseStrainTask(doc({ eta: 1.5 }), SRC), 'eta');
    expectInvalid(() => parseStrainTask(doc({ cooperative: 'yes' }), SRC), 'cooperative');
    expectInvalid(() => parseStrainTask(doc({ targets: [2, 3] }), SRC), 'targets', 'unknown field');
    expectInvalid(() => parseStrainTask([1, 2], SRC), undefined, 'must be a JSON object');
  });

  it('rejects what the schema cannot say: a pair of one node twice, the source pair as target, no source strain', () => {
    expectInvalid(() => parseStrainTask(doc({ source: [1, 1] }), SRC), 'source', 'distinct', '[1, 1]');
    expectInvalid(() => parseStrainTask(doc({ target: [1, 0] }), SRC), 'target', 'source pair');
    expectInvalid(() => parseStrainTask(doc({ target: [0, 1] }), SRC), 'target', 'source pair');
    expectInvalid(() => parseStrainTask(doc({ sourceStrain: 0 }), SRC), 'sourceStrain', 'must not be 0');
    // sharing one node is allowed
    expect(parseStrainTask(doc({ target: [1, 2] }), SRC).target).toEqual([1, 2]);
  });

  it('checks against a network: ids in range, the two nodes of a pair at distinct positions', () => {
    expectInvalid(() => parseStrainTask(doc({ target: [2, 5] }), SRC, net, 'square.json'), 'target[1]', 'unknown node 5', 'square.json has 5 nodes', '0..4');
    expectInvalid(() => parseStrainTask(doc({ source: [0, 4] }), SRC, net, 'square.json'), 'source', 'same position');
    // without the network both pass
    expect(parseStrainTask(doc({ source: [0, 4], target: [2, 5] }), SRC).source).toEqual([0, 4]);
  });

  it('reads a file with a syntax error or a wrong path as bad input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-strain-'));
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"format": "clln.strain-task/1",');
    expectInvalid(() => readStrainTaskFile(path), undefined, 'not valid JSON');
    expectInvalid(() => readStrainTaskFile(join(dir, 'missing.json')), undefined);
  });
});

describe('clln.strain-task/1 schema', () => {
  it('documents every field and bounds every count', () => {
    const schema = JSON.parse(readFileSync(new URL('../../src/formats/schemas/clln.strain-task-1.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    expect(undocumented(schema)).toEqual([]);
    expect(Object.keys(schema.properties as object)).toEqual(['format', 'source', 'target', 'sourceStrain', 'delta', 'cooperative', 'lambda', 'eta']);
    const pair = (schema.$defs as Record<string, { maxItems: number; items: { maximum: number } }>).pair;
    expect(pair.maxItems).toBe(2);
    expect(pair.items.maximum).toBe(MAX_NETWORK_NODES - 1);
  });
});
