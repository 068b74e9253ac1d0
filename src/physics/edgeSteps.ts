/**
 * The learning-step laws of board edges: how one coupled-learning step moves an edge's setting, given the edge's
 * contrast `d = (dV_F)^2 - (dV_C)^2` (V^2; free drop squared minus clamped drop squared). The one implementation,
 * used by the physics TapRule, the host-stepped board step (src/pipeline/stepOnBoard.ts) and the twin's own STEP
 * (twins/TwinBoardCore.ts).
 */

/** The contrast `(dV_F)^2 - (dV_C)^2` (V^2) of the edge from `a` to `b`, given free and clamped node voltages (V). */
export function edgeContrast(vf: ArrayLike<number>, vc: ArrayLike<number>, a: number, b: number): number {
  const dF = vf[b] - vf[a];
  const dC = vc[b] - vc[a];
  return dF * dF - dC * dC;
}

/**
 * Tap step (digital potentiometers, Dillavou et al. 2022): one tap up when `d > 0` (the free drop exceeds the clamped
 * one: more conductance), one down when `d < 0`, none when equal (or not a number); clipped to 0..top.
 */
export function tapStep(tap: number, d: number, top: number): number {
  const t = tap + (d > 0 ? 1 : d < 0 ? -1 : 0);
  return t < 0 ? 0 : t > top ? top : t;
}

/**
 * Gate step (transistor edges): the gate voltage moves by `amp * d` volts (amp in V/V^2), that change limited to
 * `±maxStep` (V; the board's `gstep`), then the result to the gate range [lo, hi] (V). `scale` (default 1) multiplies
 * the change before the limit: a calibrated host's per-edge correction of amp. Not rounded: a board holds the result
 * to the wire's 1 uV (the twin applies `wireNumber`).
 */
export function gateStep(vg: number, d: number, amp: number, maxStep: number, lo: number, hi: number, scale = 1): number {
  const change = Math.min(maxStep, Math.max(-maxStep, amp * d * scale));
  return Math.min(hi, Math.max(lo, vg + change));
}
