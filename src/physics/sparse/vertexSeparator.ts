import type { Rng } from '../Rng.js';
import type { AdjacencyGraph } from './AdjacencyGraph.js';
import { refineSeparatorByFlow } from './bandFlowRefinement.js';

/** A graph with integer vertex and edge weights (coarse levels of the multilevel scheme). */
interface WeightedGraph {
  n: number;
  ptr: Int32Array;
  adj: Int32Array;
  /** Vertex weight: number of original vertices a coarse vertex stands for. */
  vwgt: Int32Array;
  /** Edge weight: number of original edges a coarse edge stands for (aligned with adj). */
  ewgt: Int32Array;
}

/** Options of {@link vertexSeparator}. */
export interface VertexSeparatorOptions {
  /**
   * Largest allowed part, as a fraction of the total vertex weight. A little slack lets the separator be much
   * smaller (straight lines on lattices). Default 0.6.
   */
  maxPartFraction?: number;
  /** Coarsening stops at this many vertices. Default 40. */
  coarsenTo?: number;
  /** Random initial partitions tried on the coarsest graph. Default 12. */
  initialTrials?: number;
  /**
   * Width of the band (in steps on each side) within which the final separator is improved by a minimum
   * vertex cut; 0 disables it. Default max(3, round(sqrt(n) / 14)): wide enough to straighten the usual
   * staircases, narrow enough to keep the cut balanced and the flow cheap.
   */
  flowDepth?: number;
}

/** Part labels returned by {@link vertexSeparator}. */
export const PART_A = 0;
export const PART_B = 1;
export const SEPARATOR = 2;

/**
 * A small vertex separator of a connected graph: labels every vertex PART_A, PART_B or SEPARATOR so that no
 * edge joins A and B and neither part exceeds the balance limit.
 *
 * Multilevel scheme: the graph is coarsened by heavy-edge matching until small, split there by the best of
 * several greedy region growings, and the separator is projected back level by level, each time improved by
 * a Fiduccia-Mattheyses style refinement that moves separator vertices into a part (pulling their neighbours
 * on the other side into the separator) and keeps the best prefix of moves. Local moves leave staircases on
 * lattices; a final minimum vertex cut in a band around the separator ({@link refineSeparatorByFlow})
 * straightens them (a 128 x 128 lattice with diagonals: separators of 128 instead of 140-160 vertices, about
 * 20% fewer factorisation flops overall).
 */
