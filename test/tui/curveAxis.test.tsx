/**
 * Issue 15 point 6: the learning curve has a step axis with labelled ticks, and the train/test MSE curves are drawn
 * over the per-example cost as characters of their own, so the cost never hides them.
 */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { braillePlot, CurvePanel, formatStep, stepAxis, stepTicks } from '../../src/tui/views/CurvePanel.js';

afterEach(() => cleanup());

describe('step ticks', () => {
  it('are multiples of 1, 2 or 5 x 10^k covering the range', () => {
    expect(stepTicks(0, 2000, 8)).toEqual([0, 500, 1000, 1500, 2000]);
    expect(stepTicks(0, 7, 10)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // (1000 - 130) / 4 = 217.5 per tick at most 4: the next nice step is 500
    expect(stepTicks(130, 1000, 4)).toEqual([500, 1000]);
    expect(stepTicks(130, 1000, 5)).toEqual([200, 400, 600, 800, 1000]);
    expect(stepTicks(5, 5, 4)).toEqual([5]);
  });
  it('labels are short', () => {
    expect(formatStep(1500)).toBe('1500');
    expect(formatStep(20000)).toBe('20k');
    expect(formatStep(2.5e7)).toBe('2.50e7');
  });
  it('each label sits under its tick', () => {
    const plot = braillePlot([{ xs: [0, 2000], ys: [1, 2], color: 'gray' }], 60, 2)!;
    const { axis, labels } = stepAxis(plot, 60);
    expect(axis).toHaveLength(61);
    expect(labels).toHaveLength(61);
    for (const m of labels.matchAll(/\d+/g)) {
      const span = [m.index!, m.index! + m[0].length - 1];
      const ticks = [...axis].map((ch, i) => (ch === '┬' ? i : -1)).filter((i) => i >= span[0] && i <= span[1]);
      expect(ticks, `label ${m[0]}`).toHaveLength(1);
      // the tick of step t is at 1 + the column of t: t = 2000 * (column) / (cols - 1) to within a column's worth
      expect(Math.abs(((ticks[0] - 1) / 59) * 2000 - Number(m[0]))).toBeLessThanOrEqual(2000 / 59);
    }
    // the first tick, step 0, is at the plot's first column, right of the corner
    expect(labels).toMatch(/^ 0 .*1000/);
  });
});

describe('CurvePanel', () => {
  const steps = Array.from({ length: 2000 }, (_, i) => i);
  const mse = (s: number): number => 1e-2 * Math.exp(-s / 500);
  // the worst case for the old plot: the cost equals the train MSE at every step, so their dots coincided
  const curve = {
    steps,
    cost: steps.map(mse),
    evals: Array.from({ length: 41 }, (_, k) => ({ step: 50 * k, trainMse: mse(50 * k), testMse: 2 * mse(50 * k) })),
    maxPoints: 5000,
  };

  it('has a labelled step axis under the plot', () => {
    const f = render(<CurvePanel curve={curve} width={74} height={14} />).lastFrame()!.split('\n');
    expect(f).toHaveLength(14);
    expect(f[0]).toMatch(/o train MSE x test MSE/);
    const axis = f[11];
    const labels = f[12];
    expect(axis).toMatch(/^ {8}└[─┬]+$/);
    expect(labels.trim().split(/\s+/).slice(0, 4)).toEqual(['0', '500', '1000', '1500']);
    expect(f[13]).toMatch(/train 1\.83e-4 {2}test 3\.66e-4 {2}step 1999 {2}\(eval at 2000\)/);
  });

  it('draws the MSE marks over the cost in every column they span', () => {
    const f = render(<CurvePanel curve={curve} width={74} height={14} />).lastFrame()!.split('\n');
    const plot = f.slice(1, 11).map((l) => l.slice(9));
    const cols = 74 - 9;
    for (let c = 0; c < cols; c++) {
      const column = plot.map((l) => l[c] ?? ' ').join('');
      expect(column, `column ${c}`).toMatch(/[o*]/);
      expect(column, `column ${c}`).toMatch(/[x*]/);
    }
  });
});
