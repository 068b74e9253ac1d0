import { NumericalError } from '../../errors.js';
import type { AdjacencyGraph } from './AdjacencyGraph.js';
import { columnCounts, eliminationTree, inversePermutation, postorderForest } from './eliminationTree.js';

/**
 * Relaxed supernode amalgamation: a child supernode is merged into its parent when the merged block has at
 * most `maxColumns[t]` columns and the fraction of explicitly stored zeros stays below `maxZeroFraction[t]`
 * for some t. Stored zeros cost flops, but fewer and larger dense blocks run much faster than many thin ones.
 */
export interface RelaxationOptions {
  maxColumns: number[];
  maxZeroFraction: number[];
}

/**
 * Default amalgamation: merge up to 4 columns at half zeros, up to 16 at a fifth, then 2 %. Tuned for the
 * WebAssembly kernels on the 128 x 128 and 256 x 256 lattices with diagonals (CPU ms, one process, load 9): against
 * the earlier [4, 16, 48, Inf] / [1, 0.8, 0.1, 0.05] (tuned for the JavaScript kernels, whose small blocks cost more)
 * the factor stores 13 % fewer entries, a solve takes 7-14 % less (1.84 vs 2.13 ms, 8.8 vs 9.5 ms) and the
 * factorisation the same (7.2 vs 7.6 ms, 48.3 vs 48.2 ms): fewer stored zeros mean less memory to stream.
 */
export const DEFAULT_RELAXATION: RelaxationOptions = {
  maxColumns: [4, 16, Infinity],
  maxZeroFraction: [0.5, 0.2, 0.02],
};

/**
 * The symbolic Cholesky factorisation of a symmetric matrix with a fixed sparsity pattern, under a
 * fill-reducing order: everything about L that does not depend on the numbers. Computed once per pattern;
 * the numeric factorisation ({@link SupernodalCholesky}) then only runs dense kernels and index maps.
 *
 * Columns are renumbered by a postorder of the elimination tree (same fill, contiguous subtrees). L is
 * partitioned into supernodes: runs of consecutive columns sharing one row structure, stored as dense
 * column-major blocks. Supernode J has columns first..first+w-1 and rows rowIdx[rowPtr[J] .. rowPtr[J+1]-1]
 * (new numbering, ascending; the first w of them are its own columns); its block has m = rowPtr[J+1]-rowPtr[J]
 * rows and leading dimension m, and starts at valPtr[J] in the factor's value array.
 */
export class SymbolicFactor {
  /** Matrix order. */
  readonly n: number;
  /** perm[k] = original index of the k-th pivot. */
  readonly perm: Int32Array;
  /** iperm[v] = pivot position of original index v. */
  readonly iperm: Int32Array;
  /** Nonzeros of L (diagonal included) for this order, before amalgamation. */
  readonly nnzL: number;
  /** Multiply-add pairs of the numeric factorisation, before amalgamation: sum over columns of c(c-1)/2. */
  readonly flops: number;
  /** Doubles stored for L (dense supernode blocks, amalgamation zeros and unused upper triangles included). */
  readonly storedEntries: number;
  /** Number of supernodes. */
  readonly nsuper: number;
  /** First column of each supernode (length nsuper+1; the last entry is n). */
  readonly superStart: Int32Array;
  /** Parent supernode in the supernodal elimination tree, -1 for roots. Parents come after children. */
  readonly superParent: Int32Array;
  /** Offsets into rowIdx (length nsuper+1). */
  readonly rowPtr: Int32Array;
  /** Row structures of the supernodes, concatenated. */
  readonly rowIdx: Int32Array;
  /** Offset of each supernode's block in the value array (length nsuper+1). */
  readonly valPtr: Int32Array;
  /**
   * Extend-add maps: for supernode C with parent P, relIdx[relPtr[C] + t] is the position in P's row list of
   * C's (w_C + t)-th row, for every row of C below its own columns.
   */
  readonly relPtr: Int32Array;
  readonly relIdx: Int32Array;
  /** Children of each supernode, as a linked list (first child, next sibling; -1 ends). */
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
  /** Doubles needed by the multifrontal update-matrix stack. */
  readonly stackSize: number;
  /** Assembly map: the value at CSR position asmSrc[t] goes to factor position asmDst[t] (lower triangle). */
  readonly asmSrc: Int32Array;
  readonly asmDst: Int32Array;
  /** CSR position of the diagonal entry of each pivot (new numbering), -1 if structurally absent. */
  readonly diagSrc: Int32Array;
  /** Largest row count of any supernode. */
  readonly maxRows: number;