export function vertexSeparator(graph: AdjacencyGraph, rng: Rng, options: VertexSeparatorOptions = {}): Uint8Array {
  const maxFrac = options.maxPartFraction ?? 0.6;
  const coarsenTo = options.coarsenTo ?? 40;
  const trials = options.initialTrials ?? 12;

  const n = graph.n;
  const fine: WeightedGraph = {
    n,
    ptr: graph.ptr,
    adj: graph.adj,
    vwgt: unitWeights(n),
    ewgt: unitWeights(graph.adj.length),
  };
  const levels: WeightedGraph[] = [fine];
  const maps: Int32Array[] = [];
  let g = fine;
  // Coarse vertices may not grow beyond a fraction of the graph, or the coarsest split could not balance.
  const maxVwgt = Math.max(1, Math.ceil((1.5 * n) / coarsenTo));
  while (g.n > coarsenTo) {
    const { coarse, cmap } = coarsen(g, rng, maxVwgt);
    if (coarse.n > 0.92 * g.n) break; // matching stalled (star-like graph): refine from here
    levels.push(coarse);
    maps.push(cmap);
    g = coarse;
  }

  const refiner = refinerFor(n);
  // Initial separator on the coarsest graph: best of several region growings.
  let where: Uint8Array = new Uint8Array(g.n);
  let bestWhere: Uint8Array | null = null;
  let bestScore = Infinity;
  for (let t = 0; t < trials; t++) {
    growBisection(g, rng.int(g.n), where);
    refiner.refine(g, where, maxFrac, 8);
    const score = separatorScore(g, where, maxFrac);
    if (score < bestScore) {
      bestScore = score;
      bestWhere = where.slice();
    }
  }
  where = bestWhere!;

  // Project back and refine at every level.
  for (let l = levels.length - 2; l >= 0; l--) {
    const fg = levels[l];
    const cmap = maps[l];
    const fw = new Uint8Array(fg.n);
    for (let v = 0; v < fg.n; v++) fw[v] = where[cmap[v]];
    where = fw;
    refiner.refine(fg, where, maxFrac, 4);
  }
  // Straighten the separator with minimum cuts in a band around it, then let local moves fix the balance.
  const depth = options.flowDepth ?? Math.max(3, Math.round(Math.sqrt(n) / 14));
  for (let round = 0; round < 2 && depth > 0; round++) {
    if (!refineSeparatorByFlow(graph, where, maxFrac, depth)) break;
    refiner.refine(fine, where, maxFrac, 4);
  }
  if (depth > 0) {
    // Rebalance: a band reaching just far enough into the heavier part to move the separator to the middle.
    const c = [0, 0, 0];
    for (let v = 0; v < n; v++) c[where[v]]++;
    const shift = Math.round(Math.abs(c[PART_A] - c[PART_B]) / (2 * Math.max(1, c[SEPARATOR])));
    if (shift >= 1) {
      if (c[PART_A] > c[PART_B]) refineSeparatorByFlow(graph, where, maxFrac, shift, 1);
      else refineSeparatorByFlow(graph, where, maxFrac, 1, shift);
    }
  }
  return where;
}

// Nested dissection calls vertexSeparator once per piece (a few hundred times on a 16k-vertex lattice); the arrays
// below are sized for the largest piece so far and reused, instead of being allocated and collected each time.
let ones = new Int32Array(0);
let sharedRefiner: SeparatorRefiner | null = null;

/** `length` unit weights (read only: the finest level's weights are never written). */
function unitWeights(length: number): Int32Array {
  if (ones.length < length) ones = new Int32Array(Math.max(length, 2 * ones.length)).fill(1);
  return ones.subarray(0, length);
}

/** A refiner for graphs of up to n vertices (its heaps are emptied and its stamps advanced by every pass). */
function refinerFor(n: number): SeparatorRefiner {
  if (!sharedRefiner || sharedRefiner.capacity < n) sharedRefiner = new SeparatorRefiner(n);
  return sharedRefiner;
}

/** Lower is better: separator weight, with an infeasible balance penalised above any feasible split. */
function separatorScore(g: WeightedGraph, where: Uint8Array, maxFrac: number): number {
  const pw = [0, 0, 0];
  for (let v = 0; v < g.n; v++) pw[where[v]] += g.vwgt[v];
  const total = pw[0] + pw[1] + pw[2];
  const maxSide = Math.max(pw[0], pw[1]);
  if (pw[0] === 0 || pw[1] === 0) return 1e15 + pw[2];
  if (maxSide > maxFrac * total) return 1e12 + maxSide;
  return pw[2] + Math.abs(pw[0] - pw[1]) / (total + 1);
}

/**
 * One level of heavy-edge matching; coarse vertex weights are capped at maxVwgt. Split into small functions with
 * one loop each: V8 compiles a long function's hot loop on its own (on-stack replacement) and then throws the
 * code away at the first statement after it that had not run yet; on a cold start (the CLI's first and only
 * analysis) that cost several times the work itself.
 */
function coarsen(g: WeightedGraph, rng: Rng, maxVwgt: number): { coarse: WeightedGraph; cmap: Int32Array } {
  const n = g.n;
  const perm = shuffledIdentity(n, rng);
  const match = heavyEdgeMatching(n, g.ptr, g.adj, g.vwgt, g.ewgt, perm, maxVwgt);
  const cmap = new Int32Array(n);
  const nc = numberPairs(n, match, cmap);
  return { coarse: contract(g, match, cmap, nc), cmap };
}

