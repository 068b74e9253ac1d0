/**
 * Firmware throughput benchmark (issue 13, point 5; issue 18, point 4): the reference C firmware
 * (firmware-protocol/firmware, protocol 1.4) running in its emulator (`serveFirmware`, clln-emu on libsimavr), driven
 * through the serial host (`SerialBoard` on the emulator's pty) exactly as a real board is; beside it, in the same
 * run, the twin of the same model at the same protocol (`twin:clln-ref16` served on a pty by a child process,
 * `clln twin serve --pty --baud B --protocol 1.4`), and, as the baseline of what 1.4 saves on the firmware, the last
 * 1.3 build of the same firmware (taken from git at {@link BASELINE_REF}; left out, with a note, where git cannot
 * give it).
 *
 * For each board, at 115200 baud and at 1 Mbaud:
 * - host-stepped training (`trainOnBoard`, update 'host': at 1.4 CYCLE and ESET per step; at 1.3 CLAMP -, SRC,
 *   MEAS, CLAMP, MEAS, CLAMP -, ESET), device-stepped training (update 'device': at 1.4 one STEP src=; at 1.3
 *   CLAMP -, SRC, STEP, EGET), and a streamed autonomous run (`runSchedule`: SCHED, RUN, then frames against
 *   credits; the same at both versions, so the 1.3 baseline skips it);
 * - steps per wall second, over the steps between the end of the first and the end of the last (the training-set
 *   evaluations around a run, and the schedule upload, are set-up, not steps);
 * - bytes per step on the wire from the host's counters (and the emulator's rx/tx counters beside them, a check),
 *   and the wire bound: stop-and-wait modes put every byte of both directions on the line in turn, so the bound is
 *   (out + in) x 10 bits / baud per step; a streamed run sends frames one way while credits flow the other way on the
 *   full-duplex line, so its bound is the larger direction's bytes x 10 / baud (as bench/protocol.ts counts);
 * - for the firmware, steps per MCU second (the emulator's `stats().mcu_seconds`): a busy MCU runs faster (or slower)
 *   than the wall clock in the emulator, an idle one in real time, so MCU time is what a real board would take,
 *   where wall time depends on this machine's load; and the MCU time of one step broken down: the ADC conversions
 *   (the bound, HARDWARE.md "ADC"), SPI bytes at simavr's 100 us per byte, UART time, and the rest.
 *
 * No thresholds: the figures are printed beside their bounds. Needs the firmware tools (README "System tools") and
 * the built CLI (the pty twin); without the tools it prints the install command and skips.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { startPtyTwin } from '../src/device/connectBoard.js';
import { openSerialBoard, type SerialBoard } from '../src/device/SerialBoard.js';
import { linearTask } from '../src/physics/generators/linearTask.js';
import { buildFirmware, FIRMWARE_INSTALL, missingFirmwareTools, serveFirmware, type EmulatorStats, type ServingFirmware } from '../src/pipeline/serveFirmware.js';
import { trainOnBoard } from '../src/pipeline/trainOnBoard.js';
import { ratio, table } from './timing.js';

/** ADC conversion time, ms: prescaler 128 at 16 MHz = 125 kHz, 13 ADC clocks (HARDWARE.md "ADC"). */
const CONVERSION_MS = (13 * 128) / 16e6 * 1000;
/** Nodes read per state, samples averaged per node in a step (PROTOCOL.md STEP and the host's default MEAS). */
const NODES = 16;
const SAMPLES = 16;
/**
 * MCU time of the conversions of one learning step, ms: two states (free, clamped) x 16 nodes x (16 samples + the
 * first conversion after each channel change, thrown away) x 104 us = 56.6 ms. The bound of a step on this board.
 */
export const ADC_MS_PER_STEP = 2 * NODES * (SAMPLES + 1) * CONVERSION_MS;
/** simavr 1.6 completes every SPI byte 100 us after SPDR is written, whatever the SPI clock (emulator README). */
const SIMAVR_SPI_MS_PER_BYTE = 0.1;
/** A real board's SPI byte at fosc/4 = 4 MHz: 8 bits = 2 us (plus a few cycles of the loop around it). */
const REAL_SPI_MS_PER_BYTE = 0.002;

/** UBRR0 of the firmware's build (HARDWARE.md "UART", double speed): round(16 MHz / (8 x baud)) - 1 = 16 and 1. */
function ubrr(baud: number): number {
  return Math.round(16e6 / (8 * baud)) - 1;
}

/** A real board's UART byte, ms: 10 bits (8N1) of 8 x (UBRR0 + 1) cycles (117647 baud at 115200, 1 Mbaud exact). */
function realUartMsPerByte(baud: number): number {
  return (10 * 8 * (ubrr(baud) + 1) * 1000) / 16e6;
}

