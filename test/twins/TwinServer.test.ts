/**
 * The twin's server (framing, pacing, faults) and its transports: an in-memory link, the twin's own serialport binding, a real
 * pseudo-terminal, and `clln twin serve`. No test waits for or measures wall-clock time: pacing, run steps and
 * unplug durations run on a virtual clock (ManualTimers), and everything else waits for the event it needs (a line,
 * a 'close', an 'unplugged' / 'plugged' event, a child's exit).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants as fsConstants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ReadStream } from 'node:tty';
import { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, LineDecoder, parseReply } from '../../firmware-protocol/codec.js';
import { InvalidInputError } from '../../src/errors.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { openPseudoTerminal } from '../../twins/PseudoTerminal.js';
import { servePty } from '../../twins/servePty.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { TwinFirmware } from '../../twins/TwinFirmware.js';
import { TwinBinding } from '../../twins/TwinBinding.js';
import { NO_FAULTS, parseFaults, serveSerialPort, TwinServer, type TwinServerOptions } from '../../twins/TwinServer.js';
import { ManualTimers } from './ManualTimers.js';

const gen1 = loadBoardModel('penn-gen1');
const CLI = resolve(__dirname, '../../dist/src/cli/main.js');

/** Host side of a link: frames out, decoded bodies in; waits resolve on arrival (no timeouts: the test's bounds it). */
class Host {
  readonly decoder = new LineDecoder();
  readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  private seq = 0;
  constructor(readonly write: (s: string) => void) {}
  data(d: Uint8Array | string): void {
    for (const b of this.decoder.push(d)) this.lines.push(b);
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  /** The SEQ for the next command (taken). */
  nextSeq(): number {
    return ++this.seq;
  }
  /** Send a command with a new SEQ. */
  send(text: string): number {
    const seq = this.nextSeq();
    this.write(encodeFrame(`${seq} ${text}`));
    return seq;
  }
  /** Send a command with a new SEQ; resolve with the reply body for it. */
  async request(text: string): Promise<string> {
    const seq = this.send(text);
    return this.waitFor((b) => b.startsWith(`${seq} `));
  }
  /** The first received line matching `pred` (taken out of `lines`), as soon as it is there. */
  async waitFor(pred: (b: string) => boolean): Promise<string> {
    for (;;) {
      const i = this.lines.findIndex(pred);
      if (i >= 0) return this.lines.splice(i, 1)[0];
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }
}

function openPort(path: string, binding?: unknown): Promise<SerialPort> {
  return new Promise((res, rej) => {
    const p = new SerialPort({ path, baudRate: 115200, autoOpen: false, ...(binding ? { binding: binding as never } : {}) });
    p.open((e) => (e ? rej(e) : res(p)));
  });
}

function hostOn(port: SerialPort): Host {
  const h = new Host((s) => port.write(s));
  port.on('data', (d: Buffer) => h.data(d));
  return h;
}

function closeLater(port: SerialPort): void {
  cleanup.push(() => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())));
}

/**
 * A host on the bare terminal device: opened without setting any terminal mode, read and written by libuv on the main
 * thread. `closed` resolves when the device ends (a hang-up) or fails.
 */
function rawHost(path: string): { host: Host; closed: Promise<void> } {
  const stream = new ReadStream(openSync(path, fsConstants.O_RDWR | fsConstants.O_NOCTTY));
  stream.on('error', () => {}); // EIO after a hang-up: the 'close' that follows is what counts
  const closed = new Promise<void>((r) => stream.once('close', () => r()));
  cleanup.push(() => {
    stream.destroy();
  });
  const host = new Host((s) => stream.write(s));
  stream.on('data', (d: Buffer) => host.data(d));
  return { host, closed };
}

/** Re-check `pred` on every turn of the event loop until it holds (the test's timeout bounds the wait). */
async function until(pred: () => boolean): Promise<void> {
  while (!pred()) await new Promise((r) => setImmediate(r));
}

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('parseFaults', () => {
  it('parses the spec and rejects bad ones', () => {
    expect(parseFaults('garble=0.01,drop=0.001,reset-every=2000,unplug-every=5000')).toEqual({ garble: 0.01, drop: 0.001, resetEvery: 2000, unplugEvery: 5000, unplugMs: 500 });
    expect(parseFaults('')).toEqual(NO_FAULTS);
    expect(parseFaults('none')).toEqual(NO_FAULTS);
    expect(parseFaults(' drop = 0.5 , unplug-ms=20')).toMatchObject({ drop: 0.5, unplugMs: 20 });
    for (const bad of ['garble=2', 'drop=-0.1', 'reset-every=1.5', 'unplug-every=x', 'flip=0.1', 'garble', 'drop=0.1,drop=0.2']) {
      expect(() => parseFaults(bad)).toThrow(InvalidInputError);
    }
  });
});

