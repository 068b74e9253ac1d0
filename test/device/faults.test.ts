/**
 * The serial host under faults injected by the twin: garbled and dropped replies, silence, unplugs, spontaneous
 * resets (with and without a banner). The twin is ideal and seeded, so every result can be compared bit for bit
 * with a fault-free in-process run of the same calls.
 */
import { readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { firstValueFrom, toArray } from 'rxjs';
import type { BoardEvent, RunFrame } from '../../src/device/Board.js';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import { BoardDisconnectedError, BoardProtocolError, BoardRefusedError, CllnError, BoardTimeoutError, DifferentBoardError } from '../../src/errors.js';
import { TwinError } from '../../twins/TwinError.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import type { Board } from '../../src/device/Board.js';
import { openSerialBoard, type SerialBoard } from '../../src/device/SerialBoard.js';
import { TwinBinding } from '../../twins/TwinBinding.js';
import { encodeFrame } from '../../firmware-protocol/codec.js';
import { SerialPortStream } from '@serialport/stream';
import { servePty } from '../../twins/servePty.js';
import { bindingBoard, FAST, twinCore, twinPortPath, ptyBoard, until, type BindingHandle, type PtyHandle } from './harness.js';

const SOURCES = new Map([[0, 4], [15, 0]]);
const EDGES = new Map([[0, 10], [5, 80], [32, 3]]);

/** The same learning session on any board: sources, some edges, `n` device steps; returns every result. */
async function session(board: Board, n: number): Promise<{ steps: { vf: number[]; changed: number }[]; edges: number[]; v: number[] }> {
  await board.setSources(SOURCES);
  await board.writeEdges(EDGES);
  const steps: { vf: number[]; changed: number }[] = [];
  for (let i = 0; i < n; i++) {
    const r = await board.deviceStep(new Map([[5, i % 2 ? 1 : 3], [10, 2]]), 0.5);
    steps.push({ vf: Array.from(r.freeTargets), changed: r.changed });
  }
  return { steps, edges: Array.from(await board.readEdges()), v: Array.from(await board.measure(64)) };
}

async function reference(n: number): Promise<Awaited<ReturnType<typeof session>>> {
  const b = new InProcessTwinBoard(new TwinBoardCore(loadBoardModel('penn-gen1'), { ideal: true }));
  try {
    return await session(b, n);
  } finally {
    await b.close();
  }
}

function record(board: Board): BoardEvent[] {
  const ev: BoardEvent[] = [];
  board.events.subscribe((e) => ev.push(e));
  return ev;
}

/** Log every command body the twin's firmware receives (the device side of the wire). */
function logCommands(h: BindingHandle | PtyHandle): string[] {
  const fw = 'twin' in h ? h.twin.firmware : h.served.server.firmware;
  const log: string[] = [];
  const orig = fw.receive.bind(fw);
  fw.receive = (body: string) => {
    log.push(body);
    return orig(body);
  };
  return log;
}

describe('serial host under faults (twin over the twin binding)', () => {
  let h: BindingHandle | null = null;
  afterEach(async () => {
    await h?.cleanup();
    h = null;
  });

  it('garbled and dropped replies: retries succeed, nothing is applied twice, results are bit-identical', async () => {
    h = await bindingBoard({ server: { faults: 'garble=0.2,drop=0.05', seed: 3 } });
    const events = record(h.board);
    const got = await session(h.board, 40);
    expect(got).toEqual(await reference(40));
    // exactly 40 steps on the device although replies were lost and commands resent
    expect(h.twin.core.stats.steps).toBe(40);
    const s = h.board.stats;
    expect(s.retries).toBeGreaterThan(0);
    expect(h.twin.firmware.counters.dup).toBeGreaterThan(0); // resends answered from the reply cache
    expect(s.linkErrors.crc + s.linkErrors.garbage).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'retry')).toBe(true);
    expect(s.resetsDetected).toBe(0);
  });

  it('autonomous run with lost frames: gaps are re-requested, every step once, in order', async () => {
    h = await bindingBoard({ server: { faults: 'drop=0.1', seed: 5, stepMs: 0 } });
    const frames: RunFrame[] = await firstValueFrom(
      h.board
        .runSchedule({ steps: 60, sources: [0, 15], targets: [5], examples: [{ in: [4, 0], out: [1] }, { in: [3, 0], out: [2.5] }], eta: 0.5 }, 5)
        .pipe(toArray()),
    );
    expect(frames.map((f) => f.step)).toEqual([...Array(60).keys()]);
    expect(h.twin.core.stats.steps).toBe(60);
    // same frames as the in-process twin
    const ref = InProcessTwinBoard.create({ ideal: true });
    const refFrames = await firstValueFrom(
      ref.runSchedule({ steps: 60, sources: [0, 15], targets: [5], examples: [{ in: [4, 0], out: [1] }, { in: [3, 0], out: [2.5] }], eta: 0.5 }, 5).pipe(toArray()),
    );
    expect(frames).toEqual(refFrames);
    expect(Array.from(await h.board.readEdges())).toEqual(Array.from(await ref.readEdges()));
    await ref.close();
  });

  it('a silent board: the call times out after bounded retries of the same line; the board is put back to the record', async () => {
    h = await bindingBoard({ serial: { timeoutMs: 40, retries: 2 } });
    const log = logCommands(h);
    await h.board.setSources(SOURCES);
    const edges = Array.from(await h.board.readEdges());
    h.twin.server.faults.drop = 1;
    await expect(h.board.deviceStep(new Map([[5, 1]]), 1)).rejects.toBeInstanceOf(BoardTimeoutError);
    const steps = log.filter((b) => / STEP /.test(b));
    expect(steps).toHaveLength(3); // first attempt + 2 retries
    expect(new Set(steps).size).toBe(1); // identical lines, same SEQ
    expect(h.twin.core.stats.steps).toBe(1); // executed once, the resends were answered from the cache
    h.twin.server.faults.drop = 0;
    // the step took effect on the board but was never acknowledged: the next call restores the record first
    expect(Array.from(await h.board.readEdges())).toEqual(edges);
    expect(Array.from(h.twin.core.edgeSettings())).toEqual(edges);
  });

  it('unplug mid-call: the call rejects at once, the host reconnects, restores state, and later calls succeed', async () => {
    h = await bindingBoard();
    const events = record(h.board);
    const log = logCommands(h);
    await h.board.setSources(SOURCES);
    await h.board.setClamps(new Map([[6, 1.5]]));
    await h.board.writeEdges(EDGES);
    const edges = Array.from(await h.board.readEdges());
    const bootBefore = h.twin.core.bootCount;
    // the board goes silent, so the MEAS stays in flight (and is being resent) when the plug is pulled
    h.twin.server.faults.drop = 1;
    const call = h.board.measure(16);
    const failed = call.then(
      () => null,
      (e: unknown) => ({ e, resends: log.filter((b) => / MEAS /.test(b)).length }),
    );
    await until(() => log.filter((b) => / MEAS /.test(b)).length >= 2, 'a resent MEAS');
    const inFlight = log[log.length - 1];
    const sentBeforeUnplug = log.filter((b) => / MEAS /.test(b)).length;
    h.twin.unplug(150);
    const r = await failed;
    // at once, not after the command's timeout: a disconnect, not a timeout, and no resend after the unplug
    expect(r?.e).toBeInstanceOf(BoardDisconnectedError);
    expect(r!.resends).toBe(sentBeforeUnplug);
    const nBefore = log.length;
    h.twin.server.faults.drop = 0;
    await until(() => events.some((e) => e.type === 'state-restored'), 'state restored');
    // the board came back rebooted: detected by the boot counter, state put back
    expect(h.twin.core.bootCount).toBe(bootBefore + 1);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['disconnected', 'reconnecting', 'connected', 'reset-detected', 'state-restored']));
    expect(Array.from(h.twin.core.edgeSettings())).toEqual(edges);
    expect(h.twin.core.activeSources()).toEqual(new Map([[0, 4], [15, 0]]));
    // (the twin stores the DAC-quantised voltage)
    expect([...h.twin.core.activeClamps().keys()]).toEqual([6]);
    expect(h.twin.core.activeClamps().get(6)).toBeCloseTo(1.5, 4);
    // no stale write: the command that was in flight never reaches the board after the reopen
    const after = log.slice(nBefore);
    expect(after.length).toBeGreaterThan(0);
    expect(after).not.toContain(inFlight);
    expect(after.some((b) => / MEAS /.test(b))).toBe(false);
    // and the board is usable
    const v = await h.board.measure();
    expect(v[0]).toBeCloseTo(4, 2);
    expect(v[6]).toBeCloseTo(1.5, 2);
    expect(h.board.stats.reconnects).toBe(1);
  });

  it('a call made while the link is down waits for the reconnect and then proceeds', async () => {
    h = await bindingBoard();
    const events = record(h.board);
    await h.board.setSources(SOURCES);
    h.twin.unplug(200);
    await until(() => events.some((e) => e.type === 'disconnected'), 'disconnect seen');
    const v = await h.board.measure();
    // it waited for the link: by the time it resolved, the host had reconnected and put the state back
    const types = events.map((e) => e.type);
    expect(types.indexOf('connected')).toBeGreaterThan(types.indexOf('disconnected'));
    expect(types).toContain('state-restored');
    expect(v[0]).toBeCloseTo(4, 2);
  });

  it('gives up after the reconnect limit; a later call starts a new reconnect cycle', async () => {
    h = await bindingBoard({ serial: { reconnect: { attempts: 3, baseMs: 10, maxMs: 20, limitMs: 1000 } } });
    const events = record(h.board);
    await h.board.setSources(SOURCES);
    h.twin.unplug(400);
    await until(() => events.some((e) => e.type === 'disconnected'), 'disconnect seen');
    await expect(h.board.measure()).rejects.toThrow(/gave up reconnecting .* after 3 attempts/);
    await until(() => !h!.twin.unplugged, 'twin back');
    const v = await h.board.measure();
    expect(v[0]).toBeCloseTo(4, 2);
  });

  it('a different board on the path after an unplug: reconnecting stops at once with DifferentBoardError (typed, not matched by message)', async () => {
    // (attempts enough that the twin is back before they run out, however loaded the machine)
    h = await bindingBoard({ serial: { reconnect: { attempts: 100_000, baseMs: 10, maxMs: 20, limitMs: 3_600_000 } } });
    const events = record(h.board);
    const log = logCommands(h);
    h.twin.unplug(100);
    await until(() => events.some((e) => e.type === 'disconnected'), 'disconnect seen');
    const nBefore = log.length;
    // another board of the same model answers on the path when it comes back
    (h.twin.core.model as { uid: string }).uid = 'feedf00d';
    const err = await h.board.measure().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BoardDisconnectedError);
    expect((err as Error).message).toMatch(/gave up reconnecting .* after \d+ attempts?: .* now answers as board penn-gen1 uid feedf00d/);
    const cause = (err as Error).cause;
    expect(cause).toBeInstanceOf(DifferentBoardError);
    expect(cause).toBeInstanceOf(BoardProtocolError);
    expect(cause).toBeInstanceOf(CllnError);
    expect((cause as DifferentBoardError).found).toBe('penn-gen1 feedf00d');
    // the first attempt that reached the other board was the last: one ID, nothing else sent to it, no more attempts
    expect(log.slice(nBefore).filter((b) => / ID( |$)/.test(b))).toHaveLength(1);
    expect(log.slice(nBefore).filter((b) => !/ ID( |$)/.test(b))).toEqual([]);
    const attempts = events.filter((e) => e.type === 'reconnecting').length;
    expect((err as Error).message).toContain(`after ${attempts} attempt`);
    expect(h.board.stats.reconnects).toBe(0);
  });

  it('a command the board refuses rejects with BoardRefusedError: the verb, the code and the board\'s own words, apart', async () => {
    h = await bindingBoard();
    const core = h.twin.core;
    core.step = () => {
      throw new TwinError(500, 'ADC timeout on channel 9');
    };
    const err = await h.board.deviceStep(new Map([[5, 1]]), 0.5).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BoardRefusedError);
    expect(err).toBeInstanceOf(BoardProtocolError);
    expect(err).toBeInstanceOf(CllnError);
    expect(err).toMatchObject({ verb: 'STEP', code: 500, reply: 'ADC timeout on channel 9' });
    expect((err as Error).message).toBe('STEP refused by the board: 500 ADC timeout on channel 9');
  });

  it('a port serialport closed under the link (its close event still to come): the next call takes the link down at once, a retry waits for the reconnect', async () => {
    const path = twinPortPath();
    const binding = new TwinBinding();
    const twin = binding.serve(path, twinCore(), { baud: 0 });
    // a binding whose close the test holds open: serialport says the port is closed from the moment it starts
    // closing it, and emits 'close' only once the binding's close has finished (on a real device, a while later)
    let hold: Promise<void> | null = null;
    let release = (): void => undefined;
    const slowClose = {
      list: () => binding.list(),
      async open(o: Parameters<TwinBinding['open']>[0]) {
        const port = await binding.open(o);
        const close = port.close.bind(port);
        port.close = async () => {
          if (hold) await hold;
          return close();
        };
        return port;
      },
    };
    const streams: InstanceType<typeof SerialPortStream>[] = [];
    const board = await openSerialBoard(path, {
      ...FAST,
      portFactory: ({ path: p, baudRate }) => {
        const s = new SerialPortStream({ binding: slowClose as unknown as TwinBinding, path: p, baudRate, autoOpen: false });
        streams.push(s);
        return s;
      },
    });
    try {
      await board.setSources(SOURCES);
      hold = new Promise<void>((r) => (release = r));
      streams[streams.length - 1].close();
      expect(board.connected).toBe(true); // nothing has told the host yet
      await expect(board.measure()).rejects.toBeInstanceOf(BoardDisconnectedError);
      // the call found the port closed: the link is down and reconnecting, not 'up' with a dead port
      expect(board.connected).toBe(false);
      const retry = board.measure();
      hold = null;
      release();
      const v = await retry;
      expect(v[0]).toBeCloseTo(4, 2);
      expect(board.stats.reconnects).toBe(1);
    } finally {
      await board.close();
      await twin.close();
    }
  });

  it('spontaneous resets (reset-every): detected by the boot counter, state restored, results unchanged', async () => {
    h = await bindingBoard({ server: { faults: 'reset-every=13' } });
    const events = record(h.board);
    const got = await session(h.board, 30);
    expect(got).toEqual(await reference(30));
    expect(h.twin.server.stats.resets).toBeGreaterThan(3);
    expect(h.board.stats.resetsDetected).toBe(h.twin.server.stats.resets);
    expect(events.filter((e) => e.type === 'reset-detected').length).toBe(h.twin.server.stats.resets);
    expect(events.some((e) => e.type === 'state-restored')).toBe(true);
  });

  it('a silent reset (no banner) is detected by the boot counter before a reading is returned', async () => {
    h = await bindingBoard();
    await h.board.setSources(SOURCES);
    await h.board.writeEdges(EDGES);
    const v0 = Array.from(await h.board.measure());
    const edges = Array.from(await h.board.readEdges());
    h.twin.core.reboot(); // power glitch: no banner, nothing on the wire
    expect(Array.from(await h.board.measure())).toEqual(v0);
    expect(h.board.stats.resetsDetected).toBe(1);
    expect(Array.from(h.twin.core.edgeSettings())).toEqual(edges);
  });

  for (const banner of [true, false]) {
    it(`a reset during an autonomous run (${banner ? 'with' : 'without'} banner) fails the run with a clear error and restores the record`, async () => {
      h = await bindingBoard({ server: { stepMs: 2 }, serial: { frameTimeoutMs: 100 } });
      await h.board.setSources(SOURCES);
      const edges = Array.from(await h.board.readEdges());
      const run = firstValueFrom(
        h.board.runSchedule({ steps: 500, sources: [0, 15], targets: [5], examples: [{ in: [4, 0], out: [1] }], eta: 0.5 }, 4).pipe(toArray()),
      );
      await until(() => h!.twin.core.stats.steps >= 5, 'run started');
      const bodies = h.twin.firmware.reboot();
      if (banner) h.twin.server['sendAll'](bodies);
      await expect(run).rejects.toThrow(/reset during the run/);
      expect(h.board.stats.resetsDetected).toBe(1);
      expect(Array.from(h.twin.core.edgeSettings())).toEqual(edges);
      expect(h.twin.core.activeSources()).toEqual(new Map([[0, 4], [15, 0]]));
      expect((await h.board.measure())[0]).toBeCloseTo(4, 2);
    });
  }
});

