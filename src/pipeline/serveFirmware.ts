/**
 * The reference firmware (firmware-protocol/firmware, C for the ATmega2560) run in its emulator
 * (firmware-protocol/emulator, `clln-emu`, libsimavr): the entry of `clln firmware build|serve` and of
 * `--board emu[:MODEL]`.
 *
 * - {@link buildFirmware} runs the two makes (the firmware ELF for one baud rate, the emulator) into a cache folder,
 *   keyed by a hash of their sources, so that an unchanged tree is never rebuilt. Each build happens in a private
 *   temporary folder that is published by one rename: a second process building at the same moment either finds
 *   nothing or finds a whole build, never a half-written binary.
 * - {@link missingFirmwareTools} names the system tools the build needs that this machine lacks, and
 *   {@link FIRMWARE_INSTALL} is the one command that installs them all (Debian/Ubuntu).
 * - {@link serveFirmware} builds if needed, starts `clln-emu --exit-with-stdin` (its standard input is a pipe from this
 *   process, so it exits when this process dies, even by kill -9), waits for `READY <pty>` and gives the pty path,
 *   power cycles and the emulator's counters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CllnError, InvalidInputError, show } from '../errors.js';
import { packagePath } from '../packageFiles.js';

/** The baud rates the firmware is built for (HARDWARE.md, "UART"): UBRR0 = 16 and 1 at double speed. */
export const FIRMWARE_BAUDS: readonly number[] = [115200, 1000000];

/** Default baud rate of the firmware build (the Arduino Mega's usual 115200). */
export const DEFAULT_FIRMWARE_BAUD = 115200;

/** The libsimavr header the emulator's and the firmware's builds include (simavr's `.mmcu` section, the core). */
export const SIMAVR_HEADER = '/usr/include/simavr/sim_avr.h';

/**
 * The one command that installs every system tool the firmware and its emulator need (Debian 12 / Ubuntu package
 * names, checked with apt-cache): the AVR compiler, C library and binutils, the simavr library with its headers
 * and parts, the simavr program, and make and a host C compiler for the emulator.
 */
export const FIRMWARE_INSTALL = 'apt-get install -y --no-install-recommends gcc-avr avr-libc binutils-avr libsimavr-dev libsimavrparts1 simavr make gcc';

/** The model of the reference board the emulator simulates, by name (firmware-protocol/emulator/models/NAME.model). */
export const DEFAULT_EMULATOR_MODEL = 'clln-ref16';

/** Where the builds are cached: `$CLLN_BUILD_DIR`, else `$XDG_CACHE_HOME/clln`, else `~/.cache/clln`. */
export function firmwareBuildDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLLN_BUILD_DIR) return resolve(env.CLLN_BUILD_DIR);
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'clln');
  return join(homedir(), '.cache', 'clln');
}

/** Whether `name` is an executable file in one of the folders of `path` (a PATH value). */
function onPath(name: string, path: string): boolean {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      const p = join(dir, name);
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      // not there, or not executable: look on
    }
  }
  return false;
}

/**
 * The system tools the firmware build needs that are missing here, by name (empty when all are present): avr-gcc,
 * avr-objcopy, the libsimavr headers, make and cc. Programs are looked up on `env.PATH`.
 */
export function missingFirmwareTools(env: NodeJS.ProcessEnv = process.env, simavrHeader = SIMAVR_HEADER): string[] {
  const path = env.PATH ?? '';
  const missing = ['avr-gcc', 'avr-objcopy'].filter((t) => !onPath(t, path));
  if (!existsSync(simavrHeader)) missing.push(`the libsimavr headers (${simavrHeader})`);
  for (const t of ['make', 'cc']) if (!onPath(t, path)) missing.push(t);
  return missing;
}

/** The firmware cannot be built here: system tools are missing. Exit 2 in the CLI, with the install command. */
export class MissingFirmwareToolsError extends InvalidInputError {
  /** The missing tools, as {@link missingFirmwareTools} names them. */
  readonly missing: readonly string[];
  constructor(missing: readonly string[]) {
    super(
      { source: 'the emulated firmware' },
      `building the firmware and its emulator needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed`,
      `install them with: sudo ${FIRMWARE_INSTALL}`,
    );
    this.missing = missing;
  }
}

/** Throw {@link MissingFirmwareToolsError} when a build tool is missing. */
export function requireFirmwareTools(env: NodeJS.ProcessEnv = process.env): void {
  const missing = missingFirmwareTools(env);
  if (missing.length > 0) throw new MissingFirmwareToolsError(missing);
}

