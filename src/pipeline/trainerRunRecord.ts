/**
 * The record of an in-process training run, whatever network it trains: the start document, the per-step recorder
 * and the reader with its replay, once for every network kind. A kind (simRunRecord.ts: resistor networks, layout
 * `clln.sim-steps/1`; springRunRecord.ts: spring networks, `clln.spring-steps/1`) supplies a
 * {@link TrainerRecordKind}: its layout and descriptor, the key of its learning parameters in the events
 * (`conductance`, `stiffness`) and of its options in the start document (`simulation`, `springs`), how its network,
 * task and options are written and read back, and how a trainer is rebuilt from a snapshot.
 *
 * What every kind shares: each step's event holds `k_sha256`, the first 16 hex digits of the SHA-256 of the learning
 * parameters after the step as little-endian float64 (8 bytes per element, in element order), and the parameters
 * themselves as a full snapshot every `snapshot_every` steps (steps s with (s + 1) mod snapshot_every = 0) and at the
 * plan's last step, null between. The training is deterministic, so the parameters after any recorded step follow
 * exactly from the last snapshot before it by replaying the steps between (the start document holds the network, the
 * task and every option); each replayed step is compared with its event (example where recorded, cost, changed,
 * digest), so a replay that would not give the recorded numbers bit for bit is refused, never silently different.
 */
import { createHash } from 'node:crypto';
import { CllnError, InvalidInputError, show } from '../errors.js';
import type { Task } from '../physics/Task.js';
import type { DescriptorInput, EventDoc, JsonValue, RunRecord, StartDoc } from '../store/documents.js';
import { eventLine } from '../store/readRun.js';
import type { RunWriter } from '../store/RunWriter.js';
import type { EvaluationStream } from './evaluationRecord.js';
import { startHead, type RecordedPlan } from './runRecord.js';
import type { RunTrainer } from './TrainerLearner.js';
import type { EngineStep, Evaluation, StepRecorder } from './TrainingEngine.js';
import type { TrainingPlan } from './TrainingPlan.js';

/**
 * Default steps between full snapshots: 100, or more for large networks so that snapshots average at most about
 * 1 kB per step (a parameter takes about 20 bytes of JSON: every ceil(E / 50) steps). A 16,384-node lattice with
 * diagonals (about 65,000 edges) snapshots every 1,300 steps.
 */
export function defaultSnapshotEvery(edges: number): number {
  return Math.max(100, Math.ceil(edges / 50));
}

/** First 16 hex digits of the SHA-256 of the parameters as little-endian float64 (the platform's byte order). */
export function parametersDigest(k: Float64Array): string {
  return createHash('sha256').update(new Uint8Array(k.buffer, k.byteOffset, k.byteLength)).digest('hex').slice(0, 16);
}

/** Is step `s` of a run of `steps` steps a full snapshot? */
export function isSnapshotStep(s: number, snapshotEvery: number, steps: number): boolean {
  return (s + 1) % snapshotEvery === 0 || s === steps - 1;
}

/** Is `start` the start document of a run whose options are under `optionsKey` (an object there)? */
export function hasRecordedOptions(start: StartDoc, optionsKey: string): boolean {
  const s = (start as Record<string, unknown>)[optionsKey];
  return typeof s === 'object' && s !== null && !Array.isArray(s);
}

/** A trainer as the record needs it: its resolved options, and steps that say what they did. */
export interface RecordedTrainer extends RunTrainer {
  readonly cfg: TrainerConfig;
  /** One step; `example` where the kind's steps have one (a resistor task's), `cost` before the update. */
  step(): { step: number; example?: number; cost: number; changed: number };
}

/** The resolved options every kind has: the plan's length and seed, and its example order where it has one. */
export interface TrainerConfig {
  steps: number;
  seed: number;
  order?: TrainingPlan['order'];
}

/** The types of one network kind, bundled. */
export interface KindTypes {
  trainer: RecordedTrainer;
  network: { edgeA: ArrayLike<number> };
  task: unknown;
  options: unknown;
  config: TrainerConfig;
  /** The event key (and snapshot field) of the learning parameters. */
  key: string;
}

