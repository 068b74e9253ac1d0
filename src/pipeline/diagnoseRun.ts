/**
 * `diagnoseRun`: a training run record as what `clln diagnose --run` analyses — the network at the run's final
 * conductances, its task, the physical Hessian's eigenvalue trajectories over the run (spectrumEvolution of the
 * recorded settings, turned into conductances by the run's calibration or the board model's nominal law), and the
 * learning step the run took (a tap board's tap rule; a gate board's CL at alpha = 2 eta amp s), with where it came
 * from.
 */
import { InvalidInputError } from '../errors.js';
import { spectrumEvolution, type SpectrumEvolution } from '../diagnostics/spectrumEvolution.js';
import type { LearningStep, StepOrigin } from '../diagnostics/stepStability.js';
import type { Network } from '../physics/Network.js';
import type { Task } from '../physics/Task.js';
import { readRun } from '../store/readRun.js';
import { runLearningStep } from './boardLearningStep.js';
import { nominalEdgeLaw } from './boardModels.js';
import { runSnapshots } from './runSnapshots.js';
import { isSimulatedRun } from './simRunRecord.js';
import { simulatedRunDiagnosis } from './simulatedRunDiagnosis.js';
import { nonlinearHessian } from '../diagnostics/nonlinearDiagnostics.js';
import { isNonlinear, withParameters } from '../physics/nonlinear/learningParameters.js';
import { gateLearningRate } from './StabilityMonitor.js';
import { PLAN_DEFAULTS } from './TrainingPlan.js';
import type { RunRecord } from '../store/documents.js';
import { isSpringRun } from './springRunRecord.js';

/** Options of {@link diagnoseRun}. */
export interface DiagnoseRunOptions {
  /** A network to analyse instead of the run's (same nodes and edge count); its conductances become the run's last. */
  network?: Network;
  /** Where `network` came from, for the message when it does not fit the run. */
  networkSource?: string;
  /** A task instead of the run's. */
  task?: Task;
  /** Replace the run's eta (clamping strength, (0, 1]) in a gate board's learning step. */
  eta?: number;
  /** Replace the run's amp (V/V^2) in a gate board's learning step. */
  amp?: number;
  /** Eigenvalues at each end of the spectrum per snapshot (default 5). */
  modes?: number;
}

/** What a run record gives the diagnosis. */
export interface RunDiagnosis {
  /** A nonlinear run: the state its snapshots were linearised at (their conductances are differential ones). */
  linearisedAt?: string;
  /**
   * The network at the conductances after the run's last recorded step (S); a nonlinear run's: its network (with its
   * elements) at the final learning parameters (k in S, V_G in V).
   */
  network: Network;
  task: Task;
  /** Eigenvalue trajectories; the first snapshot is the state after step 0's update (settings are recorded per step). */
  evolution: SpectrumEvolution;
  /** The run's eta (its plan's, else the default). */
  eta: number;
  /** The learning step the run took (with --eta/--amp replacements), and where it came from. */
  learning: { step: LearningStep; origin: StepOrigin };
}

/** A training run record read once, and whether it is a spring-network run (layout clln.spring-steps/1). */
export function readTrainingRun(runPath: string): { record: RunRecord; springs: boolean } {
  const record = readRun(runPath);
  return { record, springs: isSpringRun(record.start) };
}

/**
 * Read the run record `runPath` (or take it read) and derive the diagnosis inputs of a resistor-network run; see the
 * file comment. A spring-network run is {@link diagnoseSpringRun}'s.
 */
export function diagnoseRun(runPath: string | RunRecord, opts: DiagnoseRunOptions = {}): RunDiagnosis {
  const run = typeof runPath === 'string' ? readRun(runPath) : runPath;
  if (isSpringRun(run.start)) {
    throw new InvalidInputError({ source: run.path, field: 'line 1: start' }, 'is a spring-network run (clln.spring-steps/1), whose network is a spring network at its stiffnesses, not a resistor network', 'diagnose it with diagnoseSpringRun (clln diagnose --run RUN does)');
  }
  // a simulated run's snapshots are its conductances and its step is the rule it ran (simulatedRunDiagnosis.ts); a
  // board run's are its settings through its calibration or nominal law
  const sim = isSimulatedRun(run.start) ? simulatedRunDiagnosis(run) : undefined;
  const rs = sim ?? runSnapshots(run, nominalEdgeLaw);
  const given = opts.network;
  if (given && (given.nodes !== rs.net.nodes || given.edgeA.length !== rs.net.edgeA.length)) {
    throw new InvalidInputError({ source: opts.networkSource }, `has ${given.nodes} nodes and ${given.edgeA.length} edges, the run's network ${rs.net.nodes} and ${rs.net.edgeA.length}`, 'give the run\'s network or none');
  }
  const task = opts.task ?? rs.task;
  // a nonlinear run's snapshots are its learning parameters (k, V_G): each becomes the differential conductances of
  // its linearisation at the reference state, the free state of the first training example (nonlinearDiagnostics.ts)
  let snapshots = rs.snapshots;
  if (isNonlinear(rs.net)) {
    const ref = task.train[0] ?? task.test[0];
    if (!ref) throw new InvalidInputError({ source: run.path, field: 'task' }, 'a nonlinear run is diagnosed at the free state of its first example, but its task has none');
    snapshots = rs.snapshots.map((sn) => ({ step: sn.step, conductance: nonlinearHessian(withParameters(rs.net, sn.conductance), task, ref.in).linearised.conductance }));
  }
  const last = snapshots[snapshots.length - 1];
  const { elements: _e, ...base } = given ?? rs.net;
  const linear = { ...base, conductance: last.conductance };
  // a nonlinear run's network is analysed at its final learning parameters (diagnoseNetwork linearises it again for
  // the physical parts, and takes its cost parts in theta); its trajectories stay those of the linearisations
  const network = isNonlinear(rs.net) ? withParameters(given ?? rs.net, rs.snapshots[rs.snapshots.length - 1].conductance) : linear;
  const eta = typeof rs.plan.eta === 'number' ? rs.plan.eta : PLAN_DEFAULTS.eta;
  // the rule and step the run took (a tap board's tap rule; a gate board's 2 eta amp s), from its start document
  let learning = sim ? sim.learning : runLearningStep(run, nominalEdgeLaw);
  if ((opts.eta !== undefined || opts.amp !== undefined) && learning.step.rule === 'cl' && learning.step.gate) {
    const g = learning.step.gate;
    const e = opts.eta ?? learning.step.eta;
    const a = opts.amp ?? g.amp;
    const replaced = [opts.eta !== undefined ? `--eta ${e}` : '', opts.amp !== undefined ? `--amp ${a}` : ''].filter(Boolean).join(' ');
    learning = { step: { rule: 'cl', eta: e, alpha: gateLearningRate(e, a, g.s), gate: { ...g, amp: a } }, origin: { from: 'options', detail: `${learning.origin.detail}, with ${replaced}` } };
  }
  const evolution = spectrumEvolution(linear, snapshots, task, { k: opts.modes ?? 5 });
  return { network, task, evolution, eta, learning, ...(isNonlinear(rs.net) ? { linearisedAt: 'the free state of the first training example' } : {}) };
}
