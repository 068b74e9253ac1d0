import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SerialPort, SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, LineDecoder, parseReply } from '../../firmware-protocol/codec.js';
import { InvalidInputError } from '../../src/errors.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';
import { TwinFirmware } from '../../twins/TwinFirmware.js';
import { createMockTwinPort, NO_FAULTS, parseFaults, type ServedTwin, servePty, TwinServer, twinMockBinding } from '../../twins/TwinServer.js';

const gen1 = loadBoardModel('penn-gen1');
const CLI = resolve(__dirname, '../../dist/src/cli/main.js');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Host side of a link: frames out, decoded bodies in. */
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
  /** Send a command with a new SEQ; resolve with the reply body for it. */
  async request(text: string, timeoutMs = 3000): Promise<string> {
    this.seq++;
    const seq = this.seq;
    this.write(encodeFrame(`${seq} ${text}`));
    return this.waitFor((b) => b.startsWith(`${seq} `), timeoutMs);
  }
  async waitFor(pred: (b: string) => boolean, timeoutMs = 3000): Promise<string> {
    const t0 = Date.now();
    for (;;) {
      const i = this.lines.findIndex(pred);
      if (i >= 0) return this.lines.splice(i, 1)[0];
      if (Date.now() - t0 > timeoutMs) throw new Error(`timeout; got ${JSON.stringify(this.lines)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 20);
      });
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

describe('TwinServer over an in-memory link', () => {
  function serve(faults: string, seed = 0): { server: TwinServer; host: Host } {
    const fw = new TwinFirmware(new TwinBoardCore(gen1, { ideal: true }));
    const server = new TwinServer(fw, { baud: 0, faults, seed, stepMs: 0 });
    let host!: Host;
    host = new Host((s) => server.input(Buffer.from(s, 'latin1')));
    server.attach((b) => host.data(b), { banner: true });
    cleanup.push(() => server.close());
    return { server, host };
  }

  it('answers frames, counts bad input in STAT, sends the banner on attach', async () => {
    const { server, host } = serve('');
    expect(await host.waitFor((b) => b.startsWith('! BOOT'))).toBe('! BOOT fw=clln-twin-1.0.0 proto=1.1 board=penn-gen1 boot=1');
    expect(await host.request('PING')).toBe('1 OK');
    server.input('1 PING*0000\n'); // bad CRC: no reply, counted
    server.input(Buffer.from([0x01, 0x02, 0x0a])); // garbage
    server.input('x'.repeat(2000) + '\n'); // overlong
    expect(await host.request('STAT')).toBe('2 OK boot=1 crc=1 overlong=1 garbage=1 dup=0 badseq=0 steps=0 run=none runstep=0 runerr=0');
    expect(server.stats.commands).toBe(2);
  });

  it('streams an autonomous run as credits arrive', async () => {
    const { host } = serve('');
    await host.request('SCHED BEGIN steps=4 examples=1 src=0 tgt=9 eta=0.5');
    await host.request('SCHED EX 0 in=4 out=1');
    await host.request('SCHED END');
    expect(await host.request('RUN')).toBe('4 OK steps=4');
    await sleep(20);
    expect(host.lines.filter((l) => l.startsWith('! FRAME'))).toEqual([]);
    expect(await host.request('GRANT 3')).toBe('5 OK credits=3');
    for (let s = 0; s < 3; s++) await host.waitFor((b) => b.startsWith(`! FRAME ${s} `));
    await sleep(20);
    expect(host.lines.some((l) => l.startsWith('! FRAME 3'))).toBe(false);
    await host.request('GRANT 1');
    await host.waitFor((b) => b.startsWith('! FRAME 3 '));
    expect(await host.waitFor((b) => b.startsWith('! DONE'))).toBe('! DONE steps=4');
  });

  it('garble=1 corrupts every reply, drop=1 loses every reply', async () => {
    const g = serve('garble=1');
    g.host.write(encodeFrame('1 ID'));
    // wait for both lines (banner, reply) rather than a fixed time: a loaded CI machine may be slow
    for (let t = 0; t < 200 && g.server.stats.garbledBytes < 2; t++) await sleep(10);
    await sleep(10);
    expect(g.host.lines).toEqual([]);
    expect(g.server.stats.garbledBytes).toBe(2); // banner and reply, one corrupted byte each
    // a flipped line feed merges lines, a flip into a line feed splits one: either way nothing valid arrives
    const c = g.host.decoder.counters;
    expect(c.crc + c.garbage + c.overlong + (g.host.decoder.pending > 0 ? 1 : 0)).toBeGreaterThan(0);
    const d = serve('drop=1');
    d.host.write(encodeFrame('1 ID'));
    await sleep(10);
    expect(d.host.lines).toEqual([]);
    expect(d.server.stats.droppedLines).toBe(2); // banner and reply
    expect(d.server.stats.linesSent).toBe(0);
  });

  it('garble and drop rates are about what was asked, and seeded', async () => {
    const lost = async (seed: number): Promise<number[]> => {
      const { host } = serve('garble=0.002,drop=0.05', seed);
      await host.waitFor(() => true).catch(() => '');
      const missing: number[] = [];
      for (let i = 1; i <= 300; i++) {
        host.write(encodeFrame(`${i} PING`));
        if (!host.lines.includes(`${i} OK`)) missing.push(i);
        host.lines.length = 0;
      }
      return missing;
    };
    const a = await lost(1);
    // per reply: P(lost) = 1 - (1 - 0.05) * (1 - 0.002) ~ 0.052, about 16 of 300
    expect(a.length).toBeGreaterThan(8);
    expect(a.length).toBeLessThan(40);
    expect(await lost(1)).toEqual(a);
    expect(await lost(2)).not.toEqual(a);
  });

  it('reset-every=N reboots after every N-th command (banner, boot counter, state lost)', async () => {
    const { host } = serve('reset-every=3');
    await host.waitFor((b) => b.startsWith('! BOOT'));
    await host.request('ESET 0:7');
    await host.request('PING');
    await host.request('PING');
    expect(await host.waitFor((b) => b.startsWith('! BOOT'))).toMatch(/boot=2$/);
    expect(await host.request('EGET')).toMatch(/^4 OK 50,/);
    expect(await host.request('STAT')).toMatch(/boot=2 /);
  });
});

describe('mock binding transport', () => {
  let n = 0;
  const mockPath = (): string => `/dev/clln-mock-twin-${process.pid}-${++n}`;

  it('answers a host that opens the path with the mock binding', async () => {
    const path = mockPath();
    const twin = createMockTwinPort(path, new TwinBoardCore(gen1, { ideal: true }), { baud: 0 });
    cleanup.push(() => twin.close());
    const port = await openPort(path, twinMockBinding);
    cleanup.push(() => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())));
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

  it('works with SerialPortMock and with the ES-module MockBinding too', async () => {
    const path = mockPath();
    const twin = createMockTwinPort(path, new TwinBoardCore(gen1, { ideal: true }), { baud: 0 });
    cleanup.push(() => twin.close());
    const a = new SerialPortMock({ path, baudRate: 115200 });
    await new Promise((r) => a.on('open', r));
    const ha = new Host((s) => a.write(s));
    a.on('data', (d: Buffer) => ha.data(d));
    expect(await ha.request('PING')).toBe('1 OK');
    await new Promise<void>((r) => a.close(() => r()));
    const spec = '@serialport/binding-mock';
    const { MockBinding } = (await import(spec)) as { MockBinding: unknown };
    const b = await openPort(path, MockBinding);
    const hb = hostOn(b);
    expect(await hb.request('PING')).toBe('1 OK');
    await new Promise<void>((r) => b.close(() => r()));
  });

  it('paces replies at the baud rate', async () => {
    const path = mockPath();
    const twin = createMockTwinPort(path, new TwinBoardCore(gen1, { ideal: true }), { baud: 9600 });
    cleanup.push(() => twin.close());
    const port = await openPort(path, twinMockBinding);
    cleanup.push(() => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())));
    const host = hostOn(port);
    const t0 = performance.now();
    const reply = await host.request('TOPO');
    const ms = performance.now() - t0;
    const expected = ((reply.length + 6) * 10 * 1000) / 9600;
    expect(ms).toBeGreaterThan(0.9 * expected);
    expect(ms).toBeLessThan(expected + 300);
  });

  it('unplug: the host port closes with a disconnect, open fails, then the board is back rebooted', async () => {
    const path = mockPath();
    const twin = createMockTwinPort(path, new TwinBoardCore(gen1, { ideal: true }), { baud: 0, faults: 'unplug-every=2,unplug-ms=150' });
    cleanup.push(() => twin.close());
    const port = await openPort(path, twinMockBinding);
    const closed = new Promise<Error | null>((r) => port.on('close', (e: Error | null) => r(e)));
    const host = hostOn(port);
    await host.request('ESET 0:3');
    expect(await host.request('PING')).toBe('2 OK'); // the 2nd command's reply still arrives
    const err = await closed;
    expect((err as { disconnected?: boolean } | null)?.disconnected).toBe(true);
    expect(twin.unplugged).toBe(true);
    await expect(openPort(path, twinMockBinding)).rejects.toThrow(/does not exist/);
    await sleep(200);
    expect(twin.unplugged).toBe(false);
    const p2 = await openPort(path, twinMockBinding);
    cleanup.push(() => new Promise<void>((r) => (p2.isOpen ? p2.close(() => r()) : r())));
    const h2 = hostOn(p2);
    expect(await h2.waitFor((b) => b.startsWith('! BOOT'))).toMatch(/boot=2$/);
    expect(await h2.request('EGET')).toMatch(/^1 OK 50,/);
    expect(twin.server.stats.unplugs).toBe(1);
  });
});

describe('pty transport (socat)', () => {
  it('serves on a pty: the host opens the path, ID answers; an unplug removes the path and it comes back', async () => {
    // a long unplug and generous waits: the whole suite loads both cores, and a short window could be missed
    const served: ServedTwin = await servePty(new TwinBoardCore(gen1, { ideal: true }), { baud: 0, faults: 'unplug-every=2,unplug-ms=1500' });
    cleanup.push(() => served.close());
    expect(existsSync(served.path)).toBe(true);
    const port = await openPort(served.path);
    const closed = new Promise<void>((r) => port.on('close', () => r()));
    port.on('error', () => {});
    const host = hostOn(port);
    const id = await host.request('ID');
    expect(parseReply(id)).toMatchObject({ kind: 'ok', seq: 1 });
    expect(id).toContain('board=penn-gen1');
    expect(await host.request('PING')).toBe('2 OK');
    // unplugged: the path disappears, the host's port fails
    const t0 = Date.now();
    while (existsSync(served.path) && Date.now() - t0 < 5000) await sleep(10);
    expect(existsSync(served.path)).toBe(false);
    await Promise.race([closed, sleep(5000)]);
    expect(port.isOpen).toBe(false);
    // and comes back
    while (!existsSync(served.path) && Date.now() - t0 < 15000) await sleep(10);
    expect(existsSync(served.path)).toBe(true);
    await sleep(50);
    const p2 = await openPort(served.path);
    cleanup.push(() => new Promise<void>((r) => (p2.isOpen ? p2.close(() => r()) : r())));
    const h2 = hostOn(p2);
    expect(await h2.request('STAT')).toMatch(/^1 OK boot=2 /);
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
    cleanup.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    const path = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no READY line: ${out}`)), 8000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^READY (\S+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          res(m[1]);
        }
      });
      child.once('exit', (code) => rej(new Error(`exited ${code}`)));
    });
    const port = await openPort(path);
    const host = hostOn(port);
    const id = await host.request('ID');
    expect(id).toMatch(/^1 OK proto=1\.1 fw=clln-twin-1.0.0 board=penn-gen2 uid=5e1f0002 boot=1 nodes=16 edges=32 /);
    expect(id).toContain('edge=gate,0,5');
    await new Promise<void>((r) => port.close(() => r()));
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(path)).toBe(false);
  });
});
