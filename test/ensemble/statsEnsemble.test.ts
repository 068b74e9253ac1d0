/**
 * Issue 16, point 4: `ensembleStatistics` on hand-built ensembles whose truth is known by construction, and its
 * figures checked as the report's are (test/figures/figureChecks.ts).
 */
import { describe, expect, it } from 'vitest';
import { ensembleStatistics, DEFAULT_THRESHOLD, EnsembleAccumulator, MAX_FAILED_ERROR } from '../../src/ensemble/stats/ensembleStatistics.js';
import { statsFigures } from '../../src/ensemble/stats/statsFigures.js';
import { alignmentNull } from '../../src/ensemble/stats/alignmentNull.js';
import { checkPaperFigure, checkRendered } from '../figures/figureChecks.js';
import { byClass } from '../figures/svgChecks.js';
import { fixtureEnsemble } from './statsFixtures.js';

const names = { ensemble: 'fixture-lattice (spec 0123abcd)', network: 'lattice 5x5', task: 'linear 2->1' };

describe('ensembleStatistics', () => {
  it('counts successes at the threshold exactly, with the Wilson interval around the rate', () => {
    const { members } = fixtureEnsemble({ n: 300, seed: 2 });
    const st = ensembleStatistics(members, { resamples: 2000 });
    const k = members.filter((m) => m.testMse! <= DEFAULT_THRESHOLD).length;
    expect(st.success.k).toBe(k);
    expect(st.success.n).toBe(300);
    expect(st.success.wilson[0]).toBeLessThan(k / 300);
    expect(st.success.wilson[1]).toBeGreaterThan(k / 300);
    expect(st.threshold).toMatchObject({ value: 1e-4, unit: 'V^2', isDefault: true });
    // log10 test MSE ~ N(-4, 0.7): P(MSE <= 1e-4) = 1/2; the interval must cover it (it is 95 %, at seed 2 it does)
    expect(st.success.wilson[0]).toBeLessThan(0.5);
    expect(st.success.wilson[1]).toBeGreaterThan(0.5);
    const strict = ensembleStatistics(members, { threshold: 1e-6, resamples: 500 });
    expect(strict.success.k).toBe(members.filter((m) => m.testMse! <= 1e-6).length);
    expect(strict.threshold.isDefault).toBe(false);
  });

  it('falls back to the train MSE without a test set, and says how many', () => {
    const { members } = fixtureEnsemble({ n: 50, seed: 3, testSet: false });
    const st = ensembleStatistics(members, { resamples: 500 });
    expect(st.success.trainFallback).toBe(50);
    expect(st.success.k).toBe(members.filter((m) => m.trainMse <= 1e-4).length);
    expect(st.testMse.n).toBe(0);
    expect(st.testMse.missing).toBe(50);
  });

  it('summaries: medians and quartiles of the members, histograms summing to n, means inside their intervals', () => {
    const { members } = fixtureEnsemble({ n: 201, seed: 4 });
    const st = ensembleStatistics(members, { resamples: 2000 });
    const sorted = members.map((m) => m.lambdaHigh).sort((a, b) => a - b);
    expect(st.lambdaHigh.median).toBe(sorted[100]); // n = 201: the 101st value
    expect(st.lambdaHigh.q1).toBe(sorted[50]); // h = 200 x 0.25 = 50 exactly
    for (const q of [st.trainMse, st.testMse, st.lambdaLow, st.lambdaHigh, st.steps]) {
      expect(q.histogram.counts.reduce((a, b) => a + b, 0)).toBe(q.n);
      expect(q.mean.ci[0]).toBeLessThanOrEqual(q.mean.mean);
      expect(q.mean.ci[1]).toBeGreaterThanOrEqual(q.mean.mean);
      expect(q.mean.resamples).toBe(2000);
    }
    expect(st.testMse.histogram.scale).toBe('log');
    expect(st.lambdaHigh.histogram.scale).toBe('linear');
  });

  it('alignment: members drawn from the null look like chance; aligned members stand out', () => {
    const chance = ensembleStatistics(fixtureEnsemble({ n: 400, seed: 5, aligned: 0 }).members, { resamples: 2000 });
    const E = 40; // a 5x5 lattice
    expect(chance.alignment!.dimensions).toEqual([E]);
    expect(chance.alignment!.null.oneMode.mean).toBeCloseTo(alignmentNull(E).mean, 12);
    expect(chance.alignment!.null.kModes).toEqual(chance.alignment!.null.oneMode); // K = 1 by default
    // under the null the excess interval covers 0 and about 5 % exceed the 95th percentile
    expect(chance.alignment!.excess.ci[0]).toBeLessThan(0);
    expect(chance.alignment!.excess.ci[1]).toBeGreaterThan(0);
    expect(chance.alignment!.aboveP95.wilson[0]).toBeLessThan(0.05);
    expect(chance.alignment!.aboveP95.wilson[1]).toBeGreaterThan(0.05);
    expect(chance.alignment!.aboveP95.pValue).toBeGreaterThan(0.01);
    const learned = ensembleStatistics(fixtureEnsemble({ n: 400, seed: 5, aligned: 0.5 }).members, { resamples: 2000 });
    expect(learned.alignment!.excess.ci[0]).toBeGreaterThan(0.1);
    expect(learned.alignment!.aboveP95.rate).toBeGreaterThan(0.4);
    expect(learned.alignment!.aboveP95.pValue).toBeLessThan(1e-10);
  });

  it('alignment over K soft modes: the conservative K-mode null raises the bar', () => {
    const { members } = fixtureEnsemble({ n: 400, seed: 5, aligned: 0 });
    const one = ensembleStatistics(members, { resamples: 500 }).alignment!;
    const ten = ensembleStatistics(members, { resamples: 500, alignmentModes: 10 }).alignment!;
    expect(ten.null.kModes.modes).toBe(10);
    expect(ten.null.kModes.p95!).toBeCloseTo(alignmentNull(40, 10).quantile(0.95), 12);
    expect(ten.null.kModes.p95!).toBeGreaterThan(one.null.oneMode.p95!);
    expect(ten.null.kModes.mean).toBeGreaterThan(ten.null.oneMode.mean);
    expect(ten.aboveP95.k).toBe(members.filter((m) => m.stiffAlignment! > alignmentNull(40, 10).quantile(0.95)).length);
    expect(ten.aboveP95.k).toBeLessThan(one.aboveP95.k);
  });

  it('f_e: the per-edge ensemble mean, with intervals that cover the truth (edge 0 is always 1, the others 0.25 on average)', () => {
    const st = ensembleStatistics(fixtureEnsemble({ n: 100, seed: 6 }).members, { resamples: 1000 });
    const b = st.boundary!;
    expect(b.members).toBe(100);
    expect(b.mean[0]).toBe(1);
    expect([b.lo[0], b.hi[0]]).toEqual([1, 1]);
    let covered = 0;
    for (let e = 1; e < b.edges; e++) if (b.lo[e] <= 0.25 && 0.25 <= b.hi[e]) covered++;
    expect(covered / (b.edges - 1)).toBeGreaterThan(0.8);
    const none = ensembleStatistics(fixtureEnsemble({ n: 10, seed: 6, boundary: false }).members, { resamples: 100 });
    expect(none.boundary).toBeNull();
    expect(none.boundarySkipped).toContain('no member');
    const differs = ensembleStatistics(fixtureEnsemble({ n: 10, seed: 6 }).members, { resamples: 100, topologyDiffers: 'random graphs: the members have different edges' });
    expect(differs.boundary).toBeNull();
    expect(differs.boundarySkipped).toContain('different edges');
  });

  it('is deterministic given the seed', () => {
    const { members } = fixtureEnsemble({ n: 60, seed: 7 });
    const a = ensembleStatistics(members, { resamples: 500, seed: 3 });
    const b = ensembleStatistics(members, { resamples: 500, seed: 3 });
    expect(a.testMse.mean).toEqual(b.testMse.mean);
    expect(a.boundary!.lo).toEqual(b.boundary!.lo);
  });
});