/** A random permutation of 0..n-1 (Fisher-Yates on raw 32-bit draws: the tiny modulo bias does not matter here). */
function shuffledIdentity(n: number, rng: Rng): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const r = rng.nextUint32() % (i + 1);
    const t = perm[i];
    perm[i] = perm[r];
    perm[r] = t;
  }
  return perm;
}

/** match[v] = partner of v (v itself when unmatched), visiting vertices in the order perm. */
function heavyEdgeMatching(n: number, ptr: Int32Array, adj: Int32Array, vwgt: Int32Array, ewgt: Int32Array, perm: Int32Array, maxVwgt: number): Int32Array {
  const match = new Int32Array(n).fill(-1);
  for (let t = 0; t < n; t++) {
    const v = perm[t];
    if (match[v] !== -1) continue;
    let best = -1;
    let bestW = -1;
    const wv = vwgt[v];
    for (let p = ptr[v]; p < ptr[v + 1]; p++) {
      const u = adj[p];
      if (match[u] !== -1 || vwgt[u] + wv > maxVwgt) continue;
      // Heaviest edge; among equals the lighter vertex, to keep coarse weights even.
      const w = ewgt[p];
      if (w > bestW || (w === bestW && vwgt[u] < vwgt[best])) {
        best = u;
        bestW = w;
      }
    }
    if (best >= 0) {
      match[v] = best;
      match[best] = v;
    } else {
      match[v] = v;
    }
  }
  return match;
}

/** Number the coarse vertices in order of their first member: cmap[v] = coarse id; returns their count. */
function numberPairs(n: number, match: Int32Array, cmap: Int32Array): number {
  cmap.fill(-1);
  let nc = 0;
  for (let v = 0; v < n; v++) {
    if (cmap[v] !== -1) continue;
    cmap[v] = nc;
    cmap[match[v]] = nc;
    nc++;
  }
  return nc;
}

/** Coarse adjacency: union of the two members' lists, self loops dropped, parallel edges merged. */
function contract(g: WeightedGraph, match: Int32Array, cmap: Int32Array, nc: number): WeightedGraph {
  const { n, ptr, adj, vwgt, ewgt } = g;
  const cvw = new Int32Array(nc);
  const cptr = new Int32Array(nc + 1);
  const cadj = new Int32Array(adj.length);
  const cew = new Int32Array(adj.length);
  const slot = new Int32Array(nc).fill(-1);
  let nz = 0;
  let c = 0;
  for (let v = 0; v < n; v++) {
    if (cmap[v] !== c) continue; // first member of coarse vertex c
    const start = nz;
    const m = match[v];
    cvw[c] = vwgt[v] + (m !== v ? vwgt[m] : 0);
    nz = addMemberEdges(ptr, adj, ewgt, cmap, v, c, start, nz, slot, cadj, cew);
    if (m !== v) nz = addMemberEdges(ptr, adj, ewgt, cmap, m, c, start, nz, slot, cadj, cew);
    c++;
    cptr[c] = nz;
  }
  return { n: nc, ptr: cptr, adj: cadj.slice(0, nz), vwgt: cvw, ewgt: cew.slice(0, nz) };
}

/** Append the coarse edges of member x of coarse vertex c (list started at `start`); returns the new end. */
function addMemberEdges(
  ptr: Int32Array, adj: Int32Array, ewgt: Int32Array, cmap: Int32Array, x: number, c: number, start: number, nz: number,
  slot: Int32Array, cadj: Int32Array, cew: Int32Array,
): number {
  for (let p = ptr[x]; p < ptr[x + 1]; p++) {
    const cu = cmap[adj[p]];
    if (cu === c) continue;
    const s = slot[cu];
    if (s >= start) {
      cew[s] += ewgt[p];
    } else {
      slot[cu] = nz;
      cadj[nz] = cu;
      cew[nz] = ewgt[p];
      nz++;
    }
  }
  return nz;
}

