import { InvalidInputError } from '../errors.js';
import { edgeCurrents } from './edgeDrops.js';
import { LaplacianSystem, type LaplacianSystemOptions, type SolveDiagnostics } from './LaplacianSystem.js';
import type { Network } from './Network.js';

/** Node voltages and edge currents of a network with some node voltages imposed. */
export interface CircuitSolution {
  /** Node voltages in volts, length N. */
  voltages: Float64Array;
  /** Edge currents in amperes from a_e to b_e, length E. */
  currents: Float64Array;
  diagnostics: SolveDiagnostics;
}

/**
 * Solve a network once: nodes in `fixed` held at the given voltages (volts), every other node obeying Kirchhoff's
 * current law. The caller checks connectivity first (see formats/connectivity) for a friendly error; a floating
 * component still fails here with a NumericalError.
 */
export function solveCircuit(net: Network, fixed: Map<number, number>, options?: LaplacianSystemOptions): CircuitSolution {
  if (fixed.size === 0) {
    throw new InvalidInputError({ field: '--fix' }, 'no node voltage is imposed, so the voltages are undetermined', 'give at least one --fix NODE=VOLTS');
  }
  const imposed = Int32Array.from(fixed.keys());
  const values = Float64Array.from(fixed.values());
  const sys = new LaplacianSystem(net.nodes, net.edgeA, net.edgeB, imposed, options);
  sys.setConductance(net.conductance);
  const { voltages, diagnostics } = sys.solve(values);
  return { voltages, currents: edgeCurrents(net.edgeA, net.edgeB, net.conductance, voltages), diagnostics };
}
