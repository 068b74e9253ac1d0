/**
 * Issue 13 point 4: the host (src/device, src/pipeline) against the real firmware in its emulator under wire faults
 * and power cycles. The emulator's model is the shipped one with `adc_noise 0`, so that with one seed the firmware's
 * learning is a deterministic function of its state (tap settings, sources, clamps): a run hit by faults must then
 * end with exactly the settings of the same run without them, and an autonomous run must deliver exactly the frames
 * of the clean run, each once, in order. Independent truth: the clean run on the same emulated board.
 * The counts (power cycles, retries, RESENDs, garbled and dropped lines, redone steps) are printed; they are what the
 * faults cost.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import { SerialPort } from 'serialport';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BoardEvent, RunFrame, Schedule } from '../../src/device/Board.js';
import type { SerialBoardOptions } from '../../src/device/SerialBoard.js';
import { readNetworkFile } from '../../src/formats/networkFile.js';
import { readTaskFile } from '../../src/formats/taskFile.js';
import type { Task } from '../../src/physics/Task.js';
import { trainOnBoard, type UpdateSite } from '../../src/pipeline/trainOnBoard.js';
import { assertFirmwareBuilt, firmwareSkipReason } from '../firmwareBuildSetup.js';
import { emulatedBoard, noiselessModel, type EmulatedHandle } from './emulatedBoard.js';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const SEED = 5;
const BAUD = 115200;

/**
 * The emulator's faults are per line in each direction, as the twin's (garble=0.01: 1 % of the lines get one bit of
 * one byte flipped; drop=0.001: 0.1 % are lost whole). A garbled or lost reply costs one retry after a timeout, so
 * the per-attempt timeout is short and the retries many; a late reply is harmless (same SEQ: the firmware replays
 * its cached reply, the host drops the copy). Bounds, not timings.
 */
const LOSSY: SerialBoardOptions = { baseTimeoutMs: 400, retries: 60, backoff: { baseMs: 5, maxMs: 50 } };

/** Host options that count the RESEND lines the host writes (a SerialPort whose write is watched). */
function countingResends(counter: { resends: number }, lossy: boolean): SerialBoardOptions {
  return {
    ...(lossy ? LOSSY : {}),
    watchPathMs: 500,
    portFactory: ({ path, baudRate }) => {
      const port = new SerialPort({ path, baudRate, autoOpen: false });
      const write = port.write.bind(port) as (...a: unknown[]) => boolean;
      (port as unknown as { write: (...a: unknown[]) => boolean }).write = (...a: unknown[]) => {
        const text = Buffer.isBuffer(a[0]) ? a[0].toString('latin1') : String(a[0]);
        counter.resends += text.split('\n').filter((l) => /^\d+ RESEND /.test(l)).length;
        return write(...a);
      };
      return port;
    },
  };
}

/** Counts of the board's events: retries, resets detected, restores, link errors. */
function watch(h: EmulatedHandle): Record<string, number> {
  const n: Record<string, number> = { retry: 0, 'reset-detected': 0, 'state-restored': 0, 'link-error': 0, reconnecting: 0 };
  h.board.events.subscribe((e: BoardEvent) => {
    if (e.type in n) n[e.type]++;
  });
  return n;
}

