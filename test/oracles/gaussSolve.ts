/**
 * Dense Gaussian elimination with partial pivoting, for tests' independent references (nothing from src/physics):
 * solves A x = r for a square A given as rows. A and r are overwritten. Throws on an exactly singular pivot column.
 */
export function gaussSolve(A: number[][], r: number[]): number[] {
  const m = r.length;
  for (let c = 0; c < m; c++) {
    let p = c;
    for (let i = c + 1; i < m; i++) if (Math.abs(A[i][c]) > Math.abs(A[p][c])) p = i;
    if (A[p][c] === 0) throw new Error(`gaussSolve: singular at column ${c}`);
    [A[c], A[p]] = [A[p], A[c]];
    [r[c], r[p]] = [r[p], r[c]];
    for (let i = c + 1; i < m; i++) {
      const f = A[i][c] / A[c][c];
      if (f === 0) continue;
      for (let j = c; j < m; j++) A[i][j] -= f * A[c][j];
      r[i] -= f * r[c];
    }
  }
  const x = new Array<number>(m).fill(0);
  for (let i = m - 1; i >= 0; i--) {
    let s = r[i];
    for (let j = i + 1; j < m; j++) s -= A[i][j] * x[j];
    x[i] = s / A[i][i];
  }
  return x;
}
