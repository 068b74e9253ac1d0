import type { AdjacencyGraph } from './AdjacencyGraph.js';

/** Result of a fill-reducing ordering. */
export interface EliminationOrder {
  /** order[k] = vertex eliminated k-th (a permutation of 0..n-1). */
  order: Int32Array;
  /** nnz of the Cholesky factor L (diagonal included) that this order produces, when the method knows it. */
  nnzL?: number;
}

/** Options of {@link minimumDegreeOrder}. */
export interface MinimumDegreeOptions {
  /**
   * Give up (return null) as soon as the factor would have more than this many nonzeros. Lets a caller
   * that already holds a good ordering stop a hopeless competitor early. Default: no limit.
   */
  fillBudget?: number;
}

// Vertex states in the quotient graph.
const VARIABLE = 0; // principal variable, not yet eliminated
const MERGED = 1; // variable merged into an indistinguishable principal variable
const ELEMENT = 2; // eliminated pivot, still represented as an element (clique)
const ABSORBED = 3; // element absorbed into a newer element

/**
 * Approximate minimum degree ordering on the quotient graph (after Amestoy, Davis and Duff): each eliminated
 * pivot becomes an element standing for the clique it creates, so the graph never grows; the external degree
 * of a variable is bounded above cheaply from the sizes of its elements outside the newest one; variables with
 * identical adjacency (supervariables) are merged and eliminated together; elements contained in the newest
 * one are absorbed. Own implementation with plain per-vertex lists (no compacted workspace): simpler, and fast
 * enough for the graphs of this simulator (ND leaves, and whole graphs up to ~1e5 vertices of small degree).
 *
 * The number of factor nonzeros is exact for the returned order, since the element of each pivot is exactly
 * the structure of its column of L.
 */
