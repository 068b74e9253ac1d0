/**
 * The record of a spring-network training run (`clln train NET.springs.json TASK.strain.json`), layout
 * `clln.spring-steps/1`: the same event-model documents as every training run (src/store/README.md), compact per step.
 *
 * Its own layout, not `clln.sim-steps/1`: a spring step has no example and no volts; it has a target strain per
 * direction and the solves' residual, and its settings are stiffnesses. Each step's event holds `step`, `cost`
 * (C = 1/2 sum_d (eps_T^F - Delta)^2 before the update, dimensionless), `target_strain` ([D] eps_T^F per direction
 * before the update), `changed` (springs the rule moved), `residual` (largest relative residual of the step's solves),
 * `k_sha256` (the first 16 hex digits of the SHA-256 of the stiffnesses after the step, little-endian float64, spring
 * order) and `stiffness` ([E] energy / length^2 after the step): a full snapshot every `snapshot_every` steps and at
 * the plan's last step, null between.
 *
 * The start document holds the spring network (`clln.springs/1`), the strain task (`clln.strain-task/1`), `plan` and
 * `springs: {rule, eta, alpha, bounds, snapshot_every}`: everything SpringTrainer needs. The training is deterministic
 * (sparse Cholesky, no warm starts), so the stiffnesses after any recorded step follow from the last snapshot before
 * it by replaying the steps between, each checked against its recorded cost, changed and digest; resume replays so.
 */
import { CllnError, InvalidInputError, show } from '../errors.js';
import { parseSprings, springsToJson } from '../formats/springsFile.js';
import { parseStrainTask, strainTaskToJson } from '../formats/strainTaskFile.js';
import type { SpringNetwork } from '../physics/springs/SpringNetwork.js';
import { resolveSpringTrainOptions, SpringTrainer, type SpringTrainConfig, type SpringTrainOptions } from '../physics/springs/SpringTrainer.js';
import type { StrainTask } from '../physics/springs/StrainTask.js';
import type { Task } from '../physics/Task.js';
import { configurationEntry } from '../store/configuration.js';
import type { DescriptorInput, EventDoc, RunRecord, StartDoc } from '../store/documents.js';
import { eventLine } from '../store/readRun.js';
import type { RunWriter } from '../store/RunWriter.js';
import type { EvaluationStream, EvaluationUnits } from './evaluationRecord.js';
import { startHead, type RecordedPlan } from './runRecord.js';
import { conductanceDigest, defaultSnapshotEvery, isSnapshotStep } from './simRunRecord.js';
import type { EngineStep, Evaluation, StepRecorder } from './TrainingEngine.js';
import type { TrainingPlan } from './TrainingPlan.js';

/** The layout of a spring run's events (the descriptor's `layout`). */
export const SPRING_STEP_LAYOUT = 'clln.spring-steps/1';

/** Units of a spring run's evaluation stream: strains are dimensionless. */
export const STRAIN_EVALUATION_UNITS: EvaluationUnits = { mse: '1 (strain^2)', outputs: '1 (strain)' };

/** Default steps between stiffness snapshots: as simulated resistor runs (at most about 1 kB of snapshot per step). */
export const defaultSpringSnapshotEvery = defaultSnapshotEvery;

/** The digest of the stiffnesses (that of simulated runs' conductances: SHA-256 of the float64 bytes, 16 hex digits). */
export const stiffnessDigest = conductanceDigest;

/** The trainer's options as recorded (fully defaulted). */
export interface RecordedSprings {
  rule: SpringTrainConfig['rule'];
  eta: number;
  alpha: number;
  /** [k_min, k_max], energy / length^2. */
  bounds: [number, number];
  /** Steps between full stiffness snapshots. */
  snapshot_every: number;
}

/** The start document of a spring run. `board` and `calibration` are null: nothing was measured. */
export interface SpringStart extends StartDoc {
  plan_name: string;
  software: { name: 'clln'; version: string };
  seed: number;
  board: null;
  calibration: null;
  /** clln.springs/1. */
  network: unknown;
  /** clln.strain-task/1. */
  task: unknown;
  springs: RecordedSprings;
  plan: RecordedPlan;
}

/** Is this the start document of a spring-network run? */
export function isSpringRun(start: StartDoc): boolean {
  const s = (start as { springs?: unknown }).springs;
  return typeof s === 'object' && s !== null && !Array.isArray(s);
}

/**
 * The engine schedules examples of a resistor task; a spring step is one pass over the task's directions, so the
 * engine is given this stand-in with one training example and no test examples (sources: the source pair, targets:
 * the target pair; values: eps_S and Delta). Only its example count reaches the engine (step s uses example 0).
 */
export function springEngineTask(task: StrainTask): Task {
  return {
    sources: Int32Array.from(task.source),
    ground: new Int32Array(0),
    targets: Int32Array.from(task.target),
    train: [{ in: Float64Array.of(task.sourceStrain), out: Float64Array.of(task.delta) }],
    test: [],
  };
}