/**
 * Grow part A by breadth-first search from `start` until it holds half the weight; the rest is B. The
 * separator is then the lighter of the two boundary layers.
 */
function growBisection(g: WeightedGraph, start: number, where: Uint8Array): void {
  const n = g.n;
  const { ptr, adj, vwgt } = g;
  let total = 0;
  for (let v = 0; v < n; v++) total += vwgt[v];
  where.fill(PART_B);
  const queue = new Int32Array(n);
  const seen = new Uint8Array(n);
  let head = 0;
  let tail = 0;
  let wa = 0;
  queue[tail++] = start;
  seen[start] = 1;
  while (wa * 2 < total) {
    if (head === tail) {
      // Disconnected remainder (should not happen on connected input): jump to any unseen vertex.
      let u = 0;
      while (u < n && seen[u]) u++;
      if (u === n) break;
      seen[u] = 1;
      queue[tail++] = u;
    }
    const v = queue[head++];
    where[v] = PART_A;
    wa += vwgt[v];
    for (let p = ptr[v]; p < ptr[v + 1]; p++) {
      const u = adj[p];
      if (!seen[u]) {
        seen[u] = 1;
        queue[tail++] = u;
      }
    }
  }
  // Boundary layers on each side of the cut; the lighter becomes the separator.
  let bA = 0;
  let bB = 0;
  for (let v = 0; v < n; v++) {
    let cut = false;
    for (let p = ptr[v]; p < ptr[v + 1] && !cut; p++) if (where[adj[p]] !== where[v]) cut = true;
    if (cut) {
      if (where[v] === PART_A) bA += vwgt[v];
      else bB += vwgt[v];
    }
  }
  const sepSide = bA <= bB ? PART_A : PART_B;
  const isBoundary = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    if (where[v] !== sepSide) continue;
    for (let p = ptr[v]; p < ptr[v + 1]; p++) {
      if (where[adj[p]] !== sepSide) {
        isBoundary[v] = 1;
        break;
      }
    }
  }
  for (let v = 0; v < n; v++) if (isBoundary[v]) where[v] = SEPARATOR;
}

/**
 * Fiduccia-Mattheyses refinement of a vertex separator. A move takes a separator vertex v into part s; its
 * neighbours in the other part join the separator. gain_s(v) = w(v) - w(neighbours of v in the other part)
 * is the decrease of the separator weight. Moves are chosen greedily by gain from two max-heaps, each vertex
 * moves at most once per pass, and the pass is rolled back to its best prefix.
 */
class SeparatorRefiner {
  private heaps: [GainHeap, GainHeap];
  private locked: Int32Array;
  private pulledMark: Int32Array;
  private lockStamp = 0;
  private pullStamp = 0;
  // Move log: vertex, side, and the vertices each move pulled into the separator.
  private logV: Int32Array;
  private logS: Uint8Array;
  private logStart: Int32Array;
  private pulled: Int32Array;

  constructor(readonly capacity: number) {
    this.heaps = [new GainHeap(capacity), new GainHeap(capacity)];
    this.locked = new Int32Array(capacity);
    this.pulledMark = new Int32Array(capacity);
    this.logV = new Int32Array(capacity + 1);
    this.logS = new Uint8Array(capacity + 1);
    this.logStart = new Int32Array(capacity + 2);
    this.pulled = new Int32Array(Math.max(16, capacity));
  }

  refine(g: WeightedGraph, where: Uint8Array, maxFrac: number, maxPasses: number): void {
    for (let pass = 0; pass < maxPasses; pass++) {
      if (!this.pass(g, where, maxFrac)) break;
    }
  }

