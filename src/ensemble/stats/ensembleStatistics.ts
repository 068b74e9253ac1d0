/**
 * The statistics of an ensemble dataset (`clln ensemble stats`): success rate at a test-MSE threshold, distributions
 * of the final MSEs and of the Laplacian's extreme eigenvalues, the stiff-mode/soft-mode alignment against its null
 * model, and the ensemble-averaged boundary frequency f_e. Every mean comes with a 95 % percentile-bootstrap interval
 * (the same seeded resamples of the members for every quantity, so each resample is one resampled ensemble); the
 * proportions also with Wilson's interval. Pure and deterministic given the members and the options.
 *
 * Streamed: an {@link EnsembleAccumulator} takes the members one at a time (finished or failed) and keeps only what
 * the statistics need: a few scalars per member, and for f_e the per-edge sums of the bootstrap's resamples
 * (RowMeanBootstrap), never the members' arrays; so `clln ensemble stats` on 1000 members of 64 x 64 nodes holds
 * one member's file at a time. {@link ensembleStatistics} is the same over an array.
 *
 * Failed members (their computation threw; no results) count in the success rate's denominator as unsuccessful, and
 * in the converged fraction as not converged: the rates are of the ensemble as specified, so that a kind of network
 * that often cannot be trained does not look better for it (leaving them out would be survivorship bias). The rate
 * among the finished members is reported beside it. Every distribution is over the finished members.
 */
import { alignmentNull, type AlignmentNull } from './alignmentNull.js';
import { finiteSorted, fiveNumbers, histogram, type Histogram } from './descriptive.js';
import { bootstrapMean, DEFAULT_RESAMPLES, DEFAULT_SEED, RowMeanBootstrap, wilson, type MeanInterval, type ProportionInterval } from './inference.js';
import { binomialUpperTail } from './special.js';
import type { FailedMember, MemberResult } from './types.js';

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

/** The failed members: how many, and the first few (index and error, clipped): bounded whatever their number. */
export interface FailedSummary {
  count: number;
  /** The first {@link MAX_FAILED_SHOWN} failed members in index order, each error clipped to {@link MAX_FAILED_ERROR} characters. */
  first: { index: number; error: string }[];
  /** Distinct error texts among all failed members (counted up to {@link MAX_DISTINCT_ERRORS}; more: that number, and `distinctCapped`). */
  distinctErrors: number;
  distinctCapped: boolean;
}

export const MAX_FAILED_SHOWN = 5;
export const MAX_FAILED_ERROR = 200;
export const MAX_DISTINCT_ERRORS = 1000;

export interface EnsembleStatistics {
  /** Finished members: the ones every distribution is over. */
  members: number;
  /** Every member of the dataset, finished or failed (members + failed.count): the denominator of the rates. */
  total: number;
  failed: FailedSummary;
  threshold: { value: number; unit: string; isDefault: boolean; why: string };
  /** The kind's names and units. */
  units: StatsUnits;
  /**
   * Members whose final test MSE (train MSE without a test set: `trainFallback` of them) is <= the threshold, over
   * every member (`n` = total; a failed member is unsuccessful); `finished`: the same over the finished members only.
   */
  success: ProportionInterval & { bootstrap: [number, number]; trainFallback: number; denominator: string; finished: ProportionInterval };
  /** Members that reached the spec's target MSE, over every member (a failed member did not). */
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
  /** Spring ensembles: per direction, the measures of issue 17 point 5; null for resistor ensembles. */
  springs: SpringStats | null;
  bootstrap: { method: 'percentile'; resamples: number; seed: number };
}

type SpringQuantity = 'targetStrain' | 'projection' | 'energyTarget' | 'energyAfterSource' | 'tStar';
const SPRING_QUANTITIES: Record<SpringQuantity, { name: string; unit: string }> = {
  targetStrain: { name: 'target strain achieved', unit: 'dimensionless' },
  projection: { name: 'projection |<u, psi_1>| / |u| of the free state on the softest mode', unit: 'dimensionless' },
  energyTarget: { name: 'E_B, energy to strain the target alone (to Delta)', unit: 'energy' },
  energyAfterSource: { name: 'E_AB - E_A, energy to strain the target once the source is strained', unit: 'energy' },
  tStar: { name: 'harmonic crossover temperature T*', unit: 'energy' },
};

