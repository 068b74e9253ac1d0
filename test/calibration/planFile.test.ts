import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BoardIdentity } from '../../firmware-protocol/identity.js';
import {
  defaultPlan,
  expandPlan,
  generateDefaultPlan,
  generatePatterns,
  listDefaultPlans,
  parsePlan,
  plansDir,
  readPlanFile,
  sweepConfigurations,
} from '../../src/calibration/planFile.js';
import { PLAN_FORMAT, type CalibrationPattern, type CalibrationPlan, type RandomPatterns } from '../../src/calibration/types.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { expectInvalid } from '../formats/expectInvalid.js';
import { undocumented } from '../formats/undocumented.js';

const SRC = 'plan.json';
const gen1 = new TwinBoardCore(loadBoardModel('penn-gen1')).identity();
const gen2 = new TwinBoardCore(loadBoardModel('penn-gen2')).identity();

/** A valid penn-gen1 plan document. */
function doc(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: PLAN_FORMAT,
    board: 'penn-gen1',
    samples: 16,
    settings: { levels: [25, 50, 75, 99], mixed: 2, seed: 3 },
    patterns: { kind: 'random', count: 12, seed: 5 },
    ...over,
  };
}

/** The doc with `patterns` replaced by an explicit list. */
function listDoc(list: unknown, over: Record<string, unknown> = {}): Record<string, unknown> {
  return doc({ patterns: { list }, ...over });
}

function settings(s: unknown): Record<string, unknown> {
  return doc({ settings: s });
}

function patterns(p: unknown): Record<string, unknown> {
  return doc({ patterns: p });
}

function reference(r: unknown, over: Record<string, unknown> = {}): Record<string, unknown> {
  return doc({ reference: r, ...over });
}

const parse = (json: unknown): CalibrationPlan => parsePlan(json, SRC);
const expand = (json: unknown, id: BoardIdentity = gen1): unknown => expandPlan(json as CalibrationPlan, id, SRC);

describe('parsePlan: accepted documents', () => {
  it('returns a fresh plan with format set and only the given fields', () => {
    const d = doc();
    delete d.format;
    const p = parse(d);
    expect(p).toEqual({ ...doc() });
    expect(p.settings).not.toBe(d.settings);
    expect(Object.keys(p)).toEqual(['format', 'board', 'samples', 'settings', 'patterns']);
  });

  it('accepts every optional field', () => {
    const full = doc({
      description: 'test',
      patterns: { kind: 'random', count: 3, seed: -2, drive: [1, 1], clamp: [0, 0], range: [0, 1] },
      reference: { voltage: { adc: [{ node: 0, gain: 1.01, offset: -0.002 }] }, conductance: [{ edge: 0, setting: 25, siemens: 1.7e-4 }] },
    });
    expect(parse(full)).toEqual(full);
    expect(parse(settings({ configurations: [[1, 2], [3, 4]] })).settings).toEqual({ configurations: [[1, 2], [3, 4]] });
    const list = [{ drive: [[0, 1.5]], clamp: [[3, 0]] }];
    expect(parse(listDoc(list)).patterns).toEqual({ list });
    expect(parse(reference({ voltage: 'adc-mean', conductance: 'nominal-mean' })).reference).toEqual({ voltage: 'adc-mean', conductance: 'nominal-mean' });
    expect(parse(reference({ conductance: [{ edge: 2, s: 8e-4 }] })).reference).toEqual({ conductance: [{ edge: 2, s: 8e-4 }] });
  });
});

