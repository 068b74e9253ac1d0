import { Rng } from '../Rng.js';
import { type AdjacencyGraph, connectedComponents, inducedSubgraph } from './AdjacencyGraph.js';
import { type EliminationOrder, minimumDegreeOrder } from './minimumDegreeOrder.js';
import { PART_A, PART_B, vertexSeparator, type VertexSeparatorOptions } from './vertexSeparator.js';

/** Options of {@link nestedDissectionOrder}. */
export interface NestedDissectionOptions extends VertexSeparatorOptions {
  /** Subgraphs with at most this many vertices are ordered by minimum degree instead of being split. Default 120. */
  leafSize?: number;
  /** Seed of the random choices (matchings, initial partitions); equal seeds give equal orders. Default 1. */
  seed?: number;
  /**
   * Give up (return null) once the separators found so far imply more factor nonzeros than this: a separator
   * of s vertices becomes a dense triangle of s(s+1)/2 entries. Stops early on graphs without small separators
   * (random graphs), where a direct factorisation is hopeless anyway. Default: no limit.
   */
  fillBudget?: number;
  /** Independent separators tried per bisection of a subgraph with at least trialsAbove vertices. Default 1. */
  trials?: number;
  /** See trials. Default 1000. */
  trialsAbove?: number;
}

/**
 * Nested dissection: find a small vertex separator, number it last, and order the two halves the same way
 * recursively; small pieces are ordered by minimum degree. On a k x k lattice the factor then has
 * O(n log n) nonzeros and costs O(n^1.5) flops (a banded order: O(n^1.5) and O(n^2)); minimum degree comes
 * close on small lattices and falls behind as they grow. The top separators become the large dense blocks
 * that the supernodal kernels factorise fast. Disconnected pieces are ordered independently (no separator is
 * needed between them).
 */
export function nestedDissectionOrder(graph: AdjacencyGraph, options: NestedDissectionOptions = {}): EliminationOrder | null {
  const n = graph.n;
  const leafSize = Math.max(2, options.leafSize ?? 120);
  const rng = new Rng(options.seed ?? 1);
  const order = new Int32Array(n);
  const localOf = new Int32Array(n).fill(-1);
  const budget = options.fillBudget ?? Infinity;
  let separatorFill = 0;

  // Explicit work stack of (vertex set, first position in the order) to avoid deep recursion.
  const sets: Int32Array[] = [];
  const starts: number[] = [];
  const all = new Int32Array(n);
  for (let v = 0; v < n; v++) all[v] = v;
  sets.push(all);
  starts.push(0);

  while (sets.length > 0) {
    const vertices = sets.pop()!;
    const lo = starts.pop()!;
    const k = vertices.length;
    if (k === 0) continue;
    const sub = inducedSubgraph(graph, vertices, localOf);
    if (k <= leafSize) {
      orderLeaf(sub, vertices, order, lo);
      continue;
    }
    const { component, count } = connectedComponents(sub);
    if (count > 1) {
      // Independent pieces: lay them out one after another.
      const sizes = new Int32Array(count);
      for (let t = 0; t < k; t++) sizes[component[t]]++;
      const pieces = Array.from(sizes, (s) => new Int32Array(s));
      const fill = new Int32Array(count);
      for (let t = 0; t < k; t++) pieces[component[t]][fill[component[t]]++] = vertices[t];
      let at = lo;
      for (let c = 0; c < count; c++) {
        sets.push(pieces[c]);
        starts.push(at);
        at += pieces[c].length;
      }
      continue;
    }
    const where = bestSeparator(sub, rng, options, k >= (options.trialsAbove ?? 1000) ? (options.trials ?? 1) : 1);
    let na = 0;
    let nb = 0;
    for (let t = 0; t < k; t++) {
      if (where[t] === PART_A) na++;
      else if (where[t] === PART_B) nb++;
    }
    if (na === 0 || nb === 0) {
      // No useful separator (a near-clique): minimum degree does as well as anything.
      orderLeaf(sub, vertices, order, lo);
      continue;
    }
    const ns = k - na - nb;
    separatorFill += (ns * (ns + 1)) / 2;
    if (separatorFill > budget) return null;
    const a = new Int32Array(na);
    const b = new Int32Array(nb);
    let ia = 0;
    let ib = 0;
    let is = lo + na + nb;
    for (let t = 0; t < k; t++) {
      if (where[t] === PART_A) a[ia++] = vertices[t];
      else if (where[t] === PART_B) b[ib++] = vertices[t];
      else order[is++] = vertices[t];
    }
    sets.push(a);
    starts.push(lo);
    sets.push(b);
    starts.push(lo + na);
  }
  return { order };
}

/** The best of several independent multilevel separators (smallest separator, then best balance). */
function bestSeparator(sub: AdjacencyGraph, rng: Rng, options: NestedDissectionOptions, trials: number): Uint8Array {
  let best: Uint8Array | null = null;
  let bestScore = Infinity;
  for (let t = 0; t < trials; t++) {
    const where = vertexSeparator(sub, rng, options);
    const c = [0, 0, 0];
    for (let v = 0; v < where.length; v++) c[where[v]]++;
    const score = c[2] + Math.abs(c[0] - c[1]) / (where.length + 1);
    if (c[0] > 0 && c[1] > 0 && score < bestScore) {
      bestScore = score;
      best = where;
    }
  }
  return best ?? vertexSeparator(sub, rng, options);
}

function orderLeaf(sub: AdjacencyGraph, vertices: Int32Array, order: Int32Array, lo: number): void {
  const md = minimumDegreeOrder(sub)!;
  for (let t = 0; t < vertices.length; t++) order[lo + t] = vertices[md.order[t]];
}
