/**
 * The host side of the emulated firmware (issue 13, points 3 and 6): the build cache, serveFirmware, `clln firmware`,
 * `--board emu`, and the system-tools step of npm test.
 *
 * - The build cache is checked on fake source trees whose Makefiles write known bytes, with a `make` on PATH that
 *   counts its runs (the count, not the code's own report, says whether make ran), and on the real tree.
 * - The emulated board is identified by the real firmware through the host's own serial board; the emulator's byte
 *   counter is checked against the host's. Waits are on events or bounded polls, never on durations.
 *
 * The suites that run the firmware skip, with the install command as the reason, when the system tools are missing
 * (test/firmwareBuildSetup.ts); those that spawn the CLI need it built (npm test builds it first).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectBoard, parseBoardSpec } from '../../src/device/connectBoard.js';
import { openSerialBoard } from '../../src/device/SerialBoard.js';
import { InvalidInputError } from '../../src/errors.js';
import {
  buildFirmware,
  checkEmulatorFaults,
  FIRMWARE_INSTALL,
  firmwareBuildDir,
  firmwareSourceDirs,
  missingFirmwareTools,
  parseEmulatorStats,
  serveFirmware,
  type ServingFirmware,
} from '../../src/pipeline/serveFirmware.js';
import { assertFirmwareBuilt, firmwareSkipReason } from '../firmwareBuildSetup.js';
import { CLI, runBuiltCli } from './builtCli.js';
// @ts-expect-error: a plain .mjs script without type declarations
import { FIRMWARE_PACKAGES } from '../../scripts/systemTools.mjs';

const ROOT = resolve(__dirname, '../..');
const SERVE_FIRMWARE_JS = join(ROOT, 'dist/src/pipeline/serveFirmware.js');
const cliBuilt = existsSync(CLI) && existsSync(join(ROOT, 'dist/src/cli/commands/firmware.js'));
const skip = firmwareSkipReason();
const src = firmwareSourceDirs();
const sourcesPresent = existsSync(join(src.firmware, 'Makefile')) && existsSync(join(src.emulator, 'Makefile'));
const scratch = mkdtempSync(join(tmpdir(), 'clln-emu-test-'));
let n = 0;
const children: ChildProcess[] = [];
const served: ServingFirmware[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of served.splice(0)) await s.close();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function fresh(name: string): string {
  const d = join(scratch, `${name}-${++n}`);
  mkdirSync(d, { recursive: true });
  return d;
}

/** A folder with a `make` that appends a line to `log` for every run, then runs the real make. */
function countingMake(): { env: NodeJS.ProcessEnv; runs: () => number } {
  const bin = fresh('bin');
  const log = join(bin, 'runs.log');
  const real = spawnSync('sh', ['-c', 'command -v make'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(bin, 'make'), `#!/bin/sh\necho run >> '${log}'\nexec '${real}' "$@"\n`);
  chmodSync(join(bin, 'make'), 0o755);
  return {
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
    runs: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0),
  };
}

/**
 * Fake firmware and emulator trees: their Makefiles copy a source file into the output, in two halves with a pause
 * between (`pause` seconds), so a half-written output would be visible to a reader that looked too early.
 */
function fakeTrees(pause = 0): { firmware: string; emulator: string } {
  const root = fresh('trees');
  const firmware = join(root, 'firmware');
  const emulator = join(root, 'emulator');
  mkdirSync(firmware);
  mkdirSync(emulator);
  const twoHalves = (out: string): string => `\thead -c 4 main.c > ${out}\n\tsleep ${pause}\n\ttail -c +5 main.c >> ${out}\n`;
  writeFileSync(
    join(firmware, 'Makefile'),
    `O ?= build\nBAUD ?= 115200\nall:\n\tmkdir -p $(O)\n${twoHalves('$(O)/clln-ref16-$(BAUD).elf')}\techo hex > $(O)/clln-ref16-$(BAUD).hex\n`,
  );
  writeFileSync(join(firmware, 'main.c'), 'int main(void) { return 0; } /* firmware v1 */\n');
  writeFileSync(join(emulator, 'Makefile'), `O ?= build\nall:\n\tmkdir -p $(O)\n${twoHalves('$(O)/clln-emu')}\n`);
  writeFileSync(join(emulator, 'main.c'), 'int main(void) { return 0; } /* emulator v1 */\n');
  return { firmware, emulator };
}

/** The exit of a child, once it has exited. */
function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
}