describe('TwinServer over an in-memory link (virtual clock)', () => {
  /** A server on a ManualTimers clock; every write is recorded with its virtual time. */
  function serve(opts: TwinServerOptions & { banner?: boolean } = {}): { server: TwinServer; host: Host; timers: ManualTimers; writes: { at: number; bytes: number }[] } {
    const timers = new ManualTimers();
    const fw = new TwinFirmware(new TwinBoardCore(gen1, { ideal: true }));
    const server = new TwinServer(fw, { baud: 0, stepMs: 0, ...opts, timers });
    const writes: { at: number; bytes: number }[] = [];
    const host = new Host((s) => server.input(Buffer.from(s, 'latin1')));
    server.attach(
      (b) => {
        writes.push({ at: timers.now(), bytes: b.length });
        host.data(b);
      },
      { banner: opts.banner ?? true },
    );
    cleanup.push(() => server.close());
    return { server, host, timers, writes };
  }

  it('answers frames, counts bad input in STAT, sends the banner on attach', async () => {
    const { server, host } = serve();
    expect(await host.waitFor((b) => b.startsWith('! BOOT'))).toBe('! BOOT fw=clln-twin-1.0.0 proto=1.4 board=penn-gen1 boot=1');
    expect(await host.request('PING')).toBe('1 OK');
    server.input('1 PING*0000\n'); // bad CRC: no reply, counted
    server.input(Buffer.from([0x01, 0x02, 0x0a])); // garbage
    server.input('x'.repeat(2000) + '\n'); // overlong
    expect(await host.request('STAT')).toBe('2 OK boot=1 crc=1 overlong=1 garbage=1 dup=0 badseq=0 steps=0 run=none runstep=0 runerr=0');
    expect(server.stats.commands).toBe(2);
  });

  it('streams an autonomous run as credits arrive, never beyond them', async () => {
    const { host, timers } = serve();
    await host.request('SCHED BEGIN steps=4 examples=1 src=0 tgt=9 eta=0.5');
    await host.request('SCHED EX 0 in=4 out=1');
    await host.request('SCHED END');
    expect(await host.request('RUN')).toBe('4 OK steps=4');
    timers.advance(10_000);
    expect(host.lines.filter((l) => l.startsWith('! FRAME'))).toEqual([]);
    expect(await host.request('GRANT 3')).toBe('5 OK credits=3');
    timers.advance(0);
    expect(host.lines.filter((l) => l.startsWith('! FRAME')).map((l) => l.split(' ')[2])).toEqual(['0', '1', '2']);
    timers.advance(10_000);
    expect(host.lines.some((l) => l.startsWith('! FRAME 3'))).toBe(false);
    await host.request('GRANT 1');
    timers.advance(0);
    await host.waitFor((b) => b.startsWith('! FRAME 3 '));
    expect(await host.waitFor((b) => b.startsWith('! DONE'))).toBe('! DONE steps=4');
  });

  it('garble=1 corrupts every line, drop=1 loses every line', () => {
    const g = serve({ faults: 'garble=1' });
    g.host.send('ID');
    expect(g.host.lines).toEqual([]);
    expect(g.server.stats.garbledBytes).toBe(2); // banner and reply, one corrupted byte each
    // a flipped line feed merges lines, a flip into a line feed splits one: either way nothing valid arrives
    const c = g.host.decoder.counters;
    expect(c.crc + c.garbage + c.overlong + (g.host.decoder.pending > 0 ? 1 : 0)).toBeGreaterThan(0);
    const d = serve({ faults: 'drop=1' });
    d.host.send('ID');
    expect(d.host.lines).toEqual([]);
    expect(d.server.stats.droppedLines).toBe(2); // banner and reply
    expect(d.server.stats.linesSent).toBe(0);
  });

  it('garble and drop rates are about what was asked, and seeded', () => {
    const lost = (seed: number): number[] => {
      const { host } = serve({ faults: 'garble=0.002,drop=0.05', seed });
      host.lines.length = 0;
      const missing: number[] = [];
      for (let i = 1; i <= 300; i++) {
        host.send('PING');
        if (!host.lines.includes(`${i} OK`)) missing.push(i);
        host.lines.length = 0;
      }
      return missing;
    };
    const a = lost(1);
    // per reply: P(lost) = 1 - (1 - 0.05) * (1 - 0.002) ~ 0.052, about 16 of 300
    expect(a.length).toBeGreaterThan(8);
    expect(a.length).toBeLessThan(40);
    expect(lost(1)).toEqual(a);
    expect(lost(2)).not.toEqual(a);
  });

  it('reset-every=N reboots after every N-th command (banner, boot counter, state lost)', async () => {
    const { host } = serve({ faults: 'reset-every=3' });
    await host.waitFor((b) => b.startsWith('! BOOT'));
    await host.request('ESET 0:7');
    await host.request('PING');
    await host.request('PING');
    expect(await host.waitFor((b) => b.startsWith('! BOOT'))).toMatch(/boot=2$/);
    expect(await host.request('EGET')).toMatch(/^4 OK 50,/);
    expect(await host.request('STAT')).toMatch(/boot=2 /);
  });

  it('paces a reply at the baud rate: it starts once the command has arrived and takes 10 bit times per byte', () => {
    const baud = 9600;
    const { host, timers, writes } = serve({ baud, banner: false, leadMs: 0 });
    const command = encodeFrame('1 TOPO');
    host.write(command);
    const reply = encodeFrame(new TwinFirmware(new TwinBoardCore(gen1, { ideal: true })).receive('1 TOPO')[0]);
    const due = ((command.length + reply.length) * 10 * 1000) / baud; // ms: the command in, then the reply out
    timers.advance(due * (1 - 1e-9));
    expect(writes).toEqual([]);
    timers.advance(due * 1e-9);
    expect(writes).toEqual([{ at: due, bytes: reply.length }]);
    expect(host.lines).toEqual([reply.slice(0, -6)]);
  });

  it('sends queued lines back to back: each starts when the previous one has left the UART', () => {
    const baud = 115200;
    const { host, timers, writes } = serve({ baud, banner: false, faults: 'reset-every=1', leadMs: 0 });
    const command = encodeFrame('1 PING');
    host.write(command); // the reply, then (the spontaneous reset) the banner, queued at the same moment
    timers.advance(1000);
    const ms = (bytes: number): number => (bytes * 10 * 1000) / baud;
    expect(writes.length).toBe(2);
    expect(writes[0].at).toBeCloseTo(ms(command.length + writes[0].bytes), 9);
    expect(writes[1].at).toBeCloseTo(ms(command.length + writes[0].bytes + writes[1].bytes), 9);
    expect(host.lines[0]).toBe('1 OK');
    expect(host.lines[1]).toMatch(/^! BOOT .* boot=2$/);
  });

  it('with a lead, writes a reply up to leadMs before its wire time, and the host\'s next command counts from that wire time', () => {
    const baud = 9600;
    const leadMs = 50;
    const { host, timers, writes } = serve({ baud, banner: false, leadMs });
    const ms = (bytes: number): number => (bytes * 10 * 1000) / baud;
    const fw = new TwinFirmware(new TwinBoardCore(gen1, { ideal: true }));
    // stop-and-wait with no time between a reply and the next command: each reply is written as soon as it is
    // within leadMs of its wire time, and the k-th is due at the sum of the wire times of every byte so far
    let due = 0;
    for (let k = 1; k <= 6; k++) {
      const command = encodeFrame(`${k} TOPO`);
      const reply = encodeFrame(fw.receive(`${k} TOPO`)[0]);
      host.write(command);
      due += ms(command.length + reply.length);
      // (the clock moves in steps of 1 us here; the host's write then comes up to that late, which counts as its own time)
      while (writes.length < k) timers.advance(0.001);
      const at = writes[k - 1].at;
      expect(at, `reply ${k}`).toBeGreaterThanOrEqual(due - leadMs - 1e-9);
      expect(at, `reply ${k}`).toBeLessThanOrEqual(Math.max(0, due - leadMs) + 0.002 * k);
    }
  });

  it('with a lead, the host\'s time between a reply and its next command still counts: the lead never accumulates', () => {
    const baud = 115200;
    const leadMs = 8;
    const { host, timers, writes } = serve({ baud, banner: false, leadMs });
    const ms = (bytes: number): number => (bytes * 10 * 1000) / baud;
    const thinkMs = 0.5;
    let wire = 0;
    for (let k = 1; k <= 200; k++) {
      const command = encodeFrame(`${k} PING`);
      host.write(command);
      while (writes.length < k) timers.advance(0.05);
      wire += ms(command.length + writes[k - 1].bytes);
      // the k-th reply cannot be written before the wire and the host's thinking so far, less one lead
      expect(writes[k - 1].at, `reply ${k}`).toBeGreaterThanOrEqual(wire + (k - 1) * thinkMs - leadMs - 1e-9);
      timers.advance(thinkMs);
    }
    // and it is not written much later either: the exchanges ran at the wire's rate plus the thinking
    expect(writes[199].at).toBeLessThanOrEqual(wire + 199 * thinkMs + 0.05 * 200);
  });

  it('steps an autonomous run at stepMs on the board clock, catching up when the timer fires late', async () => {
    const stepMs = 4;
    const { host, timers } = serve({ stepMs });
    await host.request('SCHED BEGIN steps=20 examples=1 src=0 tgt=9 eta=0.5');
    await host.request('SCHED EX 0 in=4 out=1');
    await host.request('SCHED END');
    await host.request('RUN');
    await host.request('GRANT 20');
    const frames = (): number => host.lines.filter((l) => l.startsWith('! FRAME')).length;
    // on time: one step per stepMs
    timers.advance(stepMs * (1 - 1e-9));
    expect(frames()).toBe(0);
    timers.advance(stepMs * 1e-9);
    expect(frames()).toBe(1);
    timers.advance(stepMs);
    expect(frames()).toBe(2);
    // a timer that fires 5 steps late (the event loop was busy) catches up at once: the step rate is the board's
    timers.advanceLate(5 * stepMs);
    expect(frames()).toBe(7);
    timers.advance(stepMs);
    expect(frames()).toBe(8);
  });
});

