/**
 * The record of a simulated training run (`clln train NETWORK TASK`), layout `clln.sim-steps/1`: the same event-model
 * documents as a board run (src/store/README.md), compact per step however large the network.
 *
 * Each step's event holds `step`, `example`, `cost` (V^2, free state before the update), `changed` (edges the rule
 * moved) and `k_sha256` (the first 16 hex digits of the SHA-256 of the conductances after the step, as little-endian
 * float64: 8 bytes per edge in edge order). `conductance` (S, one per edge, after the step) is a full snapshot every
 * `snapshot_every` steps (steps s with (s + 1) mod snapshot_every = 0) and at the plan's last step; null between.
 *
 * The simulation is deterministic, so the conductances after any recorded step follow exactly from the last snapshot
 * before it by replaying the steps between (the start document holds the network, the task and every option); the
 * digest of each replayed step is compared with the recorded one, so a replay that would not give the recorded
 * numbers bit for bit is refused, never silently different. Resume and diagnose replay this way.
 *
 * Runs solved by conjugate gradients (`--method cg`, or what `auto` picks for very large fill) warm-start each solve
 * from earlier ones, so their steps depend on more than the conductances: they are recorded the same way, but only
 * their snapshots can be read back exactly (no replay, no resume: refused with the reason).
 */
import { InvalidInputError, show } from '../errors.js';
import { networkToJson, parseNetwork } from '../formats/networkFile.js';
import { parseTask, taskToJson } from '../formats/taskFile.js';
import type { Network } from '../physics/Network.js';
import type { Task } from '../physics/Task.js';
import { initialParameters, isNonlinear, withParameters } from '../physics/nonlinear/learningParameters.js';
import { Trainer, resolveTrainOptions, type TrainConfig, type TrainOptions } from '../physics/Trainer.js';
import type { DescriptorInput, RunRecord, StartDoc } from '../store/documents.js';
import { configurationEntry } from '../store/configuration.js';
import { hasRecordedOptions, parametersDigest, readTrainerRun, type TrainerRecordKind, type TrainerRunState, type TrainerStart } from './trainerRunRecord.js';
import { defaultOrderCache } from '../store/orderCacheFiles.js';

export { defaultSnapshotEvery, isSnapshotStep } from './trainerRunRecord.js';

/** The layout of a simulated run's events (the descriptor's `layout`). */
export const SIM_STEP_LAYOUT = 'clln.sim-steps/1';

/** The simulation's options as recorded (everything Trainer needs, fully defaulted). */
export interface RecordedSimulation {
  rule: TrainConfig['rule'];
  eta: number;
  beta: number;
  alpha: number;
  method: TrainConfig['method'];
  bounds: [number, number];
  /** The tap table (S) of the tap rule, or null. */
  taps: number[] | null;
  /** Steps between full conductance snapshots. */
  snapshot_every: number;
  /** Gate-voltage bounds (V) of transistor edges; absent in records of linear networks (and before issue 14). */
  gate_bounds?: [number, number];
}

/** The start document of a simulated run. `board` and `calibration` are null: nothing was measured. */
export interface SimulatedStart extends TrainerStart {
  simulation: RecordedSimulation;
}

/** Is this the start document of a simulated run (rather than a board run)? */
export function isSimulatedRun(start: StartDoc): boolean {
  return hasRecordedOptions(start, 'simulation');
}

/** The types of a simulated resistor run. */
export interface SimulatedKindTypes {
  trainer: Trainer;
  network: Network;
  task: Task;
  options: TrainOptions;
  config: TrainConfig;
  key: 'conductance';
}

