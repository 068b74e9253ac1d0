/**
 * The AVR build of the reference firmware (firmware-protocol/firmware): both baud rates link for the ATmega2560,
 * RAM (.data + .bss) leaves at least 1 KB of the 8 KB SRAM for the stack (the deepest use measured in simavr is in
 * the firmware README), the .elf carries simavr's .mmcu section (MCU atmega2560 at 16 MHz) and the .hex for a real
 * board does not. Skipped, with the package to install, where avr-gcc is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FW_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'firmware-protocol', 'firmware');
const haveAvrGcc = spawnSync('avr-gcc', ['--version']).status === 0;
const SRAM = 8192; // ATmega2560 datasheet: 8 KB internal SRAM
const STACK_MIN = 1024;

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

describe.skipIf(!haveAvrGcc)('AVR build of the reference firmware', () => {
  const out = haveAvrGcc ? mkdtempSync(join(tmpdir(), 'clln-fw-avr-')) : '';

  it.each([115200, 1000000])('BAUD=%i: links, leaves >= 1 KB of SRAM for the stack, .mmcu in the elf only', (baud) => {
    execFileSync('make', ['-s', '-C', FW_DIR, `O=${out}`, `BAUD=${baud}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    const elf = join(out, `clln-ref16-${baud}.elf`);
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
    const hex = readFileSync(join(out, `clln-ref16-${baud}.hex`), 'utf8');
    const flash = (s.get('.text')?.[0] ?? 0) + (s.get('.data')?.[0] ?? 0);
    expect(hexTop(hex)).toBe(flash);
    expect(hexTop(hex)).toBeLessThan(256 * 1024);
  });

  it('refuses a baud rate HARDWARE.md does not define, naming the two it does', () => {
    const r = spawnSync('make', ['-s', '-C', FW_DIR, `O=${out}`, 'BAUD=9600'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/BAUD must be 115200 or 1000000/);
  });
});

if (!haveAvrGcc) {
  describe('AVR build of the reference firmware', () => {
    it.skip('skipped: avr-gcc not found; install the Debian packages gcc-avr, avr-libc and binutils-avr', () => {});
  });
}
