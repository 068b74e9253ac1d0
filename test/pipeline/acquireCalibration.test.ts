/**
 * Acquisition of a calibration plan: every configuration x pattern measured once, in order; a lost link redoes the
 * measurement (none lost, none doubled); abort and failure leave the board as it was found.
 */
import { describe, expect, it } from 'vitest';
import type { Board } from '../../src/device/Board.js';
import { BoardDisconnectedError } from '../../src/errors.js';
import { defaultPlan, expandPlan } from '../../src/calibration/planFile.js';
import { acquireCalibration } from '../../src/pipeline/acquireCalibration.js';
import { flawedTwin } from '../calibration/helpers.js';

async function setup() {
  const t = flawedTwin('penn-gen1', 1);
  const id = await t.board.identify();
  const plan = expandPlan({ ...defaultPlan(id), patterns: { kind: 'random', count: 8, seed: 4 }, settings: { levels: [30, 60], mixed: 1 } }, id);
  // a state the board is in before calibrating: some settings, a source driven
  await t.board.writeEdges(new Map([[3, 77], [20, 12]]));
  const before = await t.board.readEdges();
  return { ...t, id, plan, before };
}

describe('acquireCalibration', () => {
  it('measures every configuration x pattern once, in order, and puts the settings back', async () => {
    const t = await setup();
    const progress: number[] = [];
    const data = await acquireCalibration(t.board, t.plan, { onProgress: (p) => progress.push(p.done) });
    expect(data.measurements).toHaveLength(3 * 8);
    expect(data.measurements.map((m) => [m.configuration, m.pattern])).toEqual(Array.from({ length: 24 }, (_, i) => [Math.floor(i / 8), i % 8]));
    expect(progress).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(data.configurations).toEqual(t.plan.configurations.map((c) => Array.from(c)));
    expect(await t.board.readEdges()).toEqual(t.before);
    expect(t.core.activeSources().size).toBe(0);
    expect(t.core.activeClamps().size).toBe(0);
    // the readings are the board's, for the pattern applied: a driven node reads near its command
    const m = data.measurements[5];
    for (const [n, v] of m.drive) expect(Math.abs(m.readings[n] - v)).toBeLessThan(0.2);
  });

  it('a link lost under a measurement redoes it: nothing lost, nothing measured twice', async () => {
    const t = await setup();
    const inner = t.board;
    const flaky: Board = Object.create(inner);
    let calls = 0;
    flaky.measure = async (samples?: number) => {
      calls++;
      if (calls === 5 || calls === 11) throw new BoardDisconnectedError('cable pulled');
      return inner.measure(samples);
    };
    const data = await acquireCalibration(flaky, t.plan);
    expect(data.measurements).toHaveLength(24);
    expect(new Set(data.measurements.map((m) => `${m.configuration}/${m.pattern}`)).size).toBe(24);
    expect(calls).toBe(26);
  });

  it('abort stops between measurements and leaves the board as it was found', async () => {
    const t = await setup();
    const ac = new AbortController();
    const p = acquireCalibration(t.board, t.plan, { signal: ac.signal, onProgress: (pr) => pr.done === 10 && ac.abort() });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(await t.board.readEdges()).toEqual(t.before);
    expect(t.core.activeSources().size).toBe(0);
    expect(t.core.activeClamps().size).toBe(0);
  });

  it('a failure (not the link) propagates, and the board is still put back', async () => {
    const t = await setup();
    const inner = t.board;
    const broken: Board = Object.create(inner);
    let n = 0;
    broken.measure = async (samples?: number) => {
      if (++n === 12) throw new Error('ADC on fire');
      return inner.measure(samples);
    };
    await expect(acquireCalibration(broken, t.plan)).rejects.toThrow('ADC on fire');
    expect(await t.board.readEdges()).toEqual(t.before);
    expect(t.core.activeSources().size).toBe(0);
  });
});