describe('twin binding transport (twins/TwinBinding.ts: a serialport binding whose ports are twins)', () => {
  let n = 0;
  const twinPath = (): string => `/dev/clln-twin-${process.pid}-${++n}`;

  it('answers a host that opens the path with the binding', async () => {
    const path = twinPath();
    const binding = new TwinBinding();
    const twin = binding.serve(path, new TwinBoardCore(gen1, { ideal: true }), { baud: 0 });
    cleanup.push(() => twin.close());
    const port = await openPort(path, binding);
    closeLater(port);
    const host = hostOn(port);
    const id = await host.request('ID');
    expect(parseReply(id)).toMatchObject({ kind: 'ok', seq: 1 });
    expect(id).toContain('board=penn-gen1');
    await host.request('SRC 0:2.5,15:0');
    const meas = await host.request('MEAS');
    const local = new TwinBoardCore(gen1, { ideal: true });
    local.setSources([[0, 2.5], [15, 0]]);
    expect(meas).toBe(`3 OK ${Array.from(local.measure()).join(',')}`);
  });

  it('is a binding of its own: no global port table (two bindings serve one path independently), list, lock, unknown paths', async () => {
    const path = twinPath();
    const a = new TwinBinding();
    const b = new TwinBinding();
    const ta = a.serve(path, new TwinBoardCore(gen1, { ideal: true }), { baud: 0 });
    const tb = b.serve(path, new TwinBoardCore(gen1, { ideal: true }), { baud: 0 });
    cleanup.push(() => ta.close(), () => tb.close());
    expect(() => a.serve(path, new TwinBoardCore(gen1, { ideal: true }))).toThrow(/already served/);
    expect((await a.list()).map((p) => p.path)).toEqual([path]);
    expect((await new TwinBinding().list())).toEqual([]);
    await expect(openPort(path, new TwinBinding())).rejects.toThrow(/does not exist/);
    const pa = await openPort(path, a);
    closeLater(pa);
    const pb = await openPort(path, b);
    closeLater(pb);
    // one host per port, as a locked serial device
    await expect(openPort(path, a)).rejects.toThrow(/locked/);
    const ha = hostOn(pa);
    const hb = hostOn(pb);
    await ha.request('ESET 0:7');
    expect(await ha.request('EGET')).toMatch(/^2 OK 7,/);
    expect(await hb.request('EGET')).toMatch(/^1 OK 50,/);
    expect(ta.server.stats.commands).toBe(2);
    expect(tb.server.stats.commands).toBe(1);
  });

  it('works through serialport\'s SerialPortStream; a pending read is canceled (not a disconnect) by close; closing the twin disconnects the host', async () => {
    const path = twinPath();
    const binding = new TwinBinding();
    const twin = binding.serve(path, new TwinBoardCore(gen1, { ideal: true }), { baud: 0 });
    cleanup.push(() => twin.close());
    const s = new SerialPortStream({ binding, path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((r, j) => s.open((e) => (e ? j(e) : r())));
    const h = new Host((t) => s.write(t));
    s.on('data', (d: Buffer) => h.data(d));
    expect(await h.request('PING')).toBe('1 OK');
    const [closedOnPurpose] = (await Promise.all([once(s, 'close'), new Promise<void>((r) => s.close(() => r()))]))[0] as [Error | null];
    expect(closedOnPurpose).toBeNull();
    // reopened (the lock was released), then the twin goes away: the host sees a disconnect
    const s2 = new SerialPortStream({ binding, path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((r, j) => s2.open((e) => (e ? j(e) : r())));
    s2.on('data', () => undefined);
    const closed = once(s2, 'close') as Promise<[Error | null]>;
    await twin.close();
    const [err] = await closed;
    expect((err as { disconnected?: boolean } | null)?.disconnected).toBe(true);
    await expect(openPort(path, binding)).rejects.toThrow(/does not exist/);
  });

  it('unplug: the host port closes with a disconnect, open fails for unplug-ms (virtual), then the board is back rebooted', async () => {
    const path = twinPath();
    const timers = new ManualTimers();
    const binding = new TwinBinding();
    const twin = binding.serve(path, new TwinBoardCore(gen1, { ideal: true }), { baud: 0, faults: 'unplug-every=2,unplug-ms=150', timers });
    cleanup.push(() => twin.close());
    const port = await openPort(path, binding);
    const closed = once(port, 'close') as Promise<[Error | null]>;
    const host = hostOn(port);
    await host.request('ESET 0:3');
    expect(await host.request('PING')).toBe('2 OK'); // the 2nd command's reply went out before the plug is pulled
    timers.advance(0); // the unplug fires
    const [err] = await closed;
    expect((err as { disconnected?: boolean } | null)?.disconnected).toBe(true);
    expect(twin.unplugged).toBe(true);
    expect(await binding.list()).toEqual([]);
    await expect(openPort(path, binding)).rejects.toThrow(/does not exist/);
    timers.advance(149);
    expect(twin.unplugged).toBe(true);
    timers.advance(1);
    expect(twin.unplugged).toBe(false);
    const p2 = await openPort(path, binding);
    closeLater(p2);
    const h2 = hostOn(p2);
    expect(await h2.waitFor((b) => b.startsWith('! BOOT'))).toMatch(/boot=2$/);
    expect(await h2.request('EGET')).toMatch(/^1 OK 50,/);
    expect(twin.server.stats.unplugs).toBe(1);
  });
});

describe('pty transport (in-process pseudo-terminal, no system tool)', () => {
  it('serves on a pty: the host opens the path, ID answers; an unplug hangs up the host and removes the path, which comes back', async () => {
    const timers = new ManualTimers();
    const served = await servePty(new TwinBoardCore(gen1, { ideal: true }), { baud: 0, faults: 'unplug-every=2,unplug-ms=1500', timers });
    cleanup.push(() => served.close());
    expect(existsSync(served.path)).toBe(true);
    // a host on the bare terminal device (libuv reads it on the main thread and reports end-of-file; serialport,
    // which the serial host uses, keeps re-reading a hung-up device and leaves the disconnect to its path watch)
    const first = rawHost(served.path);
    const id = await first.host.request('ID');
    expect(parseReply(id)).toMatchObject({ kind: 'ok', seq: 1 });
    expect(id).toContain('board=penn-gen1');
    // the plug is pulled only when the virtual clock moves, so the 2nd command's reply arrives first
    expect(await first.host.request('PING')).toBe('2 OK');
    const unplugged = once(served.events, 'unplugged');
    timers.advance(0);
    await unplugged;
    expect(existsSync(served.path)).toBe(false);
    await first.closed; // the hang-up reaches the open host port: end of file, the port closes
    const plugged = once(served.events, 'plugged');
    timers.advance(1499);
    expect(existsSync(served.path)).toBe(false);
    timers.advance(1);
    await plugged;
    expect(existsSync(served.path)).toBe(true);
    const p2 = await openPort(served.path);
    closeLater(p2);
    const h2 = hostOn(p2);
    expect(await h2.request('STAT')).toMatch(/^1 OK boot=2 /);
    expect(served.server.stats.unplugs).toBe(1);
  });

  it('the slave is raw before any host opens it: the banner is not echoed back to the twin, nothing is translated', async () => {
    const served = await servePty(new TwinBoardCore(gen1, { ideal: true }), { baud: 0 });
    cleanup.push(() => served.close());
    // a host that sets no terminal mode of its own (serialport would make the line raw itself, and flush it)
    const { host } = rawHost(served.path);
    expect(await host.waitFor((b) => b.startsWith('! BOOT'))).toMatch(/boot=1$/);
    // CR LF in: a cooked line would turn the CR into a second line feed (an empty line) and echo the frame
    host.write(encodeFrame(`${host.nextSeq()} PING`).replace('\n', '\r\n'));
    expect(await host.waitFor((b) => b.startsWith('1 '))).toBe('1 OK');
    expect(await host.request('STAT')).toMatch(/^2 OK boot=1 crc=0 overlong=0 garbage=0 /);
    expect(host.lines).toEqual([]); // no echo of our own frames
    expect(served.server.stats.commands).toBe(2); // the twin never read its own banner back
  });

  it('a host that stops reading does not stall the twin: it keeps taking commands, and every reply arrives later', async () => {
    const served = await servePty(new TwinBoardCore(gen1, { ideal: true }), { baud: 0 });
    cleanup.push(() => served.close());
    const port = await openPort(served.path);
    closeLater(port);
    port.pause(); // read nothing: the replies pile up in the pty (far more than its buffer holds)
    const N = 20_000;
    let frames = '';
    for (let i = 1; i <= N; i++) frames += encodeFrame(`${i} PING`);
    port.write(frames);
    await until(() => served.server.stats.commands === N);
    const host = hostOn(port);
    port.resume();
    expect(await host.waitFor((b) => b === `${N} OK`)).toBe(`${N} OK`);
    expect(host.lines.length).toBe(N - 1);
    expect(host.lines.every((l, i) => l === `${i + 1} OK`)).toBe(true);
  });

  it('serveSerialPort serves on an existing device; an unplug closes it for unplug-ms (virtual) and opens it again', async () => {
    // the device: the slave of a pty made here; the host holds the master end
    let host!: Host;
    const pt = await openPseudoTerminal({ onData: (d) => host.data(d) });
    cleanup.push(() => pt.close());
    host = new Host((s) => pt.write(Buffer.from(s, 'latin1')));
    const timers = new ManualTimers();
    const served = await serveSerialPort(pt.slavePath, new TwinBoardCore(gen1, { ideal: true }), { baud: 0, faults: 'unplug-every=2,unplug-ms=100', timers });
    cleanup.push(() => served.close());
    expect(await host.waitFor((b) => b.startsWith('! BOOT'))).toMatch(/boot=1$/);
    expect(await host.request('ID')).toContain('board=penn-gen1');
    expect(await host.request('PING')).toBe('2 OK');
    timers.advance(0); // the unplug: the twin closes the device once the reply has gone out ...
    await until(() => timers.size > 0); // ... and then waits unplug-ms to open it again
    timers.advance(99);
    expect(served.server.attached).toBe(false);
    timers.advance(1);
    expect(await host.waitFor((b) => b.startsWith('! BOOT'))).toMatch(/boot=2$/); // back, rebooted
    expect(await host.request('STAT')).toMatch(/^3 OK boot=2 /);
  });

  it('refuses a --link path that exists, and leaves it alone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-link-'));
    const file = join(dir, 'taken');
    writeFileSync(file, 'mine');
    await expect(servePty(new TwinBoardCore(gen1), { link: file })).rejects.toThrow(InvalidInputError);
    expect(readFileSync(file, 'utf8')).toBe('mine');
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(!existsSync(CLI))('clln twin serve --pty prints READY <path>; the path answers ID; SIGTERM cleans up', async () => {
    const child = spawn(process.execPath, [CLI, 'twin', 'serve', '--board', 'penn-gen2', '--pty', '--seed', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    cleanup.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    const path = await new Promise<string>((res, rej) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^READY (\S+)$/m.exec(out);
        if (m) res(m[1]);
      });
      void exited.then(([code]) => rej(new Error(`exited ${code} before READY: ${out}`)));
    });
    const port = await openPort(path);
    const host = hostOn(port);
    const id = await host.request('ID');
    expect(id).toMatch(/^1 OK proto=1\.4 fw=clln-twin-1.0.0 board=penn-gen2 uid=5e1f0002 boot=1 nodes=16 edges=32 /);
    expect(id).toContain('edge=gate,0,5');
    await new Promise<void>((r) => port.close(() => r()));
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
    expect(existsSync(path)).toBe(false);
  });
});
