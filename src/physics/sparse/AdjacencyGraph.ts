import type { CsrMatrix } from './CsrMatrix.js';

/**
 * An undirected graph in compressed form: the neighbours of vertex v are adj[ptr[v] .. ptr[v+1]-1], each
 * edge listed from both ends, no self loops and no repeated neighbours. This is the sparsity graph of a
 * symmetric matrix, on which fill-reducing orderings work.
 */
export interface AdjacencyGraph {
  /** Number of vertices. */
  readonly n: number;
  /** Offsets into adj (length n+1). */
  readonly ptr: Int32Array;
  /** Neighbour lists, concatenated. */
  readonly adj: Int32Array;
}

/** The sparsity graph of a symmetric CSR matrix (diagonal dropped). */
export function adjacencyOfCsr(a: CsrMatrix): AdjacencyGraph {
  const { n, rowPtr, colIdx } = a;
  const ptr = new Int32Array(n + 1);
  let nz = 0;
  for (let i = 0; i < n; i++) {
    for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) if (colIdx[p] !== i) nz++;
    ptr[i + 1] = nz;
  }
  const adj = new Int32Array(nz);
  nz = 0;
  for (let i = 0; i < n; i++) {
    for (let p = rowPtr[i]; p < rowPtr[i + 1]; p++) if (colIdx[p] !== i) adj[nz++] = colIdx[p];
  }
  return { n, ptr, adj };
}

/**
 * The subgraph induced by `vertices` (global ids), with local ids 0..k-1 in the order given.
 * `localOf` is an Int32Array of length graph.n filled with -1 on entry; it is used as scratch and
 * restored to -1 on return so that callers can reuse it without clearing.
 */
export function inducedSubgraph(graph: AdjacencyGraph, vertices: Int32Array, localOf: Int32Array): AdjacencyGraph {
  const k = vertices.length;
  for (let t = 0; t < k; t++) localOf[vertices[t]] = t;
  const ptr = new Int32Array(k + 1);
  let nz = 0;
  for (let t = 0; t < k; t++) {
    const v = vertices[t];
    for (let p = graph.ptr[v]; p < graph.ptr[v + 1]; p++) if (localOf[graph.adj[p]] >= 0) nz++;
    ptr[t + 1] = nz;
  }
  const adj = new Int32Array(nz);
  nz = 0;
  for (let t = 0; t < k; t++) {
    const v = vertices[t];
    for (let p = graph.ptr[v]; p < graph.ptr[v + 1]; p++) {
      const l = localOf[graph.adj[p]];
      if (l >= 0) adj[nz++] = l;
    }
  }
  for (let t = 0; t < k; t++) localOf[vertices[t]] = -1;
  return { n: k, ptr, adj };
}

/**
 * Connected components: returns the component id of each vertex (0-based, in order of first vertex) and
 * the number of components.
 */
export function connectedComponents(graph: AdjacencyGraph): { component: Int32Array; count: number } {
  const { n, ptr, adj } = graph;
  const component = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let count = 0;
  for (let s = 0; s < n; s++) {
    if (component[s] >= 0) continue;
    let head = 0;
    let tail = 0;
    queue[tail++] = s;
    component[s] = count;
    while (head < tail) {
      const v = queue[head++];
      for (let p = ptr[v]; p < ptr[v + 1]; p++) {
        const u = adj[p];
        if (component[u] < 0) {
          component[u] = count;
          queue[tail++] = u;
        }
      }
    }
    count++;
  }
  return { component, count };
}
