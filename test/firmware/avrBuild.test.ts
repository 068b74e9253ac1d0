/**
 * The AVR build of the reference firmware (firmware-protocol/firmware): both baud rates link for the ATmega2560,
 * RAM (.data + .bss) leaves at least 1 KB of the 8 KB SRAM for the stack (the deepest use measured in simavr is in
 * the firmware README), the .elf carries simavr's .mmcu section (MCU atmega2560 at 16 MHz) and the .hex for a real
 * board does not. Skipped, with the package to install, where avr-gcc is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../firmware-protocol/codec.js';
import { buildFirmware } from '../../src/pipeline/serveFirmware.js';
import { assertFirmwareBuilt, firmwareSkipReason } from '../firmwareBuildSetup.js';

const FW_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'firmware-protocol', 'firmware');
const haveAvrGcc = spawnSync('avr-gcc', ['--version']).status === 0;
const SRAM = 8192; // ATmega2560 datasheet: 8 KB internal SRAM
const STACK_MIN = 1024;

/**
 * The .elf and .hex for `baud` that the vitest global setup built (test/firmwareBuildSetup.ts, into CLLN_BUILD_DIR):
 * the same make with the same arguments, so this file checks those artefacts rather than making its own copies.
 * buildFirmware finds them in the cache (and builds them only when run without the global setup).
 */
async function built(baud: number): Promise<{ elf: string; hex: string }> {
  assertFirmwareBuilt();
  const b = await buildFirmware({ baud, buildDir: process.env.CLLN_BUILD_DIR });
  return { elf: b.elf, hex: b.hex };
}

/** The sections of an ELF as avr-size -A lists them: name -> [size, address]. */
function sections(elf: string): Map<string, [number, number]> {
  const out = execFileSync('avr-size', ['-A', elf], { encoding: 'utf8' });
  const m = new Map<string, [number, number]>();
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length === 3 && f[0].startsWith('.') && /^\d+$/.test(f[1])) m.set(f[0], [Number(f[1]), Number(f[2])]);
  }
  return m;
}

/** Highest address of the data records of an Intel hex file (record types 00, 02 and 04 followed). */
function hexTop(hex: string): number {
  let base = 0;
  let top = 0;
  for (const line of hex.split(/\r?\n/)) {
    if (!line.startsWith(':')) continue;
    const n = parseInt(line.slice(1, 3), 16);
    const addr = parseInt(line.slice(3, 7), 16);
    const type = parseInt(line.slice(7, 9), 16);
    const data = line.slice(9, 9 + 2 * n);
    if (type === 0) top = Math.max(top, base + addr + n);
    else if (type === 2) base = parseInt(data, 16) * 16;
    else if (type === 4) base = parseInt(data, 16) * 65536;
  }
  return top;
}

