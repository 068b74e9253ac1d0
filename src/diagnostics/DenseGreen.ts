/**
 * A small network's state and Green's functions from one dense Cholesky factorisation of H_FF (the consistency
 * check's dense path, ConsistencyChecker.ts), computed in buffers kept from check to check: a check of a 16-node
 * board allocates nothing here (issue 18, point 3: allocation and garbage collection were a good part of a check).
 *
 * Two results are kept (ping-pong): the one a downdate starts from stays intact while the next is written.
 */
import { NumericalError } from '../errors.js';

/** Relative residual above which a dense solve is refined (as LaplacianSystem's Cholesky: 1e-12), at most twice. */
const REFINE_ABOVE = 1e-12;
const MAX_REFINEMENTS = 2;
/** A solve is accepted up to this relative residual (LaplacianSystem's CHOLESKY_ACCEPT). */
const ACCEPT = 1e-9;

/** The state and H_FF^{-1} for one boundary (buffers owned by a {@link DenseGreenWork}; valid until its next-but-one result). */
export interface DenseGreen {
  /** Number of free nodes. */
  f: number;
  /** Free nodes (ascending), the first f entries. */
  free: Int32Array;
  /** Each node's index among the free nodes (-1: boundary). */
  pos: Int32Array;
  /** H_FF^{-1}, f x f row-major (symmetric), the first f*f entries. */
  inverse: Float64Array;
  /** The state: boundary values at boundary nodes, Kirchhoff's solution at free nodes (V). */
  voltages: Float64Array;
  /** The state's solve and one per column of the inverse. */
  solves: number;
  /** Largest relative residual ||b - H_FF x|| / ||b|| of those solves. */
  maxResidual: number;
  /** Downdated from the previous result (DenseGreenWork.downdate). */
  incremental: boolean;
}

function emptyGreen(N: number): DenseGreen {
  return { f: 0, free: new Int32Array(N), pos: new Int32Array(N), inverse: new Float64Array(N * N), voltages: new Float64Array(N), solves: 0, maxResidual: 0, incremental: false };
}

/** Buffers and the two kept results for one network of N nodes and E edges. */
export class DenseGreenWork {
  private readonly slots: [DenseGreen, DenseGreen];
  /** The edges with a free end of the last boundary: free indices (-1 = boundary end) and conductances; m of them. */
  private readonly ea: Int32Array;
  private readonly eb: Int32Array;
  private readonly ek: Float64Array;
  private m = 0;
  /** f x f scratch: the factor L, its triangular inverse; the downdate's G_TT factor and W. */
  private readonly L: Float64Array;
  private readonly li: Float64Array;
  private readonly A: Float64Array;
  private readonly W: Float64Array;
  /** Per free node: right-hand side, solution, residual, correction. */
  private readonly rhs: Float64Array;
  private readonly x: Float64Array;
  private readonly r: Float64Array;
  private readonly dx: Float64Array;
  private readonly ps: Int32Array;
  private readonly pt: Int32Array;

  constructor(
    readonly N: number,
    private readonly edgeA: Int32Array,
    private readonly edgeB: Int32Array,
  ) {
    const E = edgeA.length;
    this.slots = [emptyGreen(N), emptyGreen(N)];
    this.ea = new Int32Array(E);
    this.eb = new Int32Array(E);
    this.ek = new Float64Array(E);
    this.L = new Float64Array(N * N);
    this.li = new Float64Array(N * N);
    this.A = new Float64Array(N * N);
    this.W = new Float64Array(N * N);
    this.rhs = new Float64Array(N);
    this.x = new Float64Array(N);
    this.r = new Float64Array(N);
    this.dx = new Float64Array(N);
    this.ps = new Int32Array(N);
    this.pt = new Int32Array(N);
  }

  /** The result buffer that is not `keep`. */
  private spare(keep: DenseGreen | null): DenseGreen {
    return keep === this.slots[0] ? this.slots[1] : this.slots[0];
  }