/** A snapshot read back: the parameters after step `step - 1` (`step`: steps done), under the kind's key. */
export type ParameterSnapshot<P extends string> = { step: number } & { [k in P]: Float64Array };

/** What a network kind supplies to record, read and replay its runs. */
export interface TrainerRecordKind<X extends KindTypes> {
  /** The layout of the run's events (the descriptor's `layout`). */
  readonly layout: string;
  /** The start document's key of the recorded options, which tells a run of this kind. */
  readonly optionsKey: string;
  /** The event key of the parameter snapshots, and their field in {@link TrainerRunState.snapshots}. */
  readonly parametersKey: X['key'];
  /** The parameters and the element that has one, for messages: e.g. `conductances`, `edge`. */
  readonly parametersNoun: string;
  readonly elementNoun: string;
  /** The problem and fix when a record is not of this kind. */
  readonly notThisKind: { problem: string; fix: string };
  /** What a replay that does not reproduce its record prevents: `continued or diagnosed`. */
  readonly replayNeededTo: string;
  /** The example order when the kind has only one (spring steps: `sequential`); else the trainer's. */
  readonly fixedOrder?: TrainingPlan['order'];

  /** A trainer of `net` (at its parameters) on `task`. */
  trainer(net: X['network'], task: X['task'], options: X['options']): X['trainer'];
  /** The trainer's learning parameters (the live array its steps change). */
  parameters(t: X['trainer']): Float64Array;
  /** The task as the engine schedules it (a resistor task: itself). */
  engineTask(task: X['task']): Task;
  /** Plan fields beyond name, task, steps, order and seed (recorded in the start's `plan`). */
  planExtras(cfg: X['config']): Partial<TrainingPlan>;

  networkToJson(net: X['network']): unknown;
  taskToJson(task: X['task']): unknown;
  /** The start document's `[optionsKey]`: the trainer's options, fully defaulted, and `snapshot_every`. */
  recordedOptions(cfg: X['config'], net: X['network'], snapshotEvery: number): object;
  /** The primary descriptor, given the start document (its `configuration`). */
  descriptor(t: X['trainer'], start: StartDoc): DescriptorInput;
  /** One step's event data, given the digest of its parameters and, on snapshot steps, the parameters. */
  eventData(s: EngineStep, digest: string, snapshot: Float64Array | null): Record<string, unknown>;

  /** The start document's network and task, read back (`where`: the place for messages). */
  parseNetwork(doc: unknown, where: string): X['network'];
  parseTask(doc: unknown, where: string, net: X['network']): X['task'];
  /** The trainer's options from the recorded ones and the plan; bad recorded values are InvalidInputErrors at `at(field)`. */
  options(recorded: Record<string, unknown>, plan: RecordedPlan, at: (field: string) => { source: string; field: string }): X['options'];
  /** The options resolved (as the trainer does); an InvalidInputError names the option's field. */
  resolve(net: X['network'], options: X['options']): X['config'];
  /** The problem with one recorded parameter of `net`'s snapshots, or undefined when it is a valid one. */
  parameterProblem(net: X['network']): (x: unknown) => string | undefined;
  /** The network at the snapshot's parameters, or at its initial ones when there is no snapshot. */
  withParameters(net: X['network'], snapshot: Float64Array | null): X['network'];
  /** Refuse (InvalidInputError) a trainer whose steps cannot be replayed bit for bit. */
  checkReplayable?(t: X['trainer'], at: (field: string) => { source: string; field: string }): void;
}

/** The start document of an in-process run. `board` and `calibration` are null: nothing was measured. */
export interface TrainerStart extends StartDoc {
  plan_name: string;
  software: { name: 'clln'; version: string };
  seed: number;
  board: null;
  calibration: null;
  network: unknown;
  task: unknown;
  plan: RecordedPlan;
}

