import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { networkToJson, writeNetworkFile } from '../../src/formats/networkFile.js';
import { taskToJson, writeTaskFile } from '../../src/formats/taskFile.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { linearTask } from '../../src/physics/generators/linearTask.js';
import { randomGraphNetwork } from '../../src/physics/generators/randomGraph.js';
import { undocumented } from './undocumented.js';

const schemaDir = new URL('../../src/formats/schemas/', import.meta.url);
const load = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, schemaDir), 'utf8'));
const networkSchema = load('clln.network-1.schema.json');
const taskSchema = load('clln.task-1.schema.json');

// discriminator: the network schema picks an element's form by its kind, as the board schema picks its edge's
const ajv = new Ajv2020({ strict: true, allErrors: true, discriminator: true });
// clln's two annotations (src/formats/schemaCheck.ts): what a value must be, and the fix
ajv.addKeyword({ keyword: 'rule', schemaType: 'string' });
ajv.addKeyword({ keyword: 'fix', schemaType: 'string' });
const validateNetwork = ajv.compile(networkSchema);
const validateTask = ajv.compile(taskSchema);

function expectValid(validate: typeof validateNetwork, doc: unknown): void {
  const ok = validate(doc);
  expect(ok, ajv.errorsText(validate.errors)).toBe(true);
}


describe('clln.network/1 schema', () => {
  it('documents every field', () => {
    expect(undocumented(networkSchema)).toEqual([]);
    expect(Object.keys(networkSchema.properties as object)).toEqual([
      'format', 'name', 'nodes', 'edges', 'conductance', 'bounds', 'positions', 'taps', 'elements',
    ]);
  });

  it('accepts every generated network', () => {
    for (const diagonals of [false, true]) {
      for (const periodic of [false, true]) {
        expectValid(validateNetwork, networkToJson(latticeNetwork({ rows: 4, cols: 5, diagonals, periodic, seed: 2 })));
      }
    }
    expectValid(validateNetwork, networkToJson(randomGraphNetwork({ nodes: 30, meanDegree: 4, seed: 1 })));
  });

  it('accepts a written file with taps', () => {
    const net = latticeNetwork({ rows: 3, cols: 3, seed: 1 });
    net.taps = Float64Array.from([1e-4, 1e-3, 1e-2]);
    const path = join(mkdtempSync(join(tmpdir(), 'clln-schema-')), 'net.json');
    writeNetworkFile(path, net);
    expectValid(validateNetwork, JSON.parse(readFileSync(path, 'utf8')));
  });

  it('accepts a network with one element of each kind and rejects a bad element', () => {
    const good = networkToJson(latticeNetwork({ rows: 2, cols: 2 })) as unknown as Record<string, unknown>;
    const k = good.conductance as number[];
    const elements = [
      null,
      { kind: 'resistor', k: k[1] },
      { kind: 'diode', is: 1e-12, n: 1.8, rs: 10 },
      { kind: 'transistor', s: 8.5e-4, vt: 0.62, vg: 2.5, saturation: 'square' },
    ];
    expectValid(validateNetwork, { ...good, elements });
    expect(validateNetwork({ ...good, elements: [...elements.slice(0, 3), { kind: 'transistor', s: 8.5e-4, vt: 0.62 }] })).toBe(false);
    expect(validateNetwork({ ...good, elements: [...elements.slice(0, 3), { kind: 'table', v: [0, 1], i: [0, 1], extra: 1 }] })).toBe(false);
  });

  it('rejects structural errors', () => {
    const good = networkToJson(latticeNetwork({ rows: 2, cols: 2 })) as unknown as Record<string, unknown>;
    expect(validateNetwork({ ...good, format: 'clln.network/2' })).toBe(false);
    expect(validateNetwork({ ...good, nodes: 0 })).toBe(false);
    expect(validateNetwork({ ...good, edges: [[0, 1, 2]] })).toBe(false);
    expect(validateNetwork({ ...good, conductance: [0, 1, 1, 1] })).toBe(false);
    expect(validateNetwork({ ...good, taps: [1e-3] })).toBe(false);
    expect(validateNetwork({ ...good, extra: 1 })).toBe(false);
    const { name: _name, ...noName } = good;
    expect(validateNetwork(noName)).toBe(false);
  });
});

describe('clln.task/1 schema', () => {
  const task = linearTask({ matrix: [[0.15, 0.3], [0.2, 0.1]], sources: [0, 3], targets: [9, 10], ground: [15], count: 10, test: 5, seed: 1 });

  it('documents every field', () => {
    expect(undocumented(taskSchema)).toEqual([]);
    expect(Object.keys(taskSchema.properties as object)).toEqual(['format', 'sources', 'ground', 'targets', 'train', 'test']);
  });

  it('accepts a generated task and its written file', () => {
    expectValid(validateTask, taskToJson(task));
    const path = join(mkdtempSync(join(tmpdir(), 'clln-schema-')), 'task.json');
    writeTaskFile(path, task, latticeNetwork({ rows: 4, cols: 4, diagonals: true }));
    expectValid(validateTask, JSON.parse(readFileSync(path, 'utf8')));
    const { test: _test, ...noTest } = taskToJson(task);
    expectValid(validateTask, noTest);
  });

  it('rejects structural errors', () => {
    const good = taskToJson(task) as unknown as Record<string, unknown>;
    expect(validateTask({ ...good, format: 'clln.network/1' })).toBe(false);
    expect(validateTask({ ...good, train: [] })).toBe(false);
    expect(validateTask({ ...good, targets: [] })).toBe(false);
    expect(validateTask({ ...good, sources: [0, 0] })).toBe(false);
    expect(validateTask({ ...good, sources: [-1] })).toBe(false);
    expect(validateTask({ ...good, train: [{ in: [0, 1] }] })).toBe(false);
    expect(validateTask({ ...good, train: [{ in: [0, 1], out: [0, 0], extra: 1 }] })).toBe(false);
  });
});
