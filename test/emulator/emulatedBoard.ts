/**
 * The reference firmware in its emulator as a board under test: `serveFirmware` (src/pipeline/serveFirmware.ts)
 * starts clln-emu on the build of the vitest global setup (test/firmwareBuildSetup.ts, `CLLN_BUILD_DIR`), and the
 * host opens its pty with `openSerialBoard`, exactly as it opens a real board.
 *
 * Serial options: the emulator runs the MCU in real time while it sleeps and as fast as it can while it computes,
 * but on a loaded 2-core machine the process may not get a core for a while, so the timeouts here are generous
 * bounds on a hung board (seconds), not expectations of its speed. A test's correctness never depends on them:
 * a late reply only costs a retry, which the protocol's duplicate history answers exactly once.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSerialBoard, type SerialBoard, type SerialBoardOptions } from '../../src/device/SerialBoard.js';
import { emulatorModelPath, serveFirmware, type ServeFirmwareOptions, type ServingFirmware } from '../../src/pipeline/serveFirmware.js';
import type { BoardUnderTest, MakeBoard } from '../device/harness.js';

/** Host options for an emulated board on a loaded machine (bounds, not timings; see the file comment). */
export function emulatorSerialOptions(baud: number): SerialBoardOptions {
  return {
    baudRate: baud,
    // added to the computed per-command wire and sampling time: covers a descheduled emulator
    baseTimeoutMs: 3000,
    retries: 6,
    backoff: { baseMs: 50, maxMs: 1000 },
    reconnect: { attempts: 20, baseMs: 100, maxMs: 2000, limitMs: 120_000 },
    openTimeoutMs: 10_000,
    // a run step takes ~60 ms of MCU time; a frame later than this is re-requested (GRANT), never lost
    frameTimeoutMs: 5000,
  };
}

export interface EmulatedHandle extends BoardUnderTest<SerialBoard> {
  emu: ServingFirmware;
}

/** Options of {@link emulatedBoard}. */
export interface EmulatedBoardOptions extends Omit<ServeFirmwareOptions, 'baud'> {
  baud?: number;
  /** Host options replacing those of {@link emulatorSerialOptions}, field by field. */
  serial?: SerialBoardOptions;
}

/** Start the emulated firmware and open a SerialBoard on its pty. */
export async function emulatedBoard(opts: EmulatedBoardOptions = {}): Promise<EmulatedHandle> {
  const baud = opts.baud ?? 115200;
  const { serial, ...serve } = opts;
  const emu = await serveFirmware({ ...serve, baud, buildDir: process.env.CLLN_BUILD_DIR });
  try {
    const board = await openSerialBoard(emu.path, { ...emulatorSerialOptions(baud), ...serial });
    return {
      board,
      emu,
      // the firmware's STAT counts the learning steps since its boot (PROTOCOL.md 7.x)
      deviceSteps: async () => (await board.stat()).steps,
      // HARDWARE.md: every AD5206 wiper is at midscale (tap 128) after power-on
      powerOnEdge: 128,
      cleanup: async () => {
        await board.close();
        await emu.close();
      },
    };
  } catch (e) {
    await emu.close();
    throw e;
  }
}

/** A MakeBoard for the contract suite: a fresh emulator per test. */
export function overEmulator(baud: number): MakeBoard {
  return () => emulatedBoard({ baud });
}

/**
 * A copy of the shipped emulator model with `adc_noise 0`, in a new temporary folder: the firmware's learning is
 * then a deterministic function of its state (the drawn tolerances depend on the seed only), so two runs with the
 * same seed end with the same settings whatever faults hit the wire.
 */
export function noiselessModel(): string {
  const text = readFileSync(emulatorModelPath('clln-ref16'), 'utf8');
  if (!/^adc_noise\s/m.test(text)) throw new Error('the shipped emulator model has no adc_noise line');
  const file = join(mkdtempSync(join(tmpdir(), 'clln-emu-model-')), 'noiseless.model');
  writeFileSync(file, text.replace(/^adc_noise\s.*$/m, 'adc_noise 0'));
  return file;
}
