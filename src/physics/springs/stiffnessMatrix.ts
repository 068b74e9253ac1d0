import { InvalidInputError, show } from '../../errors.js';
import { type CsrMatrix, csrFromTriplets } from '../sparse/CsrMatrix.js';
import { degreesOfFreedom, referenceDistance, type SpringNetwork, springCount } from './SpringNetwork.js';

/**
 * Unit bond vectors b_e (from a_e to b_e at the reference positions), interleaved, length dim * E. Throws
 * InvalidInputError for a spring of zero length (two nodes at the same position), whose direction is undefined.
 */
export function bondDirections(net: SpringNetwork): Float64Array {
  const { dim, positions: x, edgeA, edgeB } = net;
  const e = springCount(net);
  const out = new Float64Array(dim * e);
  for (let s = 0; s < e; s++) {
    const a = edgeA[s];
    const b = edgeB[s];
    const len = referenceDistance(net, a, b);
    if (!(len > 0)) {
      throw new InvalidInputError(
        { source: net.name, field: `edges[${s}]` },
        `spring joins nodes ${a} and ${b} at the same position (distance ${show(len)}), so its direction is undefined`,
        'move one node or remove the spring',
      );
    }
    for (let c = 0; c < dim; c++) out[dim * s + c] = (x[dim * b + c] - x[dim * a + c]) / len;
  }
  return out;
}

/**
 * Linearised extensions ext_e = b_e . (u[b_e] - u[a_e]) of every spring for displacements `u` (interleaved, length
 * dim N). `directions` from {@link bondDirections}. Length unit.
 */
export function springExtensions(net: SpringNetwork, directions: Float64Array, u: Float64Array, out = new Float64Array(springCount(net))): Float64Array {
  const { dim, edgeA, edgeB } = net;
  for (let s = 0; s < out.length; s++) {
    const a = dim * edgeA[s];
    const b = dim * edgeB[s];
    let v = 0;
    for (let c = 0; c < dim; c++) v += directions[dim * s + c] * (u[b + c] - u[a + c]);
    out[s] = v;
  }
  return out;
}

/**
 * The stiffness matrix (physical Hessian) H = sum_e k_e B_e B_e^T of the linearised network, dN x dN in CSR with both
 * triangles (energy / length^2). `stiffness` defaults to the network's own. The pattern depends on the graph only, so a
 * learning loop may rewrite `values` in place and keep every ordering and symbolic factorisation built on it.
 */
export function stiffnessMatrix(net: SpringNetwork, directions = bondDirections(net), stiffness = net.stiffness): CsrMatrix {
  const { dim, edgeA, edgeB } = net;
  const e = springCount(net);
  const per = 4 * dim * dim;
  const rows = new Int32Array(e * per + degreesOfFreedom(net));
  const cols = new Int32Array(rows.length);
  const vals = new Float64Array(rows.length);
  let t = 0;
  for (let s = 0; s < e; s++) {
    const k = stiffness[s];
    const ends = [dim * edgeA[s], dim * edgeB[s]];
    const sign = [-1, 1];
    for (let p = 0; p < 2; p++) {
      for (let q = 0; q < 2; q++) {
        for (let i = 0; i < dim; i++) {
          for (let j = 0; j < dim; j++) {
            rows[t] = ends[p] + i;
            cols[t] = ends[q] + j;
            vals[t] = k * sign[p] * sign[q] * directions[dim * s + i] * directions[dim * s + j];
            t++;
          }
        }
      }
    }
  }
  // Structural diagonal for every degree of freedom (value 0), so that an isolated node still has a stored diagonal.
  for (let i = 0; i < degreesOfFreedom(net); i++) {
    rows[t] = i;
    cols[t] = i;
    vals[t] = 0;
    t++;
  }
  return csrFromTriplets(degreesOfFreedom(net), rows, cols, vals);
}

/** The stiffness matrix as a dense row-major dN x dN array (for small networks, tests and dense baselines). */
export function denseStiffnessMatrix(net: SpringNetwork, directions = bondDirections(net), stiffness = net.stiffness): Float64Array {
  const { dim, edgeA, edgeB } = net;
  const n = degreesOfFreedom(net);
  const h = new Float64Array(n * n);
  for (let s = 0; s < springCount(net); s++) {
    const ends = [dim * edgeA[s], dim * edgeB[s]];
    const sign = [-1, 1];
    for (let p = 0; p < 2; p++) {
      for (let q = 0; q < 2; q++) {
        for (let i = 0; i < dim; i++) {
          for (let j = 0; j < dim; j++) {
            h[(ends[p] + i) * n + ends[q] + j] += stiffness[s] * sign[p] * sign[q] * directions[dim * s + i] * directions[dim * s + j];
          }
        }
      }
    }
  }
  return h;
}

/**
 * The strain functional of a node pair as a sparse row: eps_ij = c . u with c = -b_ij / l_ij at node i and +b_ij / l_ij
 * at node j (1 / length). Returns the 2 d degrees of freedom it touches and their coefficients.
 */
export function strainVector(net: SpringNetwork, i: number, j: number): { dofs: Int32Array; coefficients: Float64Array } {
  const { dim, positions: x } = net;
  const len = referenceDistance(net, i, j);
  if (i === j || !(len > 0)) {
    throw new InvalidInputError(
      { source: net.name, field: `strain pair (${i}, ${j})` },
      'the two nodes of a strain pair must be distinct and at distinct positions',
      'choose another pair',
    );
  }
  const dofs = new Int32Array(2 * dim);
  const coefficients = new Float64Array(2 * dim);
  for (let c = 0; c < dim; c++) {
    const b = (x[dim * j + c] - x[dim * i + c]) / len;
    dofs[c] = dim * i + c;
    coefficients[c] = -b / len;
    dofs[dim + c] = dim * j + c;
    coefficients[dim + c] = b / len;
  }
  return { dofs, coefficients };
}

/**
 * y = H u without forming H: y = sum_e B_e k_e ext_e (energy / length^2 x length = force units). `u` interleaved,
 * length dim N; `out` is overwritten. O(E d).
 */
export function stiffnessTimes(net: SpringNetwork, directions: Float64Array, stiffness: Float64Array, u: Float64Array, out = new Float64Array(degreesOfFreedom(net))): Float64Array {
  const { dim, edgeA, edgeB } = net;
  out.fill(0);
  for (let s = 0; s < edgeA.length; s++) {
    const a = dim * edgeA[s];
    const b = dim * edgeB[s];
    let ext = 0;
    for (let c = 0; c < dim; c++) ext += directions[dim * s + c] * (u[b + c] - u[a + c]);
    const t = stiffness[s] * ext;
    for (let c = 0; c < dim; c++) {
      out[b + c] += t * directions[dim * s + c];
      out[a + c] -= t * directions[dim * s + c];
    }
  }
  return out;
}
