/**
 * Confidence intervals: the percentile bootstrap of a mean (seeded, src/physics/Rng.ts) and Wilson's score interval
 * of a proportion. Pure given the seed.
 */
import { Rng } from '../../physics/Rng.js';
import { quantileSorted } from './descriptive.js';

/** Two-sided 95 %: the standard normal's 0.975 quantile. */
export const Z95 = 1.959963984540054;

/**
 * Default number of bootstrap resamples. The percentile interval's ends are the 2.5 % and 97.5 % quantiles of the
 * resampled means; with B resamples their Monte Carlo standard error is about sqrt(0.025 x 0.975 / B) / phi(1.96)
 * = 0.027 standard errors of the mean at B = 10^4, i.e. under 1.5 % of the interval's half-width.
 */
export const DEFAULT_RESAMPLES = 10_000;
/** Default seed of the resampling. */
export const DEFAULT_SEED = 1;

/** A mean with its 95 % percentile-bootstrap interval. */
export interface MeanInterval {
  /** Number of values. */
  n: number;
  mean: number;
  /** 95 % percentile-bootstrap interval [lo, hi] (NaN for n = 0; the mean itself for n = 1). */
  ci: [number, number];
  /** Resamples drawn. */
  resamples: number;
}

/** Bootstrap options: number of resamples and seed. */
export interface BootstrapOptions {
  resamples?: number;
  seed?: number;
}

/**
 * The mean of `values` with its 95 % percentile-bootstrap interval: draw `resamples` samples of n values with
 * replacement (indices from an Rng seeded with `seed`), take each one's mean, and report the 2.5 % and 97.5 %
 * quantiles (type 7) of those means. Deterministic given the seed.
 */
export function bootstrapMean(values: ArrayLike<number>, opts: BootstrapOptions = {}): MeanInterval {
  const B = opts.resamples ?? DEFAULT_RESAMPLES;
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const m = n > 0 ? sum / n : NaN;
  if (n === 0) return { n, mean: NaN, ci: [NaN, NaN], resamples: B };
  const rng = new Rng(opts.seed ?? DEFAULT_SEED);
  const means = new Float64Array(B);
  for (let r = 0; r < B; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rng.int(n)];
    means[r] = s / n;
  }
  means.sort();
  return { n, mean: m, ci: [quantileSorted(means, 0.025), quantileSorted(means, 0.975)], resamples: B };
}

/**
 * Per-coordinate means of the rows (n rows of length E, e.g. each member's f_e) with 95 % percentile-bootstrap
 * intervals, every coordinate resampled with the same rows per resample. Costs n E B additions and E B numbers of
 * memory, so B is capped by `budget` (additions, default 4e8: about a second) and by 2e7 stored numbers, at least 200
 * resamples; the number used is returned.
 */
export function bootstrapRowMeans(rows: readonly ArrayLike<number>[], opts: BootstrapOptions & { budget?: number } = {}): { mean: Float64Array; lo: Float64Array; hi: Float64Array; resamples: number } {
  const n = rows.length;
  const E = n > 0 ? rows[0].length : 0;
  const mean = new Float64Array(E);
  for (const row of rows) for (let e = 0; e < E; e++) mean[e] += row[e];
  for (let e = 0; e < E; e++) mean[e] /= n;
  const wanted = opts.resamples ?? DEFAULT_RESAMPLES;
  const budget = opts.budget ?? 4e8;
  const B = Math.max(Math.min(200, wanted), Math.min(wanted, Math.floor(budget / Math.max(1, n * E)), Math.floor(2e7 / Math.max(1, E))));
  if (n === 0) return { mean, lo: mean.slice(), hi: mean.slice(), resamples: B };
  const rng = new Rng(opts.seed ?? DEFAULT_SEED);
  const draws = new Float64Array(B * E);
  const acc = new Float64Array(E);
  for (let r = 0; r < B; r++) {
    acc.fill(0);
    for (let i = 0; i < n; i++) {
      const row = rows[rng.int(n)];
      for (let e = 0; e < E; e++) acc[e] += row[e];
    }
    for (let e = 0; e < E; e++) draws[e * B + r] = acc[e] / n;
  }
  const lo = new Float64Array(E);
  const hi = new Float64Array(E);
  for (let e = 0; e < E; e++) {
    const col = draws.subarray(e * B, (e + 1) * B).sort();
    lo[e] = quantileSorted(col, 0.025);
    hi[e] = quantileSorted(col, 0.975);
  }
  return { mean, lo, hi, resamples: B };
}

/** A proportion k / n with its 95 % Wilson score interval. */
export interface ProportionInterval {
  k: number;
  n: number;
  rate: number;
  /** Wilson score interval (NaN for n = 0). */
  wilson: [number, number];
}

/**
 * Wilson's score interval for a binomial proportion: the p with |k/n - p| <= z sqrt(p (1 - p) / n), i.e.
 * (k + z^2/2) / (n + z^2) +- z / (n + z^2) sqrt(k (n - k) / n + z^2 / 4). Chosen over the bootstrap for success rates
 * because it stays inside [0, 1] and is not degenerate at k = 0 or k = n (a bootstrap of 0 successes gives [0, 0]),
 * and its coverage is close to nominal down to small n (Newcombe 1998; Brown, Cai and DasGupta 2001).
 */
