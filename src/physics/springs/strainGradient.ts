import { InvalidInputError } from '../../errors.js';
import { degreesOfFreedom } from './SpringNetwork.js';
import { strainVector } from './stiffnessMatrix.js';
import type { LinearResponse, StrainSolver } from './StrainSolver.js';
import { type StrainDirection, strainDirections, type StrainTask } from './StrainTask.js';

/**
 * dE/dk_e = ext_e^2 / 2 at fixed strain constraints (length^2 = energy / stiffness), length E: the envelope theorem
 * (the constraint forces do no work when k changes at fixed constraints). This is the per-spring signal of the coupled
 * learning rule, whose contrast is (ext^C)^2 - (ext^F)^2.
 */
export function energyGradient(response: LinearResponse): Float64Array {
  const ext = response.extensions;
  const out = new Float64Array(ext.length);
  for (let e = 0; e < ext.length; e++) out[e] = 0.5 * ext[e] * ext[e];
  return out;
}

/** The free-state target strain of a direction and its exact gradient with respect to every stiffness. */
export interface TargetStrainGradient {
  /** eps_T^F (dimensionless). */
  targetStrain: number;
  /** d eps_T^F / dk_e (length^2 / energy), length E. */
  gradient: Float64Array;
  /** The free state. */
  free: LinearResponse;
  /** The adjoint state (the target's strain functional applied as a force, the source strain held at 0). */
  adjoint: LinearResponse;
}

/**
 * d eps_T^F / dk_e by the adjoint: with the free state u (H u = lambda c_S, c_S . u = eps_S) and the adjoint w
 * (H w = c_T + nu c_S, c_S . w = 0), d eps_T^F / dk_e = -ext_e(w) ext_e(u). Both solves reuse the solver's
 * factorisation. Zero modes do not matter: extensions do not see them.
 * @throws InvalidInputError when a floppy mode strains the target pair without straining the source pair: eps_T^F is
 *   then not determined by the network (any value costs no energy) and has no gradient
 */
export function targetStrainGradient(solver: StrainSolver, direction: StrainDirection, sourceStrain: number): TargetStrainGradient {
  const free = solver.freeState(direction, sourceStrain);
  const [i, j] = direction.target;
  const targetStrain = solver.strain(free.displacements, i, j);
  const force = new Float64Array(degreesOfFreedom(solver.net));
  const { dofs, coefficients } = strainVector(solver.net, i, j);
  for (let t = 0; t < dofs.length; t++) force[dofs[t]] += coefficients[t];
  let adjoint: LinearResponse;
  try {
    adjoint = solver.solve([{ pair: direction.source, strain: 0 }], force);
  } catch (e) {
    if (e instanceof InvalidInputError && e.field === 'force') {
      throw new InvalidInputError(
        { source: solver.net.name, field: 'target' },
        `a floppy mode strains the target pair (${i}, ${j}) without straining the source pair (${direction.source[0]}, ${direction.source[1]}): ` +
          'the target strain is not determined by the network and has no gradient',
        'choose a target pair inside a rigid part of the network, or rigidify it (add springs)',
      );
    }
    throw e;
  }
  const gradient = new Float64Array(free.extensions.length);
  for (let e = 0; e < gradient.length; e++) gradient[e] = -adjoint.extensions[e] * free.extensions[e];
  return { targetStrain, gradient, free, adjoint };
}

/** The task error and its exact gradient. */
export interface StrainCostGradient {
  /** C = sum over directions of 1/2 (eps_T^F - Delta)^2 (dimensionless). */
  cost: number;
  /** dC/dk_e (length^2 / energy), length E. */
  gradient: Float64Array;
  /** Per direction: eps_T^F and its gradient. */
  directions: TargetStrainGradient[];
}

/**
 * The cost C = 1/2 (eps_T^F - Delta)^2 of a strain task (summed over both directions when cooperative) and its exact
 * gradient dC/dk = (eps_T^F - Delta) d eps_T^F / dk (adjoint, {@link targetStrainGradient}).
 */
export function strainCostGradient(solver: StrainSolver, task: StrainTask): StrainCostGradient {
  const directions = strainDirections(task).map((d) => targetStrainGradient(solver, d, task.sourceStrain));
  const gradient = new Float64Array(directions[0].gradient.length);
  let cost = 0;
  for (const d of directions) {
    const err = d.targetStrain - task.delta;
    cost += 0.5 * err * err;
    for (let e = 0; e < gradient.length; e++) gradient[e] += err * d.gradient[e];
  }
  return { cost, gradient, directions };
}