/** One direction's spring measures over the finished members. */
export interface SpringDirectionStats {
  targetStrain: QuantitySummary;
  projection: QuantitySummary;
  energyTarget: QuantitySummary;
  energyAfterSource: QuantitySummary;
  tStar: QuantitySummary;
}

/** A -> B, and B -> A (null unless cooperative), over every finished member and over the successful ones. */
export interface SpringStats {
  ab: SpringDirectionStats;
  ba: SpringDirectionStats | null;
  /**
   * The same over the successful members only (final error <= the threshold): the trained networks, which are what a
   * claim about what training makes is about; a member that did not learn its task says nothing of it. `ab` is null
   * when no member succeeded.
   */
  successful: { members: number; ab: SpringDirectionStats | null; ba: SpringDirectionStats | null };
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

/** What the statistics keep of a finished member: its scalars (the arrays are consumed as the member arrives). */
export type MemberScalars = Pick<MemberResult, 'index' | 'steps' | 'converged' | 'trainMse' | 'testMse' | 'lambdaLow' | 'lambdaHigh' | 'stiffAlignment' | 'edges' | 'nodes'>;

/** Options known only once every member is seen (the topology) or chosen after reading the spec (the threshold). */
export type FinishOptions = Pick<StatsOptions, 'threshold' | 'thresholdWhy' | 'topologyDiffers' | 'alignmentModes'> & {
  /** The kind's names and units (default resistor networks: MSE in V^2, Laplacian eigenvalues in S). */
  units?: StatsUnits;
  /** The threshold used when none is given, with its reason (default {@link DEFAULT_THRESHOLD} V^2). */
  defaultThreshold?: { value: number; why: string };
};

/** The names and units of the quantities, which follow the network kind. */
export interface StatsUnits {
  /** The error: 'V^2' (MSE per target) or 'strain^2' (a strain task's (eps_T^F - Delta)^2, mean over directions). */
  error: string;
  /** What the error is called: 'MSE', 'error'. */
  errorName: string;
  /** The physical Hessian: 'Laplacian', 'stiffness-matrix'; and its eigenvalues' unit: 'S', 'energy/length^2'. */
  hessian: string;
  eigenvalue: string;
}

export const RESISTOR_STATS_UNITS: StatsUnits = { error: 'V^2', errorName: 'MSE', hessian: 'Laplacian', eigenvalue: 'S' };
export const SPRING_STATS_UNITS: StatsUnits = { error: 'strain^2', errorName: 'error', hessian: 'stiffness-matrix', eigenvalue: 'energy/length^2' };

/**
 * The statistics of an ensemble fed one member at a time (see the file comment). `total` is the number of members
 * that will be added, finished or failed (meta.json's `members`): the f_e bootstrap draws its resamples over them
 * before the first arrives. Memory: ~10 numbers per member, plus for f_e E B sums and B N counts
 * (RowMeanBootstrap), whatever E and N.
 */
export class EnsembleAccumulator {
  private readonly scalars: MemberScalars[] = [];
  /** Spring members' per-direction measures (5 numbers per direction; none for resistor members). */
  /** Per member and direction: its final error (test MSE, else train MSE; strain^2) and its spring measures. */
  private readonly springScalars: { dir: number; error: number | null; values: Record<SpringQuantity, number> }[] = [];
  /** Per finished member with f_e: its edge-averaged f_e. */
  private readonly perMember: number[] = [];
  private boundary: RowMeanBootstrap | null = null;
  private boundaryNote: string | null = null;
  private readonly sizes = new Set<number>();
  private failedCount = 0;
  private readonly failedFirst: { index: number; error: string }[] = [];
  private readonly distinct = new Set<string>();
  private added = 0;
  private readonly opts: { resamples: number; seed: number };

