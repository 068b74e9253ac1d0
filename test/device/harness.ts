/**
 * Boards for the device tests: the in-process twin, the twin over the mock binding, the twin over a real pty
 * (made in-process, twins/servePty.ts), and a real board from CLLN_BOARD_PORT. Each factory returns the board, a cleanup, and probes into the
 * device side where the transport allows (twin internals, or the board's own STAT).
 */
import { SerialPortMock } from 'serialport';
import type { Board } from '../../src/device/Board.js';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import { openSerialBoard, type SerialBoard, type SerialBoardOptions } from '../../src/device/SerialBoard.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { servePty, type ServedPty } from '../../twins/servePty.js';
import { createMockTwinPort, type MockTwin, type TwinServerOptions } from '../../twins/TwinServer.js';

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

/**
 * @serialport/binding-mock's MockBinding, reached through serialport's typed re-export (the package's own types are
 * invisible to NodeNext resolution). The twin answers on this instance and on the package's ESM build alike.
 */
export const MockBinding = SerialPortMock.binding;

let mockCounter = 0;

/** A fresh mock port path (the mock binding's port table is global to the process). */
export function mockPath(): string {
  return `/dev/mock-twin-${process.pid}-${++mockCounter}`;
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

export interface MockHandle extends BoardUnderTest<SerialBoard> {
  twin: MockTwin;
  path: string;
}

/** The twin behind a mock-binding port, and a SerialBoard on it. */
export async function mockBoard(opts: { model?: string; server?: TwinServerOptions; serial?: SerialBoardOptions; core?: TwinBoardCore } = {}): Promise<MockHandle> {
  const path = mockPath();
  const core = opts.core ?? twinCore(opts.model);
  const twin = createMockTwinPort(path, core, { baud: 0, ...opts.server });
  const board = await openSerialBoard(path, { binding: MockBinding, ...FAST, ...opts.serial });
  return {
    board,
    twin,
    path,
    powerOnEdge: powerOn(core),
    deviceSteps: async () => core.stats.steps,
    cleanup: async () => {
      await board.close();
      await twin.close();
    },
  };
}

export function overMock(model = 'penn-gen1'): MakeBoard {
  return () => mockBoard({ model, server: { baud: 115200 }, serial: {} });
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