  /** One FM pass; returns true if the separator improved. */
  private pass(g: WeightedGraph, where: Uint8Array, maxFrac: number): boolean {
    const n = g.n;
    const { ptr, adj, vwgt } = g;
    const pw = [0, 0, 0];
    for (let v = 0; v < n; v++) pw[where[v]] += vwgt[v];
    const total = pw[0] + pw[1] + pw[2];
    const maxSide = Math.floor(maxFrac * total);
    const [q0, q1] = this.heaps;
    q0.clear();
    q1.clear();
    for (let v = 0; v < n; v++) {
      if (where[v] !== SEPARATOR) continue;
      let to1 = 0;
      let to0 = 0;
      for (let p = ptr[v]; p < ptr[v + 1]; p++) {
        const u = adj[p];
        if (where[u] === PART_B) to1 += vwgt[u];
        else if (where[u] === PART_A) to0 += vwgt[u];
      }
      q0.insert(v, vwgt[v] - to1);
      q1.insert(v, vwgt[v] - to0);
    }
    const lockStamp = ++this.lockStamp;
    const locked = this.locked;

    const feasible = (a: number, b: number): boolean => a <= maxSide && b <= maxSide && a > 0 && b > 0;
    const initSep = pw[2];
    let bestSep = pw[2];
    let bestImb = Math.abs(pw[0] - pw[1]);
    let bestFeasible = feasible(pw[0], pw[1]);
    let bestMax = Math.max(pw[0], pw[1]);
    let bestPos = 0;
    let nmoves = 0;
    let npulled = 0;
    this.logStart[0] = 0;
    const limit = Math.max(25, Math.min(150, Math.floor(0.02 * n)));
    let sinceBest = 0;

    while (true) {
      const v0 = q0.top();
      const v1 = q1.top();
      let s = -1;
      let v = -1;
      const ok0 = v0 >= 0 && pw[0] + vwgt[v0] <= maxSide;
      const ok1 = v1 >= 0 && pw[1] + vwgt[v1] <= maxSide;
      if (ok0 && ok1) {
        const g0 = q0.key(v0);
        const g1 = q1.key(v1);
        if (g0 > g1 || (g0 === g1 && pw[0] <= pw[1])) {
          s = 0;
          v = v0;
        } else {
          s = 1;
          v = v1;
        }
      } else if (ok0) {
        s = 0;
        v = v0;
      } else if (ok1) {
        s = 1;
        v = v1;
      } else {
        break;
      }
      const other = 1 - s;
      q0.remove(v);
      q1.remove(v);
      locked[v] = lockStamp;
      where[v] = s;
      pw[s] += vwgt[v];
      pw[2] -= vwgt[v];
      this.logV[nmoves] = v;
      this.logS[nmoves] = s;
      const qs = s === 0 ? q0 : q1;
      const qo = s === 0 ? q1 : q0;
      // Neighbours of v in the other part join the separator.
      const pullStamp = ++this.pullStamp;
      const firstPulled = npulled;
      for (let p = ptr[v]; p < ptr[v + 1]; p++) {
        const u = adj[p];
        const wu = where[u];
        if (wu === SEPARATOR) {
          // v now sits in s, so moving u to the other part would pull v back: less gain.
          if (qo.contains(u)) qo.update(u, qo.key(u) - vwgt[v]);
        } else if (wu === other) {
          where[u] = SEPARATOR;
          pw[other] -= vwgt[u];
          pw[2] += vwgt[u];
          this.pulledMark[u] = pullStamp;
          if (npulled === this.pulled.length) {
            const bigger = new Int32Array(this.pulled.length * 2);
            bigger.set(this.pulled);
            this.pulled = bigger;
          }
          this.pulled[npulled++] = u;
        }
      }
      for (let t = firstPulled; t < npulled; t++) {
        const u = this.pulled[t];
        let toS = 0;
        let toO = 0;
        for (let p = ptr[u]; p < ptr[u + 1]; p++) {
          const x = adj[p];
          const wx = where[x];
          if (wx === s) toS += vwgt[x];
          else if (wx === other) toO += vwgt[x];
          else if (this.pulledMark[x] !== pullStamp && locked[x] !== lockStamp && qs.contains(x)) {
            // u left the other part: moving x to s no longer pulls u.
            qs.update(x, qs.key(x) + vwgt[u]);
          }
        }
        if (locked[u] !== lockStamp) {
          qs.insert(u, vwgt[u] - toO);
          qo.insert(u, vwgt[u] - toS);
        }
      }
      nmoves++;
      this.logStart[nmoves] = npulled;

      const feas = feasible(pw[0], pw[1]);
      const imb = Math.abs(pw[0] - pw[1]);
      const mx = Math.max(pw[0], pw[1]);
      let better: boolean;
      if (feas !== bestFeasible) better = feas;
      else if (feas) better = pw[2] < bestSep || (pw[2] === bestSep && imb < bestImb);
      else better = mx < bestMax || (mx === bestMax && pw[2] < bestSep);
      if (better) {
        bestSep = pw[2];
        bestImb = imb;
        bestFeasible = feas;
        bestMax = mx;
        bestPos = nmoves;
        sinceBest = 0;
      } else if (++sinceBest > limit) {
        break;
      }
      if (nmoves >= n) break;
    }
    // Undo the moves after the best prefix.
    for (let m = nmoves - 1; m >= bestPos; m--) {
      const v = this.logV[m];
      const s = this.logS[m];
      const other = 1 - s;
      for (let t = this.logStart[m]; t < this.logStart[m + 1]; t++) where[this.pulled[t]] = other;
      where[v] = SEPARATOR;
    }
    return bestPos > 0 && bestSep < initSep;
  }
}

