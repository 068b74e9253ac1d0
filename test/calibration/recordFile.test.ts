import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { protocolMajor, type BoardIdentity } from '../../firmware-protocol/identity.js';
import { defaultPlan } from '../../src/calibration/planFile.js';
import { calibrationToJson, parseCalibrationRecord, readCalibrationFile, writeCalibrationFile } from '../../src/calibration/recordFile.js';
import { RECORD_FORMAT, type CalibrationRecord, type ChannelFit } from '../../src/calibration/types.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { expectInvalid } from '../formats/expectInvalid.js';
import { undocumented } from '../formats/undocumented.js';

const SRC = 'cal.json';
const gen1 = new TwinBoardCore(loadBoardModel('penn-gen1')).identity();
const gen2 = new TwinBoardCore(loadBoardModel('penn-gen2')).identity();

function boardOf(id: BoardIdentity): CalibrationRecord['board'] {
  return {
    model: id.model,
    uid: id.uid,
    firmware: id.firmware,
    protocol: protocolMajor(id.protocol),
    nodes: id.nodes,
    edges: id.edges.map(([a, b]) => [a, b] as [number, number]),
    adc: { ...id.adc },
    dac: { ...id.dac },
    edge: { ...id.edge },
  };
}

function channels(N: number): ChannelFit {
  return {
    gain: Array.from({ length: N }, (_, i) => 1 + i * 1e-4),
    offset: Array.from({ length: N }, (_, i) => (i - 8) * 1e-4),
    gainStd: Array(N).fill(2e-4),
    offsetStd: Array.from({ length: N }, (_, i) => (i === 3 ? null : 1e-4)),
  };
}

/** A minimal valid record of a tap board (penn-gen1), or a gate board (penn-gen2). */
function record(gate = false): CalibrationRecord {
  const id = gate ? gen2 : gen1;
  const N = id.nodes;
  const E = id.edges.length;
  const edges: CalibrationRecord['edges'] = gate
    ? { kind: 'gate', s: Array(E).fill(8.5e-4), vt: Array(E).fill(0.62), sRelStd: Array(E).fill(0.01), vtStd: Array(E).fill(0.003) }
    : {
        kind: 'tap',
        taps: 100,
        rMax: Array(E).fill(32000),
        rMin: Array(E).fill(40),
        points: Array.from({ length: E }, () => [
          { setting: 25, conductance: 1 / 5900, relStd: 0.01 },
          { setting: 99, conductance: 1 / 40, relStd: 0.02 },
        ]),
        lawDeviation: Array(E).fill(0.004),
      };
  return {
    format: RECORD_FORMAT,
    id: '0b7c2d1e-5a4f-4c3b-9e8d-7f6a5b4c3d2e',
    created: '2025-03-01T12:00:00.000Z',
    board: boardOf(id),
    plan: defaultPlan(id),
    adc: channels(N),
    dac: { drive: channels(N), clamp: channels(N) },
    edges,
    fit: {
      converged: true,
      reason: 'relative step below tolerance',
      iterations: 7,
      residual: { rms: 0.0011, max: 0.004, chi2PerDof: 1.02, dof: 2500 },
      readingSigma: 0.0011,
      excludedReadings: 0,
    },
    identifiability: {
      parameters: 150,
      rank: 147,
      gauges: ['voltage scale', 'voltage zero', 'conductance scale'],
      undetermined: [{ parameters: ['dac.clamp.offset[2]'], why: 'not used', suggestions: ['clamp node 2'] }],
    },
    data: {
      configurations: [Array(E).fill(gate ? 3 : 50)],
      measurements: [{ configuration: 0, pattern: 0, drive: [[0, 0.5]], clamp: [[5, 0.1]], readings: Array(N).fill(0.3) }],
      samples: 64,
    },
  };
}

/** The record as JSON with `edit` applied to it. */
function edited(edit: (r: Record<string, any>) => void, gate = false): Record<string, unknown> {
  const r = JSON.parse(JSON.stringify(record(gate))) as Record<string, any>;
  edit(r);
  return r;
}

const parse = (json: unknown): CalibrationRecord => parseCalibrationRecord(json, SRC);

