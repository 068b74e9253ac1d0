import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { networkToJson, parseNetwork, readNetworkFile, writeNetworkFile } from '../../src/formats/networkFile.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import type { Network } from '../../src/physics/Network.js';
import { expectInvalid } from './expectInvalid.js';

const SRC = 'net.json';

/** A valid square 0-1-2-3-0 with every optional field. */
function doc(): Record<string, unknown> {
  return {
    format: 'clln.network/1',
    name: 'square',
    nodes: 4,
    edges: [
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 0],
    ],
    conductance: [1e-3, 2e-3, 3e-3, 4e-3],
    bounds: [1e-5, 1e-1],
    positions: [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ],
    taps: [1e-4, 1e-3, 1e-2],
  };
}

function withField(key: string, value: unknown): Record<string, unknown> {
  return { ...doc(), [key]: value };
}

function without(key: string): Record<string, unknown> {
  const d = doc();
  delete d[key];
  return d;
}

const parse = (d: unknown): Network => parseNetwork(d, SRC);

describe('parseNetwork: valid documents', () => {
  it('builds the network with every optional field', () => {
    const net = parse(doc());
    expect(net.name).toBe('square');
    expect(net.nodes).toBe(4);
    expect(Array.from(net.edgeA)).toEqual([0, 1, 2, 3]);
    expect(Array.from(net.edgeB)).toEqual([1, 2, 3, 0]);
    expect(net.edgeA).toBeInstanceOf(Int32Array);
    expect(Array.from(net.conductance)).toEqual([1e-3, 2e-3, 3e-3, 4e-3]);
    expect(net.bounds).toEqual([1e-5, 1e-1]);
    expect(Array.from(net.positions!)).toEqual([0, 0, 1, 0, 1, 1, 0, 1]);
    expect(Array.from(net.taps!)).toEqual([1e-4, 1e-3, 1e-2]);
  });

  it('leaves optional fields undefined when absent', () => {
    const d = doc();
    delete d.bounds;
    delete d.positions;
    delete d.taps;
    const net = parse(d);
    expect(net.bounds).toBeUndefined();
    expect(net.positions).toBeUndefined();
    expect(net.taps).toBeUndefined();
  });

  it('allows bounds with k_min = k_max when every conductance equals it', () => {
    const net = parse({ ...doc(), conductance: [1e-3, 1e-3, 1e-3, 1e-3], bounds: [1e-3, 1e-3] });
    expect(net.bounds).toEqual([1e-3, 1e-3]);
  });
});

describe('parseNetwork: document and format', () => {
  it('rejects a document that is not an object', () => {
    expectInvalid(() => parse([1, 2]), undefined, 'net.json', 'must be a JSON object', 'an array');
  });

  it('rejects a missing format string', () => {
    expectInvalid(() => parse(without('format')), 'format', 'required field "format" is missing', 'clln.network/1');
  });

  it('rejects a wrong format string and recognises a task file', () => {
    expectInvalid(() => parse(withField('format', 'clln.task/1')), 'format', 'must be "clln.network/1"', 'got "clln.task/1"', 'task file');
  });

  it('rejects another version of the network format', () => {
    expectInvalid(() => parse(withField('format', 'clln.network/2')), 'format', 'reads only "clln.network/1"');
  });

  it('rejects an unknown field and suggests the nearest known one', () => {
    const d = without('bounds');
    d.bound = [1e-5, 1e-1];
    expectInvalid(() => parse(d), 'bound', 'unknown field "bound"', 'did you mean "bounds"');
  });

  it('rejects a missing or non-string name', () => {
    expectInvalid(() => parse(without('name')), 'name', 'required field "name" is missing');
    expectInvalid(() => parse(withField('name', 7)), 'name', 'must be a string');
  });
});

describe('parseNetwork: nodes', () => {
  it.each([0, -3, 2.5, '4', null, Number.NaN])('rejects nodes = %s (not a positive integer)', (n) => {
    expectInvalid(() => parse(withField('nodes', n)), 'nodes', 'must be a positive integer');
  });

  it('rejects a missing node count', () => {
    expectInvalid(() => parse(without('nodes')), 'nodes', 'required field "nodes" is missing');
  });
});

