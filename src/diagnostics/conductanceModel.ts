/**
 * Edge conductance (S) predicted from a board's edge settings: the host's own model of the board's adjustable
 * edges, from plain parameters (diagnostics depend on physics only, never on twins). A calibration (issue 5) refines
 * it by a per-edge multiplier.
 *
 * - Tap edges (digital potentiometers): tap t has resistance `rMax * (rMin / rMax)^(t / (taps - 1))`: tap 0 = rMax,
 *   the top tap = rMin, geometric in between; the conductance is 1/R times the edge's multiplier.
 * - Gate edges (transistors in the Ohmic region): `k = m_e * s * (V_G - vt - (V_a + V_b)/2)`, floored at
 *   `cutoff * s * 1 V` when not above it. The law depends on the node voltages, so the caller passes them (the
 *   measured ones, for a consistency check: the prediction is then the linearisation at the measured state).
 */
import { InvalidInputError, show } from '../errors.js';

/** Digital-potentiometer edges: `taps` positions, resistance geometric from rMax (tap 0) to rMin (top tap). */
export interface TapConductanceModel {
  kind: 'tap';
  taps: number;
  /** Resistance at the top tap (ohm). */
  rMin: number;
  /** Resistance at tap 0 (ohm). */
  rMax: number;
}

/** Transistor edges whose gate voltage is the setting: Ohmic law with threshold vt (V) and factor s (S/V). */
export interface GateConductanceModel {
  kind: 'gate';
  s: number;
  vt: number;
  /** Cut-off conductance as a fraction of s * 1 V (default {@link DEFAULT_GATE_CUTOFF}). */
  cutoff?: number;
}

/**
 * How settings become conductances. A board model's `edge` object (`clln.board/1`) has these fields, so it can be
 * passed as it is.
 */
export type ConductanceModel = TapConductanceModel | GateConductanceModel;

/** Cut-off conductance of a gate edge that is not conducting, as a fraction of s * 1 V. */
export const DEFAULT_GATE_CUTOFF = 1e-7;

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
 * (the geometric law interpolates); they must lie in 0..taps-1.
 */
export function settingsToConductance(model: ConductanceModel, settings: ArrayLike<number>, opts: ConductanceOptions = {}): Float64Array {
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
  if (model.kind === 'tap') {
    const { taps, rMin, rMax } = model;
    if (!(Number.isInteger(taps) && taps >= 2)) throw new InvalidInputError({ field: 'taps' }, `must be an integer >= 2, got ${show(taps)}`);
    if (!(rMin > 0 && rMax > rMin)) throw new InvalidInputError({ field: 'rMax' }, `need 0 < rMin < rMax, got rMin=${show(rMin)}, rMax=${show(rMax)}`);
    const logRatio = Math.log(rMin / rMax);
    for (let e = 0; e < E; e++) {
      const t = settings[e];
      if (!(t >= 0 && t <= taps - 1)) throw new InvalidInputError({ field: `settings[${e}]` }, `tap must be in 0..${taps - 1}, got ${show(t)}`);
      out[e] = mult(e) / (rMax * Math.exp(logRatio * (t / (taps - 1))));
    }
    return out;
  }
  if (model.kind === 'gate') {
    const { s, vt } = model;
    if (!(s > 0)) throw new InvalidInputError({ field: 's' }, `must be a positive number (S/V), got ${show(s)}`);
    if (!Number.isFinite(vt)) throw new InvalidInputError({ field: 'vt' }, `must be a finite number (V), got ${show(vt)}`);
    const { edgeA, edgeB, voltages } = opts;
    if (!edgeA || !edgeB || !voltages) {
      throw new InvalidInputError({ field: 'voltages' }, 'gate edges need the edge list (edgeA, edgeB) and the node voltages', 'pass the measured node voltages');
    }
    if (edgeA.length !== E || edgeB.length !== E) throw new InvalidInputError({ field: 'edgeA' }, `expected ${E} edges, got ${edgeA.length} and ${edgeB.length}`);
    const floor = (model.cutoff ?? DEFAULT_GATE_CUTOFF) * s;
    for (let e = 0; e < E; e++) {
      const vg = settings[e];
      if (!Number.isFinite(vg)) throw new InvalidInputError({ field: `settings[${e}]` }, `gate voltage must be a finite number, got ${show(vg)}`);
      const vm = 0.5 * (voltages[edgeA[e]] + voltages[edgeB[e]]);
      out[e] = Math.max(floor, mult(e) * s * (vg - vt - vm));
    }
    return out;
  }
  throw new InvalidInputError({ field: 'kind' }, `must be 'tap' or 'gate', got ${show((model as { kind?: unknown }).kind)}`);
}
