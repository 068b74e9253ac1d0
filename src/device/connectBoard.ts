/**
 * A Board from a spec string, as the CLI's `--board` option gives it:
 *
 * - `twin` / `twin:MODEL` — the twin in this process (InProcessTwinBoard), model `penn-gen1` by default;
 * - `pty` / `pty:MODEL` — the twin as a separate process on a pseudo-terminal (`clln twin serve --pty`, needs the
 *   built CLI, no system tool), reached through the serial host: the whole stack as with a real board;
 * - `emu` / `emu:MODEL` — the reference C firmware (firmware-protocol/firmware) running in its emulator
 *   (`clln firmware serve --pty`: needs the built CLI and the system tools of README "System tools"; it builds the
 *   firmware and the emulator on first use), MODEL `clln-ref16` (default) or an emulator `.model` file, reached
 *   through the serial host exactly as a real board;
 * - `serial:PATH` — a board on a serial port (e.g. `serial:/dev/ttyACM0`).
 *
 * Closing the returned board also stops what connectBoard started (the twin process of `pty`, the emulator of
 * `emu`). `pty` and `emu` start their server as a child process of the CLI (not by importing it: this layer starts
 * nothing of the pipeline's or the twins'), whose standard input is a pipe from this process, so that it goes when
 * this process dies, however it dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Observable } from 'rxjs';
import { CllnError, InvalidInputError, show } from '../errors.js';
import type { Board, BoardEvent, BoardIdentity, CallOptions, DeviceStepResult, RunFrame, Schedule } from './Board.js';
import { InProcessTwinBoard } from './InProcessTwinBoard.js';
import type { SerialBoardOptions, SerialBoardStats } from './SerialBoard.js';

/** Options of {@link connectBoard}. */
export interface ConnectOptions {
  /** Twin seed (twin, pty); default 0. */
  seed?: number;
  /** Ideal twin: no noise, drift, tolerance or DAC errors (twin, pty); default false. */
  ideal?: boolean;
  /**
   * Twin protocol version (twin, pty): `1.1` leaves the nominal edge law out of `ID`, `1.2` also `keep=`, `1.3` has no
   * compound commands (PROTOCOL.md 7.2); default the newest, 1.4 (the in-process twin has no wire: 1.3 and 1.4 are
   * the same board there).
   */
  twinProtocol?: '1.1' | '1.2' | '1.3' | '1.4';
  /** Twin fault spec for `pty`, e.g. `drop=0.01` (see twins/README.md); default none. */
  faults?: string;
  /** Pty twin: output pacing in baud (its `--baud`), also the host's baud rate for timeouts; default 115200. */
  twinBaud?: number;
  /** Pty twin: time per autonomous-run step in ms (its `--step-ms`); default from the model's sample rate. */
  twinStepMs?: number;
  /** Pty twin: how far ahead of its wire time a paced line may be written, ms (its `--lead-ms`); default 20. */
  twinLeadMs?: number;
  /** Serial host options (pty, serial). */
  serial?: SerialBoardOptions;
  /** The built CLI entry point that serves a pty twin; default dist/src/cli/main.js of this package. */
  cliPath?: string;
  /**
   * How long to wait for the pty twin or the emulator to print `READY <path>`, ms (default 15000; 300000 for `emu`,
   * whose first start builds the firmware and the emulator). A bound on a hung start, not a timing.
   */
  startTimeoutMs?: number;
}

const RULE = 'a board spec is twin[:MODEL], pty[:MODEL] or serial:PATH, or emu[:MODEL] for the emulated firmware';
const EXAMPLES = 'e.g. --board twin, --board twin:penn-gen2, --board pty, --board emu, --board serial:/dev/ttyACM0';

/** The board model of `emu` without one: the reference board the firmware is written for. */
const EMU_MODEL = 'clln-ref16';

