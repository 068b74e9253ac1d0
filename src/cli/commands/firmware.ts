import { InvalidInputError, show } from '../../errors.js';
import type { ServingFirmware } from '../../pipeline/serveFirmware.js';
import { int, parse, positionals, str } from '../args.js';
import type { Io } from '../Io.js';
import { serveUntilStopped } from '../serveUntilStopped.js';

export const firmwareHelp = `clln firmware build [--baud 115200|1000000] [--json]
clln firmware serve [--pty] [--model clln-ref16|FILE] [--seed S] [--faults SPEC] [--baud 115200|1000000]
                    [--eeprom FILE] [--uid HEX] [--exit-with-parent]
  The reference firmware (firmware-protocol/firmware, C for the ATmega2560 of the clln-ref16 board) and its
  emulator (firmware-protocol/emulator, clln-emu: the MCU cycle by cycle in libsimavr, the board's SPI chips and
  its resistor network around it). Both are built with make into a cache ($CLLN_BUILD_DIR, else
  $XDG_CACHE_HOME/clln, else ~/.cache/clln), rebuilt only when their sources change. The build needs avr-gcc,
  avr-libc, binutils-avr, the libsimavr headers, make and cc (README, "System tools").
  build      build (or find in the cache) the firmware for --baud and the emulator; prints the paths of the
             .elf (emulator), the .hex (a real board: avrdude) and clln-emu
  serve      run the firmware in the emulator on a new pseudo-terminal until SIGINT or SIGTERM; prints
             'READY <path>' on stdout once the host can open <path> (e.g. clln train --board serial:<path>;
             --board emu does all of this itself)
  --pty      serve on a pseudo-terminal (the default and only transport)
  --model    the board model the emulator simulates: clln-ref16 (default) or a .model file
  --seed     seed of the emulated board's tolerances, noise and faults (default 0)
  --faults   e.g. "garble=0.001,drop=0.0005,power-every=5": garble / drop = probability per byte (both
             directions) of a flipped bit / a lost byte; power-every = seconds of MCU time between power cycles
  --baud     the firmware's UART rate, chosen at build time (default 115200)
  --eeprom   EEPROM image file, loaded at start and kept up to date (boot counter, uid)
  --uid      board uid (hex) written into the EEPROM
  --exit-with-parent  stop when standard input closes or standard output breaks (used when a host spawns the
             emulated board, so that it goes when the host dies, even by kill -9)
  --json     (build) one JSON object: {baud, elf, hex, emulator, made: {firmware, emulator}}`;

export async function firmware(argv: string[], io: Io): Promise<number> {
  const p = parse('firmware', argv, {
    baud: { type: 'string' },
    json: { type: 'boolean' },
    pty: { type: 'boolean' },
    model: { type: 'string' },
    seed: { type: 'string' },
    faults: { type: 'string' },
    eeprom: { type: 'string' },
    uid: { type: 'string' },
    'exit-with-parent': { type: 'boolean' },
  });
  const [sub] = positionals(p, 'firmware', ['build|serve']);
  if (sub !== 'build' && sub !== 'serve') throw new InvalidInputError({ source: 'clln firmware' }, `unknown subcommand ${show(sub)}`, "use 'clln firmware build' or 'clln firmware serve'");
  const baud = int(p, 'baud', 1);
  const sf = await import('../../pipeline/serveFirmware.js');
  const log = (msg: string): void => {
    io.stderr.write(`clln firmware: ${msg}\n`);
  };
  if (sub === 'build') {
    for (const o of ['pty', 'model', 'seed', 'faults', 'eeprom', 'uid', 'exit-with-parent']) {
      if (p.values[o] !== undefined) throw new InvalidInputError({ source: `--${o}` }, 'is an option of clln firmware serve, not build', "see 'clln help firmware'");
    }
    const b = await sf.buildFirmware({ baud, log: p.values.json ? undefined : log });
    if (p.values.json) io.stdout.write(JSON.stringify(b) + '\n');
    else io.stdout.write(`firmware ${b.elf}\nhex      ${b.hex}\nemulator ${b.emulator}\n${b.made.firmware || b.made.emulator ? 'built' : 'unchanged sources: taken from the cache'}\n`);
    return 0;
  }
  if (p.values.json !== undefined) throw new InvalidInputError({ source: '--json' }, 'is an option of clln firmware build, not serve', "see 'clln help firmware'");
  const seedText = str(p, 'seed');
  const seed = seedText === undefined ? 0 : Number(seedText);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidInputError({ source: '--seed' }, `must be an integer >= 0, got ${show(seedText)}`);
  const faults = str(p, 'faults');
  // refused before anything is built: a bad spec should not wait for a compiler
  if (faults !== undefined) sf.checkEmulatorFaults(faults);
  const model = str(p, 'model');
  if (model !== undefined) sf.emulatorModelPath(model);
  let final: Awaited<ReturnType<ServingFirmware['stats']>> | undefined;
  const code = await serveUntilStopped<ServingFirmware>(io, {
    exitWithParent: p.values['exit-with-parent'] === true,
    start: () => sf.serveFirmware({ model, seed, faults, baud, eeprom: str(p, 'eeprom'), uid: str(p, 'uid'), log }),
    onReady: (s) => log(`${s.description} on ${s.path}, seed ${seed}, pid ${s.pid}`),
    onStop: async (s) => {
      // the final counters, if the emulator still answers (bounded: a hung emulator must not hang the stop)
      let timer: ReturnType<typeof setTimeout> | undefined;
      final = await Promise.race([s.stats(), new Promise<undefined>((res) => {
        timer = setTimeout(() => res(undefined), 2000);
      })]).catch(() => undefined);
      clearTimeout(timer);
    },
    onEnded: (_s, end) => {
      const x = end as { code: number | null; signal: string | null; stderr: string };
      log(`the emulator ended by itself (${x.code ?? x.signal})${x.stderr ? `: ${x.stderr.split('\n').slice(-3).join(' | ')}` : ''}`);
      return 1;
    },
  });
  if (final) log(`stopped after ${final.mcu_seconds.toFixed(3)} s of MCU time: ${final.rx_bytes} bytes received, ${final.tx_bytes} sent, ${final.garbled} garbled, ${final.dropped} dropped, ${final.power_cycles} power cycles`);
  return code;
}
