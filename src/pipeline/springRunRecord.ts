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
import { show } from '../errors.js';
import { parseSprings, springsToJson } from '../formats/springsFile.js';
import { parseStrainTask, strainTaskToJson } from '../formats/strainTaskFile.js';
import type { SpringNetwork } from '../physics/springs/SpringNetwork.js';
import { resolveSpringTrainOptions, SpringTrainer, type SpringTrainConfig, type SpringTrainOptions } from '../physics/springs/SpringTrainer.js';
import type { StrainTask } from '../physics/springs/StrainTask.js';
import type { Task } from '../physics/Task.js';
import { configurationEntry } from '../store/configuration.js';
import type { DescriptorInput, RunRecord, StartDoc } from '../store/documents.js';
import type { EvaluationUnits } from './evaluationRecord.js';
import type { SpringStepExtras } from './SpringLearner.js';
import type { EngineStep } from './TrainingEngine.js';
import { hasRecordedOptions, parametersDigest, readTrainerRun, type TrainerRecordKind, type TrainerRunState, type TrainerStart } from './trainerRunRecord.js';

export type { SpringStepExtras } from './SpringLearner.js';

/** The layout of a spring run's events (the descriptor's `layout`). */
export const SPRING_STEP_LAYOUT = 'clln.spring-steps/1';

/** Units of a spring run's evaluation stream: strains are dimensionless. */
export const STRAIN_EVALUATION_UNITS: EvaluationUnits = { mse: '1 (strain^2)', outputs: '1 (strain)' };

/** The digest of the stiffnesses (that of simulated runs' conductances: SHA-256 of the float64 bytes, 16 hex digits). */
export const stiffnessDigest = parametersDigest;

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
export interface SpringStart extends TrainerStart {
  /** clln.springs/1 (`network`) and clln.strain-task/1 (`task`). */
  springs: RecordedSprings;
}

/** Is this the start document of a spring-network run? */
export function isSpringRun(start: StartDoc): boolean {
  return hasRecordedOptions(start, 'springs');
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

/** The types of a spring-network run. */
export interface SpringKindTypes {
  trainer: SpringTrainer;
  network: SpringNetwork;
  task: StrainTask;
  options: SpringTrainOptions;
  config: SpringTrainConfig;
  key: 'stiffness';
}

/** How a spring-network run is recorded, read back and replayed (trainerRunRecord.ts). */
export const SPRING_RECORD: TrainerRecordKind<SpringKindTypes> = {
  layout: SPRING_STEP_LAYOUT,
  optionsKey: 'springs',
  parametersKey: 'stiffness',
  parametersNoun: 'stiffnesses',
  elementNoun: 'spring',
  notThisKind: {
    problem: 'is not a spring-network training run (no springs, network, task or plan in its start document)',
    fix: 'give a run written by clln train NET.springs.json TASK.strain.json',
  },
  replayNeededTo: 'continued',
  fixedOrder: 'sequential',
  trainer: (net, task, options) => new SpringTrainer(net, task, options),
  parameters: (t) => t.stiffness,
  engineTask: springEngineTask,
  planExtras: (cfg) => ({ eta: cfg.eta }),
  networkToJson: springsToJson,
  taskToJson: strainTaskToJson,
  recordedOptions: (cfg, _net, snapshotEvery): RecordedSprings => ({ rule: cfg.rule, eta: cfg.eta, alpha: cfg.alpha, bounds: [cfg.bounds[0], cfg.bounds[1]], snapshot_every: snapshotEvery }),
  descriptor: (t, start) => springDescriptor(t.net.edgeA.length, t.directions, start as SpringStart),
  eventData(s, digest, snapshot) {
    const x = (s as EngineStep & { springs?: SpringStepExtras }).springs;
    if (!x) throw new Error(`SpringRunRecorder: step ${s.step} is not a spring step (no target strains)`);
    return {
      step: s.step,
      cost: finiteOrNull(s.cost),
      target_strain: Array.from(x.targetStrains, finiteOrNull),
      changed: s.changed,
      residual: finiteOrNull(x.residual),
      k_sha256: digest,
      stiffness: snapshot,
    };
  },
  parseNetwork: (doc, where) => parseSprings(doc, where),
  parseTask: (doc, where, net) => parseStrainTask(doc, where, net),
  options(recorded, plan): SpringTrainOptions {
    const sp = recorded as unknown as RecordedSprings;
    return { rule: sp.rule, eta: sp.eta, alpha: sp.alpha, bounds: sp.bounds, steps: plan.steps, seed: plan.seed };
  },
  resolve: resolveSpringTrainOptions,
  parameterProblem: () => (x) => (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x) ? `must be a finite stiffness > 0, got ${show(x)}` : undefined),
  withParameters: (net, snapshot) => ({ ...net, stiffness: snapshot ?? net.stiffness }),
};

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

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** A spring run read back from its record (snapshots: stiffnesses after step `step - 1`). */
export type SpringRunState = TrainerRunState<SpringKindTypes>;

/**
 * Read a spring run's start document and events; with `replay`, also rebuild the trainer at its last recorded step.
 * Problems name the record file, the line and the field.
 */
export function readSpringRun(run: RunRecord, opts: { replay: boolean }): SpringRunState {
  return readTrainerRun(SPRING_RECORD, run, opts);
}
