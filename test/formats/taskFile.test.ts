import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNetwork } from '../../src/formats/networkFile.js';
import { parseTask, readTaskFile, taskToJson, writeTaskFile, type Task } from '../../src/formats/taskFile.js';
import type { Network } from '../../src/physics/Network.js';
import { expectInvalid } from './expectInvalid.js';

const SRC = 'task.json';

/** Path 0-1-2-3-4 with a branch 2-5: six nodes, all connected. */
const net: Network = parseNetwork(
  {
    format: 'clln.network/1',
    name: 'branch',
    nodes: 6,
    edges: [[0, 1], [1, 2], [2, 3], [3, 4], [2, 5]],
    conductance: [1e-3, 1e-3, 1e-3, 1e-3, 1e-3],
  },
  'branch.json',
);

function example(i: number): { in: number[]; out: number[] } {
  return { in: [0.1 * i, 1 - 0.1 * i], out: [0.5] };
}

/** A valid task: sources 0 and 4, ground 5, target 2, five training examples and one test example. */
function doc(): Record<string, unknown> {
  return {
    format: 'clln.task/1',
    sources: [0, 4],
    ground: [5],
    targets: [2],
    train: [0, 1, 2, 3, 4].map(example),
    test: [example(9)],
  };
}

function withField(key: string, value: unknown): Record<string, unknown> {
  return { ...doc(), [key]: value };
}

const parse = (d: unknown, network: Network = net): Task => parseTask(d, SRC, network, 'branch.json');

describe('parseTask: valid documents', () => {
  it('builds the task', () => {
    const t = parse(doc());
    expect(Array.from(t.sources)).toEqual([0, 4]);
    expect(Array.from(t.ground)).toEqual([5]);
    expect(Array.from(t.targets)).toEqual([2]);
    expect(t.sources).toBeInstanceOf(Int32Array);
    expect(t.train).toHaveLength(5);
    expect(Array.from(t.train[3].in)).toEqual([0.30000000000000004, 0.7]);
    expect(t.train[3].in).toBeInstanceOf(Float64Array);
    expect(Array.from(t.test[0].out)).toEqual([0.5]);
  });

  it('defaults test to [] and accepts an empty ground list when there are sources', () => {
    const d = doc();
    delete d.test;
    d.ground = [];
    d.sources = [0, 4];
    expect(parse(d).test).toEqual([]);
    expect(parse(d).ground).toHaveLength(0);
  });

  it('accepts ground only (no sources) with empty inputs', () => {
    const t = parse({ ...doc(), sources: [], ground: [0], train: [{ in: [], out: [0] }], test: [] });
    expect(t.sources).toHaveLength(0);
  });
});

describe('parseTask: document and format', () => {
  it('rejects a missing format string', () => {
    const d = doc();
    delete d.format;
    expectInvalid(() => parse(d), 'format', 'required field "format" is missing', 'clln.task/1');
  });

  it('rejects a wrong format string and recognises a network file', () => {
    expectInvalid(() => parse(withField('format', 'clln.network/1')), 'format', 'must be "clln.task/1"', 'network file');
  });

  it('rejects a document that is not an object', () => {
    expectInvalid(() => parse('sources: 0'), undefined, 'must be a JSON object');
  });

  it('rejects an unknown field', () => {
    expectInvalid(() => parse(withField('target', [2])), 'target', 'unknown field "target"', 'did you mean "targets"');
  });

  it('rejects a missing role list', () => {
    const d = doc();
    delete d.ground;
    expectInvalid(() => parse(d), 'ground', 'required field "ground" is missing', 'may be []');
  });
});

describe('parseTask: node ids and roles', () => {
  it('rejects an unknown node id, naming the network and its range', () => {
    expectInvalid(() => parse(withField('sources', [0, 6])), 'sources[1]', 'unknown node 6', 'branch.json has 6 nodes', '0..5');
  });

  it('rejects a non-integer or negative node id', () => {
    expectInvalid(() => parse(withField('targets', [2.5])), 'targets[0]', 'must be a node id (an integer', '2.5');
    expectInvalid(() => parse(withField('ground', [-1])), 'ground[0]', 'must be a node id (an integer >= 0', '-1');
    expectInvalid(() => parse(withField('ground', ['5'])), 'ground[0]', 'must be a node id (an integer', '"5"');
  });

  it('rejects a node that is both a source and a target', () => {
    expectInvalid(() => parse(withField('targets', [0])), 'targets[0]', 'node 0 is listed both as a target and at sources[0]', 'only one role');
  });

  it('rejects a node that is both ground and a target', () => {
    expectInvalid(() => parse(withField('targets', [2, 5])), 'targets[1]', 'node 5', 'ground[0]');
  });

  it('rejects a node listed twice in one role', () => {
    expectInvalid(() => parse(withField('sources', [0, 0])), 'sources[1]', '0 is listed twice', 'also at sources[0]');
  });

  it('rejects a task with neither sources nor ground', () => {
    expectInvalid(
      () => parse({ ...doc(), sources: [], ground: [], train: [{ in: [], out: [0] }], test: [] }),
      'sources',
      '"sources" and "ground" are both empty',
      'list at least one node',
    );
  });

  it('rejects a task without targets', () => {
    expectInvalid(() => parse({ ...doc(), targets: [], train: [{ in: [0, 1], out: [] }], test: [] }), 'targets', 'at least 1 entry', 'nothing to learn');
  });
});

