/**
 * The learning step a board takes (issue 11, point 10), for the stability index of `clln diagnose` and the engine's
 * monitor: one definition, from what the run used — the board's edge kind, the plan's eta and amp, and the
 * calibration or the board model's nominal law.
 *
 * - Tap boards (host- or device-stepped alike) move each edge one tap by the sign of (dV^F)^2 - (dV^C)^2: the tap rule,
 *   which has no learning rate (src/diagnostics/stepStability.ts says why the index does not apply).
 * - Gate boards move V_G by amp [(dV^F)^2 - (dV^C)^2]; with k = s (V_G - ...) that is docs/design.md's contrast update with
 *   alpha = 2 eta amp s ({@link gateLearningRate}). s is the geometric mean of a calibration's per-edge s (a
 *   calibrated host-stepped run scales each edge's step by s_mean / s_e, so every edge moves by s_mean; the others
 *   move by their own s_e, of which s_mean is the typical one), else the board model's nominal s.
 */
import { recordedEdgeLaw } from './boardEdgeLaw.js';
import type { CalibrationRecord } from '../calibration/types.js';
import type { BoardIdentity } from '../device/Board.js';
import type { EdgeLaw } from '../physics/edgeLaws.js';
import type { LearningStep, StepOrigin } from '../diagnostics/stepStability.js';
import { InvalidInputError } from '../errors.js';
import type { RunRecord } from '../store/documents.js';
import { PLAN_DEFAULTS, type UpdateSite } from './TrainingPlan.js';
import type { TrainingStart } from './runRecord.js';
import { gateLearningRate } from './StabilityMonitor.js';

/** What the step depends on besides the board. */
export interface BoardStepInputs {
  eta: number;
  /** Gate boards: V/V^2. */
  amp: number;
  /** The calibration the run uses, if any. */
  calibration?: CalibrationRecord;
  /** The board model's nominal edge law, when the model is a shipped one. */
  nominal?: EdgeLaw;
}

/**
 * The step of a board with edges `edge`: the tap rule, or coupled learning at alpha = 2 eta amp s. Undefined for a
 * gate board whose s is unknown (no calibration, not a shipped model).
 */
export function boardLearningStep(edge: BoardIdentity['edge'], p: BoardStepInputs): LearningStep | undefined {
  if (edge.kind === 'tap') return { rule: 'tap', eta: p.eta, taps: edge.taps };
  const s = meanTransconductance(p.calibration, p.nominal);
  if (!s) return undefined;
  return { rule: 'cl', eta: p.eta, alpha: gateLearningRate(p.eta, p.amp, s.value), gate: { amp: p.amp, s: s.value, sFrom: s.from } };
}

/** A gate board's typical transconductance factor s (S/V): the calibration's geometric mean, else the nominal one. */
export function meanTransconductance(cal: CalibrationRecord | undefined, nominal: EdgeLaw | undefined): { value: number; from: 'calibration' | 'board model' } | undefined {
  if (cal && cal.edges.kind === 'gate') {
    const s = cal.edges.s;
    return { value: Math.exp(s.reduce((a, x) => a + Math.log(x), 0) / s.length), from: 'calibration' };
  }
  if (nominal && nominal.kind === 'gate') return { value: nominal.s, from: 'board model' };
  return undefined;
}

/**
 * The step a recorded run took, from its start document (board identity, plan, calibration), and where it came from.
 * The nominal law is the one the run recorded in its board identity, else `nominal(model)` (records before 1.2). A run that is not a clln board run, or a gate run whose s is
 * unknown, is an InvalidInputError naming the file.
 */
export function runLearningStep(run: RunRecord, nominal: (model: string) => EdgeLaw | undefined): { step: LearningStep; origin: StepOrigin } {
  const s = run.start as Partial<TrainingStart>;
  const edge = s.board?.edge;
  if (!s.plan || !edge || (edge.kind !== 'tap' && edge.kind !== 'gate')) {
    throw new InvalidInputError({ source: run.path, field: 'start' }, 'is not a clln board run (no plan or board edge kind in its start document)', 'use a run written by clln train --board');
  }
  const eta = typeof s.plan.eta === 'number' ? s.plan.eta : PLAN_DEFAULTS.eta;
  const amp = typeof s.plan.amp === 'number' ? s.plan.amp : PLAN_DEFAULTS.amp;
  const update: UpdateSite = s.plan.update === 'device' ? 'device' : 'host';
  const recorded = recordedEdgeLaw(s.board!, `${run.path}: line 1`);
  const step = boardLearningStep(edge, { eta, amp, calibration: s.calibration?.record, nominal: recorded ?? nominal(s.board!.model) });
  if (!step) {
    throw new InvalidInputError({ source: run.path, field: 'start.board.model' }, `gate board ${s.board!.model} did not record its edge law (protocol 1.1, no board file), is not a shipped model, and the run has no calibration, so its transconductance s (its learning rate) is unknown`, 'give the step with --alpha');
  }
  return { step, origin: { from: 'run', detail: `as run: board ${s.board!.model} (${edge.kind} edges), --update ${update}, eta ${eta}${edge.kind === 'gate' ? `, amp ${amp}` : ''}` } };
}
