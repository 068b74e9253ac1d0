/**
 * What a training run records per step, and how (issue 11, point 9): the data keys of the run's descriptor and the
 * event data of each step come from one definition, so that the two cannot disagree. Whatever a run mode measures is
 * declared exactly — names, shapes, units, element types, and for readings the node each value belongs to (`nodes`).
 *
 * Layout `clln.steps/3` (the descriptor's `layout` field):
 *
 * | key | host-stepped | device-stepped |
 * |---|---|---|
 * | `step`, `example` | integer | integer |
 * | `inputs` | [S] V, nodes = task sources | same |
 * | `vf` | [N] V, every node (nodes 0..N-1), `board:ADC` | [T] V, the targets (nodes = task targets), `board:STEP` |
 * | `vc` | [N] V, every node, clamped state | absent: the board's STEP does not report it |
 * | `vf_raw`, `vc_raw` | calibrated runs: the readings as the ADC gave them, `V (raw ADC)` | `vf_raw` only |
 * | `settings` | [E] taps or gate V after the step, per edge | same, read back from the board |
 * | `changed` | integer, `host:rule` | integer, `board:STEP` |
 * | `cost` | V^2 | V^2 |
 * | `alarm` | boolean, when the run checks every step (a calibration or a shipped model's law) | absent: not checked |
 * | `residual_max` | with `alarm`: the largest residual / its alarm threshold (dimensionless), null if nothing was checked | absent |
 *
 * With a calibration, `vf` and `vc` are node voltages through it (`host:calibration`, V) and the raw readings are
 * `vf_raw`/`vc_raw`; without one, `vf` and `vc` are the readings in the ADC's nominal volts. The cost is
 * 1/2 sum_T (vf_T - desired_T)^2 of the recorded `vf` in both cases. Layout `clln.steps/2` (clln 0.2) has the same keys
 * without `vf_raw`, `vc_raw` and `residual_max`, its `vf`/`vc` raw also in a calibrated run; it is resumed in its own
 * layout.
 *
 * Records of clln 0.1.0 have no `layout` (read as `clln.steps/1`): they declared `vf` and `vc` over every node in
 * both modes, though a device-stepped event holds the 2 target readings and a null `vc`, and recorded `alarm: false`
 * for steps never checked. {@link StepRecordLayout.ofRecord} continues such a record in its own layout (`clln
 * resume`); {@link StepRecordLayout.describedRun} gives it the descriptor of what its events hold (`clln export`).
 */
import type { BoardIdentity } from '../device/Board.js';
import type { Calibration } from '../calibration/Calibration.js';
import type { ConfigurationEntry } from '../store/configuration.js';
import { InvalidInputError, show } from '../errors.js';
import type { Task } from '../physics/Task.js';
import type { DataKey, DescriptorDoc, DescriptorInput, JsonValue, RunRecord } from '../store/documents.js';
import type { EngineStep } from './TrainingEngine.js';
import type { UpdateSite } from './TrainingPlan.js';

/**
 * The layout clln writes: `clln.steps/3` (issue 15) names raw readings apart from calibrated ones — in a calibrated
 * run `vf_raw`/`vc_raw` are the ADC's readings (units `V (raw ADC)`) and `vf`/`vc` the node voltages through the
 * calibration (units `V`); an uncalibrated run records `vf`/`vc` as read (the ADC's nominal volts, units `V`).
 */
export const STEP_LAYOUT = 'clln.steps/3';
/** clln 0.2's layout: the same keys, but a calibrated run's `vf`/`vc` are the raw readings (no `vf_raw`). */
export const STEP_LAYOUT_2 = 'clln.steps/2';
/** Units of a reading as the ADC reported it in a calibrated run. */
export const RAW_ADC_UNITS = 'V (raw ADC)';
/** Records without a `layout` field: clln 0.1.0. */
export const LEGACY_STEP_LAYOUT = 'clln.steps/1';

/** What a run measures, for its layout. */
export interface StepLayoutOptions {
  update: UpdateSite;
  /** Every step is checked against the board's Laplacian (host-stepped, with a known edge law): `alarm` is recorded. */
  checked: boolean;
  /** The run's calibration: readings are recorded raw (`vf_raw`, `vc_raw`) and calibrated (`vf`, `vc`). */
  calibration?: Calibration;
}