  constructor(
    readonly total: number,
    options: Pick<StatsOptions, 'resamples' | 'seed'> = {},
  ) {
    this.opts = { resamples: options.resamples ?? DEFAULT_RESAMPLES, seed: options.seed ?? DEFAULT_SEED };
  }

  /** Members added so far (finished and failed). */
  get count(): number {
    return this.added;
  }

  /** The next member, finished: its scalars are kept, its f_e added to the per-edge sums. */
  add(m: MemberResult): void {
    this.added++;
    this.scalars.push({ index: m.index, steps: m.steps, converged: m.converged, trainMse: m.trainMse, testMse: m.testMse, lambdaLow: m.lambdaLow, lambdaHigh: m.lambdaHigh, stiffAlignment: m.stiffAlignment, edges: m.edges, nodes: m.nodes });
    m.springs?.directions.forEach((d, dir) =>
      this.springScalars.push({ dir, error: m.testMse ?? m.trainMse, values: { targetStrain: d.targetStrain, projection: d.projection, energyTarget: d.energyTarget, energyAfterSource: d.energyBoth - d.energySource, tStar: d.tStar } }),
    );
    const f = m.boundaryFrequency;
    if (f !== null) {
      let s = 0;
      for (let e = 0; e < f.length; e++) s += f[e];
      this.perMember.push(s / f.length);
      this.sizes.add(f.length);
    }
    this.addRow(f);
  }

  /** Members without f_e (failed, or not kept) seen before the first with one: drawn, adding nothing, once the bootstrap starts. */
  private pendingWithout = 0;

  private addRow(f: Float64Array | null): void {
    if (this.boundaryNote !== null) return;
    if (f === null) {
      if (this.boundary) this.boundary.add(null);
      else this.pendingWithout++;
      return;
    }
    if (this.boundary === null) {
      this.boundary = new RowMeanBootstrap(this.total, f.length, this.opts);
      for (let k = 0; k < this.pendingWithout; k++) this.boundary.add(null);
    }
    if (f.length !== this.boundary.E) {
      // the running sums are useless now: free them, say why at the end
      this.boundary = null;
      this.boundaryNote = 'differ';
      return;
    }
    this.boundary.add(f);
  }

  /** The next member, failed: counted, its error kept if among the first few, no results. */
  addFailed(f: FailedMember): void {
    this.added++;
    this.failedCount++;
    if (this.failedFirst.length < MAX_FAILED_SHOWN) this.failedFirst.push({ index: f.index, error: f.error.length > MAX_FAILED_ERROR ? `${f.error.slice(0, MAX_FAILED_ERROR - 3)}...` : f.error });
    if (this.distinct.size < MAX_DISTINCT_ERRORS) this.distinct.add(f.error);
    this.addRow(null);
  }

