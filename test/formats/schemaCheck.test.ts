import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { checkAgainstSchema, jsonPath, schemaValidator, SCHEMA_FILES, type SchemaFormat } from '../../src/formats/schemaCheck.js';

function problem(doc: unknown, format: SchemaFormat = 'clln.network/1'): InvalidInputError {
  try {
    checkAgainstSchema(doc, format, 'f.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return e as InvalidInputError;
  }
  throw new Error('expected the document to be refused');
}

const square = { format: 'clln.network/1', name: 'sq', nodes: 4, edges: [[0, 1], [1, 2], [2, 3], [3, 0]], conductance: [1, 1, 1, 1] };

describe('checkAgainstSchema', () => {
  it('compiles every shipped schema (strict mode: a typo in a schema is an error)', () => {
    for (const f of Object.keys(SCHEMA_FILES) as SchemaFormat[]) expect(typeof schemaValidator(f)).toBe('function');
  });

  it('turns JSON pointers into clln paths', () => {
    expect(jsonPath('')).toBeUndefined();
    expect(jsonPath('/edges/3/1')).toBe('edges[3][1]');
    expect(jsonPath('/train/0/in')).toBe('train[0].in');
    expect(jsonPath('/a~1b/c~0d')).toBe('a/b.c~d');
  });

  it('accepts a valid document', () => {
    expect(() => checkAgainstSchema(square, 'clln.network/1', 'f.json')).not.toThrow();
  });

  it('names the field, the rule from the schema, the value found and the fix', () => {
    const e = problem({ ...square, nodes: 2.5 });
    expect(e.source).toBe('f.json');
    expect(e.field).toBe('nodes');
    expect(e.problem).toBe('must be a positive integer, at most 200000 (the limit of the format), got the number 2.5');
    expect(e.fix).toMatch(/number of nodes/);
  });

  it('says a missing field, and an unknown one with the nearest known name', () => {
    const { name: _n, ...noName } = square;
    expect(problem(noName).field).toBe('name');
    expect(problem(noName).problem).toMatch(/required field "name" is missing/);
    const typo = problem({ ...square, bonds: [1, 2] });
    expect(typo.field).toBe('bonds');
    expect(typo.fix).toMatch(/did you mean "bounds"/);
    // a misspelt required field is reported as the misspelling, not as the missing field
    const { conductance, ...rest } = square;
    const mis = problem({ ...rest, conductances: conductance });
    expect(mis.field).toBe('conductances');
    expect(mis.fix).toMatch(/did you mean "conductance"/);
  });

  it('points at the second of two equal entries', () => {
    const t = { format: 'clln.task/1', sources: [0, 1, 0], ground: [], targets: [2], train: [{ in: [0, 0, 0], out: [0] }] };
    const e = problem(t, 'clln.task/1');
    expect(e.field).toBe('sources[2]');
    expect(e.problem).toMatch(/listed twice \(also at sources\[0\]\)/);
  });

  it('keeps the message short whatever the value (one paragraph, no echo of huge values)', () => {
    const huge = 'x'.repeat(1_000_000);
    const e = problem({ ...square, nodes: huge });
    expect(e.message.length).toBeLessThan(600);
    const many = problem({ ...square, edges: Array.from({ length: 1000 }, () => [0, 1, 2]) });
    expect(many.field).toBe('edges[0]');
    expect(many.message.length).toBeLessThan(600);
  });

  it('for a value that matches none of a oneOf\'s forms, reports the form it evidently means (not "must match one schema")', () => {
    const plan = { format: 'clln.calibration-plan/1', board: 'penn-gen1', settings: { levels: [25, 50] }, patterns: { kind: 'random', count: 4, seed: 1 } };
    const f = 'clln.calibration-plan/1' as const;
    // explicit configurations with a bad entry: the configurations form's error, at the entry
    const cfg = problem({ ...plan, settings: { configurations: [[1, 'x']] } }, f);
    expect(cfg.field).toBe('settings.configurations[0][1]');
    // a typo of the sweep's field chooses the sweep, and names the typo
    const typo = problem({ ...plan, settings: { level: [25] } }, f);
    expect(typo.field).toBe('settings.level');
    expect(typo.fix).toMatch(/did you mean "levels"/);
    // a list of measurements is judged by the form its first entry resembles
    const gate = problem({ ...plan, reference: { conductance: [{ edge: -1, s: 1e-3 }] } }, f);
    expect(gate.field).toBe('reference.conductance[0].edge');
    // a value of no form's JSON type: the forms there are
    const none = problem({ ...plan, reference: { conductance: {} } }, f);
    expect(none.problem).toMatch(/must be "nominal-mean" or an array, got an object/);
  });

  it('compiles a schema that refers to another (a calibration record holds its plan) first, on its own', async () => {
    vi.resetModules();
    const fresh = await import('../../src/formats/schemaCheck.js');
    expect(typeof fresh.schemaValidator('clln.calibration/1')).toBe('function');
  });

  describe('in a calibration record', () => {
    const record = JSON.parse(readFileSync(new URL('../../calibration/examples/penn-gen1-twin-seed0.json', import.meta.url), 'utf8')) as Record<string, any>;
    const f = 'clln.calibration/1' as const;
    const edit = (change: (r: Record<string, any>) => void): Record<string, any> => {
      const r = structuredClone(record);
      change(r);
      return r;
    };

    it('accepts the shipped example', () => {
      expect(() => checkAgainstSchema(record, f, 'cal.json')).not.toThrow();
    });

    it('reports a oneOf of the plan it refers to by the form the value means, with the plan schema\'s words', () => {
      const e = problem(edit((r) => (r.plan.settings = { configurations: [[1, 'x']] })), f);
      expect(e.field).toBe('plan.settings.configurations[0][1]');
      expect(e.fix).toMatch(/clln\.calibration-plan\/1 format says/);
      expect(problem(edit((r) => (r.plan.settings = { levels: [] })), f).field).toBe('plan.settings.levels');
    });

    it('with no form told by the fields, takes the one whose constant ("kind") the value has', () => {
      const e = problem(edit((r) => (r.edges = { kind: 'tap' })), f);
      expect(e.field).toBe('edges.taps');
      expect(e.problem).toMatch(/required field "taps" is missing/);
    });

  });

  it('a node that only picks a form by its "kind" does not call the form\'s fields unknown', () => {
    const board = JSON.parse(readFileSync(new URL('../../twins/models/penn-gen1.json', import.meta.url), 'utf8')) as Record<string, any>;
    const { kind: _kind, ...edge } = board.edge;
    const e = problem({ ...board, edge }, 'clln.board/1');
    expect(e.field).toBe('edge.kind');
    expect(e.problem).toMatch(/required field "kind" is missing/);
  });

  it('prefixes the path of a document inside another (a plan inside a calibration record)', () => {
    try {
      checkAgainstSchema({ board: 'b', settings: { levels: [] }, patterns: { list: [] } }, 'clln.calibration-plan/1', 'cal.json', 'plan');
      throw new Error('expected a refusal');
    } catch (e) {
      expect((e as InvalidInputError).field).toBe('plan.settings.levels');
    }
  });
});