  /**
   * @param graph sparsity graph of the matrix (no diagonal), consistent with `rowPtr`/`colIdx`
   * @param rowPtr CSR row pointers of the full symmetric pattern (both triangles, diagonal included)
   * @param colIdx CSR column indices, ascending within each row
   * @param order elimination order, order[k] = original index of the k-th pivot
   */
  constructor(graph: AdjacencyGraph, rowPtr: Int32Array, colIdx: Int32Array, order: Int32Array, relax: RelaxationOptions = DEFAULT_RELAXATION) {
    const n = graph.n;
    this.n = n;
    const { perm, iperm, parent, cc, nnzL, flops } = postorderedAnalysis(graph, order);
    this.perm = perm;
    this.iperm = iperm;
    this.nnzL = nnzL;
    this.flops = flops;

    // Fundamental supernodes: j joins j-1 when j-1 is its only child and the structures nest exactly.
    const childCount = new Int32Array(n);
    for (let j = 0; j < n; j++) if (parent[j] >= 0) childCount[parent[j]]++;
    const fundStart: number[] = [];
    for (let j = 0; j < n; j++) {
      const joins = j > 0 && parent[j - 1] === j && cc[j - 1] === cc[j] + 1 && childCount[j] === 1;
      if (!joins) fundStart.push(j);
    }
    const nf = fundStart.length;
    fundStart.push(n);

    // Relaxed amalgamation over a stack of merged supernodes: the supernode just before the current one is
    // merged into it when it is its child (in a postorder the preceding supernode is then the last child).
    const mFirst: number[] = [];
    const mTop: number[] = []; // last column
    const mW: number[] = [];
    const mM: number[] = [];
    const mZeros: number[] = [];
    const stored = (a: number, b: number): number => a * b - (a * (a - 1)) / 2;
    for (let s = 0; s < nf; s++) {
      let first = fundStart[s];
      const last = fundStart[s + 1] - 1;
      let w = last - first + 1;
      let m = cc[first];
      let zeros = 0;
      while (mFirst.length > 0) {
        const c = mFirst.length - 1;
        const pc = parent[mTop[c]];
        if (pc < first || pc > last) break;
        // The child's rows below its columns lie within the current structure, so the merged block has
        // w_c + m rows.
        const wc = mW[c];
        const nw = wc + w;
        const nm = wc + m;
        const newZeros = stored(nw, nm) - (stored(wc, mM[c]) - mZeros[c]) - (stored(w, m) - zeros);
        const frac = newZeros / stored(nw, nm);
        let ok = false;
        for (let t = 0; t < relax.maxColumns.length && !ok; t++) {
          if (nw <= relax.maxColumns[t] && frac <= relax.maxZeroFraction[t]) ok = true;
        }
        if (!ok) break;
        first = mFirst[c];
        w = nw;
        m = nm;
        zeros = newZeros;
        mFirst.pop();
        mTop.pop();
        mW.pop();
        mM.pop();
        mZeros.pop();
      }
      mFirst.push(first);
      mTop.push(last);
      mW.push(w);
      mM.push(m);
      mZeros.push(zeros);
    }
    const ns = mFirst.length;
    this.nsuper = ns;
    const superStart = new Int32Array(ns + 1);
    for (let J = 0; J < ns; J++) superStart[J] = mFirst[J];
    superStart[ns] = n;
    const superOf = new Int32Array(n);
    for (let J = 0; J < ns; J++) for (let j = superStart[J]; j < superStart[J + 1]; j++) superOf[j] = J;
    const superParent = new Int32Array(ns);
    for (let J = 0; J < ns; J++) {
      const top = superStart[J + 1] - 1;
      superParent[J] = parent[top] >= 0 ? superOf[parent[top]] : -1;
    }
    this.superStart = superStart;
    this.superParent = superParent;
    const firstChild = new Int32Array(ns).fill(-1);
    const nextSibling = new Int32Array(ns).fill(-1);
    for (let J = ns - 1; J >= 0; J--) {
      const P = superParent[J];
      if (P >= 0) {
        nextSibling[J] = firstChild[P];
        firstChild[P] = J;
      }
    }
    this.firstChild = firstChild;
    this.nextSibling = nextSibling;

    // Row structures: own columns, plus lower neighbours of its columns, plus children's rows below it.
    const superRowPtr = new Int32Array(ns + 1);
    let total = 0;
    for (let J = 0; J < ns; J++) total += mM[J];
    let rowIdx = new Int32Array(Math.max(total, 1));
    const marker = new Int32Array(n).fill(-1);
    let nzr = 0;
    const scratch: number[] = [];
    let maxRows = 0;
    for (let J = 0; J < ns; J++) {
      const f = superStart[J];
      const l = superStart[J + 1];
      scratch.length = 0;
      for (let j = f; j < l; j++) {
        const v = perm[j];
        for (let p = graph.ptr[v]; p < graph.ptr[v + 1]; p++) {
          const i = iperm[graph.adj[p]];
          if (i >= l && marker[i] !== J) {
            marker[i] = J;
            scratch.push(i);
          }
        }
      }
      for (let C = firstChild[J]; C >= 0; C = nextSibling[C]) {
        for (let p = superRowPtr[C]; p < superRowPtr[C + 1]; p++) {
          const i = rowIdx[p];
          if (i >= l && marker[i] !== J) {
            marker[i] = J;
            scratch.push(i);
          }
        }
      }
      const m = l - f + scratch.length;
      if (nzr + m > rowIdx.length) {
        const bigger = new Int32Array(Math.max(nzr + m, 2 * rowIdx.length));
        bigger.set(rowIdx);
        rowIdx = bigger;
      }
      for (let j = f; j < l; j++) rowIdx[nzr++] = j;
      const below = Int32Array.from(scratch).sort();
      rowIdx.set(below, nzr);
      nzr += below.length;
      superRowPtr[J + 1] = nzr;
      if (m > maxRows) maxRows = m;
    }
    this.rowPtr = superRowPtr;
    this.rowIdx = rowIdx.slice(0, nzr);
    this.maxRows = maxRows;

    // Offsets are kept in Int32Arrays: V8 indexes typed arrays much faster with small integers than with
    // doubles, and a factor past 2^31 doubles (16 GiB) is out of reach anyway.
    const valPtr = new Int32Array(ns + 1);
    let acc = 0;
    for (let J = 0; J < ns; J++) {
      const w = superStart[J + 1] - superStart[J];
      const m = superRowPtr[J + 1] - superRowPtr[J];
      acc += w * m;
      if (acc > 0x7fffffff) throw new NumericalError(`Cholesky factor too large: more than 2^31 stored entries (use the conjugate-gradient method)`);
      valPtr[J + 1] = acc;
    }
    this.valPtr = valPtr;
    this.storedEntries = valPtr[ns];

    // Extend-add maps, and the peak of the update-matrix stack (children's updates sit on top of the stack
    // when their parent is assembled; the parent's own update is built above them and then moved down).
    const relPtr = new Int32Array(ns + 1);
    for (let J = 0; J < ns; J++) {
      const w = superStart[J + 1] - superStart[J];
      relPtr[J + 1] = relPtr[J] + (superRowPtr[J + 1] - superRowPtr[J] - w);
    }
    const relIdx = new Int32Array(relPtr[ns]);
    const pos = new Int32Array(n);
    for (let P = 0; P < ns; P++) {
      if (firstChild[P] < 0) continue;
      for (let p = superRowPtr[P]; p < superRowPtr[P + 1]; p++) pos[this.rowIdx[p]] = p - superRowPtr[P];
      for (let C = firstChild[P]; C >= 0; C = nextSibling[C]) {
        const w = superStart[C + 1] - superStart[C];
        const base = superRowPtr[C] + w;
        for (let t = 0; t < relPtr[C + 1] - relPtr[C]; t++) relIdx[relPtr[C] + t] = pos[this.rowIdx[base + t]];
      }
    }
    this.relPtr = relPtr;
    this.relIdx = relIdx;

    let top = 0;
    let peak = 0;
    const uStart = new Int32Array(ns);
    for (let J = 0; J < ns; J++) {
      const u = relPtr[J + 1] - relPtr[J];
      peak = Math.max(peak, top + u * u);
      const base = firstChild[J] >= 0 ? uStart[firstChild[J]] : top;
      uStart[J] = base;
      top = base + u * u;
    }
    if (peak > 0x7fffffff) throw new NumericalError(`Cholesky update stack too large: more than 2^31 entries (use the conjugate-gradient method)`);
    this.stackSize = peak;

    // Assembly map from the CSR pattern into the blocks (entries with new row >= new column).
    let nasm = 0;
    for (let v = 0; v < n; v++) {
      const j = iperm[v];
      for (let p = rowPtr[v]; p < rowPtr[v + 1]; p++) if (iperm[colIdx[p]] >= j) nasm++;
    }
    const asmSrc = new Int32Array(nasm);
    const asmDst = new Int32Array(nasm);
    const diagSrc = new Int32Array(n).fill(-1);
    nasm = 0;
    for (let J = 0; J < ns; J++) {
      const m = superRowPtr[J + 1] - superRowPtr[J];
      for (let p = superRowPtr[J]; p < superRowPtr[J + 1]; p++) pos[this.rowIdx[p]] = p - superRowPtr[J];
      for (let j = superStart[J]; j < superStart[J + 1]; j++) {
        const v = perm[j];
        const colBase = valPtr[J] + (j - superStart[J]) * m;
        for (let p = rowPtr[v]; p < rowPtr[v + 1]; p++) {
          const i = iperm[colIdx[p]];
          if (i < j) continue;
          if (i === j) diagSrc[j] = p;
          asmSrc[nasm] = p;
          asmDst[nasm] = colBase + pos[i];
          nasm++;
        }
      }
    }
    this.asmSrc = asmSrc;
    this.asmDst = asmDst;
    this.diagSrc = diagSrc;
  }

