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
import { createHash } from 'node:crypto';
import { CllnError, InvalidInputError, show } from '../errors.js';
import { networkToJson, parseNetwork } from '../formats/networkFile.js';
import { parseTask, taskToJson } from '../formats/taskFile.js';
import type { Network } from '../physics/Network.js';
import type { Task } from '../physics/Task.js';
import { initialParameters, isNonlinear, withParameters } from '../physics/nonlinear/learningParameters.js';
import { Trainer, resolveTrainOptions, type TrainConfig, type TrainOptions } from '../physics/Trainer.js';
import type { DescriptorInput, EventDoc, RunRecord, StartDoc } from '../store/documents.js';
import { eventLine } from '../store/readRun.js';
import type { RunWriter } from '../store/RunWriter.js';
import { configurationEntry } from '../store/configuration.js';
import { startHead, type RecordedPlan } from './runRecord.js';
import type { EngineStep, Evaluation, StepRecorder } from './TrainingEngine.js';
import type { EvaluationStream } from './evaluationRecord.js';
import type { TrainingPlan } from './TrainingPlan.js';

/** The layout of a simulated run's events (the descriptor's `layout`). */
export const SIM_STEP_LAYOUT = 'clln.sim-steps/1';

/**
 * Default steps between full snapshots: 100, or more for large networks so that snapshots average at most about
 * 1 kB per step (a conductance takes about 20 bytes of JSON: every ceil(E / 50) steps). A 16,384-node lattice with
 * diagonals (about 65,000 edges) snapshots every 1,300 steps.
 */
export function defaultSnapshotEvery(edges: number): number {
  return Math.max(100, Math.ceil(edges / 50));
}

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
export interface SimulatedStart extends StartDoc {
  plan_name: string;
  software: { name: 'clln'; version: string };
  seed: number;
  board: null;
  calibration: null;
  network: unknown;
  task: unknown;
  simulation: RecordedSimulation;
  plan: RecordedPlan;
}

/** Is this the start document of a simulated run (rather than a board run)? */
export function isSimulatedRun(start: StartDoc): boolean {
  const s = (start as { simulation?: unknown }).simulation;
  return typeof s === 'object' && s !== null && !Array.isArray(s);
}

