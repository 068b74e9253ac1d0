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
