/**
 * The edge laws of a board: how an adjustable edge's setting becomes a conductance (S). This is the one
 * implementation; the host (diagnostics, pipeline, calibration) and the twin (twins/TwinBoardCore.ts) all call it.
 *
 * - Tap edges (digital potentiometers), `taper` `geometric` (the default, law `geometric`): tap t of `taps` has
 *   resistance `R(t) = rMax * (rMin / rMax)^(t / (taps - 1))` ohm; `taper` `linear` (law `linear`, protocol 1.3: a
 *   linear-taper pot such as the AD5206 used as a rheostat, in series with a fixed resistor):
 *   `R(t) = rMax - (rMax - rMin) * t / (taps - 1)` ohm. Either way tap 0 = rMax and the top tap = rMin; the
 *   conductance is `1 / R(t)` times the edge's multiplier (a calibration, or the twin's tolerance x drift).
 * - Gate edges (transistors in the Ohmic region, law `ohmic`): `k = m_e * s * (V_G - vt - (V_a + V_b)/2)` with s in
 *   S/V, V_G, vt and the node voltages in V, floored at the cut-off conductance `cutoff * s * 1 V` (default
 *   {@link DEFAULT_GATE_CUTOFF}): a transistor below threshold still leaks a little, which keeps the board's Laplacian
 *   regular, and the twin simulates exactly that floor.
 *
 * **Nominal convention** (one for every host path that turns settings into conductances without a measured state:
 * `clln train --json`, the dashboard, the board's network, the stability monitor): the gate law is evaluated with
 * every node at the middle of the ADC range ({@link referenceVoltage}) and floored at the cut-off. Why: the node
 * voltages of a board always lie within its ADC range (readings saturate there), so its middle is the centre of the
 * operating range; evaluating at 0 V (the range's bottom on the shipped boards) would bias every gate conductance up
 * by `s * V_mid`, and a floor of 0 would report a cut-off transistor as an open circuit, which neither the board nor
 * the twin is. Where node voltages are measured (the live consistency check, run snapshots), the law is evaluated at
 * them instead.
 */
import { InvalidInputError, show } from '../errors.js';
import type { TransistorElement } from './nonlinear/EdgeElement.js';

/** How a tap edge's resistance runs from rMax (tap 0) to rMin (top tap): geometric (the default) or linear in t. */
export type TapTaper = 'geometric' | 'linear';

/** Digital-potentiometer edges: `taps` positions, resistance from rMax (tap 0) to rMin (top tap), by `taper`. */
export interface TapLaw {
  kind: 'tap';
  /** Number of tap positions (>= 2). */
  taps: number;
  /** Resistance at the top tap (ohm). */
  rMin: number;
  /** Resistance at tap 0 (ohm). */
  rMax: number;
  /** How the resistance runs between them; absent = `geometric` (so laws and files written before 1.3 mean what they meant). */
  taper?: TapTaper;
}

/** Transistor edges whose gate voltage is the setting: Ohmic law with threshold vt (V) and factor s (S/V). */
export interface GateLaw {
  kind: 'gate';
  /** Transconductance factor (S/V). */
  s: number;
  /** Threshold voltage (V). */
  vt: number;
  /** Cut-off conductance as a fraction of s * 1 V (default {@link DEFAULT_GATE_CUTOFF}). */
  cutoff?: number;
}

/**
 * How settings become conductances. A board model's `edge` object (`clln.board/1`) has these fields, so it can be
 * passed as it is.
 */
export type EdgeLaw = TapLaw | GateLaw;

/** Cut-off conductance of a gate edge that is not conducting, as a fraction of s * 1 V. */
export const DEFAULT_GATE_CUTOFF = 1e-7;

/**
 * Resistance (ohm) of tap `t` (may be fractional) of a tap law: geometric `rMax (rMin/rMax)^(t/(taps-1))` or
 * linear `rMax - (rMax - rMin) t/(taps-1)`, by `taper`. The one place each taper is written.
 */
