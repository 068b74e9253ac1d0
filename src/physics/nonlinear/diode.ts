/**
 * The Shockley diode with optional series resistance as a {@link TwoTerminalLaw}.
 *
 * Junction: `I_j(v) = is (exp(v / (n V_T)) - 1)` (A), co-content `C_j(v) = is (n V_T expm1(v / (n V_T)) - v)` (W).
 * Above `v_max = JUNCTION_ARG_MAX * n V_T` the exponential is continued by its tangent (current, slope and co-content
 * stay finite and C^1). Why: a Newton iterate far from the solution (a start with nodes at +-100 V) would otherwise
 * overflow to Infinity; the tangent changes the law only above is * e^80 ~ 5e22 A for is = 1e-12 A, where no real
 * state lies.
 *
 * With series resistance rs (ohm): `x = v_j + rs I_j(v_j)`. For a forward voltage x the junction voltage is the root
 * of `h(v) = v + rs I_j(v) - x`, convex and increasing in v, found by Newton from a point where h >= 0 (then Newton on
 * a convex increasing function decreases monotonically to the root, so it needs no safeguard). The slope is
 * `g_j / (1 + rs g_j)` (series conductances) and the co-content, by two Legendre transforms of the inverse law
 * `x(I) = rs I + v_j(I)`, is `rs I^2 / 2 + C_j(v_j)`.
 */
import type { TwoTerminalLaw } from './TwoTerminalLaw.js';

/** Exponent above which the junction law is continued by its tangent (dimensionless, v / (n V_T)). */
export const JUNCTION_ARG_MAX = 80;
/** Newton iterations for the junction voltage of a diode with series resistance (far above what converges: ~85 from v_max). */
const MAX_JUNCTION_ITERATIONS = 200;

export class DiodeLaw implements TwoTerminalLaw {
  /** n V_T in volts. */
  private readonly nvt: number;
  /** Junction voltage (V) above which the tangent continues the exponential. */
  private readonly vmax: number;
  /** I_j, slope and co-content at vmax (A, S, W). */
  private readonly imax: number;
  private readonly gmax: number;
  private readonly cmax: number;
  /** Cache of the last forward voltage solved for (rs > 0): x (V) -> junction voltage (V). */
  private lastX = NaN;
  private lastVj = 0;

  /**
   * @param is saturation current (A, > 0)
   * @param n ideality factor (> 0)
   * @param rs series resistance (ohm, >= 0)
   * @param thermalVoltage V_T in volts
   */
  constructor(
    readonly is: number,
    readonly n: number,
    readonly rs: number,
    thermalVoltage: number,
  ) {
    this.nvt = n * thermalVoltage;
    this.vmax = JUNCTION_ARG_MAX * this.nvt;
    const e = Math.exp(JUNCTION_ARG_MAX);
    this.imax = is * (e - 1);
    this.gmax = (is / this.nvt) * e;
    this.cmax = is * (this.nvt * (e - 1) - this.vmax);
  }

  /** Junction current (A) at junction voltage v (V). */
  junctionCurrent(v: number): number {
    if (v > this.vmax) return this.imax + this.gmax * (v - this.vmax);
    return this.is * Math.expm1(v / this.nvt);
  }

  /** Junction differential conductance (S) at v (V). */
  junctionSlope(v: number): number {
    if (v > this.vmax) return this.gmax;
    return (this.is / this.nvt) * Math.exp(v / this.nvt);
  }

  /** Junction co-content integral_0^v I_j (W). */
  junctionCoContent(v: number): number {
    if (v > this.vmax) {
      const d = v - this.vmax;
      return this.cmax + this.imax * d + 0.5 * this.gmax * d * d;
    }
    return this.is * (this.nvt * Math.expm1(v / this.nvt) - v);
  }

  /** Junction voltage (V) at forward voltage x (V): x itself without series resistance. */
  junctionVoltage(x: number): number {
    if (this.rs === 0) return x;
    if (x === this.lastX) return this.lastVj;
    const rs = this.rs;
    const h = (v: number): number => v + rs * this.junctionCurrent(v) - x;
    // A start with h >= 0: for x < 0 the root lies in (x, 0) and h(0) = -x > 0; for x >= 0, I <= x / rs bounds the
    // junction voltage by n V_T ln(1 + x / (rs is)) (h >= 0 there while that is below vmax), and h(x) = rs I_j(x) >= 0.
    let v: number;
    if (x < 0) v = 0;
    else {
      v = Math.min(x, this.nvt * Math.log1p(x / (rs * this.is)));
      if (h(v) < 0) v = x;
    }
    for (let it = 0; it < MAX_JUNCTION_ITERATIONS; it++) {
      const step = h(v) / (1 + rs * this.junctionSlope(v));
      v -= step;
      if (!(Math.abs(step) > 1e-15 * (Math.abs(v) + this.nvt))) break;
    }
    this.lastX = x;
    this.lastVj = v;
    return v;
  }

  current(x: number): number {
    return this.junctionCurrent(this.junctionVoltage(x));
  }

  slope(x: number): number {
    const g = this.junctionSlope(this.junctionVoltage(x));
    return g / (1 + this.rs * g);
  }

  coContent(x: number): number {
    const v = this.junctionVoltage(x);
    const i = this.junctionCurrent(v);
    return 0.5 * this.rs * i * i + this.junctionCoContent(v);
  }
}