  /** The statistics of the members added (every one of the `total` announced). */
  finish(options: FinishOptions = {}): EnsembleStatistics {
    if (this.added !== this.total) throw new Error(`EnsembleAccumulator: ${this.added} members added, ${this.total} announced`);
    const members = this.scalars;
    const opts = this.opts;
    const u = options.units ?? RESISTOR_STATS_UNITS;
    const threshold = options.threshold ?? options.defaultThreshold?.value ?? DEFAULT_THRESHOLD;
    const defaultWhy = options.defaultThreshold?.why ?? THRESHOLD_WHY;
    const metric = members.map((m) => m.testMse ?? m.trainMse);
    const failedFlags: boolean[] = new Array<boolean>(this.failedCount).fill(false);
    const ok = metric.map((v) => v <= threshold);
    const success = {
      ...proportion([...ok, ...failedFlags], opts),
      trainFallback: members.filter((m) => m.testMse === null).length,
      denominator: this.failedCount > 0 ? 'every member; a failed member (its computation threw) counts as unsuccessful' : 'every member (none failed)',
      finished: wilson(ok.filter(Boolean).length, ok.length),
    };
    return {
      members: members.length,
      total: this.total,
      failed: { count: this.failedCount, first: this.failedFirst.slice(), distinctErrors: this.distinct.size, distinctCapped: this.distinct.size >= MAX_DISTINCT_ERRORS },
      threshold: { value: threshold, unit: u.error, isDefault: options.threshold === undefined, why: options.thresholdWhy ?? (options.threshold === undefined ? defaultWhy : 'given') },
      units: u,
      success,
      converged: proportion([...members.map((m) => m.converged), ...failedFlags], opts),
      steps: summarise('steps', 'count', members.map((m) => m.steps), opts),
      trainMse: summarise(`final train ${u.errorName}`, u.error, members.map((m) => m.trainMse), opts),
      testMse: summarise(`final test ${u.errorName}`, u.error, members.map((m) => m.testMse), opts),
      lambdaLow: summarise(`lowest ${u.hessian} eigenvalue`, u.eigenvalue, members.map((m) => m.lambdaLow), opts),
      lambdaHigh: summarise(`highest ${u.hessian} eigenvalue`, u.eigenvalue, members.map((m) => m.lambdaHigh), opts),
      alignment: alignmentStats(members, opts, options.alignmentModes ?? 1),
      ...(options.topologyDiffers !== undefined ? { boundary: null, boundarySkipped: options.topologyDiffers } : this.boundaryStats()),
      springs: this.springStats(threshold),
      bootstrap: { method: 'percentile', resamples: opts.resamples, seed: opts.seed },
    };
  }

  /** Per direction (A -> B, B -> A), the spring measures' distributions; null without spring members. */
  private springStats(threshold: number): SpringStats | null {
    if (this.springScalars.length === 0) return null;
    const of = (dir: number, successful = false): SpringDirectionStats | null => {
      const rows = this.springScalars.filter((r) => r.dir === dir && (!successful || (r.error !== null && r.error <= threshold)));
      if (rows.length === 0) return null;
      const q = (k: SpringQuantity): QuantitySummary => summarise(SPRING_QUANTITIES[k].name, SPRING_QUANTITIES[k].unit, rows.map((r) => r.values[k]), this.opts);
      return { targetStrain: q('targetStrain'), projection: q('projection'), energyTarget: q('energyTarget'), energyAfterSource: q('energyAfterSource'), tStar: q('tStar') };
    };
    const members = this.springScalars.filter((r) => r.dir === 0 && r.error !== null && r.error <= threshold).length;
    return { ab: of(0)!, ba: of(1), successful: { members, ab: of(0, true), ba: of(1, true) } };
  }

  private boundaryStats(): { boundary: BoundaryStats | null; boundarySkipped: string | null } {
    if (this.perMember.length === 0) return { boundary: null, boundarySkipped: 'no member kept the boundary frequency f_e' };
    if (this.boundaryNote !== null || !this.boundary) {
      const sizes = [...this.sizes];
      return { boundary: null, boundarySkipped: `the members differ in edge count (${sizes.slice(0, 5).join(', ')}${sizes.length > 5 ? ', ...' : ''}): f_e cannot be averaged edge by edge` };
    }
    const r = this.boundary.result();
    return { boundary: { members: this.boundary.members, edges: this.boundary.E, mean: r.mean, lo: r.lo, hi: r.hi, resamples: r.resamples, perMember: bootstrapMean(this.perMember, this.opts) }, boundarySkipped: null };
  }
}

/**
 * The statistics of `members` (see the file comment): an {@link EnsembleAccumulator} fed the finished members in
 * order, then the failed ones.
 */
export function ensembleStatistics(members: readonly MemberResult[], options: StatsOptions = {}, failed: readonly FailedMember[] = []): EnsembleStatistics {
  const acc = new EnsembleAccumulator(members.length + failed.length, options);
  for (const m of members) acc.add(m);
  for (const f of failed) acc.addFailed(f);
  return acc.finish(options);
}

function alignmentStats(members: readonly MemberScalars[], opts: StatsOptions, K: number): AlignmentStats | null {
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
