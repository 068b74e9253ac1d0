/**
 * openBoardRun (issue 12, point 1): a board run assembled once for every front end. Checked here against the board
 * itself (the in-process twin's own state) and the record on disk, not against the code's earlier output:
 * - bad input is refused before anything is recorded or sent (an existing record, a network of another board, a task
 *   outside the DAC range), and whatever the run opened is closed again;
 * - a new run records the plan as given (defaults not written out) and ends its record with the engine's outcome;
 * - `files` as a function gets the identified board;
 * - a resumed run puts the recorded settings back on the board, continues at the step after the last recorded one,
 *   and appends to the same record.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Board, BoardIdentity } from '../../src/device/Board.js';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import { InvalidInputError } from '../../src/errors.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import type { Task } from '../../src/physics/Task.js';
import { openBoardRun, type BoardRunFiles } from '../../src/pipeline/openBoardRun.js';
import { readRun } from '../../src/store/readRun.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { boardNetwork } from '../../twins/boardNetwork.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-openrun-'));
let n = 0;
const fresh = (): string => join(dir, `run-${++n}.jsonl`);
const gen1 = boardNetwork(loadBoardModel('penn-gen1'));
const gen2 = boardNetwork(loadBoardModel('penn-gen2'));
const task = referenceTask({ count: 6, test: 2 });
const files = (t: Task = task, network = gen1): BoardRunFiles => ({ network, networkSource: 'net.json', task: t, taskSource: 'task.json' });

/** A twin board that counts every call made to it, and whether it was closed. */
function countingTwin(): { board: Board; calls: string[]; closed: () => boolean } {
  const twin = InProcessTwinBoard.create({ ideal: true });
  const calls: string[] = [];
  let closed = false;
  const board = new Proxy(twin, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        if (prop === 'close') closed = true;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as Board;
  return { board, calls, closed: () => closed };
}

describe('openBoardRun: bad input is refused before anything is recorded or sent', () => {
  it('an existing record: refused before the board is touched', async () => {
    const path = fresh();
    writeFileSync(path, 'x');
    const t = countingTwin();
    const err = await openBoardRun({ board: t.board, files: files(), plan: { steps: 3 }, record: path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/never overwritten/);
    expect(t.calls).toEqual([]);
  });

  it('a network of another board: refused after identifying, nothing recorded, the given board left open', async () => {
    const path = fresh();
    const t = countingTwin();
    const err = await openBoardRun({ board: t.board, spec: 'twin', files: files(task, gen2), plan: { steps: 3 }, record: path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/^net\.json: edges: has 32 edges but board penn-gen1 has 33/);
    expect(t.calls).toEqual(['identify']);
    expect(existsSync(path)).toBe(false);
    expect(t.closed()).toBe(false);
  });

  it('a target outside the DAC range: refused naming the task file, before a record is written or a voltage sent', async () => {
    const path = fresh();
    const bad: Task = { ...task, train: task.train.map((e, k) => (k === 1 ? { in: e.in, out: Float64Array.from([e.out[0], 7]) } : e)) };
    const t = countingTwin();
    const err = await openBoardRun({ board: t.board, spec: 'twin', files: files(bad), plan: { steps: 3 }, record: path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/^task\.json: train\[1\]\.out\[1\]: target voltage 7 V is outside the DAC range/);
    expect(t.calls).toEqual(['identify']);
    expect(existsSync(path)).toBe(false);
  });

  it('a connected board recorded without the spec that reaches it again: refused before the board is touched', async () => {
    const t = countingTwin();
    const err = await openBoardRun({ board: t.board, files: files(), plan: { steps: 3 }, record: fresh() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/spec: is needed to record a run/);
    expect(t.calls).toEqual([]);
  });

  it('plan options out of range: refused before connecting (a spec that would fail to connect is never tried)', async () => {
    const err = await openBoardRun({ board: 'serial:/nonexistent/port', files: files(), plan: { steps: 3, eta: 2 }, record: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/eta: must be a number in \(0, 1\]/);
  });
});

describe('openBoardRun: a new run', () => {
  it('records the plan as given and ends the record with the outcome; close leaves a given board open', async () => {
    const path = fresh();
    const t = countingTwin();
    let seen: BoardIdentity | undefined;
    const run = await openBoardRun({
      board: t.board,
      spec: 'twin',
      connect: { ideal: true },
      files: (id) => {
        seen = id;
        return files();
      },
      plan: { name: 'test', steps: 4, seed: 3 },
      record: path,
    });
    expect(seen?.model).toBe('penn-gen1');
    expect(run.checked).toBe(true); // host-stepped on a shipped model: every step checked
    expect(run.conductances).toBeDefined();
    const r = await run.run();
    await run.close();
    expect(r.stepsDone).toBe(4);
    expect(t.closed()).toBe(false);
    const rec = readRun(path);
    expect(rec.stop?.exit_status).toBe('success');
    expect(rec.events).toHaveLength(4);
    const start = rec.start as unknown as { plan: Record<string, unknown>; connection: Record<string, unknown> };
    expect(start.plan).toEqual({ name: 'test', steps: 4, seed: 3 }); // no defaults written out
    expect(start.connection).toEqual({ spec: 'twin', ideal: true });
    // the settings the record ends with are the board's own
    const last = rec.events[rec.events.length - 1].data as { settings: number[] };
    expect(last.settings).toEqual(Array.from(await t.board.readEdges()));
    await t.board.close();
  });
});

describe('openBoardRun({resume})', () => {
  it('puts the recorded settings back, continues after the last recorded step, and appends to the same record', async () => {
    const path = fresh();
    const first = await openBoardRun({ board: 'twin', connect: { ideal: true }, files: files(), plan: { steps: 10, seed: 5 }, record: path });
    first.engine.steps$.subscribe((s) => {
      if (s.step === 2) first.engine.stop();
    });
    const r1 = await first.engine.run(); // run by hand and not ended: the record stays resumable, as after a crash
    expect(r1.state).toBe('stopped');
    await first.close();
    const before = readRun(path);
    expect(before.stop).toBeUndefined();
    const recorded = before.events[before.events.length - 1].data as { step: number; settings: number[] };

    const second = await openBoardRun({ resume: path });
    try {
      // a fresh twin holds its power-on settings: these are the record's, put back
      expect(Array.from(await second.board.readEdges())).toEqual(recorded.settings);
      expect(second.plan.startStep).toBe(recorded.step + 1);
      expect(second.recordPath).toBe(path);
      const r2 = await second.run();
      expect(r2.stepsDone).toBe(10);
    } finally {
      await second.close();
    }
    const after = readRun(path);
    expect(after.stop?.exit_status).toBe('success');
    expect(after.events.map((e) => (e.data as { step: number }).step)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a record that is not a training run: refused naming the file, the record closed again', async () => {
    const path = fresh();
    const first = await openBoardRun({ board: 'twin', connect: { ideal: true }, files: files(), plan: { steps: 2 }, record: path });
    await first.run();
    await first.close();
    // a finished run cannot be continued
    const err = await openBoardRun({ resume: path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toContain(path);
  });
});
