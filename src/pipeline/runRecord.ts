import { randomUUID } from 'node:crypto';
import { VERSION } from '../version.js';
import type { BoardIdentity } from '../device/Board.js';
import type { ConnectOptions } from '../device/connectBoard.js';
import { InvalidInputError, show } from '../errors.js';
import { networkToJson, parseNetwork } from '../formats/networkFile.js';
import { parseTask, taskToJson } from '../formats/taskFile.js';
import type { Network } from '../physics/Network.js';
import type { StartDoc } from '../store/documents.js';
import { configurationEntry, type ConfigurationEntry } from '../store/configuration.js';
import { eventLine } from '../store/readRun.js';
import type { RunWriter } from '../store/RunWriter.js';
import type { EngineStep, Evaluation, StepRecorder } from './TrainingEngine.js';
import type { EvaluationStream } from './evaluationRecord.js';
import { Calibration, type CalibrationSummary } from '../calibration/Calibration.js';
import { checkCalibrationPlausible } from '../calibration/plausibility.js';
import { parseCalibrationRecord } from '../calibration/recordFile.js';
import type { CalibrationRecord } from '../calibration/types.js';
import type { StepRecordLayout } from './StepRecordLayout.js';
import type { ResolvedPlan, TrainingPlan } from './TrainingPlan.js';

/** Software version written into every start document. */
export const SOFTWARE_VERSION = VERSION;

/** How the run reached its board: enough to connect again on resume. */
export interface BoardConnection extends TwinConnectOptions {
  /** Board spec: twin[:MODEL], pty[:MODEL] or serial:PATH. */
  spec: string;
}

/** The twin options of connectBoard that a record keeps (ignored for hardware). */
export type TwinConnectOptions = Pick<ConnectOptions, 'seed' | 'ideal' | 'faults' | 'twinBaud'>;

/** The plan fields a run record keeps (the task is stored once, as a task file). */
export type RecordedPlan = Omit<TrainingPlan, 'task'>;

/** Everything `start` holds, as clln writes it (docs/design.md "Run records"). */
export interface TrainingStart extends StartDoc {
  plan_name: string;
  software: { name: 'clln'; version: string };
  seed: number;
  board: BoardIdentity;
  connection: BoardConnection;
  /**
   * The calibration in force (host-side updates, evaluations and checks used it), with the whole record so that
   * the run can be reproduced and resumed with it; null when uncalibrated. Events record the readings raw (`vf_raw`,
   * `vc_raw`) and through it (`vf`, `vc`).
   */
  calibration: (CalibrationSummary & { record: CalibrationRecord }) | null;
  network: unknown;
  task: unknown;
  plan: RecordedPlan;
}

/** Bluesky's start-document hints: the primary stream is plotted against `step` (the best-effort callback's x axis). */
export const START_HINTS = { dimensions: [[['step'], 'primary']] };

/**
 * What opens every run's start document, board or simulated: a fresh uid, the time, the plan's name, this software,
 * and the hints of lab tools.
 */
export function startHead(plan: Pick<TrainingPlan, 'name'>): { uid: string; time: number; plan_name: string; software: { name: 'clln'; version: string }; hints: typeof START_HINTS } {
  return { uid: randomUUID(), time: Date.now() / 1000, plan_name: plan.name ?? 'train', software: { name: 'clln', version: SOFTWARE_VERSION }, hints: START_HINTS };
}

/**
 * The primary descriptor's `configuration` of a board run: the board's identity (`board`), the calibration in force
 * (`calibration`, when there is one) and the rule's parameters (`rule`), each stamped with the start time.
 */
export function boardConfiguration(id: BoardIdentity, plan: ResolvedPlan, calibration: Calibration | undefined, time: number): Record<string, ConfigurationEntry> {
  const edge = id.edge;
  return {
    board: configurationEntry(
      {
        model: id.model,
        uid: id.uid,
        firmware: id.firmware,
        protocol: id.protocol,
        nodes: id.nodes,
        edges: id.edges.length,
        edge_kind: edge.kind,
        taps: edge.kind === 'tap' ? edge.taps : undefined,
        gate_lo: edge.kind === 'gate' ? edge.lo : undefined,
        gate_hi: edge.kind === 'gate' ? edge.hi : undefined,
        adc_bits: id.adc.bits,
        adc_range: [id.adc.lo, id.adc.hi],
        dac_range: [id.dac.lo, id.dac.hi],
      },
      'board:ID',
      time,
      { gate_lo: 'V', gate_hi: 'V', adc_range: 'V', dac_range: 'V' },
    ),
    ...(calibration ? { calibration: configurationEntry({ ...calibration.summary() }, 'host:calibration', time) } : {}),
    rule: configurationEntry(
      { rule: 'cl', update: plan.update, eta: plan.eta, amp: edge.kind === 'gate' ? plan.amp : undefined, samples: plan.samples, steps: plan.steps, order: plan.order, seed: plan.seed, eval_every: plan.evalEvery },
      'host:plan',
      time,
      { amp: 'V/V^2' },
    ),
  };
}

