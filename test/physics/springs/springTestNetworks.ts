/**
 * Spring networks built by hand for the solver tests (the generators are written elsewhere), and an independent dense
 * reference: the full KKT system with a null-space basis from symmetricEigen, solved by dense Gaussian elimination.
 */
import { symmetricEigen } from '../../../src/diagnostics/symmetricEigen.js';
import { Rng } from '../../../src/physics/Rng.js';
import type { SpringNetwork } from '../../../src/physics/springs/SpringNetwork.js';
import { referenceDistance } from '../../../src/physics/springs/SpringNetwork.js';
import { denseStiffnessMatrix, strainVector } from '../../../src/physics/springs/stiffnessMatrix.js';

/** A spring network from positions, edges and stiffnesses (rest lengths = distances). */
export function springNet(dim: 2 | 3, positions: number[][], edges: [number, number][], k?: number[], name = 'test'): SpringNetwork {
  const net: SpringNetwork = {
    name,
    dim,
    nodes: positions.length,
    positions: Float64Array.from(positions.flat()),
    edgeA: Int32Array.from(edges.map((e) => e[0])),
    edgeB: Int32Array.from(edges.map((e) => e[1])),
    stiffness: Float64Array.from(k ?? edges.map(() => 1)),
    restLength: new Float64Array(edges.length),
  };
  for (let e = 0; e < edges.length; e++) net.restLength[e] = referenceDistance(net, edges[e][0], edges[e][1]);
  return net;
}

/**
 * A triangular-lattice patch of rows x cols nodes (spacing 1), each node displaced uniformly by up to `disorder` in each
 * coordinate, each bond kept with probability `keep`, stiffnesses uniform in [0.5, 2]; seeded.
 */
export function triangularPatch(rows: number, cols: number, opts: { disorder?: number; keep?: number; seed?: number } = {}): SpringNetwork {
  const rng = new Rng(opts.seed ?? 1);
  const disorder = opts.disorder ?? 0;
  const keep = opts.keep ?? 1;
  const positions: number[][] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      positions.push([c + 0.5 * (r % 2) + disorder * rng.uniform(-1, 1), r * Math.sqrt(3) / 2 + disorder * rng.uniform(-1, 1)]);
    }
  }
  const id = (r: number, c: number): number => r * cols + c;
  const edges: [number, number][] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const cand: [number, number][] = [];
      if (c + 1 < cols) cand.push([r, c + 1]);
      if (r + 1 < rows) {
        // odd rows are shifted right by half a spacing
        const left = r % 2 === 0 ? c - 1 : c;
        if (left >= 0) cand.push([r + 1, left]);
        if (left + 1 < cols) cand.push([r + 1, left + 1]);
      }
      for (const [r2, c2] of cand) if (rng.next() < keep) edges.push([id(r, c), id(r2, c2)]);
    }
  }
  const k = edges.map(() => rng.uniform(0.5, 2));
  return springNet(2, positions, edges, k, `triangular-${rows}x${cols}`);
}

/** Dense Gaussian elimination with partial pivoting: solves A x = b (row-major n x n; A and b are overwritten). */
export function denseSolve(A: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let c = 0; c < n; c++) {
    let piv = c;
    let best = Math.abs(A[c * n + c]);
    for (let r = c + 1; r < n; r++) {
      const v = Math.abs(A[r * n + c]);
      if (v > best) {
        best = v;
        piv = r;
      }
    }
    if (best === 0) throw new Error(`dense KKT singular at column ${c}`);
    if (piv !== c) {
      const rowC = A.slice(c * n, c * n + n);
      A.copyWithin(c * n, piv * n, piv * n + n);
      A.set(rowC, piv * n);
      [b[c], b[piv]] = [b[piv], b[c]];
    }
    const d = A[c * n + c];
    for (let r = c + 1; r < n; r++) {
      const f = A[r * n + c] / d;
      if (f === 0) continue;
      const ro = r * n;
      const co = c * n;
      for (let k = c; k < n; k++) A[ro + k] -= f * A[co + k];
      b[r] -= f * b[c];
    }
  }
  const x = new Float64Array(n);
  for (let c = n - 1; c >= 0; c--) {
    let s = b[c];
    for (let k = c + 1; k < n; k++) s -= A[c * n + k] * x[k];
    x[c] = s / A[c * n + c];
  }
  return x;
}