/** Options of {@link buildFirmware}. */
export interface BuildFirmwareOptions {
  /** Baud rate of the firmware's UART (115200 or 1000000); default 115200. */
  baud?: number;
  /** Cache folder; default {@link firmwareBuildDir}. */
  buildDir?: string;
  /** Progress messages ("building the firmware ..."). */
  log?: (message: string) => void;
  /** Environment of the makes (PATH); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The source trees (each with its Makefile); default this package's, {@link firmwareSourceDirs}. */
  sources?: { firmware: string; emulator: string };
}

/** What {@link buildFirmware} gives. */
export interface FirmwareBuild {
  baud: number;
  /** The firmware with simavr's `.mmcu` section, for the emulator. */
  elf: string;
  /** The firmware for a real board (no `.mmcu` section), for avrdude. */
  hex: string;
  /** The emulator program. */
  emulator: string;
  /** Which of the two were made by this call (false: taken from the cache). */
  made: { firmware: boolean; emulator: boolean };
}

/** Build products (in-tree builds, editor files) that are no input of a build: left out of the source hash. */
function isBuildInput(name: string, isDir: boolean): boolean {
  if (name.startsWith('.')) return false;
  if (isDir) return name !== 'build' && name !== 'node_modules';
  return !/\.(o|d|elf|hex|a|so|map|lst)$/.test(name) && name !== 'clln-emu' && name !== 'fw-native' && !name.endsWith('~');
}

/** Every file under `dir` that is an input of its build, sorted (paths relative to `dir`, with /). */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (isBuildInput(e.name, true)) walk(p);
      } else if (e.isFile() && isBuildInput(e.name, false)) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * A hash of the build inputs under `dir` (each file's path and contents), hex: the cache key of the build. The
 * paths are hashed too, so a renamed file changes the key.
 */
export function sourceHash(dir: string): string {
  const h = createHash('sha256');
  let files: string[] = [];
  try {
    files = sourceFiles(dir);
  } catch {
    // reported below
  }
  if (files.length === 0) throw new CllnError(`no sources in ${dir}: the package is incomplete`);
  for (const f of files) {
    const body = readFileSync(join(dir, f));
    h.update(`${f}\0${body.length}\0`);
    h.update(body);
  }
  return h.digest('hex').slice(0, 20);
}

/** The sources of the firmware and of the emulator in this package. */
export function firmwareSourceDirs(): { firmware: string; emulator: string } {
  return { firmware: packagePath('firmware-protocol', 'firmware'), emulator: packagePath('firmware-protocol', 'emulator') };
}

function checkBaud(baud: number, source: string): void {
  if (!FIRMWARE_BAUDS.includes(baud)) {
    throw new InvalidInputError({ source }, `the firmware is built for 115200 or 1000000 baud (HARDWARE.md, UART), got ${show(baud)}`, 'give 115200 or 1000000');
  }
}

/** Run make with `args`; a failure is a CllnError with the end of make's output. */
function runMake(args: string[], env: NodeJS.ProcessEnv, what: string): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn('make', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer): void => {
      out = (out + d.toString()).slice(-3000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (e) => rej(new CllnError(`cannot run make to build ${what}: ${e.message}`, { cause: e })));
    child.once('close', (code, signal) => {
      if (code === 0) res();
      else rej(new CllnError(`building ${what} failed (make ${args.join(' ')}: ${code ?? signal}): ${out.trim().split('\n').slice(-12).join(' | ')}`));
    });
  });
}

