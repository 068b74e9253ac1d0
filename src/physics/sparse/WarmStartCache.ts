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
