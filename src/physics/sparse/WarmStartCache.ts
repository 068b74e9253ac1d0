import { type CsrMatrix, csrMatVec } from './CsrMatrix.js';

/**
 * Initial guesses for an iterative solver from earlier solutions. Keeps the last few (b, x) pairs; for a new
 * right-hand side b it takes the stored pair whose b_c is most nearly parallel (or antiparallel) to b and proposes
 * x0 = (b.b_c / b_c.b_c) x_c, the exact solution if b is a multiple of b_c. The guess is used only if its
 * residual is below ||b|| (better than starting from zero). In training the same right-hand sides recur
 * (a Green's function per target, a free state per example) while the conductances change a little per step,
 * so the previous solution is an excellent start.
 */
export class WarmStartCache {
  private readonly n: number;
  private readonly capacity: number;
  private readonly bs: Float64Array[] = [];
  private readonly xs: Float64Array[] = [];
  private readonly bnorm2: number[] = [];
  private readonly lastUse: number[] = [];
  private clock = 0;

  /**
   * @param n vector length
   * @param capacity pairs kept (memory 2 * capacity * n doubles). Default 8.
   */
  constructor(n: number, capacity = 8) {
    this.n = n;
    this.capacity = capacity;
  }

  /** Writes the initial guess into x (zeros if nothing useful is stored). `scratch` has length n. */
  initialGuess(a: CsrMatrix, b: Float64Array, x: Float64Array, scratch: Float64Array): void {
    x.fill(0);
    const c = this.closest(b);
    if (c.index < 0 || Math.abs(c.cos) < 0.5) return;
    const xc = this.xs[c.index];
    const n = this.n;
    for (let i = 0; i < n; i++) x[i] = c.scale * xc[i];
    csrMatVec(a, x, scratch);
    let rr = 0;
    let bb = 0;
    for (let i = 0; i < n; i++) {
      const ri = b[i] - scratch[i];
      rr += ri * ri;
      bb += b[i] * b[i];
    }
    if (!(rr < bb)) x.fill(0);
    this.lastUse[c.index] = ++this.clock;
  }

  /** Store the solution x of A x = b, replacing a pair with (nearly) the same direction of b, or the oldest. */
  remember(b: Float64Array, x: Float64Array): void {
    const c = this.closest(b);
    let slot: number;
    if (c.index >= 0 && Math.abs(c.cos) > 0.999) slot = c.index;
    else if (this.bs.length < this.capacity) {
      slot = this.bs.length;
      this.bs.push(new Float64Array(this.n));
      this.xs.push(new Float64Array(this.n));
      this.bnorm2.push(0);
      this.lastUse.push(0);
    } else {
      slot = 0;
      for (let s = 1; s < this.bs.length; s++) if (this.lastUse[s] < this.lastUse[slot]) slot = s;
    }
    this.bs[slot].set(b);
    this.xs[slot].set(x);
    let bb = 0;
    for (let i = 0; i < this.n; i++) bb += b[i] * b[i];
    this.bnorm2[slot] = bb;
    this.lastUse[slot] = ++this.clock;
  }

  private closest(b: Float64Array): { index: number; cos: number; scale: number } {
    let bb = 0;
    for (let i = 0; i < this.n; i++) bb += b[i] * b[i];
    let best = -1;
    let bestCos = 0;
    let bestScale = 0;
    if (bb === 0) return { index: -1, cos: 0, scale: 0 };
    for (let s = 0; s < this.bs.length; s++) {
      const bc = this.bs[s];
      if (this.bnorm2[s] === 0) continue;
      let dotp = 0;
      for (let i = 0; i < this.n; i++) dotp += b[i] * bc[i];
      const cos = dotp / Math.sqrt(bb * this.bnorm2[s]);
      if (Math.abs(cos) > Math.abs(bestCos)) {
        bestCos = cos;
        best = s;
        bestScale = dotp / this.bnorm2[s];
      }
    }
    return { index: best, cos: bestCos, scale: bestScale };
  }
}

/**
 * Initial guesses from the span of recent solutions, for CG on a matrix that changes a little between solves (the
 * factor reuse of LaplacianSystem: the states of one training step and of the steps before it). For a new right-hand
 * side b it proposes x0 = X c with (X^T A X) c = X^T b, the point of span(X) nearest the solution in the A-norm
 * (Galerkin): exact when the solution lies in the span, and never worse than x0 = 0 in that norm. A recurring
 * right-hand side (a target's Green's function) finds its previous solutions there; a free state for new source
 * voltages is a combination of earlier free states when the sources are few. Solutions of the same right-hand side
 * for successive matrices are all kept (oldest replaced first): their differences extrapolate the change, which
 * on the 128 x 128 lattice cut the CG iterations per solve from 4.4 (latest solution of each only) to 3.2.
 *
 * The products A x_i are kept with the version of the matrix they belong to, recomputed (one product each) when the
 * matrix has changed; for a solution just computed its product comes with it (the solver's residual needs it anyway).
 */