  /** Column counts of L and the elimination tree, without supernodes: cheap screening of an order. */
  static countFill(graph: AdjacencyGraph, order: Int32Array): { nnzL: number; flops: number } {
    const { nnzL, flops } = postorderedAnalysis(graph, order);
    return { nnzL, flops };
  }
}

/**
 * The elimination tree analysis of an order, postordered: the pivot order perm (order with its elimination tree
 * postordered), the tree and the column counts of L in that numbering. What countFill and the constructor both need.
 */
export interface PostorderedAnalysis {
  perm: Int32Array;
  iperm: Int32Array;
  /** Elimination tree in the postordered numbering. */
  parent: Int32Array;
  /** Column counts of L (diagonal included), postordered numbering. */
  cc: Int32Array;
  nnzL: number;
  flops: number;
}

/**
 * The last analysis, kept for the constructor: fillReducingOrder screens the chosen order with countFill and the
 * caller then builds the SymbolicFactor of that very order on the same graph, which would repeat the work.
 * The arrays are never written after they are made, so sharing them is safe.
 */
let lastAnalysis: { graph: AdjacencyGraph; order: Int32Array; result: PostorderedAnalysis } | null = null;

export function postorderedAnalysis(graph: AdjacencyGraph, order: Int32Array): PostorderedAnalysis {
  if (lastAnalysis && lastAnalysis.graph === graph && lastAnalysis.order === order) return lastAnalysis.result;
  const n = graph.n;
  // Postorder the elimination tree and fold it into the order. The tree of the postordered order is the same tree
  // relabelled (a postorder is a topological order of the tree, so it eliminates with the same parents).
  const parent0 = eliminationTree(graph, order);
  const post = postorderForest(parent0);
  const perm = new Int32Array(n);
  for (let k = 0; k < n; k++) perm[k] = order[post[k]];
  const iperm = inversePermutation(perm);
  const newOf = inversePermutation(post);
  const parent = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const p = parent0[post[k]];
    parent[k] = p < 0 ? -1 : newOf[p];
  }
  const cc = columnCounts(graph, perm, parent, iperm);
  let nnzL = 0;
  let flops = 0;
  for (let j = 0; j < n; j++) {
    nnzL += cc[j];
    flops += (cc[j] * (cc[j] - 1)) / 2;
  }
  const result = { perm, iperm, parent, cc, nnzL, flops };
  lastAnalysis = { graph, order, result };
  return result;
}
