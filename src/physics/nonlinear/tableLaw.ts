/**
 * A measured I(V) curve as a {@link TwoTerminalLaw}: points (v_k, i_k), v strictly increasing (V), i strictly
 * increasing (A), interpolated piecewise linearly and continued beyond the first and last point by the first and last
 * segment. Why piecewise linear: it keeps any monotone data monotone (a cubic can overshoot between points unless
 * limited), its co-content is exact (piecewise quadratic), and it makes no claim between measured points that the
 * data do not make. Why strictly increasing currents: every segment then has a positive slope, so the co-content is
 * strictly convex and grows without bound, and the solution exists and is unique; a measured flat stretch must be
 * given a small positive slope.
 */
import type { TwoTerminalLaw } from './TwoTerminalLaw.js';

export class TableLaw implements TwoTerminalLaw {
  private readonly v: Float64Array;
  private readonly i: Float64Array;
  /** Slope of segment k (between points k and k+1), S. */
  private readonly g: Float64Array;
  /** integral_{v_0}^{v_k} I dv (W) at each point. */
  private readonly area: Float64Array;
  /** integral_{v_0}^{0} I dv (W): the co-content is measured from x = 0. */
  private readonly areaAtZero: number;

  constructor(v: ArrayLike<number>, i: ArrayLike<number>) {
    const m = v.length;
    if (m < 2 || i.length !== m) throw new RangeError('a table needs at least 2 points and one current per voltage');
    this.v = Float64Array.from(v);
    this.i = Float64Array.from(i);
    this.g = new Float64Array(m - 1);
    this.area = new Float64Array(m);
    for (let k = 0; k + 1 < m; k++) {
      const dv = this.v[k + 1] - this.v[k];
      if (!(dv > 0) || !(this.i[k + 1] > this.i[k])) throw new RangeError('table voltages and currents must be strictly increasing');
      this.g[k] = (this.i[k + 1] - this.i[k]) / dv;
      this.area[k + 1] = this.area[k] + 0.5 * (this.i[k] + this.i[k + 1]) * dv;
    }
    this.areaAtZero = this.areaTo(0);
  }

  /** The segment whose linear law applies at x: 0 below v_1, m-2 above v_{m-2}, else the k with v_k <= x < v_{k+1}. */
  private segment(x: number): number {
    const v = this.v;
    let lo = 0;
    let hi = v.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (v[mid] <= x) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** integral_{v_0}^{x} I dv (W), with the end segments continued. */
  private areaTo(x: number): number {
    const k = this.segment(x);
    const d = x - this.v[k];
    return this.area[k] + this.i[k] * d + 0.5 * this.g[k] * d * d;
  }

  current(x: number): number {
    const k = this.segment(x);
    return this.i[k] + this.g[k] * (x - this.v[k]);
  }

  slope(x: number): number {
    return this.g[this.segment(x)];
  }

  coContent(x: number): number {
    return this.areaTo(x) - this.areaAtZero;
  }
}
