/**
 * Dense linear algebra for the few-by-few systems of the strain solver (one row per constraint). Physics does not
 * import the diagnostics' eigensolver (dependency direction), and these matrices have order 1 to ~4.
 */

/**
 * Eigen-decomposition of a small symmetric matrix (row-major m x m) by cyclic Jacobi rotations. Returns the eigenvalues
 * ascending and the eigenvectors as columns of a row-major m x m array (vectors[i * m + j] = component i of vector j).
 */
export function smallSymmetricEigen(a: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const s = a.slice();
  const v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        total += s[i * m + j] ** 2;
        if (i !== j) off += s[i * m + j] ** 2;
      }
    }
    if (off <= 1e-32 * total || off === 0) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = s[p * m + q];
        if (apq === 0) continue;
        const theta = (s[q * m + q] - s[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let k = 0; k < m; k++) {
          const skp = s[k * m + p];
          const skq = s[k * m + q];
          s[k * m + p] = c * skp - sn * skq;
          s[k * m + q] = sn * skp + c * skq;
        }
        for (let k = 0; k < m; k++) {
          const spk = s[p * m + k];
          const sqk = s[q * m + k];
          s[p * m + k] = c * spk - sn * sqk;
          s[q * m + k] = sn * spk + c * sqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p];
          const vkq = v[k * m + q];
          v[k * m + p] = c * vkp - sn * vkq;
          v[k * m + q] = sn * vkp + c * vkq;
        }
      }
    }
  }
  const idx = Array.from({ length: m }, (_, i) => i).sort((x, y) => s[x * m + x] - s[y * m + y]);
  const values = Float64Array.from(idx, (i) => s[i * m + i]);
  const vectors = new Float64Array(m * m);
  idx.forEach((src, j) => {
    for (let i = 0; i < m; i++) vectors[i * m + j] = v[i * m + src];
  });
  return { values, vectors };
}

/** Solve the small system A x = b (row-major m x m) by Gaussian elimination with partial pivoting; null if singular. */
export function smallSolve(a: Float64Array, b: Float64Array, m: number): Float64Array | null {
  const A = a.slice();
  const x = b.slice();
  for (let c = 0; c < m; c++) {
    let piv = c;
    for (let r = c + 1; r < m; r++) if (Math.abs(A[r * m + c]) > Math.abs(A[piv * m + c])) piv = r;
    if (A[piv * m + c] === 0) return null;
    if (piv !== c) {
      for (let k = 0; k < m; k++) [A[c * m + k], A[piv * m + k]] = [A[piv * m + k], A[c * m + k]];
      [x[c], x[piv]] = [x[piv], x[c]];
    }
    for (let r = c + 1; r < m; r++) {
      const f = A[r * m + c] / A[c * m + c];
      for (let k = c; k < m; k++) A[r * m + k] -= f * A[c * m + k];
      x[r] -= f * x[c];
    }
  }
  for (let c = m - 1; c >= 0; c--) {
    let s = x[c];
    for (let k = c + 1; k < m; k++) s -= A[c * m + k] * x[k];
    x[c] = s / A[c * m + c];
  }
  return x;
}
