/**
 * What the solver needs of a monotone two-terminal element: its current, its differential conductance and its
 * co-content, each a function of the forward voltage `x = V_a - V_b` (V) alone. Monotone (slope >= 0) means the
 * co-content is convex, so Kirchhoff's law is the minimum of their sum (see NonlinearSolver.ts).
 */
export interface TwoTerminalLaw {
  /** Current from a to b in amperes at forward voltage `x` (V); nondecreasing in x. */
  current(x: number): number;
  /** Differential conductance dI/dx in siemens at `x` (>= 0). */
  slope(x: number): number;
  /** Co-content integral_0^x I(v) dv in watts (V A) at `x`; convex, 0 at x = 0 when I(0) = 0. */
  coContent(x: number): number;
}

/** A linear resistor: I = k x, slope k, co-content k x^2 / 2. */
export class ResistorLaw implements TwoTerminalLaw {
  constructor(readonly k: number) {}
  current(x: number): number {
    return this.k * x;
  }
  slope(): number {
    return this.k;
  }
  coContent(x: number): number {
    return 0.5 * this.k * x * x;
  }
}
