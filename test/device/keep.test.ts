/**
 * Protocol 1.3 on the host side: the credit window never exceeds the board's `keep` (so a frame lost on the wire
 * is always still kept when the host asks for it with RESEND), and a run left `running` by another host is halted
 * when this host connects, so the board becomes usable. Against the twin over its serialport binding.
 */
import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunFrame, Schedule } from '../../src/device/Board.js';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import { openSerialBoard, type SerialBoard } from '../../src/device/SerialBoard.js';
import { checkSchedule } from '../../src/device/validateBoardValues.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBinding } from '../../twins/TwinBinding.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { bindingBoard, FAST, twinPortPath, type BindingHandle } from './harness.js';

const KEEP = 8;
/** penn-gen1 whose firmware keeps only the last 8 frames (ID keep=8). */
const smallKeep = (): TwinBoardCore => new TwinBoardCore({ ...loadBoardModel('penn-gen1'), step: { keep: KEEP } }, { ideal: true });
const SCHEDULE: Schedule = { steps: 120, sources: [0, 15], targets: [5, 10], examples: [{ in: [4, 0], out: [1, 2] }, { in: [3, 0], out: [2.5, 1.5] }], eta: 0.5 };

describe('the credit window is at most keep (PROTOCOL.md 1.3)', () => {
  it('checkSchedule caps the window at keep and leaves a smaller one alone; a 1.2 board counts as keep=256', () => {
    const id = smallKeep().identity();
    expect(id.limits.keep).toBe(KEEP);
    expect(checkSchedule(id, SCHEDULE, 40).window).toBe(KEEP);
    expect(checkSchedule(id, SCHEDULE, 5).window).toBe(5);
    expect(checkSchedule(id, SCHEDULE, undefined).window).toBe(Math.min(8, KEEP));
    const old = new TwinBoardCore(loadBoardModel('penn-gen1'), { ideal: true, protocol: '1.2' }).identity();
    expect(old.limits.keep).toBeUndefined();
    expect(checkSchedule(old, SCHEDULE, 1000).window).toBe(256);
    expect(checkSchedule(old, SCHEDULE, 100).window).toBe(100);
  });

  let h: BindingHandle | null = null;
  afterEach(async () => {
    await h?.cleanup();
    h = null;
  });

  it('with frames lost on the wire and a window asked far above keep, no RESEND asks for a frame older than keep; the run completes frame for frame', async () => {
    const core = smallKeep();
    h = await bindingBoard({ core, server: { faults: 'drop=0.12', seed: 7, stepMs: 0 } });
    const fw = h.twin.firmware;
    const resends: { step: number; produced: number }[] = [];
    const refused: string[] = [];
    let granted = 0;
    let maxAhead = 0;
    const orig = fw.receive.bind(fw);
    fw.receive = (body: string) => {
      const m = /^\d+ RESEND (\d+)$/.exec(body);
      // frames produced so far = steps the device has performed (one run since boot)
      if (m) resends.push({ step: Number(m[1]), produced: core.stats.steps });
      const out = orig(body);
      if (m && out.some((l) => / ERR 416 /.test(l) && /kept/.test(l))) refused.push(body);
      const g = /^\d+ GRANT (\d+)$/.exec(body);
      if (g && out.some((l) => / OK credits=/.test(l))) granted = Math.max(granted, core.stats.steps + Number(/credits=(\d+)/.exec(out.find((l) => / OK credits=/.test(l))!)![1]));
      maxAhead = Math.max(maxAhead, granted - core.stats.steps);
      return out;
    };
    const frames: RunFrame[] = await firstValueFrom(h.board.runSchedule(SCHEDULE, 40).pipe(toArray()));
    expect(frames.map((f) => f.step)).toEqual([...Array(SCHEDULE.steps).keys()]);
    expect(core.stats.steps).toBe(SCHEDULE.steps);
    expect(h.twin.server.stats.droppedLines).toBeGreaterThan(0);
    expect(resends.length, 'lost frames were asked for again').toBeGreaterThan(0);
    // the oldest frame the device still holds is produced - keep: every RESEND asks for one at or after it
    for (const r of resends) expect(r.step, `RESEND ${r.step} after ${r.produced} frames`).toBeGreaterThanOrEqual(r.produced - KEEP);
    expect(refused).toEqual([]);
    expect(maxAhead).toBeLessThanOrEqual(KEEP);
    // frame for frame what the in-process twin of the same board gives
    const ref = new InProcessTwinBoard(smallKeep());
    const refFrames = await firstValueFrom(ref.runSchedule(SCHEDULE, 40).pipe(toArray()));
    await ref.close();
    expect(frames).toEqual(refFrames);
  });
});

describe('a run left running by another host', () => {
  let board: SerialBoard | null = null;
  let close: (() => Promise<void>) | null = null;
  afterEach(async () => {
    await board?.close();
    await close?.();
    board = null;
    close = null;
  });

  it('is halted when this host connects, so the board answers state commands again', async () => {
    const path = twinPortPath();
    const binding = new TwinBinding();
    const twin = binding.serve(path, new TwinBoardCore(loadBoardModel('penn-gen1'), { ideal: true }), { baud: 0, stepMs: 0 });
    close = () => twin.close();
    // a host that uploaded a schedule, ran it for 3 steps with 2 more credits outstanding, and died (its frames went nowhere)
    let seq = 0;
    const send = (text: string): string[] => twin.firmware.receive(`${++seq} ${text}`);
    send('SCHED BEGIN steps=50 examples=1 src=0,15 tgt=9 eta=0.5');
    send('SCHED EX 0 in=4,0 out=1');
    send('SCHED END');
    send('RUN');
    send('GRANT 3');
    expect(send('STAT').join(' ')).toMatch(/run=running/);
    expect(send('EGET').join(' ')).toMatch(/ ERR 503 /); // busy: what a host that did not halt it would meet
    const commands: string[] = [];
    const orig = twin.firmware.receive.bind(twin.firmware);
    twin.firmware.receive = (body: string) => {
      commands.push(body.replace(/^\d+ /, ''));
      return orig(body);
    };
    board = await openSerialBoard(path, { binding, ...FAST });
    // TOPO is refused while the run is active (503, which the link retries a few times in case a run of its own is
    // finishing); then the host asks STAT, halts the run, and identifies the board
    const halt = commands.indexOf('HALT');
    const tries = commands.indexOf('STAT');
    expect(tries).toBeGreaterThan(0);
    expect(commands.slice(0, tries).every((c) => c === 'TOPO'), commands.join(' | ')).toBe(true);
    expect(commands.slice(tries, halt + 3), commands.join(' | ')).toEqual(['STAT', 'HALT', 'TOPO', 'ID']);
    expect(commands.filter((c) => c === 'HALT')).toHaveLength(1);
    const stat = await board.stat();
    expect(stat.run).toBe('halted');
    const steps = stat.runStep;
    expect(steps).toBeGreaterThanOrEqual(0);
    expect(steps).toBeLessThanOrEqual(3);
    // usable: reads and writes work, and the board runs this host's own schedule
    await board.writeEdges(new Map([[0, 10]]));
    expect((await board.readEdges())[0]).toBe(10);
    const frames = await firstValueFrom(board.runSchedule({ steps: 4, sources: [0, 15], targets: [9], examples: [{ in: [4, 0], out: [1] }], eta: 0.5 }).pipe(toArray()));
    expect(frames.map((f) => f.step)).toEqual([0, 1, 2, 3]);
    expect(board.identity.protocol).toBe('1.4');
  });
});