/** The keys clln 0.1.0 wrote, in order. */
const LEGACY_KEYS = ['step', 'example', 'inputs', 'vf', 'vc', 'settings', 'changed', 'cost', 'alarm'];

/** `cal`: the calibration when the layout records calibrated `vf`/`vc` beside `vf_raw`/`vc_raw`. */
type Extract = (s: EngineStep, cal: Calibration | undefined) => JsonValue | undefined;

/** The numbers of a typed array as a plain array (a loop: Array.from on a typed array was a visible part of a step). */
function list(a: ArrayLike<number>): number[] {
  const out = new Array<number>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i];
  return out;
}

/** How each key clln records is taken from a step (undefined: the step has no such value). */
const EXTRACT: Record<string, Extract> = {
  step: (s) => s.step,
  example: (s) => s.example,
  inputs: (s) => list(s.inputs),
  // calibrated: every node through the calibration (host-stepped), or the targets' calibrated free state (device)
  vf: (s, cal) => (cal ? list(s.update === 'host' ? cal.readingsToVolts(s.vf) : s.freeTargets) : list(s.vf)),
  vc: (s, cal) => (s.vc ? list(cal ? cal.readingsToVolts(s.vc) : s.vc) : undefined),
  vf_raw: (s) => list(s.vf),
  vc_raw: (s) => (s.vc ? list(s.vc) : undefined),
  settings: (s) => (s.settingsAfter ? list(s.settingsAfter) : undefined),
  changed: (s) => s.changed,
  cost: (s) => s.cost,
  alarm: (s) => s.check?.alarm,
  residual_max: (s) => residualMax(s.check),
};

/**
 * The check's largest residual over the free and clamped states, voltage and current, each divided by its alarm
 * threshold (dimensionless: above 1 the node alarms); null when no node was checked.
 */
function residualMax(check: unknown): JsonValue | undefined {
  if (check === undefined) return undefined;
  const c = check as { free?: { maxVoltageResidual: number; maxCurrentResidual: number }; clamped?: { maxVoltageResidual: number; maxCurrentResidual: number } };
  let max = -Infinity;
  for (const r of [c.free, c.clamped]) {
    if (!r) continue;
    if (Number.isFinite(r.maxVoltageResidual) && r.maxVoltageResidual > max) max = r.maxVoltageResidual;
    if (Number.isFinite(r.maxCurrentResidual) && r.maxCurrentResidual > max) max = r.maxCurrentResidual;
  }
  return max === -Infinity ? null : max;
}

/** The Bluesky object (device) each key comes from: `object_keys` and each data key's `object_name`. */
const OBJECT_OF: Record<string, string> = {
  step: 'engine',
  example: 'engine',
  inputs: 'task',
  vf_raw: 'board',
  vc_raw: 'board',
  settings: 'board',
  changed: 'board',
  cost: 'host',
  alarm: 'host',
  residual_max: 'host',
};

/** What the best-effort callback plots of each object (scalars against `step`). */
const HINTS: Record<string, string[]> = { engine: [], task: [], board: ['changed'], host: ['cost', 'residual_max'], calibration: [] };

export class StepRecordLayout {
  private readonly keys: [string, DataKey, Extract][];

  private constructor(
    /** `clln.steps/3`, `clln.steps/2`, or `clln.steps/1` for a record of clln 0.1.0. */
    readonly layout: string,
    readonly dataKeys: Record<string, DataKey>,
    /** Set when `vf`/`vc` are calibrated (the layout has `vf_raw`). */
    private readonly calibration?: Calibration,
  ) {
    this.keys = Object.entries(dataKeys).map(([k, d]) => [k, d, EXTRACT[k]]);
  }