describe('parsePlan: every structural rule', () => {
  it('document and format', () => {
    expectInvalid(() => parse([]), undefined, 'must be a JSON object');
    expectInvalid(() => parse(doc({ format: 'clln.calibration-plan/2' })), 'format', 'clln.calibration-plan/1');
    expectInvalid(() => parse(doc({ format: 'clln.calibration/1' })), 'format', 'calibration record');
    expectInvalid(() => parse(doc({ sample: 64 })), 'sample', 'unknown field', 'did you mean "samples"');
    expectInvalid(() => parsePlan({ ...doc(), extra: 1 }, SRC, 'plan'), 'plan.extra', 'unknown field');
  });

  it('board, description, samples', () => {
    const noBoard = doc();
    delete noBoard.board;
    expectInvalid(() => parse(noBoard), 'board', 'missing');
    expectInvalid(() => parse(doc({ board: '' })), 'board', 'non-empty string');
    expectInvalid(() => parse(doc({ board: 3 })), 'board', 'the number 3');
    expectInvalid(() => parse(doc({ description: 1 })), 'description', 'must be a string');
    for (const bad of [0, 1025, 2.5, -1]) expectInvalid(() => parse(doc({ samples: bad })), 'samples', 'integer in 1..1024');
    expectInvalid(() => parse(doc({ samples: '64' })), 'samples', 'must be an integer in 1..1024', 'the string');
  });

  it('settings: sweep', () => {
    const noSettings = doc();
    delete noSettings.settings;
    expectInvalid(() => parse(noSettings), 'settings', 'missing');
    expectInvalid(() => parse(settings([25])), 'settings', 'must be an object');
    expectInvalid(() => parse(settings({ level: [25] })), 'settings.level', 'did you mean "levels"');
    expectInvalid(() => parse(settings({ mixed: 2 })), 'settings.levels', 'missing', 'configurations');
    expectInvalid(() => parse(settings({ levels: 25 })), 'settings.levels', 'must be an array');
    expectInvalid(() => parse(settings({ levels: [] })), 'settings.levels', 'at least 1 entry');
    expectInvalid(() => parse(settings({ levels: [25, 'x'] })), 'settings.levels[1]', 'must be a number');
    expectInvalid(() => parse(settings({ levels: [25, 50, 25] })), 'settings.levels[2]', 'listed twice');
    expectInvalid(() => parse(settings({ levels: [25], mixed: -1 })), 'settings.mixed', 'integer in 0..1000');
    expectInvalid(() => parse(settings({ levels: [25], mixed: 1.5 })), 'settings.mixed', 'integer in 0..1000');
    expectInvalid(() => parse(settings({ levels: [25], seed: 0.5 })), 'settings.seed', 'integer');
  });

  it('settings: explicit configurations', () => {
    expectInvalid(() => parse(settings({ configurations: [[1]], levels: [1] })), 'settings.levels', 'not both');
    expectInvalid(() => parse(settings({ configurations: [[1]], mixed: 1 })), 'settings.mixed', 'not both');
    expectInvalid(() => parse(settings({ configurations: [] })), 'settings.configurations', 'at least 1 entry');
    expectInvalid(() => parse(settings({ configurations: 3 })), 'settings.configurations', 'must be an array');
    expectInvalid(() => parse(settings({ configurations: [[]] })), 'settings.configurations[0]', 'one setting per edge');
    expectInvalid(() => parse(settings({ configurations: [[1, 2], [1]] })), 'settings.configurations[1]', 'must have 2 entries');
    expectInvalid(() => parse(settings({ configurations: [[1, 'x']] })), 'settings.configurations[0][1]', 'must be a number');
  });

  it('patterns: random', () => {
    const noPatterns = doc();
    delete noPatterns.patterns;
    expectInvalid(() => parse(noPatterns), 'patterns', 'missing');
    expectInvalid(() => parse(patterns('random')), 'patterns', 'must be an object');
    expectInvalid(() => parse(patterns({ kind: 'random', count: 4, seed: 1, cont: 3 })), 'patterns.cont', 'did you mean "count"');
    expectInvalid(() => parse(patterns({ count: 4, seed: 1 })), 'patterns.kind', 'missing', '"random"');
    expectInvalid(() => parse(patterns({ kind: 'grid', count: 4, seed: 1 })), 'patterns.kind', 'must be "random"');
    expectInvalid(() => parse(patterns({ kind: 'random', seed: 1 })), 'patterns.count', 'missing');
    for (const bad of [0, 2.5, -3]) expectInvalid(() => parse(patterns({ kind: 'random', count: bad, seed: 1 })), 'patterns.count', 'integer in 1..1000');
    expectInvalid(() => parse(patterns({ kind: 'random', count: 4 })), 'patterns.seed', 'missing');
    expectInvalid(() => parse(patterns({ kind: 'random', count: 4, seed: 'a' })), 'patterns.seed', 'must be an integer');
    const rnd = (k: string, v: unknown): Record<string, unknown> => patterns({ kind: 'random', count: 4, seed: 1, [k]: v });
    expectInvalid(() => parse(rnd('drive', [0, 2])), 'patterns.drive[0]', 'integer in 1..4096', 'at least one node');
    expectInvalid(() => parse(rnd('drive', [3, 2])), 'patterns.drive', 'min 3 exceeds max 2');
    expectInvalid(() => parse(rnd('drive', [2])), 'patterns.drive', 'pair [min, max]');
    expectInvalid(() => parse(rnd('drive', 2)), 'patterns.drive', 'must be a pair [min, max]', 'the number 2');
    expectInvalid(() => parse(rnd('drive', [1, 2.5])), 'patterns.drive[1]', 'integer');
    expectInvalid(() => parse(rnd('clamp', [-1, 2])), 'patterns.clamp[0]', 'integer in 0..4096');
    expectInvalid(() => parse(rnd('clamp', [2, 1])), 'patterns.clamp', 'exceeds');
    expectInvalid(() => parse(rnd('range', [0.5, 0.5])), 'patterns.range', 'must be below');
    expectInvalid(() => parse(rnd('range', [0.6, 0.4])), 'patterns.range', 'must be below');
    expectInvalid(() => parse(rnd('range', [-0.1, 0.5])), 'patterns.range[0]', 'within [0, 1]');
    expectInvalid(() => parse(rnd('range', [0.1, 1.5])), 'patterns.range[1]', 'within [0, 1]');
    expectInvalid(() => parse(rnd('range', [0.1, 0.5, 0.9])), 'patterns.range', 'pair [lo, hi]');
  });

  it('patterns: explicit list', () => {
    const ok = { drive: [[0, 1]], clamp: [] };
    expectInvalid(() => parse(patterns({ list: [ok], count: 3 })), 'patterns.count', 'not both');
    expectInvalid(() => parse(listDoc([])), 'patterns.list', 'at least 1 entry');
    expectInvalid(() => parse(listDoc({})), 'patterns.list', 'must be an array');
    expectInvalid(() => parse(listDoc([3])), 'patterns.list[0]', 'must be an object');
    expectInvalid(() => parse(listDoc([{ drive: [[0, 1]], clmap: [] }])), 'patterns.list[0].clmap', 'did you mean "clamp"');
    expectInvalid(() => parse(listDoc([{ drive: [[0, 1]] }])), 'patterns.list[0].clamp', 'missing');
    expectInvalid(() => parse(listDoc([{ clamp: [] }])), 'patterns.list[0].drive', 'missing');
    expectInvalid(() => parse(listDoc([ok, { drive: [], clamp: [[1, 0]] }])), 'patterns.list[1].drive', 'at least one node');
    expectInvalid(() => parse(listDoc([{ drive: [[0]], clamp: [] }])), 'patterns.list[0].drive[0]', 'pair [node, volts]');
    expectInvalid(() => parse(listDoc([{ drive: [0, 1], clamp: [] }])), 'patterns.list[0].drive[0]', 'must be a pair [node, volts]');
    expectInvalid(() => parse(listDoc([{ drive: [[-1, 1]], clamp: [] }])), 'patterns.list[0].drive[0][0]', 'node id');
    expectInvalid(() => parse(listDoc([{ drive: [[1.5, 1]], clamp: [] }])), 'patterns.list[0].drive[0][0]', 'node id');
    expectInvalid(() => parse(listDoc([{ drive: [[1, 'x']], clamp: [] }])), 'patterns.list[0].drive[0][1]', 'must be a number');
    expectInvalid(() => parse(listDoc([{ drive: [[1, 1], [1, 2]], clamp: [] }])), 'patterns.list[0].drive[1][0]', 'listed twice');
    expectInvalid(() => parse(listDoc([{ drive: [[1, 1]], clamp: [[1, 0]] }])), 'patterns.list[0].clamp[0][0]', 'listed twice', 'patterns.list[0].drive[0]');
  });

  it('reference', () => {
    expectInvalid(() => parse(reference('adc-mean')), 'reference', 'must be an object');
    expectInvalid(() => parse(reference({ voltag: 'adc-mean' })), 'reference.voltag', 'did you mean "voltage"');
    expectInvalid(() => parse(reference({ voltage: 'adc' })), 'reference.voltage', '"adc-mean"');
    expectInvalid(() => parse(reference({ voltage: 3 })), 'reference.voltage', '"adc-mean"');
    expectInvalid(() => parse(reference({ voltage: {} })), 'reference.voltage.adc', 'missing');
    expectInvalid(() => parse(reference({ voltage: { adc: [] } })), 'reference.voltage.adc', 'at least one');
    expectInvalid(() => parse(reference({ voltage: { adc: [{ node: 0, gain: 1 }] } })), 'reference.voltage.adc[0].offset', 'missing');
    expectInvalid(() => parse(reference({ voltage: { adc: [{ node: 0, gain: 0, offset: 0 }] } })), 'reference.voltage.adc[0].gain', 'must be > 0');
    expectInvalid(() => parse(reference({ voltage: { adc: [{ node: 0, gain: 1, offset: 'x' }] } })), 'reference.voltage.adc[0].offset', 'number');
    expectInvalid(() => parse(reference({ voltage: { adc: [{ node: -2, gain: 1, offset: 0 }] } })), 'reference.voltage.adc[0].node', 'node id');
    expectInvalid(
      () => parse(reference({ voltage: { adc: [{ node: 2, gain: 1, offset: 0 }, { node: 2, gain: 1, offset: 0 }] } })),
      'reference.voltage.adc[1].node',
      'twice',
    );
    expectInvalid(() => parse(reference({ conductance: 'nominal' })), 'reference.conductance', '"nominal-mean"');
    expectInvalid(() => parse(reference({ conductance: [] })), 'reference.conductance', 'at least one');
    expectInvalid(() => parse(reference({ conductance: {} })), 'reference.conductance', 'must be "nominal-mean" or an array');
    expectInvalid(() => parse(reference({ conductance: [{ edge: 0, setting: 25, siemens: 0 }] })), 'reference.conductance[0].siemens', 'must be > 0');
    expectInvalid(() => parse(reference({ conductance: [{ edge: 0, setting: 25 }] })), 'reference.conductance[0].siemens', 'missing');
    expectInvalid(() => parse(reference({ conductance: [{ edge: 0, setting: 2.5, siemens: 1e-3 }] })), 'reference.conductance[0].setting', 'integer');
    expectInvalid(() => parse(reference({ conductance: [{ edge: -1, s: 1e-3 }] })), 'reference.conductance[0].edge', 'integer >= 0');
    expectInvalid(() => parse(reference({ conductance: [{ edge: 0, s: -1 }] })), 'reference.conductance[0].s', 'must be > 0');
    expectInvalid(() => parse(reference({ conductance: [{ edge: 0, setting: 25, siemens: 1e-3, s: 1 }] })), 'reference.conductance[0].s', 'unknown field "s"');
    expectInvalid(() => parse(reference({ conductance: [{ edge: 0, s: 1e-3 }, { edge: 1, setting: 25, siemens: 1e-3 }] })), 'reference.conductance[1].setting', 'unknown field "setting"');
    expectInvalid(() => parse(reference({ conductance: [{ edge: 0, s: 1e-3 }, { edge: 0, s: 2e-3 }] })), 'reference.conductance[1].edge', 'twice');
    expectInvalid(
      () => parse(reference({ conductance: [{ edge: 0, setting: 25, siemens: 1e-3 }, { edge: 0, setting: 25, siemens: 2e-3 }] })),
      'reference.conductance[1]',
      'twice',
    );
    expectInvalid(() => parse(reference({ conductance: [{ edge: 0, siemens: 1e-3, sieman: 1 }] })), 'reference.conductance[0].sieman', 'did you mean "siemens"');
  });
});