/** The start document of a spring run of `net` and `task` with the trainer's config. */
export function springStart(plan: TrainingPlan, net: SpringNetwork, task: StrainTask, cfg: SpringTrainConfig, snapshotEvery: number): SpringStart {
  const { task: _engineTask, ...rest } = plan;
  return {
    ...startHead(plan),
    seed: cfg.seed,
    board: null,
    calibration: null,
    network: springsToJson(net),
    task: strainTaskToJson(task),
    springs: { rule: cfg.rule, eta: cfg.eta, alpha: cfg.alpha, bounds: [cfg.bounds[0], cfg.bounds[1]], snapshot_every: snapshotEvery },
    plan: rest,
  };
}

/**
 * The descriptor of a spring run with `springs` springs and `directions` task directions: data keys, `object_keys`
 * (`engine`: step; `springs`: the rest), `hints` (plot `cost` and `changed`), and the `configuration` (`springs`:
 * rule and parameters; `network`: name, nodes, springs).
 */
export function springDescriptor(springs: number, directions: number, start?: SpringStart): DescriptorInput {
  const sp = start?.springs;
  const task = start?.task as { delta?: number; sourceStrain?: number; lambda?: number; cooperative?: boolean } | undefined;
  return {
    layout: SPRING_STEP_LAYOUT,
    data_keys: {
      step: { dtype: 'integer', shape: [], source: 'host:engine', object_name: 'engine' },
      cost: { dtype: 'number', shape: [], source: 'sim:free', units: '1 (strain^2)', object_name: 'springs' },
      target_strain: { dtype: 'array', shape: [directions], source: 'sim:free', units: '1 (strain)', dims: ['direction'], dtype_numpy: '<f8', object_name: 'springs' },
      changed: { dtype: 'integer', shape: [], source: 'sim:rule', object_name: 'springs' },
      residual: { dtype: 'number', shape: [], source: 'sim:solve', units: '1 (relative residual)', object_name: 'springs' },
      k_sha256: { dtype: 'string', shape: [], source: 'sim:rule', object_name: 'springs' },
      stiffness: { dtype: 'array', shape: [springs], source: 'sim:rule', units: 'energy / length^2', dims: ['edge'], dtype_numpy: '<f8', nullable: true, object_name: 'springs' },
    },
    object_keys: { engine: ['step'], springs: ['cost', 'target_strain', 'changed', 'residual', 'k_sha256', 'stiffness'] },
    hints: { engine: { fields: [] }, springs: { fields: ['cost', 'changed'] } },
    ...(sp && start
      ? {
          configuration: {
            springs: configurationEntry(
              {
                rule: sp.rule,
                eta: sp.eta,
                alpha: sp.alpha,
                bounds: sp.bounds,
                snapshot_every: sp.snapshot_every,
                steps: start.plan.steps,
                seed: start.seed,
                eval_every: start.plan.evalEvery ?? 0,
                delta: task?.delta,
                source_strain: task?.sourceStrain,
                lambda: task?.lambda,
                cooperative: task?.cooperative,
              },
              'host:plan',
              start.time,
              { bounds: 'energy / length^2' },
            ),
            network: configurationEntry(
              { name: (start.network as { name?: string }).name, nodes: (start.network as { positions?: unknown[] }).positions?.length, springs },
              'host:network',
              start.time,
            ),
          },
        }
      : {}),
  };
}

/** What the spring learner adds to a step for the recorder (SpringLearner.ts). */
export interface SpringStepExtras {
  /** eps_T^F per direction before the update. */
  targetStrains: Float64Array;
  /** Largest relative residual of the step's solves. */
  residual: number;
}

/** Appends one compact event per step of a spring run (a synchronous write, in the OS before the next step). */
export class SpringRunRecorder implements StepRecorder {
  constructor(
    readonly writer: RunWriter,
    readonly snapshotEvery: number,
    /** The plan's step count (its last step is always a snapshot). */
    readonly steps: number,
    readonly evaluations?: EvaluationStream,
  ) {}

  recordEvaluation(e: Evaluation): void {
    this.evaluations?.record(e);
  }