  /** The layout of a new run of `task` on the board `identity`. */
  static forRun(identity: BoardIdentity, task: Task, opts: StepLayoutOptions): StepRecordLayout {
    const device = opts.update === 'device';
    const cal = opts.calibration;
    const nodes = Array.from({ length: identity.nodes }, (_, i) => i);
    const targets = Array.from(task.targets);
    const reading = (of: number[], source: string, units = 'V'): DataKey => ({ dtype: 'array', shape: [of.length], source, units, dims: ['node'], dtype_numpy: '<f8', nodes: of });
    const tap = identity.edge.kind === 'tap';
    const measured = device ? 'board:STEP' : 'board:ADC';
    const vfNodes = device ? targets : nodes;
    const readings: Record<string, DataKey> = cal
      ? {
          vf_raw: reading(vfNodes, measured, RAW_ADC_UNITS),
          vf: reading(vfNodes, 'host:calibration'),
          ...(device ? {} : { vc_raw: reading(nodes, 'board:ADC', RAW_ADC_UNITS), vc: reading(nodes, 'host:calibration') }),
        }
      : { vf: reading(vfNodes, measured), ...(device ? {} : { vc: reading(nodes, 'board:ADC') }) };
    const keys: Record<string, DataKey> = {
      step: { dtype: 'integer', shape: [], source: 'host:engine' },
      example: { dtype: 'integer', shape: [], source: 'host:engine' },
      inputs: { ...reading(Array.from(task.sources), 'task') },
      ...readings,
      settings: { dtype: 'array', shape: [identity.edges.length], source: 'board:edges', units: tap ? 'tap' : 'V', dims: ['edge'], dtype_numpy: tap ? '<i8' : '<f8' },
      changed: { dtype: 'integer', shape: [], source: device ? 'board:STEP' : 'host:rule' },
      cost: { dtype: 'number', shape: [], source: 'host', units: 'V^2' },
      ...(opts.checked
        ? {
            alarm: { dtype: 'boolean', shape: [], source: 'host:check' } satisfies DataKey,
            residual_max: { dtype: 'number', shape: [], source: 'host:check', units: '1 (residual / alarm threshold)', nullable: true } satisfies DataKey,
          }
        : {}),
    };
    for (const [k, d] of Object.entries(keys)) d.object_name = objectOf(k, cal !== undefined);
    return new StepRecordLayout(STEP_LAYOUT, keys, cal);
  }

  /**
   * The layout a record was written in, to append to it (`clln resume`): its own data keys, for a record of this
   * version or of clln 0.1.0. A record of a later layout, or with keys clln does not record, is refused naming the
   * file.
   */
  static ofRecord(path: string, descriptor: DescriptorDoc, calibration?: Calibration): StepRecordLayout {
    const layout = descriptor.layout === undefined ? LEGACY_STEP_LAYOUT : String(descriptor.layout);
    const keys = Object.keys(descriptor.data_keys);
    if (layout === LEGACY_STEP_LAYOUT) {
      if (keys.join() !== LEGACY_KEYS.join()) {
        throw new InvalidInputError({ source: path, field: 'descriptor.data_keys' }, `has keys ${keys.join(', ')}, not those of a clln training run (${LEGACY_KEYS.join(', ')})`, 'resume only runs written by clln train --board');
      }
    } else if (layout !== STEP_LAYOUT && layout !== STEP_LAYOUT_2) {
      throw new InvalidInputError({ source: path, field: 'descriptor.layout' }, `is ${show(layout)}; this clln writes ${STEP_LAYOUT}`, 'resume the run with the clln version that started it');
    } else {
      const unknown = keys.filter((k) => !Object.hasOwn(EXTRACT, k));
      if (unknown.length > 0) {
        throw new InvalidInputError({ source: path, field: 'descriptor.data_keys' }, `declares ${unknown.slice(0, 3).join(', ')}, which clln does not record`, 'resume only runs written by clln train --board');
      }
    }
    // calibrated vf/vc only where the record has them beside vf_raw (clln.steps/3 with a calibration)
    const calibrated = 'vf_raw' in descriptor.data_keys;
    if (calibrated && !calibration) {
      throw new InvalidInputError({ source: path, field: 'descriptor.data_keys.vf_raw' }, 'the run recorded calibrated readings, but its start document holds no calibration', 'the record was changed after it was written: start a new run');
    }
    return new StepRecordLayout(layout, descriptor.data_keys, calibrated ? calibration : undefined);
  }

