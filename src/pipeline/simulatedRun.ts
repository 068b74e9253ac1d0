/**
 * A simulated resistor-network training run: the physics Trainer on the engine (trainerRun.ts), recorded in layout
 * `clln.sim-steps/1` (simRunRecord.ts) unless asked not to, resumable from its record. `clln train NETWORK TASK` and
 * `clln resume RUN` only parse arguments, call these and render the summary.
 */
import type { Network } from '../physics/Network.js';
import type { Task } from '../physics/Task.js';
import type { Trainer, TrainOptions } from '../physics/Trainer.js';
import type { RunRecord } from '../store/documents.js';
import { VOLT_EVALUATION_UNITS } from './evaluationRecord.js';
import { SIMULATED_LEARNING } from './SimulatedLearner.js';
import { readSimulatedRun, SIM_RECORD, type SimulatedKindTypes } from './simRunRecord.js';
import { openTrainerRun, resumeTrainerRun, type TrainerResumeOptions, type TrainerRun, type TrainerRunKind, type TrainerRunOptions } from './trainerRun.js';

export { runSimulated } from './trainerRun.js';

/** A resistor network's runs: its record, its learner, volts in its evaluations (test outputs at the targets). */
export const SIMULATED_RUN: TrainerRunKind<SimulatedKindTypes> = {
  ...SIM_RECORD,
  ...SIMULATED_LEARNING,
  openName: 'openSimulatedRun',
  evaluationShape: (t) => ({ testExamples: t.task.test.length, targets: t.task.targets.length }),
  evaluationUnits: VOLT_EVALUATION_UNITS,
};

/** What {@link openSimulatedRun} and {@link resumeSimulatedRun} return: run it with `runSimulated`. */
export type SimulatedRun = TrainerRun<Trainer>;

/** A fresh run's options; `options` as `Trainer` takes them (rule and its options, steps, order, seed, solver). */
export type SimulatedRunOptions = TrainerRunOptions<Network, Task, TrainOptions>;

/** A fresh simulated run (its record created, start and descriptor on disk, when `record` is a path). */
export function openSimulatedRun(o: SimulatedRunOptions): SimulatedRun {
  return openTrainerRun(SIMULATED_RUN, o);
}

/** Continue an interrupted simulated run from its record, bit for bit (trainerRun.ts). */
export function resumeSimulatedRun(path: string, o: TrainerResumeOptions = {}): SimulatedRun & { startStep: number } {
  return resumeTrainerRun(SIMULATED_RUN, path, o);
}

/** The conductance snapshots of a simulated run, and its final conductances (replayed when not a snapshot). */
export function simulatedRunConductances(run: RunRecord): ReturnType<typeof readSimulatedRun> & { final: Float64Array } {
  const last = run.events.length;
  const peek = readSimulatedRun(run, { replay: false });
  const snap = peek.snapshots[peek.snapshots.length - 1];
  if (snap && snap.step === last) return { ...peek, final: snap.conductance };
  const full = readSimulatedRun(run, { replay: true });
  return { ...full, final: Float64Array.from(full.trainer!.conductance) };
}
