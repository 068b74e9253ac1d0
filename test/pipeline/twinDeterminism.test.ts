/**
 * Issue 11 point 2: a seeded twin is a deterministic board. The noisy (default) twin keeps its own simulated time,
 * so the same seeds give the same run whichever transport carries the commands (in-process, the serial host over
 * the twin binding, the serial host over a pseudo-terminal to a `clln twin serve` process) and however loaded the
 * machine is. Before, drift followed the wall clock and two runs differed after a few hundred steps.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Board } from '../../src/device/Board.js';
import { connectBoard } from '../../src/device/connectBoard.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { trainOnBoard, type UpdateSite } from '../../src/pipeline/trainOnBoard.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { bindingBoard } from '../device/harness.js';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const task = referenceTask({ count: 20, test: 5 });
const SEED = 11;
const STEPS = 300;
// penn-gen1 with strong drift (20 %/h instead of 0.5 %/h), so that any dependence on real time shows within the run
const dir = mkdtempSync(join(tmpdir(), 'clln-determinism-'));
const MODEL = join(dir, 'drifty-gen1.json');
writeFileSync(MODEL, JSON.stringify({ ...loadBoardModel('penn-gen1'), drift: 0.2 }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The same plan on `board`, which is then closed. */
async function train(board: Board, update: UpdateSite) {
  try {
    const r = await trainOnBoard(board, task, { update, steps: STEPS, order: 'shuffle', seed: 2 });
    return { settings: Array.from(r.settings), trainMse: r.trainMse, testMse: r.testMse };
  } finally {
    await board.close();
  }
}

describe('a seeded noisy twin is a deterministic board, on every transport', () => {
  for (const update of ['host', 'device'] as const) {
    it(`--update ${update}: in-process twice, over the twin binding, and over a pty give the same run`, async () => {
      const a = await train(await connectBoard(`twin:${MODEL}`, { seed: SEED }), update);
      const b = await train(await connectBoard(`twin:${MODEL}`, { seed: SEED }), update);
      expect(b).toEqual(a);
      const core = new TwinBoardCore(loadBoardModel(MODEL), { seed: SEED });
      const h = await bindingBoard({ core, server: { seed: 1 } });
      try {
        expect(await train(h.board, update)).toEqual(a);
      } finally {
        await h.twin.close();
      }
      expect(existsSync(CLI)).toBe(true);
      const pty = await connectBoard(`pty:${MODEL}`, { seed: SEED, twinBaud: 1_000_000 });
      expect(await train(pty, update)).toEqual(a);
      // the twin is noisy: the run is not that of the ideal twin
      const ideal = await train(await connectBoard(`twin:${MODEL}`, { seed: SEED, ideal: true }), update);
      expect(ideal.settings).not.toEqual(a.settings);
    }, 180_000);
  }
});