describe.skipIf(!haveAvrGcc || firmwareSkipReason() !== undefined)('AVR build of the reference firmware', () => {
  const out = haveAvrGcc ? mkdtempSync(join(tmpdir(), 'clln-fw-avr-')) : '';

  it.each([115200, 1000000])('BAUD=%i: links, leaves >= 1 KB of SRAM for the stack, .mmcu in the elf only', async (baud) => {
    const { elf, hex: hexFile } = await built(baud);
    const s = sections(elf);
    const ram = (s.get('.data')?.[0] ?? 0) + (s.get('.bss')?.[0] ?? 0);
    expect(ram, `.data + .bss = ${ram} bytes`).toBeLessThanOrEqual(SRAM - STACK_MIN);
    const mmcu = s.get('.mmcu');
    expect(mmcu, 'the elf has a .mmcu section').toBeDefined();
    expect(mmcu?.[1]).toBe(0x910000);
    // the section names the MCU (simavr's tag AVR_MMCU_TAG_NAME holds the string)
    const bin = join(out, `mmcu-${baud}.bin`);
    execFileSync('avr-objcopy', ['-O', 'binary', '-j', '.mmcu', elf, bin]);
    expect(readFileSync(bin).toString('latin1')).toContain('atmega2560');
    // the hex holds flash only: .text + .data, nothing at 0x910000
    const hex = readFileSync(hexFile, 'utf8');
    const flash = (s.get('.text')?.[0] ?? 0) + (s.get('.data')?.[0] ?? 0);
    expect(hexTop(hex)).toBe(flash);
    expect(hexTop(hex)).toBeLessThan(256 * 1024);
  });

  it.skipIf(!existsSync('/usr/include/simavr/sim_avr.h'))(
    'in simavr (needs libsimavr-dev): boots, answers within the PROTOCOL.md bounds in MCU time, reboots through the watchdog, stack stays clear of RAM',
    async () => {
      // tools/stackprobe.c runs the .elf and types tools/stackprobe.script stop-and-wait at 115200 baud, like a host
      const { elf } = await built(115200);
      const probe = join(out, 'stackprobe');
      execFileSync('gcc', ['-O2', '-o', probe, join(FW_DIR, 'tools', 'stackprobe.c'), '-lsimavr']);
      const r = spawnSync(probe, [elf, join(FW_DIR, 'tools', 'stackprobe.script'), '10'], { encoding: 'latin1' });
      expect(r.status, r.stderr).toBe(0);
      const bodies = r.stdout
        .split('\n')
        .filter((l) => l.includes('*'))
        .map((l) => {
          const d = decodeFrame(l);
          expect(d.ok, `${JSON.stringify(l)} is a valid frame`).toBe(true);
          return d.ok ? d.body : '';
        });
      expect(bodies[0]).toBe('! BOOT fw=clln-fw-1.0.0 proto=1.4 board=clln-ref16 boot=1');
      expect(bodies[1]).toBe(
        '1 OK proto=1.4 fw=clln-fw-1.0.0 board=clln-ref16 uid=0 boot=1 nodes=16 edges=24 drive=0,1,2,3 clamp=12,13,14,15 adc=10,0,5 dac=0,4.998779 edge=tap,256 law=linear,1084.0625,11045 rate=9000 eta=0.000001,1 sched=48 keep=32',
      );
      expect(bodies.slice(-3)).toEqual([
        '31 OK boot=1',
        '! BOOT fw=clln-fw-1.0.0 proto=1.4 board=clln-ref16 boot=2',
        expect.stringMatching(/^32 OK proto=1\.4 .* boot=2 /),
      ]);
      // every command line got its latency; the bounds of PROTOCOL.md 7 with N = 16 nodes and rate = 9000 /s
      const lat = [...r.stderr.matchAll(/^latency_us=(\d+) (\d+) ([A-Z]+)(.*)\*[0-9A-F]{4}$/gm)];
      expect(lat.length).toBe(readFileSync(join(FW_DIR, 'tools', 'stackprobe.script'), 'latin1').split('\n').length - 1);
      const stepUs = 50_000 + (2 * 16 * 16 * 1e6) / 9000;
      for (const [, us, , verb, rest] of lat) {
        const n = /(?:^| )n=(\d+)$/.exec(rest)?.[1];
        // PROTOCOL.md 7: MEAS 50 ms + n N / rate, CYCLE 50 ms + 2 n N / rate (two states), STEP one step
        const bound =
          verb === 'MEAS' && !/n=\d+ n=/.test(rest)
            ? 50_000 + (Number(n ?? 16) * 16 * 1e6) / 9000
            : verb === 'CYCLE'
              ? 50_000 + (2 * Number(n ?? 16) * 16 * 1e6) / 9000
              : verb === 'STEP'
                ? stepUs
                : verb === 'HALT'
                  ? 50_000 + stepUs
                  : 50_000;
        expect(Number(us), `${verb}${rest}: ${us} us of MCU time`).toBeLessThan(bound);
      }
      // the deepest stack never came within 1 KB of the end of .bss
      const sp = /lowest SP 0x([0-9A-F]+)/.exec(r.stderr);
      expect(sp).not.toBeNull();
      const bssEnd = parseInt(/^([0-9a-f]+) \w __bss_end$/m.exec(execFileSync('avr-nm', [elf], { encoding: 'utf8' }))![1], 16) & 0xffff;
      expect(parseInt(sp![1], 16) - bssEnd).toBeGreaterThan(1024);
    },
  );

  it.skipIf(!existsSync('/usr/include/simavr/sim_avr.h'))(
    'in simavr: UART0 set up as HARDWARE.md says (U2X0, UBRR0 16 at 115200, 1 at 1 Mbaud) and answering ID at both rates',
    async () => {
      const probe = join(out, 'stackprobe');
      execFileSync('gcc', ['-O2', '-o', probe, join(FW_DIR, 'tools', 'stackprobe.c'), '-lsimavr']);
      const script = join(out, 'id.script');
      writeFileSync(script, encodeFrame('1 ID'), 'latin1');
      for (const [baud, ubrr] of [
        [115200, 16],
        [1000000, 1],
      ]) {
        const { elf } = await built(baud);
        const r = spawnSync(probe, [elf, script, '0.3', String(baud)], { encoding: 'latin1' });
        expect(r.stderr, `${baud}`).toContain(`uart: UBRR0=${ubrr} U2X0=1`);
        expect(r.stdout, `${baud}`).toMatch(/^1 OK proto=1\.4 .* keep=32\*[0-9A-F]{4}$/m);
      }
    },
  );

  it('refuses a baud rate HARDWARE.md does not define, naming the two it does', () => {
    const r = spawnSync('make', ['-s', '-C', FW_DIR, `O=${out}`, 'BAUD=9600'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/BAUD must be 115200 or 1000000/);
  });
});

if (!haveAvrGcc || firmwareSkipReason() !== undefined) {
  describe('AVR build of the reference firmware', () => {
    it.skip(`skipped: ${firmwareSkipReason() ?? 'avr-gcc not found; install the Debian packages gcc-avr, avr-libc and binutils-avr'}`, () => {});
  });
}