export function tapResistance(law: { taps: number; rMin: number; rMax: number; taper?: TapTaper }, t: number): number {
  const x = t / (law.taps - 1);
  return law.taper === 'linear' ? law.rMax - (law.rMax - law.rMin) * x : law.rMax * Math.pow(law.rMin / law.rMax, x);
}

/** Conductance (S) of tap `t` (may be fractional) of a tap law, multiplier 1: `1 / R(t)` ({@link tapResistance}). */
export function tapConductance(law: { taps: number; rMin: number; rMax: number; taper?: TapTaper }, t: number): number {
  return 1 / tapResistance(law, t);
}

/** The cut-off conductance (S) of a gate law: `cutoff * s * 1 V`. */
export function gateFloor(law: { s: number; cutoff?: number }): number {
  return (law.cutoff ?? DEFAULT_GATE_CUTOFF) * law.s;
}

/**
 * Conductance (S) of one gate edge: `max(floor, s * (overdrive - vm))`, where `s` is the edge's own factor (S/V,
 * multiplier included), `overdrive = V_G - vt` (V), `vm` the mean of its two node voltages (V) and `floor` the
 * cut-off conductance (S, {@link gateFloor} of the nominal law).
 */
export function ohmicConductance(s: number, overdrive: number, vm: number, floor: number): number {
  return Math.max(floor, s * (overdrive - vm));
}

/** Conductance (S) of one gate edge at gate voltage `vg` and mean node voltage `vm` (V); see {@link ohmicConductance}. */
export function gateConductance(s: number, vg: number, vt: number, vm: number, floor: number): number {
  return ohmicConductance(s, vg - vt, vm, floor);
}

/**
 * The `clln.network/1` transistor element of one gate edge, so that a gate board is solved as a nonlinear network
 * (src/physics/nonlinear, the one solver of the twin and the calibration): the Ohmic law with the edge's own factor
 * `sEdge = m_e s` (S/V, multiplier included), threshold `vt` and gate voltage `vg` (V), and the board's cut-off
 * conductance `floor` (S). Why `cutoff = floor / sEdge`: on a board the leak of a cut-off edge is the nominal law's
 * floor, the same for every edge whatever its multiplier ({@link ohmicConductance}), while an element's cutoff is a
 * fraction of its own s; the element's leak `cutoff * sEdge` is then `floor` (to rounding).
 */
export function gateEdgeElement(sEdge: number, vt: number, vg: number, floor: number): TransistorElement {
  return { kind: 'transistor', s: sEdge, vt, vg, cutoff: floor / sEdge };
}

/**
 * The node voltage (V) at which the nominal convention evaluates a gate law when no state is measured: the middle
 * of the ADC range (see the file comment for why).
 */
export function referenceVoltage(adc: { lo: number; hi: number }): number {
  return 0.5 * (adc.lo + adc.hi);
}

/** Options of {@link settingsToConductance}. */
export interface ConductanceOptions {
  /**
   * Per-edge multiplier on the nominal conductance (a calibration: tolerance and drift of each edge; for gate edges
   * it multiplies s). Default 1 for every edge.
   */
  multiplier?: ArrayLike<number>;
  /** Gate edges only: the edge list and the node voltages (V) at which the Ohmic law is evaluated. */
  edgeA?: Int32Array;
  edgeB?: Int32Array;
  voltages?: ArrayLike<number>;
  /** Write the result here (length = number of settings). */
  out?: Float64Array;
}

/**
 * Conductance (S) of every edge for its setting (tap index, or gate voltage in V). Tap settings may be fractional
 * (the geometric law interpolates); they must lie in 0..taps-1. Gate edges need the node voltages (for the nominal
 * convention, every node at {@link referenceVoltage}).
 */