/** Indexed binary max-heap of vertices keyed by integer gain. */
class GainHeap {
  private heap: Int32Array;
  private keys: Int32Array;
  private pos: Int32Array;
  private size = 0;

  constructor(capacity: number) {
    this.heap = new Int32Array(capacity);
    this.keys = new Int32Array(capacity);
    this.pos = new Int32Array(capacity).fill(-1);
  }

  clear(): void {
    for (let t = 0; t < this.size; t++) this.pos[this.heap[t]] = -1;
    this.size = 0;
  }

  contains(v: number): boolean {
    return this.pos[v] >= 0;
  }

  key(v: number): number {
    return this.keys[v];
  }

  top(): number {
    return this.size > 0 ? this.heap[0] : -1;
  }

  insert(v: number, key: number): void {
    if (this.pos[v] >= 0) {
      this.update(v, key);
      return;
    }
    this.keys[v] = key;
    this.heap[this.size] = v;
    this.pos[v] = this.size;
    this.size++;
    this.siftUp(this.size - 1);
  }

  update(v: number, key: number): void {
    const old = this.keys[v];
    this.keys[v] = key;
    if (key > old) this.siftUp(this.pos[v]);
    else this.siftDown(this.pos[v]);
  }

  remove(v: number): void {
    const i = this.pos[v];
    if (i < 0) return;
    this.pos[v] = -1;
    this.size--;
    if (i === this.size) return;
    const last = this.heap[this.size];
    this.heap[i] = last;
    this.pos[last] = i;
    this.siftUp(i);
    this.siftDown(this.pos[last]);
  }

  private siftUp(i: number): void {
    const { heap, keys, pos } = this;
    const v = heap[i];
    const k = keys[v];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pv = heap[parent];
      if (keys[pv] >= k) break;
      heap[i] = pv;
      pos[pv] = i;
      i = parent;
    }
    heap[i] = v;
    pos[v] = i;
  }

  private siftDown(i: number): void {
    const { heap, keys, pos } = this;
    const size = this.size;
    const v = heap[i];
    const k = keys[v];
    while (true) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && keys[heap[c + 1]] > keys[heap[c]]) c++;
      if (keys[heap[c]] <= k) break;
      heap[i] = heap[c];
      pos[heap[c]] = i;
      i = c;
    }
    heap[i] = v;
    pos[v] = i;
  }
}