/** Build the start document of a training run. */
export function trainingStart(plan: TrainingPlan, net: Network, identity: BoardIdentity, connection: BoardConnection, calibration?: Calibration): TrainingStart {
  const { task, ...rest } = plan;
  return {
    ...startHead(plan),
    seed: plan.seed ?? 0,
    board: identity,
    connection,
    calibration: calibration ? { ...calibration.summary(), record: calibration.record } : null,
    network: networkToJson(net),
    task: taskToJson(task),
    plan: rest,
  };
}

/**
 * Appends one event per engine step, in the layout of the run's descriptor ({@link StepRecordLayout}); the append is a
 * synchronous write, so it is in the OS before the next step.
 */
export class RunRecorder implements StepRecorder {
  constructor(
    readonly writer: RunWriter,
    readonly layout: StepRecordLayout,
    /** The run's evaluation stream (evaluationRecord.ts). */
    readonly evaluations?: EvaluationStream,
  ) {}

  record(s: EngineStep): void {
    this.writer.append(this.layout.eventData(s));
  }

  recordEvaluation(e: Evaluation): void {
    this.evaluations?.record(e);
  }
}

/** What a resume needs from a record: the plan, the files, the board connection, and where to restart. */
export interface ResumePoint {
  plan: TrainingPlan;
  network: Network;
  connection: BoardConnection;
  /** First step still to run. */
  startStep: number;
  /** Settings recorded with the last step, to put back on the board; null when no step was recorded. */
  settings: Float64Array | null;
  /** The calibration the run used, or undefined. */
  calibration?: Calibration;
}

/**
 * Rebuild the run's plan and state from its start document (line 1 of the file) and last event. Problems are
 * InvalidInputErrors naming `path`, the line and the field (e.g. `line 1: start.network: edges[3]`,
 * `line 25: data.step`).
 */
export function resumePoint(path: string, start: Record<string, unknown>, lastEvent: { data: Record<string, unknown>; seq_num?: number } | undefined): ResumePoint {
  const s = start as Partial<TrainingStart>;
  if (!s.plan || !s.network || !s.task || !s.connection) {
    throw new InvalidInputError({ source: path, field: 'line 1: start' }, 'is not a clln training run (no plan, network, task or connection in its start document)', 'resume only runs written by clln train --board');
  }
  const network = parseNetwork(s.network, `${path}: line 1: start.network`);
  const task = parseTask(s.task, `${path}: line 1: start.task`, network);
  const d = lastEvent?.data;
  const at = `line ${eventLine(lastEvent)}: data`;
  const fix = 'the record was changed after it was written: correct the value, or start a new run';
  let settings: Float64Array | null = null;
  if (d && Array.isArray(d.settings)) {
    const raw = d.settings as unknown[];
    raw.forEach((x, e) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidInputError({ source: path, field: `${at}.settings[${e}]` }, `must be a finite number, got ${show(x)}`, fix);
    });
    settings = Float64Array.from(raw as number[]);
  }
  if (d && !(typeof d.step === 'number' && Number.isInteger(d.step) && d.step >= 0)) {
    throw new InvalidInputError({ source: path, field: `${at}.step` }, `must be an integer >= 0, got ${show(d.step)}`, fix);
  }
  const startStep = d ? (d.step as number) + 1 : 0;
  const c = s.calibration;
  let calibration: Calibration | undefined;
  if (c && c.record) {
    const source = `${path}: line 1: start.calibration.record`;
    const record = parseCalibrationRecord(c.record, source);
    checkCalibrationPlausible(record, source);
    calibration = new Calibration(record, c.file);
  }
  return { plan: { ...s.plan, task, startStep }, network, connection: s.connection, startStep, settings, ...(calibration ? { calibration } : {}) };
}