/** Parse a spec without connecting; throws InvalidInputError naming the rule. */
export function parseBoardSpec(spec: string): { kind: 'twin' | 'pty' | 'emu'; model: string } | { kind: 'serial'; path: string } {
  if (typeof spec !== 'string') throw new InvalidInputError({ source: '--board' }, `${RULE}, got ${show(spec)}`, EXAMPLES);
  const m = /^(twin|pty|emu|serial)(?::(.*))?$/.exec(spec.trim());
  if (!m) throw new InvalidInputError({ source: '--board' }, `${RULE}, got ${show(spec)}`, EXAMPLES);
  const [, kind, rest] = m;
  if (kind === 'serial') {
    if (!rest) throw new InvalidInputError({ source: '--board' }, `serial needs a port path (serial:PATH), got ${show(spec)}`, "e.g. --board serial:/dev/ttyACM0; 'clln ports' lists the ports");
    return { kind: 'serial', path: rest };
  }
  if (rest !== undefined && !/^[A-Za-z0-9._/-]+$/.test(rest)) {
    throw new InvalidInputError({ source: '--board' }, `${kind}:MODEL needs a model name or file, got ${show(spec)}`, kind === 'emu' ? `e.g. emu:${EMU_MODEL} or emu:path/to/board.model` : 'e.g. twin:penn-gen1 or twin:penn-gen2');
  }
  if (kind === 'emu') return { kind, model: rest || EMU_MODEL };
  return { kind: kind as 'twin' | 'pty', model: rest || 'penn-gen1' };
}

/**
 * Link statistics of a connected board, when it has a serial link (pty twin, hardware); undefined for the in-process
 * twin.
 */
export function boardLinkStats(board: Board): SerialBoardStats | undefined {
  return (board as { stats?: SerialBoardStats }).stats;
}

/** Connect to the board `spec` names; see the file comment. */
export async function connectBoard(spec: string, opts: ConnectOptions = {}): Promise<Board> {
  const s = parseBoardSpec(spec);
  if (s.kind === 'twin') {
    const protocol = opts.twinProtocol === '1.4' ? undefined : opts.twinProtocol;
    // compound calls (measureCycle) as the serial host has them with a protocol 1.4 board
    return InProcessTwinBoard.create({ model: s.model, seed: opts.seed, ideal: opts.ideal, compound: protocol === undefined, ...(protocol ? { protocol } : {}) });
  }
  // Loaded on demand: serialport is ~0.1-0.2 s of a cold start that commands without a serial board (a simulated
  // `clln train`, the in-process twin) do not need.
  const { openSerialBoard } = await import('./SerialBoard.js');
  if (s.kind === 'serial') return openSerialBoard(s.path, opts.serial);
  const twin = s.kind === 'emu' ? await startEmulatedFirmware(s.model, opts) : await startPtyTwin(s.model, opts);
  try {
    const serial = opts.twinBaud && !opts.serial?.baudRate ? { ...opts.serial, baudRate: opts.twinBaud } : opts.serial;
    const board = await openSerialBoard(twin.path, serial);
    return new BoardWithCleanup(board, twin.stop);
  } catch (e) {
    await twin.stop();
    throw e;
  }
}

/** dist/src/cli/main.js of this package, from the sources or from dist. */
function defaultCliPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'cli', 'main.js')];
  for (let dir = here, i = 0; i < 6; i++, dir = dirname(dir)) candidates.push(join(dir, 'dist', 'src', 'cli', 'main.js'));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new CllnError('the pty twin and the emulated firmware need the built CLI (dist/src/cli/main.js); run npm run build first');
  return found;
}

/**
 * Spawn `clln firmware serve --pty` (the reference firmware in its emulator; it builds both on first use) and wait
 * for `READY <path>`. The twin's knobs that the emulated board does not have are refused rather than ignored.
 */
export async function startEmulatedFirmware(model: string, opts: ConnectOptions): Promise<{ path: string; stop: () => Promise<void> }> {
  const refuse = (source: string, what: string): never => {
    throw new InvalidInputError({ source }, `the emulated firmware (--board emu) has no ${what}: it is the real firmware on an emulated board`, `drop ${source}, or use --board twin or pty`);
  };
  if (opts.ideal) refuse('--twin-ideal', 'ideal mode');
  if (opts.twinProtocol !== undefined) refuse('--twin-protocol', 'choice of protocol (it speaks 1.3)');
  if (opts.twinStepMs !== undefined) refuse('twinStepMs', 'step time (its steps take what the firmware takes)');
  if (opts.twinLeadMs !== undefined) refuse('twinLeadMs', "pacing lead (its UART is the emulator's)");
  const args = ['firmware', 'serve', '--pty', '--model', model, '--seed', String(opts.seed ?? 0), '--exit-with-parent'];
  if (opts.faults) args.push('--faults', opts.faults);
  if (opts.twinBaud !== undefined) args.push('--baud', String(opts.twinBaud));
  return startServer('the emulated firmware', args, opts, opts.startTimeoutMs ?? 300_000);
}