describe('expandPlan: rules against the board', () => {
  it('the board model must match', () => {
    const e = expectInvalid(() => expand(doc(), gen2), 'board', '"penn-gen1"', '"penn-gen2"', '--plan');
    expect(e.fix).toContain('clln calibrate');
  });

  it('runs the structural checks too', () => {
    expectInvalid(() => expand(doc({ samples: 0 })), 'samples', '1..1024');
  });

  it('tap levels are integers in 0..taps-1, gate levels within the gate range', () => {
    expectInvalid(() => expand(settings({ levels: [25, 100] })), 'settings.levels[1]', '0..99', 'got 100');
    expectInvalid(() => expand(settings({ levels: [-1] })), 'settings.levels[0]', '0..99');
    expectInvalid(() => expand(settings({ levels: [25.5] })), 'settings.levels[0]', 'integer');
    const g = { board: 'penn-gen2', settings: { levels: [2, 5.5] } };
    expectInvalid(() => expand(doc(g), gen2), 'settings.levels[1]', '[0, 5] V');
    expectInvalid(() => expand(doc({ ...g, settings: { levels: [-0.1] } }), gen2), 'settings.levels[0]', 'gate range');
    expect(() => expand(doc({ ...g, settings: { levels: [0, 2.5, 5] } }), gen2)).not.toThrow();
  });

  it('explicit configurations: one setting per edge, same rules', () => {
    const E = gen1.edges.length;
    expectInvalid(() => expand(settings({ configurations: [Array(E - 1).fill(50)] })), 'settings.configurations[0]', `must have ${E} entries`, '33 edges');
    const bad = Array(E).fill(50);
    bad[3] = 120;
    expectInvalid(() => expand(settings({ configurations: [Array(E).fill(50), bad] })), 'settings.configurations[1][3]', '0..99');
    const gate = Array(gen2.edges.length).fill(3);
    gate[0] = 7;
    expectInvalid(() => expand(doc({ board: 'penn-gen2', settings: { configurations: [gate] } }), gen2), 'settings.configurations[0][0]', 'gate range');
    const ok = expandPlan(settings({ configurations: [Array(E).fill(50), Array(E).fill(99)] }) as unknown as CalibrationPlan, gen1);
    expect(ok.configurations.map((c) => Array.from(c))).toEqual([Array(E).fill(50), Array(E).fill(99)]);
  });

  it('explicit patterns: drivable/clampable nodes, voltages in the DAC range', () => {
    const limited: BoardIdentity = { ...gen1, drivable: [0, 1, 2, 3], clampable: [4, 5] };
    expectInvalid(() => expand(listDoc([{ drive: [[16, 1]], clamp: [] }])), 'patterns.list[0].drive[0][0]', 'unknown node 16', '0..15');
    expectInvalid(() => expand(listDoc([{ drive: [[0, 1]], clamp: [] }, { drive: [[7, 1]], clamp: [] }]), limited), 'patterns.list[1].drive[0][0]', 'no drive channel', '[0,1,2,3]');
    expectInvalid(() => expand(listDoc([{ drive: [[0, 1]], clamp: [[1, 0]] }]), limited), 'patterns.list[0].clamp[0][0]', 'no clamp channel', '[4,5]');
    expectInvalid(() => expand(listDoc([{ drive: [[0, 5.5]], clamp: [] }])), 'patterns.list[0].drive[0][1]', 'DAC range [0, 5] V');
    expectInvalid(() => expand(listDoc([{ drive: [[0, 1]], clamp: [[4, -0.1]] }]), limited), 'patterns.list[0].clamp[0][1]', 'DAC range');
    expectInvalid(() => expand(doc({ board: 'penn-gen2', settings: { levels: [3] }, patterns: { list: [{ drive: [[0, 1.2]], clamp: [] }] } }), gen2), 'patterns.list[0].drive[0][1]', '[0, 1] V');
    const e = expandPlan(listDoc([{ drive: [[0, 1], [2, 5]], clamp: [[4, 0]] }]) as unknown as CalibrationPlan, limited);
    expect(e.patterns).toEqual([{ drive: [[0, 1], [2, 5]], clamp: [[4, 0]] }]);
  });

  it('random patterns: the counts must fit the board', () => {
    const small: BoardIdentity = { ...gen1, drivable: [0, 1, 2], clampable: [2, 3] };
    const rnd = (extra: Record<string, unknown>): Record<string, unknown> => patterns({ kind: 'random', count: 10, seed: 1, ...extra });
    expectInvalid(() => expand(rnd({ drive: [4, 6] }), small), 'patterns.drive', 'at least 4 driven', 'only 3 drivable');
    expectInvalid(() => expand(rnd({ clamp: [3, 3] }), small), 'patterns.clamp', 'at least 3 clamped', 'only 2 clampable');
    expectInvalid(() => expand(rnd({ drive: [3, 3], clamp: [2, 2] }), small), 'patterns.clamp', 'need 5 distinct nodes', 'only 4');
    expectInvalid(() => expand(rnd({}), { ...gen1, drivable: [] }), 'patterns', 'no drivable node');
    // Maxima are capped, not errors.
    const capped = expandPlan(rnd({ drive: [1, 10], clamp: [0, 10] }) as unknown as CalibrationPlan, small);
    for (const p of capped.patterns) {
      expect(p.drive.length).toBeGreaterThanOrEqual(1);
      expect(p.drive.length).toBeLessThanOrEqual(3);
      expect(p.clamp.length).toBeLessThanOrEqual(2);
    }
  });

  it('references: nodes, edges, kind, visited settings', () => {
    expectInvalid(() => expand(reference({ voltage: { adc: [{ node: 16, gain: 1, offset: 0 }] } })), 'reference.voltage.adc[0].node', 'unknown node 16');
    expectInvalid(() => expand(reference({ conductance: [{ edge: 33, setting: 25, siemens: 1e-4 }] })), 'reference.conductance[0].edge', 'unknown edge 33', '0..32');
    expectInvalid(() => expand(reference({ conductance: [{ edge: 0, s: 1e-3 }] })), 'reference.conductance[0]', 'gate-board reference', 'tap edges');
    expectInvalid(
      () => expand(reference({ conductance: [{ edge: 0, setting: 25, siemens: 1e-3 }] }, { board: 'penn-gen2', settings: { levels: [3] } }), gen2),
      'reference.conductance[0]',
      'tap-board reference',
      'gate edges',
    );
    expectInvalid(() => expand(reference({ conductance: [{ edge: 5, setting: 30, siemens: 1e-4 }] })), 'reference.conductance[0].setting', 'never sits at tap 30', '25, 50, 75, 99');
    const E = gen1.edges.length;
    const cfg = Array(E).fill(50);
    cfg[7] = 10;
    const explicit = doc({ settings: { configurations: [cfg] }, reference: { conductance: [{ edge: 7, setting: 50, siemens: 1e-4 }] } });
    expectInvalid(() => expand(explicit), 'reference.conductance[0].setting', 'visits taps 10');
    const ok = expandPlan(
      reference({ voltage: { adc: [{ node: 3, gain: 1, offset: 0 }] }, conductance: [{ edge: 5, setting: 75, siemens: 1e-4 }] }) as unknown as CalibrationPlan,
      gen1,
    );
    expect(ok.reference).toEqual({ voltage: { adc: [{ node: 3, gain: 1, offset: 0 }] }, conductance: [{ edge: 5, setting: 75, siemens: 1e-4 }] });
    const g = expandPlan(doc({ board: 'penn-gen2', settings: { levels: [3] }, reference: { conductance: [{ edge: 31, s: 9e-4 }] } }) as unknown as CalibrationPlan, gen2);
    expect(g.reference.conductance).toEqual([{ edge: 31, s: 9e-4 }]);
  });
});

