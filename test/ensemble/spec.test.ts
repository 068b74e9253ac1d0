/**
 * clln.ensemble/1: the schema and the reader (defaults filled in once; bad input is one paragraph naming the field,
 * exit 2 from the CLI).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnsembleSpec, readEnsembleSpec, specDigest, specDocument } from '../../src/ensemble/EnsembleSpec.js';
import { InvalidInputError } from '../../src/errors.js';
import { clln, expectOneParagraph } from '../cli/inProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-ens-spec-'));

const minimal = {
  format: 'clln.ensemble/1',
  members: 3,
  network: { kind: 'lattice', rows: 4, cols: 4 },
  task: { kind: 'linear', matrix: [[0.15, 0.3], [0.2, 0.1]], sources: [0, 3], targets: [9, 10], ground: [15] },
};

/** The minimal spec with `path` (dotted) set to `value` (undefined deletes it). */
function variant(path: string, value: unknown): Record<string, unknown> {
  const doc = structuredClone(minimal) as Record<string, any>;
  const keys = path.split('.');
  let o = doc;
  for (const k of keys.slice(0, -1)) o = o[k] ??= {};
  if (value === undefined) delete o[keys[keys.length - 1]];
  else o[keys[keys.length - 1]] = value;
  return doc;
}

function problem(doc: unknown): InvalidInputError {
  try {
    parseEnsembleSpec(doc, 'ens.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return e as InvalidInputError;
  }
  throw new Error('expected an InvalidInputError');
}

describe('clln.ensemble/1 reader', () => {
  it('fills in every default once, from the file name for the name', () => {
    const path = join(dir, 'study-a.json');
    writeFileSync(path, JSON.stringify(minimal));
    const s = readEnsembleSpec(path);
    expect(s).toEqual({
      format: 'clln.ensemble/1',
      name: 'study-a',
      members: 3,
      seed: 0,
      network: { kind: 'lattice', rows: 4, cols: 4, diagonals: false, periodic: false, conductance: null, bounds: null },
      task: { kind: 'linear', matrix: [[0.15, 0.3], [0.2, 0.1]], sources: [0, 3], targets: [9, 10], ground: [15], count: 40, test: 20, inputRange: [0, 1], seed: null },
      training: { rule: 'cl', eta: 0.1, beta: 0.01, alpha: 0.5, order: 'shuffle', method: 'auto' },
      stop: { maxSteps: 1000, targetMse: null, checkEvery: 100, on: 'test' },
      diagnostics: { alignment: true, boundaryFrequency: true, modes: 10 },
    });
  });

  it('the spec document reads back to the same spec and digest; key order does not change the digest', () => {
    const s = parseEnsembleSpec({ ...minimal, name: 'x', seed: 7, network: { kind: 'random', nodes: 20, meanDegree: 4, conductance: [0.5, 1.5] } }, 'a.json');
    const back = parseEnsembleSpec(JSON.parse(JSON.stringify(specDocument(s))), 'b.json');
    expect(back).toEqual(s);
    expect(specDigest(back)).toBe(specDigest(s));
    const reordered = parseEnsembleSpec(JSON.parse(JSON.stringify({ task: minimal.task, network: minimal.network, members: 3, format: 'clln.ensemble/1', name: 'n' })), 'c.json');
    expect(specDigest(reordered)).toBe(specDigest(parseEnsembleSpec({ ...minimal, name: 'n' }, 'd.json')));
    expect(specDigest(reordered)).not.toBe(specDigest(parseEnsembleSpec({ ...minimal, name: 'n', seed: 1 }, 'd.json')));
    expect(specDigest(s)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts the board and random generators and the example spec', () => {
    expect(parseEnsembleSpec(variant('network', { kind: 'board', model: 'clln-ref16' }), 'e.json').network).toEqual({ kind: 'board', model: 'clln-ref16', conductance: null });
    expect(parseEnsembleSpec(variant('network', { kind: 'random', nodes: 16, meanDegree: 3 }), 'e.json').network.kind).toBe('random');
    const ex = readEnsembleSpec(join(__dirname, '../../examples/ensembles/lattice-4x4.json'));
    expect(ex.members).toBe(16);
  });

  const bad: [string, unknown, RegExp][] = [
    ['members', 0, /members/],
    ['members', 2.5, /members/],
    ['format', 'clln.ensemble/2', /format/],
    // spring networks exist now (kind "springs", test/ensemble/springSpec.test.ts); the singular is a wrong kind
    ['network.kind', 'spring', /network\.kind: must be one of lattice, random, board, springs, got "spring"/],
    ['network.kind', 'hexagon', /network\.kind: must be one of lattice, random, board/],
    ['network.rows', -1, /network\.rows/],
    ['network.colour', 'red', /colour/],
    ['task.targets', [], /task\.targets/],
    ['task.sources', [0, 9], /task\.targets\[0\]|task\.sources/],
    ['task.targets', [99], /node 99.*0\.\.15/],
    ['task.matrix', [[0.1, 0.2]], /task\.matrix/],
    ['training.rule', 'tap', /training\.rule/],
    ['training.eta', 2, /training\.eta/],
    ['stop.maxSteps', -3, /stop\.maxSteps/],
    ['diagnostics.modes', 1, /diagnostics\.modes/],
    ['task.inputRange', [1, 0], /task\.inputRange/],
  ];
  for (const [path, value, re] of bad) {
    it(`rejects ${path} = ${JSON.stringify(value)}, naming the field`, () => {
      const e = problem(variant(path, value));
      expect(e.message).toMatch(/^ens\.json: /);
      expect(e.message).toMatch(re);
      expect(e.message).toMatch(/fix: /);
    });
  }

  it('stop.on test without test examples is bad input; without stop.on it falls back to the training MSE', () => {
    expect(problem({ ...variant('task.test', 0), stop: { on: 'test' } }).message).toMatch(/stop\.on/);
    expect(parseEnsembleSpec(variant('task.test', 0), 'e.json').stop.on).toBe('train');
  });
});

describe('clln ensemble run: bad input exits 2 with one paragraph', () => {
  const cases: [string, unknown, RegExp][] = [
    ['spring', variant('network', { kind: 'spring' }), /network\.kind: must be one of lattice, random, board, springs, got "spring"/],
    ['members', variant('members', 'many'), /members/],
    ['board node', { ...minimal, network: { kind: 'board', model: 'clln-ref16' }, task: { ...minimal.task, targets: [9, 100] } }, /100/],
  ];
  for (const [name, doc, re] of cases) {
    it(name, async () => {
      const path = join(dir, `${name.replace(/ /g, '-')}.json`);
      writeFileSync(path, JSON.stringify(doc));
      const r = await clln('ensemble', 'run', path, '--out', join(dir, `out-${name}`));
      expect(r.code).toBe(2);
      expect(expectOneParagraph(r.stderr)).toMatch(re);
    });
  }

  it('a missing --out, an unknown subcommand and a bad --workers', async () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify(minimal));
    for (const args of [['run', path], ['frobnicate'], ['run', path, '--out', join(dir, 'o'), '--workers', '0']]) {
      const r = await clln('ensemble', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expectOneParagraph(r.stderr);
    }
  });
});
