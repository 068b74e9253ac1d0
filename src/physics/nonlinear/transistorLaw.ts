/**
 * The gen-2 transistor edge: its exact law, and the gate-referenced two-terminal form the solver minimises.
 *
 * **Exact law** (what the board does, src/physics/edgeLaws.ts): with overdrive `c = V_G - V_T - (V_a + V_b)/2` (V) and
 * forward voltage `x = V_a - V_b` (V), `I = max(g_off, s c) x`, `g_off = cutoff * s * 1 V` the cut-off leak (S).
 * Written per terminal, with `q(V) = V_G - V_T - V` (the channel's overdrive at that end), the Ohmic law is
 * `I = (s/2) (q(V_b)^2 - q(V_a)^2)`. Beyond pinch-off (one end's q < 0) the Ohmic parabola turns down: the current
 * would fall as the drop grows, which no transistor does and which breaks monotonicity. `saturation: 'square'`
 * therefore clips each end at pinch-off, `I = (s/2) (q(V_b)+^2 - q(V_a)+^2) + g_off x`: the long-channel
 * (Shichman-Hodges, SPICE level-1 MOSFET with KP W/L = s, VTO = V_T, LAMBDA = 0) law. Why this model: it equals the
 * board's Ohmic law wherever that law holds (both ends below pinch-off, up to the leak), it is C^1 at pinch-off, it
 * makes the current nondecreasing in V_a and nonincreasing in V_b, and an ngspice level-1 MOSFET reproduces it exactly.
 * 'none' keeps the boards' Ohmic law everywhere (the twin's model), valid while no end passes pinch-off.
 *
 * **No co-content for the exact law.** A network of two-terminal elements is a gradient system only if each edge's
 * current depends on its drop alone: `dI/dV_a = -dI/dV_b` is the symmetry of the Kirchhoff Jacobian. Here
 * `dI/dV_a + dI/dV_b = dI/d(mean) = -s x` (Ohmic region), nonzero whenever current flows: the exact law is not a
 * gradient field, and no function of the node voltages has Kirchhoff's residual as its gradient.
 *
 * **Gate-referenced form** (what the lab's notes mean by the co-content of a transistor edge): hold the gate-to-channel
 * voltage `V_G - m_ref` fixed at a reference mean `m_ref` (V); then the edge is a two-terminal element in x alone, with
 * `c = V_G - V_T - m_ref`:
 * - 'none': `I = k x`, `k = max(g_off, s c)`, co-content `k x^2 / 2`;
 * - 'square': `I = (s/2) ((c + x/2)+^2 - (c - x/2)+^2) + g_off x`, slope `(s/2)((c + x/2)+ + (c - x/2)+) + g_off`,
 *   co-content `(s/3) ((c + x/2)+^3 + (c - x/2)+^3 - 2 c+^3) + g_off x^2 / 2`.
 * At `m_ref = (V_a + V_b)/2` it gives the exact current. The solver (NonlinearSolver.ts) minimises the convex
 * co-content of this form and moves each `m_ref` to its edge's mean until they agree; there Kirchhoff's law of the
 * exact law holds, and its residual is what the solver reports.
 */
import type { TwoTerminalLaw } from './TwoTerminalLaw.js';

export class TransistorLaw implements TwoTerminalLaw {
  /** Reference mean node voltage m_ref (V) of the gate-referenced form; the solver sets it. */
  mean = 0;
  /** V_G - V_T (V). */
  private readonly overdrive: number;
  /** Cut-off leak conductance g_off (S). */
  private readonly leak: number;

  /**
   * @param s transconductance factor (S/V, > 0)
   * @param vt threshold voltage (V)
   * @param vg gate voltage (V)
   * @param saturated true for the 'square' saturation model
   * @param cutoff leak as a fraction of s * 1 V (>= 0)
   */
  constructor(
    readonly s: number,
    readonly vt: number,
    readonly vg: number,
    readonly saturated: boolean,
    cutoff: number,
  ) {
    this.overdrive = vg - vt;
    this.leak = cutoff * s;
  }

  /** Exact current (A) from a to b at node voltages va, vb (V). */
  exactCurrent(va: number, vb: number): number {
    const x = va - vb;
    if (!this.saturated) return Math.max(this.leak, this.s * (this.overdrive - 0.5 * (va + vb))) * x;
    const qa = Math.max(0, this.overdrive - va);
    const qb = Math.max(0, this.overdrive - vb);
    return 0.5 * this.s * (qb * qb - qa * qa) + this.leak * x;
  }

  /**
   * Partial derivatives (S) of the exact current with respect to the two node voltages, `[dI/dV_a, dI/dV_b]`: the
   * edge's entries in the exact (non-symmetric) Kirchhoff Jacobian. Ohmic: `I = k x`, `k = max(g_off, s c)` with
   * `c = V_G - V_T - (V_a + V_b)/2`, so where the channel conducts (`s c > g_off`) `dI/dV_a = k - s x / 2` and
   * `dI/dV_b = -k - s x / 2`; cut off, `k` is the constant leak. Square law: `dI/dV_a = s q_a+ + g_off`,
   * `dI/dV_b = -s q_b+ - g_off`. Their sum is `dI/d(mean)`, nonzero when current flows: why no co-content exists.
   */
  exactDerivatives(va: number, vb: number): [number, number] {
    const x = va - vb;
    if (!this.saturated) {
      const on = this.s * (this.overdrive - 0.5 * (va + vb));
      if (!(on > this.leak)) return [this.leak, -this.leak];
      return [on - 0.5 * this.s * x, -on - 0.5 * this.s * x];
    }
    const qa = Math.max(0, this.overdrive - va);
    const qb = Math.max(0, this.overdrive - vb);
    return [this.s * qa + this.leak, -this.s * qb - this.leak];
  }

  /** Overdrive c = V_G - V_T - m_ref (V) of the gate-referenced form. */
  private c(): number {
    return this.overdrive - this.mean;
  }

  current(x: number): number {
    const c = this.c();
    if (!this.saturated) return Math.max(this.leak, this.s * c) * x;
    const qb = Math.max(0, c + 0.5 * x);
    const qa = Math.max(0, c - 0.5 * x);
    return 0.5 * this.s * (qb * qb - qa * qa) + this.leak * x;
  }

  slope(x: number): number {
    const c = this.c();
    if (!this.saturated) return Math.max(this.leak, this.s * c);
    return 0.5 * this.s * (Math.max(0, c + 0.5 * x) + Math.max(0, c - 0.5 * x)) + this.leak;
  }

  coContent(x: number): number {
    const c = this.c();
    if (!this.saturated) return 0.5 * Math.max(this.leak, this.s * c) * x * x;
    const qb = Math.max(0, c + 0.5 * x);
    const qa = Math.max(0, c - 0.5 * x);
    const q0 = Math.max(0, c);
    return (this.s / 3) * (qb * qb * qb + qa * qa * qa - 2 * q0 * q0 * q0) + 0.5 * this.leak * x * x;
  }
}