  /**
   * Boundary values `bvals` at `bnodes` into g.pos, g.free, g.f and g.voltages (free nodes 0), and the edges with a
   * free end with the right-hand side of the state (the boundary's currents into the free nodes).
   */
  private layout(g: DenseGreen, k: Float64Array, bnodes: Int32Array, bvals: Float64Array): void {
    const N = this.N;
    const { pos, voltages, free } = g;
    pos.fill(0);
    voltages.fill(0);
    for (let t = 0; t < bnodes.length; t++) {
      pos[bnodes[t]] = -1;
      voltages[bnodes[t]] = bvals[t];
    }
    let f = 0;
    for (let i = 0; i < N; i++) {
      if (pos[i] < 0) continue;
      pos[i] = f;
      free[f++] = i;
    }
    g.f = f;
    const { edgeA, edgeB, ea, eb, ek, rhs } = this;
    rhs.fill(0, 0, f);
    let m = 0;
    for (let e = 0; e < edgeA.length; e++) {
      const a = edgeA[e];
      const b = edgeB[e];
      const pa = pos[a];
      const pb = pos[b];
      if (a === b || (pa < 0 && pb < 0)) continue;
      const ke = k[e];
      ea[m] = pa;
      eb[m] = pb;
      ek[m++] = ke;
      if (pa >= 0 && pb < 0) rhs[pa] += ke * voltages[b];
      else if (pb >= 0 && pa < 0) rhs[pb] += ke * voltages[a];
    }
    this.m = m;
  }

  /** r = b - H_FF xs[xo..xo+f) edge by edge (b null: the unit vector e_p); returns ||r||_2. */
  private residual(f: number, b: Float64Array | null, p: number, xs: Float64Array, xo: number): number {
    const { r, ea, eb, ek } = this;
    const m = this.m;
    if (b) for (let i = 0; i < f; i++) r[i] = b[i];
    else {
      r.fill(0, 0, f);
      r[p] = 1;
    }
    for (let t = 0; t < m; t++) {
      const pa = ea[t];
      const pb = eb[t];
      const xa = pa >= 0 ? xs[xo + pa] : 0;
      const xb = pb >= 0 ? xs[xo + pb] : 0;
      const c = ek[t] * (xa - xb);
      if (pa >= 0) r[pa] -= c;
      if (pb >= 0) r[pb] += c;
    }
    let s2 = 0;
    for (let i = 0; i < f; i++) s2 += r[i] * r[i];
    return Math.sqrt(s2);
  }

  /** out = H_FF^{-1} b through the factor L (b may be out; b is zero above row `from`). */
  private solveL(f: number, b: Float64Array, out: Float64Array, from: number): void {
    const L = this.L;
    for (let i = 0; i < from; i++) out[i] = 0;
    for (let i = from; i < f; i++) {
      const ri = i * f;
      let sum = b[i];
      for (let t = from; t < i; t++) sum -= L[ri + t] * out[t];
      out[i] = sum / L[ri + i];
    }
    for (let i = f - 1; i >= 0; i--) {
      let sum = out[i];
      for (let t = i + 1; t < f; t++) sum -= L[t * f + i] * out[t];
      out[i] = sum / L[i * f + i];
    }
  }

  /**
   * x = H_FF^{-1} b (b null: e_p), refined while the relative residual is above REFINE_ABOVE and refinement helps;
   * the relative residual. Throws NumericalError above ACCEPT.
   */
  private solveRefined(f: number, b: Float64Array | null, p: number, bnorm: number): number {
    const { x, r, dx } = this;
    if (b) this.solveL(f, b, x, 0);
    else {
      dx.fill(0, 0, f);
      dx[p] = 1;
      this.solveL(f, dx, x, p);
    }
    let res = this.residual(f, b, p, x, 0) / bnorm;
    for (let it = 0; res > REFINE_ABOVE && it < MAX_REFINEMENTS; it++) {
      this.solveL(f, r, dx, 0);
      for (let i = 0; i < f; i++) dx[i] += x[i];
      const resNew = this.residual(f, b, p, dx, 0) / bnorm;
      if (!(resNew < res)) break;
      for (let i = 0; i < f; i++) x[i] = dx[i];
      res = resNew;
    }
    if (!(res <= ACCEPT)) throw new NumericalError(`ConsistencyChecker: a dense solve did not converge (relative residual ${res})`);
    return res;
  }