export function minimumDegreeOrder(graph: AdjacencyGraph, options: MinimumDegreeOptions = {}): EliminationOrder | null {
  const n = graph.n;
  const budget = options.fillBudget ?? Infinity;
  const order = new Int32Array(n);
  if (n === 0) return { order, nnzL: 0 };

  const state = new Uint8Array(n);
  const nv = new Int32Array(n).fill(1); // supervariable weight
  const deg = new Int32Array(n); // approximate external degree (weighted)
  const esize = new Int32Array(n); // weighted size of an element's variable list
  const varNbrs: number[][] = new Array(n);
  const elemNbrs: number[][] = new Array(n);
  const elemVars: number[][] = new Array(n);
  // Members of each supervariable as a linked list (head is the principal), for the final order.
  const chainNext = new Int32Array(n).fill(-1);
  const chainTail = new Int32Array(n);
  // Degree buckets: doubly linked lists.
  const head = new Int32Array(n + 1).fill(-1);
  const next = new Int32Array(n).fill(-1);
  const prev = new Int32Array(n).fill(-1);
  // Markers with stamps, so that no clearing is needed between pivots.
  const mark = new Int32Array(n);
  const wstamp = new Int32Array(n);
  const w = new Int32Array(n);
  const mk = new Int32Array(n);
  let stamp = 0;
  let wcur = 0;
  let mkcur = 0;

  for (let v = 0; v < n; v++) {
    const nb: number[] = [];
    for (let p = graph.ptr[v]; p < graph.ptr[v + 1]; p++) nb.push(graph.adj[p]);
    varNbrs[v] = nb;
    elemNbrs[v] = [];
    deg[v] = nb.length;
    chainTail[v] = v;
  }

  const insert = (v: number, d: number): void => {
    const h = head[d];
    next[v] = h;
    prev[v] = -1;
    if (h >= 0) prev[h] = v;
    head[d] = v;
  };
  const remove = (v: number): void => {
    const d = deg[v];
    if (prev[v] >= 0) next[prev[v]] = next[v];
    else head[d] = next[v];
    if (next[v] >= 0) prev[next[v]] = prev[v];
  };
  for (let v = 0; v < n; v++) insert(v, deg[v]);

  let minDeg = 0;
  let nelim = 0;
  let k = 0; // position in order
  let nnzL = 0;
  const lp: number[] = [];
  const hashes: number[] = [];

  while (nelim < n) {
    while (head[minDeg] < 0) minDeg++;
    const p = head[minDeg];
    remove(p);

    // Lp: variables adjacent to p through its elements or directly. Elements of p are absorbed.
    stamp++;
    mark[p] = stamp;
    lp.length = 0;
    let lpWeight = 0;
    const ep = elemNbrs[p];
    for (let a = 0; a < ep.length; a++) {
      const e = ep[a];
      if (state[e] !== ELEMENT) continue;
      const le = elemVars[e];
      for (let b = 0; b < le.length; b++) {
        const i = le[b];
        if (state[i] === VARIABLE && mark[i] !== stamp) {
          mark[i] = stamp;
          lp.push(i);
          lpWeight += nv[i];
        }
      }
      state[e] = ABSORBED;
      elemVars[e] = EMPTY;
    }
    const ap = varNbrs[p];
    for (let a = 0; a < ap.length; a++) {
      const i = ap[a];
      if (state[i] === VARIABLE && mark[i] !== stamp) {
        mark[i] = stamp;
        lp.push(i);
        lpWeight += nv[i];
      }
    }
    state[p] = ELEMENT;
    elemVars[p] = lp.slice();
    elemNbrs[p] = EMPTY;
    varNbrs[p] = EMPTY;
    esize[p] = lpWeight;

    // Emit p and every variable merged into it.
    const np = nv[p];
    for (let v = p; v >= 0; v = chainNext[v]) order[k++] = v;
    nelim += np;
    nnzL += (np * (np + 1)) / 2 + np * lpWeight;
    if (nnzL > budget) return null;

    // |Le \ Lp| for every element e touching Lp, by subtracting members of Lp from the element sizes.
    wcur++;
    for (let a = 0; a < lp.length; a++) {
      const i = lp[a];
      remove(i);
      const ei = elemNbrs[i];
      for (let b = 0; b < ei.length; b++) {
        const e = ei[b];
        if (state[e] !== ELEMENT) continue;
        if (wstamp[e] !== wcur) {
          wstamp[e] = wcur;
          w[e] = esize[e] - nv[i];
        } else {
          w[e] -= nv[i];
        }
      }
    }

    // New lists and approximate degrees of the variables in Lp.
    hashes.length = lp.length;
    for (let a = 0; a < lp.length; a++) {
      const i = lp[a];
      const ei = elemNbrs[i];
      const newE: number[] = [p];
      let hash = p;
      let dext = 0;
      for (let b = 0; b < ei.length; b++) {
        const e = ei[b];
        if (state[e] !== ELEMENT || e === p) continue;
        const we = w[e];
        if (we <= 0) {
          // e lies inside Lp: it adds nothing that p does not already say (aggressive absorption).
          state[e] = ABSORBED;
          elemVars[e] = EMPTY;
          continue;
        }
        dext += we;
        newE.push(e);
        hash += e;
      }
      const ai = varNbrs[i];
      const newA: number[] = [];
      for (let b = 0; b < ai.length; b++) {
        const j = ai[b];
        // Variables in Lp are now reached through element p: prune them from the direct list.
        if (state[j] !== VARIABLE || mark[j] === stamp) continue;
        newA.push(j);
        dext += nv[j];
        hash += j;
      }
      elemNbrs[i] = newE;
      varNbrs[i] = newA;
      const dlp = lpWeight - nv[i];
      let d = dext + dlp;
      const d2 = deg[i] + dlp;
      if (d2 < d) d = d2;
      const d3 = n - nelim - nv[i];
      if (d3 < d) d = d3;
      deg[i] = d < 0 ? 0 : d;
      hashes[a] = hash | 0;
    }

    // Supervariables: variables of Lp with identical element and variable lists are merged.
    if (lp.length > 1) {
      const idx = Array.from({ length: lp.length }, (_, t) => t).sort((x, y) => hashes[x] - hashes[y]);
      for (let s = 0; s < idx.length; ) {
        let t = s + 1;
        while (t < idx.length && hashes[idx[t]] === hashes[idx[s]]) t++;
        if (t - s > 1) {
          for (let a = s; a < t; a++) {
            const i = lp[idx[a]];
            if (state[i] !== VARIABLE) continue;
            mkcur++;
            const ei = elemNbrs[i];
            const ai = varNbrs[i];
            for (let b = 0; b < ei.length; b++) mk[ei[b]] = mkcur;
            for (let b = 0; b < ai.length; b++) mk[ai[b]] = mkcur;
            for (let c = a + 1; c < t; c++) {
              const j = lp[idx[c]];
              if (state[j] !== VARIABLE) continue;
              const ej = elemNbrs[j];
              const aj = varNbrs[j];
              if (ej.length !== ei.length || aj.length !== ai.length) continue;
              let same = true;
              for (let b = 0; b < ej.length && same; b++) if (mk[ej[b]] !== mkcur) same = false;
              for (let b = 0; b < aj.length && same; b++) if (mk[aj[b]] !== mkcur) same = false;
              if (!same) continue;
              // Merge j into i.
              nv[i] += nv[j];
              deg[i] -= nv[j];
              if (deg[i] < 0) deg[i] = 0;
              nv[j] = 0;
              state[j] = MERGED;
              chainNext[chainTail[i]] = j;
              chainTail[i] = chainTail[j];
              elemNbrs[j] = EMPTY;
              varNbrs[j] = EMPTY;
            }
          }
        }
        s = t;
      }
    }

    for (let a = 0; a < lp.length; a++) {
      const i = lp[a];
      if (state[i] !== VARIABLE) continue;
      insert(i, deg[i]);
      if (deg[i] < minDeg) minDeg = deg[i];
    }
  }
  return { order, nnzL };
}

const EMPTY: number[] = [];