describe('parseTask: examples', () => {
  it('rejects an empty training set', () => {
    expectInvalid(() => parse(withField('train', [])), 'train', 'at least 1 entry', 'got 0');
  });

  it('rejects a missing training set', () => {
    const d = doc();
    delete d.train;
    expectInvalid(() => parse(d), 'train', 'required field "train" is missing');
  });

  it('rejects an input of the wrong length, naming train[4].in', () => {
    const train = [0, 1, 2, 3, 4].map(example);
    train[4] = { in: [0.1, 0.2, 0.3], out: [0.5] };
    expectInvalid(() => parse(withField('train', train)), 'train[4].in', 'must have 2 entries', 'one voltage per source', 'got 3');
  });

  it('rejects an output of the wrong length, naming train[1].out', () => {
    const train = [0, 1, 2].map(example);
    train[1] = { in: [0.1, 0.2], out: [] };
    expectInvalid(() => parse(withField('train', train)), 'train[1].out', 'must have 1 entry', 'one voltage per target', 'got 0');
  });

  it('checks test examples the same way', () => {
    expectInvalid(() => parse(withField('test', [{ in: [0.1], out: [0.5] }])), 'test[0].in', 'must have 2 entries');
    expectInvalid(() => parse(withField('test', {})), 'test', 'must be an array');
  });

  it('rejects non-finite voltages', () => {
    expectInvalid(() => parse(withField('train', [{ in: [Number.NaN, 0], out: [0] }])), 'train[0].in[0]', 'finite', 'NaN');
    expectInvalid(() => parse(withField('train', [{ in: [0, 0], out: [Infinity] }])), 'train[0].out[0]', 'finite', 'Infinity');
    expectInvalid(() => parse(withField('train', [{ in: [0, '1'], out: [0] }])), 'train[0].in[1]', 'must be a finite number', 'the string "1"');
  });

  it('rejects an example that is not {in, out}', () => {
    expectInvalid(() => parse(withField('train', [[0, 1]])), 'train[0]', 'must be an object', 'an array');
    expectInvalid(() => parse(withField('train', [{ input: [0, 1], out: [0] }])), 'train[0].input', 'unknown field "input"');
    expectInvalid(() => parse(withField('train', [{ in: [0, 1] }])), 'train[0].out', 'required field "out" is missing');
  });
});

describe('parseTask: connectivity', () => {
  /** Nodes 0-1-2-3 connected; 4-5 a separate pair; 6 isolated. */
  const split = parseNetwork(
    {
      format: 'clln.network/1',
      name: 'split',
      nodes: 7,
      edges: [[0, 1], [1, 2], [2, 3], [4, 5]],
      conductance: [1e-3, 1e-3, 1e-3, 1e-3],
    },
    'split.json',
  );
  const task = (ground: number[]): Record<string, unknown> => ({
    format: 'clln.task/1',
    sources: [0],
    ground,
    targets: [2],
    train: [{ in: [1], out: [0.5] }],
  });

  it('names a floating node and its group and says how to fix it', () => {
    const e = expectInvalid(
      () => parseTask(task([3]), SRC, split, 'split.json'),
      'ground',
      'node 4 of split.json has no path to any source or ground node',
      'group of 2 connected nodes (4, 5)',
      '3 nodes float in all',
      'singular',
      'connect node 4 to the rest of the network or remove it',
    );
    expect(e.source).toBe(SRC);
  });

  it('names an isolated node', () => {
    expectInvalid(() => parseTask(task([3, 4]), SRC, split, 'split.json'), 'ground', 'node 6 of split.json has no path', 'no edge to any other node');
  });

  it('accepts the task once every group has an imposed node', () => {
    expect(() => parseTask(task([3, 4, 6]), SRC, split, 'split.json')).not.toThrow();
  });

  it('catches a target in a group without sources or ground', () => {
    const d = { ...task([]), ground: [6], targets: [4], sources: [0] };
    expectInvalid(() => parseTask(d, SRC, split), 'ground', 'node 4 of network "split" has no path');
  });
});

describe('task files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clln-task-'));

  it('round-trips through write and read exactly', () => {
    const t = parse(doc());
    const path = join(dir, 'task.json');
    writeTaskFile(path, t, net, 'branch.json');
    const back = readTaskFile(path, net, 'branch.json');
    expect(back).toEqual(t);
    expect(taskToJson(back)).toEqual(taskToJson(t));
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(taskToJson(t));
  });

  it('writes without a network after a structural check', () => {
    const t = parse(doc());
    const path = join(dir, 'task2.json');
    writeTaskFile(path, t);
    expect(readTaskFile(path, net)).toEqual(t);
    const bad: Task = { ...t, targets: Int32Array.from([0]) };
    expectInvalid(() => writeTaskFile(join(dir, 'bad.json'), bad), 'targets[0]', 'only one role');
  });

  it('names the file on a JSON syntax error', () => {
    const path = join(dir, 'syntax.json');
    writeFileSync(path, '{"format": "clln.task/1", "sources": [0,]}');
    expectInvalid(() => readTaskFile(path, net), undefined, path, 'task file is not valid JSON');
  });

  it('names the file in validation errors', () => {
    const path = join(dir, 'roles.json');
    writeFileSync(path, JSON.stringify(withField('targets', [4])));
    const e = expectInvalid(() => readTaskFile(path, net), 'targets[0]', 'node 4');
    expect(e.message.startsWith(`${path}: targets[0]: `)).toBe(true);
  });
});
