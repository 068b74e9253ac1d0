/**
 * Issue 15 point 6: the progress line of `clln train` shows the latest evaluation, labelled with its step, not the
 * first one it saw (the simulated path used to show only its first costly probe once probing stopped). Clock
 * injected; draws counted, no wall-clock timing.
 */
import { describe, expect, it } from 'vitest';
import { TrainProgress } from '../../src/cli/trainProgress.js';

function stream(): { lines: string[]; columns: number; write(s: string): boolean } {
  const s = { lines: [] as string[], columns: 160, write: (c: string) => (c.startsWith('\r') && s.lines.push(c), true) };
  return s;
}

describe('progress line', () => {
  it('shows the newest evaluation with its step; an older one arriving late does not replace it', () => {
    let now = 0;
    const s = stream();
    const view = new TrainProgress(s, 300, 'train cl', { now: () => now });
    view.evaluation(0.5, 0.6, 0);
    for (let i = 1; i <= 300; i++) {
      now += 100; // every step 100 ms apart: the 4 Hz throttle lets every third step draw
      view.step(i, 0.01);
      if (i % 50 === 0) view.evaluation(0.5 / i, 0.6 / i, i);
    }
    // the draw after the evaluation at step 250 shows it, not the first (step 0)
    const after250 = s.lines.find((l) => /eval@250/.test(l));
    expect(after250).toMatch(/eval@250 {2}train 2\.00e-3 {2}test 2\.40e-3/);
    expect(s.lines.at(-1)).toMatch(/eval@250 /);
    // an evaluation of an earlier step reported late is not shown over a later one
    view.evaluation(9, 9, 100);
    view.finish();
    expect(s.lines.at(-1)).toMatch(/eval@300 {2}train 1\.67e-3 {2}test 2\.00e-3/);
    expect(s.lines.at(-1)).not.toMatch(/5\.00e-1|9\.00e0/);
  });

  it('a probe at a draw counts as an evaluation at that step', () => {
    let now = 0;
    const s = stream();
    const view = new TrainProgress(s, 10, 'train cl', { now: () => now });
    view.evaluation(1, 1, 0);
    now = 1000;
    view.step(7, 0.1, () => ({ trainMse: 0.25, testMse: 0.5 }));
    expect(s.lines.at(-1)).toMatch(/eval@7 {2}train 2\.50e-1 {2}test 5\.00e-1/);
  });
});
