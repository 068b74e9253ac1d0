/** Test fixtures for the sparse solver: matrices and graphs built independently of the code under test. */
import { Rng } from '../../../src/physics/Rng.js';
import { type AdjacencyGraph, adjacencyOfCsr } from '../../../src/physics/sparse/AdjacencyGraph.js';
import { type CsrMatrix, csrFromTriplets } from '../../../src/physics/sparse/CsrMatrix.js';

/** Edges of a side x side lattice, optionally with both diagonals in every cell. */
export function latticeEdges(side: number, diagonals: boolean): { a: number[]; b: number[] } {
  const a: number[] = [];
  const b: number[] = [];
  const id = (i: number, j: number): number => i * side + j;
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      if (j + 1 < side) a.push(id(i, j)), b.push(id(i, j + 1));
      if (i + 1 < side) a.push(id(i, j)), b.push(id(i + 1, j));
      if (diagonals && i + 1 < side && j + 1 < side) {
        a.push(id(i, j)), b.push(id(i + 1, j + 1));
        a.push(id(i, j + 1)), b.push(id(i + 1, j));
      }
    }
  }
  return { a, b };
}

/** Random connected graph on n vertices: random spanning tree plus `extra` random edges (may repeat). */
export function randomConnectedEdges(n: number, extra: number, rng: Rng): { a: number[]; b: number[] } {
  const a: number[] = [];
  const b: number[] = [];
  for (let v = 1; v < n; v++) a.push(rng.int(v)), b.push(v);
  for (let t = 0; t < extra && n > 1; t++) {
    const u = rng.int(n);
    let v = rng.int(n);
    if (v === u) v = (u + 1) % n;
    a.push(u), b.push(v);
  }
  return { a, b };
}

/**
 * Weighted Laplacian of the edges with random conductances in [0.5, 2], plus `ground` added to the diagonal
 * of the listed vertices (a conductance to a grounded node): symmetric positive definite when every component
 * touches a grounded vertex.
 */
export function groundedLaplacian(n: number, edges: { a: number[]; b: number[] }, grounded: number[], rng: Rng, conductance?: (e: number) => number): CsrMatrix {
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < n; i++) r.push(i), c.push(i), v.push(0);
  for (let e = 0; e < edges.a.length; e++) {
    const k = conductance ? conductance(e) : rng.uniform(0.5, 2);
    const x = edges.a[e];
    const y = edges.b[e];
    if (x === y) continue;
    r.push(x, y, x, y), c.push(y, x, x, y), v.push(-k, -k, k, k);
  }
  for (const g of grounded) r.push(g), c.push(g), v.push(conductance ? 1 : rng.uniform(0.5, 2));
  return csrFromTriplets(n, r, c, v);
}

/** Random sparse symmetric positive definite matrix (diagonally dominant, off-diagonals of both signs). */
export function randomSpd(n: number, offDiagonalPerRow: number, rng: Rng): CsrMatrix {
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  const rowAbs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < offDiagonalPerRow / 2; t++) {
      const j = rng.int(n);
      if (j === i) continue;
      const x = rng.uniform(-1, 1);
      r.push(i, j), c.push(j, i), v.push(x, x);
      rowAbs[i] += Math.abs(x);
      rowAbs[j] += Math.abs(x);
    }
  }
  for (let i = 0; i < n; i++) r.push(i), c.push(i), v.push(rowAbs[i] + rng.uniform(0.1, 1));
  return csrFromTriplets(n, r, c, v);
}

export function graphOf(a: CsrMatrix): AdjacencyGraph {
  return adjacencyOfCsr(a);
}

/** Graph from an edge list (self loops and repeats removed). */
export function graphFromEdges(n: number, edges: { a: number[]; b: number[] }): AdjacencyGraph {
  const r: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < n; i++) r.push(i), c.push(i);
  for (let e = 0; e < edges.a.length; e++) if (edges.a[e] !== edges.b[e]) r.push(edges.a[e], edges.b[e]), c.push(edges.b[e], edges.a[e]);
  return adjacencyOfCsr(csrFromTriplets(n, r, c, new Float64Array(r.length)));
}

/** Dense copy of a CSR matrix. */
export function dense(a: CsrMatrix): number[][] {
  const m = Array.from({ length: a.n }, () => new Array<number>(a.n).fill(0));
  for (let i = 0; i < a.n; i++) for (let p = a.rowPtr[i]; p < a.rowPtr[i + 1]; p++) m[i][a.colIdx[p]] += a.values[p];
  return m;
}

/**
 * Nonzeros of the Cholesky factor (diagonal included) for the graph eliminated in `order`, by explicit dense
 * symbolic elimination: eliminating a vertex joins all its later neighbours into a clique.
 */
export function naiveFactorNnz(graph: AdjacencyGraph, order: Int32Array): number {
  const n = graph.n;
  const pos = new Int32Array(n);
  for (let k = 0; k < n; k++) pos[order[k]] = k;
  const m = Array.from({ length: n }, () => new Uint8Array(n));
  for (let v = 0; v < n; v++) for (let p = graph.ptr[v]; p < graph.ptr[v + 1]; p++) m[pos[v]][pos[graph.adj[p]]] = 1;
  let nnz = 0;
  for (let k = 0; k < n; k++) {
    const later: number[] = [];
    for (let i = k + 1; i < n; i++) if (m[k][i]) later.push(i);
    nnz += 1 + later.length;
    for (const i of later) for (const j of later) if (i !== j) m[i][j] = 1;
  }
  return nnz;
}

export function isPermutation(order: Int32Array, n: number): boolean {
  if (order.length !== n) return false;
  const seen = new Uint8Array(n);
  for (const v of order) {
    if (v < 0 || v >= n || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}

export { Rng };