describe('expandPlan: defaults and configurations', () => {
  const minimal = { board: 'penn-gen1', settings: { levels: [25, 99] }, patterns: { kind: 'random', count: 10, seed: 2 } };

  it('fills in the defaults', () => {
    const e = expandPlan(minimal as CalibrationPlan, gen1);
    expect(e.board).toBe('penn-gen1');
    expect(e.samples).toBe(64);
    expect(e.reference).toEqual({ voltage: 'adc-mean', conductance: 'nominal-mean' });
    expect(e.configurations).toHaveLength(2 + 3);
    const explicitDefaults = expandPlan(
      { ...minimal, settings: { levels: [25, 99], mixed: 3, seed: 1 }, patterns: { ...minimal.patterns, drive: [2, 4], clamp: [0, 2], range: [0.1, 0.9] } } as CalibrationPlan,
      gen1,
    );
    expect(explicitDefaults).toEqual(e);
    for (const p of e.patterns) {
      expect(p.drive.length).toBeGreaterThanOrEqual(2);
      expect(p.drive.length).toBeLessThanOrEqual(4);
      expect(p.clamp.length).toBeLessThanOrEqual(2);
      for (const [, v] of [...p.drive, ...p.clamp]) {
        expect(v).toBeGreaterThanOrEqual(0.5 - 1e-9);
        expect(v).toBeLessThanOrEqual(4.5 + 1e-9);
      }
    }
  });

  it('uniform configurations first, in the order given, then mixed ones', () => {
    const levels = [99, 25, 60];
    const e = expandPlan(doc({ settings: { levels, mixed: 4, seed: 9 } }) as unknown as CalibrationPlan, gen1);
    expect(e.configurations).toHaveLength(7);
    levels.forEach((l, i) => expect(Array.from(e.configurations[i])).toEqual(Array(33).fill(l)));
    for (const c of e.configurations.slice(3)) {
      expect(c).toBeInstanceOf(Float64Array);
      expect(c).toHaveLength(33);
      expect(new Set(c)).toEqual(new Set(levels));
    }
    // Mixed configurations differ from each other (seeded shuffles).
    expect(Array.from(e.configurations[3])).not.toEqual(Array.from(e.configurations[4]));
  });

  it('every mixed configuration contains every level when E >= levels (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 99 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: -1000, max: 1000 }),
        (levels, extra, mixed, seed) => {
          const E = levels.length + extra;
          const cfgs = sweepConfigurations(levels, mixed, seed, E);
          expect(cfgs).toHaveLength(levels.length + mixed);
          for (const c of cfgs.slice(levels.length)) {
            expect(new Set(c)).toEqual(new Set(levels));
            // Balanced: each level on floor(E/L) or ceil(E/L) edges.
            for (const l of levels) {
              const n = c.filter((x) => x === l).length;
              expect(n).toBeGreaterThanOrEqual(Math.floor(E / levels.length));
              expect(n).toBeLessThanOrEqual(Math.ceil(E / levels.length));
            }
          }
          expect(sweepConfigurations(levels, mixed, seed, E)).toEqual(cfgs);
        },
      ),
    );
  });

  it('with fewer edges than levels, mixed configurations use distinct levels', () => {
    const cfgs = sweepConfigurations([1, 2, 3, 4, 5], 3, 1, 3);
    for (const c of cfgs.slice(5)) {
      expect(new Set(c).size).toBe(3);
      for (const x of c) expect([1, 2, 3, 4, 5]).toContain(x);
    }
  });

  it('is deterministic given the seeds', () => {
    const a = expandPlan(doc() as unknown as CalibrationPlan, gen1);
    const b = expandPlan(doc() as unknown as CalibrationPlan, gen1);
    expect(a).toEqual(b);
    const c = expandPlan(doc({ settings: { levels: [25, 50, 75, 99], mixed: 2, seed: 4 } }) as unknown as CalibrationPlan, gen1);
    expect(c.configurations.slice(4)).not.toEqual(a.configurations.slice(4));
    expect(c.patterns).toEqual(a.patterns);
    const d = expandPlan(doc({ patterns: { kind: 'random', count: 12, seed: 6 } }) as unknown as CalibrationPlan, gen1);
    expect(d.patterns).not.toEqual(a.patterns);
    expect(d.configurations).toEqual(a.configurations);
  });
});

