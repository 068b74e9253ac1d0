/**
 * A square sparse matrix in compressed sparse row form. Used here for symmetric matrices stored with both
 * triangles (row i lists every column j with a structural nonzero a_ij, diagonal included), column indices
 * ascending within each row and unique.
 *
 * The pattern (`rowPtr`, `colIdx`) is fixed once built; `values` is rewritten in place when the numbers
 * change, so every structure derived from the pattern (orderings, symbolic factorisations, assembly maps)
 * stays valid.
 */
export interface CsrMatrix {
  /** Number of rows and columns. */
  readonly n: number;
  /** Row i occupies positions rowPtr[i] .. rowPtr[i+1]-1 of colIdx and values (length n+1). */
  readonly rowPtr: Int32Array;
  /** Column index of each stored entry, ascending within a row. */
  readonly colIdx: Int32Array;
  /** Value of each stored entry. */
  readonly values: Float64Array;
}

/** Number of stored entries. */
export function csrNnz(a: CsrMatrix): number {
  return a.rowPtr[a.n];
}

/** y = A x (y and x of length n, distinct arrays). Returns y. */
export function csrMatVec(a: CsrMatrix, x: Float64Array, y: Float64Array): Float64Array {
  const { n, rowPtr, colIdx, values } = a;
  for (let i = 0; i < n; i++) {
    let s = 0;
    const end = rowPtr[i + 1];
    for (let p = rowPtr[i]; p < end; p++) s += values[p] * x[colIdx[p]];
    y[i] = s;
  }
  return y;
}

/**
 * Build a CSR matrix from coordinate triplets; duplicates are summed (parallel resistors simply add).
 * `rows`, `cols` and `vals` have equal length; indices must lie in [0, n).
 */
export function csrFromTriplets(n: number, rows: ArrayLike<number>, cols: ArrayLike<number>, vals: ArrayLike<number>): CsrMatrix {
  const m = rows.length;
  const count = new Int32Array(n + 1);
  for (let t = 0; t < m; t++) count[rows[t] + 1]++;
  for (let i = 0; i < n; i++) count[i + 1] += count[i];
  const next = count.slice(0, n);
  const tmpCol = new Int32Array(m);
  const tmpVal = new Float64Array(m);
  for (let t = 0; t < m; t++) {
    const q = next[rows[t]]++;
    tmpCol[q] = cols[t];
    tmpVal[q] = vals[t];
  }
  // Sort each row by column and merge duplicates, using a dense marker of the last position per column.
  const rowPtr = new Int32Array(n + 1);
  const colIdx = new Int32Array(m);
  const values = new Float64Array(m);
  const where = new Int32Array(n).fill(-1);
  let nz = 0;
  for (let i = 0; i < n; i++) {
    const start = nz;
    for (let q = count[i]; q < count[i + 1]; q++) {
      const j = tmpCol[q];
      if (where[j] >= start) {
        values[where[j]] += tmpVal[q];
      } else {
        where[j] = nz;
        colIdx[nz] = j;
        values[nz] = tmpVal[q];
        nz++;
      }
    }
    sortRowSegment(colIdx, values, start, nz);
    rowPtr[i + 1] = nz;
  }
  return { n, rowPtr, colIdx: colIdx.slice(0, nz), values: values.slice(0, nz) };
}

/** Sort colIdx[lo..hi) ascending carrying values along: insertion sort for the usual short rows. */
function sortRowSegment(colIdx: Int32Array, values: Float64Array, lo: number, hi: number): void {
  if (hi - lo > 32) {
    // A long row (a hub node): a comparison sort avoids the quadratic insertion sort.
    const idx = Array.from({ length: hi - lo }, (_, t) => lo + t).sort((x, y) => colIdx[x] - colIdx[y]);
    const c = idx.map((q) => colIdx[q]);
    const v = idx.map((q) => values[q]);
    for (let t = 0; t < c.length; t++) {
      colIdx[lo + t] = c[t];
      values[lo + t] = v[t];
    }
    return;
  }
  for (let a = lo + 1; a < hi; a++) {
    const c = colIdx[a];
    const v = values[a];
    let b = a - 1;
    while (b >= lo && colIdx[b] > c) {
      colIdx[b + 1] = colIdx[b];
      values[b + 1] = values[b];
      b--;
    }
    colIdx[b + 1] = c;
    values[b + 1] = v;
  }
}

/** Position of entry (i, j) in colIdx/values, or -1 if it is not stored (binary search within row i). */
export function csrFind(a: CsrMatrix, i: number, j: number): number {
  let lo = a.rowPtr[i];
  let hi = a.rowPtr[i + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = a.colIdx[mid];
    if (c === j) return mid;
    if (c < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