export function settingsToConductance(law: EdgeLaw, settings: ArrayLike<number>, opts: ConductanceOptions = {}): Float64Array {
  const E = settings.length;
  const out = opts.out ?? new Float64Array(E);
  if (out.length !== E) throw new InvalidInputError({ field: 'out' }, `expected ${E} entries (one per edge), got ${out.length}`);
  const m = opts.multiplier;
  if (m && m.length !== E) throw new InvalidInputError({ field: 'multiplier' }, `expected ${E} entries (one per edge), got ${m.length}`);
  const mult = (e: number): number => {
    if (!m) return 1;
    const x = m[e];
    if (!(Number.isFinite(x) && x > 0)) throw new InvalidInputError({ field: `multiplier[${e}]` }, `must be a positive number, got ${show(x)}`);
    return x;
  };
  if (law.kind === 'tap') {
    checkTapLaw(law);
    const { taps } = law;
    for (let e = 0; e < E; e++) {
      const t = settings[e];
      if (!(t >= 0 && t <= taps - 1)) throw new InvalidInputError({ field: `settings[${e}]` }, `tap must be in 0..${taps - 1}, got ${show(t)}`);
      out[e] = mult(e) * tapConductance(law, t);
    }
    return out;
  }
  if (law.kind === 'gate') {
    checkGateLaw(law);
    const { s, vt } = law;
    const { edgeA, edgeB, voltages } = opts;
    if (!edgeA || !edgeB || !voltages) {
      throw new InvalidInputError({ field: 'voltages' }, 'gate edges need the edge list (edgeA, edgeB) and the node voltages', 'pass the measured node voltages');
    }
    if (edgeA.length !== E || edgeB.length !== E) throw new InvalidInputError({ field: 'edgeA' }, `expected ${E} edges, got ${edgeA.length} and ${edgeB.length}`);
    const floor = gateFloor(law);
    for (let e = 0; e < E; e++) {
      const vg = settings[e];
      if (!Number.isFinite(vg)) throw new InvalidInputError({ field: `settings[${e}]` }, `gate voltage must be a finite number, got ${show(vg)}`);
      const vm = 0.5 * (voltages[edgeA[e]] + voltages[edgeB[e]]);
      out[e] = gateConductance(mult(e) * s, vg, vt, vm, floor);
    }
    return out;
  }
  throw new InvalidInputError({ field: 'kind' }, `must be 'tap' or 'gate', got ${show((law as { kind?: unknown }).kind)}`);
}

/**
 * Conductance (S) of every edge by the nominal convention: the law at its settings, gate laws with every node at
 * `vRef` (V; {@link referenceVoltage} of the board's ADC).
 */
export function nominalConductances(law: EdgeLaw, settings: ArrayLike<number>, edgeA: Int32Array, edgeB: Int32Array, nodes: number, vRef: number): Float64Array {
  if (law.kind === 'tap') return settingsToConductance(law, settings);
  return settingsToConductance(law, settings, { edgeA, edgeB, voltages: new Float64Array(nodes).fill(vRef) });
}

/** Conductance (S) of one edge at `setting` by the nominal convention: a gate law with both ends at `vRef` (V). */
export function nominalConductance(law: EdgeLaw, setting: number, vRef: number): number {
  const one = Int32Array.of(0);
  return settingsToConductance(law, [setting], { edgeA: one, edgeB: one, voltages: [vRef] })[0];
}

function checkTapLaw(law: TapLaw): void {
  const { taps, rMin, rMax } = law;
  if (!(Number.isInteger(taps) && taps >= 2)) throw new InvalidInputError({ field: 'taps' }, `must be an integer >= 2, got ${show(taps)}`);
  if (!(rMin > 0 && rMax > rMin)) throw new InvalidInputError({ field: 'rMax' }, `need 0 < rMin < rMax, got rMin=${show(rMin)}, rMax=${show(rMax)}`);
  if (law.taper !== undefined && law.taper !== 'geometric' && law.taper !== 'linear') throw new InvalidInputError({ field: 'taper' }, `must be 'geometric' or 'linear', got ${show(law.taper)}`);
}

function checkGateLaw(law: GateLaw): void {
  if (!(law.s > 0)) throw new InvalidInputError({ field: 's' }, `must be a positive number (S/V), got ${show(law.s)}`);
  if (!Number.isFinite(law.vt)) throw new InvalidInputError({ field: 'vt' }, `must be a finite number (V), got ${show(law.vt)}`);
}
