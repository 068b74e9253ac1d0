/**
 * The data of a calibration: the plan (what to apply), the raw measurements (what was read) and the record
 * (`clln.calibration/1`, what was fitted). Plain JSON-able types; the formats are documented in calibration/README.md.
 *
 * Measurement model the fit inverts (all voltages in volts, conductances in siemens):
 * - ADC channel of node i: reading `r_i = gain_i * V_i + offset_i` (+ noise, quantisation).
 * - DAC channel (drive or clamp) of node j: imposed voltage `V_j = gain_j * c_j + offset_j` for the commanded `c_j`.
 *   Drive and clamp are separate channels (PROTOCOL.md SRC and CLAMP).
 * - Tap edges: conductance of edge e at tap t, `k_e(t) = 1 / (rMax_e * (rMin_e / rMax_e)^(t / (taps - 1)))` (the
 *   geometric law of the board model, with per-edge end resistances), or for a linear taper (protocol 1.3
 *   `law=linear`) `k_e(t) = 1 / (rMax_e - (rMax_e - rMin_e) t / (taps - 1))`.
 * - Gate edges: `k_e = s_e * (V_G - vt_e - (V_a + V_b) / 2)`, floored at a tiny cut-off (per-edge s and V_T).
 * - Kirchhoff's current law at every node that is neither driven nor clamped.
 */

import type { TapTaper } from '../physics/edgeLaws.js';

/** Format tag of a calibration plan file. */
export const PLAN_FORMAT = 'clln.calibration-plan/1';
/** Format tag of a calibration record file. */
export const RECORD_FORMAT = 'clln.calibration/1';

/**
 * How the voltage scale and zero are fixed. Voltages measured by the board determine the converters only up to one
 * common affine map (V -> lambda V + mu leaves every reading and Kirchhoff's law unchanged), so something external
 * must fix it:
 * - `'adc-mean'` (default): the ADC channels are right on average: mean gain 1, mean offset 0 over all channels.
 * - `{ adc: [...] }`: these ADC channels have the given gain and offset (e.g. checked with a voltmeter).
 */
export type VoltageReference = 'adc-mean' | { adc: { node: number; gain: number; offset: number }[] };

/**
 * How the conductance scale is fixed. Kirchhoff's law is homogeneous in the conductances, so voltages determine them
 * only up to one common factor:
 * - `'nominal-mean'` (default): the geometric mean of the fitted conductances over the visited (edge, setting) pairs
 *   equals that of the board model's nominal law (tap boards), or the geometric mean of s_e equals the model's s
 *   (gate boards).
 * - a list of external measurements (e.g. an ohmmeter across one edge): tap boards `{edge, setting, siemens}`, the
 *   conductance of `edge` at tap `setting`; gate boards `{edge, s}`, the edge's transconductance factor (S/V).
 */
export type ConductanceReference =
  | 'nominal-mean'
  | ({ edge: number; setting: number; siemens: number } | { edge: number; s: number })[];

/** A source pattern: which nodes are driven and clamped at which commanded voltages (node -> V, as pairs). */
export interface CalibrationPattern {
  /** Driven nodes: [node, volts] pairs. */
  drive: [number, number][];
  /** Clamped nodes: [node, volts] pairs (disjoint from the driven nodes). */
  clamp: [number, number][];
}

/** Random patterns, generated from a seed (see generatePatterns in planFile.ts). */
export interface RandomPatterns {
  kind: 'random';
  /** Patterns per edge configuration. */
  count: number;
  /** Seed of the generator. */
  seed: number;
  /** How many nodes are driven in each pattern: [min, max] (default [2, 4]). */
  drive?: [number, number];
  /** How many nodes are clamped in each pattern: [min, max] (default [0, 2]). */
  clamp?: [number, number];
  /** Commanded voltages are drawn uniformly from this fraction of the DAC range: [lo, hi] (default [0.1, 0.9]). */
  range?: [number, number];
}

/**
 * Edge configurations to visit. `levels`: the settings (taps, or gate volts) the edges are set to. Each level is
 * visited with every edge at that level (uniform), and `mixed` further configurations assign each edge a random
 * level (seeded), which ties the levels' scales together (uniform configurations alone determine each level's
 * conductances only up to a factor of their own).
 */
export interface SettingsSweep {
  levels: number[];
  /** Number of mixed configurations (default 3). */
  mixed?: number;
  /** Seed of the mixed configurations (default 1). */
  seed?: number;
}

/** A calibration plan (`clln.calibration-plan/1`): which configurations and patterns to apply, and how to read. */
export interface CalibrationPlan {
  format?: 'clln.calibration-plan/1';
  /** Board model the plan is written for (checked against the board's identity). */
  board: string;
  /** Free text. */
  description?: string;
  /** ADC samples averaged per measurement (1..1024). Default 64. */
  samples?: number;
  /** Edge configurations: a sweep, or an explicit list of settings vectors (one setting per edge). */
  settings: SettingsSweep | { configurations: number[][] };
  /** Source patterns applied in every configuration: random, or an explicit list. */
  patterns: RandomPatterns | { list: CalibrationPattern[] };
  /** Gauge fixing; default `{voltage: 'adc-mean', conductance: 'nominal-mean'}`. */
  reference?: { voltage?: VoltageReference; conductance?: ConductanceReference };
}