describe('PROTOCOL.md 1.1 recovery (twin over the twin binding)', () => {
  let h: BindingHandle | null = null;
  afterEach(async () => {
    await h?.cleanup();
    h = null;
  });

  it('a RESET whose reply is lost is retried without rebooting the board a second time (RESET boot=N)', async () => {
    h = await bindingBoard({ serial: { timeoutMs: 40 } });
    const fw = h.twin.firmware;
    const log = logCommands(h);
    const boot0 = h.twin.core.bootCount;
    // the first RESET executes (the board reboots) but its reply and the banner never arrive
    const receive = fw.receive.bind(fw);
    let swallowed = 0;
    fw.receive = (body: string) => {
      const out = receive(body);
      return / RESET( |$)/.test(body) && swallowed++ === 0 ? [] : out;
    };
    await h.board.reset();
    const resets = log.filter((b) => / RESET( |$)/.test(b));
    expect(resets.length).toBeGreaterThanOrEqual(2); // retried, the identical line
    expect(new Set(resets).size).toBe(1);
    expect(h.twin.core.bootCount).toBe(boot0 + 1); // one reboot, however often the line came
    expect(resets[0]).toMatch(new RegExp(`^\\d+ RESET boot=${boot0}$`));
    expect((await h.board.identify()).bootCount).toBe(boot0 + 1);
    expect(h.board.stats.resetsDetected).toBe(0); // a requested reset is not a fault
    await h.board.setSources(SOURCES);
    expect((await h.board.measure())[0]).toBeCloseTo(4, 2);
  });

  it('a board that speaks protocol 1.0 is refused at open, naming both versions', async () => {
    const path = twinPortPath();
    const core = new TwinBoardCore(loadBoardModel('penn-gen1'), { ideal: true });
    const binding = new TwinBinding();
    const twin = binding.serve(path, core, { baud: 0 });
    const receive = twin.firmware.receive.bind(twin.firmware);
    // what a 1.0 firmware answers to ID: proto=1
    twin.firmware.receive = (body: string) => receive(body).map((r) => r.replace(' OK proto=1.4 ', ' OK proto=1 '));
    try {
      await expect(openSerialBoard(path, { binding, timeoutMs: 60 })).rejects.toThrow(/board speaks protocol 1 \(1\.0\), this host speaks 1\.1, 1\.2, 1\.3 and 1\.4/);
    } finally {
      await twin.close();
    }
  });

  for (const doneLost of [false, true]) {
    it(`a run the board cannot continue fails with 424 and the board's reason, every step before it delivered once (${doneLost ? 'its DONE line lost: found by asking STAT' : 'DONE fail= seen'})`, async () => {
      h = await bindingBoard({ server: { stepMs: 1, faults: 'drop=0.05', seed: 2 }, serial: { frameTimeoutMs: 60 } });
      const core = h.twin.core;
      const fw = h.twin.firmware;
      await h.board.setSources(SOURCES);
      const edgesBefore = Array.from(await h.board.readEdges());
      // the 8th autonomous step hits a hardware fault (an ADC timeout, say): the board ends the run as failed
      const step = core.step.bind(core);
      let n = 0;
      core.step = (...a: Parameters<typeof core.step>) => {
        if (fw.running && n++ === 7) throw new TwinError(500, 'ADC timeout on channel 9');
        return step(...a);
      };
      if (doneLost) {
        const pump = fw.pump.bind(fw);
        fw.pump = (max?: number) => pump(max).filter((b) => !b.startsWith('! DONE'));
      }
      const frames: RunFrame[] = [];
      const err = await new Promise<unknown>((resolve) =>
        h!.board
          .runSchedule({ steps: 50, sources: [0, 15], targets: [5], examples: [{ in: [4, 0], out: [1] }, { in: [3, 0], out: [2.5] }], eta: 0.5 }, 4)
          .subscribe({ next: (f) => frames.push(f), error: resolve, complete: () => resolve(null) }),
      );
      expect(err).toBeInstanceOf(BoardProtocolError);
      expect((err as BoardProtocolError).code).toBe(424);
      expect((err as Error).message).toMatch(/failed after 7 of 50 steps .*500 ADC timeout on channel 9/);
      expect(frames.map((f) => f.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(core.stats.steps).toBe(7);
      // the host read back what the run left and put its sources back; the board is usable
      const edgesAfter = Array.from(await h.board.readEdges());
      expect(edgesAfter).toEqual(Array.from(core.edgeSettings()));
      expect(edgesAfter).not.toEqual(edgesBefore);
      expect(core.activeSources()).toEqual(new Map([[0, 4], [15, 0]]));
      expect((await h.board.stat()).run).toBe('failed');
    });
  }
});

describe('serialport write queue (why every connection gets a fresh port object)', () => {
  it('a raw port delivers a write made while closed after it is reopened; the link refuses it', async () => {
    const { SerialLink } = await import('../../src/device/SerialLink.js');
    const { systemTimers } = await import('../../src/device/timers.js');
    const path = twinPortPath();
    const binding = new TwinBinding();
    const twin = binding.serve(path, new TwinBoardCore(loadBoardModel('penn-gen1'), { ideal: true }), { baud: 0 });
    const received: string[] = [];
    const receive = twin.firmware.receive.bind(twin.firmware);
    twin.firmware.receive = (body: string) => {
      received.push(body);
      return receive(body);
    };
    // the hazard, shown on serialport itself: a command written while the port is closed reaches the board later
    const raw = new SerialPortStream({ binding, path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((r, j) => raw.open((e) => (e ? j(e) : r())));
    await new Promise<void>((r) => raw.close(() => r()));
    raw.write(encodeFrame('7 PING'));
    await new Promise<void>((r, j) => raw.open((e) => (e ? j(e) : r())));
    await new Promise<void>((r) => raw.drain(() => r()));
    await until(() => received.includes('7 PING'), 'the stale PING reaching the twin');
    await new Promise<void>((r) => raw.close(() => r()));
    // the guard: a closed link throws and its port object is gone
    const downs: string[] = [];
    const link = await SerialLink.open(
      { path, baudRate: 115200, factory: ({ path: p, baudRate }) => new SerialPortStream({ binding, path: p, baudRate, autoOpen: false }), timers: systemTimers, openTimeoutMs: 1000, watchPathMs: 0 },
      { onBody: () => undefined, onDown: (r) => downs.push(r) },
    );
    await link.close();
    expect(() => link.write('1 PING*0000\n')).toThrow(BoardDisconnectedError);
    expect(downs).toEqual([]);
    await twin.close();
  });
});

describe('serial host under faults (twin over a real pty)', () => {
  let h: PtyHandle | null = null;
  afterEach(async () => {
    await h?.cleanup();
    h = null;
  });

  it('unplug (the pty path vanishes): in-flight call rejects at once, reconnect, state restored', async () => {
    // the twin pulls the plug right after its 30th command
    h = await ptyBoard({ server: { faults: 'unplug-every=30,unplug-ms=300' }, serial: { timeoutMs: 1000, reconnect: { baseMs: 50, maxMs: 200 } } });
    const events = record(h.board);
    const log = logCommands(h);
    await h.board.setSources(SOURCES);
    await h.board.writeEdges(EDGES);
    const edges = Array.from(await h.board.readEdges());
    let failure: { e: unknown; retries: number } | null = null;
    for (let i = 0; i < 40 && !failure; i++) {
      const before = events.filter((e) => e.type === 'retry').length;
      try {
        await h.board.measure();
      } catch (e) {
        failure = { e, retries: events.filter((e) => e.type === 'retry').length - before };
      }
    }
    // at once: a disconnect, before the 1000 ms command timeout ever fired (no resend of the call in flight)
    expect(failure?.e).toBeInstanceOf(BoardDisconnectedError);
    expect(failure!.retries).toBe(0);
    const nAtUnplug = log.length;
    const inFlight = log[nAtUnplug - 1];
    await until(() => events.some((e) => e.type === 'state-restored'), 'state restored');
    expect(events.some((e) => e.type === 'reset-detected')).toBe(true); // the twin lost power with the link
    expect(Array.from(h.core.edgeSettings())).toEqual(edges);
    expect(h.core.activeSources()).toEqual(new Map([[0, 4], [15, 0]]));
    expect(log.slice(nAtUnplug)).not.toContain(inFlight);
    expect((await h.board.measure())[0]).toBeCloseTo(4, 2);
  });

  it('the port path vanishing is a disconnect even while the port itself still works', async () => {
    const served = await servePty(new TwinBoardCore(loadBoardModel('penn-gen1'), { ideal: true }), { baud: 0 });
    let board: SerialBoard | null = null;
    try {
      board = await openSerialBoard(served.path, { watchPathMs: 50, reconnect: { baseMs: 50, maxMs: 100 } });
      const events = record(board);
      await board.setSources(SOURCES);
      const target = readlinkSync(served.path);
      unlinkSync(served.path); // e.g. the by-id link of a USB adapter going away
      await until(() => events.some((e) => e.type === 'disconnected'), 'disconnect');
      expect(events.find((e) => e.type === 'disconnected')).toMatchObject({ reason: expect.stringMatching(/vanished/) });
      symlinkSync(target, served.path);
      await until(() => events.some((e) => e.type === 'state-restored'), 'reconnected');
      expect((await board.measure())[0]).toBeCloseTo(4, 2);
      expect(events.some((e) => e.type === 'reset-detected')).toBe(false); // same boot: restored all the same
    } finally {
      await board?.close();
      await served.close();
    }
  });

  it('garbled replies over the pty: retries succeed, results bit-identical', async () => {
    h = await ptyBoard({ server: { faults: 'garble=0.002,drop=0.03', seed: 11 }, serial: { timeoutMs: 80, backoff: { baseMs: 5, maxMs: 20 } } });
    const got = await session(h.board, 15);
    expect(got).toEqual(await reference(15));
    expect(h.core.stats.steps).toBe(15);
    expect(h.board.stats.retries).toBeGreaterThan(0);
  });
});