describe('failed members (their computation threw)', () => {
  const failure = (index: number, error: string) => ({ index, seeds: { network: index, task: index, order: index }, error });

  it('count in the success and converged rates as unsuccessful; the rate among finished members is beside it; distributions are over the finished', () => {
    const { members } = fixtureEnsemble({ n: 90, seed: 31 });
    const failed = [failure(90, 'Error: a'), failure(91, 'Error: b'), failure(92, 'Error: a'), ...Array.from({ length: 7 }, (_, i) => failure(93 + i, 'Error: a'))];
    const st = ensembleStatistics(members, { resamples: 500 }, failed);
    const k = members.filter((m) => m.testMse! <= DEFAULT_THRESHOLD).length;
    expect(st.members).toBe(90);
    expect(st.total).toBe(100);
    expect(st.success).toMatchObject({ k, n: 100, rate: k / 100 });
    expect(st.success.denominator).toMatch(/failed member .* counts as unsuccessful/);
    expect(st.success.finished).toMatchObject({ k, n: 90, rate: k / 90 });
    expect(st.converged).toMatchObject({ k: members.filter((m) => m.converged).length, n: 100 });
    expect(st.testMse.n + st.testMse.missing + st.testMse.nonFinite).toBe(90);
    // the failed: all counted, the first 5 shown, 2 distinct errors
    expect(st.failed).toEqual({ count: 10, first: [90, 91, 92, 93, 94].map((i) => ({ index: i, error: i === 91 ? 'Error: b' : 'Error: a' })), distinctErrors: 2, distinctCapped: false });
    // f_e over the 90 finished members: their per-edge mean exactly
    const b = st.boundary!;
    expect(b.members).toBe(90);
    for (const e of [0, 7, 39]) expect(b.mean[e]).toBeCloseTo(members.reduce((s, m) => s + m.boundaryFrequency![e], 0) / 90, 14);
    expect(b.lo[0]).toBe(1); // f_0 = 1 in every member: every resample's mean is 1
  });

  it('long errors are clipped; the order of failed and finished members in the stream changes no count', () => {
    const { members } = fixtureEnsemble({ n: 20, seed: 32 });
    const acc = new EnsembleAccumulator(22, { resamples: 200 });
    acc.addFailed(failure(0, 'Error: ' + 'x'.repeat(1000)));
    for (const m of members) acc.add(m);
    acc.addFailed(failure(21, 'Error: y'));
    const st = acc.finish();
    expect(st.failed.first[0].error).toHaveLength(MAX_FAILED_ERROR);
    expect(st.failed.first[0].error.endsWith('...')).toBe(true);
    expect(st.success.n).toBe(22);
    expect(st.boundary!.members).toBe(20);
    expect(() => new EnsembleAccumulator(3).finish()).toThrow(/0 members added, 3 announced/);
  });
});

