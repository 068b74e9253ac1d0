import { degreesOfFreedom, type SpringNetwork } from './SpringNetwork.js';

/**
 * Below this (relative to the largest candidate's norm) a candidate rigid mode is dependent on the others and dropped:
 * nodes all on one line have no rotation about that line in 3D (5 rigid modes), and a single node has no rotation.
 */
export const RIGID_RANK_TOLERANCE = 1e-10;

/**
 * An orthonormal basis of the infinitesimal rigid-body motions of the reference positions: d translations and the
 * d(d-1)/2 rotations u_i = omega x (x_i - centroid), orthonormalised (Gram-Schmidt, twice). `basis` is dim N x count,
 * column-major (mode j at `basis.subarray(j * dN, (j + 1) * dN)`), dimensionless (unit 2-norm). `count` is 3 in 2D and
 * 6 in 3D unless the positions are degenerate (all collinear in 3D: 5). Every strain functional vanishes on them
 * (c . r = 0), and so does every spring extension: they cost no energy and carry no strain.
 */
export function rigidBodyModes(net: Pick<SpringNetwork, 'dim' | 'nodes' | 'positions'>): { basis: Float64Array; count: number } {
  const { dim, nodes, positions: x } = net;
  const n = degreesOfFreedom(net);
  const centroid = new Float64Array(dim);
  for (let i = 0; i < nodes; i++) for (let c = 0; c < dim; c++) centroid[c] += x[dim * i + c] / nodes;
  const candidates: Float64Array[] = [];
  for (let c = 0; c < dim; c++) {
    const t = new Float64Array(n);
    for (let i = 0; i < nodes; i++) t[dim * i + c] = 1;
    candidates.push(t);
  }
  // rotations about the axes (3D) or the plane's normal (2D): omega x r with r = x_i - centroid
  const axes = dim === 2 ? [[0, 1]] : [[1, 2], [2, 0], [0, 1]]; // rotation in the (p, q) plane: u_p = -r_q, u_q = r_p
  for (const [p, q] of axes) {
    const r = new Float64Array(n);
    for (let i = 0; i < nodes; i++) {
      r[dim * i + p] = -(x[dim * i + q] - centroid[q]);
      r[dim * i + q] = x[dim * i + p] - centroid[p];
    }
    candidates.push(r);
  }
  let scale = 0;
  for (const v of candidates) scale = Math.max(scale, norm(v));
  const kept: Float64Array[] = [];
  for (const v of candidates) {
    const before = norm(v);
    for (let pass = 0; pass < 2; pass++) {
      for (const q of kept) {
        const d = dot(q, v);
        for (let t = 0; t < n; t++) v[t] -= d * q[t];
      }
    }
    const after = norm(v);
    if (after <= RIGID_RANK_TOLERANCE * Math.max(before, scale) || after === 0) continue;
    for (let t = 0; t < n; t++) v[t] /= after;
    kept.push(v);
  }
  const basis = new Float64Array(n * kept.length);
  kept.forEach((v, j) => basis.set(v, j * n));
  return { basis, count: kept.length };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}
