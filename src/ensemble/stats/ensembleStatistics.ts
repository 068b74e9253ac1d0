/**
 * The statistics of an ensemble dataset (`clln ensemble stats`): success rate at a test-MSE threshold, distributions
 * of the final MSEs and of the Laplacian's extreme eigenvalues, the stiff-mode/soft-mode alignment against its null
 * model, and the ensemble-averaged boundary frequency f_e. Every mean comes with a 95 % percentile-bootstrap interval
 * (the same seeded resamples of the members for every quantity, so each resample is one resampled ensemble); the
 * proportions also with Wilson's interval. Pure and deterministic given the members and the options.
 */
import { alignmentNull, type AlignmentNull } from './alignmentNull.js';
import { finiteSorted, fiveNumbers, histogram, type Histogram } from './descriptive.js';
import { bootstrapMean, bootstrapRowMeans, DEFAULT_RESAMPLES, DEFAULT_SEED, wilson, type MeanInterval, type ProportionInterval } from './inference.js';
import { binomialUpperTail } from './special.js';
import type { MemberResult } from './types.js';

/**
 * Default success threshold on the final test MSE: 1e-4 V^2, an RMS error of 10 mV, 1 % of the 1 V span of the task
 * generators' default source voltages ([0, 1] V, src/physics/generators/linearTask.ts). Below it a member reproduces
 * its targets to about the resolution of a 10-bit converter over 1 V (1 mV LSB, a few LSB of noise), which is what
 * "learned" means on the lab's boards; an untrained network's error on such tasks is typically 1e-2 V^2 or more.
 */
export const DEFAULT_THRESHOLD = 1e-4;

export interface StatsOptions {
  /** Success: final test MSE (train MSE for a member without a test set) <= threshold, V^2. */
  threshold?: number;
  /** Why this threshold (e.g. `the spec's stop.targetMse`); default: given, or the built-in default's reason. */
  thresholdWhy?: string;
  /** Bootstrap resamples (default 10^4) and seed (default 1). */
  resamples?: number;
  seed?: number;
  /**
   * Why the members do not share one network (e.g. random graphs of one size but different edges), when the caller
   * knows: f_e is then not averaged edge by edge. Equal edge counts alone are taken as a shared edge numbering.
   */
  topologyDiffers?: string;
  /**
   * K: the number of soft modes the alignment is the largest |cos| over (runMember: min(10, diagnostics.modes, free
   * nodes)). Default 1.
   */
  alignmentModes?: number;
}

/** One quantity over the members: its mean (bootstrap interval), quartiles, extremes and histogram. */
export interface QuantitySummary {
  quantity: string;
  unit: string;
  /** Members with a finite value. */
  n: number;
  /** Members whose value is missing (null: not kept or no test set). */
  missing: number;
  /** Members whose value is NaN or infinite (left out of everything below). */
  nonFinite: number;
  mean: MeanInterval;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
  histogram: Histogram;
}

/** A null law's mean (averaged over the members' d), and with one d its median and 95th percentile. */
export interface NullSummary {
  modes: number;
  mean: number;
  median: number | null;
  p95: number | null;
}

export interface AlignmentStats {
  summary: QuantitySummary;
  /** The edge-space dimensions d of the members (distinct, ascending). */
  dimensions: number[];
  /**
   * The null model (alignmentNull.ts): a random direction against one soft mode (exact for K = 1, a lower bracket of
   * the max over K) and the max over K independent ones (F^K, the conservative bracket used for the tests below).
   */
  null: { model: string; oneMode: NullSummary; kModes: NullSummary };
  /** Mean over the members of (alignment - K-mode null mean for the member's d), with its bootstrap interval. */
  excess: MeanInterval;
  /** Members above their K-mode null's 95th percentile (at most 5 % by chance), with the one-sided binomial p-value. */
  aboveP95: ProportionInterval & { expected: number; pValue: number };
}

export interface BoundaryStats {
  /** Members with f_e. */
  members: number;
  edges: number;
  /** Per-edge ensemble mean of f_e with its 95 % bootstrap interval (resamples below). */
  mean: Float64Array;
  lo: Float64Array;
  hi: Float64Array;
  resamples: number;
  /** The edge-averaged f_e of a member, averaged over members. */
  perMember: MeanInterval;
}

export interface EnsembleStatistics {
  members: number;
  threshold: { value: number; unit: 'V^2'; isDefault: boolean; why: string };
  /** Members whose final test MSE (train MSE without a test set: `trainFallback` of them) is <= the threshold. */
  success: ProportionInterval & { bootstrap: [number, number]; trainFallback: number };
  converged: ProportionInterval & { bootstrap: [number, number] };
  steps: QuantitySummary;
  trainMse: QuantitySummary;
  testMse: QuantitySummary;
  lambdaLow: QuantitySummary;
  lambdaHigh: QuantitySummary;
  /** null when no member has an alignment (diagnostic not kept). */
  alignment: AlignmentStats | null;
  /** null with `boundarySkipped` saying why. */
  boundary: BoundaryStats | null;
  boundarySkipped: string | null;
  bootstrap: { method: 'percentile'; resamples: number; seed: number };
}

const THRESHOLD_WHY = 'the default: an RMS error of 10 mV, 1 % of the 1 V source span of the task generators';

