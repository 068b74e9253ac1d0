/**
 * The two-terminal element of one edge of a nonlinear network (`clln.network/1` field `elements`, one entry per
 * edge; `null` there, or no `elements` at all, is a linear resistor of the edge's `conductance`).
 *
 * Orientation: an edge e = (a_e, b_e) carries the current `I_e` from a_e to b_e (amperes) as a function of the
 * forward voltage `x_e = V[a_e] - V[b_e]` (volts; the network's drop `dV_e = V[b_e] - V[a_e]` is `-x_e`). A diode
 * conducts from its anode a_e to its cathode b_e. Units are SI throughout: S, V, A, ohm.
 */

/** A linear resistor of conductance `k` (S): `I = k x`. */
export interface ResistorElement {
  kind: 'resistor';
  /** Conductance in siemens, > 0. */
  k: number;
}

/**
 * A Shockley diode, anode a_e, cathode b_e: `I = is (exp(v_j / (n V_T)) - 1)` at junction voltage v_j, with an
 * optional series resistance: `x = v_j + rs I`. `V_T` is the thermal voltage at {@link DIODE_TEMPERATURE}.
 */
export interface DiodeElement {
  kind: 'diode';
  /** Saturation current in amperes, > 0 (silicon small-signal diodes: about 1e-14 .. 1e-8 A). */
  is: number;
  /** Ideality factor (dimensionless), 0.5 .. 10 (1 .. 2 for real junctions). */
  n: number;
  /** Series resistance in ohm, >= 0 (0 or absent: none). */
  rs?: number;
}

/**
 * A gen-2 board transistor edge whose gate voltage `vg` (V) is the learning degree of freedom. Ohmic law
 * (src/physics/edgeLaws.ts): `I = k (V_a - V_b)` with `k = s (vg - vt - (V_a + V_b)/2)`, floored at the cut-off
 * conductance `cutoff * s * 1 V`. `saturation: 'square'` continues the law beyond pinch-off by the long-channel
 * (Shichman-Hodges, SPICE level 1) square law; see transistor.ts for why, and for the co-content question.
 */
export interface TransistorElement {
  kind: 'transistor';
  /** Transconductance factor s in S/V, > 0. */
  s: number;
  /** Threshold voltage V_T in volts. */
  vt: number;
  /** Gate voltage V_G in volts (the learning parameter). */
  vg: number;
  /** 'none' (default): the Ohmic law at every drop; 'square': saturation beyond pinch-off. */
  saturation?: 'none' | 'square';
  /** Cut-off (leak) conductance as a fraction of s * 1 V, >= 0; default DEFAULT_GATE_CUTOFF (1e-7) as the boards. */
  cutoff?: number;
}

/**
 * A measured monotone I(V) curve by points: forward voltages `v` (V, strictly increasing) and currents `i` (A,
 * strictly increasing). Piecewise linear between the points, continued linearly beyond the ends by the end segments.
 */
export interface TableElement {
  kind: 'table';
  v: number[];
  i: number[];
}

/** One edge's element. */
export type EdgeElement = ResistorElement | DiodeElement | TransistorElement | TableElement;

/** Temperature (K) at which a diode's thermal voltage is taken: 300 K (26.85 degrees C). */
export const DIODE_TEMPERATURE = 300;

/** Thermal voltage k_B T / q at {@link DIODE_TEMPERATURE}, in volts (CODATA 2018 exact k_B and q): 0.025852 V. */
export const THERMAL_VOLTAGE = (1.380649e-23 * DIODE_TEMPERATURE) / 1.602176634e-19;
