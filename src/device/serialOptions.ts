/**
 * Options of the serial host ({@link SerialBoardOptions}), validated once into a complete internal type
 * ({@link ResolvedSerialOptions}) so that the rest of the code never sees an undefined or nonsensical setting.
 */
import { SerialPortStream } from '@serialport/stream';
import { SerialPort } from 'serialport';
import { MAX_SEQ } from '../../firmware-protocol/codec.js';
import { InvalidInputError, show } from '../errors.js';
import type { BackoffPolicy } from './backoff.js';
import type { PortFactory } from './SerialLink.js';
import { systemTimers, type Timers } from './timers.js';

/**
 * A serialport binding (the system one, a TwinBinding, or a wrapper around either). Declared structurally because
 * @serialport/bindings-interface publishes no types that NodeNext resolution can see.
 */
export interface SerialBinding {
  open(options: never): Promise<unknown>;
  list(): Promise<unknown[]>;
}

/** What a caller may set; every field has a default. */
export interface SerialBoardOptions {
  /** Line speed, baud (default 115200; the protocol also supports 1000000). */
  baudRate?: number;
  /**
   * Fixed wait for the reply to one attempt of any command, ms. Default: computed per command as
   * `baseTimeoutMs` + twice the wire time of the command and its expected reply at `baudRate` + the device's
   * sampling time for MEAS/STEP (from the board's sample rate).
   */
  timeoutMs?: number;
  /** Fixed part of the computed timeout (device latency, OS and USB scheduling), ms (default 200). */
  baseTimeoutMs?: number;
  /** Resends of an unanswered command before BoardTimeoutError (default 3). */
  retries?: number;
  /** Backoff before a resend: base and cap, ms (default 20 and 500). */
  backoff?: Partial<BackoffPolicy>;
  /**
   * Reconnecting after the link went down: at most `attempts` opens (default 10), within `limitMs` in total
   * (default 30000), waiting `baseMs`, doubling up to `maxMs` between attempts (default 100 and 2000).
   */
  reconnect?: { attempts?: number; limitMs?: number; baseMs?: number; maxMs?: number };
  /** Give up one open attempt after this long, ms (default 2000). */
  openTimeoutMs?: number;
  /** serialport binding to open ports with (e.g. a TwinBinding in tests); default: the system binding. */
  binding?: SerialBinding;
  /** Makes an unopened port object; overrides `binding`. */
  portFactory?: PortFactory;
  /** Timer functions (default: the global ones). */
  timers?: Timers;
  /**
   * Poll the port path this often (ms) and treat its disappearance as a disconnect. Default 500 with the system
   * binding (a USB adapter unplugged), 0 (off) with an injected binding or factory, whose paths are not files, and
   * on Windows.
   */
  watchPathMs?: number;
  /**
   * Confirm the boot counter (one `STAT`) after every call that reads device state (measure, readEdges,
   * deviceStep, and the end of a run), so that a result is never taken from a board that has silently reset
   * (default true). Without it, the counter is checked only on suspicion (banner, retry, link errors) and every
   * `bootCheckMs`.
   */
  confirmReads?: boolean;
  /** Check the boot counter at least this often even with nothing suspicious, ms (default 2000). */
  bootCheckMs?: number;
  /** A run with credits outstanding that delivers no frame for this long re-requests the next one, ms (default 1000). */
  frameTimeoutMs?: number;
  /** SEQ of the first command (default random in 1..65535). */
  initialSeq?: number;
}

/** Every option, checked and defaulted. */
export interface ResolvedSerialOptions {
  path: string;
  baudRate: number;
  timeoutMs: number | null;
  baseTimeoutMs: number;
  retries: number;
  backoff: BackoffPolicy;
  reconnect: { attempts: number; limitMs: number; backoff: BackoffPolicy };
  openTimeoutMs: number;
  portFactory: PortFactory;
  timers: Timers;
  watchPathMs: number;
  confirmReads: boolean;
  bootCheckMs: number;
  frameTimeoutMs: number;
  initialSeq: number;
}

const KNOWN = new Set([
  'baudRate', 'timeoutMs', 'baseTimeoutMs', 'retries', 'backoff', 'reconnect', 'openTimeoutMs', 'binding', 'portFactory',
  'timers', 'watchPathMs', 'confirmReads', 'bootCheckMs', 'frameTimeoutMs', 'initialSeq',
]);