/** The engine's plan of a fresh run of `task` with the trainer's resolved options. */
export function trainerPlan<X extends KindTypes>(kind: TrainerRecordKind<X>, name: string, task: X['task'], cfg: X['config'], evalEvery?: number): TrainingPlan {
  return { name, task: kind.engineTask(task), steps: cfg.steps, order: kind.fixedOrder ?? cfg.order, seed: cfg.seed, ...kind.planExtras(cfg), ...(evalEvery ? { evalEvery } : {}) };
}

/** The start document of a run of `net` on `task` with the trainer's config. */
export function trainerStart<X extends KindTypes>(kind: TrainerRecordKind<X>, plan: TrainingPlan, net: X['network'], task: X['task'], cfg: X['config'], snapshotEvery: number): TrainerStart {
  const { task: _engineTask, ...rest } = plan;
  return {
    ...startHead(plan),
    seed: cfg.seed,
    board: null,
    calibration: null,
    network: kind.networkToJson(net),
    task: kind.taskToJson(task),
    [kind.optionsKey]: kind.recordedOptions(cfg, net, snapshotEvery),
    plan: rest,
  };
}

/** Appends one compact event per step (a synchronous write, in the OS before the next step). */
export class TrainerRunRecorder<X extends KindTypes> implements StepRecorder {
  constructor(
    readonly kind: TrainerRecordKind<X>,
    readonly writer: RunWriter,
    readonly snapshotEvery: number,
    /** The plan's step count (its last step is always a snapshot). */
    readonly steps: number,
    /** The run's evaluation stream (evaluationRecord.ts). */
    readonly evaluations?: EvaluationStream,
  ) {}

  recordEvaluation(e: Evaluation): void {
    this.evaluations?.record(e);
  }

  record(s: EngineStep): void {
    const k = s.settingsAfter;
    this.writer.append(this.kind.eventData(s, parametersDigest(k), isSnapshotStep(s.step, this.snapshotEvery, this.steps) ? k : null));
  }
}

/** A run read back from its record. */
export interface TrainerRunState<X extends KindTypes> {
  network: X['network'];
  task: X['task'];
  options: X['options'];
  cfg: X['config'];
  /** The engine's plan, starting at `stepsDone`. */
  plan: TrainingPlan;
  snapshotEvery: number;
  /** Snapshots recorded, in order. */
  snapshots: ParameterSnapshot<X['key']>[];
  /**
   * With `replay`: a trainer at the last recorded step (parameters after it, stepCount = steps recorded), rebuilt
   * from the last snapshot and the steps after it, each checked against its recorded event.
   */
  trainer?: X['trainer'];
  /** Steps recorded (the step a continued run starts with). */
  stepsDone: number;
}

const EDITED = 'the record was changed after it was written: correct the value, or start a new run';

/**
 * Read a run's start document and events; with `replay`, also rebuild the trainer at its last recorded step.
 * Problems name the record file, the line and the field; a replay that does not reproduce a recorded event is a
 * CllnError naming that event.
 */