export function wilson(k: number, n: number, z = Z95): ProportionInterval {
  if (n === 0) return { k, n, rate: NaN, wilson: [NaN, NaN] };
  const z2 = z * z;
  const centre = (k + z2 / 2) / (n + z2);
  const half = (z / (n + z2)) * Math.sqrt((k * (n - k)) / n + z2 / 4);
  return { k, n, rate: k / n, wilson: [Math.max(0, centre - half), Math.min(1, centre + half)] };
}

/**
 * Per-coordinate means of rows that arrive one at a time (each member's f_e, read from its file and dropped), with
 * 95 % percentile-bootstrap intervals, in memory that does not grow with the number of members: E B running sums
 * and the resample counts (B N small integers), never the N x E rows.
 *
 * The resamples are those of {@link bootstrapMean} and {@link bootstrapRowMeans} with the same seed: resample r
 * draws N members with replacement (N `rng.int(N)` calls in the same order), kept as counts c_ri (how often member
 * i is in resample r), so that a row can be added when it arrives: sum_r += c_ri row_i. Member i is the i-th of the N
 * members given to {@link add} (0-based, in order). A member without a row (null: a failed member, f_e not kept)
 * is drawn like the others but adds nothing: resample r's mean is sum_i c_ri row_i / sum_i c_ri over the members with
 * a row, i.e. the mean over the resampled ensemble's members that have one. With every row present the result is
 * bootstrapRowMeans's up to the order of the additions (rounding).
 *
 * B as in bootstrapRowMeans (n E B <= `budget` additions, E B <= 2e7 sums, at least 200, at most `resamples`), and
 * B N <= 2e7 counts (40 MB) when that leaves at least 200.
 */
export class RowMeanBootstrap {
  readonly resamples: number;
  private readonly counts: Uint16Array;
  private readonly sums: Float64Array;
  private readonly weights: Float64Array;
  private readonly total: Float64Array;
  private next = 0;
  private rows = 0;

  /**
   * @param n the members that will be added (rows or null), N
   * @param E the row length (edges)
   */
  constructor(
    readonly n: number,
    readonly E: number,
    opts: BootstrapOptions & { budget?: number } = {},
  ) {
    const wanted = opts.resamples ?? DEFAULT_RESAMPLES;
    const budget = opts.budget ?? 4e8;
    let B = Math.max(Math.min(200, wanted), Math.min(wanted, Math.floor(budget / Math.max(1, n * E)), Math.floor(2e7 / Math.max(1, E))));
    if (B * n > 2e7) B = Math.max(Math.min(200, wanted), Math.floor(2e7 / n));
    this.resamples = B;
    // a count above 65535 would need one member drawn that often in one resample of N draws: probability
    // ~ 1/65535! for N > 65535 draws of rate 1 (Poisson), nil; for N <= 65535 it cannot exceed N
    this.counts = new Uint16Array(B * n);
    const rng = new Rng(opts.seed ?? DEFAULT_SEED);
    for (let r = 0; r < B; r++) {
      const row = r * n;
      for (let i = 0; i < n; i++) this.counts[row + rng.int(n)]++;
    }
    this.sums = new Float64Array(B * E);
    this.weights = new Float64Array(B);
    this.total = new Float64Array(E);
  }

  /** Add the next member's row (length E), or null for a member without one. */
  add(row: ArrayLike<number> | null): void {
    const i = this.next++;
    if (i >= this.n) throw new Error(`RowMeanBootstrap: more than the ${this.n} members announced`);
    if (row === null) return;
    if (row.length !== this.E) throw new Error(`RowMeanBootstrap: a row of ${row.length} values, expected ${this.E}`);
    this.rows++;
    const { E, n } = this;
    for (let e = 0; e < E; e++) this.total[e] += row[e];
    for (let r = 0; r < this.resamples; r++) {
      const c = this.counts[r * n + i];
      if (c === 0) continue;
      this.weights[r] += c;
      const s = this.sums.subarray(r * E, (r + 1) * E);
      for (let e = 0; e < E; e++) s[e] += c * row[e];
    }
  }

  /** Members with a row so far. */
  get members(): number {
    return this.rows;
  }

  /** The per-coordinate means over the members with a row, and their 95 % intervals; resamples that drew none of them are left out. */
  result(): { mean: Float64Array; lo: Float64Array; hi: Float64Array; resamples: number } {
    const { E, resamples: B } = this;
    const mean = this.total.map((t) => t / this.rows);
    const lo = new Float64Array(E);
    const hi = new Float64Array(E);
    const used: number[] = [];
    for (let r = 0; r < B; r++) if (this.weights[r] > 0) used.push(r);
    const col = new Float64Array(used.length);
    for (let e = 0; e < E; e++) {
      for (let k = 0; k < used.length; k++) col[k] = this.sums[used[k] * E + e] / this.weights[used[k]];
      col.sort();
      lo[e] = used.length ? quantileSorted(col, 0.025) : NaN;
      hi[e] = used.length ? quantileSorted(col, 0.975) : NaN;
    }
    return { mean, lo, hi, resamples: used.length };
  }
}