/** Check `options` for the port at `path`; throws InvalidInputError naming the option and the rule. */
export function resolveSerialOptions(path: string, options: SerialBoardOptions = {}): ResolvedSerialOptions {
  const src = 'serial board options';
  const bad = (field: string, rule: string, v: unknown): never => {
    throw new InvalidInputError({ source: src, field }, `${rule}, got ${show(v)}`);
  };
  if (typeof path !== 'string' || path.trim() === '') bad('path', 'must be a serial port path such as /dev/ttyACM0', path);
  if (typeof options !== 'object' || options === null) bad('(options)', 'must be an object', options);
  for (const k of Object.keys(options)) if (!KNOWN.has(k)) bad(k, `unknown option; known: ${[...KNOWN].join(', ')}`, k);
  const num = (field: string, v: unknown, def: number, ok: (x: number) => boolean, rule: string): number => {
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) bad(field, rule, v);
    return v as number;
  };
  const posInt = (x: number): boolean => Number.isInteger(x) && x > 0;
  const nonNegInt = (x: number): boolean => Number.isInteger(x) && x >= 0;
  const pos = (x: number): boolean => x > 0;
  const nonNeg = (x: number): boolean => x >= 0;

  const baudRate = num('baudRate', options.baudRate, 115200, posInt, 'must be a positive integer (baud)');
  const timeoutMs = options.timeoutMs === undefined ? null : num('timeoutMs', options.timeoutMs, 0, pos, 'must be a positive number of ms');
  const baseTimeoutMs = num('baseTimeoutMs', options.baseTimeoutMs, 200, pos, 'must be a positive number of ms');
  const retries = num('retries', options.retries, 3, nonNegInt, 'must be an integer >= 0');
  const b = options.backoff ?? {};
  const backoff = {
    baseMs: num('backoff.baseMs', b.baseMs, 20, nonNeg, 'must be a number of ms >= 0'),
    maxMs: num('backoff.maxMs', b.maxMs, 500, nonNeg, 'must be a number of ms >= 0'),
  };
  if (backoff.maxMs < backoff.baseMs) bad('backoff.maxMs', `must be >= backoff.baseMs (${backoff.baseMs})`, backoff.maxMs);
  const r = options.reconnect ?? {};
  const reconnect = {
    attempts: num('reconnect.attempts', r.attempts, 10, nonNegInt, 'must be an integer >= 0'),
    limitMs: num('reconnect.limitMs', r.limitMs, 30_000, nonNeg, 'must be a number of ms >= 0'),
    backoff: {
      baseMs: num('reconnect.baseMs', r.baseMs, 100, nonNeg, 'must be a number of ms >= 0'),
      maxMs: num('reconnect.maxMs', r.maxMs, 2000, nonNeg, 'must be a number of ms >= 0'),
    },
  };
  if (reconnect.backoff.maxMs < reconnect.backoff.baseMs) bad('reconnect.maxMs', `must be >= reconnect.baseMs (${reconnect.backoff.baseMs})`, reconnect.backoff.maxMs);
  const openTimeoutMs = num('openTimeoutMs', options.openTimeoutMs, 2000, pos, 'must be a positive number of ms');
  if (options.portFactory !== undefined && typeof options.portFactory !== 'function') bad('portFactory', 'must be a function', options.portFactory);
  if (options.binding !== undefined && (typeof options.binding !== 'object' || typeof options.binding.open !== 'function')) {
    bad('binding', 'must be a serialport binding (an object with open() and list())', options.binding);
  }
  const injected = options.portFactory !== undefined || options.binding !== undefined;
  const binding = options.binding;
  const portFactory: PortFactory =
    options.portFactory ??
    (binding
      ? ({ path: p, baudRate: baud }) => new SerialPortStream({ binding: binding as ConstructorParameters<typeof SerialPortStream>[0]['binding'], path: p, baudRate: baud, autoOpen: false })
      : ({ path: p, baudRate: baud }) => new SerialPort({ path: p, baudRate: baud, autoOpen: false }));
  const timers = options.timers ?? systemTimers;
  // Windows port names (COM3) are not files, so there is no path to watch
  const watchPathMs = num('watchPathMs', options.watchPathMs, injected || process.platform === 'win32' ? 0 : 500, nonNeg, 'must be a number of ms >= 0 (0 = off)');
  if (options.confirmReads !== undefined && typeof options.confirmReads !== 'boolean') bad('confirmReads', 'must be true or false', options.confirmReads);
  const bootCheckMs = num('bootCheckMs', options.bootCheckMs, 2000, pos, 'must be a positive number of ms');
  const frameTimeoutMs = num('frameTimeoutMs', options.frameTimeoutMs, 1000, pos, 'must be a positive number of ms');
  const initialSeq = num('initialSeq', options.initialSeq, 1 + Math.floor(Math.random() * MAX_SEQ), (x) => Number.isInteger(x) && x >= 1 && x <= MAX_SEQ, `must be an integer in 1..${MAX_SEQ}`);
  return {
    path,
    baudRate,
    timeoutMs,
    baseTimeoutMs,
    retries,
    backoff,
    reconnect,
    openTimeoutMs,
    portFactory,
    timers,
    watchPathMs,
    confirmReads: options.confirmReads ?? true,
    bootCheckMs,
    frameTimeoutMs,
    initialSeq,
  };
}

/** Time one byte takes on the wire (8N1: 10 bit times), ms. */
export function byteMs(baudRate: number): number {
  return 10_000 / baudRate;
}