/** A plan expanded into what is applied: every configuration's settings and every pattern, all defaults filled in. */
export interface ExpandedPlan {
  board: string;
  samples: number;
  configurations: Float64Array[];
  patterns: CalibrationPattern[];
  reference: { voltage: VoltageReference; conductance: ConductanceReference };
}

/** One measurement: the edge settings, the commanded drive and clamp voltages, and the readings of every node. */
export interface CalibrationMeasurement {
  /** Index into the configurations. */
  configuration: number;
  /** Index into the patterns. */
  pattern: number;
  drive: [number, number][];
  clamp: [number, number][];
  /** Node readings (V), one per node. */
  readings: number[];
}

/** What acquisition produced: the expanded plan's configurations and every measurement. */
export interface CalibrationData {
  configurations: number[][];
  measurements: CalibrationMeasurement[];
  samples: number;
}

/** Per-channel gain and offset with their standard errors; null where the channel was not fitted (not used). */
export interface ChannelFit {
  gain: (number | null)[];
  offset: (number | null)[];
  gainStd: (number | null)[];
  offsetStd: (number | null)[];
}

/** A fitted point of a tap edge's curve: its conductance at one visited tap, with the standard error. */
export interface CurvePoint {
  setting: number;
  conductance: number;
  /** Relative standard error of `conductance`. */
  relStd: number;
}

/** Fitted tap edges: per-edge law (geometric, or linear by `taper`), and the fitted points it was drawn through. */
export interface TapEdgesFit {
  kind: 'tap';
  taps: number;
  /** The law's taper: absent = `geometric` (records written before protocol 1.3), or `linear`. */
  taper?: TapTaper;
  /** Per edge: resistance at tap 0 (ohm). */
  rMax: number[];
  /** Per edge: resistance at the top tap (ohm). */
  rMin: number[];
  /** Per edge: the visited taps' fitted conductances. */
  points: CurvePoint[][];
  /** Per edge: largest relative deviation of a fitted point from the law (how well the per-edge law holds). */
  lawDeviation: number[];
}

/** Fitted gate edges: per-edge transconductance factor and threshold, with standard errors. */
export interface GateEdgesFit {
  kind: 'gate';
  /** Per edge: s_e (S/V). */
  s: number[];
  /** Per edge: V_T (V). */
  vt: number[];
  sRelStd: number[];
  vtStd: number[];
}

/** How well the fit went. */
export interface FitSummary {
  converged: boolean;
  /** Why the iterations stopped (e.g. 'relative step below tolerance', 'max iterations'). */
  reason: string;
  iterations: number;
  /** Readings residual: rms and largest |measured - predicted| (V), and chi2 per degree of freedom. */
  residual: { rms: number; max: number; chi2PerDof: number; dof: number };
  /** The standard deviation of one reading assumed by the fit (V). */
  readingSigma: number;
  /** Readings left out because they were within the rail margin of an ADC rail (clipped). */
  excludedReadings: number;
}

/** A parameter group that the plan does not determine, and what would. */
export interface Undetermined {
  /** The parameters taking part (e.g. `adc.gain[3]`, `edge[5]@tap 70`, `dac.clamp.offset[2]`). */
  parameters: string[];
  /** Why: 'not used' (no measurement depends on it) or 'degenerate' (measurements depend on it only in combination). */
  why: 'not used' | 'degenerate';
  /** Patterns that would determine it (descriptions), best first; empty when none could (a gauge). */
  suggestions: string[];
}

/** Which parameters the plan determines. */
export interface IdentifiabilityReport {
  parameters: number;
  /** Numerical rank of the weighted Jacobian (without the reference rows). */
  rank: number;
  /** Directions fixed only by the reference (always present: the voltage scale and zero, the conductance scale). */
  gauges: string[];
  undetermined: Undetermined[];
}

/** The calibration record (`clln.calibration/1`). */
export interface CalibrationRecord {
  format: 'clln.calibration/1';
  /** Unique id of this calibration (a UUID). */
  id: string;
  /** When it was measured (ISO 8601). */
  created: string;
  /** The board: identity fields that must match when the record is used. */
  board: {
    model: string;
    uid: string;
    firmware: string;
    protocol: number;
    nodes: number;
    edges: [number, number][];
    adc: { bits: number; lo: number; hi: number };
    dac: { lo: number; hi: number };
    edge: { kind: 'tap'; taps: number } | { kind: 'gate'; lo: number; hi: number };
  };
  /** The plan as given (before expansion). */
  plan: CalibrationPlan;
  adc: ChannelFit;
  dac: { drive: ChannelFit; clamp: ChannelFit };
  edges: TapEdgesFit | GateEdgesFit;
  fit: FitSummary;
  identifiability: IdentifiabilityReport;
  /** The raw measurements (for refitting and audit). */
  data?: CalibrationData;
}
