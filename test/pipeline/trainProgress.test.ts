// The terminal progress view of `clln train` (src/cli/trainProgress.ts): its throttle is driven by the injected clock.
import { describe, expect, it } from 'vitest';
import { progressLine, Throttle, TrainProgress } from '../../src/cli/trainProgress.js';

function fakeStream(): { text: string; lines: string[]; columns: number; write(s: string): boolean } {
  const s = {
    text: '',
    lines: [] as string[],
    columns: 120,
    write(chunk: string) {
      s.text += chunk;
      if (chunk.startsWith('\r')) s.lines.push(chunk);
      return true;
    },
  };
  return s;
}

describe('progress view throttle', () => {
  it('Throttle allows at most hz actions a second by the injected clock', () => {
    let now = 0;
    const th = new Throttle(4, () => now);
    const allowed: number[] = [];
    for (now = 0; now < 3000; now += 7) if (th.take()) allowed.push(now);
    // every gap at least 250 ms, and so at most 4 in any second
    for (let i = 1; i < allowed.length; i++) expect(allowed[i] - allowed[i - 1]).toBeGreaterThanOrEqual(250);
    expect(allowed.length).toBe(12);
    expect(() => new Throttle(0)).toThrow(RangeError);
  });

  it('redraws at most 4 times a second while steps arrive every millisecond, then draws the final state', () => {
    let now = 0;
    const s = fakeStream();
    const view = new TrainProgress(s, 2000, 'train host@penn-gen1', { now: () => now, alarms: true });
    let probes = 0;
    const times: number[] = [];
    for (let i = 1; i <= 2000; i++) {
      now = i;
      const before = s.lines.length;
      view.step(i, 1e-3, () => {
        probes++;
        return { trainMse: 2e-3, testMse: 3e-3 };
      });
      if (s.lines.length > before) times.push(now);
      if (i === 1000) view.alarm(2);
    }
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(250);
    expect(times.length).toBe(8); // 2 s of steps
    expect(probes).toBe(times.length); // the costly values are computed only for a draw
    view.evaluation(1e-3, 1.5e-3);
    view.finish();
    expect(s.lines.length).toBe(9);
    const last = s.lines.at(-1)!;
    expect(last).toMatch(/^\rtrain host@penn-gen1 \[#+\] 2000\/2000 {2}\d+ steps\/s {2}cost 1\.00e-3 {2}train 1\.00e-3 {2}test 1\.50e-3 {2}alarms 2\x1b\[K$/);
    // 250 steps between draws 250 ms apart
    expect(s.lines[2]).toMatch(/ 1000 steps\/s /);
    expect(s.text.endsWith('\n')).toBe(true);
  });

  it('progressLine shows unknown values as -- and omits alarms when nobody checks', () => {
    const line = progressLine('train cl', { done: 0, total: 10, rate: NaN, cost: NaN, trainMse: NaN, testMse: NaN }, 80);
    expect(line).toMatch(/^train cl \[-+\] 0\/10 {2}-- steps\/s {2}cost -- {2}train -- {2}test --$/);
    expect(line.length).toBeLessThanOrEqual(80);
  });
});