/** How a simulated resistor run is recorded, read back and replayed (trainerRunRecord.ts). */
export const SIM_RECORD: TrainerRecordKind<SimulatedKindTypes> = {
  layout: SIM_STEP_LAYOUT,
  optionsKey: 'simulation',
  parametersKey: 'conductance',
  parametersNoun: 'conductances',
  elementNoun: 'edge',
  notThisKind: {
    problem: 'is not a simulated clln training run (no simulation, network, task or plan in its start document)',
    fix: 'give a run written by clln train NETWORK TASK',
  },
  replayNeededTo: 'continued or diagnosed',
  // The fill-reducing order of a large network is kept in the user's cache (src/store/orderCacheFiles.ts): a second
  // run on the same network skips the ordering, most of a cold start's analysis.
  trainer: (net, task, options) => new Trainer(net, task, { ...options, orderCache: options.orderCache ?? defaultOrderCache() }),
  parameters: (t) => t.conductance,
  engineTask: (task) => task,
  planExtras: () => ({}),
  networkToJson,
  taskToJson,
  recordedOptions: (cfg, net, snapshotEvery): RecordedSimulation => ({
    rule: cfg.rule,
    eta: cfg.eta,
    beta: cfg.beta,
    alpha: cfg.alpha,
    method: cfg.method,
    bounds: [cfg.bounds[0], cfg.bounds[1]],
    taps: cfg.taps ? Array.from(cfg.taps) : null,
    snapshot_every: snapshotEvery,
    ...(isNonlinear(net) ? { gate_bounds: [cfg.gateBounds[0], cfg.gateBounds[1]] as [number, number] } : {}),
  }),
  descriptor: (t, start) => simulatedDescriptor(t.net.edgeA.length, start as SimulatedStart),
  eventData: (s, digest, snapshot) => ({ step: s.step, example: s.example, cost: s.cost, changed: s.changed, k_sha256: digest, conductance: snapshot }),
  parseNetwork: (doc, where) => parseNetwork(doc, where),
  parseTask: (doc, where, net) => parseTask(doc, where, net),
  options(recorded, plan, at): TrainOptions {
    const sim = recorded as unknown as RecordedSimulation;
    if (sim.taps !== null && !(Array.isArray(sim.taps) && sim.taps.every((x) => typeof x === 'number' && x > 0))) {
      throw new InvalidInputError(at('simulation.taps'), `must be null or an array of conductances > 0 (S), got ${show(sim.taps)}`, EDITED);
    }
    return {
      rule: sim.rule,
      eta: sim.eta,
      beta: sim.beta,
      alpha: sim.alpha,
      method: sim.method,
      bounds: sim.bounds,
      taps: sim.taps ? Float64Array.from(sim.taps) : undefined,
      gateBounds: sim.gate_bounds,
      steps: plan.steps,
      order: plan.order,
      seed: plan.seed,
    };
  },
  resolve: resolveTrainOptions,
  parameterProblem(net) {
    // a nonlinear network's snapshot holds its learning parameters (k in S, V_G in V: any finite voltage)
    if (isNonlinear(net)) return (x) => (typeof x !== 'number' || !Number.isFinite(x) ? `must be a finite parameter (S or V), got ${show(x)}` : undefined);
    return (x) => (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x) ? `must be a finite conductance > 0 (S), got ${show(x)}` : undefined);
  },
  withParameters(net, snapshot) {
    if (isNonlinear(net)) return withParameters(net, snapshot ?? initialParameters(net));
    return { ...net, conductance: snapshot ?? net.conductance };
  },
  checkReplayable(t, at) {
    if (t.solver.system.analysis.method !== 'cg') return;
    // even from a snapshot at the last step, the continuation would lack the warm starts and differ in the last bits
    throw new InvalidInputError(
      at('simulation.method'),
      'the run was solved by conjugate gradients, whose solves warm-start from earlier ones; the record does not hold them, so the run cannot be replayed or continued bit for bit',
      'start a new run with --method cholesky; its snapshots still read back exactly (clln diagnose --run, clln export)',
    );
  },
};

const EDITED = 'the record was changed after it was written: correct the value, or start a new run';

/**
 * The descriptor of a simulated run of a network with `edges` edges: its data keys, Bluesky's `object_keys` (`engine`:
 * step and example; `simulation`: the rest) and `hints` (plot `cost` and `changed` against step), and, given the
 * start document, its `configuration` (`simulation`: the rule and its parameters; `network`: its size).
 */
export function simulatedDescriptor(edges: number, start?: SimulatedStart): DescriptorInput {
  const sim = start?.simulation;
  return {
    layout: SIM_STEP_LAYOUT,
    data_keys: {
      step: { dtype: 'integer', shape: [], source: 'host:engine', object_name: 'engine' },
      example: { dtype: 'integer', shape: [], source: 'host:engine', object_name: 'engine' },
      cost: { dtype: 'number', shape: [], source: 'sim:free', units: 'V^2', object_name: 'simulation' },
      changed: { dtype: 'integer', shape: [], source: 'sim:rule', object_name: 'simulation' },
      k_sha256: { dtype: 'string', shape: [], source: 'sim:rule', object_name: 'simulation' },
      conductance: { dtype: 'array', shape: [edges], source: 'sim:rule', units: 'S', dims: ['edge'], dtype_numpy: '<f8', nullable: true, object_name: 'simulation' },
    },
    object_keys: { engine: ['step', 'example'], simulation: ['cost', 'changed', 'k_sha256', 'conductance'] },
    hints: { engine: { fields: [] }, simulation: { fields: ['cost', 'changed'] } },
    ...(sim && start
      ? {
          configuration: {
            simulation: configurationEntry(
              // the recorded rule and parameters (rule ... taps, in that order), then the rest
              {
                ...ruleOptions(sim),
                gate_bounds: sim.gate_bounds,
                snapshot_every: sim.snapshot_every,
                steps: start.plan.steps,
                order: start.plan.order,
                seed: start.seed,
                eval_every: start.plan.evalEvery ?? 0,
              },
              'host:plan',
              start.time,
              { bounds: 'S', taps: 'S', gate_bounds: 'V' },
            ),
            network: configurationEntry({ name: (start.network as { name?: string }).name, edges }, 'host:network', start.time),
          },
        }
      : {}),
  };
}

/** The rule and its parameters as recorded, in the record's order (taps undefined rather than null). */
function ruleOptions({ gate_bounds: _g, snapshot_every: _s, ...rule }: RecordedSimulation): Omit<RecordedSimulation, 'gate_bounds' | 'snapshot_every' | 'taps'> & { taps?: number[] } {
  return { ...rule, taps: rule.taps ?? undefined };
}

/** First 16 hex digits of the SHA-256 of the conductances as little-endian float64 (the platform's byte order). */
export const conductanceDigest = parametersDigest;

/** A simulated run read back from its record (snapshots: conductances after step `step - 1`). */
export type SimulatedRunState = TrainerRunState<SimulatedKindTypes>;

/**
 * Read a simulated run's start document and events; with `replay`, also rebuild the trainer at its last recorded
 * step. Problems name the record file, the line and the field; a replay that does not reproduce a recorded digest is
 * an error naming that event.
 */
export function readSimulatedRun(run: RunRecord, opts: { replay: boolean }): SimulatedRunState {
  return readTrainerRun(SIM_RECORD, run, opts);
}