  /**
   * The state for the boundary values `bvals` at `bnodes`, and H_FF^{-1}, densely: H_FF assembled from the edges,
   * factorised (Cholesky), the state and every column of the inverse solved and refined to a relative residual of at
   * most 1e-12 where refinement gets there (each checked against H_FF applied edge by edge). Null when H_FF is not
   * positive definite (the sparse path then reports why). Written into the buffer that is not `keep`.
   */
  factorise(k: Float64Array, bnodes: Int32Array, bvals: Float64Array, keep: DenseGreen | null): DenseGreen | null {
    const g = this.spare(keep);
    this.layout(g, k, bnodes, bvals);
    const f = g.f;
    const { L, li, ea, eb, ek, rhs, x } = this;
    const m = this.m;
    L.fill(0, 0, f * f);
    for (let t = 0; t < m; t++) {
      const pa = ea[t];
      const pb = eb[t];
      const ke = ek[t];
      if (pa >= 0) {
        L[pa * f + pa] += ke;
        if (pb >= 0) L[pa * f + pb] -= ke;
      }
      if (pb >= 0) {
        L[pb * f + pb] += ke;
        if (pa >= 0) L[pb * f + pa] -= ke;
      }
    }
    // Cholesky, lower triangle in place
    for (let j = 0; j < f; j++) {
      const rj = j * f;
      let d = L[rj + j];
      for (let t = 0; t < j; t++) d -= L[rj + t] * L[rj + t];
      if (!(d > 0)) return null;
      const ljj = Math.sqrt(d);
      L[rj + j] = ljj;
      for (let i = j + 1; i < f; i++) {
        const ri = i * f;
        let sum = L[ri + j];
        for (let t = 0; t < j; t++) sum -= L[ri + t] * L[rj + t];
        L[ri + j] = sum / ljj;
      }
    }
    let bnorm = 0;
    for (let i = 0; i < f; i++) bnorm += rhs[i] * rhs[i];
    let maxResidual = this.solveRefined(f, rhs, 0, Math.max(Math.sqrt(bnorm), 1e-300));
    const { voltages, free, inverse } = g;
    for (let p = 0; p < f; p++) voltages[free[p]] = x[p];
    // H_FF^{-1} = L^-T L^-1: the triangular inverse, then the product, whose columns are each checked against H_FF
    // (and solved afresh, refined, where one misses the bound)
    for (let j = 0; j < f; j++) {
      li[j * f + j] = 1 / L[j * f + j];
      for (let i = j + 1; i < f; i++) {
        const ri = i * f;
        let sum = 0;
        for (let t = j; t < i; t++) sum -= L[ri + t] * li[t * f + j];
        li[ri + j] = sum / L[ri + i];
      }
    }
    for (let p = 0; p < f; p++) {
      for (let q = 0; q <= p; q++) {
        // (L^-T L^-1)[p][q] = sum_{t >= max(p, q)} li[t][p] li[t][q]
        let sum = 0;
        for (let t = p; t < f; t++) sum += li[t * f + p] * li[t * f + q];
        inverse[p * f + q] = sum;
        inverse[q * f + p] = sum;
      }
    }
    for (let p = 0; p < f; p++) {
      let res = this.residual(f, null, p, inverse, p * f);
      if (res > REFINE_ABOVE) {
        res = this.solveRefined(f, null, p, 1);
        for (let q = 0; q < f; q++) {
          inverse[p * f + q] = x[q];
          inverse[q * f + p] = x[q];
        }
      }
      if (!(res <= ACCEPT)) throw new NumericalError(`ConsistencyChecker: a dense solve did not converge (relative residual ${res})`);
      if (res > maxResidual) maxResidual = res;
    }
    g.solves = 1 + f;
    g.maxResidual = maxResidual;
    g.incremental = false;
    return g;
  }

