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
