import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Board, BoardEvent } from '../../src/device/Board.js';
import { connectBoard, type ConnectOptions } from '../../src/device/connectBoard.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { trainOnBoard, type UpdateSite } from '../../src/pipeline/trainOnBoard.js';

// The pty twin is served by the built CLI (`npm test` builds first).
const built = existsSync(resolve(__dirname, '../../dist/src/cli/main.js'));

const task = referenceTask({ count: 20, test: 5 });

async function run(spec: string, update: UpdateSite, steps: number, opts: ConnectOptions = {}) {
  const board: Board = await connectBoard(spec, { ideal: true, seed: 3, ...opts });
  const events: BoardEvent[] = [];
  const sub = board.events.subscribe((e) => events.push(e));
  try {
    const r = await trainOnBoard(board, task, { update, steps, order: 'sequential', seed: 1 });
    return { ...r, events };
  } finally {
    sub.unsubscribe();
    await board.close();
  }
}

describe.skipIf(!built)('training over the wire ends where the in-process twin ends (ideal twin)', () => {
  for (const update of ['host', 'device'] as const) {
    it(`--update ${update}: pty twin, faults off and on (garble 1%, drop 0.1%, resets), equals in-process`, async () => {
      const steps = 120;
      const local = await run('twin', update, steps);
      // it learned something, so the comparison is not between two untouched boards
      expect(local.trainMse).toBeLessThan(local.initialTrainMse / 3);
      const clean = await run('pty', update, steps, { twinBaud: 1_000_000 });
      expect(Array.from(clean.settings)).toEqual(Array.from(local.settings));
      // resets every 60 commands: several per run (every ~20-60 steps, far more often than the 500; protocol 1.4
      // takes one or two commands per step where 1.3 took four to eight)
      const faulty = await run('pty', update, steps, {
        twinBaud: 1_000_000,
        faults: 'garble=0.01,drop=0.001,reset-every=60',
        serial: { timeoutMs: 100 },
      });
      expect(faulty.events.filter((e) => e.type === 'reset-detected').length).toBeGreaterThanOrEqual(2);
      expect(Array.from(faulty.settings)).toEqual(Array.from(local.settings));
      expect(faulty.trainMse).toBe(local.trainMse);
    }, 180_000);
  }
});