// ---------------------------------------------------------------------------------------------------------------

interface Coverage {
  driven: Map<number, number[]>;
  clamped: Map<number, number[]>;
  free: Map<number, number>;
}

function coverage(pats: CalibrationPattern[], id: BoardIdentity): Coverage {
  const driven = new Map<number, number[]>();
  const clamped = new Map<number, number[]>();
  const free = new Map<number, number>();
  for (let i = 0; i < id.nodes; i++) {
    driven.set(i, []);
    clamped.set(i, []);
    free.set(i, 0);
  }
  for (const p of pats) {
    for (const [n, v] of p.drive) driven.get(n)!.push(v);
    for (const [n, v] of p.clamp) clamped.get(n)!.push(v);
    const busy = new Set([...p.drive, ...p.clamp].map(([n]) => n));
    for (let i = 0; i < id.nodes; i++) if (!busy.has(i)) free.set(i, free.get(i)! + 1);
  }
  return { driven, clamped, free };
}

/** Every pattern obeys the spec: counts, channels, disjointness, voltages on the 1e-4 V grid in the usable range. */
function checkPatternsObeySpec(pats: CalibrationPattern[], spec: RandomPatterns, id: BoardIdentity): void {
  expect(pats).toHaveLength(spec.count);
  const [dMin, dMax] = spec.drive ?? [2, 4];
  const [cMin, cMax] = spec.clamp ?? [0, 2];
  const [fLo, fHi] = spec.range ?? [0.1, 0.9];
  const span = id.dac.hi - id.dac.lo;
  const lo = id.dac.lo + fLo * span - 5e-5 - 1e-12;
  const hi = id.dac.lo + fHi * span + 5e-5 + 1e-12;
  for (const p of pats) {
    expect(p.drive.length).toBeGreaterThanOrEqual(dMin);
    expect(p.drive.length).toBeLessThanOrEqual(Math.min(dMax, id.drivable.length));
    expect(p.clamp.length).toBeGreaterThanOrEqual(cMin);
    expect(p.clamp.length).toBeLessThanOrEqual(Math.min(cMax, id.clampable.length));
    const nodes = [...p.drive, ...p.clamp].map(([n]) => n);
    expect(new Set(nodes).size).toBe(nodes.length);
    for (const [n] of p.drive) expect(id.drivable).toContain(n);
    for (const [n] of p.clamp) expect(id.clampable).toContain(n);
    for (const [, v] of [...p.drive, ...p.clamp]) {
      expect(v).toBeGreaterThanOrEqual(lo);
      expect(v).toBeLessThanOrEqual(hi);
      expect(Math.abs(v * 1e4 - Math.round(v * 1e4))).toBeLessThan(1e-6);
    }
  }
}

