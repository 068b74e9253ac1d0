/**
 * Boards for the device tests: the in-process twin, the twin over its own serialport binding (twins/TwinBinding.ts), the twin over a real pty
 * (made in-process, twins/servePty.ts), and a real board from CLLN_BOARD_PORT. Each factory returns the board, a cleanup, and probes into the
 * device side where the transport allows (twin internals, or the board's own STAT).
 */
import type { Board } from '../../src/device/Board.js';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import { openSerialBoard, type SerialBoard, type SerialBoardOptions } from '../../src/device/SerialBoard.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { TwinFirmware } from '../../twins/TwinFirmware.js';
import { servePty, type ServedPty } from '../../twins/servePty.js';
import { TwinBinding, type BoundTwin } from '../../twins/TwinBinding.js';
import type { TwinServerOptions } from '../../twins/TwinServer.js';

/** What a contract or fault test gets. */
export interface BoardUnderTest<B extends Board = Board> {
  board: B;
  cleanup: () => Promise<void>;
  /** Learning steps the device has performed since its last boot. */
  deviceSteps: () => Promise<number>;
  /** Edge setting every edge holds after power-up, when known. */
  powerOnEdge?: number;
}

export type MakeBoard = () => Promise<BoardUnderTest>;

let portCounter = 0;

/** A fresh twin port path (each binding has its own port table; distinct paths keep logs readable). */
export function twinPortPath(): string {
  return `/dev/twin-${process.pid}-${++portCounter}`;
}

export function twinCore(model = 'penn-gen1', seed = 0, ideal = true): TwinBoardCore {
  return new TwinBoardCore(loadBoardModel(model), { seed, ideal });
}

function powerOn(core: TwinBoardCore): number {
  return core.model.edge.powerOn;
}

export function inProcess(model = 'penn-gen1'): MakeBoard {
  return async () => {
    const board = InProcessTwinBoard.create({ model, ideal: true });
    return { board, cleanup: () => board.close(), deviceSteps: async () => board.core.stats.steps, powerOnEdge: powerOn(board.core) };
  };
}

/** Fast serial options for twins that answer at once (short timeouts keep fault tests quick). */
export const FAST: SerialBoardOptions = { timeoutMs: 60, retries: 4, backoff: { baseMs: 5, maxMs: 40 }, reconnect: { attempts: 40, baseMs: 20, maxMs: 100, limitMs: 10_000 } };

export interface BindingHandle extends BoardUnderTest<SerialBoard> {
  twin: BoundTwin;
  path: string;
  /** The binding the twin is served on (the host opened `path` with it). */
  binding: TwinBinding;
}

/** The twin served on its own serialport binding (twins/TwinBinding.ts), and a SerialBoard on it. */
export async function bindingBoard(
  opts: { model?: string; server?: TwinServerOptions; serial?: SerialBoardOptions; core?: TwinBoardCore; protocol?: '1.3' | '1.4' } = {},
): Promise<BindingHandle> {
  const path = twinPortPath();
  const core = opts.core ?? twinCore(opts.model);
  const binding = new TwinBinding();
  // the twin's firmware speaks 1.4 unless a test asks for 1.3 (no compound commands, PROTOCOL.md 7.2)
  const twin = binding.serve(path, new TwinFirmware(core, opts.protocol ? { protocol: opts.protocol } : {}), { baud: 0, ...opts.server });
  const board = await openSerialBoard(path, { binding, ...FAST, ...opts.serial });
  return {
    board,
    twin,
    path,
    binding,
    powerOnEdge: powerOn(core),
    deviceSteps: async () => core.stats.steps,
    cleanup: async () => {
      await board.close();
      await twin.close();
    },
  };
}

export function overBinding(model = 'penn-gen1'): MakeBoard {
  return () => bindingBoard({ model, server: { baud: 115200 }, serial: {} });
}

export interface PtyHandle extends BoardUnderTest<SerialBoard> {
  served: ServedPty;
  core: TwinBoardCore;
}

/** The twin on a pseudo-terminal (served from this process), and a SerialBoard on the system binding. */
export async function ptyBoard(opts: { model?: string; server?: TwinServerOptions; serial?: SerialBoardOptions } = {}): Promise<PtyHandle> {
  const core = twinCore(opts.model);
  const served = await servePty(core, { baud: 115200, ...opts.server });
  try {
    const board = await openSerialBoard(served.path, { ...opts.serial });
    return {
      board,
      served,
      core,
      powerOnEdge: powerOn(core),
      deviceSteps: async () => core.stats.steps,
      cleanup: async () => {
        await board.close();
        await served.close();
      },
    };
  } catch (e) {
    await served.close();
    throw e;
  }
}

export function overPty(model = 'penn-gen1'): MakeBoard {
  return () => ptyBoard({ model });
}

/** A real board on CLLN_BOARD_PORT. */
export function realBoard(path: string): MakeBoard {
  return async () => {
    const board = await openSerialBoard(path, {});
    return { board, cleanup: () => board.close(), deviceSteps: async () => (await board.stat()).steps };
  };
}

/**
 * Wait until `pred` holds (polling a condition, not waiting a duration). No deadline of its own: on a loaded machine
 * a condition may take long, and the test's own timeout is the safety net; `what` names the condition in that case.
 */
export async function until(pred: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  let warned = false;
  while (!(await pred())) {
    if (!warned && Date.now() - t0 > 30_000) {
      warned = true;
      process.stderr.write(`still waiting for ${what}\n`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