describe('parseNetwork: edges', () => {
  const edges = (...e: unknown[]): Record<string, unknown> => ({ ...doc(), edges: e, conductance: e.map(() => 1e-3) });

  it('rejects a node id out of range, naming the range', () => {
    expectInvalid(() => parse(edges([0, 1], [1, 4])), 'edges[1][1]', 'unknown node 4', '4 nodes', '0..3');
  });

  it('rejects a negative node id', () => {
    expectInvalid(() => parse(edges([0, 1], [-1, 2])), 'edges[1][0]', 'must be a node id (an integer >= 0', '-1');
  });

  it('rejects a non-integer node id', () => {
    expectInvalid(() => parse(edges([0, 1.5])), 'edges[0][1]', 'must be a node id (an integer', '1.5');
    expectInvalid(() => parse(edges(['0', 1])), 'edges[0][0]', 'must be a node id (an integer', '"0"');
  });

  it('rejects an edge that is not a pair', () => {
    expectInvalid(() => parse(edges([0, 1], [1, 2, 3])), 'edges[1]', 'pair of node ids', '[1,2,3]');
    expectInvalid(() => parse(edges(5)), 'edges[0]', 'pair of node ids');
  });

  it('rejects a self-loop', () => {
    expectInvalid(() => parse(edges([0, 1], [2, 2])), 'edges[1]', 'self-loop [2, 2]', 'two different nodes');
  });

  it('rejects a duplicate edge in the same orientation', () => {
    expectInvalid(() => parse(edges([0, 1], [1, 2], [0, 1])), 'edges[2]', 'duplicate edge [0, 1]', 'edges[0] = [0, 1]');
  });

  it('rejects a duplicate edge in the other orientation', () => {
    expectInvalid(() => parse(edges([0, 1], [1, 2], [2, 1])), 'edges[2]', 'duplicate edge [2, 1]', 'edges[1] = [1, 2]', 'undirected');
  });

  it('rejects a missing, non-array or empty edge list', () => {
    expectInvalid(() => parse(without('edges')), 'edges', 'required field "edges" is missing');
    expectInvalid(() => parse(withField('edges', {})), 'edges', 'must be an array');
    expectInvalid(() => parse(edges()), 'edges', 'at least 1 entry', 'got 0');
  });
});

describe('parseNetwork: conductance', () => {
  it('rejects a length mismatch, naming both lengths', () => {
    expectInvalid(() => parse(withField('conductance', [1e-3, 1e-3, 1e-3])), 'conductance', 'must have 4 entries', 'got 3');
  });

  it('rejects zero and negative conductances', () => {
    expectInvalid(() => parse(withField('conductance', [1e-3, 0, 1e-3, 1e-3])), 'conductance[1]', 'must be positive', 'got the number 0');
    expectInvalid(() => parse(withField('conductance', [1e-3, 1e-3, -1e-3, 1e-3])), 'conductance[2]', 'must be positive', '-0.001');
  });

  it('rejects non-finite conductances', () => {
    expectInvalid(() => parse(withField('conductance', [1e-3, 1e-3, 1e-3, Infinity])), 'conductance[3]', 'finite', 'Infinity');
    expectInvalid(() => parse(withField('conductance', [Number.NaN, 1e-3, 1e-3, 1e-3])), 'conductance[0]', 'finite', 'NaN');
  });

  it('rejects a conductance that is not a number', () => {
    expectInvalid(() => parse(withField('conductance', [1e-3, '1e-3', 1e-3, 1e-3])), 'conductance[1]', 'must be positive (> 0 S) and finite', 'the string');
  });

  it('rejects a missing conductance list', () => {
    expectInvalid(() => parse(without('conductance')), 'conductance', 'required field "conductance" is missing');
  });

  it('rejects a conductance outside the bounds', () => {
    expectInvalid(() => parse(withField('conductance', [1e-3, 1e-3, 0.5, 1e-3])), 'conductance[2]', '0.5 S is outside "bounds"', 'widen');
    expectInvalid(() => parse(withField('conductance', [1e-6, 1e-3, 1e-3, 1e-3])), 'conductance[0]', 'outside "bounds"');
  });
});

describe('parseNetwork: bounds', () => {
  it('rejects min > max', () => {
    expectInvalid(() => parse(withField('bounds', [1e-1, 1e-5])), 'bounds', 'k_min must be <= k_max', '[0.1, 0.00001]', 'swap');
  });

  it('rejects non-positive bounds', () => {
    expectInvalid(() => parse(withField('bounds', [0, 1e-1])), 'bounds[0]', 'must be positive');
    expectInvalid(() => parse(withField('bounds', [-1, 1e-1])), 'bounds[0]', 'must be positive');
  });

  it('rejects bounds that are not a pair of finite numbers', () => {
    expectInvalid(() => parse(withField('bounds', [1e-5])), 'bounds', 'must be a pair [k_min, k_max]');
    expectInvalid(() => parse(withField('bounds', [1e-5, Infinity])), 'bounds[1]', 'finite');
    expectInvalid(() => parse(withField('bounds', 0.1)), 'bounds', 'must be a pair [k_min, k_max]', 'the number 0.1');
  });
});

