/**
 * Issue 11, point 9: the layout that gives a training record's descriptor and events — its guards (a step that does
 * not fit the declared layout is a bug, refused before anything is written) and the records it will not append to.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import type { BoardIdentity } from '../../src/device/Board.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { LEGACY_STEP_LAYOUT, STEP_LAYOUT, StepRecordLayout } from '../../src/pipeline/StepRecordLayout.js';
import type { EngineStep } from '../../src/pipeline/TrainingEngine.js';
import type { Calibration } from '../../src/calibration/Calibration.js';
import type { DescriptorDoc, RunRecord } from '../../src/store/documents.js';
import { eventProblems } from '../../src/store/eventProblems.js';

const task = referenceTask({ count: 4 });
const id = { nodes: 16, edges: Array.from({ length: 33 }, (_, e) => [e % 16, (e + 1) % 16]), edge: { kind: 'tap', taps: 100 } } as unknown as BoardIdentity;

function step(update: 'host' | 'device', over: Partial<EngineStep> = {}): EngineStep {
  const n = update === 'host' ? 16 : 2;
  return {
    step: 4,
    example: 1,
    update,
    inputs: Float64Array.of(0.5, 0.25),
    desired: Float64Array.of(0.1, 0.2),
    vf: new Float64Array(n).fill(0.125),
    freeTargets: Float64Array.of(0.125, 0.125),
    ...(update === 'host' ? { vc: new Float64Array(16).fill(0.25) } : {}),
    settingsAfter: new Float64Array(33).fill(50),
    changed: 3,
    cost: 0.01,
    imposedFree: new Map(),
    imposedClamped: new Map(),
    attempts: 1,
    ...(update === 'host' ? { check: { alarm: false } } : {}),
    ...over,
  };
}

describe('StepRecordLayout', () => {
  it('the events it makes conform to the descriptor it makes', () => {
    for (const update of ['host', 'device'] as const) {
      const layout = StepRecordLayout.forRun(id, task, { update, checked: update === 'host' });
      expect(layout.descriptor().layout).toBe(STEP_LAYOUT);
      expect(eventProblems(layout.dataKeys, layout.eventData(step(update)))).toEqual([]);
    }
  });

  it('a calibrated run records raw and calibrated readings apart; a clln.steps/2 record keeps its raw vf', () => {
    // a calibration whose ADC reads 2 V + 0.1 V for 1 V: volts = (reading - 0.1) / 2
    const cal = { readingsToVolts: (r: ArrayLike<number>) => Float64Array.from(r, (x) => (x - 0.1) / 2) } as unknown as Calibration;
    const host = StepRecordLayout.forRun(id, task, { update: 'host', checked: true, calibration: cal });
    expect(host.dataKeys.vf_raw).toMatchObject({ units: 'V (raw ADC)', source: 'board:ADC', object_name: 'board' });
    expect(host.dataKeys.vf).toMatchObject({ units: 'V', source: 'host:calibration', object_name: 'calibration' });
    const d = host.eventData(step('host'));
    expect(eventProblems(host.dataKeys, d)).toEqual([]);
    expect((d.vf_raw as number[])[0]).toBe(0.125);
    expect((d.vf as number[])[0]).toBeCloseTo(0.0125, 15);
    expect((d.vc as number[])[0]).toBeCloseTo(0.075, 15);
    // device-stepped: the calibrated free state of the targets, as the step computed it
    const device = StepRecordLayout.forRun(id, task, { update: 'device', checked: false, calibration: cal });
    const dd = device.eventData(step('device', { freeTargets: Float64Array.of(0.5, 0.75) }));
    expect([dd.vf, dd.vf_raw]).toEqual([[0.5, 0.75], [0.125, 0.125]]);
    expect(device.dataKeys.vc_raw).toBeUndefined();
    // resumed: vf is calibrated only where the record has vf_raw beside it
    const doc = (layout: string, keys: object): DescriptorDoc => ({ uid: 'd', run_start: 's', time: 1, name: 'primary', layout, data_keys: keys as DescriptorDoc['data_keys'] });
    expect(StepRecordLayout.ofRecord('r.jsonl', doc(STEP_LAYOUT, host.dataKeys), cal).eventData(step('host')).vf).toEqual(d.vf);
    const v2 = StepRecordLayout.forRun(id, task, { update: 'host', checked: false });
    expect((StepRecordLayout.ofRecord('r.jsonl', doc('clln.steps/2', v2.dataKeys), cal).eventData(step('host')).vf as number[])[0]).toBe(0.125);
    expect(() => StepRecordLayout.ofRecord('r.jsonl', doc(STEP_LAYOUT, host.dataKeys))).toThrow(/recorded calibrated readings, but its start document holds no calibration/);
    // Bluesky: every key in one object, the hints name plottable scalars of their object
    const desc = host.descriptor();
    expect(desc.object_keys).toEqual({ engine: ['step', 'example'], task: ['inputs'], board: ['vf_raw', 'vc_raw', 'settings', 'changed'], calibration: ['vf', 'vc'], host: ['cost', 'alarm', 'residual_max'] });
    expect(desc.hints).toEqual({ engine: { fields: [] }, task: { fields: [] }, board: { fields: ['changed'] }, calibration: { fields: [] }, host: { fields: ['cost', 'residual_max'] } });
  });

  it('residual_max is the largest normalised residual of the check, null when nothing was checked', () => {
    const host = StepRecordLayout.forRun(id, task, { update: 'host', checked: true });
    const r = (v: number, c: number) => ({ maxVoltageResidual: v, maxCurrentResidual: c });
    expect(host.eventData(step('host', { check: { alarm: false, free: r(0.25, 0.5), clamped: r(1.5, NaN) } as never })).residual_max).toBe(1.5);
    expect(host.eventData(step('host', { check: { alarm: false } })).residual_max).toBeNull();
  });

  it('a step that does not fit the layout is an error, not a wrong event', () => {
    const host = StepRecordLayout.forRun(id, task, { update: 'host', checked: true });
    expect(() => host.eventData(step('host', { settingsAfter: null as unknown as Float64Array }))).toThrow(/step 4 has no settings, which the descriptor declares/);
    expect(() => host.eventData(step('host', { check: undefined }))).toThrow(/step 4 has no alarm/);
    expect(() => host.eventData(step('device'))).toThrow(/step 4 has 2 values of vf, the descriptor declares 16/);
  });

  it('resumes its own layout and clln 0.1.0\'s; refuses a later layout and keys it does not record', () => {
    const doc = (extra: Partial<DescriptorDoc>): DescriptorDoc => ({ uid: 'd', run_start: 's', time: 1, name: 'primary', data_keys: {}, ...extra });
    const own = StepRecordLayout.forRun(id, task, { update: 'device', checked: false });
    expect(StepRecordLayout.ofRecord('r.jsonl', doc({ layout: STEP_LAYOUT, data_keys: own.dataKeys })).dataKeys).toEqual(own.dataKeys);
    const legacyKeys = Object.fromEntries(['step', 'example', 'inputs', 'vf', 'vc', 'settings', 'changed', 'cost', 'alarm'].map((k) => [k, { dtype: 'number' as const, shape: [], source: 'x' }]));
    const legacy = StepRecordLayout.ofRecord('r.jsonl', doc({ data_keys: legacyKeys }));
    expect(legacy.layout).toBe(LEGACY_STEP_LAYOUT);
    // as clln 0.1.0 wrote a device-stepped step: vc null, alarm false
    expect(legacy.eventData(step('device'))).toMatchObject({ vf: [0.125, 0.125], vc: null, alarm: false });
    const refused = (d: DescriptorDoc, what: RegExp): void => {
      expect(() => StepRecordLayout.ofRecord('r.jsonl', d)).toThrow(InvalidInputError);
      expect(() => StepRecordLayout.ofRecord('r.jsonl', d)).toThrow(what);
    };
    refused(doc({ layout: 'clln.steps/9', data_keys: own.dataKeys }), /r\.jsonl: descriptor\.layout: is "clln\.steps\/9"; this clln writes clln\.steps\/3/);
    refused(doc({ layout: STEP_LAYOUT, data_keys: { ...own.dataKeys, residual: { dtype: 'number', shape: [], source: 'x' } } }), /declares residual, which clln does not record/);
    refused(doc({ data_keys: { x: { dtype: 'number', shape: [], source: 'x' } } }), /not those of a clln training run/);
  });

  it('describedRun leaves records of this layout, and records that are not clln training runs, as they are', () => {
    const run = { path: 'r', start: { uid: 's', time: 1 }, descriptor: { uid: 'd', run_start: 's', time: 1, name: 'primary', data_keys: {} }, events: [], torn: false, status: 'complete' } as RunRecord;
    expect(StepRecordLayout.describedRun(run)).toBe(run);
    const own = { ...run, descriptor: { ...run.descriptor, layout: STEP_LAYOUT, data_keys: StepRecordLayout.forRun(id, task, { update: 'host', checked: true }).dataKeys } };
    expect(StepRecordLayout.describedRun(own)).toBe(own);
  });
});
