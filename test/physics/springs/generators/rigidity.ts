/**
 * Rigidity by linear algebra, independent of the pebble game: the eigenvalues of the dense stiffness matrix.
 */
import { symmetricEigen } from '../../../../src/diagnostics/symmetricEigen.js';
import { denseStiffnessMatrix } from '../../../../src/physics/springs/stiffnessMatrix.js';
import type { SpringNetwork } from '../../../../src/physics/springs/SpringNetwork.js';

/** Ascending eigenvalues of H (energy / length^2). */
export function stiffnessEigenvalues(net: SpringNetwork): Float64Array {
  const n = net.dim * net.nodes;
  return symmetricEigen(denseStiffnessMatrix(net), n, { vectors: false }).values;
}

/**
 * Number of zero eigenvalues of H: below 1e-9 of the largest (rounding leaves ~1e-14 on the zero modes). Also returns
 * the smallest non-zero one, to show the gap.
 */
export function zeroModes(net: SpringNetwork): { zero: number; smallestNonZero: number } {
  const v = stiffnessEigenvalues(net);
  const cut = 1e-9 * v[v.length - 1];
  let zero = 0;
  while (zero < v.length && Math.abs(v[zero]) < cut) zero++;
  return { zero, smallestNonZero: v[zero] };
}

/** Springs per node. */
export function degrees(net: SpringNetwork): Int32Array {
  const d = new Int32Array(net.nodes);
  for (let e = 0; e < net.edgeA.length; e++) {
    d[net.edgeA[e]]++;
    d[net.edgeB[e]]++;
  }
  return d;
}