export class SubspaceWarmStart {
  private readonly n: number;
  private readonly capacity: number;
  private readonly xs: Float64Array[] = [];
  private readonly axs: Float64Array[] = [];
  private readonly version: number[] = [];
  private readonly age: number[] = [];
  private clock = 0;
  /** Per slot: changes whenever its vector or its product changes. */
  private readonly stamp: number[] = [];
  private stampClock = 0;
  /** Cached Gram entries x_i . A x_j (i >= j) and the stamps of i and j they were computed with. */
  private readonly gram: Float64Array;
  private readonly gramI: Float64Array;
  private readonly gramJ: Float64Array;

  /**
   * @param n vector length
   * @param capacity solutions kept (memory 2 * capacity * n doubles; up to `capacity` matrix-vector products per
   *   new matrix). Default 8.
   */
  constructor(n: number, capacity = 8) {
    this.n = n;
    this.capacity = capacity;
    this.gram = new Float64Array(capacity * capacity);
    this.gramI = new Float64Array(capacity * capacity).fill(-1);
    this.gramJ = new Float64Array(capacity * capacity).fill(-1);
  }

  /** Number of solutions held. */
  get size(): number {
    return this.xs.length;
  }

  /** Forget every stored solution. */
  clear(): void {
    this.xs.length = 0;
    this.axs.length = 0;
    this.version.length = 0;
    this.age.length = 0;
    this.stamp.length = 0;
  }

  /**
   * Write the initial guess for A x = b into x (zeros when nothing is stored). `matrixVersion` identifies the values
   * of `a`: stored products of another version are recomputed. Returns the number of products computed.
   */
  initialGuess(a: CsrMatrix, matrixVersion: number, b: Float64Array, x: Float64Array): number {
    x.fill(0);
    const m = this.xs.length;
    if (m === 0) return 0;
    const n = this.n;
    let products = 0;
    for (let i = 0; i < m; i++) {
      if (this.version[i] !== matrixVersion) {
        csrMatVec(a, this.xs[i], this.axs[i]);
        this.version[i] = matrixVersion;
        this.stamp[i] = ++this.stampClock;
        products++;
      }
    }
    // Gram matrix G = X^T A X (symmetric; entries kept while both vectors and products stay) and X^T b.
    const g = new Float64Array(m * m);
    const rhs = new Float64Array(m);
    const cap = this.capacity;
    for (let i = 0; i < m; i++) {
      const xi = this.xs[i];
      for (let j = 0; j <= i; j++) {
        const at = i * cap + j;
        if (this.gramI[at] !== this.stamp[i] || this.gramJ[at] !== this.stamp[j]) {
          this.gram[at] = dot(xi, this.axs[j], n);
          this.gramI[at] = this.stamp[i];
          this.gramJ[at] = this.stamp[j];
        }
        g[i * m + j] = this.gram[at];
      }
      rhs[i] = dot(xi, b, n);
    }
    // Cholesky of G, dropping vectors that are (nearly) A-dependent on the earlier ones.
    const keep = new Uint8Array(m);
    const l = new Float64Array(m * m);
    for (let j = 0; j < m; j++) {
      let d = g[j * m + j];
      for (let k = 0; k < j; k++) if (keep[k]) d -= l[j * m + k] * l[j * m + k];
      if (!(d > 1e-10 * g[j * m + j])) continue;
      keep[j] = 1;
      const r = Math.sqrt(d);
      l[j * m + j] = r;
      for (let i = j + 1; i < m; i++) {
        let s = g[i * m + j];
        for (let k = 0; k < j; k++) if (keep[k]) s -= l[i * m + k] * l[j * m + k];
        l[i * m + j] = s / r;
      }
    }
    const c = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      if (!keep[i]) continue;
      let s = rhs[i];
      for (let k = 0; k < i; k++) if (keep[k]) s -= l[i * m + k] * c[k];
      c[i] = s / l[i * m + i];
    }
    for (let i = m - 1; i >= 0; i--) {
      if (!keep[i]) continue;
      let s = c[i];
      for (let k = i + 1; k < m; k++) if (keep[k]) s -= l[k * m + i] * c[k];
      c[i] = s / l[i * m + i];
    }
    for (let i = 0; i < m; i++) {
      if (!keep[i] || c[i] === 0) continue;
      const xi = this.xs[i];
      const ci = c[i];
      for (let t = 0; t < n; t++) x[t] += ci * xi[t];
    }
    return products;
  }

  /**
   * Store the solution x with its product ax = A x for matrix version `matrixVersion`, replacing the oldest once the
   * capacity is reached. (A solution dependent on the others costs a product but no accuracy: the Gram factorisation
   * drops it.)
   */
  remember(x: Float64Array, ax: Float64Array, matrixVersion: number): void {
    const n = this.n;
    let slot = -1;
    if (this.xs.length < this.capacity) {
      slot = this.xs.length;
      this.xs.push(new Float64Array(n));
      this.axs.push(new Float64Array(n));
      this.version.push(-1);
      this.age.push(0);
      this.stamp.push(0);
    }
    if (slot < 0) {
      slot = 0;
      for (let i = 1; i < this.xs.length; i++) if (this.age[i] < this.age[slot]) slot = i;
    }
    this.xs[slot].set(x);
    this.axs[slot].set(ax);
    this.version[slot] = matrixVersion;
    this.age[slot] = ++this.clock;
    this.stamp[slot] = ++this.stampClock;
  }
}

function dot(x: Float64Array, y: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i] * y[i];
  return s;
}
