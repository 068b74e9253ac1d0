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
import { InvalidInputError } from '../errors.js';
import { learningStability } from './learningStability.js';
import type { NonlinearCostHessian } from './nonlinearDiagnostics.js';

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

/**
 * Why the index is not computed for a nonlinear network with transistors: their current depends on the edge's mean
 * voltage, so the Kirchhoff Jacobian is not symmetric; CL and EP then step along the co-content's signals, which are
 * not J^T G_TT^-1 r nor the cost gradient, and their linearised step is not a symmetric matrix whose largest
 * eigenvalue bounds alpha. With gates and conductances together, one alpha also acts in two units (V/A on gates,
 * S/V^2 on conductances).
 */
export const TRANSISTOR_STABILITY_REASON =
  'transistors make the Kirchhoff Jacobian non-symmetric (their current depends on the mean edge voltage), so the CL and EP steps are not descent along J^T G_TT^-1 J or the cost Hessian and alpha * lambda_max does not bound them';

/**
 * The stability verdict of `step` on a nonlinear network of two-terminal elements (resistors, diodes, tables; its
 * parameters are conductances k in S): the same index as {@link ruleStability}, alpha lambda_max(M), with the Jacobian
 * J = dV_T/dk and the cost Hessian of {@link NonlinearCostHessian}. EP, CEP: M the full cost Hessian. CL: M =
 * (1/M) sum_m J_m^T G_TT,m^-1 J_m with each example's own target transfer resistances (J_phys^-1)_TT at its free
 * state (they depend on the state, unlike a linear network's), by {@link learningStability}'s Jacobian route with
 * each example's rows whitened by the Cholesky factor of G_TT,m. Exact gradient descent: the full cost Hessian, with
 * transistors too (its step is the true gradient's). Returns undefined for CL, EP and CEP on a network with transistors
 * (see {@link TRANSISTOR_STABILITY_REASON}); the tap rule as {@link stepStability}.
 */
export function nonlinearStepStability(net: Network, step: LearningStep, origin: StepOrigin, h: NonlinearCostHessian): StabilityVerdict | undefined {
  if (step.rule === 'tap') return { rule: 'tap', applies: false, index: null, unstable: false, reason: TAP_RULE_REASON, step, origin };
  // exact gradient descent steps along the true gradient whatever the Jacobian: the cost Hessian's index holds even
  // with transistors (only the contrast rules, which follow J instead of J^T there, lose it)
  if (step.rule !== 'gradient' && net.elements?.some((el) => el?.kind === 'transistor')) return undefined;
  if (step.rule !== 'cl') {
    const r = learningStability(step.alpha, h);
    return { rule: step.rule, alpha: step.alpha, lambdaMax: r.lambdaMax, index: r.index, unstable: r.unstable, matrix: 'cost Hessian', iterations: r.iterations, applies: true, step, origin };
  }
  const E = h.edges;
  const T = h.targetTransfer[0]?.length ?? 0;
  const whitened = new Float64Array(h.jacobian.length);
  h.targetTransfer.forEach((g, m) => {
    // G = L L^T; rows of L^-1 J by forward substitution
    const L = cholesky(g);
    for (let i = 0; i < T; i++) {
      const out = (m * T + i) * E;
      for (let e = 0; e < E; e++) {
        let s = h.jacobian[out + e];
        for (let j = 0; j < i; j++) s -= L[i][j] * whitened[(m * T + j) * E + e];
        whitened[out + e] = s / L[i][i];
      }
    }
  });
  const r = learningStability(step.alpha, { jacobian: whitened, rows: h.targetTransfer.length * T, edges: E, scale: 1 / h.examples });
  return { rule: 'cl', alpha: step.alpha, lambdaMax: r.lambdaMax, index: r.index, unstable: r.unstable, matrix: 'J^T G_TT^-1 J', iterations: r.iterations, applies: true, step, origin };
}

/** Cholesky factor of a small symmetric positive definite matrix (the targets' transfer resistances, ohm^1/2). */
function cholesky(a: number[][]): number[][] {
  const n = a.length;
  const L = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0.5 * (a[i][j] + a[j][i]);
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      if (i === j) {
        if (!(s > 0)) throw new InvalidInputError({ field: 'G_TT' }, 'the targets\' transfer resistances are not positive definite: a target is not connected to an imposed node at this state', 'check that every target conducts to a source or ground');
        L[i][i] = Math.sqrt(s);
      } else L[i][j] = s / L[j][j];
    }
  }
  return L;
}
