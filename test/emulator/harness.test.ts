/**
 * clln-emu, the libsimavr board emulator (firmware-protocol/emulator), checked against independent truth with its
 * own small AVR programs (firmware-protocol/emulator/test-fw): board.c drives the SPI chips exactly as HARDWARE.md
 * says and reads the ADC on commands, echo.c echoes bytes. What is compared:
 * - SPI words: the chip state in --dump-truth against the words sent, decoded as the datasheets say;
 * - node voltages: ADC codes against a closed form (symmetric lattice) and against a Laplacian solve written here
 *   (Gaussian elimination) from the drawn resistances, within the ADC's quantisation;
 * - tolerances: deterministic per seed, different between seeds, within the model's 3-sigma truncation;
 * - faults: per line (the bytes up to and including a LF) in each direction, counts within binomial bounds of the
 *   requested probabilities, whole lines lost, one bit of one uniformly chosen byte flipped per garbled line;
 * - power cycles, the EEPROM file, --uid, bad models and arguments (exit 2), --exit-with-stdin, SIGTERM.
 * Skipped, with the Debian packages named, when avr-gcc or libsimavr is missing.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialPort } from 'serialport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc16, crcHex } from '../../firmware-protocol/crc16.js';
import { buildFirmware, type EmulatorStats } from '../../src/pipeline/serveFirmware.js';
import { assertFirmwareBuilt } from '../firmwareBuildSetup.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const EMU_DIR = join(ROOT, 'firmware-protocol/emulator');
const MODEL = join(EMU_DIR, 'models/clln-ref16.model');
const PACKAGES = 'gcc-avr avr-libc binutils-avr libsimavr-dev simavr';

function have(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0;
}
const missing: string[] = [];
if (!have('avr-gcc', ['--version'])) missing.push('avr-gcc');
if (!existsSync('/usr/include/simavr/sim_avr.h')) missing.push('libsimavr headers');
if (!have('make', ['--version'])) missing.push('make');
const skipReason = missing.length ? `clln-emu tests skipped: ${missing.join(', ')} missing; install the Debian packages ${PACKAGES}` : '';
if (skipReason) console.warn(skipReason);

let BUILD = '';
let EMU = '';

/** Lines from a stream of chunks, awaited one at a time. */
class Lines {
  private buf = '';
  private queue: string[] = [];
  private waiters: ((l: string) => void)[] = [];
  push(chunk: string): void {
    this.buf += chunk;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i).replace(/\r$/, '');
      this.buf = this.buf.slice(i + 1);
      const w = this.waiters.shift();
      if (w) w(line);
      else this.queue.push(line);
    }
  }
  next(what: string, ms = 30_000): Promise<string> {
    const l = this.queue.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((res, rej) => {
      const waiter = (line: string): void => {
        clearTimeout(t);
        res(line);
      };
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter); // a late line must not go to a dead waiter
        rej(new Error(`no line within ${ms} ms: ${what}`));
      }, ms);
      this.waiters.push(waiter);
    });
  }
  /** Skips lines until one matches. */
  async until(re: RegExp, what: string): Promise<string> {
    for (;;) {
      const l = await this.next(what);
      if (re.test(l)) return l;
    }
  }
}

/** The emulator's `stats` reply: the fields serveFirmware reads, and the harness-only ones beyond them. */
interface Stats extends EmulatorStats {
  malformed: number;
  spi_words: number;
  dac_control: number;
  rx_lines: number;
  tx_lines: number;
  rx_garbled: number;
  tx_garbled: number;
  rx_dropped: number;
  tx_dropped: number;
  dropped_bytes: number;
}

class Emu {
  proc: ChildProcessWithoutNullStreams;
  out = new Lines();
  err = '';
  path = '';
  port?: SerialPort;
  rx = new Lines();
  raw: number[] = [];
  exited: Promise<number | null>;

  constructor(args: string[]) {
    this.proc = spawn(EMU, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stdout.on('data', (d: string) => this.out.push(d));
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (d: string) => (this.err += d));
    this.exited = new Promise((res) => this.proc.on('exit', (code) => res(code)));
  }

  async ready(): Promise<string> {
    const l = await this.out.next('READY line');
    expect(l).toMatch(/^READY \/dev\/pts\/\d+$/);
    this.path = l.slice(6);
    return l;
  }