/**
 * The emulated UART byte, ms, as simavr 1.6 times it (avr_uart.c, avr_uart_baud_write): it computes the byte time
 * when UBRR0 is written, from U2X0 as it is at that moment, and counts 11 bits per byte (start, 8 data, a parity bit
 * even when parity is off, stop). The firmware sets U2X0 before it writes UBRR0 (an earlier build did it the other
 * way round, which made simavr run the link at half the rate), so the emulated byte is 11/10 of a real board's.
 */
function emuUartMsPerByte(baud: number): number {
  return (11 * 8 * (ubrr(baud) + 1) * 1000) / 16e6;
}

/** Steps timed per case: enough for a stable mean, few enough that the bench stays within ~3 minutes. */
const STEPPED_STEPS = 60;
const STREAMED_STEPS = 100;

/**
 * The task: drive nodes 0 and 1, ground node 3 (all three drive channels of HARDWARE.md), read out the clamp nodes
 * 12 and 13. Four examples, so the training-set evaluations around a run stay short.
 */
const task = linearTask({ matrix: [[0.3, 0.1], [0.1, 0.3]], sources: [0, 1], ground: [3], targets: [12, 13], count: 4, test: 0, seed: 1, inputRange: [0.5, 4.5] });
/** Drive channels a step sets (sources and ground) and clamp channels (targets). */
const N_DRIVE = task.sources.length + task.ground.length;
const N_CLAMP = task.targets.length;

export type Mode = 'host-stepped' | 'device-stepped' | 'streamed';
const MODES: Mode[] = ['host-stepped', 'device-stepped', 'streamed'];

/** The boards: this firmware (1.4), its last 1.3 build (the baseline), the twin at 1.4. */
export type BenchBoard = 'firmware' | 'firmware-1.3' | 'twin';

/**
 * The last commit whose firmware (and emulator) spoke protocol 1.3: the baseline build. The bench extracts its
 * firmware-protocol/firmware and firmware-protocol/emulator with `git archive` and serves them like this tree's.
 */
export const BASELINE_REF = '0aa0c54f4c5c32a25e7c4e855388270da89cbe42';

/**
 * SPI bytes the firmware sends in one step, from its code (src/engine.c, src/boardio.c) — checked against the
 * emulator's own `spi_words` counter (20 steps per mode at 1 Mbaud; 1.3: 41.8, 45.55 and 41 words per step, 1.4
 * host- and device-stepped: 37.8 and 37.55, as these formulas give in words), which serveFirmware's stats do not
 * pass on: every SRC, CLAMP and each
 * state of a learning step or cycle re-applies all channels (2 bytes per AD5328 word of each driven or clamped
 * channel, then the ADG714 switch byte), and each edge that moves is one 2-byte AD5206 word.
 * - host-stepped, 1.4: CYCLE: free (drive), clamped (drive + clamp), released (drive); ESET (moved edges);
 * - host-stepped, 1.3: CLAMP - (drive), SRC (drive), CLAMP (drive + clamp), CLAMP - (drive), ESET (moved edges);
 * - device-stepped, 1.4: STEP src=: free (drive), clamped (drive + clamp), released (drive), moved edges;
 * - device-stepped, 1.3: CLAMP -, SRC, then the same STEP;
 * - streamed: the run step sets its sources, then the same three states and moved edges as STEP.
 */
export function spiBytesPerStep(mode: Mode, changed: number, protocol: '1.3' | '1.4' = '1.4'): number {
  const drive = 2 * N_DRIVE + 1;
  const both = 2 * (N_DRIVE + N_CLAMP) + 1;
  const drives = mode === 'streamed' ? 3 : protocol === '1.4' ? 2 : mode === 'device-stepped' ? 4 : 3;
  return drives * drive + both + 2 * changed;
}