describe('parseCalibrationRecord', () => {
  it('accepts valid tap and gate records and returns a fresh copy', () => {
    for (const gate of [false, true]) {
      const r = record(gate);
      const p = parse(JSON.parse(JSON.stringify(r)));
      expect(p).toEqual(r);
      const { data: _data, ...noData } = r;
      expect(parse(noData)).toEqual(noData);
    }
  });

  it('document, format, top-level fields', () => {
    expectInvalid(() => parse(3), undefined, 'must be a JSON object');
    expectInvalid(() => parse(edited((r) => delete r.format)), 'format', 'missing');
    expectInvalid(() => parse(edited((r) => (r.format = 'clln.calibration/2'))), 'format', 'clln.calibration/1');
    expectInvalid(() => parse(edited((r) => (r.fits = 1))), 'fits', 'did you mean "fit"');
    expectInvalid(() => parse(edited((r) => (r.id = ''))), 'id', 'non-empty string');
    expectInvalid(() => parse(edited((r) => delete r.id)), 'id', 'missing');
    expectInvalid(() => parse(edited((r) => (r.created = 'yesterday'))), 'created', 'ISO 8601');
    expectInvalid(() => parse(edited((r) => (r.created = '2025-13-45T99:00:00Z'))), 'created', 'ISO 8601');
    expectInvalid(() => parse(edited((r) => (r.created = '2025-03-01T12:00:00'))), 'created', 'time zone');
    expect(parse(edited((r) => (r.created = '2025-03-01T12:00:00+01:00'))).created).toBe('2025-03-01T12:00:00+01:00');
    for (const key of ['board', 'plan', 'adc', 'dac', 'edges', 'fit', 'identifiability']) {
      expectInvalid(() => parse(edited((r) => delete r[key])), key, 'missing');
    }
  });

  it('board', () => {
    expectInvalid(() => parse(edited((r) => (r.board.nodes = 0))), 'board.nodes', 'integer in 1..4096');
    expectInvalid(() => parse(edited((r) => (r.board.protocol = -1))), 'board.protocol', 'integer in 0..1000');
    expectInvalid(() => parse(edited((r) => (r.board.model = ''))), 'board.model', 'non-empty');
    expectInvalid(() => parse(edited((r) => delete r.board.uid)), 'board.uid', 'missing');
    expectInvalid(() => parse(edited((r) => (r.board.colour = 'red'))), 'board.colour', 'unknown field');
    expectInvalid(() => parse(edited((r) => (r.board.edges[2] = [3, 3]))), 'board.edges[2]', 'to itself');
    expectInvalid(() => parse(edited((r) => (r.board.edges[2] = [3, 16]))), 'board.edges[2][1]', 'unknown node 16');
    expectInvalid(() => parse(edited((r) => (r.board.edges[2] = [3]))), 'board.edges[2]', 'must be a pair of node ids [a, b]', 'an array [3]');
    expectInvalid(() => parse(edited((r) => (r.board.adc.hi = 0))), 'board.adc.hi', 'must exceed');
    expectInvalid(() => parse(edited((r) => (r.board.adc.bits = 40))), 'board.adc.bits', '1..32');
    expectInvalid(() => parse(edited((r) => (r.board.dac.lo = 9))), 'board.dac.hi', 'must exceed');
    expectInvalid(() => parse(edited((r) => (r.board.edge = { kind: 'pot', taps: 3 }))), 'board.edge.kind', '"tap" or "gate"');
    expectInvalid(() => parse(edited((r) => (r.board.edge.taps = 1))), 'board.edge.taps', 'integer in 2..65536');
    expectInvalid(() => parse(edited((r) => (r.board.edge.hi = -1), true)), 'board.edge.hi', 'must exceed');
    expectInvalid(() => parse(edited((r) => (r.board.edge.taps = 3), true)), 'board.edge.taps', 'unknown field');
  });

  it('plan (validated as a plan, paths under "plan")', () => {
    expectInvalid(() => parse(edited((r) => (r.plan.settings.levels = []))), 'plan.settings.levels', 'at least 1 entry');
    expectInvalid(() => parse(edited((r) => (r.plan.samples = 0))), 'plan.samples', '1..1024');
    expectInvalid(() => parse(edited((r) => (r.plan.extra = 0))), 'plan.extra', 'unknown field');
    expectInvalid(() => parse(edited((r) => (r.plan.board = 'penn-gen2'))), 'plan.board', '"penn-gen1"');
  });

  it('channel fits', () => {
    expectInvalid(() => parse(edited((r) => r.adc.gain.pop())), 'adc.gain', 'must have 16 entries', '16 nodes');
    expectInvalid(() => parse(edited((r) => (r.adc.gain[2] = 0))), 'adc.gain[2]', 'positive');
    expectInvalid(() => parse(edited((r) => (r.dac.drive.offset[1] = 'x'))), 'dac.drive.offset[1]', 'must be a number');
    expectInvalid(() => parse(edited((r) => (r.dac.clamp.gainStd[0] = -1))), 'dac.clamp.gainStd[0]', '>= 0');
    expectInvalid(() => parse(edited((r) => delete r.dac.clamp)), 'dac.clamp', 'missing');
    expectInvalid(() => parse(edited((r) => delete r.adc.offsetStd)), 'adc.offsetStd', 'missing');
    expectInvalid(() => parse(edited((r) => (r.dac.sense = {}))), 'dac.sense', 'unknown field');
    const nulls = parse(edited((r) => (r.adc.gain[4] = null)));
    expect(nulls.adc.gain[4]).toBeNull();
  });

  it('tap edges', () => {
    expectInvalid(() => parse(edited((r) => (r.edges.kind = 'gate'))), 'edges.kind', 'must be "tap"');
    expectInvalid(() => parse(edited((r) => (r.edges.taps = 64))), 'edges.taps', 'board.edge.taps (100)');
    // well-formed gate edges on a tap board: the kind against the board's, not the schema's forms
    expectInvalid(() => parse(edited((r) => (r.edges = record(true).edges))), 'edges.kind', 'must be "tap" (board.edge.kind)');
    const point = { setting: 1, conductance: 1e-3, relStd: 0.01 };
    expectInvalid(() => parse(edited((r) => (r.edges.points[0] = Array(101).fill(point)))), 'edges.points[0]', 'at most 100 entries', 'edges.taps is 100');
    expectInvalid(() => parse(edited((r) => r.edges.rMin.pop())), 'edges.rMin', 'must have 33 entries', '33 edges');
    expectInvalid(() => parse(edited((r) => (r.edges.rMax[3] = 30))), 'edges.rMax[3]', 'must exceed edges.rMin[3]');
    expectInvalid(() => parse(edited((r) => (r.edges.rMin[3] = 0))), 'edges.rMin[3]', 'positive');
    expectInvalid(() => parse(edited((r) => (r.edges.points[0][1].setting = 100))), 'edges.points[0][1].setting', '0..99');
    expectInvalid(() => parse(edited((r) => (r.edges.points[0][0].conductance = -1))), 'edges.points[0][0].conductance', 'positive');
    expectInvalid(() => parse(edited((r) => (r.edges.points[0][0].relStd = -1))), 'edges.points[0][0].relStd', '>= 0');
    expectInvalid(() => parse(edited((r) => delete r.edges.points[0][0].relStd)), 'edges.points[0][0].relStd', 'missing');
    expectInvalid(() => parse(edited((r) => (r.edges.lawDeviation[0] = 'big'))), 'edges.lawDeviation[0]', 'must be a number');
    expectInvalid(() => parse(edited((r) => (r.edges.s = []))), 'edges.s', 'unknown field');
    // taper (protocol 1.3): geometric when absent, linear kept, nothing else
    const linear = parse(edited((r) => (r.edges.taper = 'linear')));
    expect(linear.edges.kind === 'tap' && linear.edges.taper).toBe('linear');
    expectInvalid(() => parse(edited((r) => (r.edges.taper = 'log'))), 'edges.taper', 'geometric');
  });

  it('gate edges', () => {
    expectInvalid(() => parse(edited((r) => (r.edges.kind = 'tap'), true)), 'edges.kind', 'must be "gate"');
    expectInvalid(() => parse(edited((r) => (r.edges.s[0] = 0), true)), 'edges.s[0]', 'positive');
    expectInvalid(() => parse(edited((r) => r.edges.vt.pop(), true)), 'edges.vt', 'must have 32 entries');
    expectInvalid(() => parse(edited((r) => (r.edges.vtStd[1] = -0.1), true)), 'edges.vtStd[1]', '>= 0');
    expectInvalid(() => parse(edited((r) => (r.edges.rMax = []), true)), 'edges.rMax', 'unknown field');
  });

  it('fit and identifiability', () => {
    expectInvalid(() => parse(edited((r) => (r.fit.converged = 'yes'))), 'fit.converged', 'true or false');
    expectInvalid(() => parse(edited((r) => (r.fit.iterations = -1))), 'fit.iterations', 'integer in 0..1000000000');
    expectInvalid(() => parse(edited((r) => (r.fit.reason = ''))), 'fit.reason', 'non-empty');
    expectInvalid(() => parse(edited((r) => (r.fit.residual.dof = 1.5))), 'fit.residual.dof', 'integer');
    expectInvalid(() => parse(edited((r) => delete r.fit.residual.rms)), 'fit.residual.rms', 'missing');
    expectInvalid(() => parse(edited((r) => (r.fit.excludedReadings = -2))), 'fit.excludedReadings', 'integer in 0..1000000000');
    expectInvalid(() => parse(edited((r) => (r.identifiability.rank = 'full'))), 'identifiability.rank', 'must be an integer in 0..200000', 'the string "full"');
    expectInvalid(() => parse(edited((r) => (r.identifiability.gauges = [1]))), 'identifiability.gauges[0]', 'must be a string');
    expectInvalid(() => parse(edited((r) => (r.identifiability.undetermined[0].why = 'unknown'))), 'identifiability.undetermined[0].why', '"not used" or "degenerate"');
    expectInvalid(() => parse(edited((r) => delete r.identifiability.undetermined[0].suggestions)), 'identifiability.undetermined[0].suggestions', 'missing');
  });

  it('data', () => {
    expectInvalid(() => parse(edited((r) => r.data.configurations[0].pop())), 'data.configurations[0]', 'must have 33 entries');
    expectInvalid(() => parse(edited((r) => r.data.measurements[0].readings.pop())), 'data.measurements[0].readings', 'must have 16 entries', '16 nodes');
    expectInvalid(() => parse(edited((r) => (r.data.measurements[0].readings[2] = null))), 'data.measurements[0].readings[2]', 'must be a number');
    expectInvalid(() => parse(edited((r) => (r.data.measurements[0].configuration = 1))), 'data.measurements[0].configuration', '0..0');
    expectInvalid(() => parse(edited((r) => (r.data.measurements[0].pattern = -1))), 'data.measurements[0].pattern', 'integer in 0..999');
    expectInvalid(() => parse(edited((r) => (r.data.measurements[0].drive = [[16, 0.5]]))), 'data.measurements[0].drive[0][0]', 'unknown node 16');
    expectInvalid(() => parse(edited((r) => (r.data.measurements[0].drive = Array(17).fill([0, 0.5])))), 'data.measurements[0].drive', 'at most 16 entries', '16 nodes');
    expectInvalid(() => parse(edited((r) => (r.data.measurements[0].clamp = [[1]]))), 'data.measurements[0].clamp[0]', 'must be a pair [node, volts]', 'an array [1]');
    expectInvalid(() => parse(edited((r) => (r.data.samples = 0))), 'data.samples', '1..1024');
    expectInvalid(() => parse(edited((r) => delete r.data.samples)), 'data.samples', 'missing');
    expectInvalid(() => parse(edited((r) => (r.data.measurements[0].extra = 1))), 'data.measurements[0].extra', 'unknown field');
  });
});

