import type { AdjacencyGraph } from './AdjacencyGraph.js';

/**
 * Elimination-tree analysis of a symmetric sparsity pattern under an elimination order: the tree itself,
 * a postorder of it, and the column counts of the Cholesky factor, all in time nearly linear in nnz(A).
 * Vertices are referred to by their position in the order ("new" numbering) unless said otherwise.
 */

/** Inverse of a permutation: inv[order[k]] = k. */
export function inversePermutation(order: Int32Array): Int32Array {
  const inv = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) inv[order[k]] = k;
  return inv;
}

/**
 * Elimination tree of the graph eliminated in `order` (order[k] = vertex eliminated k-th): parent[k] is the
 * new index of the parent of k, or -1 for a root. Liu's algorithm with path compression over virtual ancestors.
 */
export function eliminationTree(graph: AdjacencyGraph, order: Int32Array, inv: Int32Array = inversePermutation(order)): Int32Array {
  const n = graph.n;
  const parent = new Int32Array(n).fill(-1);
  const ancestor = new Int32Array(n).fill(-1);
  const { ptr, adj } = graph;
  for (let k = 0; k < n; k++) {
    const v = order[k];
    for (let p = ptr[v]; p < ptr[v + 1]; p++) {
      let r = inv[adj[p]];
      if (r >= k) continue;
      // Climb from r to the root of its current subtree, pointing every visited node at k on the way.
      while (ancestor[r] !== -1 && ancestor[r] !== k) {
        const up = ancestor[r];
        ancestor[r] = k;
        r = up;
      }
      if (ancestor[r] === -1) {
        ancestor[r] = k;
        parent[r] = k;
      }
    }
  }
  return parent;
}

/**
 * A postorder of the forest `parent`: post[t] = node visited t-th. Children are visited in increasing index
 * order, roots likewise; every subtree occupies a contiguous range ending at its root.
 */
export function postorderForest(parent: Int32Array): Int32Array {
  const n = parent.length;
  const firstChild = new Int32Array(n).fill(-1);
  const sibling = new Int32Array(n).fill(-1);
  // Insert children in decreasing order so that the linked lists come out increasing.
  for (let j = n - 1; j >= 0; j--) {
    const p = parent[j];
    if (p >= 0) {
      sibling[j] = firstChild[p];
      firstChild[p] = j;
    }
  }
  const post = new Int32Array(n);
  const stack = new Int32Array(n);
  let t = 0;
  for (let root = 0; root < n; root++) {
    if (parent[root] !== -1) continue;
    let top = 0;
    stack[0] = root;
    while (top >= 0) {
      const v = stack[top];
      const c = firstChild[v];
      if (c === -1) {
        post[t++] = v;
        top--;
      } else {
        // Detach the child so that v is emitted once all its children are done.
        firstChild[v] = sibling[c];
        stack[++top] = c;
      }
    }
  }
  return post;
}

/**
 * Column counts of L (diagonal included) for a graph eliminated in `order`, whose elimination tree `parent`
 * is postordered (every subtree a contiguous index range ending at its root, as after {@link postorderForest}
 * has been composed into the order).
 *
 * Method (Gilbert, Ng and Peyton): row i of L is the subtree T_i of the etree spanned by the lower neighbours
 * of i and i itself. The indicator of T_i is written as a sum over subtrees of +1 at each leaf of T_i, -1 at
 * the least common ancestor of consecutive leaves and -1 at the parent of i; adding all rows and summing over
 * each subtree gives every column count at once. Leaves are recognised from `first` (smallest index in a
 * subtree) and LCAs from a disjoint-set forest of the finished subtrees.
 */
export function columnCounts(graph: AdjacencyGraph, order: Int32Array, parent: Int32Array, inv: Int32Array = inversePermutation(order)): Int32Array {
  const n = graph.n;
  const { ptr, adj } = graph;
  const delta = new Int32Array(n);
  const first = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    for (let j = k; j !== -1 && first[j] === -1; j = parent[j]) first[j] = k;
  }
  const prevNbr = new Int32Array(n).fill(-1);
  const prevLeaf = new Int32Array(n).fill(-1);
  const ancestor = new Int32Array(n);
  for (let k = 0; k < n; k++) ancestor[k] = k;
  const hasLower = new Uint8Array(n);

  for (let k = 0; k < n; k++) {
    if (parent[k] !== -1) delta[parent[k]]--;
    const v = order[k];
    for (let p = ptr[v]; p < ptr[v + 1]; p++) {
      const i = inv[adj[p]];
      if (i <= k) continue;
      hasLower[i] = 1;
      // k is a leaf of T_i iff no earlier lower neighbour of i lies in the subtree of k.
      if (first[k] > prevNbr[i]) {
        delta[k]++;
        const jprev = prevLeaf[i];
        if (jprev !== -1) {
          // Least common ancestor of jprev and k: the lowest unfinished ancestor of jprev.
          let q = jprev;
          while (ancestor[q] !== q) q = ancestor[q];
          for (let s = jprev; s !== q; ) {
            const up = ancestor[s];
            ancestor[s] = q;
            s = up;
          }
          delta[q]--;
        }
        prevLeaf[i] = k;
      }
      prevNbr[i] = k;
    }
    // Row k itself: k is the only leaf of T_k when k has no lower neighbour.
    if (!hasLower[k]) delta[k]++;
    if (parent[k] !== -1) ancestor[k] = parent[k];
  }
  const count = delta;
  for (let k = 0; k < n; k++) if (parent[k] !== -1) count[parent[k]] += count[k];
  return count;
}