export interface FirmwareCase {
  board: BenchBoard;
  baud: number;
  mode: Mode;
  steps: number;
  wallS: number;
  stepsPerWallS: number;
  /** Host counters per step. */
  bytesOutPerStep: number;
  bytesInPerStep: number;
  /** The emulator's counters per step (firmware only): bytes the MCU received and sent. */
  emuRxPerStep: number | null;
  emuTxPerStep: number | null;
  /** Bytes x 10 / baud per step, see the file comment, as steps per second. */
  wireBoundPerS: number;
  /** stepsPerWallS / wireBoundPerS. */
  wallOverWire: number;
  /** Firmware only: MCU seconds of the timed steps, steps per MCU second, and the MCU time per step broken down (ms). */
  mcuS: number | null;
  stepsPerMcuS: number | null;
  mcuOverWire: number | null;
  mcuMsPerStep: number | null;
  adcMs: number;
  spiBytesPerStep: number;
  spiMs: number | null;
  uartMs: number | null;
  restMs: number | null;
  /** MCU seconds per wall second over the timed steps (the emulator's speed). */
  mcuPerWall: number | null;
  /**
   * Steps per second of a real board: the MCU time per step with SPI at 4 MHz instead of simavr's 100 us per byte and
   * the UART at its real rate (10-bit bytes at 117647 or 1000000 baud) instead of simavr's (see emuUartMsPerByte).
   */
  realBoardPerS: number | null;
  meanChanged: number;
  /** Host commands per step (round trips; a streamed run's are its GRANTs). */
  commandsPerStep: number;
}

export interface FirmwareResults {
  skipped?: string;
  loadStart: number[];
  loadEnd: number[];
  adcMsPerStep: number;
  cases: FirmwareCase[];
  /** Why the 1.3 baseline is missing, when it is. */
  baselineSkipped?: string;
}

interface Served {
  path: string;
  stats: (() => Promise<EmulatorStats>) | null;
  stop: () => Promise<void>;
}

/** The firmware and emulator sources of the 1.3 baseline, extracted into a temporary folder (see BASELINE_REF). */
interface Baseline {
  sources: { firmware: string; emulator: string };
  remove: () => void;
}