/** The coverage guarantee of generatePatterns, under its documented conditions. */
function checkCoverage(pats: CalibrationPattern[], spec: RandomPatterns, id: BoardIdentity): void {
  const [, dMax] = spec.drive ?? [2, 4];
  const [, cMax] = spec.clamp ?? [0, 2];
  const [fLo, fHi] = spec.range ?? [0.1, 0.9];
  const usable = (fHi - fLo) * (id.dac.hi - id.dac.lo);
  const cov = coverage(pats, id);
  for (const n of id.drivable) {
    const vs = cov.driven.get(n)!;
    expect(vs.length, `node ${n} driven`).toBeGreaterThanOrEqual(2);
    expect(Math.max(...vs) - Math.min(...vs), `node ${n} drive spread`).toBeGreaterThanOrEqual(0.25 * usable);
    expect(cov.free.get(n)!, `node ${n} free`).toBeGreaterThanOrEqual(2);
  }
  if (spec.count * Math.min(cMax, id.clampable.length) >= 2 * id.clampable.length) {
    for (const n of id.clampable) {
      const vs = cov.clamped.get(n)!;
      expect(vs.length, `node ${n} clamped`).toBeGreaterThanOrEqual(2);
      expect(new Set(vs).size, `node ${n} clamp voltages`).toBeGreaterThanOrEqual(2);
    }
  }
  expect(spec.count * dMax).toBeGreaterThanOrEqual(2 * id.drivable.length); // precondition of the drive cover
}