describe('parseNetwork: positions', () => {
  it('rejects the wrong number of positions', () => {
    expectInvalid(() => parse(withField('positions', [[0, 0], [1, 0], [1, 1]])), 'positions', 'must have 4 entries', 'one [x, y] per node');
  });

  it('rejects a non-finite coordinate', () => {
    expectInvalid(() => parse(withField('positions', [[0, 0], [1, Number.NaN], [1, 1], [0, 1]])), 'positions[1][1]', 'finite', 'NaN');
    expectInvalid(() => parse(withField('positions', [[0, 0], [1, 0], [1, 1], [0, -Infinity]])), 'positions[3][1]', 'finite');
  });

  it('rejects a position that is not a pair', () => {
    expectInvalid(() => parse(withField('positions', [[0, 0], [1, 0, 0], [1, 1], [0, 1]])), 'positions[1]', 'must be a position [x, y]');
  });
});

describe('parseNetwork: taps', () => {
  it('rejects taps that are not strictly increasing', () => {
    expectInvalid(() => parse(withField('taps', [1e-4, 1e-2, 1e-3])), 'taps[2]', 'strictly increasing', '0.001 follows 0.01');
    expectInvalid(() => parse(withField('taps', [1e-4, 1e-4])), 'taps[1]', 'strictly increasing');
  });

  it('rejects fewer than 2 taps', () => {
    expectInvalid(() => parse(withField('taps', [1e-3])), 'taps', 'at least 2 entries', 'got 1');
  });

  it('rejects non-positive and non-finite taps', () => {
    expectInvalid(() => parse(withField('taps', [0, 1e-3])), 'taps[0]', 'must be positive');
    expectInvalid(() => parse(withField('taps', [1e-3, Infinity])), 'taps[1]', 'finite');
    expectInvalid(() => parse(withField('taps', 'linear')), 'taps', 'must be an array');
  });
});

describe('network files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clln-net-'));

  it('round-trips through write and read exactly', () => {
    const net = latticeNetwork({ rows: 3, cols: 4, diagonals: true, seed: 7 });
    net.taps = Float64Array.from([1e-4, 5e-4, 1e-3, 2e-3]);
    const path = join(dir, 'lattice.json');
    writeNetworkFile(path, net);
    const back = readNetworkFile(path);
    expect(back).toEqual(net);
    expect(networkToJson(back)).toEqual(networkToJson(net));
  });

  it('round-trips a network without optional fields', () => {
    const net = parse(doc());
    delete net.bounds;
    delete net.positions;
    delete net.taps;
    const path = join(dir, 'plain.json');
    writeNetworkFile(path, net);
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('bounds');
    expect(readNetworkFile(path)).toEqual(net);
  });

  it('writes one edge per line', () => {
    const path = join(dir, 'square.json');
    writeNetworkFile(path, parse(doc()));
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('\n    [3, 0]\n');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('refuses to write a network that could not be read back', () => {
    const net = parse(doc());
    net.conductance[1] = 2; // outside bounds
    expectInvalid(() => writeNetworkFile(join(dir, 'bad.json'), net), 'conductance[1]', 'outside "bounds"');
  });

  it('names the file and the place of a JSON syntax error', () => {
    const path = join(dir, 'syntax.json');
    writeFileSync(path, '{\n  "format": "clln.network/1",\n  "nodes": 2,\n}\n');
    const e = expectInvalid(() => readNetworkFile(path), undefined, path, 'not valid JSON', /line 4/);
    expect(e.source).toBe(path);
  });

  it('names the file when it does not exist', () => {
    const path = join(dir, 'missing.json');
    expectInvalid(() => readNetworkFile(path), undefined, path, 'no such file');
  });

  it('names the file in validation errors', () => {
    const path = join(dir, 'loop.json');
    writeFileSync(path, JSON.stringify({ ...doc(), edges: [[0, 0], [1, 2], [2, 3], [3, 0]] }));
    const e = expectInvalid(() => readNetworkFile(path), 'edges[0]', 'self-loop');
    expect(e.message.startsWith(`${path}: edges[0]: `)).toBe(true);
  });

  it('accepts a byte-order mark', () => {
    const path = join(dir, 'bom.json');
    writeFileSync(path, '\uFEFF' + JSON.stringify(doc()));
    expect(readNetworkFile(path).nodes).toBe(4);
  });
});