describe('calibrationToJson and files', () => {
  /** A record holding non-finite numbers where they can occur. */
  function withNonFinite(): CalibrationRecord {
    const r = record();
    if (r.edges.kind !== 'tap') throw new Error('tap record expected');
    r.edges.points[0][0].relStd = Infinity;
    r.edges.lawDeviation[1] = NaN;
    r.adc.gainStd[0] = Infinity;
    r.dac.drive.gain[2] = NaN;
    r.fit.residual.chi2PerDof = NaN;
    return r;
  }

  it('writes no Infinity or NaN: they become null, and are read back as documented', () => {
    const json = calibrationToJson(withNonFinite());
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/Infinity|NaN/);
    const j = json as Record<string, any>;
    expect(j.edges.points[0][0].relStd).toBeNull();
    expect(j.edges.lawDeviation[1]).toBeNull();
    expect(j.adc.gainStd[0]).toBeNull();
    expect(j.fit.residual.chi2PerDof).toBeNull();
    const back = parse(JSON.parse(text));
    if (back.edges.kind !== 'tap') throw new Error('tap record expected');
    expect(back.edges.points[0][0].relStd).toBe(Infinity);
    expect(back.edges.lawDeviation[1]).toBeNaN();
    expect(back.adc.gainStd[0]).toBeNull();
    expect(back.dac.drive.gain[2]).toBeNull();
    expect(back.fit.residual.chi2PerDof).toBeNaN();
  });

  it('turns typed arrays into arrays and drops undefined fields', () => {
    const r = record();
    (r.data!.configurations as unknown[])[0] = Float64Array.from(r.data!.configurations[0]);
    (r as { data?: unknown }).data = { ...r.data, extra: undefined };
    const j = calibrationToJson(r) as Record<string, any>;
    expect(Array.isArray(j.data.configurations[0])).toBe(true);
    expect('extra' in j.data).toBe(false);
  });

  it('a record round-trips through write and read (tap and gate)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-cal-'));
    for (const gate of [false, true]) {
      const path = join(dir, `cal-${gate ? 'gate' : 'tap'}.json`);
      const r = record(gate);
      writeCalibrationFile(path, r);
      expect(readCalibrationFile(path)).toEqual(r);
      expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(calibrationToJson(r));
    }
    const path = join(dir, 'nonfinite.json');
    writeCalibrationFile(path, withNonFinite());
    expect(readFileSync(path, 'utf8')).not.toMatch(/Infinity|NaN/);
    expect(readCalibrationFile(path).fit.residual.chi2PerDof).toBeNaN();
    // Atomic: no temporary file is left behind.
    expect(readdirSync(dir).sort()).toEqual(['cal-gate.json', 'cal-tap.json', 'nonfinite.json']);
  });

  it('refuses to write an invalid record, and names the file in read errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-cal-'));
    const path = join(dir, 'bad.json');
    const bad = record();
    bad.adc.gain = bad.adc.gain.slice(1);
    const e = expectInvalid(() => writeCalibrationFile(path, bad), 'adc.gain', '16 entries');
    expect(e.source).toBe(path);
    expect(existsSync(path)).toBe(false);
    writeFileSync(path, JSON.stringify({ ...calibrationToJson(record()), created: 5 }));
    expect(expectInvalid(() => readCalibrationFile(path), 'created').source).toBe(path);
    expectInvalid(() => readCalibrationFile(join(dir, 'missing.json')), undefined, 'no such file');
  });
});

