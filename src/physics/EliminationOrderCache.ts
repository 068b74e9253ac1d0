import type { AdjacencyGraph } from './sparse/AdjacencyGraph.js';

/** A fill-reducing order found before, as a cache hands it back. */
export interface CachedEliminationOrder {
  /** order[k] = vertex eliminated k-th (a permutation of 0..n-1; the system checks it and ignores anything else). */
  order: Int32Array;
  /** The method that produced it. */
  method: 'nd' | 'amd' | 'natural';
}

/**
 * Where a {@link LaplacianSystem} may keep the fill-reducing orders it computes, so that the next system on the
 * same sparsity graph skips the ordering (on the 128 x 128 lattice with diagonals, nested dissection is about half
 * a second of a cold start). An order only decides the factor's fill and the rounding; any permutation gives a
 * correct factorisation, so a wrong or stale entry costs speed, never correctness, and a permutation that does not
 * fit the graph is ignored. Implementations do the I/O (src/store/orderCacheFiles.ts keeps them in files) and must
 * never throw: a cache that cannot read or write simply misses.
 */
export interface EliminationOrderCache {
  /** The order stored for `graph` under `request` (the ordering asked for and the algorithm's version), if any. */
  get(graph: AdjacencyGraph, request: string): CachedEliminationOrder | undefined;
  /** Keep `value` for `graph` under `request`. */
  set(graph: AdjacencyGraph, request: string, value: CachedEliminationOrder): void;
}

/** Whether `order` is a permutation of 0..n-1. */
export function isPermutation(order: Int32Array, n: number): boolean {
  if (order.length !== n) return false;
  const seen = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const v = order[k];
    if (!(v >= 0 && v < n) || seen[v]) return false;
    seen[v] = 1;
  }
  return true;
}
