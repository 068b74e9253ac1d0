import type { BoardIdentity } from '../device/Board.js';
import type { Calibration } from '../calibration/Calibration.js';
import { boardConductanceLaw } from './boardConductanceLaw.js';
import { boardLearningStep } from './boardLearningStep.js';
import { knownEdgeLaw } from './boardEdgeLaw.js';
import { StabilityMonitor } from './StabilityMonitor.js';
import { resolvePlan, type TrainingPlan } from './TrainingPlan.js';

/**
 * The learning-stability monitor of a board run whose step has a learning rate: gate boards, alpha_eff = 2 eta amp s
 * (boardLearningStep.ts), for boards whose edge law is known (calibrated, or reported in ID or a board file). Tap boards step one tap
 * by the sign of the contrast, which has no learning rate: no monitor (src/diagnostics/stepStability.ts).
 */
export function boardStabilityMonitor(id: BoardIdentity, planned: TrainingPlan, cal?: Calibration): StabilityMonitor | undefined {
  const law = boardConductanceLaw(id, cal);
  if (!law) return undefined;
  const plan = resolvePlan(planned);
  const step = boardLearningStep(id.edge, { eta: plan.eta, amp: plan.amp, calibration: cal?.record, nominal: knownEdgeLaw(id) });
  if (!step || step.rule !== 'cl') return undefined;
  const net = { name: id.model, nodes: id.nodes, edgeA: Int32Array.from(id.edges, (e) => e[0]), edgeB: Int32Array.from(id.edges, (e) => e[1]) };
  return new StabilityMonitor(net, plan.task, law, step.alpha, { rule: { rule: 'cl', eta: plan.eta } });
}