describe('the statistics figures', () => {
  it('pass the paper-figure checks, name the ensemble, and draw every member in the histograms', () => {
    const { members, net } = fixtureEnsemble({ n: 150, seed: 8, aligned: 0.3 });
    const st = ensembleStatistics(members, { resamples: 1000 });
    const figs = statsFigures(st, names, { positions: net.positions!, edgeA: net.edgeA, edgeB: net.edgeB });
    expect(figs.map((f) => f.name)).toEqual(['mse', 'eigenvalues', 'alignment', 'boundary-frequency']);
    for (const f of figs) {
      const root = checkPaperFigure(f.svg, [names.ensemble, names.network, names.task]);
      checkRendered(f.svg);
      const bars = byClass(root, 'bars');
      for (const g of bars) {
        const total = g.children.reduce((s, r) => s + Number(r.attrs['data-count']), 0);
        expect(total).toBe(f.name === 'alignment' ? st.alignment!.summary.n : 150);
      }
      if (f.name !== 'boundary-frequency') expect(byClass(root, 'median').length).toBe(bars.length);
    }
    expect(st.alignment!.summary.histogram.scale).toBe('linear'); // |cos| is bounded: never log bins
    const align = byClass(checkPaperFigure(figs[2].svg, []), 'expected');
    expect(align).toHaveLength(1);
  });

  it('keep tick labels on the canvas when the MSEs span less than two decades (linear bins ending at 0.0012)', () => {
    const { members } = fixtureEnsemble({ n: 40, seed: 10, logMse: [-3.1, 0.1] });
    const st = ensembleStatistics(members, { resamples: 200 });
    expect(st.testMse.histogram.scale).toBe('linear');
    checkPaperFigure(statsFigures(st, names, null)[0].svg, [names.ensemble]);
  });

  it('draw no network without a shared topology', () => {
    const { members } = fixtureEnsemble({ n: 20, seed: 9 });
    const st = ensembleStatistics(members, { resamples: 200 });
    expect(statsFigures(st, names, null).map((f) => f.name)).toEqual(['mse', 'eigenvalues', 'alignment']);
  });
});