  /**
   * The descriptor to create the run with: its data keys, Bluesky's `object_keys` (the keys of each object: `engine`,
   * `task`, `board`, `host`, and `calibration` for calibrated readings) and `hints` (what the best-effort callback
   * plots: `cost` and `changed`), and the `configuration` given (board identity, calibration, rule parameters).
   */
  descriptor(configuration?: Record<string, ConfigurationEntry>): DescriptorInput {
    const objectKeys: Record<string, string[]> = {};
    for (const [k, d] of Object.entries(this.dataKeys)) (objectKeys[String(d.object_name ?? 'host')] ??= []).push(k);
    const hints = Object.fromEntries(Object.keys(objectKeys).map((o) => [o, { fields: (HINTS[o] ?? []).filter((f) => objectKeys[o].includes(f)) }]));
    return { layout: this.layout, data_keys: this.dataKeys, object_keys: objectKeys, hints, ...(configuration ? { configuration } : {}) };
  }

  /**
   * The event data of a step. In layout 2 every declared value must be there with its declared length (an Error
   * otherwise: the engine and the layout disagree, a bug); in the legacy layout, what clln 0.1.0 wrote (null for a
   * missing clamped state or settings, `alarm: false` for an unchecked step).
   */
  eventData(s: EngineStep): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    const legacy = this.layout === LEGACY_STEP_LAYOUT;
    for (const [key, d, extract] of this.keys) {
      const v = extract(s, this.calibration);
      if (legacy) {
        out[key] = v ?? (key === 'alarm' ? false : null);
        continue;
      }
      if (v === undefined) throw new Error(`run record layout: step ${s.step} has no ${key}, which the descriptor declares`);
      if (d.dtype === 'array' && (v as JsonValue[]).length !== d.shape[0]) {
        throw new Error(`run record layout: step ${s.step} has ${(v as JsonValue[]).length} values of ${key}, the descriptor declares ${d.shape[0]}`);
      }
      out[key] = v;
    }
    return out;
  }

  /**
   * A run with the descriptor of what its events hold. Records of this layout are returned as they are. A training
   * record of clln 0.1.0 gets node lists (inputs: the task's sources; host-stepped vf and vc: every node;
   * device-stepped vf: the targets, shape [T]); its device-stepped events lose `vc` (always null: never measured)
   * and `alarm` (always false: never checked). Anything else is returned as it is.
   */
  static describedRun(run: RunRecord): RunRecord {
    const d = run.descriptor;
    if (d.layout !== undefined || Object.keys(d.data_keys).join() !== LEGACY_KEYS.join()) return run;
    const start = run.start as { plan?: { update?: unknown }; task?: { sources?: unknown; targets?: unknown }; board?: { nodes?: unknown } };
    const sources = nodeList(start.task?.sources);
    const targets = nodeList(start.task?.targets);
    const n = start.board?.nodes;
    if (!sources || !targets || !(typeof n === 'number' && Number.isInteger(n) && n > 0)) return run;
    const all = Array.from({ length: n }, (_, i) => i);
    const device = start.plan?.update === 'device';
    const keys: Record<string, DataKey> = {};
    for (const [k, dk] of Object.entries(d.data_keys)) {
      if (k === 'inputs') keys[k] = { ...dk, shape: [sources.length], dims: ['node'], nodes: sources };
      else if (k === 'vf') keys[k] = device ? { ...dk, shape: [targets.length], source: 'board:STEP', dims: ['node'], nodes: targets } : { ...dk, dims: ['node'], nodes: all };
      else if (k === 'vc' || k === 'alarm') {
        if (!device) keys[k] = k === 'vc' ? { ...dk, dims: ['node'], nodes: all } : dk;
      } else if (k === 'settings') keys[k] = { ...dk, dims: ['edge'] };
      else keys[k] = dk;
    }
    const events = device
      ? run.events.map((ev) => {
          const { vc: _vc, alarm: _alarm, ...data } = ev.data;
          const { vc: _tvc, alarm: _talarm, ...timestamps } = ev.timestamps;
          return { ...ev, data, timestamps };
        })
      : run.events;
    return { ...run, descriptor: { ...d, layout: LEGACY_STEP_LAYOUT, data_keys: keys }, events };
  }
}

/** The object a key belongs to; `vf`/`vc` are the board's readings, or the calibration's output beside `*_raw`. */
function objectOf(key: string, calibrated: boolean): string {
  if (key === 'vf' || key === 'vc') return calibrated ? 'calibration' : 'board';
  return OBJECT_OF[key] ?? 'host';
}

function nodeList(x: unknown): number[] | undefined {
  return Array.isArray(x) && x.every((n) => Number.isInteger(n) && n >= 0) ? (x as number[]) : undefined;
}
