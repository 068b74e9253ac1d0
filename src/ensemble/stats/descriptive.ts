/**
 * Descriptive statistics of one quantity over the members of an ensemble: quantiles, the five-number summary and a
 * histogram. Pure.
 */

/**
 * The p-quantile of `sorted` (ascending, finite, non-empty), by linear interpolation between order statistics:
 * h = (n - 1) p, Q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]) (Hyndman and Fan's type 7, the default
 * of R and numpy, so that the numbers printed here can be checked with either). NaN for an empty array.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * Math.min(Math.max(p, 0), 1);
  const i = Math.floor(h);
  const f = h - i;
  return i + 1 < n ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/** Arithmetic mean (NaN for none). */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return values.length > 0 ? s / values.length : NaN;
}

/** The finite values of `values`, ascending, and how many were not finite. */
export function finiteSorted(values: ArrayLike<number>): { sorted: Float64Array; nonFinite: number } {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out.push(values[i]);
  const sorted = Float64Array.from(out).sort();
  return { sorted, nonFinite: values.length - sorted.length };
}

/** Minimum, quartiles (type 7) and maximum. */
export interface FiveNumbers {
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

/** The five-number summary of `sorted` (ascending). NaN everywhere for an empty array. */
export function fiveNumbers(sorted: ArrayLike<number>): FiveNumbers {
  const n = sorted.length;
  return {
    min: n ? sorted[0] : NaN,
    q1: quantileSorted(sorted, 0.25),
    median: quantileSorted(sorted, 0.5),
    q3: quantileSorted(sorted, 0.75),
    max: n ? sorted[n - 1] : NaN,
  };
}

/** A histogram: `counts[i]` values in [edges[i], edges[i + 1]) (the last bin closed on the right). */
export interface Histogram {
  /** Bins equal in width on a linear axis, or in log10 width on a log axis (edges are in data units either way). */
  scale: 'linear' | 'log';
  edges: number[];
  counts: number[];
  /** How the number of bins was chosen, in words. */
  rule: string;
}

/** Fewest and most bins: fewer hides the shape, more than 40 leaves a few members per bin at n ~ 1000. */
export const MIN_BINS = 5;
export const MAX_BINS = 40;
/** A quantity is binned on a log axis when all its values are > 0 and span at least this ratio (two decades). */
export const LOG_SPAN = 100;

/**
 * A histogram of `sorted` (ascending, finite). Log10 bins when every value is > 0 and max/min >= {@link LOG_SPAN}
 * (MSEs and eigenvalues of an ensemble spread over decades; linear bins would put nearly all members in the first),
 * linear otherwise or with `linear` (a bounded quantity such as |cos| in [0, 1]). The bin width is Freedman and Diaconis's 2 IQR n^(-1/3) (of log10 values on a log axis), robust
 * to the outliers an ensemble has; with IQR = 0, Sturges' ceil(log2 n) + 1 bins; either clamped to
 * [{@link MIN_BINS}, {@link MAX_BINS}]. All values equal: one bin of +-10 % around the value (+-1 at 0). The counts
 * sum to the number of values.
 */
export function histogram(sorted: ArrayLike<number>, opts: { linear?: boolean } = {}): Histogram {
  const n = sorted.length;
  if (n === 0) return { scale: 'linear', edges: [0, 1], counts: [0], rule: 'no values' };
  const lo = sorted[0];
  const hi = sorted[n - 1];
  const log = opts.linear !== true && lo > 0 && hi / lo >= LOG_SPAN;
  const t = (v: number): number => (log ? Math.log10(v) : v);
  const inv = (u: number): number => (log ? 10 ** u : u);
  const a = t(lo);
  const b = t(hi);
  if (!(b > a)) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return { scale: 'linear', edges: [lo - d, lo + d], counts: [n], rule: 'all values equal: one bin' };
  }
  const iqr = t(quantileSorted(sorted, 0.75)) - t(quantileSorted(sorted, 0.25));
  let bins: number;
  let rule: string;
  if (iqr > 0) {
    bins = Math.ceil((b - a) / (2 * iqr * n ** (-1 / 3)));
    rule = `Freedman-Diaconis (bin width 2 IQR n^(-1/3)${log ? ' in log10' : ''})`;
  } else {
    bins = Math.ceil(Math.log2(n)) + 1;
    rule = 'Sturges (IQR = 0)';
  }
  if (bins < MIN_BINS || bins > MAX_BINS) rule += `, clamped to ${bins < MIN_BINS ? MIN_BINS : MAX_BINS} bins`;
  bins = Math.min(Math.max(bins, MIN_BINS), MAX_BINS);
  const w = (b - a) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === 0 ? lo : i === bins ? hi : inv(a + i * w)));
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    // the bin from the transformed value; the last edge belongs to the last bin
    const k = Math.min(bins - 1, Math.max(0, Math.floor((t(sorted[i]) - a) / w)));
    counts[k]++;
  }
  return { scale: log ? 'log' : 'linear', edges, counts, rule };
}
