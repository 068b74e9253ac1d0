/**
 * A simulated run's record as `clln diagnose --run` needs it: the network and task of its start document, its
 * conductance snapshots (the conductances after step `step - 1`), ending with its final conductances — the last
 * snapshot when the run's last recorded step is one, else replayed exactly from it (simRunRecord.ts) — and the
 * learning step it took (its rule and parameters).
 */
import type { ConductanceSnapshot } from '../diagnostics/spectrumEvolution.js';
import type { LearningStep, StepOrigin } from '../diagnostics/stepStability.js';
import type { Network } from '../physics/Network.js';
import type { Task } from '../physics/Task.js';
import { InvalidInputError } from '../errors.js';
import type { RunRecord } from '../store/documents.js';
import { simulatedRunConductances } from './simulatedRun.js';
import type { SpringNetwork } from '../physics/springs/SpringNetwork.js';
import type { SpringRuleName } from '../physics/springs/springRules.js';
import type { StrainTask } from '../physics/springs/StrainTask.js';
import { readSpringRun } from './springRunRecord.js';

export interface SimulatedRunDiagnosis {
  net: Network;
  task: Task;
  snapshots: ConductanceSnapshot[];
  /** The run's plan, with the clamping strength it used (eta; the default for EP runs, which have none). */
  plan: { eta: number; steps?: number };
  learning: { step: LearningStep; origin: StepOrigin };
}

export function simulatedRunDiagnosis(run: RunRecord): SimulatedRunDiagnosis {
  if (run.events.length === 0) {
    throw new InvalidInputError({ source: run.path, field: 'events' }, 'records no step', 'let the run take at least one step');
  }
  const s = simulatedRunConductances(run);
  const snapshots: ConductanceSnapshot[] = s.snapshots.map((x) => ({ step: x.step, conductance: x.conductance }));
  if (snapshots.length === 0 || snapshots[snapshots.length - 1].step !== s.stepsDone) snapshots.push({ step: s.stepsDone, conductance: s.final });
  const c = s.cfg;
  const detail = `run record: simulated, rule ${c.rule}`;
  const step: LearningStep =
    c.rule === 'tap'
      ? { rule: 'tap', eta: c.eta, taps: c.taps?.length }
      : c.rule === 'cl'
        ? { rule: 'cl', eta: c.eta, alpha: c.alpha }
        : c.rule === 'gradient'
          ? { rule: 'gradient', alpha: c.alpha }
          : { rule: c.rule, beta: c.beta, alpha: c.alpha };
  return { net: s.network, task: s.task, snapshots, plan: { eta: c.eta, steps: c.steps }, learning: { step, origin: { from: 'run', detail } } };
}

/**
 * A spring-network run's record (layout clln.spring-steps/1, `clln train NET.springs.json TASK.strain.json --record`)
 * as `clln diagnose --run` needs it: the network at the stiffnesses after the run's last recorded step (the last
 * snapshot when that step is one, else replayed exactly from it and checked against the recorded digests, as `clln
 * resume` does), the strain task, and what the run did (rule, eta, alpha, the cost at its first and last steps).
 */
export interface SpringRunDiagnosis {
  /** The run's network with `stiffness` its final stiffnesses (energy / length^2). */
  network: SpringNetwork;
  task: StrainTask;
  rule: SpringRuleName;
  /** The run's clamping strength (dimensionless). */
  eta: number;
  /** The run's learning rate (cl: energy / length^4; gradient: energy^2 / length^4). */
  alpha: number;
  /** Steps recorded; the network is at the stiffnesses after the last of them. */
  stepsDone: number;
  /** Steps replayed after the last snapshot to reach the final stiffnesses (0 when the last step is a snapshot). */
  replayed: number;
  /** C = 1/2 sum_d (eps_T^F - Delta)^2 before the first recorded step's update and before the last's (null if not finite). */
  firstCost: number | null;
  lastCost: number | null;
}

export function diagnoseSpringRun(run: RunRecord): SpringRunDiagnosis {
  if (run.events.length === 0) {
    throw new InvalidInputError({ source: run.path, field: 'events' }, 'records no step', 'let the run take at least one step');
  }
  const state = readSpringRun(run, { replay: true });
  const trainer = state.trainer!;
  const last = state.snapshots[state.snapshots.length - 1];
  const cost = (i: number): number | null => {
    const c = run.events[i].data.cost;
    return typeof c === 'number' ? c : null;
  };
  return {
    network: { ...state.network, stiffness: Float64Array.from(trainer.stiffness) },
    task: state.task,
    rule: state.cfg.rule,
    eta: state.cfg.eta,
    alpha: state.cfg.alpha,
    stepsDone: state.stepsDone,
    replayed: state.stepsDone - (last?.step ?? 0),
    firstCost: cost(0),
    lastCost: cost(run.events.length - 1),
  };
}