describe('generatePatterns', () => {
  it('is deterministic given the seed', () => {
    const spec: RandomPatterns = { kind: 'random', count: 20, seed: 42 };
    expect(generatePatterns(spec, gen1)).toEqual(generatePatterns(spec, gen1));
    expect(generatePatterns({ ...spec, seed: 43 }, gen1)).not.toEqual(generatePatterns(spec, gen1));
  });

  it('obeys the spec and covers every node (property over seeds and counts >= 8, both boards)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: 8, max: 48 }), fc.boolean(), (seed, count, second) => {
        const id = second ? gen2 : gen1;
        const spec: RandomPatterns = { kind: 'random', count, seed };
        const pats = generatePatterns(spec, id);
        checkPatternsObeySpec(pats, spec, id);
        checkCoverage(pats, spec, id);
      }),
      { numRuns: 150 },
    );
  });

  it('covers every node with other count ranges and partial channel sets (property)', () => {
    const partial: BoardIdentity = { ...gen1, drivable: [0, 2, 5, 7, 8, 10, 13, 15], clampable: [1, 2, 3, 12, 13, 14] };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 8, max: 40 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 1 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        (seed, count, dMin, dExtra, cMin, cExtra, usePartial) => {
          const id = usePartial ? partial : gen2;
          const spec: RandomPatterns = {
            kind: 'random',
            count,
            seed,
            drive: [dMin, dMin + dExtra],
            clamp: [cMin, cMin + cExtra],
            range: [0.05, 0.95],
          };
          const pats = generatePatterns(spec, id);
          checkPatternsObeySpec(pats, spec, id);
          if (count * (dMin + dExtra) >= 2 * id.drivable.length) checkCoverage(pats, spec, id);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('below 8 patterns it is purely random but still obeys the spec', () => {
    for (let count = 1; count < 8; count++) {
      const spec: RandomPatterns = { kind: 'random', count, seed: count };
      checkPatternsObeySpec(generatePatterns(spec, gen1), spec, gen1);
    }
  });
});

describe('default plans', () => {
  it('ships penn-gen1 and penn-gen2', () => {
    expect(listDefaultPlans()).toEqual(expect.arrayContaining(['penn-gen1', 'penn-gen2']));
    expect(plansDir()).toMatch(/calibration[\\/]plans$/);
  });

  it('the shipped plans parse and expand against the twin identities', () => {
    for (const [id, levels] of [
      [gen1, [25, 50, 75, 99]],
      [gen2, [2, 3, 4, 5]],
    ] as const) {
      const path = join(plansDir()!, `${id.model}.json`);
      const plan = readPlanFile(path);
      expect(defaultPlan(id)).toEqual(plan);
      expect(plan.board).toBe(id.model);
      expect(plan.description?.length).toBeGreaterThan(50);
      expect(plan.settings).toEqual({ levels, mixed: 3, seed: 1 });
      expect(plan.samples).toBe(64);
      const e = expandPlan(plan, id, path);
      expect(e.samples).toBe(64);
      expect(e.configurations).toHaveLength(7);
      expect(e.patterns).toHaveLength(24);
      expect(e.reference).toEqual({ voltage: 'adc-mean', conductance: 'nominal-mean' });
      for (const c of e.configurations.slice(4)) expect(new Set(c)).toEqual(new Set(levels));
      const spec = plan.patterns as RandomPatterns;
      checkPatternsObeySpec(e.patterns, spec, id);
      checkCoverage(e.patterns, spec, id);
    }
  });

  it('generates a plan for a board without a shipped one', () => {
    const tap: BoardIdentity = { ...gen1, model: 'lab-proto-7' };
    const p = defaultPlan(tap);
    expect(p).toEqual(generateDefaultPlan(tap));
    expect(p.board).toBe('lab-proto-7');
    expect(p.settings).toEqual({ levels: [25, 50, 74, 99], mixed: 3, seed: 1 });
    expect(p.patterns).toEqual({ kind: 'random', count: 24, seed: 1 });
    expect(p.samples).toBe(64);
    expect(expandPlan(p, tap).configurations).toHaveLength(7);
    expect(parsePlan(JSON.parse(JSON.stringify(p)), 'generated')).toEqual(p);

    const gate: BoardIdentity = { ...gen2, model: 'gate-proto', edge: { kind: 'gate', lo: 0, hi: 5 } };
    const g = defaultPlan(gate);
    expect((g.settings as { levels: number[] }).levels).toEqual([1.5, 2.6667, 3.8333, 5]);
    expect(expandPlan(g, gate).patterns).toHaveLength(24);

    const twoTaps: BoardIdentity = { ...gen1, model: 'tiny', edge: { kind: 'tap', taps: 2 } };
    expect((defaultPlan(twoTaps).settings as { levels: number[] }).levels).toEqual([0, 1]);
    expect(generateDefaultPlan(gen2).board).toBe('penn-gen2');
    // A model name that is not a file name never reaches the file system.
    expect(defaultPlan({ ...gen1, model: '../penn-gen1' }).board).toBe('../penn-gen1');
  });
});

describe('readPlanFile', () => {
  it('names the file in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-plan-'));
    const path = join(dir, 'plan.json');
    writeFileSync(path, JSON.stringify(doc({ samples: 0 })));
    const e = expectInvalid(() => readPlanFile(path), 'samples');
    expect(e.source).toBe(path);
    writeFileSync(path, '{"board": ');
    expectInvalid(() => readPlanFile(path), undefined, 'not valid JSON');
    expectInvalid(() => readPlanFile(join(dir, 'missing.json')), undefined, 'no such file');
  });
});