const skip = firmwareSkipReason();
describe.skipIf(skip !== undefined)(`the host against the emulated firmware under faults${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let model = '';
  let task: Task;

  beforeAll(() => {
    assertFirmwareBuilt();
    model = noiselessModel();
    const dir = mkdtempSync(join(tmpdir(), 'clln-emu-faults-'));
    const net = join(dir, 'board.json');
    const taskFile = join(dir, 'task.json');
    execFileSync(process.execPath, [CLI, 'network', 'board', 'clln-ref16', '--out', net]);
    // sources on two drivable nodes, ground on a third, targets on two clampable ones (HARDWARE.md: drive 0-3, clamp 12-15)
    execFileSync(process.execPath, [CLI, 'task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '13,14', '--ground', '1', '--count', '8', '--test', '2', '--seed', '1', '--network', net, '--out', taskFile]);
    const network = readNetworkFile(net);
    task = readTaskFile(taskFile, network);
  });

  const STEPS = 80;
  // issue 13's fault run: garble 1 %, drop 0.1 % per line, and a power cycle every 8 steps
  const FAULTS = 'garble=0.01,drop=0.001';
  const POWER_AT = [4, 12, 20, 28, 36, 44, 52, 60, 68, 76];

  it.each(['host', 'device'] as UpdateSite[])(
    `trainOnBoard --update %s: ${FAULTS} (per line), power cycles after steps ${POWER_AT.join(', ')}: the clean run's settings exactly`,
    async (update) => {
      const train = async (faults: string | undefined, powerAt: number[]) => {
        const counter = { resends: 0 };
        const h = await emulatedBoard({ model, seed: SEED, baud: BAUD, faults, serial: countingResends(counter, faults !== undefined) });
        const events = watch(h);
        try {
          const r = await trainOnBoard(h.board, task, {
            update,
            steps: STEPS,
            order: 'sequential',
            seed: 3,
            onStep: (s) => {
              // a power cycle now: it lands somewhere in the next step's commands
              if (powerAt.includes(s.step)) void h.emu.power();
            },
          });
          const emu = await h.emu.stats();
          return { r, emu, events, link: { ...h.board.stats }, resends: counter.resends };
        } finally {
          await h.cleanup();
        }
      };
      const clean = await train(undefined, []);
      const faulty = await train(FAULTS, POWER_AT);
      console.log(
        `emulated firmware, --update ${update}, ${STEPS} steps, ${FAULTS}: power cycles ${faulty.emu.power_cycles}, ` +
          `lines garbled ${faulty.emu.garbled}, dropped ${faulty.emu.dropped}; host retries ${faulty.link.retries}, timeouts ${faulty.link.timeouts}, ` +
          `resets detected ${faulty.link.resetsDetected}, restores ${faulty.link.restores}, link errors ${JSON.stringify(faulty.link.linkErrors)}, ` +
          `RESENDs ${faulty.resends}, redone steps ${faulty.r.redoneSteps} (clean run: retries ${clean.link.retries}, redone ${clean.r.redoneSteps})`,
      );
      expect(clean.emu.garbled + clean.emu.dropped + clean.emu.power_cycles).toBe(0);
      expect(clean.r.steps).toBe(STEPS);
      expect(faulty.r.steps).toBe(STEPS);
      // the faults did happen, and the host noticed each power cycle (the boot counter moved)
      expect(faulty.emu.power_cycles).toBe(POWER_AT.length);
      expect(faulty.emu.garbled).toBeGreaterThan(0);
      expect(faulty.link.resetsDetected).toBe(POWER_AT.length);
      expect(faulty.link.retries).toBeGreaterThan(0);
      // the learning moved the board, and the faulty run ended exactly where the clean one did
      expect(Array.from(clean.r.settings)).not.toEqual(new Array(24).fill(128));
      expect(Array.from(faulty.r.settings)).toEqual(Array.from(clean.r.settings));
      expect(faulty.r.trainMse).toBe(clean.r.trainMse);
    },
    300_000,
  );

  it('an autonomous run under garble 2 % and drop 2 % per line (4 % of the frames lost) delivers every frame of the clean run exactly once, in order', async () => {
    const steps = 240;
    const sched = (): Schedule => ({
      steps,
      sources: [0, 3, 1],
      targets: [13, 14],
      examples: [
        { in: [4, 0.5, 0], out: [2.1, 1.2] },
        { in: [3, 1.5, 0], out: [1.6, 1.0] },
        { in: [2, 4.5, 0], out: [2.4, 2.0] },
      ],
      eta: 0.5,
    });
    const STREAM_FAULTS = 'garble=0.02,drop=0.02';
    const stream = async (faults: string | undefined) => {
      const counter = { resends: 0 };
      const h = await emulatedBoard({ model, seed: SEED, baud: BAUD, faults, serial: countingResends(counter, faults !== undefined) });
      const events = watch(h);
      try {
        const frames: RunFrame[] = await firstValueFrom(h.board.runSchedule(sched(), 8).pipe(toArray()));
        const settings = Array.from(await h.board.readEdges());
        return { frames, settings, emu: await h.emu.stats(), link: { ...h.board.stats }, events, resends: counter.resends };
      } finally {
        await h.cleanup();
      }
    };
    const clean = await stream(undefined);
    const faulty = await stream(STREAM_FAULTS);
    console.log(
      `emulated firmware, autonomous run of ${steps} steps, window 8, ${STREAM_FAULTS} (per line): lines garbled ${faulty.emu.garbled}, dropped ${faulty.emu.dropped}; ` +
        `host retries ${faulty.link.retries}, timeouts ${faulty.link.timeouts}, RESENDs ${faulty.resends}, link errors ${JSON.stringify(faulty.link.linkErrors)}, ` +
        `resets detected ${faulty.link.resetsDetected} (clean run: RESENDs ${clean.resends}, retries ${clean.link.retries})`,
    );
    const plain = (fs: RunFrame[]) => fs.map((f) => ({ step: f.step, example: f.example, free: Array.from(f.freeTargets), changed: f.changed }));
    expect(clean.frames.map((f) => f.step)).toEqual([...Array(steps).keys()]);
    expect(clean.frames.some((f) => f.changed > 0)).toBe(true);
    expect(faulty.emu.garbled).toBeGreaterThan(0);
    expect(faulty.emu.dropped).toBeGreaterThan(0);
    // frames were lost on the wire and asked for again
    expect(faulty.resends).toBeGreaterThan(0);
    expect(plain(faulty.frames)).toEqual(plain(clean.frames));
    expect(faulty.settings).toEqual(clean.settings);
  }, 300_000);
});
