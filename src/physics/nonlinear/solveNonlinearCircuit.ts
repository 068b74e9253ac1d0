import { InvalidInputError } from '../../errors.js';
import type { Network } from '../Network.js';
import { elementLaw } from './elementLaw.js';
import { type NonlinearSolution, NonlinearSolver, type NonlinearSolverOptions } from './NonlinearSolver.js';

/**
 * Solve a network with nonlinear elements once (the nonlinear counterpart of solveCircuit): nodes in `fixed` held at
 * the given voltages (V), Kirchhoff's law at every other node. Edges without an element are linear resistors of their
 * `conductance`, so a linear network gives the linear solver's answer (one Newton step).
 */
export function solveNonlinearCircuit(net: Network, fixed: Map<number, number>, options?: NonlinearSolverOptions & { start?: ArrayLike<number> }): NonlinearSolution {
  if (fixed.size === 0) {
    throw new InvalidInputError({ field: '--fix' }, 'no node voltage is imposed, so the voltages are undetermined', 'give at least one --fix NODE=VOLTS');
  }
  const laws = Array.from(net.conductance, (k, e) => elementLaw(net.elements?.[e], k));
  const solver = new NonlinearSolver(net.nodes, net.edgeA, net.edgeB, laws, Int32Array.from(fixed.keys()), options);
  return solver.solve(Float64Array.from(fixed.values()), options?.start);
}