/** The dense reference solution: least-norm u, constraint forces, energy, and the zero-mode count. */
export interface DenseResponse {
  u: Float64Array;
  lambda: Float64Array;
  energy: number;
  zeroModes: number;
}

/**
 * Minimise 1/2 u^T H u - f.u subject to c_k . u = eps_k, with u orthogonal to null(H) ∩ null(C^T): the KKT system
 *   [H  C  N0] [u      ]   [f  ]
 *   [C' 0  0 ] [-lambda] = [eps]
 *   [N0' 0 0 ] [kappa  ]   [0  ]
 * with N0 an orthonormal basis of the zero modes of H (eigenvalues below 1e-9 max) that no constraint strains.
 */
export function denseReference(
  net: SpringNetwork,
  constraints: { pair: readonly [number, number]; strain: number }[],
  force?: Float64Array,
  eig = denseEigen(net),
): DenseResponse {
  const n = net.dim * net.nodes;
  const m = constraints.length;
  const H = denseStiffnessMatrix(net);
  const vals = eig.values;
  const vecs = eig.vectors!;
  const top = Math.max(Math.abs(vals[0]), Math.abs(vals[n - 1]));
  const nullIdx: number[] = [];
  for (let j = 0; j < n; j++) if (Math.abs(vals[j]) <= 1e-9 * top) nullIdx.push(j);
  const z = nullIdx.length;
  const C = constraints.map((con) => {
    const { dofs, coefficients } = strainVector(net, con.pair[0], con.pair[1]);
    const v = new Float64Array(n);
    dofs.forEach((d, t) => (v[d] += coefficients[t]));
    return v;
  });
  // M = C^T N (m x z); N0 = N Y with Y spanning null(M): eigenvectors of M^T M with eigenvalue ~0.
  const M = new Float64Array(m * z);
  for (let k = 0; k < m; k++) {
    for (let j = 0; j < z; j++) {
      const q = vecs.subarray(nullIdx[j] * n, (nullIdx[j] + 1) * n);
      let s = 0;
      for (let i = 0; i < n; i++) s += C[k][i] * q[i];
      M[k * z + j] = s;
    }
  }
  const MtM = new Float64Array(z * z);
  for (let a = 0; a < z; a++) for (let b = 0; b < z; b++) {
    let s = 0;
    for (let k = 0; k < m; k++) s += M[k * z + a] * M[k * z + b];
    MtM[a * z + b] = s;
  }
  const me = symmetricEigen(MtM, z);
  let cmax = 0;
  for (const c of C) cmax = Math.max(cmax, Math.hypot(...c));
  const N0: Float64Array[] = [];
  for (let j = 0; j < z; j++) {
    if (Math.sqrt(Math.max(me.values[j], 0)) > 1e-8 * cmax) continue;
    const y = me.vectors!.subarray(j * z, (j + 1) * z);
    const v = new Float64Array(n);
    for (let a = 0; a < z; a++) {
      const q = vecs.subarray(nullIdx[a] * n, (nullIdx[a] + 1) * n);
      for (let i = 0; i < n; i++) v[i] += y[a] * q[i];
    }
    N0.push(v);
  }
  const p = N0.length;
  const size = n + m + p;
  const K = new Float64Array(size * size);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K[i * size + j] = H[i * n + j];
  C.forEach((c, k) => {
    for (let i = 0; i < n; i++) {
      K[i * size + n + k] = c[i];
      K[(n + k) * size + i] = c[i];
    }
  });
  N0.forEach((v, k) => {
    for (let i = 0; i < n; i++) {
      K[i * size + n + m + k] = v[i];
      K[(n + m + k) * size + i] = v[i];
    }
  });
  const rhs = new Float64Array(size);
  if (force) rhs.set(force);
  constraints.forEach((con, k) => (rhs[n + k] = con.strain));
  const x = denseSolve(K, rhs, size);
  const u = x.slice(0, n);
  const lambda = Float64Array.from({ length: m }, (_, k) => -x[n + k]);
  let energy = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) energy += 0.5 * u[i] * H[i * n + j] * u[j];
  return { u, lambda, energy, zeroModes: z };
}

/** The eigen-decomposition of the dense stiffness matrix (to share between reference solves on one network). */
export function denseEigen(net: SpringNetwork): ReturnType<typeof symmetricEigen> {
  return symmetricEigen(denseStiffnessMatrix(net), net.dim * net.nodes);
}

/** Largest |a_i - b_i| over max |b_i| (relative in the infinity norm). */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / Math.max(s, 1e-300);
}