/** Extract the 1.3 baseline from git; a message saying why not when git cannot (no repository, a shallow clone). */
function extractBaseline(): Baseline | string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const dir = mkdtempSync(join(tmpdir(), 'clln-fw13-'));
  try {
    const tar = execFileSync('git', ['-C', root, 'archive', '--format=tar', BASELINE_REF, 'firmware-protocol/firmware', 'firmware-protocol/emulator'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    execFileSync('tar', ['-x', '-C', dir], { input: tar, stdio: ['pipe', 'ignore', 'pipe'] });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return `the 1.3 baseline (git ${BASELINE_REF.slice(0, 10)}) is not available here: ${(e as Error).message.split('\n')[0]}`;
  }
  return {
    sources: { firmware: join(dir, 'firmware-protocol', 'firmware'), emulator: join(dir, 'firmware-protocol', 'emulator') },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function serve(board: BenchBoard, baud: number, baseline: Baseline | null): Promise<Served> {
  if (board === 'twin') {
    // the twin speaking the firmware's protocol, so that both sides exchange the same commands
    const twin = await startPtyTwin('clln-ref16', { twinBaud: baud, twinProtocol: '1.4' });
    return { path: twin.path, stats: null, stop: twin.stop };
  }
  const sources = board === 'firmware-1.3' ? baseline!.sources : undefined;
  const emu: ServingFirmware = await serveFirmware({ baud, seed: 0, sources });
  return { path: emu.path, stats: () => emu.stats(), stop: () => emu.close() };
}

interface Mark {
  t: number;
  out: number;
  in: number;
  commands: number;
  emu: Promise<EmulatorStats> | null;
}

function mark(b: SerialBoard, s: Served): Mark {
  const st = b.stats;
  return { t: performance.now(), out: st.bytesOut, in: st.bytesIn, commands: st.commands, emu: s.stats ? s.stats() : null };
}

async function runCase(board: BenchBoard, baud: number, mode: Mode, baseline: Baseline | null): Promise<FirmwareCase> {
  const served = await serve(board, baud, baseline);
  try {
    return await timeCase(served, board, baud, mode);
  } finally {
    await served.stop();
  }
}

async function timeCase(served: Served, board: BenchBoard, baud: number, mode: Mode): Promise<FirmwareCase> {
  // confirmReads off: no faults here, and its extra STAT would be this host's choice of overhead, not the protocol's
  const b = await openSerialBoard(served.path, { baudRate: baud, confirmReads: false });
  let m0: Mark | undefined;
  let m1: Mark | undefined;
  let changedSum = 0;
  let steps: number;
  try {
    if (mode === 'streamed') {
      const n = STREAMED_STEPS;
      const sched = {
        steps: n,
        sources: [...task.sources, ...task.ground],
        targets: [...task.targets],
        eta: 0.1,
        examples: task.train.map((e) => ({ in: [...e.in, ...task.ground.map(() => 0)], out: e.out })),
      };
      await lastValueFrom(
        b.runSchedule(sched).pipe(
          tap((f) => {
            if (f.step === 0) m0 = mark(b, served);
            else changedSum += f.changed;
            if (f.step === n - 1) m1 = mark(b, served);
          }),
          toArray(),
        ),
      );
      steps = n - 1;
    } else {
      steps = STEPPED_STEPS;
      await trainOnBoard(b, task, {
        update: mode === 'host-stepped' ? 'host' : 'device',
        steps: steps + 1,
        order: 'sequential',
        onStep: (r) => {
          if (r.step === 0) m0 = mark(b, served);
          else changedSum += r.changed;
          if (r.step === steps) m1 = mark(b, served);
        },
      });
    }
  } finally {
    await b.close();
  }
  const e0 = m0!.emu ? await m0!.emu : null;
  const e1 = m1!.emu ? await m1!.emu : null;
  const wallS = (m1!.t - m0!.t) / 1000;
  const out = (m1!.out - m0!.out) / steps;
  const inn = (m1!.in - m0!.in) / steps;
  // stop-and-wait: both directions in turn; streamed: the directions overlap, the larger one bounds
  const wireS = ((mode === 'streamed' ? Math.max(out, inn) : out + inn) * 10) / baud;
  const meanChanged = changedSum / steps;
  const spiBytes = spiBytesPerStep(mode, meanChanged, board === 'firmware-1.3' ? '1.3' : '1.4');
  const c: FirmwareCase = {
    board,
    baud,
    mode,
    steps,
    wallS,
    stepsPerWallS: steps / wallS,
    bytesOutPerStep: out,
    bytesInPerStep: inn,
    emuRxPerStep: null,
    emuTxPerStep: null,
    wireBoundPerS: 1 / wireS,
    wallOverWire: wireS / (wallS / steps),
    mcuS: null,
    stepsPerMcuS: null,
    mcuOverWire: null,
    mcuMsPerStep: null,
    adcMs: ADC_MS_PER_STEP,
    spiBytesPerStep: spiBytes,
    spiMs: null,
    uartMs: null,
    restMs: null,
    mcuPerWall: null,
    realBoardPerS: null,
    meanChanged,
    commandsPerStep: (m1!.commands - m0!.commands) / steps,
  };
  if (e0 && e1) {
    const mcuS = e1.mcu_seconds - e0.mcu_seconds;
    const mcuMs = (1000 * mcuS) / steps;
    const rx = (e1.rx_bytes - e0.rx_bytes) / steps;
    const tx = (e1.tx_bytes - e0.tx_bytes) / steps;
    // The UART time a step spends in MCU time: stop-and-wait, the MCU waits for each command's bytes and blocks while
    // it sends each reply; streamed, it blocks while a frame goes out and takes the credits by interrupt meanwhile.
    const uartBytes = mode === 'streamed' ? tx : rx + tx;
    const uartMs = uartBytes * emuUartMsPerByte(baud);
    const spiMs = spiBytes * SIMAVR_SPI_MS_PER_BYTE;
    Object.assign(c, {
      mcuS,
      stepsPerMcuS: steps / mcuS,
      mcuOverWire: (wireS * steps) / mcuS,
      mcuMsPerStep: mcuMs,
      emuRxPerStep: rx,
      emuTxPerStep: tx,
      spiMs,
      uartMs,
      restMs: mcuMs - ADC_MS_PER_STEP - spiMs - uartMs,
      mcuPerWall: mcuS / wallS,
      realBoardPerS: 1000 / (mcuMs - spiBytes * (SIMAVR_SPI_MS_PER_BYTE - REAL_SPI_MS_PER_BYTE) - uartBytes * (emuUartMsPerByte(baud) - realUartMsPerByte(baud))),
    });
  }
  return c;
}

export async function runFirmwareBench(log: (s: string) => void): Promise<FirmwareResults> {
  const loadStart = loadavg();
  const missing = missingFirmwareTools();
  if (missing.length > 0) {
    const skipped = `the firmware bench needs ${missing.join(', ')}: install with sudo ${FIRMWARE_INSTALL}`;
    return { skipped, loadStart, loadEnd: loadavg(), adcMsPerStep: ADC_MS_PER_STEP, cases: [] };
  }
  const baseline = extractBaseline();
  const base = typeof baseline === 'string' ? null : baseline;
  try {
    // build (or find in the cache) every firmware build and the emulator first, so no case's time includes a build
    for (const baud of [115200, 1_000_000]) {
      await buildFirmware({ baud, log });
      if (base) await buildFirmware({ baud, log, sources: base.sources });
    }
    const cases: FirmwareCase[] = [];
    for (const baud of [115200, 1_000_000]) {
      for (const mode of MODES) {
        // the streamed run is the same at 1.3 and 1.4 (SCHED, RUN, GRANT): no baseline for it
        const boards: BenchBoard[] = base && mode !== 'streamed' ? ['firmware', 'firmware-1.3', 'twin'] : ['firmware', 'twin'];
        for (const board of boards) {
          log(`bench: firmware ${board} ${baud} baud ${mode} ...`);
          cases.push(await runCase(board, baud, mode, base));
        }
      }
    }
    return { loadStart, loadEnd: loadavg(), adcMsPerStep: ADC_MS_PER_STEP, cases, ...(base ? {} : { baselineSkipped: baseline as string }) };
  } finally {
    base?.remove();
  }
}

const f = (x: number | null, d: number): string => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(d));

export function printFirmware(r: FirmwareResults): string {
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  if (r.skipped) return `skipped: ${r.skipped}\n`;
  const a = table(
    ['board', 'baud', 'training', 'steps', 'B/step out+in', 'emu rx+tx', 'wire bound/s', 'steps/wall s', 'wall/wire', 'steps/MCU s', 'MCU/wire'],
    r.cases.map((c) => [
      c.board === 'firmware' ? 'firmware 1.4 (emu)' : c.board === 'firmware-1.3' ? 'firmware 1.3 (emu)' : 'twin 1.4 (pty)',
      String(c.baud),
      c.mode,
      String(c.steps),
      `${c.bytesOutPerStep.toFixed(0)}+${c.bytesInPerStep.toFixed(0)}`,
      c.emuRxPerStep === null ? '—' : `${c.emuRxPerStep.toFixed(0)}+${c.emuTxPerStep!.toFixed(0)}`,
      f(c.wireBoundPerS, 1),
      f(c.stepsPerWallS, 2),
      ratio(c.wallOverWire),
      f(c.stepsPerMcuS, 2),
      ratio(c.mcuOverWire),
    ]),
  );
  const fw = r.cases.filter((c) => c.board !== 'twin');
  const b = table(
    ['proto', 'baud', 'training', 'MCU ms/step', 'ADC (bound)', 'SPI (B x 0.1 ms)', 'UART', 'rest', 'cmds/step', 'rest/cmd', 'ADC/MCU', 'MCU s/wall s', 'real board steps/s'],
    fw.map((c) => [
      c.board === 'firmware-1.3' ? '1.3' : '1.4',
      String(c.baud),
      c.mode,
      f(c.mcuMsPerStep, 1),
      f(c.adcMs, 1),
      `${f(c.spiMs, 1)} (${c.spiBytesPerStep.toFixed(0)} B)`,
      f(c.uartMs, 1),
      f(c.restMs, 1),
      f(c.commandsPerStep, 1),
      c.commandsPerStep >= 1 && c.restMs !== null ? f(c.restMs / c.commandsPerStep, 1) : '—',
      ratio(c.mcuMsPerStep === null ? null : c.adcMs / c.mcuMsPerStep),
      f(c.mcuPerWall, 2),
      f(c.realBoardPerS, 1),
    ]),
  );
  return (
    `load average (1, 5, 15 min): ${load(r.loadStart)} at start, ${load(r.loadEnd)} at end\n` +
    (r.baselineSkipped ? `(${r.baselineSkipped})\n` : '') +
    `\n${a}\n\n` +
    `MCU time of one step of the emulated firmware (ms; ADC = 2 states x 16 nodes x (16 + 1 discarded) conversions x 104 us = ${r.adcMsPerStep.toFixed(1)} ms, ` +
    `the bound: ${(1000 / r.adcMsPerStep).toFixed(1)} steps/s)\n\n${b}\n\n` +
    'B/step: host bytes out + in per step (emu rx+tx: the emulator\'s count of the same). wire bound: stop-and-wait (out + in) x 10 / baud,\n' +
    'streamed max(out, in) x 10 / baud. steps/MCU s: per second of the emulated MCU\'s time (what a real board would take;\n' +
    'wall time also depends on this machine). SPI: bytes from the firmware\'s code x simavr\'s 100 us per byte (a real board: 2 us).\n' +
    'UART: stepped (rx + tx), streamed tx, at simavr 1.6\'s byte time: 11-bit bytes at the set rate,\n' +
    '1.1x a real board\'s byte time. rest: the firmware\'s CPU (parsing,\n' +
    'int64 arithmetic, CRC, formatting) and, stop-and-wait, the host\'s turnaround while the MCU sleeps. ADC/MCU: the ADC bound over the MCU time.\n' +
    'real board: 1 / (MCU time per step with SPI at 4 MHz and 10-bit bytes at the real rate). The twin does not simulate conversion time (--step-ms default 3.6 ms per run step).\n'
  );
}