  /**
   * The Green's functions for more imposed nodes from `old`'s (fewer imposed nodes), with the same conductances:
   * H_SS is a principal block of H_FF, so (H_SS)^{-1} = G_SS - G_ST G_TT^{-1} G_TS (the Schur complement of
   * G = H_FF^{-1}), a rank-|T| downdate costing |S|^2 |T| instead of a factorisation and inversion (T: the newly
   * imposed nodes, S: the free ones left). The state is G' b', refined with G' as the approximate inverse; the state
   * and every column are checked against H_SS edge by edge and must reach the relative residual bound (1e-12), else
   * null (the caller factorises). Written into the buffer that is not `old`.
   */
  downdate(old: DenseGreen, k: Float64Array, bnodes: Int32Array, bvals: Float64Array): DenseGreen | null {
    const N = this.N;
    const fo = old.f;
    const f = N - bnodes.length;
    const t = fo - f;
    if (t <= 0 || t > fo / 2) return null;
    // the new boundary must contain the old one: every node imposed before is imposed now
    const g = this.spare(old);
    this.layout(g, k, bnodes, bvals);
    if (g.f !== f) return null;
    const { ps, pt, A, W, rhs, x, r, dx } = this;
    const { pos, free, inverse, voltages } = g;
    let nt = 0;
    for (let i = 0; i < N; i++) {
      const o = old.pos[i];
      if (pos[i] < 0) {
        if (o >= 0) {
          if (nt === t) return null;
          pt[nt++] = o;
        }
      } else {
        if (o < 0) return null; // a node free now that was imposed before: not a downdate
        ps[pos[i]] = o;
      }
    }
    if (nt !== t) return null;
    const G = old.inverse;
    // G_TT^{-1} by a small Cholesky (G_TT is positive definite as a principal block of a positive definite matrix)
    for (let a = 0; a < t; a++) for (let b = 0; b < t; b++) A[a * t + b] = G[pt[a] * fo + pt[b]];
    for (let j = 0; j < t; j++) {
      let d = A[j * t + j];
      for (let q = 0; q < j; q++) d -= A[j * t + q] * A[j * t + q];
      if (!(d > 0)) return null;
      const l = Math.sqrt(d);
      A[j * t + j] = l;
      for (let i = j + 1; i < t; i++) {
        let sum = A[i * t + j];
        for (let q = 0; q < j; q++) sum -= A[i * t + q] * A[j * t + q];
        A[i * t + j] = sum / l;
      }
    }
    // W = G_ST L^-T (rows: S), so that G_ST G_TT^{-1} G_TS = W W^T
    for (let a = 0; a < f; a++) {
      const ra = ps[a] * fo;
      for (let j = 0; j < t; j++) {
        let sum = G[ra + pt[j]];
        for (let q = 0; q < j; q++) sum -= W[a * t + q] * A[j * t + q];
        W[a * t + j] = sum / A[j * t + j];
      }
    }
    for (let a = 0; a < f; a++) {
      const ra = ps[a] * fo;
      for (let b = 0; b <= a; b++) {
        let sum = G[ra + ps[b]];
        for (let j = 0; j < t; j++) sum -= W[a * t + j] * W[b * t + j];
        inverse[a * f + b] = sum;
        inverse[b * f + a] = sum;
      }
    }
    let maxResidual = 0;
    for (let p = 0; p < f; p++) {
      const res = this.residual(f, null, p, inverse, p * f);
      if (!(res <= REFINE_ABOVE)) return null;
      if (res > maxResidual) maxResidual = res;
    }
    // the state G' b', refined with G'
    this.apply(f, inverse, rhs, x);
    let bnorm = 0;
    for (let i = 0; i < f; i++) bnorm += rhs[i] * rhs[i];
    bnorm = Math.max(Math.sqrt(bnorm), 1e-300);
    let res = this.residual(f, rhs, 0, x, 0) / bnorm;
    for (let it = 0; res > REFINE_ABOVE && it < MAX_REFINEMENTS; it++) {
      this.apply(f, inverse, r, dx);
      for (let i = 0; i < f; i++) dx[i] += x[i];
      const resNew = this.residual(f, rhs, 0, dx, 0) / bnorm;
      if (!(resNew < res)) break;
      for (let i = 0; i < f; i++) x[i] = dx[i];
      res = resNew;
    }
    if (!(res <= REFINE_ABOVE)) return null;
    if (res > maxResidual) maxResidual = res;
    for (let p = 0; p < f; p++) voltages[free[p]] = x[p];
    g.solves = 1 + f;
    g.maxResidual = maxResidual;
    g.incremental = true;
    return g;
  }

  /** out = inverse v (f x f). */
  private apply(f: number, inverse: Float64Array, v: Float64Array, out: Float64Array): void {
    for (let a = 0; a < f; a++) {
      let sum = 0;
      for (let b = 0; b < f; b++) sum += inverse[a * f + b] * v[b];
      out[a] = sum;
    }
  }
}