/** The first line of a child's stdout that matches `re`, or a rejection when the child exits first. */
function lineOf(child: ChildProcess, re: RegExp): Promise<RegExpExecArray> {
  return new Promise((res, rej) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) res(m);
    });
    child.once('exit', (code, signal) => rej(new Error(`exited (${code ?? signal}) before ${re}: ${err}`)));
  });
}

/** Whether process `pid` is gone (no such process, or a zombie nobody has reaped yet: it runs no more). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** The pids of the running clln-emu processes started with `--seed seed` (from /proc). */
function emulatorsWithSeed(seed: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
      if (argv[0].endsWith('clln-emu') && argv.includes('--seed') && argv[argv.indexOf('--seed') + 1] === String(seed) && !gone(Number(e))) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Poll `cond` every 50 ms, at most `tries` times; whether it became true (a bound on a hang, not a timing). */
async function eventually(cond: () => boolean, tries = 400): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

// the reason the emulator suites below skip, where they do, shown in the report as a skipped test's name
if (skip) describe('the emulated firmware', () => it.skip(`skipped: ${skip}`, () => {}));

describe('the fault spec of the emulator', () => {
  it('takes any subset of garble, drop and power-every', () => {
    for (const ok of ['', 'garble=0', 'drop=1', 'power-every=0.5', 'garble=0.001,drop=0.0005,power-every=5', ' garble=0.1 , drop=0.2 ']) {
      expect(() => checkEmulatorFaults(ok), ok).not.toThrow();
    }
  });
  it('refuses anything else naming the rule', () => {
    for (const bad of ['garble', 'garble=', 'garble=1.5', 'drop=-0.1', 'power-every=0', 'power-every=x', 'reset-every=3', 'garble=0.1,garble=0.2', 'garble=0.1;drop=0.1']) {
      expect(() => checkEmulatorFaults(bad), bad).toThrow(InvalidInputError);
      expect(() => checkEmulatorFaults(bad), bad).toThrow(/garble=P,drop=P,power-every=S/);
    }
  });
  it('parses a stats line and refuses one without the counters', () => {
    const line = '{"mcu_seconds":1.5,"cycles":24000000,"rx_bytes":10,"tx_bytes":20,"garbled":0,"dropped":1,"power_cycles":2}';
    expect(parseEmulatorStats(line)).toEqual({ mcu_seconds: 1.5, cycles: 24000000, rx_bytes: 10, tx_bytes: 20, garbled: 0, dropped: 1, power_cycles: 2 });
    expect(() => parseEmulatorStats('{"mcu_seconds":1}')).toThrow(/cycles/);
    expect(() => parseEmulatorStats('READY /dev/pts/3')).toThrow(/not JSON/);
  });
});

describe('system tools', () => {
  it('npm test installs the firmware packages serveFirmware names', () => {
    expect(FIRMWARE_INSTALL).toBe(`apt-get install -y --no-install-recommends ${(FIRMWARE_PACKAGES as string[]).join(' ')}`);
  });

  it('finds a tool missing from PATH', () => {
    const bin = fresh('bin');
    expect(missingFirmwareTools({ PATH: bin })).toEqual(expect.arrayContaining(['avr-gcc', 'avr-objcopy', 'make', 'cc']));
    expect(missingFirmwareTools({ PATH: bin }, join(bin, 'no-such-header.h'))).toContain(`the libsimavr headers (${join(bin, 'no-such-header.h')})`);
  });

  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  it.skipIf(!isRoot)('as root, installs with apt-get, updating the package lists only when the install fails without them', () => {
    // PATH holds only a fake apt-get (every program tool is missing), whose install fails until an update has run (a fresh container has no package lists)
    const bin = fresh('bin');
    const log = join(bin, 'apt.log');
    writeFileSync(
      join(bin, 'apt-get'),
      `#!/bin/sh\necho "$*" >> '${log}'\nif [ "$1" = update ]; then touch '${bin}/updated'; exit 0; fi\n[ -e '${bin}/updated' ]\n`,
    );
    chmodSync(join(bin, 'apt-get'), 0o755);
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/systemTools.mjs')], { env: { PATH: bin }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    expect(calls).toHaveLength(3);
    expect(calls[0]).toMatch(/^install -y --no-install-recommends .*gcc-avr .*binutils-avr .*ngspice .*redis-server/);
    expect(calls[1]).toBe('update');
    expect(calls[2]).toBe(calls[0]);
    // the fake installed nothing: the script says what to run and what skips, and still exits 0
    expect(r.stderr).toMatch(/apt-get install -y --no-install-recommends/);
    expect(r.stderr).toMatch(/test\/emulator/);
  });
});

describe.skipIf(!!skip)('the build cache (fake source trees)', () => {
  it('builds once into the cache and takes an unchanged tree from it without running make', async () => {
    const sources = fakeTrees();
    const buildDir = fresh('cache');
    const make = countingMake();
    const first = await buildFirmware({ baud: 115200, buildDir, sources, env: make.env });
    expect(make.runs()).toBe(2);
    expect(first.made).toEqual({ firmware: true, emulator: true });
    expect(readFileSync(first.elf, 'utf8')).toBe(readFileSync(join(sources.firmware, 'main.c'), 'utf8'));
    expect(readFileSync(first.emulator, 'utf8')).toBe(readFileSync(join(sources.emulator, 'main.c'), 'utf8'));
    const mtime = statSync(first.elf).mtimeMs;
    const second = await buildFirmware({ baud: 115200, buildDir, sources, env: make.env });
    expect(make.runs()).toBe(2);
    expect(second).toEqual({ ...first, made: { firmware: false, emulator: false } });
    expect(statSync(second.elf).mtimeMs).toBe(mtime);
    // nothing half-made is left behind
    expect(readdirSync(buildDir).filter((e) => e.startsWith('.tmp-'))).toEqual([]);
  });

  it('rebuilds what changed: the firmware for a changed source or another baud, not the emulator', async () => {
    const sources = fakeTrees();
    const buildDir = fresh('cache');
    const make = countingMake();
    const a = await buildFirmware({ baud: 115200, buildDir, sources, env: make.env });
    writeFileSync(join(sources.firmware, 'main.c'), 'int main(void) { return 1; } /* firmware v2 */\n');
    const b = await buildFirmware({ baud: 115200, buildDir, sources, env: make.env });
    expect(make.runs()).toBe(3);
    expect(b.made).toEqual({ firmware: true, emulator: false });
    expect(b.elf).not.toBe(a.elf);
    expect(b.emulator).toBe(a.emulator);
    expect(readFileSync(b.elf, 'utf8')).toMatch(/firmware v2/);
    const c = await buildFirmware({ baud: 1000000, buildDir, sources, env: make.env });
    expect(make.runs()).toBe(4);
    expect(c.elf).toMatch(/clln-ref16-1000000\.elf$/);
    // a build product or editor file in the tree is no source
    writeFileSync(join(sources.firmware, 'main.o'), 'object');
    mkdirSync(join(sources.firmware, 'build'));
    writeFileSync(join(sources.firmware, 'build', 'x.elf'), 'elf');
    await buildFirmware({ baud: 1000000, buildDir, sources, env: make.env });
    expect(make.runs()).toBe(4);
  });

  it.skipIf(!cliBuilt)('a build in progress is never seen half-written by a second process; both end with whole files', async () => {
    const sources = fakeTrees(1);
    const buildDir = fresh('cache');
    const make = countingMake();
    const a = buildFirmware({ baud: 115200, buildDir, sources, env: make.env });
    // wait until the first build has written the first half of its ELF somewhere under the cache
    const half = (): boolean =>
      existsSync(buildDir) && readdirSync(buildDir).some((d) => existsSync(join(buildDir, d, 'clln-ref16-115200.elf')));
    expect(await eventually(half)).toBe(true);
    // a second process (here: a second call, which shares nothing with the first but the folder) builds at once
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', `import { buildFirmware } from ${JSON.stringify(SERVE_FIRMWARE_JS)}; const b = await buildFirmware(${JSON.stringify({ baud: 115200, buildDir, sources })}); process.stdout.write(JSON.stringify(b));`],
      { env: make.env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const [rb, code] = await Promise.all([a, once(child, 'close').then(([c]) => c)]);
    expect(code).toBe(0);
    const other = JSON.parse(out) as { elf: string; emulator: string };
    const whole = readFileSync(join(sources.firmware, 'main.c'), 'utf8');
    expect(readFileSync(rb.elf, 'utf8')).toBe(whole);
    expect(readFileSync(other.elf, 'utf8')).toBe(whole);
    expect(other.elf).toBe(rb.elf);
    expect(readdirSync(buildDir).filter((e) => e.startsWith('.tmp-'))).toEqual([]);
  });
});

/**
 * A firmware tree whose "firmware" is the emulator's echo test program (firmware-protocol/emulator/test-fw/echo.c:
 * every byte received is sent back), for the host plumbing independent of the reference firmware.
 */
function echoFirmwareTree(): { firmware: string; emulator: string } {
  const dir = fresh('echo-fw');
  const echo = join(src.emulator, 'test-fw', 'echo.c');
  writeFileSync(
    join(dir, 'Makefile'),
    `O ?= build\nBAUD ?= 115200\nall:\n\tmkdir -p $(O)\n\tavr-gcc -mmcu=atmega2560 -Os -o $(O)/clln-ref16-$(BAUD).elf '${echo}'\n\tavr-objcopy -O ihex $(O)/clln-ref16-$(BAUD).elf $(O)/clln-ref16-$(BAUD).hex\n`,
  );
  return { firmware: dir, emulator: src.emulator };
}

/** Write `bytes` to the serial device at `path` and read as many back (the echo program's answer). */
async function echoThrough(path: string, bytes: Buffer): Promise<Buffer> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  try {
    const got: Buffer[] = [];
    let total = 0;
    const done = new Promise<void>((res) => {
      port.on('data', (d: Buffer) => {
        got.push(d);
        total += d.length;
        if (total >= bytes.length) res();
      });
    });
    port.write(bytes);
    await done;
    return Buffer.concat(got);
  } finally {
    await new Promise<void>((res) => port.close(() => res()));
  }
}

/**
 * Resolves once the MCU has run `seconds` more of its own time (polling the emulator's counters, bounded). Bytes are
 * sent only once the program has had time to enable its UART receiver (a few microseconds after a reset; 1 ms is
 * plenty): a real part loses what arrives before, and the test should not depend on whether the emulator holds it.
 */
async function mcuRuns(s: ServingFirmware, seconds = 0.001): Promise<void> {
  const from = (await s.stats()).mcu_seconds;
  for (let i = 0; i < 400; i++) {
    if ((await s.stats()).mcu_seconds >= from + seconds) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`the MCU did not run ${seconds} s of its time`);
}

describe.skipIf(!!skip || !existsSync(join(src.emulator, 'test-fw', 'echo.c')))('serveFirmware (the echo test program as firmware)', () => {
  let sources: { firmware: string; emulator: string };
  beforeAll(() => {
    sources = echoFirmwareTree();
  });

  it('READY gives a tty; bytes go through the MCU and back; stats count them; power() counts a power cycle; close ends it with 0', async () => {
    const s = await serveFirmware({ sources });
    served.push(s);
    const fd = openSync(s.path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    try {
      expect(isatty(fd)).toBe(true);
    } finally {
      closeSync(fd);
    }
    const sent = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 37 + 11) & 0xff));
    await mcuRuns(s);
    expect(await echoThrough(s.path, sent)).toEqual(sent);
    const st = await s.stats();
    expect(st.rx_bytes).toBe(sent.length);
    expect(st.tx_bytes).toBe(sent.length);
    expect(st.garbled).toBe(0);
    expect(st.dropped).toBe(0);
    expect(st.power_cycles).toBe(0);
    expect(st.cycles).toBeGreaterThan(0);
    // 200 bytes at 10 bits each need at least 200 * 10 / 115200 s of MCU time in each direction
    expect(st.mcu_seconds).toBeGreaterThan((sent.length * 10) / 117647);
    expect(st.mcu_seconds).toBeCloseTo(st.cycles / 16e6, 6);
    expect((await s.power()).power_cycles).toBe(1);
    expect((await s.power()).power_cycles).toBe(2);
    // the MCU runs again after the power cycle: it still echoes
    await mcuRuns(s);
    expect(await echoThrough(s.path, Buffer.from('after power\n'))).toEqual(Buffer.from('after power\n'));
    await s.close();
    expect((await s.ended).code).toBe(0);
    expect(gone(s.pid)).toBe(true);
    await expect(s.stats()).rejects.toThrow(/not running/);
  });

  it('concurrent stats requests each get their reply', async () => {
    const s = await serveFirmware({ sources });
    served.push(s);
    const all = await Promise.all([s.stats(), s.stats(), s.stats(), s.stats()]);
    for (let i = 1; i < all.length; i++) expect(all[i].cycles).toBeGreaterThanOrEqual(all[i - 1].cycles);
  });

  it("the emulator's own refusal (an unreadable model) is bad input carrying its message", async () => {
    const model = join(fresh('model'), 'broken.model');
    writeFileSync(model, 'this is not a board model\n');
    const err = await serveFirmware({ sources, model }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/^clln-emu: /);
    expect((err as Error).message).toMatch(/broken\.model/);
  });

  it.skipIf(!cliBuilt)('the emulator goes when its parent dies, even by kill -9 (its stdin closes)', async () => {
    const parent = spawn(
      process.execPath,
      ['--input-type=module', '-e', `import { serveFirmware } from ${JSON.stringify(SERVE_FIRMWARE_JS)}; const s = await serveFirmware({ sources: ${JSON.stringify(sources)} }); process.stdout.write('PID ' + s.pid + '\\n'); setInterval(() => {}, 1 << 30);`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(parent);
    const pid = Number((await lineOf(parent, /^PID (\d+)$/m))[1]);
    expect(gone(pid)).toBe(false);
    parent.kill('SIGKILL');
    await exited(parent);
    expect(await eventually(() => gone(pid))).toBe(true);
  });
});

describe.skipIf(!!skip || !sourcesPresent)('the emulated firmware', () => {
  beforeAll(() => assertFirmwareBuilt());

  it('the real tree built by the global setup is taken from the cache: make does not run again', async () => {
    const make = countingMake();
    for (const baud of [115200, 1000000]) {
      const b = await buildFirmware({ baud, env: make.env });
      expect(b.made).toEqual({ firmware: false, emulator: false });
      expect(b.elf.startsWith(firmwareBuildDir())).toBe(true);
      for (const f of [b.elf, b.hex, b.emulator]) expect(statSync(f).size).toBeGreaterThan(0);
    }
    expect(make.runs()).toBe(0);
  });

  it('serves the firmware on a pty; the real firmware answers ID; power cycles count boots; stats count the bytes', async () => {
    const s = await serveFirmware({ seed: 1 });
    served.push(s);
    const fd = openSync(s.path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    try {
      expect(isatty(fd)).toBe(true);
    } finally {
      closeSync(fd);
    }
    const board = await openSerialBoard(s.path);
    try {
      const id = await board.identify();
      expect(id.model).toBe('clln-ref16');
      expect(id.protocol).toBe('1.4');
      expect(id.nodes).toBe(16);
      expect(id.edges).toHaveLength(24);
      expect(id.edge).toEqual({ kind: 'tap', taps: 256 });
      const before = await s.stats();
      // every byte the host wrote reached the MCU's UART (no faults), and the MCU sent at least what the host read
      expect(before.rx_bytes).toBe(board.stats.bytesOut);
      expect(before.tx_bytes).toBeGreaterThanOrEqual(board.stats.bytesIn);
      expect(before.cycles).toBeGreaterThan(0);
      expect(before.mcu_seconds).toBeCloseTo(before.cycles / 16e6, 6);
      const after = await s.power();
      expect(after.power_cycles).toBe(before.power_cycles + 1);
      const id2 = await board.identify();
      expect(id2.bootCount).toBe(id.bootCount + 1);
    } finally {
      await board.close();
    }
    await s.close();
    const end = await s.ended;
    expect(end.code).toBe(0);
    expect(gone(s.pid)).toBe(true);
  });

  it.skipIf(!cliBuilt)("'clln firmware serve --pty' prints READY <tty> and stops on SIGTERM with exit 0", async () => {
    const child = spawn(process.execPath, [CLI, 'firmware', 'serve', '--pty', '--seed', '2'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.push(child);
    const path = (await lineOf(child, /^READY (\S+)$/m))[1];
    const board = await openSerialBoard(path);
    try {
      expect((await board.identify()).model).toBe('clln-ref16');
    } finally {
      await board.close();
    }
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
  });

  it.skipIf(!cliBuilt)("'clln train --board emu' trains the emulated board; every step agrees with the host's Laplacian", async () => {
    const dir = fresh('train');
    const net = join(dir, 'board.json');
    const task = join(dir, 'task.json');
    expect((await runBuiltCli(['network', 'board', 'clln-ref16', '--out', net], children)).code).toBe(0);
    // sources and ground among the drive channels (nodes 0..3), targets among the clamp channels (12..15)
    expect((await runBuiltCli(['task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '13,14', '--ground', '1', '--network', net, '--count', '8', '--test', '4', '--out', task], children)).code).toBe(0);
    const r = await runBuiltCli(['train', net, task, '--board', 'emu', '--steps', '6', '--eval-every', '3', '--json', '--no-record'], children);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as { steps: number; alarms: number; settings: number[]; redone_steps: number };
    expect(out.steps).toBe(6);
    // the live checker compares each measured state with the Laplacian of the settings: the firmware's readings and
    // the emulator's network solve agree with the host's physics
    expect(out.alarms).toBe(0);
    expect(out.settings).toHaveLength(24);
    for (const t of out.settings) expect(Number.isInteger(t) && t >= 0 && t <= 255).toBe(true);
  });

  it.skipIf(!cliBuilt)('--board emu connects the serial host to the emulated firmware and stops it on close', async () => {
    // a seed no other test uses marks this board's emulator among the processes
    const seed = 918273;
    const board = await connectBoard('emu', { seed });
    let closed = false;
    try {
      const pids = emulatorsWithSeed(seed);
      expect(pids).toHaveLength(1);
      const id = await board.identify();
      expect(id.model).toBe('clln-ref16');
      expect(id.protocol).toBe('1.4');
      await board.setSources(new Map([[0, 2]]));
      // node 0 is driven to 2 V: the ADC reads it back within a few codes of 10 bits over 5 V
      expect(Math.abs((await board.measure())[0] - 2)).toBeLessThan(0.05);
      await board.close();
      closed = true;
      expect(pids.every(gone)).toBe(true);
    } finally {
      if (!closed) await board.close();
    }
  });

});

describe('the emu board spec', () => {
  it('parses emu and emu:MODEL (a model name or a .model file)', () => {
    expect(parseBoardSpec('emu')).toEqual({ kind: 'emu', model: 'clln-ref16' });
    expect(parseBoardSpec('emu:clln-ref16')).toEqual({ kind: 'emu', model: 'clln-ref16' });
    expect(parseBoardSpec('emu:boards/mine.model')).toEqual({ kind: 'emu', model: 'boards/mine.model' });
    expect(() => parseBoardSpec('emu:bad name')).toThrow(/emu:clln-ref16/);
  });

  it('refuses the twin knobs the real firmware does not have, before starting anything', async () => {
    await expect(connectBoard('emu', { ideal: true, cliPath: '/nonexistent' })).rejects.toThrow(/--twin-ideal: .*no ideal mode/);
    await expect(connectBoard('emu', { twinProtocol: '1.1', cliPath: '/nonexistent' })).rejects.toThrow(InvalidInputError);
  });

  it.skipIf(!cliBuilt)('a bad fault spec for the emulator is bad input (exit 2 of its server), not a crash', async () => {
    await expect(connectBoard('emu', { faults: 'unplug-every=3' })).rejects.toThrow(InvalidInputError);
    await expect(connectBoard('emu', { faults: 'unplug-every=3' })).rejects.toThrow(/garble=P,drop=P,power-every=S/);
  });
});

describe.skipIf(!cliBuilt)("'clln firmware' refusals (exit 2, one paragraph)", () => {
  it('a bad --faults names the rule, before anything is built', async () => {
    const r = await runBuiltCli(['firmware', 'serve', '--faults', 'garble=2'], children, { ...process.env, CLLN_BUILD_DIR: fresh('cache') });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--faults: .*garble=P,drop=P,power-every=S/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
  });

  it('a baud rate the firmware is not built for is refused', async () => {
    const r = await runBuiltCli(['firmware', 'build', '--baud', '9600'], children, { ...process.env, CLLN_BUILD_DIR: fresh('cache') });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/115200 or 1000000/);
  });

  it('missing tools: names them and the install command', async () => {
    // a PATH with every build tool but avr-gcc, and an empty cache (a cached build would need no tools)
    const bin = fresh('bin');
    for (const t of ['avr-objcopy', 'make', 'cc']) {
      const real = spawnSync('sh', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim();
      if (real) symlinkSync(real, join(bin, t));
    }
    for (const sub of [['serve', '--pty'], ['build']]) {
      const r = await runBuiltCli(['firmware', ...sub], children, { ...process.env, PATH: bin, CLLN_BUILD_DIR: fresh('cache') });
      expect(r.code, sub.join(' ')).toBe(2);
      expect(r.err).toMatch(/needs avr-gcc/);
      expect(r.err).toContain(FIRMWARE_INSTALL);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.out).toBe('');
    }
  });
});