describe('clln.calibration-plan/1 schema', () => {
  const schemaDir = new URL('../../src/formats/schemas/', import.meta.url);
  const schema = JSON.parse(readFileSync(new URL('clln.calibration-plan-1.schema.json', schemaDir), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv2020({ strict: true, allErrors: true, discriminator: true });
  // clln's annotations (src/formats/schemaCheck.ts)
  ajv.addKeyword({ keyword: 'rule', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'fix', schemaType: 'string' });
  const validate = ajv.compile(schema);
  const valid = (d: unknown): void => {
    expect(validate(d), ajv.errorsText(validate.errors)).toBe(true);
  };

  it('documents every field', () => {
    expect(undocumented(schema)).toEqual([]);
    expect(Object.keys(schema.properties as object)).toEqual(['format', 'board', 'description', 'samples', 'settings', 'patterns', 'reference']);
  });

  it('accepts the shipped plans, generated plans and parsed documents', () => {
    for (const name of listDefaultPlans()) valid(JSON.parse(readFileSync(join(plansDir()!, `${name}.json`), 'utf8')));
    valid(generateDefaultPlan({ ...gen2, model: 'x' }));
    valid(parse(doc()));
    valid(parse(listDoc([{ drive: [[0, 1.5]], clamp: [[3, 0]] }], { reference: { voltage: { adc: [{ node: 0, gain: 1, offset: 0 }] }, conductance: [{ edge: 0, s: 1e-3 }] } })));
    valid(parse(settings({ configurations: [[1, 2]] })));
  });

  it('rejects structural errors', () => {
    const good = doc();
    for (const bad of [
      { ...good, format: 'clln.calibration/1' },
      { ...good, samples: 0 },
      { ...good, samples: 2000 },
      { ...good, extra: 1 },
      { ...good, board: '' },
      settings({ levels: [] }),
      settings({ levels: [1, 1] }),
      settings({ levels: [1], configurations: [[1]] }),
      patterns({ kind: 'grid', count: 3, seed: 1 }),
      patterns({ kind: 'random', count: 0, seed: 1 }),
      patterns({ kind: 'random', count: 3, seed: 1, range: [0, 2] }),
      patterns({ kind: 'random', count: 3, seed: 1, drive: [1] }),
      listDoc([{ drive: [[0]], clamp: [] }]),
      listDoc([{ drive: [], clamp: [] }]),
      reference({ voltage: 'adc' }),
      reference({ conductance: [{ edge: 0, s: 0 }] }),
      reference({ conductance: [{ edge: 0, s: 1e-3 }, { edge: 1, setting: 2, siemens: 1e-3 }] }),
    ]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
    }
    const noBoard = { ...good };
    delete noBoard.board;
    expect(validate(noBoard)).toBe(false);
  });
});