  record(s: EngineStep): void {
    const k = s.settingsAfter;
    const x = (s as EngineStep & { springs?: SpringStepExtras }).springs;
    if (!x) throw new Error(`SpringRunRecorder: step ${s.step} is not a spring step (no target strains)`);
    this.writer.append({
      step: s.step,
      cost: finiteOrNull(s.cost),
      target_strain: Array.from(x.targetStrains, finiteOrNull),
      changed: s.changed,
      residual: finiteOrNull(x.residual),
      k_sha256: stiffnessDigest(k),
      stiffness: isSnapshotStep(s.step, this.snapshotEvery, this.steps) ? k : null,
    });
  }
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** A spring run read back from its record. */
export interface SpringRunState {
  network: SpringNetwork;
  task: StrainTask;
  options: SpringTrainOptions;
  cfg: SpringTrainConfig;
  /** The engine's plan (its task the stand-in of {@link springEngineTask}), starting at `stepsDone`. */
  plan: TrainingPlan;
  snapshotEvery: number;
  /** Snapshots recorded: stiffnesses after step `step - 1` (`step`: steps done), in order. */
  snapshots: { step: number; stiffness: Float64Array }[];
  /** With `replay`: a trainer at the last recorded step, rebuilt from the last snapshot and the steps after it. */
  trainer?: SpringTrainer;
  /** Steps recorded (the step a continued run starts with). */
  stepsDone: number;
}

const EDITED = 'the record was changed after it was written: correct the value, or start a new run';

/**
 * Read a spring run's start document and events; with `replay`, also rebuild the trainer at its last recorded step.
 * Problems name the record file, the line and the field.
 */
export function readSpringRun(run: RunRecord, opts: { replay: boolean }): SpringRunState {
  const path = run.path;
  const s = run.start as Partial<SpringStart>;
  if (!isSpringRun(run.start) || !s.network || !s.task || !s.plan) {
    throw new InvalidInputError({ source: path, field: 'line 1: start' }, 'is not a spring-network training run (no springs, network, task or plan in its start document)', 'give a run written by clln train NET.springs.json TASK.strain.json');
  }
  const network = parseSprings(s.network, `${path}: line 1: start.network`);
  const task = parseStrainTask(s.task, `${path}: line 1: start.task`, network);
  const sp = s.springs!;
  const at = (field: string) => ({ source: `${path}: line 1`, field: `start.${field}` });
  const every = sp.snapshot_every;
  if (!(typeof every === 'number' && Number.isInteger(every) && every >= 1)) throw new InvalidInputError(at('springs.snapshot_every'), `must be an integer >= 1, got ${show(every)}`, EDITED);
  const plan = s.plan;
  const options: SpringTrainOptions = { rule: sp.rule, eta: sp.eta, alpha: sp.alpha, bounds: sp.bounds, steps: plan.steps, seed: plan.seed };
  let cfg: SpringTrainConfig;
  try {
    cfg = resolveSpringTrainOptions(network, options);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    const field = e.field === 'steps' || e.field === 'seed' ? `plan.${e.field}` : `springs.${e.field ?? ''}`;
    throw new InvalidInputError(at(field), e.problem, EDITED);
  }
  const E = network.edgeA.length;
  const snapshots: { step: number; stiffness: Float64Array }[] = [];
  let lastSnap = -1;
  run.events.forEach((ev, i) => {
    const d = ev.data;
    const where = (field: string) => ({ source: path, field: `line ${eventLine(ev)}: data.${field}` });
    if (d.step !== i) throw new InvalidInputError(where('step'), `must be ${i} (event ${ev.seq_num} of a run that starts at step 0), got ${show(d.step)}`, EDITED);
    if (d.stiffness === null || d.stiffness === undefined) return;
    const k = d.stiffness;
    if (!Array.isArray(k) || k.length !== E) throw new InvalidInputError(where('stiffness'), `must be null or an array of ${E} stiffnesses (one per spring of the run's network), got ${Array.isArray(k) ? `${k.length} values` : show(k)}`, EDITED);
    k.forEach((x, e) => {
      if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)) throw new InvalidInputError(where(`stiffness[${e}]`), `must be a finite stiffness > 0, got ${show(x)}`, EDITED);
    });
    const arr = Float64Array.from(k as number[]);
    if (stiffnessDigest(arr) !== d.k_sha256) throw new InvalidInputError(where('k_sha256'), `${show(d.k_sha256)} is not the digest of the event's own stiffnesses (${stiffnessDigest(arr)})`, EDITED);
    snapshots.push({ step: i + 1, stiffness: arr });
    lastSnap = i;
  });
  const stepsDone = run.events.length;
  const state: SpringRunState = {
    network,
    task,
    options,
    cfg,
    plan: { ...plan, task: springEngineTask(task), order: 'sequential', startStep: stepsDone },
    snapshotEvery: every,
    snapshots,
    stepsDone,
  };
  if (!opts.replay) return state;
  const from = lastSnap >= 0 ? snapshots[snapshots.length - 1].stiffness : network.stiffness;
  const trainer = new SpringTrainer({ ...network, stiffness: from }, task, options);
  trainer.stepCount = lastSnap + 1;
  for (const ev of run.events.slice(lastSnap + 1)) replayStep(trainer, ev, path);
  state.trainer = trainer;
  return state;
}

/** One step of the trainer, which must reproduce event `ev` exactly. */
function replayStep(trainer: SpringTrainer, ev: EventDoc, path: string): void {
  const d = ev.data;
  const r = trainer.step();
  const digest = stiffnessDigest(trainer.stiffness);
  const cost = finiteOrNull(r.cost);
  const field = cost !== d.cost ? 'cost' : r.changed !== d.changed ? 'changed' : digest !== d.k_sha256 ? 'k_sha256' : undefined;
  if (field === undefined) return;
  const got = { cost, changed: r.changed, k_sha256: digest }[field];
  throw new CllnError(
    `${path}: line ${eventLine(ev)}: data.${field}: replaying step ${r.step} from the last snapshot gives ${show(got)}, the record ${show(d[field])}: ` +
      'the record was changed after it was written, or written by a clln or platform that computes differently; it cannot be continued exactly here',
  );
}
