import type { AdjacencyGraph } from './AdjacencyGraph.js';
import { minimumDegreeOrder } from './minimumDegreeOrder.js';
import { nestedDissectionOrder } from './nestedDissectionOrder.js';
import { SymbolicFactor } from './SymbolicFactor.js';

/** Which fill-reducing ordering to use: nested dissection, approximate minimum degree, none, or the better. */
export type OrderingMethod = 'auto' | 'nd' | 'amd' | 'natural';

/** A chosen elimination order with its cost. */
export interface FillReducingOrder {
  /** The method that produced the order. */
  method: 'nd' | 'amd' | 'natural';
  /** order[k] = vertex eliminated k-th; null when every candidate exceeded the fill budget. */
  order: Int32Array | null;
  /** Nonzeros of the Cholesky factor (diagonal included); when order is null, the budget (a lower bound). */
  nnzL: number;
  /** Multiply-add pairs of the factorisation (NaN when order is null). */
  flops: number;
}

/** Options of {@link fillReducingOrder}. */
export interface FillReducingOrderOptions {
  /** Seed for nested dissection. Default 1. */
  seed?: number;
  /**
   * 'auto' only: a candidate whose factor would exceed this many nonzeros is abandoned early (the caller will
   * not factorise beyond it anyway); if all are, the result has order null. Default: no limit.
   */
  fillBudget?: number;
  /**
   * 'auto' only: graphs with more vertices than this use nested dissection alone (on large meshes it beats
   * minimum degree anyway, and minimum degree would add a large share of the analysis time). Default 10000:
   * measured on lattices with and without diagonals from 64 x 64 (4096 vertices) to 200 x 200, nested dissection
   * needed 4-30 % fewer flops than minimum degree at every size from 64 x 64 up, and minimum degree cost about a
   * tenth of the 128 x 128 analysis (issue 18 asks 0.3 s for all of it). Random graphs of that size have no small
   * separators and go to conjugate gradients whichever order is tried.
   */
  compareLimit?: number;
}

/**
 * Compute a fill-reducing order. 'auto' runs nested dissection and then approximate minimum degree (stopped
 * early once it is worse) and keeps the order with fewer factorisation flops: minimum degree often wins on
 * small or irregular graphs, nested dissection on large lattices, where its advantage grows with size. With a
 * fill budget, a graph whose nested-dissection separators alone exceed it is given up at once (order null).
 * Small graphs (up to 200 vertices) use minimum degree directly, which is what ND would do on them.
 */
export function fillReducingOrder(graph: AdjacencyGraph, method: OrderingMethod = 'auto', options: FillReducingOrderOptions = {}): FillReducingOrder {
  const n = graph.n;
  if (method === 'natural') {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    return { method, order, ...SymbolicFactor.countFill(graph, order) };
  }
  if (method === 'amd' || (method === 'auto' && n <= 200)) {
    const md = minimumDegreeOrder(graph)!;
    return { method: 'amd', order: md.order, ...SymbolicFactor.countFill(graph, md.order) };
  }
  const budget = method === 'auto' ? (options.fillBudget ?? Infinity) : Infinity;
  const nd = nestedDissectionOrder(graph, { seed: options.seed, fillBudget: budget });
  const ndCost = nd ? SymbolicFactor.countFill(graph, nd.order) : null;
  if (method === 'nd' || (ndCost && n > (options.compareLimit ?? 10000))) {
    return { method: 'nd', order: nd!.order, ...ndCost! };
  }
  // Nested dissection gave up because its separators alone exceed the budget: the graph has no small
  // separators (a random graph, an expander), and minimum degree cannot do much better there either.
  if (!nd) return { method: 'nd', order: null, nnzL: budget, flops: NaN };
  // Minimum degree may need more nonzeros for fewer flops; give it some slack before abandoning it.
  const mdBudget = ndCost ? Math.min(1.5 * ndCost.nnzL, budget) : budget;
  const md = minimumDegreeOrder(graph, { fillBudget: mdBudget });
  const mdCost = md ? SymbolicFactor.countFill(graph, md.order) : null;
  if (md && mdCost && (!ndCost || mdCost.flops < ndCost.flops)) return { method: 'amd', order: md.order, ...mdCost };
  if (nd && ndCost) return { method: 'nd', order: nd.order, ...ndCost };
  return { method: 'nd', order: null, nnzL: budget, flops: NaN };
}