  async open(): Promise<void> {
    const port = new SerialPort({ path: this.path, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
    this.rx = new Lines();
    port.on('data', (d: Buffer) => {
      for (const b of d) this.raw.push(b);
      this.rx.push(d.toString('latin1'));
    });
    this.port = port;
  }

  async closePort(): Promise<void> {
    const p = this.port;
    this.port = undefined;
    if (p?.isOpen) await new Promise<void>((res) => p.close(() => res()));
  }

  write(s: string | Buffer): void {
    this.port!.write(s);
  }

  /** One command to board.elf, its one-line answer (without board.c's "> "). Other lines are skipped: the port
   * keeps what the program sent before the host opened it, so a host opening it mid-banner reads the banner's tail. */
  async cmd(line: string): Promise<string> {
    this.write(`${line}\n`);
    return (await this.rx.until(/^> /, `answer to ${line}`)).slice(2);
  }

  async stats(): Promise<Stats> {
    this.proc.stdin.write('stats\n');
    return JSON.parse(await this.out.until(/^\{/, 'stats JSON')) as Stats;
  }

  async stop(): Promise<number | null> {
    await this.closePort();
    if (this.proc.exitCode === null) this.proc.stdin.end('quit\n');
    return this.exited;
  }
}

const running: Emu[] = [];
async function start(args: string[], open = true): Promise<Emu> {
  const e = new Emu(args);
  running.push(e);
  await e.ready();
  if (open) await e.open();
  return e;
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'clln-emu-'));
}

interface Truth {
  seed: number;
  vref: number;
  switch_ron: number;
  leak: number;
  edges: { a: number; b: number; rs: number; rw: number; rab: number; rmin: number; rmax: number; tap: number; r: number }[];
  dac: { code: number; volts: number; node: number }[];
  switch: number;
  node_volts: number[];
}
const readTruth = (f: string): Truth => JSON.parse(readFileSync(f, 'utf8')) as Truth;

/** HARDWARE.md's edge list, written out from its rule: for each node, right (col < 3) then down (row < 3). */
function latticeEdges(): [number, number][] {
  const e: [number, number][] = [];
  for (let n = 0; n < 16; n++) {
    if (n % 4 < 3) e.push([n, n + 1]);
    if (Math.floor(n / 4) < 3) e.push([n, n + 4]);
  }
  return e;
}

/** Node voltages by Gaussian elimination with partial pivoting of the nodal equations, written independently of the
 * emulator's Cholesky: G v = b with edge conductances, a leak to ground per node, and sources through Ron. */
function solveNetwork(edgeR: number[], sources: { node: number; volts: number }[], ron: number, leak: number): number[] {
  const n = 16;
  const G = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  latticeEdges().forEach(([a, b], i) => {
    const g = 1 / edgeR[i]!;
    G[a]![a]! += g;
    G[b]![b]! += g;
    G[a]![b]! -= g;
    G[b]![a]! -= g;
  });
  for (let i = 0; i < n; i++) G[i]![i]! += leak;
  for (const s of sources) {
    G[s.node]![s.node]! += 1 / ron;
    G[s.node]![n]! += s.volts / ron;
  }
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(G[r]![c]!) > Math.abs(G[p]![c]!)) p = r;
    [G[c], G[p]] = [G[p]!, G[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = G[r]![c]! / G[c]![c]!;
      for (let k = c; k <= n; k++) G[r]![k]! -= f * G[c]![k]!;
    }
  }
  const v = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = G[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= G[r]![k]! * v[k]!;
    v[r] = s / G[r]![r]!;
  }
  return v;
}

/** The ATmega2560's ideal 10-bit conversion (datasheet 26.7): floor(V * 1024 / VREF), clamped. */
const adcCode = (v: number, vref = 5): number => Math.min(1023, Math.max(0, Math.floor((v * 1024) / vref)));

function writeModel(dir: string, name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}
const EXACT_MODEL = `board clln-ref16
lattice 4 4
rs 1000
rw 45
rab 10000
switch_ron 2.5
leak 1e-8
adc_noise 0
vref 5.0
`;

