/**
 * Issue 16, point 4: the statistics under `clln ensemble stats`, against independent truth: published Wilson
 * intervals, quartiles computed by hand, closed forms of the incomplete beta function and of |cos| in 2, 3 and 4
 * dimensions, Monte Carlo samples of random unit vectors, the t interval of a normal mean, and the bootstrap's
 * coverage over repeated experiments.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/physics/Rng.js';
import { fiveNumbers, histogram, quantileSorted } from '../../src/ensemble/stats/descriptive.js';
import { bootstrapMean, bootstrapRowMeans, RowMeanBootstrap, wilson } from '../../src/ensemble/stats/inference.js';
import { binomialUpperTail, incompleteBeta, lnGamma } from '../../src/ensemble/stats/special.js';
import { alignmentNull } from '../../src/ensemble/stats/alignmentNull.js';

describe('descriptive statistics', () => {
  it('quartiles of 1..10 by hand (type 7: h = (n - 1) p): 3.25, 5.5, 7.75', () => {
    const x = Float64Array.from({ length: 10 }, (_, i) => i + 1);
    const f = fiveNumbers(x);
    // q1: h = 9 x 0.25 = 2.25 -> x[2] + 0.25 (x[3] - x[2]) = 3 + 0.25; q3: h = 6.75 -> 7 + 0.75
    expect([f.min, f.q1, f.median, f.q3, f.max]).toEqual([1, 3.25, 5.5, 7.75, 10]);
    // an odd count: the median is the middle value; quartiles of [2, 4, 8, 16, 32]: h = 1 -> 4, h = 3 -> 16
    expect(fiveNumbers([2, 4, 8, 16, 32])).toEqual({ min: 2, q1: 4, median: 8, q3: 16, max: 32 });
    expect(quantileSorted([7], 0.3)).toBe(7);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it('histogram counts sum to n, every value falls inside its bin, and MSEs over decades get log bins', () => {
    const rng = new Rng(4);
    for (const n of [1, 2, 7, 100, 1000]) {
      const lin = Float64Array.from({ length: n }, () => rng.normal()).sort();
      const logv = Float64Array.from({ length: n }, () => 10 ** rng.uniform(-8, -2)).sort();
      for (const v of [lin, logv]) {
        const h = histogram(v);
        expect(h.counts.reduce((a, b) => a + b, 0)).toBe(n);
        expect(h.edges.length).toBe(h.counts.length + 1);
        // recount from the edges, independently of the binning arithmetic
        const recount = h.counts.map((_, i) => Array.from(v).filter((x) => x >= h.edges[i] && (i === h.counts.length - 1 ? x <= h.edges[i + 1] : x < h.edges[i + 1])).length);
        expect(recount).toEqual(h.counts);
      }
      if (n >= 100) {
        expect(histogram(logv).scale).toBe('log');
        expect(histogram(lin).scale).toBe('linear');
      }
    }
    expect(histogram(new Float64Array([3, 3, 3])).counts).toEqual([3]);
    const wide = Float64Array.from({ length: 50 }, (_, i) => 10 ** (-3 + i / 16));
    expect(histogram(wide).scale).toBe('log');
    expect(histogram(wide, { linear: true }).scale).toBe('linear');
  });
});

describe('special functions against closed forms', () => {
  it('ln Gamma at integers and halves', () => {
    expect(lnGamma(1)).toBeCloseTo(0, 13);
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(lnGamma(101)).toBeCloseTo(363.73937555556347, 9); // ln 100!
  });

  it('I_x(1, b) = 1 - (1 - x)^b, I_x(a, 1) = x^a, I_x(1/2, 1/2) = (2/pi) arcsin sqrt x', () => {
    for (const x of [0.01, 0.2, 0.5, 0.77, 0.99]) {
      for (const b of [0.5, 1, 3, 40, 4000]) expect(incompleteBeta(x, 1, b)).toBeCloseTo(1 - (1 - x) ** b, 12);
      for (const a of [0.5, 2, 7]) expect(incompleteBeta(x, a, 1)).toBeCloseTo(x ** a, 12);
      expect(incompleteBeta(x, 0.5, 0.5)).toBeCloseTo((2 / Math.PI) * Math.asin(Math.sqrt(x)), 12);
    }
  });

  it('the binomial upper tail equals the direct sum of the probabilities', () => {
    const choose = (n: number, k: number): number => {
      let c = 1;
      for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
      return c;
    };
    for (const [n, p] of [[20, 0.05], [100, 0.05], [37, 0.4]] as const) {
      for (const k of [0, 1, 3, 10, n]) {
        let direct = 0;
        for (let j = k; j <= n; j++) direct += choose(n, j) * p ** j * (1 - p) ** (n - j);
        expect(binomialUpperTail(k, n, p)).toBeCloseTo(direct, 12);
      }
    }
  });
});

describe('Wilson score interval', () => {
  it('matches the published values (Newcombe 1998, Stat. Med. 17:857, method 3)', () => {
    const cases: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [k, n, lo, hi] of cases) {
      const w = wilson(k, n);
      expect(w.wilson[0]).toBeCloseTo(lo, 4);
      expect(w.wilson[1]).toBeCloseTo(hi, 4);
      expect(w.rate).toBe(k / n);
    }
    // symmetric about 1/2 at k = n/2, and n successes mirror 0
    const half = wilson(5, 10).wilson;
    expect(half[0] + half[1]).toBeCloseTo(1, 12);
    expect(wilson(20, 20).wilson[0]).toBeCloseTo(1 - 0.1611, 4);
  });
});

describe('percentile bootstrap of a mean', () => {
  it('for a large normal sample, is close to the t interval mean +- t(0.975, n - 1) s / sqrt(n)', () => {
    const rng = new Rng(11);
    const n = 1001;
    const x = Float64Array.from({ length: n }, () => 3 + 2 * rng.normal());
    const m = x.reduce((a, b) => a + b, 0) / n;
    const s = Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1));
    const t = 1.962339; // t(0.975, 1000), from tables
    const half = (t * s) / Math.sqrt(n);
    const b = bootstrapMean(x, { resamples: 10_000, seed: 5 });
    expect(b.mean).toBeCloseTo(m, 12);
    // Monte Carlo error of the ends ~1.5 % of the half-width at B = 10^4; the bootstrap SE is s sqrt((n-1)/n)/sqrt(n)
    expect(Math.abs(b.ci[0] - (m - half))).toBeLessThan(0.05 * half);
    expect(Math.abs(b.ci[1] - (m + half))).toBeLessThan(0.05 * half);
  });

  it('covers the true mean of a skewed (exponential) population in about 95 % of 300 experiments of n = 60', () => {
    const rng = new Rng(21);
    let covered = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      const x = Float64Array.from({ length: 60 }, () => -Math.log(1 - rng.next())); // Exp(1), mean 1
      const b = bootstrapMean(x, { resamples: 2000, seed: t + 1 });
      if (b.ci[0] <= 1 && 1 <= b.ci[1]) covered++;
    }
    // the percentile bootstrap undercovers a little for skewed data at n = 60 (about 93 %); the binomial SE of the
    // rate over 300 trials is 1.3 %
    expect(covered / trials).toBeGreaterThan(0.88);
    expect(covered / trials).toBeLessThan(0.99);
  });

  it('is deterministic given the seed, and per-coordinate means agree with the scalar bootstrap', () => {
    const rng = new Rng(3);
    const x = Float64Array.from({ length: 40 }, () => rng.normal());
    expect(bootstrapMean(x, { seed: 9, resamples: 500 })).toEqual(bootstrapMean(x, { seed: 9, resamples: 500 }));
    const rows = Array.from(x, (v) => [v, 2 * v + 1]);
    const r = bootstrapRowMeans(rows, { seed: 9, resamples: 500 });
    const one = bootstrapMean(x, { seed: 9, resamples: 500 });
    // the same resampled rows: coordinate 0 is the scalar bootstrap, coordinate 1 its affine image
    expect(r.lo[0]).toBeCloseTo(one.ci[0], 12);
    expect(r.hi[0]).toBeCloseTo(one.ci[1], 12);
    expect(r.lo[1]).toBeCloseTo(2 * one.ci[0] + 1, 12);
    expect(r.mean[1]).toBeCloseTo(2 * one.mean + 1, 12);
  });
});

describe('the streamed per-edge bootstrap (RowMeanBootstrap: rows added one at a time)', () => {
  it('with every row present, gives bootstrapRowMeans (the same resamples) up to rounding', () => {
    const rng = new Rng(21);
    const rows = Array.from({ length: 37 }, () => Float64Array.from({ length: 6 }, () => rng.uniform(0, 1)));
    const whole = bootstrapRowMeans(rows, { seed: 5, resamples: 700 });
    const s = new RowMeanBootstrap(rows.length, 6, { seed: 5, resamples: 700 });
    for (const r of rows) s.add(r);
    const got = s.result();
    expect(got.resamples).toBe(700);
    for (let e = 0; e < 6; e++) {
      expect(got.mean[e]).toBeCloseTo(whole.mean[e], 13);
      expect(got.lo[e]).toBeCloseTo(whole.lo[e], 13);
      expect(got.hi[e]).toBeCloseTo(whole.hi[e], 13);
    }
  });

  it('members without a row are drawn but add nothing: each resample is the mean over its drawn members that have one (brute force)', () => {
    const n = 25;
    const B = 300;
    const rng = new Rng(8);
    // every third member has no row (failed, or f_e not kept)
    const rows = Array.from({ length: n }, (_, i) => (i % 3 === 1 ? null : [rng.uniform(0, 1), rng.normal()]));
    const s = new RowMeanBootstrap(n, 2, { seed: 4, resamples: B });
    for (const r of rows) s.add(r);
    const got = s.result();
    // the definition, by hand: resample r draws n members (bootstrapMean's draws: Rng(seed).int(n), n per resample)
    const draw = new Rng(4);
    const means: number[][] = [[], []];
    for (let r = 0; r < B; r++) {
      const acc = [0, 0];
      let k = 0;
      for (let i = 0; i < n; i++) {
        const row = rows[draw.int(n)];
        if (!row) continue;
        acc[0] += row[0];
        acc[1] += row[1];
        k++;
      }
      if (k > 0) for (const e of [0, 1]) means[e].push(acc[e] / k);
    }
    const present = rows.filter((r): r is number[] => r !== null);
    for (const e of [0, 1]) {
      const sorted = Float64Array.from(means[e]).sort();
      expect(got.lo[e]).toBeCloseTo(quantileSorted(sorted, 0.025), 12);
      expect(got.hi[e]).toBeCloseTo(quantileSorted(sorted, 0.975), 12);
      expect(got.mean[e]).toBeCloseTo(present.reduce((a, r) => a + r[e], 0) / present.length, 14);
    }
    expect(got.resamples).toBe(means[0].length);
  });

  it('resamples B as bootstrapRowMeans chooses them, and B x N counts capped at 2e7', () => {
    // 1000 members x 24 edges: n E B = 2.4e8 <= 4e8 at B = 10^4, the request
    expect(new RowMeanBootstrap(1000, 24, { resamples: 10_000 }).resamples).toBe(10_000);
    // 5000 members x 2 edges: 10^4 wanted, but B N <= 2e7 counts gives 4000
    expect(new RowMeanBootstrap(5000, 2, { resamples: 10_000 }).resamples).toBe(4000);
  });
});

describe('null model of the alignment |cos| in d dimensions', () => {
  it('agrees with the closed forms for d = 2, 3, 4', () => {
    const n2 = alignmentNull(2);
    const n3 = alignmentNull(3);
    const n4 = alignmentNull(4);
    for (const x of [0.05, 0.3, 0.5, 0.9, 0.999]) {
      expect(n2.cdf(x)).toBeCloseTo((2 / Math.PI) * Math.asin(x), 12); // |cos theta|, theta uniform
      expect(n3.cdf(x)).toBeCloseTo(x, 12); // uniform (Archimedes)
      expect(n4.cdf(x)).toBeCloseTo((2 / Math.PI) * (Math.asin(x) + x * Math.sqrt(1 - x * x)), 12);
      expect(n3.pdf(x)).toBeCloseTo(1, 12);
    }
    expect(n2.mean).toBeCloseTo(2 / Math.PI, 12);
    expect(n3.mean).toBeCloseTo(0.5, 12);
    // d = 4: density (4/pi) sqrt(1 - x^2) (the derivative of the CDF above), mean (4/pi) / 3
    expect(n4.mean).toBeCloseTo(4 / (3 * Math.PI), 12);
    expect(n3.quantile(0.95)).toBeCloseTo(0.95, 10);
  });

  it('agrees with Monte Carlo samples of random unit vectors (d = 5, 24, 400): KS distance, mean, 95th percentile', () => {
    const rng = new Rng(77);
    for (const d of [5, 24, 400]) {
      const model = alignmentNull(d);
      const n = 4000;
      const fixed = Float64Array.from({ length: d }, () => rng.uniform(0, 1)); // any fixed vector, here all positive
      const fn = Math.hypot(...fixed);
      const c = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const g = Float64Array.from({ length: d }, () => rng.normal());
        let dot = 0;
        for (let j = 0; j < d; j++) dot += g[j] * fixed[j];
        c[i] = Math.abs(dot) / (Math.hypot(...g) * fn);
      }
      c.sort();
      let ks = 0;
      for (let i = 0; i < n; i++) ks = Math.max(ks, Math.abs(model.cdf(c[i]) - i / n), Math.abs(model.cdf(c[i]) - (i + 1) / n));
      // 1.63 / sqrt(n) is the 1 % critical value of the one-sample Kolmogorov-Smirnov statistic
      expect(ks).toBeLessThan(1.63 / Math.sqrt(n));
      const sampleMean = c.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(c.reduce((a, b) => a + (b - sampleMean) ** 2, 0) / (n - 1));
      expect(Math.abs(sampleMean - model.mean)).toBeLessThan((4 * sd) / Math.sqrt(n));
      expect(Math.abs(quantileSorted(c, 0.95) - model.quantile(0.95))).toBeLessThan(0.1 * model.quantile(0.95));
    }
  });

  it('the max over K modes: F^K matches sampling for orthogonal modes, and bounds it from the safe side for correlated positive ones', () => {
    const rng = new Rng(91);
    const d = 300;
    const K = 10;
    const model = alignmentNull(d, K);
    const single = alignmentNull(d);
    // K correlated, all-positive unit vectors like squared drops: (1 + 0.7 g)^2, normalised
    const positive = Array.from({ length: K }, () => {
      const s = Float64Array.from({ length: d }, () => (1 + 0.7 * rng.normal()) ** 2);
      const norm = Math.hypot(...s);
      return s.map((x) => x / norm);
    });
    const n = 4000;
    const ortho = new Float64Array(n);
    const corr = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const g = Float64Array.from({ length: d }, () => rng.normal());
      const norm = Math.hypot(...g);
      // orthogonal modes: the first K coordinate axes
      let mo = 0;
      for (let k = 0; k < K; k++) mo = Math.max(mo, Math.abs(g[k]) / norm);
      ortho[i] = mo;
      let mc = 0;
      for (const s of positive) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += g[j] * s[j];
        mc = Math.max(mc, Math.abs(dot) / norm);
      }
      corr[i] = mc;
    }
    ortho.sort();
    corr.sort();
    let ks = 0;
    for (let i = 0; i < n; i++) ks = Math.max(ks, Math.abs(model.cdf(ortho[i]) - i / n), Math.abs(model.cdf(ortho[i]) - (i + 1) / n));
    expect(ks).toBeLessThan(1.63 / Math.sqrt(n));
    const mOrtho = ortho.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(mOrtho - model.mean)).toBeLessThan(0.01 * model.mean + 4 * Math.sqrt(ortho.reduce((a, b) => a + (b - mOrtho) ** 2, 0) / n / n));
    // correlated modes: exceeding the K-mode 95th percentile happens at most 5 % of the time (3 SE of slack), and the
    // statistic is at least the one-mode law's (its median above the one-mode median)
    const exceed = corr.filter((c) => c > model.quantile(0.95)).length / n;
    expect(exceed).toBeLessThan(0.05 + 3 * Math.sqrt(0.05 * 0.95 / n));
    expect(quantileSorted(corr, 0.5)).toBeGreaterThan(single.quantile(0.5));
    expect(model.quantile(0.95)).toBeCloseTo(single.quantile(0.95 ** (1 / K)), 9);
  });

  it('for large d, the mean tends to sqrt(2 / (pi d)) and the density integrates to 1', () => {
    const m = alignmentNull(8000);
    expect(m.mean / Math.sqrt(2 / (Math.PI * 8000))).toBeCloseTo(1, 4);
    const d = alignmentNull(24);
    let integral = 0;
    const steps = 20000;
    for (let i = 0; i < steps; i++) integral += d.pdf((i + 0.5) / steps) / steps;
    expect(integral).toBeCloseTo(1, 6);
  });
});
