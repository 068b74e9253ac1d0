/**
 * Issue 18, point 3: the twin's fast normal draws (ZigguratNormal) follow the standard normal law. Seeded samples,
 * checked against the law itself (moments, the normal CDF written here from erfc, tail probabilities), each at a
 * significance far below what a seeded sample could fail by chance (about 1e-3 or less), so a wrong table, a wrong
 * wedge or tail branch, or a correlation between the layer and the value would show.
 */
import { describe, expect, it } from 'vitest';
import { ZigguratNormal } from '../../src/physics/ZigguratNormal.js';

/** erfc(x) for x >= 0 (Numerical Recipes' erfcc: fractional error < 1.2e-7 everywhere). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
/** Standard normal CDF. */
const phi = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

describe('ZigguratNormal: seeded standard normal draws', () => {
  const n = 1_000_000;
  const z = new ZigguratNormal(2026).fill(new Float64Array(n));

  it('has the moments of N(0, 1): mean 0, variance 1, skewness 0, kurtosis 3 (each within 4.5 standard errors)', () => {
    let m1 = 0;
    for (const x of z) m1 += x;
    m1 /= n;
    let m2 = 0;
    let m3 = 0;
    let m4 = 0;
    for (const x of z) {
      const d = x - m1;
      m2 += d * d;
      m3 += d * d * d;
      m4 += d * d * d * d;
    }
    m2 /= n;
    m3 /= n;
    m4 /= n;
    expect(Math.abs(m1)).toBeLessThan(4.5 * Math.sqrt(1 / n));
    expect(Math.abs(m2 - 1)).toBeLessThan(4.5 * Math.sqrt(2 / n));
    expect(Math.abs(m3 / m2 ** 1.5)).toBeLessThan(4.5 * Math.sqrt(6 / n));
    expect(Math.abs(m4 / m2 ** 2 - 3)).toBeLessThan(4.5 * Math.sqrt(24 / n));
  });

  it('passes Kolmogorov-Smirnov against the normal CDF (D below the 0.1 % critical value 1.949 / sqrt(n))', () => {
    const s = Float64Array.from(z.subarray(0, 200_000)).sort();
    const m = s.length;
    let d = 0;
    for (let i = 0; i < m; i++) {
      const f = phi(s[i]);
      d = Math.max(d, (i + 1) / m - f, f - i / m);
    }
    expect(d).toBeLessThan(1.949 / Math.sqrt(m));
  });

  it('passes a chi-square test on 82 bins (0.1 steps from -4 to 4, and both tails) below the 0.1 % critical value', () => {
    const edges = [-Infinity, ...Array.from({ length: 81 }, (_, i) => -4 + 0.1 * i), Infinity];
    const counts = new Float64Array(edges.length - 1);
    for (const x of z) {
      const b = x < -4 ? 0 : x >= 4 ? counts.length - 1 : 1 + Math.floor((x + 4) / 0.1);
      counts[Math.min(b, counts.length - 1)]++;
    }
    let chi2 = 0;
    for (let b = 0; b < counts.length; b++) {
      const p = (edges[b + 1] === Infinity ? 1 : phi(edges[b + 1])) - (edges[b] === -Infinity ? 0 : phi(edges[b]));
      chi2 += (counts[b] - n * p) ** 2 / (n * p);
    }
    // 81 degrees of freedom: the 0.999 quantile is about 126 (Wilson-Hilferty)
    expect(chi2).toBeLessThan(126);
  });

  it('has the normal law\'s tail frequencies: beyond 2, 3, the ziggurat\'s base edge 3.654, and 4 (within 5 binomial sigmas)', () => {
    const big = new ZigguratNormal(7).fill(new Float64Array(4_000_000));
    for (const t of [2, 3, 3.6541528853610088, 4]) {
      let above = 0;
      let below = 0;
      for (const x of big) {
        if (x > t) above++;
        else if (x < -t) below++;
      }
      const p = 1 - phi(t);
      const sd = Math.sqrt(big.length * p * (1 - p));
      expect(Math.abs(above - big.length * p), `x > ${t}`).toBeLessThan(5 * sd);
      expect(Math.abs(below - big.length * p), `x < -${t}`).toBeLessThan(5 * sd);
    }
  });

  it('shows no correlation between consecutive draws, nor between a draw and the next one\'s square (within 4.5 / sqrt(n))', () => {
    let c1 = 0;
    let c2 = 0;
    for (let i = 0; i + 1 < n; i++) {
      c1 += z[i] * z[i + 1];
      c2 += z[i] * (z[i + 1] * z[i + 1] - 1);
    }
    expect(Math.abs(c1 / n)).toBeLessThan(4.5 / Math.sqrt(n));
    expect(Math.abs(c2 / n)).toBeLessThan(4.5 * Math.sqrt(2 / n));
  });

  it('is reproducible from its seed, draw by draw or by fill, and other seeds give other streams', () => {
    const a = new ZigguratNormal(5);
    const one = Float64Array.from({ length: 1000 }, () => a.normal());
    const filled = new ZigguratNormal(5).fill(new Float64Array(1000));
    expect(one).toEqual(filled);
    const other = new ZigguratNormal(6).fill(new Float64Array(1000));
    expect(other.filter((x, i) => x === filled[i]).length).toBe(0);
  });
});