export function readTrainerRun<X extends KindTypes>(kind: TrainerRecordKind<X>, run: RunRecord, opts: { replay: boolean }): TrainerRunState<X> {
  const path = run.path;
  const s = run.start as Partial<TrainerStart> & Record<string, unknown>;
  if (!hasRecordedOptions(run.start, kind.optionsKey) || !s.network || !s.task || !s.plan) {
    throw new InvalidInputError({ source: path, field: 'line 1: start' }, kind.notThisKind.problem, kind.notThisKind.fix);
  }
  const network = kind.parseNetwork(s.network, `${path}: line 1: start.network`);
  const task = kind.parseTask(s.task, `${path}: line 1: start.task`, network);
  const recorded = s[kind.optionsKey] as Record<string, unknown>;
  const at = (field: string) => ({ source: `${path}: line 1`, field: `start.${field}` });
  const every = recorded.snapshot_every;
  if (!(typeof every === 'number' && Number.isInteger(every) && every >= 1)) throw new InvalidInputError(at(`${kind.optionsKey}.snapshot_every`), `must be an integer >= 1, got ${show(every)}`, EDITED);
  const plan = s.plan;
  const options = kind.options(recorded, plan, at);
  let cfg: X['config'];
  try {
    cfg = kind.resolve(network, options);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    const field = e.field === 'steps' || e.field === 'order' || e.field === 'seed' ? `plan.${e.field}` : `${kind.optionsKey}.${e.field ?? ''}`;
    throw new InvalidInputError(at(field), e.problem, EDITED);
  }

  // events: steps 0, 1, ... in order; snapshots where they are due
  const key = kind.parametersKey;
  const E = network.edgeA.length;
  const problem = kind.parameterProblem(network);
  const snapshots: ParameterSnapshot<X['key']>[] = [];
  let lastSnap = -1; // index into run.events
  run.events.forEach((ev, i) => {
    const d = ev.data;
    const where = (field: string) => ({ source: path, field: `line ${eventLine(ev)}: data.${field}` });
    if (d.step !== i) throw new InvalidInputError(where('step'), `must be ${i} (event ${ev.seq_num} of a run that starts at step 0), got ${show(d.step)}`, EDITED);
    const k = d[key];
    if (k === null || k === undefined) return;
    if (!Array.isArray(k) || k.length !== E) {
      throw new InvalidInputError(where(key), `must be null or an array of ${E} ${kind.parametersNoun} (one per ${kind.elementNoun} of the run's network), got ${Array.isArray(k) ? `${k.length} values` : show(k)}`, EDITED);
    }
    k.forEach((x, e) => {
      const p = problem(x);
      if (p !== undefined) throw new InvalidInputError(where(`${key}[${e}]`), p, EDITED);
    });
    const arr = Float64Array.from(k as number[]);
    const digest = parametersDigest(arr);
    if (digest !== d.k_sha256) throw new InvalidInputError(where('k_sha256'), `${show(d.k_sha256)} is not the digest of the event's own ${kind.parametersNoun} (${digest})`, EDITED);
    snapshots.push({ step: i + 1, [key]: arr } as ParameterSnapshot<X['key']>);
    lastSnap = i;
  });
  const stepsDone = run.events.length;
  const state: TrainerRunState<X> = {
    network,
    task,
    options,
    cfg,
    plan: { ...plan, task: kind.engineTask(task), ...(kind.fixedOrder ? { order: kind.fixedOrder } : {}), startStep: stepsDone },
    snapshotEvery: every,
    snapshots,
    stepsDone,
  };
  if (!opts.replay) return state;

  const from = lastSnap >= 0 ? snapshots[snapshots.length - 1][key] : null;
  const trainer = kind.trainer(kind.withParameters(network, from), task, options);
  kind.checkReplayable?.(trainer, at);
  trainer.stepCount = lastSnap + 1;
  for (const ev of run.events.slice(lastSnap + 1)) replayStep(kind, trainer, ev, path);
  state.trainer = trainer;
  return state;
}

/** One step of the trainer, which must reproduce event `ev` exactly. */
function replayStep<X extends KindTypes>(kind: TrainerRecordKind<X>, trainer: X['trainer'], ev: EventDoc, path: string): void {
  const d = ev.data;
  const r = trainer.step();
  const got: Record<string, JsonValue> = {
    ...(r.example !== undefined ? { example: r.example } : {}),
    cost: Number.isFinite(r.cost) ? r.cost : null,
    changed: r.changed,
    k_sha256: parametersDigest(kind.parameters(trainer)),
  };
  const field = Object.keys(got).find((f) => got[f] !== d[f]);
  if (field === undefined) return;
  throw new CllnError(
    `${path}: line ${eventLine(ev)}: data.${field}: replaying step ${r.step} from the last snapshot gives ${show(got[field])}, the record ${show(d[field])}: ` +
      `the record was changed after it was written, or written by a clln or platform that computes differently; it cannot be ${kind.replayNeededTo} exactly here`,
  );
}
