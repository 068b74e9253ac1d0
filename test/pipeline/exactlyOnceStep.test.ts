/**
 * Issue 11 point 1: a device-stepped step is never applied twice. A step is several board calls (release clamps,
 * sources, STEP, and the settings read back for the record); when the link drops after the board acknowledged the
 * STEP, the pipeline redoes the step. The redo must start from the state before the STEP, or the board holds the
 * step twice while the record shows it once. The ideal twin makes the comparison exact: a faulty run must end with
 * the settings of a clean run, bit for bit, in both update modes.
 */
import { describe, expect, it } from 'vitest';
import type { BoardEvent } from '../../src/device/Board.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { TrainingEngine } from '../../src/pipeline/TrainingEngine.js';
import type { UpdateSite } from '../../src/pipeline/TrainingPlan.js';
import { bindingBoard, twinCore } from '../device/harness.js';

const task = referenceTask({ count: 20, test: 5 });

async function run(update: UpdateSite, steps: number, faults: string) {
  const core = twinCore('penn-gen1', 3, true);
  const h = await bindingBoard({ core, server: { faults, seed: 5 } });
  const events: BoardEvent[] = [];
  const sub = h.board.events.subscribe((e) => events.push(e));
  try {
    const engine = new TrainingEngine(h.board, { task, update, steps, order: 'sequential', seed: 1, evalEvery: 0 });
    const s = await engine.run();
    return { settings: Array.from(s.settings!), stepsDone: s.stepsDone, redone: s.redoneSteps, deviceSteps: core.stats.steps, core, events, unplugs: h.twin.server.stats.unplugs };
  } finally {
    sub.unsubscribe();
    await h.cleanup();
  }
}

describe('a step is applied exactly once, whatever the link does (ideal twin, twin binding transport)', () => {
  for (const update of ['device', 'host'] as const) {
    it(`--update ${update}: unplugs, resets, garble and drop end where the clean run ends`, async () => {
      const steps = 150;
      const clean = await run(update, steps, '');
      const faulty = await run(update, steps, 'garble=0.01,drop=0.002,reset-every=170,unplug-every=97,unplug-ms=20');
      // the faults happened, and forced redos
      expect(faulty.unplugs).toBeGreaterThanOrEqual(5);
      expect(faulty.events.filter((e) => e.type === 'reset-detected').length).toBeGreaterThanOrEqual(2);
      expect(faulty.redone).toBeGreaterThan(0);
      expect(faulty.stepsDone).toBe(steps);
      expect(faulty.settings).toEqual(clean.settings);
    }, 120_000);
  }
});