describe('clln.calibration/1 schema', () => {
  const schemaDir = new URL('../../src/formats/schemas/', import.meta.url);
  const load = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, schemaDir), 'utf8'));
  const schema = load('clln.calibration-1.schema.json');
  const ajv = new Ajv2020({ strict: true, allErrors: true, discriminator: true });
  // clln's annotations (src/formats/schemaCheck.ts)
  ajv.addKeyword({ keyword: 'rule', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'fix', schemaType: 'string' });
  ajv.addSchema(load('clln.calibration-plan-1.schema.json'));
  const validate = ajv.compile(schema);
  const valid = (d: unknown): void => {
    expect(validate(d), ajv.errorsText(validate.errors)).toBe(true);
  };

  it('documents every field', () => {
    expect(undocumented(schema)).toEqual([]);
    expect(Object.keys(schema.properties as object)).toEqual([
      'format', 'id', 'created', 'board', 'plan', 'adc', 'dac', 'edges', 'fit', 'identifiability', 'data',
    ]);
  });

  it('accepts minimal valid records and written files', () => {
    valid(calibrationToJson(record()));
    valid(calibrationToJson(record(true)));
    const { data: _data, ...noData } = record();
    valid(calibrationToJson(noData as CalibrationRecord));
    const dir = mkdtempSync(join(tmpdir(), 'clln-cal-schema-'));
    const path = join(dir, 'cal.json');
    const r = record();
    r.fit.residual.chi2PerDof = NaN;
    r.adc.offsetStd[0] = Infinity;
    writeCalibrationFile(path, r);
    valid(JSON.parse(readFileSync(path, 'utf8')));
  });

  it('rejects structural errors', () => {
    for (const bad of [
      edited((r) => (r.format = 'clln.calibration-plan/1')),
      edited((r) => (r.extra = 1)),
      edited((r) => delete r.fit),
      edited((r) => (r.created = 'yesterday')),
      edited((r) => (r.adc.gain[0] = 0)),
      edited((r) => (r.edges.rMax[0] = -1)),
      edited((r) => (r.edges.kind = 'pot')),
      edited((r) => (r.plan.samples = 0)),
      edited((r) => (r.plan.patterns = { kind: 'grid' })),
      edited((r) => (r.identifiability.undetermined[0].why = 'unknown')),
      edited((r) => (r.board.edge = { kind: 'gate', lo: 0 })),
      edited((r) => (r.data.measurements[0].readings = ['x'])),
      edited((r) => (r.edges.sRelStd[0] = -1), true),
    ]) {
      expect(validate(bad)).toBe(false);
    }
  });
});


describe('shipped example records (calibration/examples)', () => {
  it('parse, belong to the twins they name, and hold a converged fit with its raw data', () => {
    const dir = resolve(__dirname, '../../calibration/examples');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) {
      const rec = readCalibrationFile(join(dir, f));
      expect(rec.fit.converged).toBe(true);
      expect(f.startsWith(rec.board.model)).toBe(true);
      expect(rec.data?.measurements.length).toBeGreaterThan(0);
      expect(rec.identifiability.undetermined).toEqual([]);
    }
  });
});
