/**
 * Which single fault best explains a voltage residual: every edge's conductance changed by a free factor, or an
 * offset on one converter channel (the ADC reading a node, or the DAC driving an imposed node).
 *
 * Each hypothesis predicts the residual r = measured - predicted as amplitude x a fixed pattern p (FaultPatterns.ts;
 * exact, not a linearisation). The amplitude is fitted by generalised least squares: residual and pattern are
 * whitened by the no-fault covariance of the residual (z = L^{-1} r, q = L^{-1} p over the checked nodes), so
 * correlated no-fault errors (a model error spreads over many nodes) are not mistaken for a fault. An edge's
 * amplitude is held to its physical range (between the open and the shorted edge). The fit leaves
 * chi2 = |z - a q|^2; the share of the residual it explains is 1 - chi2 / |z|^2. Hypotheses are ranked by chi2.
 */
import type { FaultPatterns } from './FaultPatterns.js';
import type { ResidualCovariance } from './ResidualCovariance.js';

/** An edge whose conductance changed. `factor` = k_actual / k_model (0 = open, Infinity = short). */
export interface EdgeHypothesis {
  kind: 'edge';
  edge: number;
  a: number;
  b: number;
  change: 'open' | 'short' | 'scale';
  factor: number;
  /** Fitted alpha (see GreenResponses), V per unit shape. */
  amplitude: number;
  /** Share of the whitened residual's squared norm removed by the fit, 0..1. */
  explained: number;
  /** Squared norm of the whitened residual left by the fit (about the number of checked nodes for a perfect fit). */
  chi2: number;
  /** Largest |residual| left after the fit, in units of the alarm threshold (<= 1: fully explained). */
  remaining: number;
}

/** A converter channel that is off: `offset` volts added to the reading (adc) or to the imposed voltage (dac). */
export interface ChannelHypothesis {
  kind: 'channel';
  converter: 'adc' | 'dac';
  node: number;
  offset: number;
  explained: number;
  chi2: number;
  remaining: number;
}

export type FaultHypothesis = EdgeHypothesis | ChannelHypothesis;

/** What {@link localiseFault} needs. */
export interface LocaliseInput {
  /** Voltage residual per node, measured - predicted (V); only checked nodes are read. */
  residual: Float64Array;
  /** Alarm threshold per node (V), for `remaining`. */
  threshold: Float64Array;
  /** No-fault covariance of the residual over the checked nodes (whitening). */
  covariance: ResidualCovariance;
  /** Patterns of the predicted state. */
  patterns: FaultPatterns;
  /** The imposed nodes (sources and clamps). */
  imposed: readonly number[];
  edgeA: Int32Array;
  edgeB: Int32Array;
  /** An edge factor at or below this is called 'open' (default 0.1) ... */
  openBelow?: number;
  /** ... at or above this 'short' (default 10). */
  shortAbove?: number;
}

/** Every single-fault hypothesis that would show on a checked node, with its fit, best (smallest chi2) first. */
export function localiseFault(input: LocaliseInput): FaultHypothesis[] {
  const { residual, threshold, covariance, patterns, imposed, edgeA, edgeB } = input;
  const responses = patterns.responses;
  const openBelow = input.openBelow ?? 0.1;
  const shortAbove = input.shortAbove ?? 10;
  const checked = covariance.checked;
  const z = covariance.whiten(residual);
  let zz = 0;
  for (const x of z) zz += x * x;
  const out: FaultHypothesis[] = [];

  /** Fit amplitude a in [lo, hi] to z ~ a L^{-1} p (generalised least squares). */
  const fit = (p: Float64Array, lo: number, hi: number): { a: number; chi2: number; remaining: number; explained: number } | null => {
    const q = covariance.whiten(p);
    let zq = 0;
    let qq = 0;
    for (let t = 0; t < q.length; t++) {
      zq += z[t] * q[t];
      qq += q[t] * q[t];
    }
    if (!(qq > 0)) return null; // the fault would not show on any checked node
    const a = Math.min(hi, Math.max(lo, zq / qq));
    let chi2 = 0;
    for (let t = 0; t < q.length; t++) chi2 += (z[t] - a * q[t]) ** 2;
    let worst = 0;
    for (const i of checked) worst = Math.max(worst, Math.abs(residual[i] - a * p[i]) / threshold[i]);
    return { a, chi2, remaining: worst, explained: zz > 0 ? Math.max(0, 1 - chi2 / zz) : 0 };
  };

  for (let e = 0; e < edgeA.length; e++) {
    const [lo, hi] = responses.edgeAmplitudeRange(e);
    const f = fit(patterns.edge(e), lo, hi);
    if (!f) continue;
    const factor = responses.edgeFactor(e, f.a);
    const change = factor <= openBelow ? 'open' : factor >= shortAbove ? 'short' : 'scale';
    out.push({ kind: 'edge', edge: e, a: edgeA[e], b: edgeB[e], change, factor, amplitude: f.a, explained: f.explained, chi2: f.chi2, remaining: f.remaining });
  }
  const channel = (converter: 'adc' | 'dac', node: number, p: Float64Array): void => {
    const f = fit(p, -Infinity, Infinity);
    if (f) out.push({ kind: 'channel', converter, node, offset: f.a, explained: f.explained, chi2: f.chi2, remaining: f.remaining });
  };
  const isImposed = new Set(imposed);
  for (let i = 0; i < residual.length; i++) if (isImposed.has(i) || responses.free(i)) channel('adc', i, patterns.adc(i));
  for (const j of imposed) channel('dac', j, patterns.dac(j));
  out.sort((x, y) => x.chi2 - y.chi2);
  return out;
}