/** Spawn `clln twin serve --pty` and wait for `READY <path>`. */
export async function startPtyTwin(model: string, opts: ConnectOptions): Promise<{ path: string; stop: () => Promise<void> }> {
  const args = ['twin', 'serve', '--board', model, '--pty', '--seed', String(opts.seed ?? 0), '--exit-with-parent'];
  if (opts.ideal) args.push('--ideal');
  if (opts.twinProtocol) args.push('--protocol', opts.twinProtocol);
  if (opts.faults) args.push('--faults', opts.faults);
  if (opts.twinBaud !== undefined) args.push('--baud', String(opts.twinBaud));
  if (opts.twinStepMs !== undefined) args.push('--step-ms', String(opts.twinStepMs));
  if (opts.twinLeadMs !== undefined) args.push('--lead-ms', String(opts.twinLeadMs));
  return startServer('the pty twin', args, opts, opts.startTimeoutMs ?? 15000);
}

/** Spawn the CLI with `args` (a `serve` command) and wait for `READY <path>`; `what` names it in errors. */
async function startServer(what: string, args: string[], opts: ConnectOptions, timeoutMs: number): Promise<{ path: string; stop: () => Promise<void> }> {
  const cli = opts.cliPath ?? defaultCliPath();
  // stdin is the server's lifeline (--exit-with-parent): it closes when this process dies, however it dies
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const stop = (): Promise<void> => stopChild(child);
  try {
    const path = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new CllnError(`${what} did not start within ${timeoutMs} ms: ${stderr.trim()}`)), timeoutMs);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^READY (\S+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new CllnError(`cannot start ${what}: ${e.message}`, { cause: e }));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        // the server's own one-paragraph error (`clln CMD: ...`, exit 2 for bad input: a bad --faults, a missing
        // system tool) is passed on as it is, with its kind
        const said = stderr.trim().split('\n').filter((l) => l.startsWith('clln ')).slice(-1)[0]?.replace(/^clln [a-z]+: /, '');
        if (code === 2 && said) reject(new InvalidInputError({ source: '--board' }, `${what} refused to start: ${said}`));
        else reject(new CllnError(`${what} exited (${code ?? signal}) before it was ready: ${stderr.trim()}`));
      });
    });
    return { path, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // SIGTERM lets the twin hang up its pty and remove its link
    child.kill('SIGTERM');
  });
}

/** A board that also stops something of its own when closed (the twin process of a `pty` board). */
class BoardWithCleanup implements Board {
  readonly events: Observable<BoardEvent>;
  /** The inner board's, when it has them (the serial host does): the pipeline uses them only where they exist. */
  readonly measureCycle?: Board['measureCycle'];
  readonly stepWithSources?: Board['stepWithSources'];
  constructor(
    private readonly inner: Board,
    private readonly cleanup: () => Promise<void>,
  ) {
    this.events = inner.events;
    if (inner.measureCycle) this.measureCycle = inner.measureCycle.bind(inner);
    if (inner.stepWithSources) this.stepWithSources = inner.stepWithSources.bind(inner);
  }
  /** The serial host's counters, when the inner board has them (a pty twin's SerialBoard). */
  get stats(): SerialBoardStats | undefined {
    return (this.inner as { stats?: SerialBoardStats }).stats;
  }
  identify(opts?: CallOptions): Promise<BoardIdentity> {
    return this.inner.identify(opts);
  }
  setSources(sources: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void> {
    return this.inner.setSources(sources, opts);
  }
  setClamps(clamps: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void> {
    return this.inner.setClamps(clamps, opts);
  }
  measure(samples?: number, opts?: CallOptions): Promise<Float64Array> {
    return this.inner.measure(samples, opts);
  }
  readEdges(opts?: CallOptions): Promise<Float64Array> {
    return this.inner.readEdges(opts);
  }
  writeEdges(settings: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void> {
    return this.inner.writeEdges(settings, opts);
  }
  deviceStep(targets: ReadonlyMap<number, number>, eta: number, amp?: number, opts?: CallOptions): Promise<DeviceStepResult> {
    return this.inner.deviceStep(targets, eta, amp, opts);
  }
  runSchedule(schedule: Schedule, window?: number): Observable<RunFrame> {
    return this.inner.runSchedule(schedule, window);
  }
  reset(opts?: CallOptions): Promise<void> {
    return this.inner.reset(opts);
  }
  async close(): Promise<void> {
    try {
      await this.inner.close();
    } finally {
      await this.cleanup();
    }
  }
}