/** Remove the temporary folders of builds whose process is gone (killed mid-build). */
function removeStaleTemps(cache: string): void {
  for (const e of readdirSync(cache)) {
    const m = /^\.tmp-(\d+)-/.exec(e);
    if (!m) continue;
    let alive = true;
    try {
      process.kill(Number(m[1]), 0);
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (!alive) rmSync(join(cache, e), { recursive: true, force: true });
  }
}

/**
 * `<cache>/<key>/<file>` if it is published; else make it in a private folder and publish the folder by rename.
 * Returns whether this call made it.
 */
async function cached(cache: string, key: string, file: string, make: (dir: string) => Promise<void>): Promise<boolean> {
  const final = join(cache, key);
  if (existsSync(join(final, file))) return false;
  mkdirSync(cache, { recursive: true });
  removeStaleTemps(cache);
  const tmp = join(cache, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(tmp);
  try {
    await make(tmp);
    if (!existsSync(join(tmp, file))) throw new CllnError(`the build did not make ${file} (in ${tmp})`);
    try {
      renameSync(tmp, final);
    } catch (e) {
      // another process published the same build first (a folder cannot be renamed onto a non-empty one): use its
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !existsSync(join(final, file))) throw e;
    }
    return true;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Build the firmware for `baud` and the emulator, or take them from the cache; see the file comment. Missing tools:
 * {@link MissingFirmwareToolsError}; a failed make: CllnError with the end of its output.
 */
export async function buildFirmware(opts: BuildFirmwareOptions = {}): Promise<FirmwareBuild> {
  const baud = opts.baud ?? DEFAULT_FIRMWARE_BAUD;
  checkBaud(baud, '--baud');
  const env = opts.env ?? process.env;
  const cache = opts.buildDir ? resolve(opts.buildDir) : firmwareBuildDir(env);
  const src = opts.sources ?? firmwareSourceDirs();
  const fwKey = `firmware-${sourceHash(src.firmware)}-${baud}`;
  const emuKey = `emulator-${sourceHash(src.emulator)}`;
  const elfName = `clln-ref16-${baud}.elf`;
  const result: FirmwareBuild = {
    baud,
    elf: join(cache, fwKey, elfName),
    hex: join(cache, fwKey, `clln-ref16-${baud}.hex`),
    emulator: join(cache, emuKey, 'clln-emu'),
    made: { firmware: false, emulator: false },
  };
  if (existsSync(result.elf) && existsSync(result.hex) && existsSync(result.emulator)) return result;
  requireFirmwareTools(env);
  result.made.firmware = await cached(cache, fwKey, elfName, async (dir) => {
    opts.log?.(`building the firmware (${baud} baud) in ${cache}`);
    await runMake(['-C', src.firmware, `O=${dir}`, `BAUD=${baud}`], env, `the firmware (${baud} baud)`);
  });
  result.made.emulator = await cached(cache, emuKey, 'clln-emu', async (dir) => {
    opts.log?.(`building the emulator in ${cache}`);
    await runMake(['-C', src.emulator, `O=${dir}`], env, 'the emulator');
  });
  return result;
}

/**
 * The emulator's fault spec (`garble=P,drop=P,power-every=S`, any subset, comma-separated), checked here so that a
 * bad spec is refused before anything is built. P: a probability per byte in [0, 1]; S: seconds of MCU time > 0.
 */
export function checkEmulatorFaults(spec: string, source = '--faults'): void {
  const rule = 'a fault spec is comma-separated garble=P,drop=P,power-every=S (P a probability per byte in 0..1, S seconds of MCU time > 0), any subset';
  const fix = 'e.g. --faults garble=0.001,drop=0.0005,power-every=5';
  if (spec.trim() === '') return;
  const seen = new Set<string>();
  for (const part of spec.split(',')) {
    const m = /^(garble|drop|power-every)=([^=]*)$/.exec(part.trim());
    if (!m) throw new InvalidInputError({ source }, `${rule}; ${show(part)} is not one of them`, fix);
    const [, key, text] = m;
    if (seen.has(key)) throw new InvalidInputError({ source }, `${rule}; ${key} is given twice`, fix);
    seen.add(key);
    const x = Number(text);
    const ok = text.trim() !== '' && Number.isFinite(x) && (key === 'power-every' ? x > 0 : x >= 0 && x <= 1);
    if (!ok) throw new InvalidInputError({ source }, `${rule}; ${key} must be ${key === 'power-every' ? 'a number of seconds > 0' : 'a probability in 0..1'}, got ${show(text)}`, fix);
  }
}

/** The emulator model file a name or path gives: `clln-ref16` is the shipped model, anything else a file. */
export function emulatorModelPath(model: string = DEFAULT_EMULATOR_MODEL, source = '--model'): string {
  const shipped = packagePath('firmware-protocol', 'emulator', 'models', `${model}.model`);
  if (/^[A-Za-z0-9_-]+$/.test(model) && existsSync(shipped)) return shipped;
  const path = resolve(model);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    // reported below
  }
  if (!isFile) {
    throw new InvalidInputError({ source }, `no emulator model ${show(model)}: neither a shipped model (firmware-protocol/emulator/models/NAME.model) nor a file`, `give ${DEFAULT_EMULATOR_MODEL} or the path of a .model file`);
  }
  return path;
}

/** Options of {@link serveFirmware}. */
export interface ServeFirmwareOptions {
  /** `clln-ref16` (the shipped model) or a model file; default clln-ref16. */
  model?: string;
  /** Seed of the emulator's board tolerances, noise and faults; default 0. */
  seed?: number;
  /** Fault spec, see {@link checkEmulatorFaults}; default none. */
  faults?: string;
  /** The firmware's baud rate (115200 or 1000000); default 115200. */
  baud?: number;
  /** EEPROM image file the emulator loads and keeps up to date (the boot counter and the uid survive). */
  eeprom?: string;
  /** Board uid (hex) the emulator writes into the EEPROM. */
  uid?: string;
  /** Cache folder of the builds; default {@link firmwareBuildDir}. */
  buildDir?: string;
  /** Other source trees to build (e.g. a test program as the firmware); default this package's. */
  sources?: { firmware: string; emulator: string };
  /** Progress and the emulator's diagnostics (its stderr, line by line). */
  log?: (message: string) => void;
  /** How long the emulator may take to print READY, ms; default 20000 (a bound for a hung start, not a timing). */
  startTimeoutMs?: number;
}

/** The emulator's counters (its `stats` reply). */
export interface EmulatorStats {
  /** MCU time simulated so far, s. */
  mcu_seconds: number;
  /** MCU cycles simulated so far (16 MHz). */
  cycles: number;
  /** Bytes the MCU's UART received from the host, and sent to it. */
  rx_bytes: number;
  tx_bytes: number;
  /** Bytes garbled and dropped by the fault injection (both directions). */
  garbled: number;
  dropped: number;
  /** Power cycles so far (by `power` and by power-every=). */
  power_cycles: number;
}

const STAT_KEYS: readonly (keyof EmulatorStats)[] = ['mcu_seconds', 'cycles', 'rx_bytes', 'tx_bytes', 'garbled', 'dropped', 'power_cycles'];

/** How the emulator ended. */
export interface EmulatorExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of what it wrote on stderr. */
  stderr: string;
}

/** An emulated board being served. */
export interface ServingFirmware {
  /** The pseudo-terminal the host opens (its slave side). */
  readonly path: string;
  /** The emulator's process id. */
  readonly pid: number;
  /** What is served, e.g. `clln-ref16 firmware (115200 baud) in clln-emu, model clln-ref16.model`. */
  readonly description: string;
  /** The build it runs. */
  readonly build: FirmwareBuild;
  /** A power cycle now (MCU reset, chips at power-on, EEPROM kept); resolves with the counters after it. */
  power(): Promise<EmulatorStats>;
  /** The emulator's counters. */
  stats(): Promise<EmulatorStats>;
  /** Stop the emulator (SIGTERM; SIGKILL if it has not gone after 3 s). */
  close(): Promise<void>;
  /** Settles when the emulator has exited, however (close, a crash, a kill). */
  readonly ended: Promise<EmulatorExit>;
}

/** Parse one `stats` line; a malformed one is a CllnError (the emulator broke its contract). */
export function parseEmulatorStats(line: string): EmulatorStats {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new CllnError(`the emulator's stats line is not JSON: ${show(line)}`);
  }
  const o = v as Record<string, unknown>;
  if (typeof v !== 'object' || v === null) throw new CllnError(`the emulator's stats line is not an object: ${show(line)}`);
  for (const k of STAT_KEYS) {
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k]) || (o[k] as number) < 0) throw new CllnError(`the emulator's stats line has no number ${k} >= 0: ${show(line)}`);
  }
  return Object.fromEntries(STAT_KEYS.map((k) => [k, o[k] as number])) as unknown as EmulatorStats;
}

