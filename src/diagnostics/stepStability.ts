/**
 * The learning-stability verdict for the rule and step a network actually learns by (issue 11, point 10): the index
 * alpha * lambda_max of ruleStability.ts where the rule is a gradient step with a learning rate, and a plain "does not
 * apply" for the tap rule, which has none.
 *
 * Why the index does not apply to the tap rule. A tap board moves every edge by one tap — a fixed factor in
 * conductance, about 7 % on penn-gen1 — by the sign of (dV^F)^2 - (dV^C)^2, whatever that difference's size. The
 * index rests on the step being alpha times the gradient: near a minimum the update is then linear in the distance
 * to it, dk <- (I - alpha M) dk, and diverges along M's stiffest mode when alpha lambda_max > 2. A sign step is not
 * linear in the distance: its effective rate |dk| / |g| grows without bound as the gradient vanishes, so no fixed
 * alpha describes it and alpha lambda_max has no value. Nor can it diverge: each step is one tap, and the taps are
 * bounded. Near a solution it ends in an oscillation of about one tap around it, whose size is set by the tap table
 * (the resolution of the board), not by a learning rate. So the verdict is "not applicable", with that reason.
 */
import type { Network } from '../physics/Network.js';
import type { Example, Task } from '../physics/Task.js';
import type { CostHessianResult } from './costHessian.js';
import { ruleStability, type RuleStabilityResult } from './ruleStability.js';

/** The rule a network learns by and its step. Units as in docs/design.md's update: alpha in S/V^2 (CL), beta in S. */
export type LearningStep =
  | {
      rule: 'cl';
      eta: number;
      alpha: number;
      /** A gate board's rule, which moves V_G by amp [(dV^F)^2 - (dV^C)^2]: alpha = 2 eta amp s. */
      gate?: { amp: number; s: number; sFrom: 'calibration' | 'board model' };
    }
  | { rule: 'ep' | 'cep'; beta: number; alpha: number }
  /** Exact gradient descent (simulation only): theta <- theta - alpha dC/dtheta, alpha as EP's. */
  | { rule: 'gradient'; alpha: number }
  | {
      rule: 'tap';
      eta: number;
      /** Taps per edge, when known. */
      taps?: number;
    };

/** Where the step came from: a run record's start document, the options given, or clln train's defaults. */
export interface StepOrigin {
  from: 'run' | 'options' | 'defaults';
  /** Human-readable, e.g. "run record: board penn-gen2, --update device" or "network tap table". */
  detail: string;
}

/** Why the stability index does not apply to the tap rule (see the file comment). */
export const TAP_RULE_REASON =
  'the tap rule moves each edge one tap by the sign of its contrast, whatever its size: it has no learning rate, so alpha * lambda_max has no value, and a bounded step of one tap cannot diverge along a stiff mode (near a solution it oscillates by about one tap)';

/** The verdict for one rule and step. */
export type StabilityVerdict =
  | (RuleStabilityResult & { applies: true; step: LearningStep; origin: StepOrigin })
  | { rule: 'tap'; applies: false; index: null; unstable: false; reason: string; step: LearningStep; origin: StepOrigin };

/**
 * The stability verdict of `step` on `net` and `task` (conductances as in `net`). CL, EP, CEP (also a gate board's
 * CL): {@link ruleStability} with the step's alpha; the tap rule: not applicable, with {@link TAP_RULE_REASON}.
 * @param opts.hessian the cost Hessian of `net` and `task`, when already computed
 */
export function stepStability(
  net: Network,
  task: Task,
  step: LearningStep,
  origin: StepOrigin,
  opts: { examples?: Example[]; hessian?: CostHessianResult } = {},
): StabilityVerdict {
  if (step.rule === 'tap') return { rule: 'tap', applies: false, index: null, unstable: false, reason: TAP_RULE_REASON, step, origin };
  const r = ruleStability(
    net,
    task,
    step.rule === 'cl' ? { rule: 'cl', eta: step.eta, alpha: step.alpha } : step.rule === 'gradient' ? { rule: 'gradient', alpha: step.alpha } : { rule: step.rule, beta: step.beta, alpha: step.alpha },
    opts,
  );
  return { ...r, applies: true, step, origin };
}
