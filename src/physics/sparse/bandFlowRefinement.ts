import type { AdjacencyGraph } from './AdjacencyGraph.js';

const A = 0;
const B = 1;
const SEP = 2;

/**
 * Improve a vertex separator by a minimum vertex cut in a band around it.
 *
 * Local moves (Fiduccia-Mattheyses) leave separators of lattices as staircases: straightening a step means
 * shifting a whole segment, through worse intermediate states. Here every vertex within `depth` steps of the
 * separator forms a band; the parts beyond the band are contracted into a source (side A) and a sink (side B),
 * and a maximum set of vertex-disjoint source-sink paths (Dinic's algorithm on the vertex-split band, unit
 * vertex capacities) yields a minimum vertex cut, which is the smallest separator that stays inside the band:
 * straight where the band allows it. Of the cut nearest the source and the one nearest the sink, the better
 * balanced is kept if it is not larger than the old separator and respects the balance limit.
 *
 * An asymmetric band (`depth` steps into A, `depthOnB` into B) moves a separator towards the heavier side:
 * used to rebalance once the separator is straight, since every shifted copy of a straight separator is also a
 * minimum cut.
 *
 * Works on unit vertex weights (the finest level). `where` is updated in place; returns true if it changed.
 */
export function refineSeparatorByFlow(g: AdjacencyGraph, where: Uint8Array, maxFrac: number, depth: number, depthOnB: number = depth): boolean {
  const n = g.n;
  const { ptr, adj } = g;
  // Distance from the separator inside each side (A and B are not adjacent), searched only as far as the band
  // and one layer beyond it: nothing further away matters, and on a large graph the band is a thin strip.
  const reach = Math.max(depth, depthOnB) + 1;
  const dist = new Int32Array(n).fill(-1);
  const queue = new Int32Array(n);
  let tail = 0;
  const oldCounts = [0, 0, 0];
  for (let v = 0; v < n; v++) {
    const w = where[v];
    oldCounts[w]++;
    if (w === SEP) {
      dist[v] = 0;
      queue[tail++] = v;
    }
  }
  const sepSize = oldCounts[SEP];
  if (sepSize === 0) return false;
  // maxDist[side]: the largest distance seen on that side, capped at `reach` (enough to tell whether a layer
  // outside the band is left to act as terminal).
  const maxDist = [0, 0];
  tail = bandSearch(ptr, adj, where, dist, queue, tail, reach, maxDist);
  // Each side keeps at least one layer outside the band, to act as terminal.
  const depthA = Math.min(depth, maxDist[A] - 1);
  const depthB = Math.min(depthOnB, maxDist[B] - 1);
  if (depthA < 1 || depthB < 1) return false;

  // Band graph: local ids in increasing vertex order, adjacency within the band, terminal contacts.
  let nb = 0;
  for (let t = 0; t < tail; t++) {
    const v = queue[t];
    const w = where[v];
    if (w === SEP || (w === A ? dist[v] <= depthA : dist[v] <= depthB)) queue[nb++] = v;
  }
  const band = queue.slice(0, nb).sort();
  const local = new Int32Array(n).fill(-1);
  for (let i = 0; i < nb; i++) local[band[i]] = i;
  const bptr = new Int32Array(nb + 1);
  const touchSource = new Uint8Array(nb);
  const touchSink = new Uint8Array(nb);
  let nArcs = 0;
  for (let i = 0; i < nb; i++) {
    const v = band[i];
    for (let p = ptr[v]; p < ptr[v + 1]; p++) {
      const u = adj[p];
      if (local[u] >= 0) nArcs++;
      else if (where[u] === A) touchSource[i] = 1;
      else if (where[u] === B) touchSink[i] = 1;
    }
    bptr[i + 1] = nArcs;
  }
  const badj = new Int32Array(nArcs);
  for (let i = 0, q = 0; i < nb; i++) {
    const v = band[i];
    for (let p = ptr[v]; p < ptr[v + 1]; p++) {
      const lu = local[adj[p]];
      if (lu >= 0) badj[q++] = lu;
    }
  }
  // Reverse arc of each arc (i -> j): the position of i in j's list.
  const rev = new Int32Array(badj.length);
  for (let i = 0; i < nb; i++) {
    for (let p = bptr[i]; p < bptr[i + 1]; p++) {
      const j = badj[p];
      for (let q = bptr[j]; q < bptr[j + 1]; q++) {
        if (badj[q] === i) {
          rev[p] = q;
          break;
        }
      }
    }
  }
  const sources: number[] = [];
  for (let i = 0; i < nb; i++) if (touchSource[i]) sources.push(i);
  if (sources.length === 0) return false;

  // States: i (vertex i entry), nb + i (vertex i exit), S = 2nb, T = 2nb + 1.
  const S = 2 * nb;
  const T = S + 1;
  const ns = T + 1;
  const vflow = new Uint8Array(nb); // unit flow through vertex i
  const aflow = new Int8Array(badj.length); // net flow on arc p (i -> j), antisymmetric
  const level = new Int32Array(ns);
  const cur = new Int32Array(ns);
  const squeue = new Int32Array(ns);
  const stackState = new Int32Array(ns);
  const stackArc = new Int32Array(ns);

  // Arc t of a state, in a fixed enumeration (used for current-arc pointers):
  //   entry i: t = 0 -> exit i (if no flow through i); t = 1 + k -> exit of neighbour j (cancel flow j -> i)
  //   exit i:  t = 0 -> entry i (if flow through i, cancelling it); t = 1 + k -> entry of neighbour j; t = deg + 1 -> T
  //   S: t = k -> entry of sources[k]
  const arcCount = (s: number): number => {
    if (s === S) return sources.length;
    if (s === T) return 0;
    const i = s < nb ? s : s - nb;
    const deg = bptr[i + 1] - bptr[i];
    return s < nb ? 1 + deg : 2 + deg;
  };
  /** Target state of arc t of state s if it has residual capacity, else -1. */
  const arcTarget = (s: number, t: number): number => {
    if (s === S) return sources[t];
    if (s < nb) {
      const i = s;
      if (t === 0) return vflow[i] === 0 ? nb + i : -1;
      const p = bptr[i] + t - 1;
      return aflow[p] < 0 ? nb + badj[p] : -1;
    }
    const i = s - nb;
    if (t === 0) return vflow[i] === 1 ? i : -1;
    const deg = bptr[i + 1] - bptr[i];
    if (t === deg + 1) return touchSink[i] ? T : -1;
    return badj[bptr[i] + t - 1];
  };
  /** Push one unit along arc t of state s. */
  const push = (s: number, t: number): void => {
    if (s === S) return;
    if (s < nb) {
      const i = s;
      if (t === 0) vflow[i] = 1;
      else {
        const p = bptr[i] + t - 1; // cancel flow badj[p] -> i
        aflow[p]++;
        aflow[rev[p]]--;
      }
      return;
    }
    const i = s - nb;
    const deg = bptr[i + 1] - bptr[i];
    if (t === 0) vflow[i] = 0;
    else if (t <= deg) {
      const p = bptr[i] + t - 1;
      aflow[p]++;
      aflow[rev[p]]--;
    }
  };

  let flow = 0;
  while (flow < sepSize) {
    // Level graph by BFS from S.
    level.fill(-1);
    let qh = 0;
    let qt = 0;
    squeue[qt++] = S;
    level[S] = 0;
    while (qh < qt) {
      const s = squeue[qh++];
      const m = arcCount(s);
      for (let t = 0; t < m; t++) {
        const x = arcTarget(s, t);
        if (x >= 0 && level[x] < 0) {
          level[x] = level[s] + 1;
          squeue[qt++] = x;
        }
      }
    }
    if (level[T] < 0) break;
    // Blocking flow by depth-first search with current-arc pointers.
    cur.fill(0);
    let found = true;
    while (found && flow < sepSize) {
      found = false;
      let top = 0;
      stackState[0] = S;
      while (top >= 0) {
        const s = stackState[top];
        if (s === T) {
          for (let d = 0; d < top; d++) push(stackState[d], stackArc[d]);
          flow++;
          found = true;
          break;
        }
        const m = arcCount(s);
        let advanced = false;
        while (cur[s] < m) {
          const t = cur[s];
          const x = arcTarget(s, t);
          if (x >= 0 && level[x] === level[s] + 1) {
            stackArc[top] = t;
            stackState[++top] = x;
            advanced = true;
            break;
          }
          cur[s]++;
        }
        if (!advanced) {
          // Dead end: retreat and skip the arc that led here.
          level[s] = -1;
          top--;
          if (top >= 0) cur[stackState[top]]++;
        }
      }
    }
  }

  // Residual reachability from S (source-side cut) and to T (sink-side cut).
  const fromS = new Uint8Array(ns);
  {
    let qh = 0;
    let qt = 0;
    squeue[qt++] = S;
    fromS[S] = 1;
    while (qh < qt) {
      const s = squeue[qh++];
      const m = arcCount(s);
      for (let t = 0; t < m; t++) {
        const x = arcTarget(s, t);
        if (x >= 0 && !fromS[x]) {
          fromS[x] = 1;
          squeue[qt++] = x;
        }
      }
    }
  }
  const toT = new Uint8Array(ns);
  {
    // Reverse search: x reaches T if some residual arc x -> y has y reaching T.
    let qh = 0;
    let qt = 0;
    squeue[qt++] = T;
    toT[T] = 1;
    const mark = (x: number): void => {
      if (!toT[x]) {
        toT[x] = 1;
        squeue[qt++] = x;
      }
    };
    while (qh < qt) {
      const y = squeue[qh++];
      if (y === T) {
        for (let i = 0; i < nb; i++) if (touchSink[i]) mark(nb + i);
      } else if (y >= nb && y < S) {
        const i = y - nb; // exit i is entered from entry i (no flow) or from entry j when flow i -> j is cancelled
        if (vflow[i] === 0) mark(i);
        for (let p = bptr[i]; p < bptr[i + 1]; p++) if (aflow[p] > 0) mark(badj[p]);
      } else if (y < nb) {
        const i = y; // entry i is entered from exit i (cancelling its flow) and from the exits of its neighbours
        if (vflow[i] === 1) mark(nb + i);
        for (let p = bptr[i]; p < bptr[i + 1]; p++) mark(nb + badj[p]);
      }
    }
  }

  // The two cuts differ from the old labels only inside the band: count and compare them there.
  const limit = Math.floor(maxFrac * n);
  let best: Uint8Array | null = null;
  let bestKey0 = oldCounts[SEP];
  let bestKey1 = Math.abs(oldCounts[A] - oldCounts[B]);
  for (const side of [A, B]) {
    const w = new Uint8Array(nb);
    const c = [oldCounts[A], oldCounts[B], oldCounts[SEP]];
    for (let i = 0; i < nb; i++) {
      let label: number;
      if (side === A) {
        // Source side: cut vertices are entered but not left; the rest reached from S is A.
        if (fromS[i] && !fromS[nb + i]) label = SEP;
        else label = fromS[i] || fromS[nb + i] ? A : B;
      } else {
        if (toT[nb + i] && !toT[i]) label = SEP;
        else label = toT[i] || toT[nb + i] ? B : A;
      }
      w[i] = label;
      c[where[band[i]]]--;
      c[label]++;
    }
    if (c[A] === 0 || c[B] === 0 || c[A] > limit || c[B] > limit) continue;
    const key0 = c[SEP];
    const key1 = Math.abs(c[A] - c[B]);
    if (key0 < bestKey0 || (key0 === bestKey0 && key1 < bestKey1)) {
      best = w;
      bestKey0 = key0;
      bestKey1 = key1;
    }
  }
  if (!best) return false;
  for (let i = 0; i < nb; i++) where[band[i]] = best[i];
  return true;
}

/**
 * Breadth-first search from the separator vertices queue[0..tail) (dist 0) through both sides, labelling dist up
 * to `reach` steps; maxDist[side] receives the largest distance met on each side. Returns the new queue end: the
 * vertices reached, in order of distance.
 */
function bandSearch(ptr: Int32Array, adj: Int32Array, where: Uint8Array, dist: Int32Array, queue: Int32Array, tail: number, reach: number, maxDist: number[]): number {
  let head = 0;
  while (head < tail) {
    const v = queue[head++];
    const dv = dist[v] + 1;
    if (dv > reach) continue;
    for (let p = ptr[v]; p < ptr[v + 1]; p++) {
      const u = adj[p];
      if (dist[u] >= 0) continue;
      dist[u] = dv;
      const wu = where[u];
      if (wu !== SEP && dv > maxDist[wu]) maxDist[wu] = dv;
      queue[tail++] = u;
    }
  }
  return tail;
}
