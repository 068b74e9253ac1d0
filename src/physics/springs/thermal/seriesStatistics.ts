/**
 * Mean and standard deviation of a correlated time series (a Langevin trajectory) with honest statistical errors, by
 * batch means: the series is cut into B equal blocks; when a block is much longer than the integrated autocorrelation
 * time, the block means are nearly independent and their scatter gives the error of the overall mean.
 */
import { InvalidInputError, show } from '../../../errors.js';

/** Statistics of a series, with errors from batch means. */
export interface SeriesStatistics {
  /** Number of values used. */
  count: number;
  /** Sample mean. */
  mean: number;
  /** Sample standard deviation (about the mean). */
  std: number;
  /** Smallest and largest value: large excursions (a snap-through to another basin) show here first. */
  min: number;
  max: number;
  /** Standard error of the mean: sd(block means) / sqrt(B). */
  meanError: number;
  /**
   * Standard error of the std: the same batch-means error of the variance (block second moments about the overall
   * mean), propagated as sd(var) / (2 std).
   */
  stdError: number;
  /**
   * Integrated autocorrelation time in samples, tau_int = L Var(block means) / (2 Var(x)) with L the block length
   * (1/2 for uncorrelated values; the effective sample count is count / (2 tau_int)).
   */
  correlationTime: number;
  /** Number of blocks B. */
  blocks: number;
  /** Samples per block L. */
  blockLength: number;
  /**
   * The blocks are at least 10 x 2 tau_int long, so the block means are close to independent and the errors are
   * trustworthy (the errors themselves are uncertain by about 1 / sqrt(2 (B - 1)), 13 % at B = 32).
   */
  reliable: boolean;
}

/** Default number of blocks. */
export const DEFAULT_BLOCKS = 32;

/**
 * Batch-means statistics of `x` with `blocks` blocks (default {@link DEFAULT_BLOCKS}; a remainder of fewer than
 * `blocks` values at the start is dropped so that the blocks are equal, the start being the least equilibrated part).
 */
export function seriesStatistics(x: ArrayLike<number>, blocks = DEFAULT_BLOCKS): SeriesStatistics {
  if (!Number.isInteger(blocks) || blocks < 2) {
    throw new InvalidInputError({ source: 'seriesStatistics', field: 'blocks' }, `must be an integer >= 2, got ${show(blocks)}`, `use ${DEFAULT_BLOCKS}`);
  }
  const L = Math.floor(x.length / blocks);
  if (L < 1) {
    throw new InvalidInputError({ source: 'seriesStatistics', field: 'x' }, `needs at least ${blocks} values (one per block), got ${x.length}`, 'record more samples');
  }
  const start = x.length - L * blocks;
  const n = L * blocks;
  let mean = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = start; i < x.length; i++) {
    mean += x[i];
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
  }
  mean /= n;
  let m2 = 0;
  const blockMean = new Float64Array(blocks);
  const blockVar = new Float64Array(blocks);
  for (let b = 0; b < blocks; b++) {
    let s = 0;
    let q = 0;
    for (let i = start + b * L; i < start + (b + 1) * L; i++) {
      const d = x[i] - mean;
      s += x[i];
      q += d * d;
    }
    blockMean[b] = s / L;
    blockVar[b] = q / L;
    m2 += q;
  }
  const variance = m2 / n;
  const sdOf = (v: Float64Array): number => {
    let m = 0;
    for (const y of v) m += y;
    m /= v.length;
    let q = 0;
    for (const y of v) q += (y - m) * (y - m);
    return Math.sqrt(q / (v.length - 1));
  };
  const sdMeans = sdOf(blockMean);
  const sdVars = sdOf(blockVar);
  const std = Math.sqrt(variance);
  const correlationTime = variance > 0 ? (L * sdMeans * sdMeans) / (2 * variance) : 0.5;
  return {
    count: n,
    mean,
    std,
    min,
    max,
    meanError: sdMeans / Math.sqrt(blocks),
    stdError: std > 0 ? sdVars / Math.sqrt(blocks) / (2 * std) : 0,
    correlationTime,
    blocks,
    blockLength: L,
    reliable: L >= 20 * correlationTime,
  };
}