/** Summary of one quantity; `values` may hold null (missing). */
export function summarise(quantity: string, unit: string, values: readonly (number | null)[], opts: StatsOptions = {}, linear = false): QuantitySummary {
  const present = values.filter((v): v is number => v !== null);
  const { sorted, nonFinite } = finiteSorted(present);
  const f = fiveNumbers(sorted);
  return {
    quantity,
    unit,
    n: sorted.length,
    missing: values.length - present.length,
    nonFinite,
    mean: bootstrapMean(sorted, opts),
    ...f,
    histogram: histogram(sorted, { linear }),
  };
}

/** The proportion of `flags` that are true, with Wilson's and the bootstrap interval. */
function proportion(flags: readonly boolean[], opts: StatsOptions): ProportionInterval & { bootstrap: [number, number] } {
  const k = flags.filter(Boolean).length;
  return { ...wilson(k, flags.length), bootstrap: bootstrapMean(flags.map(Number), opts).ci };
}

/** The statistics of `members` (see the file comment). */
export function ensembleStatistics(members: readonly MemberResult[], options: StatsOptions = {}): EnsembleStatistics {
  const threshold = options.threshold ?? DEFAULT_THRESHOLD;
  const opts = { resamples: options.resamples ?? DEFAULT_RESAMPLES, seed: options.seed ?? DEFAULT_SEED };
  const metric = members.map((m) => m.testMse ?? m.trainMse);
  const success = { ...proportion(metric.map((v) => v <= threshold), opts), trainFallback: members.filter((m) => m.testMse === null).length };
  return {
    members: members.length,
    threshold: { value: threshold, unit: 'V^2', isDefault: options.threshold === undefined, why: options.thresholdWhy ?? (options.threshold === undefined ? THRESHOLD_WHY : 'given') },
    success,
    converged: proportion(members.map((m) => m.converged), opts),
    steps: summarise('steps', 'count', members.map((m) => m.steps), opts),
    trainMse: summarise('final train MSE', 'V^2', members.map((m) => m.trainMse), opts),
    testMse: summarise('final test MSE', 'V^2', members.map((m) => m.testMse), opts),
    lambdaLow: summarise('lowest Laplacian eigenvalue', 'S', members.map((m) => m.lambdaLow), opts),
    lambdaHigh: summarise('highest Laplacian eigenvalue', 'S', members.map((m) => m.lambdaHigh), opts),
    alignment: alignmentStats(members, opts, options.alignmentModes ?? 1),
    ...(options.topologyDiffers !== undefined ? { boundary: null, boundarySkipped: options.topologyDiffers } : boundaryStats(members, opts)),
    bootstrap: { method: 'percentile', resamples: opts.resamples, seed: opts.seed },
  };
}

function alignmentStats(members: readonly MemberResult[], opts: StatsOptions, K: number): AlignmentStats | null {
  const withA = members.filter((m) => m.stiffAlignment !== null && Number.isFinite(m.stiffAlignment) && m.edges >= 2);
  if (withA.length === 0) return null;
  const models = new Map<string, AlignmentNull>();
  const model = (d: number, k: number): AlignmentNull => {
    let m = models.get(`${d}/${k}`);
    if (!m) models.set(`${d}/${k}`, (m = alignmentNull(d, k)));
    return m;
  };
  const dims = [...new Set(withA.map((m) => m.edges))].sort((a, b) => a - b);
  const n = withA.length;
  const nullSummary = (k: number): NullSummary => {
    const one = dims.length === 1 ? model(dims[0], k) : null;
    return { modes: k, mean: withA.reduce((s, m) => s + model(m.edges, k).mean, 0) / n, median: one ? one.quantile(0.5) : null, p95: one ? one.quantile(0.95) : null };
  };
  const excess = withA.map((m) => m.stiffAlignment! - model(m.edges, K).mean);
  const above = withA.filter((m) => m.stiffAlignment! > model(m.edges, K).quantile(0.95)).length;
  return {
    summary: summarise('stiff-mode/soft-mode alignment |cos|', 'dimensionless', members.map((m) => m.stiffAlignment), opts, true),
    dimensions: dims,
    null: {
      model: `largest |cos| of a uniformly random direction against K = ${K} soft-mode images in d = E dimensions: cos^2 ~ Beta(1/2, (d-1)/2) per mode, P(max <= x) between F(x)^K and F(x)`,
      oneMode: nullSummary(1),
      kModes: nullSummary(K),
    },
    excess: bootstrapMean(excess, opts),
    aboveP95: { ...wilson(above, n), expected: 0.05, pValue: binomialUpperTail(above, n, 0.05) },
  };
}

function boundaryStats(members: readonly MemberResult[], opts: StatsOptions): { boundary: BoundaryStats | null; boundarySkipped: string | null } {
  const rows = members.filter((m) => m.boundaryFrequency !== null).map((m) => m.boundaryFrequency!);
  if (rows.length === 0) return { boundary: null, boundarySkipped: 'no member kept the boundary frequency f_e' };
  const sizes = [...new Set(rows.map((r) => r.length))];
  if (sizes.length > 1) {
    return { boundary: null, boundarySkipped: `the members differ in edge count (${sizes.slice(0, 5).join(', ')}${sizes.length > 5 ? ', ...' : ''}): f_e cannot be averaged edge by edge` };
  }
  const r = bootstrapRowMeans(rows, opts);
  const perMember = rows.map((row) => {
    let s = 0;
    for (let e = 0; e < row.length; e++) s += row[e];
    return s / row.length;
  });
  return { boundary: { members: rows.length, edges: sizes[0], mean: r.mean, lo: r.lo, hi: r.hi, resamples: r.resamples, perMember: bootstrapMean(perMember, opts) }, boundarySkipped: null };
}
