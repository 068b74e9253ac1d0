/**
 * Learning rules of spring networks (issue 17, point 3): coupled learning on the stiffnesses, and the exact gradient
 * of the task error as a reference. Pure; the states come from {@link StrainSolver}.
 *
 * Coupled learning (Stern et al. PRX 2021, elastic networks; the lab's notes). Per direction d of a task, the free
 * state imposes the source strain, the clamped state also imposes eps_T^C = eps_T^F + eta (Delta - eps_T^F). The
 * contrast, with the energy regularisation lambda (either sign; < 0 raises E^F, > 0 lowers it), is
 *
 *     C_d = 1/eta [(E^C - E^F) + lambda E^F] = 1/eta [E^C - (1 - lambda) E^F].
 *
 * Both states minimise E = 1/2 sum_j k_j ext_j^2 at fixed imposed strains, so at fixed imposed strains (the clamp's
 * value eps_T^C held, as the physical rule holds it) the envelope theorem gives dE/dk_j = ext_j^2 / 2 in each state,
 * and
 *
 *     dC_d/dk_j = 1/(2 eta) [(ext_j^C)^2 - (1 - lambda)(ext_j^F)^2].
 *
 * The update is k_j <- clip(k_j - alpha sum_d dC_d/dk_j, k_min, k_max): for lambda = 0 the notes' rule
 * k_j <- k_j - alpha/(2 eta) [(ext_j^C)^2 - (ext_j^F)^2], summed over both directions when the task is cooperative.
 * Each term is local: a spring needs only its own extension in the two states.
 *
 * Note that eps_T^C itself moves with k (through eps_T^F); the rule treats it as fixed, so -alpha dC/dk here is the
 * partial derivative at the clamp's value. The total derivative adds (1 - eta)/eta lambda_T^C d eps_T^F/dk, with
 * lambda_T^C the clamped state's constraint force at the target (test/physics/springs/trainingRule.test.ts checks
 * both by finite differences).
 */
import type { StrainDirectionStates } from './StrainSolver.js';

/** The learning rules of spring networks: coupled learning, and exact gradient descent on the task error. */
export type SpringRuleName = 'cl' | 'gradient';

/** The rules, for messages and option checks. */
export const SPRING_RULES: readonly SpringRuleName[] = ['cl', 'gradient'];

/**
 * The contrast of a task's states, sum_d 1/eta [(E^C_d - E^F_d) + lambda E^F_d] (energy units / eta).
 * @param states the free and clamped states of every direction ({@link StrainSolver.taskStates})
 */
export function strainContrast(states: readonly StrainDirectionStates[], eta: number, lambda: number): number {
  let c = 0;
  for (const s of states) c += (s.clamped.energy - s.free.energy + lambda * s.free.energy) / eta;
  return c;
}

/**
 * dC/dk_j of {@link strainContrast} at fixed imposed strains: sum_d 1/(2 eta) [(ext_j^C)^2 - (1 - lambda)(ext_j^F)^2]
 * (length^2 / eta; one entry per spring). The coupled-learning update is -alpha times this.
 */
export function contrastGradient(states: readonly StrainDirectionStates[], eta: number, lambda: number): Float64Array {
  const E = states[0].free.extensions.length;
  const g = new Float64Array(E);
  const keep = 1 - lambda;
  for (const s of states) {
    const ef = s.free.extensions;
    const ec = s.clamped.extensions;
    for (let j = 0; j < E; j++) g[j] += (ec[j] * ec[j] - keep * ef[j] * ef[j]) / (2 * eta);
  }
  return g;
}

/**
 * k_j <- clip(k_j - alpha g_j, lo, hi) in place (stiffness, energy / length^2). Returns how many springs changed.
 * @param g a gradient (contrast or task error) with respect to the stiffnesses
 */
export function descend(k: Float64Array, g: Float64Array, alpha: number, bounds: readonly [number, number]): number {
  const [lo, hi] = bounds;
  let changed = 0;
  for (let j = 0; j < k.length; j++) {
    const next = Math.min(hi, Math.max(lo, k[j] - alpha * g[j]));
    if (next !== k[j]) changed++;
    k[j] = next;
  }
  return changed;
}