/** Build if needed, start the emulator and wait for its READY line; see the file comment. */
export async function serveFirmware(opts: ServeFirmwareOptions = {}): Promise<ServingFirmware> {
  const baud = opts.baud ?? DEFAULT_FIRMWARE_BAUD;
  checkBaud(baud, '--baud');
  if (opts.faults !== undefined) checkEmulatorFaults(opts.faults);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new InvalidInputError({ source: '--seed' }, `must be an integer >= 0, got ${show(seed)}`);
  if (opts.uid !== undefined && !/^[0-9A-Fa-f]{1,16}$/.test(opts.uid)) throw new InvalidInputError({ source: '--uid' }, `must be 1 to 16 hex digits, got ${show(opts.uid)}`, 'e.g. --uid 00c0ffee');
  const model = emulatorModelPath(opts.model);
  const build = await buildFirmware({ baud, buildDir: opts.buildDir, sources: opts.sources, log: opts.log });
  const args = ['--elf', build.elf, '--model', model, '--seed', String(seed), '--exit-with-stdin'];
  if (opts.faults) args.push('--faults', opts.faults);
  if (opts.eeprom !== undefined) args.push('--eeprom', resolve(opts.eeprom));
  if (opts.uid !== undefined) args.push('--uid', opts.uid);
  // its own process group: a Ctrl-C at the terminal reaches this process, which then stops the emulator, rather
  // than both at once (the emulator's exit would look like a crash)
  const child = spawn(build.emulator, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  return attach(child, build, model, opts);
}

/** Wire up a started emulator: READY, stats replies, stderr, exit. */
async function attach(child: ChildProcess, build: FirmwareBuild, model: string, opts: ServeFirmwareOptions): Promise<ServingFirmware> {
  let stderr = '';
  let errLine = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    errLine += d.toString();
    for (let i = errLine.indexOf('\n'); i >= 0; i = errLine.indexOf('\n')) {
      opts.log?.(`clln-emu: ${errLine.slice(0, i)}`);
      errLine = errLine.slice(i + 1);
    }
  });
  // a write to the stdin of an emulator that has just died fails with EPIPE: its exit is reported instead
  child.stdin!.on('error', () => {});
  const ended = new Promise<EmulatorExit>((res) => {
    child.once('close', (code, signal) => res({ code, signal, stderr: stderr.trim() }));
  });
  // one stats reply per `stats` line, in order (the emulator answers its stdin in order)
  const waiting: { resolve: (s: EmulatorStats) => void; reject: (e: Error) => void }[] = [];
  let ready: ((path: string) => void) | null = null;
  let outLine = '';
  child.stdout!.on('data', (d: Buffer) => {
    outLine += d.toString();
    for (let i = outLine.indexOf('\n'); i >= 0; i = outLine.indexOf('\n')) {
      const line = outLine.slice(0, i).trim();
      outLine = outLine.slice(i + 1);
      const m = /^READY (\S+)$/.exec(line);
      if (m && ready) {
        ready(m[1]);
        ready = null;
      } else if (line.startsWith('{')) {
        const w = waiting.shift();
        if (w) {
          try {
            w.resolve(parseEmulatorStats(line));
          } catch (e) {
            w.reject(e as Error);
          }
        }
      } else if (line) opts.log?.(`clln-emu: ${line}`);
    }
  });
  void ended.then((x) => {
    for (const w of waiting.splice(0)) w.reject(new CllnError(`the emulator exited (${x.code ?? x.signal}) before it answered stats: ${x.stderr}`));
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.kill('SIGTERM');
      await ended;
      clearTimeout(timer);
    }
    await ended;
  };
  const timeoutMs = opts.startTimeoutMs ?? 20000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let path: string;
  try {
    path = await Promise.race([
      new Promise<string>((res) => {
        ready = res;
      }),
      new Promise<never>((_, rej) => {
        child.once('error', (e) => rej(new CllnError(`cannot start the emulator ${build.emulator}: ${e.message}`, { cause: e })));
      }),
      ended.then((x): never => {
        // exit 2: bad arguments or an unreadable model, one line naming it (the emulator's contract)
        if (x.code === 2) throw new InvalidInputError({ source: 'clln-emu' }, x.stderr.split('\n').filter(Boolean).slice(-1)[0] ?? 'refused its arguments');
        throw new CllnError(`the emulator exited (${x.code ?? x.signal}) before it was ready: ${x.stderr}`);
      }),
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new CllnError(`the emulator did not print READY within ${timeoutMs} ms: ${stderr.trim()}`)), timeoutMs);
      }),
    ]);
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  const send = (line: string): Promise<EmulatorStats> =>
    new Promise((res, rej) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        rej(new CllnError('the emulator is not running'));
        return;
      }
      waiting.push({ resolve: res, reject: rej });
      child.stdin!.write(line);
    });
  // One request at a time: the emulator keeps one flag per command, so two `stats` lines it reads before it gets to
  // them give one reply (and two `power` lines one power cycle).
  let chain: Promise<unknown> = Promise.resolve();
  const command = (line: string): Promise<EmulatorStats> => {
    const p = chain.then(() => send(line));
    chain = p.catch(() => undefined);
    return p;
  };
  return {
    path,
    pid: child.pid!,
    description: `clln-ref16 firmware (${build.baud} baud) in clln-emu, model ${model}`,
    build,
    // `power` has no reply; the stats reply that follows it says it has been done (stdin is handled in order)
    power: () => command('power\nstats\n'),
    stats: () => command('stats\n'),
    close: stop,
    ended,
  };
}