/** The start document of a simulated run of `net` on `plan.task` with the trainer's config. */
export function simulatedStart(plan: TrainingPlan, net: Network, cfg: TrainConfig, snapshotEvery: number): SimulatedStart {
  const { task, ...rest } = plan;
  return {
    ...startHead(plan),
    seed: cfg.seed,
    board: null,
    calibration: null,
    network: networkToJson(net),
    task: taskToJson(task),
    simulation: {
      rule: cfg.rule,
      eta: cfg.eta,
      beta: cfg.beta,
      alpha: cfg.alpha,
      method: cfg.method,
      bounds: [cfg.bounds[0], cfg.bounds[1]],
      taps: cfg.taps ? Array.from(cfg.taps) : null,
      snapshot_every: snapshotEvery,
      ...(isNonlinear(net) ? { gate_bounds: [cfg.gateBounds[0], cfg.gateBounds[1]] as [number, number] } : {}),
    },
    plan: rest,
  };
}

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
              {
                rule: sim.rule,
                eta: sim.eta,
                beta: sim.beta,
                alpha: sim.alpha,
                method: sim.method,
                bounds: sim.bounds,
                taps: sim.taps ?? undefined,
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

/** First 16 hex digits of the SHA-256 of the conductances as little-endian float64 (the platform's byte order). */
export function conductanceDigest(k: Float64Array): string {
  return createHash('sha256').update(new Uint8Array(k.buffer, k.byteOffset, k.byteLength)).digest('hex').slice(0, 16);
}

/** Is step `s` of a run of `steps` steps a full snapshot? */
export function isSnapshotStep(s: number, snapshotEvery: number, steps: number): boolean {
  return (s + 1) % snapshotEvery === 0 || s === steps - 1;
}

/** Appends one compact event per step of a simulated run (a synchronous write, in the OS before the next step). */
export class SimRunRecorder implements StepRecorder {
  constructor(
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
    this.writer.append({
      step: s.step,
      example: s.example,
      cost: s.cost,
      changed: s.changed,
      k_sha256: conductanceDigest(k),
      conductance: isSnapshotStep(s.step, this.snapshotEvery, this.steps) ? k : null,
    });
  }
}

/** A simulated run read back from its record. */
export interface SimulatedRunState {
  network: Network;
  task: Task;
  options: TrainOptions;
  cfg: TrainConfig;
  plan: TrainingPlan;
  snapshotEvery: number;
  /** Snapshots recorded: conductances after step `step - 1` (`step`: steps done), in order. */
  snapshots: { step: number; conductance: Float64Array }[];
  /**
   * With `replay`: a trainer at the last recorded step (conductances after it, stepCount = steps recorded), rebuilt
   * from the last snapshot and the steps after it, each checked against its recorded digest.
   */
  trainer?: Trainer;
  /** Steps recorded (the step a continued run starts with). */
  stepsDone: number;
}

const EDITED = 'the record was changed after it was written: correct the value, or start a new run';

/**
 * Read a simulated run's start document and events; with `replay`, also rebuild the trainer at its last recorded
 * step. Problems name the record file, the line and the field; a replay that does not reproduce a recorded digest is
 * an InvalidInputError naming that event.
 */
export function readSimulatedRun(run: RunRecord, opts: { replay: boolean }): SimulatedRunState {
  const path = run.path;
  const s = run.start as Partial<SimulatedStart>;
  if (!isSimulatedRun(run.start) || !s.network || !s.task || !s.plan) {
    throw new InvalidInputError({ source: path, field: 'line 1: start' }, 'is not a simulated clln training run (no simulation, network, task or plan in its start document)', 'give a run written by clln train NETWORK TASK');
  }
  const network = parseNetwork(s.network, `${path}: line 1: start.network`);
  const task = parseTask(s.task, `${path}: line 1: start.task`, network);
  const sim = s.simulation!;
  const E = network.edgeA.length;
  const at = (field: string) => ({ source: `${path}: line 1`, field: `start.${field}` });
  const every = sim.snapshot_every;
  if (!(typeof every === 'number' && Number.isInteger(every) && every >= 1)) throw new InvalidInputError(at('simulation.snapshot_every'), `must be an integer >= 1, got ${show(every)}`, EDITED);
  if (sim.taps !== null && !(Array.isArray(sim.taps) && sim.taps.every((x) => typeof x === 'number' && x > 0))) {
    throw new InvalidInputError(at('simulation.taps'), `must be null or an array of conductances > 0 (S), got ${show(sim.taps)}`, EDITED);
  }
  const plan = s.plan;
  const options: TrainOptions = {
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
  let cfg: TrainConfig;
  try {
    cfg = resolveTrainOptions(network, options);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    const field = e.field === 'steps' || e.field === 'order' || e.field === 'seed' ? `plan.${e.field}` : `simulation.${e.field ?? ''}`;
    throw new InvalidInputError(at(field), e.problem, EDITED);
  }

  // events: steps 0, 1, ... in order; snapshots where they are due
  const snapshots: { step: number; conductance: Float64Array }[] = [];
  const nonlinear = isNonlinear(network);
  let lastSnap = -1; // index into run.events
  run.events.forEach((ev, i) => {
    const d = ev.data;
    const where = (field: string) => ({ source: path, field: `line ${eventLine(ev)}: data.${field}` });
    if (d.step !== i) throw new InvalidInputError(where('step'), `must be ${i} (event ${ev.seq_num} of a run that starts at step 0), got ${show(d.step)}`, EDITED);
    if (d.conductance === null || d.conductance === undefined) return;
    const k = d.conductance;
    if (!Array.isArray(k) || k.length !== E) throw new InvalidInputError(where('conductance'), `must be null or an array of ${E} conductances (one per edge of the run's network), got ${Array.isArray(k) ? `${k.length} values` : show(k)}`, EDITED);
    // a nonlinear network's snapshot holds its learning parameters (k in S, V_G in V: any finite voltage)
    k.forEach((x, e) => {
      if (nonlinear ? typeof x !== 'number' || !Number.isFinite(x) : typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)) {
        throw new InvalidInputError(where(`conductance[${e}]`), nonlinear ? `must be a finite parameter (S or V), got ${show(x)}` : `must be a finite conductance > 0 (S), got ${show(x)}`, EDITED);
      }
    });
    const arr = Float64Array.from(k as number[]);
    if (conductanceDigest(arr) !== d.k_sha256) throw new InvalidInputError(where('k_sha256'), `${show(d.k_sha256)} is not the digest of the event's own conductances (${conductanceDigest(arr)})`, EDITED);
    snapshots.push({ step: i + 1, conductance: arr });
    lastSnap = i;
  });
  const stepsDone = run.events.length;
  const state: SimulatedRunState = {
    network,
    task,
    options,
    cfg,
    plan: { ...plan, task, startStep: stepsDone },
    snapshotEvery: every,
    snapshots,
    stepsDone,
  };
  if (!opts.replay) return state;

  const from = lastSnap >= 0 ? snapshots[snapshots.length - 1].conductance : nonlinear ? initialParameters(network) : network.conductance;
  const trainer = new Trainer(nonlinear ? withParameters(network, from) : { ...network, conductance: from }, task, options);
  const toReplay = run.events.slice(lastSnap + 1);
  if (trainer.solver.system.analysis.method === 'cg') {
    // even from a snapshot at the last step, the continuation would lack the warm starts and differ in the last bits
    throw new InvalidInputError(
      at('simulation.method'),
      'the run was solved by conjugate gradients, whose solves warm-start from earlier ones; the record does not hold them, so the run cannot be replayed or continued bit for bit',
      'start a new run with --method cholesky; its snapshots still read back exactly (clln diagnose --run, clln export)',
    );
  }
  trainer.stepCount = lastSnap + 1;
  for (const ev of toReplay) replayStep(trainer, ev, path);
  state.trainer = trainer;
  return state;
}

/** One step of the trainer, which must reproduce event `ev` exactly. */
function replayStep(trainer: Trainer, ev: EventDoc, path: string): void {
  const d = ev.data;
  const r = trainer.step();
  const digest = conductanceDigest(trainer.conductance);
  const cost = Number.isFinite(r.cost) ? r.cost : null;
  const field = r.example !== d.example ? 'example' : cost !== d.cost ? 'cost' : r.changed !== d.changed ? 'changed' : digest !== d.k_sha256 ? 'k_sha256' : undefined;
  if (field === undefined) return;
  const got = { example: r.example, cost, changed: r.changed, k_sha256: digest }[field];
  throw new CllnError(
    `${path}: line ${eventLine(ev)}: data.${field}: replaying step ${r.step} from the last snapshot gives ${show(got)}, the record ${show(d[field])}: ` +
      'the record was changed after it was written, or written by a clln or platform that computes differently; it cannot be continued or diagnosed exactly here',
  );
}