describe.skipIf(skipReason !== '')('clln-emu on libsimavr', () => {
  let BOARD = '';
  let ECHO = '';
  let FIRMWARE = '';
  let FIRMWARE_1M = '';

  beforeAll(async () => {
    // the emulator and both firmware builds are the global setup's (test/firmwareBuildSetup.ts, CLLN_BUILD_DIR),
    // taken from its cache; only the test programs, which nothing else uses, are made here
    assertFirmwareBuilt();
    const slow = await buildFirmware({ baud: 115200, buildDir: process.env.CLLN_BUILD_DIR });
    const fast = await buildFirmware({ baud: 1000000, buildDir: process.env.CLLN_BUILD_DIR });
    FIRMWARE = slow.elf;
    FIRMWARE_1M = fast.elf;
    EMU = slow.emulator;
    BUILD = tmp();
    const dir = join(EMU_DIR, 'test-fw');
    const r = spawnSync('make', ['-s', '-C', dir, `O=${BUILD}`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make -C ${dir} failed:\n${r.stdout}${r.stderr}`);
    BOARD = join(BUILD, 'board.elf');
    ECHO = join(BUILD, 'echo.elf');
  }, 120_000);

  afterAll(async () => {
    for (const e of running) {
      await e.closePort();
      if (e.proc.exitCode === null) e.proc.kill('SIGKILL');
    }
  });

  it('prints READY with the pty, boots the program with PORF after `power`, and survives a host closing and reopening the port', async () => {
    const e = await start(['--elf', BOARD, '--model', MODEL]);
    e.proc.stdin.write('power\n');
    // the banner of the first boot may have gone before the port was open; the one after `power` is ours
    expect(await e.rx.until(/^boot /, 'boot banner')).toBe('boot mcusr=1'); // PORF = bit 0 of MCUSR
    expect(await e.cmd('E 4000')).toBe('255'); // erased EEPROM
    await e.closePort();
    await e.open();
    expect(await e.cmd('E 4001')).toBe('255');
    expect((await e.stats()).power_cycles).toBe(1);
    expect(await e.stop()).toBe(0);
  });

  it('decodes AD5206, AD5328 and ADG714 words as the datasheets say, and counts malformed ones', async () => {
    const dir = tmp();
    const truth = join(dir, 'truth.json');
    const e = await start(['--elf', BOARD, '--model', MODEL, '--dump-truth', truth]);
    let t = readTruth(truth);
    expect(t.edges.map((x) => x.tap)).toEqual(new Array(24).fill(128)); // power-on: midscale
    expect(t.dac.map((d) => d.code)).toEqual(new Array(8).fill(0));
    expect(t.switch).toBe(0);
    // edge e is on pot e/6 at address e%6: P writes `00000AAA DDDDDDDD` with select PA(e/6)
    const taps: [number, number][] = [[0, 255], [5, 1], [6, 17], [11, 0], [17, 200], [23, 99]];
    for (const [edge, tap] of taps) expect(await e.cmd(`P ${edge} ${tap}`)).toBe('ok');
    // AD5328: `0AAADDDD DDDDDDDD`, mode 1, select PA4
    expect(await e.cmd('D 0 4095')).toBe('ok');
    expect(await e.cmd('D 5 1234')).toBe('ok');
    expect(await e.cmd('D 7 1')).toBe('ok');
    expect(await e.cmd('S 161')).toBe('ok'); // ADG714 S1, S6, S8
    // raw words: the AD5206 keeps the last 11 bits, so 0xFA 0x4D is address 2, code 77
    expect(await e.cmd('X 2 0 2 250 77')).toBe('ok');
    // AD5328 control word (bit 15 = 1): recorded, ignored
    expect(await e.cmd('X 16 1 2 128 255')).toBe('ok');
    // malformed: AD5206 address 6; one byte to an AD5206; three bytes to the DAC; pot in mode 1; switches in mode 0
    for (const raw of ['X 1 0 2 6 9', 'X 1 0 1 3', 'X 16 1 3 1 2 3', 'X 4 1 2 0 50', 'X 32 0 1 255']) expect(await e.cmd(raw)).toBe('ok');
    const s = await e.stats();
    expect(s.malformed).toBe(5);
    expect(s.dac_control).toBe(1);
    expect(s.spi_words).toBe(taps.length + 3 + 1 + 1);
    expect(await e.stop()).toBe(0);
    t = readTruth(truth);
    const want = new Array<number>(24).fill(128);
    for (const [edge, tap] of taps) want[edge] = tap;
    want[8] = 77; // pot 1 address 2
    expect(t.edges.map((x) => x.tap)).toEqual(want);
    expect(t.dac.map((d) => d.code)).toEqual([4095, 0, 0, 0, 0, 1234, 0, 1]);
    expect(t.dac[0]!.volts).toBe((5 * 4095) / 4096);
    expect(t.switch).toBe(161);
    // the switch of DAC channel c joins node c (c < 4) or 8 + c
    expect(t.dac.map((d) => d.node)).toEqual([0, 1, 2, 3, 12, 13, 14, 15]);
  });

  it('node voltages: the closed form of a symmetric lattice (rows driven and clamped, equal taps, exact parts)', async () => {
    const dir = tmp();
    const model = writeModel(dir, 'exact.model', EXACT_MODEL);
    const e = await start(['--elf', BOARD, '--model', model]);
    const tap = 64;
    for (let edge = 0; edge < 24; edge++) await e.cmd(`P ${edge} ${tap}`);
    const code = 3000;
    for (let c = 0; c < 4; c++) await e.cmd(`D ${c} ${code}`); // drive nodes 0..3
    for (let c = 4; c < 8; c++) await e.cmd(`D ${c} 0`); // clamp nodes 12..15 at 0 V
    await e.cmd('S 255');
    const codes = (await e.cmd('M')).split(' ').map(Number);
    await e.stop();
    // by symmetry no current flows in the horizontal edges; each column is Ron, 3 R, Ron between V and 0
    const R = 1000 + 45 + (10000 * (256 - tap)) / 256;
    const V = (5 * code) / 4096;
    const ron = 2.5;
    for (let node = 0; node < 16; node++) {
      const row = Math.floor(node / 4);
      const v = V * (1 - (ron + row * R) / (2 * ron + 3 * R));
      // the leak (1e-8 S) moves a node by < 0.1 mV: at most one code where v sits on a code boundary
      expect(Math.abs(codes[node]! - adcCode(v))).toBeLessThanOrEqual(1);
    }
    expect(codes.slice(0, 4).every((c) => c === codes[0])).toBe(true);
  });

  it('node voltages: the seeded, toleranced network against a separate Laplacian solve, within quantisation and noise', async () => {
    const dir = tmp();
    const truth = join(dir, 'truth.json');
    const e = await start(['--elf', BOARD, '--model', MODEL, '--seed', '7', '--dump-truth', truth]);
    const taps = Array.from({ length: 24 }, (_, i) => (i * 37 + 11) % 256);
    for (let edge = 0; edge < 24; edge++) await e.cmd(`P ${edge} ${taps[edge]}`);
    await e.cmd('D 1 3500'); // drive node 1
    await e.cmd('D 6 900'); // clamp node 14
    await e.cmd('S 66'); // S2, S7
    const runs = [0, 1, 2].map(() => e.cmd('M'));
    const all = (await Promise.all(runs)).map((l) => l.split(' ').map(Number));
    await e.stop();
    const t = readTruth(truth);
    expect(t.seed).toBe(7);
    const edgeR = t.edges.map((x, i) => x.rs + x.rw + (x.rab * (256 - taps[i]!)) / 256);
    const v = solveNetwork(edgeR, [{ node: 1, volts: (5 * 3500) / 4096 }, { node: 14, volts: (5 * 900) / 4096 }], 2.5, 1e-8);
    for (let node = 0; node < 16; node++) {
      expect(t.node_volts[node]).toBeCloseTo(v[node]!, 9);
      // 1 mV rms noise against a 4.88 mV code: within one code of the noiseless code
      for (const codes of all) expect(Math.abs(codes[node]! - adcCode(v[node]!))).toBeLessThanOrEqual(1);
    }
    // a node between the sources is strictly between them (the solve is not trivially flat)
    expect(new Set(all[0]).size).toBeGreaterThan(5);
  });

  it('ADC noise: Gaussian with the model\'s rms, on top of the ideal converter\'s floor', async () => {
    const dir = tmp();
    const model = writeModel(dir, 'noisy.model', EXACT_MODEL.replace('adc_noise 0', 'adc_noise 0.01'));
    const e = await start(['--elf', BOARD, '--model', model, '--seed', '11']);
    for (let edge = 0; edge < 24; edge++) await e.cmd(`P ${edge} 200`);
    for (let c = 0; c < 4; c++) await e.cmd(`D ${c} 3000`);
    for (let c = 4; c < 8; c++) await e.cmd(`D ${c} 500`);
    await e.cmd('S 255');
    const residuals: number[] = [];
    const R = 1000 + 45 + (10000 * 56) / 256;
    const [hi, lo] = [(5 * 3000) / 4096, (5 * 500) / 4096];
    for (let k = 0; k < 25; k++) {
      const codes = (await e.cmd('M')).split(' ').map(Number);
      codes.forEach((c, node) => {
        const row = Math.floor(node / 4);
        const v = hi - (hi - lo) * ((2.5 + row * R) / (5 + 3 * R)); // the symmetric closed form
        residuals.push(c - (v * 1024) / 5); // in codes
      });
    }
    await e.stop();
    const n = residuals.length;
    const mean = residuals.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(residuals.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    // floor(x + noise) - x: mean -1/2, variance sigma^2 + 1/12 with sigma = 10 mV = 2.048 codes
    const want = Math.sqrt(2.048 ** 2 + 1 / 12);
    expect(Math.abs(mean + 0.5)).toBeLessThan(0.4); // ~4 standard errors of the mean (400 samples)
    expect(Math.abs(sd / want - 1)).toBeLessThan(0.15); // ~4 standard errors of the sd
  });

  it('draws tolerances deterministically per seed, different between seeds, as the model says (--dump-truth)', async () => {
    const dir = tmp();
    const dump = async (seed: string, model = MODEL): Promise<Truth> => {
      const f = join(dir, `t-${seed}-${Math.random()}.json`);
      const e = await start(['--elf', BOARD, '--model', model, '--seed', seed, '--dump-truth', f], false);
      expect(await e.stop()).toBe(0);
      return readTruth(f);
    };
    const a = await dump('1');
    const b = await dump('1');
    const c = await dump('2');
    expect(b.edges).toEqual(a.edges);
    expect(c.edges.map((x) => x.rab)).not.toEqual(a.edges.map((x) => x.rab));
    expect(a.edges.map((x) => [x.a, x.b])).toEqual(latticeEdges());
    // model: rs 1000 0.01, rw 45 0.2, rab 10000 0.2; draws truncated at 3 sigma
    for (const t of [a, c]) {
      for (const x of t.edges) {
        expect(Math.abs(x.rs / 1000 - 1)).toBeLessThanOrEqual(0.03 + 1e-12);
        expect(Math.abs(x.rw / 45 - 1)).toBeLessThanOrEqual(0.6 + 1e-12);
        expect(Math.abs(x.rab / 10000 - 1)).toBeLessThanOrEqual(0.6 + 1e-12);
        expect(x.rmax).toBeCloseTo(x.rs + x.rw + x.rab, 9);
        expect(x.rmin).toBeCloseTo(x.rs + x.rw + x.rab / 256, 9);
      }
      // the spread is there: the sample sd of rab/10000 over 24 edges is near 0.2 (loose chi-square bounds)
      const r = t.edges.map((x) => x.rab / 10000);
      const mean = r.reduce((s, x) => s + x, 0) / r.length;
      const sd = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / (r.length - 1));
      expect(sd).toBeGreaterThan(0.1);
      expect(sd).toBeLessThan(0.3);
      expect(Math.abs(mean - 1)).toBeLessThan(0.2);
    }
    const exact = await dump('5', writeModel(dir, 'exact.model', EXACT_MODEL));
    for (const x of exact.edges) {
      expect([x.rs, x.rw, x.rab]).toEqual([1000, 45, 10000]);
      expect(x.rmin).toBe(1084.0625); // HARDWARE.md's nominal law
      expect(x.rmax).toBe(11045);
    }
  });

  /**
   * The lines of the fault tests: SHORT lines of 3 bytes and LONG ones of 60 alternating, each unique (its index among
   * its length in base 36), LF-terminated, the rest of their bytes from [0-9a-z]. None of those bytes is one bit away from LF
   * (0x0A's neighbours are 0x02 0x08 0x0B 0x0E 0x1A 0x2A 0x4A 0x8A), so a garbled byte never makes a new line end.
   */
  const SHORT = 3;
  const LONG = 60;
  function faultLines(count: number): Buffer[] {
    if (count > 2 * 36 * 36) throw new Error('faultLines: at most 2592 unique lines');
    const digits = '0123456789abcdefghijklmnopqrstuvwxyz';
    const lines: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const len = i % 2 ? LONG : SHORT;
      const j = i >> 1; // unique within its length for count <= 2 * 36^2
      let body = `${digits[Math.floor(j / 36) % 36]}${digits[j % 36]}`;
      for (let k = body.length; k < len - 1; k++) body += digits[(i * 7 + k * 13) % 36];
      lines.push(Buffer.from(`${body}\n`, 'latin1'));
    }
    return lines;
  }

  /** Sends the bytes through echo.elf with the given faults until `settled` says so; returns what came back and the stats. */
  async function echoRun(faults: string, data: Buffer, settled: (s: Stats, got: number) => boolean): Promise<{ got: Buffer; s: Stats }> {
    const e = await start(['--elf', ECHO, '--model', MODEL, '--seed', '3', '--faults', faults]);
    e.raw.length = 0;
    for (let i = 0; i < data.length; i += 256) e.write(data.subarray(i, i + 256));
    let s = await e.stats();
    for (let polls = 0; !settled(s, e.raw.length); polls++) {
      if (polls > 1200) throw new Error(`echo did not settle: ${JSON.stringify(s)}, received ${e.raw.length}`);
      await new Promise((r) => setTimeout(r, 50));
      s = await e.stats();
    }
    const got = Buffer.from(e.raw);
    expect(await e.stop()).toBe(0);
    return { got, s };
  }

  /** |k - np| within 5 standard deviations of a binomial(n, p) */
  function expectBinomial(k: number, n: number, p: number): void {
    const sd = Math.sqrt(n * p * (1 - p));
    expect(Math.abs(k - n * p)).toBeLessThanOrEqual(5 * sd);
  }

  const popcount = (x: number): number => x.toString(2).replace(/0/g, '').length;

  it('drops whole lines at the requested rate per line in each direction, whatever their length', async () => {
    const p = 0.05;
    const lines = faultLines(2000);
    const data = Buffer.concat(lines);
    const n = data.length;
    // every byte came back or went with a dropped line, in one direction or the other
    const { got, s } = await echoRun(`drop=${p}`, data, (st, k) => st.rx_bytes === n && k + st.dropped_bytes === n);
    expect(s.garbled).toBe(0);
    expect(s.rx_lines).toBe(lines.length);
    // echo.c sends back every line it received, so the device sent one line per line not dropped on the way in
    expect(s.tx_lines).toBe(lines.length - s.rx_dropped);
    expect(s.dropped).toBe(s.rx_dropped + s.tx_dropped);
    expectBinomial(s.rx_dropped, lines.length, p);
    expectBinomial(s.tx_dropped, s.tx_lines, p);
    // what arrives is whole sent lines, in order, unaltered: the lost ones are missing entirely
    const index = new Map(lines.map((l, i) => [l.toString('latin1'), i]));
    const received = got.toString('latin1').split('\n').slice(0, -1).map((l) => index.get(`${l}\n`));
    expect(received.every((i) => i !== undefined)).toBe(true);
    for (let k = 1; k < received.length; k++) expect(received[k]!).toBeGreaterThan(received[k - 1]!);
    expect(received.length + s.dropped).toBe(lines.length);
    // a line is lost with probability 1 - (1 - p)^2 (two directions), short (3 bytes) and long (60 bytes) alike;
    // per byte, a long line would be hit 120 / 6 times as often as a short one
    const arrived = new Set(received);
    for (const len of [SHORT, LONG]) {
      const ofLen = lines.map((l, i) => [l.length, i] as const).filter(([l]) => l === len);
      const lost = ofLen.filter(([, i]) => !arrived.has(i)).length;
      expectBinomial(lost, ofLen.length, 1 - (1 - p) ** 2);
    }
    expect(s.dropped_bytes).toBe(n - got.length);
  });

  it('garbles lines at the requested rate per line in each direction: one bit of one uniformly chosen byte, the LF included', async () => {
    const p = 0.05;
    const lines = faultLines(2000);
    // LF lines after the data: the last data line may lose its LF on the way in, and a line chosen for garbling
    // on the way out is held until a LF ends it
    const TRAILER = 16;
    const data = Buffer.concat([...lines, Buffer.alloc(TRAILER, 10)]);
    const n = data.length - TRAILER;
    const { got, s } = await echoRun(`garble=${p}`, data, (st, k) => st.rx_bytes === data.length && k >= n);
    expect(s.dropped).toBe(0);
    // garbling keeps every byte, and no content byte becomes a LF: the inbound lines are exactly the sent ones
    expect(s.rx_lines).toBe(lines.length + TRAILER);
    expect(s.garbled).toBe(s.rx_garbled + s.tx_garbled);
    expectBinomial(s.rx_garbled, s.rx_lines, p);
    expectBinomial(s.tx_garbled, s.tx_lines, p);
    // per sent line: at most one flipped bit per direction; the flips' total is what the stats count, less pairs
    // that cancelled (the same bit of the same byte both ways) and flips in the trailer
    let flips = 0;
    let at = 0;
    const bitsSeen = new Set<number>();
    const hitLines = new Map<number, number>([[SHORT, 0], [LONG, 0]]);
    const positions: number[] = []; // (index + 1/2) / length of the single flip of a long line hit once
    let lfFlips = 0;
    for (const line of lines) {
      let lineFlips = 0;
      let pos = -1;
      for (let k = 0; k < line.length; k++) {
        const x = line[k]! ^ got[at + k]!;
        if (!x) continue;
        const c = popcount(x);
        lineFlips += c;
        pos = k;
        if (c === 1) bitsSeen.add(Math.log2(x));
        if (k === line.length - 1) lfFlips++;
      }
      expect(lineFlips).toBeLessThanOrEqual(2);
      flips += lineFlips;
      if (lineFlips) hitLines.set(line.length, hitLines.get(line.length)! + 1);
      if (lineFlips === 1 && line.length === LONG) positions.push((pos + 0.5) / LONG);
      at += line.length;
    }
    expect(flips).toBeLessThanOrEqual(s.garbled);
    expect(flips).toBeGreaterThan(0);
    // a line is hit with probability 1 - (1 - p)^2 whatever its length (per byte: 60 / 3 times as often when long)
    for (const len of [SHORT, LONG]) expectBinomial(hitLines.get(len)!, lines.length / 2, 1 - (1 - p) ** 2);
    // the flipped byte is uniform over the line: the mean position of a long line's flip is 1/2 within 5 standard
    // errors (uniform on 0..1: sd sqrt(1/12)); the LF is hit too (a held line still picks its last byte)
    const mean = positions.reduce((a, b) => a + b, 0) / positions.length;
    expect(positions.length).toBeGreaterThan(50);
    expect(Math.abs(mean - 0.5)).toBeLessThanOrEqual(5 * Math.sqrt(1 / 12 / positions.length));
    expect(lfFlips).toBeGreaterThan(0);
    expect(bitsSeen.size).toBe(8); // every bit position is hit
  });

  it('`power` resets the chips and the MCU and keeps the EEPROM; --eeprom keeps it across runs; --uid writes it', async () => {
    const dir = tmp();
    const ee = join(dir, 'ee.bin');
    const truth = join(dir, 'truth.json');
    const e = await start(['--elf', BOARD, '--model', MODEL, '--eeprom', ee, '--dump-truth', truth, '--uid', '0123456789abcdef']);
    expect(await e.cmd('P 3 7')).toBe('ok');
    expect(await e.cmd('D 2 100')).toBe('ok');
    expect(await e.cmd('S 3')).toBe('ok');
    expect(await e.cmd('W 100 42')).toBe('ok');
    let t = readTruth(truth);
    expect([t.edges[3]!.tap, t.dac[2]!.code, t.switch]).toEqual([7, 100, 3]);
    e.proc.stdin.write('power\n');
    expect(await e.rx.until(/^boot /, 'boot banner')).toBe('boot mcusr=1');
    expect(await e.cmd('E 100')).toBe('42');
    t = readTruth(truth);
    expect(t.edges.map((x) => x.tap)).toEqual(new Array(24).fill(128));
    expect(t.dac.map((d) => d.code)).toEqual(new Array(8).fill(0));
    expect(t.switch).toBe(0);
    // uid: HARDWARE.md's 8 bytes at 0x010, big-endian as the firmware's `make uid` writes them
    const uid: string[] = [];
    for (let a = 0x10; a < 0x18; a++) uid.push(await e.cmd(`E ${a}`));
    expect(uid.map(Number)).toEqual([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
    expect((await e.stats()).power_cycles).toBe(1);
    expect(await e.stop()).toBe(0);
    const file = readFileSync(ee);
    expect(file.length).toBe(4096);
    expect(file[100]).toBe(42);
    // a restarted emulator keeps it
    const e2 = await start(['--elf', BOARD, '--model', MODEL, '--eeprom', ee]);
    expect(await e2.cmd('E 100')).toBe('42');
    expect(await e2.cmd('E 16')).toBe(String(0x01));
    expect(await e2.stop()).toBe(0);
  });

  it('power-every cycles the MCU every S seconds of MCU time', async () => {
    const e = await start(['--elf', BOARD, '--model', MODEL, '--faults', 'power-every=0.05']);
    // each cycle reboots the program, whose banner says PORF
    for (let i = 0; i < 3; i++) expect(await e.rx.until(/^boot /, 'boot banner')).toBe('boot mcusr=1');
    const s = await e.stats();
    const due = Math.floor(s.mcu_seconds / 0.05 + 1e-9);
    expect(s.power_cycles).toBeGreaterThanOrEqual(due - 1); // checked between instruction batches (<= ~1 ms)
    expect(s.power_cycles).toBeLessThanOrEqual(due);
    expect(await e.stop()).toBe(0);
  });

  it('exits 2 with one line naming the file, line, rule and fix on a bad model', () => {
    const dir = tmp();
    const cases: [string, RegExp][] = [
      [EXACT_MODEL.replace('leak 1e-8', 'leek 1e-8'), /line 7: unknown key `leek`.*; use one of/],
      [EXACT_MODEL.replace('rab 10000', 'rab 10k'), /line 5: `10k` is not a number; write a decimal number/],
      [EXACT_MODEL.replace('vref 5.0\n', ''), /key `vref` is missing; add it/],
      [EXACT_MODEL.replace('rw 45', 'rw 45 0.5'), /line 4: the sigma of `rw` must be in 0 \.\. 0\.333/],
      [EXACT_MODEL.replace('lattice 4 4', 'lattice 3 3'), /line 2: the clln-ref16 board wires a 4 x 4 lattice/],
    ];
    cases.forEach(([text, re], i) => {
      const f = writeModel(dir, `bad${i}.model`, text);
      const r = spawnSync(EMU, ['--elf', BOARD, '--model', f], { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(f);
      expect(r.stderr).toMatch(re);
    });
    const args: [string[], RegExp][] = [
      [['--model', MODEL], /--elf is missing/],
      [['--elf', BOARD, '--model', MODEL, '--faults', 'garble=2'], /`garble` must be a probability in 0\.\.1/],
      [['--elf', BOARD, '--model', MODEL, '--uid', 'xyz'], /--uid must be 1 to 16 hex digits/],
      [['--elf', BOARD, '--model', MODEL, '--bogus'], /unknown argument `--bogus`/],
      [['--elf', join(dir, 'none.elf'), '--model', MODEL], /cannot be read/],
      [['--elf', MODEL, '--model', MODEL], /not an AVR ELF file/],
    ];
    for (const [a, re] of args) {
      const r = spawnSync(EMU, a, { encoding: 'utf8', timeout: 20_000 });
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(re);
    }
  });

  it('--exit-with-stdin exits 0 at stdin EOF; without it the board runs on until SIGTERM, which exits 0', async () => {
    const a = await start(['--elf', BOARD, '--model', MODEL, '--exit-with-stdin'], false);
    a.proc.stdin.end();
    expect(await a.exited).toBe(0);
    const b = await start(['--elf', BOARD, '--model', MODEL]);
    b.proc.stdin.end();
    expect(await b.cmd('E 5')).toBe('255'); // still answering after stdin closed
    await b.closePort();
    b.proc.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  });

  /** A protocol frame: BODY*CRC, the CRC-16/CCITT-FALSE of the body in 4 upper-case hex digits (PROTOCOL.md 2). */
  function unframe(line: string): string {
    const m = /^(.*)\*([0-9A-F]{4})$/.exec(line);
    expect(m, `a frame: ${line}`).not.toBeNull();
    expect(m![2]).toBe(crcHex(crc16(m![1]!)));
    return m![1]!;
  }
  const frame = (body: string): string => `${body}*${crcHex(crc16(body))}\n`;

  let syncSeq = 60000;
  /**
   * Power-cycle the firmware and return the banner of the boot that cycle starts. First a PING is answered: the
   * firmware is then up and everything it sent before (the banner of the boot at start, whole or in part) has been
   * read, so the next banner is this power cycle's. (Without it, a test process descheduled between READY and
   * `power` took the banner of the boot at start for this one, and its boot count was one short.)
   */
  async function powerCycle(e: Emu): Promise<string> {
    const q = syncSeq++;
    e.write(frame(`${q} PING`));
    expect(unframe(await e.rx.until(new RegExp(`^${q} `), 'PING reply before the power cycle'))).toMatch(new RegExp(`^${q} OK`));
    e.proc.stdin.write('power\n');
    // a power cycle discards what the MCU has not received and restarts it: the banner is the next line
    return e.rx.until(/! BOOT .*\*[0-9A-F]{4}$/, `BOOT banner (so far: ${JSON.stringify(Buffer.from(e.raw).toString('latin1'))})`);
  }

  it('the real firmware boots in the emulator, answers ID and TOPO (the lattice of HARDWARE.md) in CRC frames, and measures the network it set', async () => {
    const dir = tmp();
    const ee = join(dir, 'ee.bin');
    const truth = join(dir, 'truth.json');
    const boot = async (e: Emu): Promise<number> => {
      const line = await powerCycle(e);
      const banner = unframe(line.slice(line.lastIndexOf('! BOOT ')));
      expect(banner).toMatch(/^! BOOT fw=\S+ proto=1\.4 board=clln-ref16 boot=\d+$/);
      return Number(/boot=(\d+)$/.exec(banner)![1]);
    };
    const e = await start(['--elf', FIRMWARE, '--model', MODEL, '--eeprom', ee, '--uid', '5e1f0101', '--dump-truth', truth]);
    const n = await boot(e);
    e.write(frame('1 ID'));
    const id = unframe(await e.rx.until(/^1 /, 'ID reply'));
    expect(id).toBe(
      `1 OK proto=1.4 fw=${/fw=(\S+)/.exec(id)![1]} board=clln-ref16 uid=5E1F0101 boot=${n} nodes=16 edges=24 drive=0,1,2,3 ` +
        'clamp=12,13,14,15 adc=10,0,5 dac=0,4.998779 edge=tap,256 law=linear,1084.0625,11045 rate=9000 eta=0.000001,1 sched=48 keep=32',
    );
    e.write(frame('2 TOPO'));
    const topo = unframe(await e.rx.until(/^2 /, 'TOPO reply'));
    expect(topo).toBe(`2 OK ${latticeEdges().map(([a, b]) => `${a}-${b}`).join(',')}`);
    // end to end: the firmware sets taps, drives and clamps; its MEAS agrees with a Laplacian solve of the truth
    const taps: [number, number][] = [[0, 10], [1, 200], [2, 50], [5, 255], [9, 0], [23, 77]];
    let seq = 3;
    const ask = async (body: string): Promise<string> => {
      const q = seq++;
      e.write(frame(`${q} ${body}`));
      const reply = unframe(await e.rx.until(new RegExp(`^${q} `), `reply to ${body}`));
      expect(reply.startsWith(`${q} OK`), reply).toBe(true);
      return reply.slice(`${q} OK`.length).trim();
    };
    await ask(`ESET ${taps.map(([a, b]) => `${a}:${b}`).join(',')}`);
    await ask('SRC 1:3.0');
    await ask('CLAMP 14:1.0');
    const meas = (await ask('MEAS n=16')).split(',').map(Number);
    const t = readTruth(truth);
    const want = new Array<number>(24).fill(128);
    for (const [edge, tap] of taps) want[edge] = tap;
    expect(t.edges.map((x) => x.tap)).toEqual(want);
    const edgeR = t.edges.map((x, i) => x.rs + x.rw + (x.rab * (256 - want[i]!)) / 256);
    const sources = t.dac.filter((d, c) => t.switch & (1 << c)).map((d) => ({ node: d.node, volts: d.volts }));
    expect(sources.map((x) => x.node).sort((a, b) => a - b)).toEqual([1, 14]);
    const v = solveNetwork(edgeR, sources, t.switch_ron, t.leak);
    // a mean of 16 samples of the 10-bit ADC: within 1.5 codes (7.3 mV) of the true node voltage
    for (let node = 0; node < 16; node++) expect(Math.abs(meas[node]! - v[node]!)).toBeLessThan((1.5 * 5) / 1024);
    // RESET reboots through the watchdog (simavr's): the banner follows with the next boot count
    expect(await ask(`RESET boot=${n}`)).toBe(`boot=${n}`);
    expect(unframe(await e.rx.until(/^! BOOT /, 'banner after RESET'))).toMatch(new RegExp(`boot=${n + 1}$`));
    // the boot counter counts power cycles and survives a restart of the emulator through --eeprom
    expect(await boot(e)).toBe(n + 2);
    const s = await e.stats();
    expect(s.malformed).toBe(0); // every SPI word of the firmware decodes as HARDWARE.md says
    expect(s.spi_words).toBeGreaterThanOrEqual(24);
    expect(readTruth(truth).edges.map((x) => x.tap)).toEqual(new Array(24).fill(128)); // taps 128 at every boot
    expect(await e.stop()).toBe(0);
    const e2 = await start(['--elf', FIRMWARE, '--model', MODEL, '--eeprom', ee]);
    expect(await boot(e2)).toBe(n + 4); // its own boot at start, then this power cycle
    expect(await e2.stop()).toBe(0);
  });

  it('the 1 Mbaud build (UBRR0 = 1) boots and answers ID in the emulator too', async () => {
    const e = await start(['--elf', FIRMWARE_1M, '--model', MODEL]);
    const line = await powerCycle(e);
    expect(unframe(line.slice(line.lastIndexOf('! BOOT ')))).toMatch(/^! BOOT fw=\S+ proto=1\.4 board=clln-ref16 boot=\d+$/);
    e.write(frame('7 ID'));
    expect(unframe(await e.rx.until(/^7 /, 'ID reply'))).toMatch(/^7 OK proto=1\.4 .* board=clln-ref16 .* keep=32$/);
    expect(await e.stop()).toBe(0);
  });
});
