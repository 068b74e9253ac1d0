/**
 * Runs a {@link TwinFirmware} over a byte link: decodes incoming lines with the protocol's LineDecoder, encodes
 * replies with encodeFrame, paces output at the baud rate (10 bit times per byte), streams autonomous-run frames
 * at the board's step rate, and injects seeded faults (garbled bytes, dropped lines, spontaneous resets, unplugs).
 *
 * Transports: {@link serveSerialPort} (a real serial device), `servePty` (servePty.ts: a pseudo-terminal whose host
 * end is a stable path that disappears on unplug) and `TwinBinding` (TwinBinding.ts: a serialport binding of its own
 * whose ports are twins, for tests and in-process use without a pty). See twins/README.md.
 */
import { SerialPort } from 'serialport';
import { encodeFrame, LineDecoder, type LinkCounters } from '../firmware-protocol/codec.js';
import { InvalidInputError, show } from '../src/errors.js';
import { Rng } from '../src/physics/Rng.js';
import { STEP_SAMPLES, TwinBoardCore } from './TwinBoardCore.js';
import { TwinFirmware } from './TwinFirmware.js';
import { systemTwinTimers, type TwinTimers } from './TwinTimers.js';

/** Fault injection settings (all off = 0). */
export interface FaultSpec {
  /**
   * Probability per outgoing line that one of its bytes is corrupted (one bit flipped). Per line rather than per
   * byte so that a rate means the same for a 10-byte reply and a 300-byte one: "garble=0.01" corrupts 1% of lines.
   */
  garble: number;
  /** Probability per outgoing line (reply, frame, banner) that it is not sent. */
  drop: number;
  /** After every N commands received the board reboots spontaneously (0 = never). */
  resetEvery: number;
  /** After every N commands received the link disappears for `unplugMs` and comes back, board rebooted (0 = never). */
  unplugEvery: number;
  /** How long an unplug lasts (ms). */
  unplugMs: number;
}

/** No faults. */
export const NO_FAULTS: Readonly<FaultSpec> = Object.freeze({ garble: 0, drop: 0, resetEvery: 0, unplugEvery: 0, unplugMs: 500 });

const FAULT_KEYS: Record<string, keyof FaultSpec> = {
  garble: 'garble',
  drop: 'drop',
  'reset-every': 'resetEvery',
  'unplug-every': 'unplugEvery',
  'unplug-ms': 'unplugMs',
};

/**
 * Parse `garble=0.01,drop=0.001,reset-every=2000,unplug-every=5000[,unplug-ms=500]`. Empty string or `none` = no
 * faults. Throws InvalidInputError naming the bad entry.
 */
export function parseFaults(spec: string): FaultSpec {
  const out: FaultSpec = { ...NO_FAULTS };
  const text = spec.trim();
  if (text === '' || text === 'none') return out;
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const m = /^\s*([a-z-]+)\s*=\s*(\S+)\s*$/.exec(part);
    const fix = 'write KEY=VALUE[,KEY=VALUE...] with keys garble, drop (probabilities 0..1), reset-every, unplug-every (command counts), unplug-ms (milliseconds)';
    if (!m) throw new InvalidInputError({ source: '--faults', field: part }, `expected KEY=VALUE, got ${show(part)}`, fix);
    const key = FAULT_KEYS[m[1]];
    if (!key) throw new InvalidInputError({ source: '--faults', field: m[1] }, `unknown fault ${show(m[1])}`, fix);
    if (seen.has(key)) throw new InvalidInputError({ source: '--faults', field: m[1] }, 'given twice', 'give each fault once');
    seen.add(key);
    const x = Number(m[2]);
    if (key === 'garble' || key === 'drop') {
      if (!Number.isFinite(x) || x < 0 || x > 1) throw new InvalidInputError({ source: '--faults', field: m[1] }, `must be a probability in [0, 1], got ${show(m[2])}`, fix);
    } else if (!Number.isInteger(x) || x < 0) {
      throw new InvalidInputError({ source: '--faults', field: m[1] }, `must be an integer >= 0, got ${show(m[2])}`, fix);
    }
    out[key] = x;
  }
  return out;
}

/**
 * How far ahead of its modelled wire time a paced line may be written, ms (default of {@link TwinServerOptions.leadMs}).
 * Above Node's timer lateness (a timer fires >= 1 ms late; 10 ms and more on a machine at load average 10 on two
 * cores, where 8 ms was measured not to be enough), so that a late timer costs nothing, and far below any run's
 * length, so that a rate measured over a run is the wire's to within lead / length (20 ms in a 1.5 s run: 1.3 %).
 */
export const DEFAULT_LEAD_MS = 20;

/** Options of {@link TwinServer}. */
export interface TwinServerOptions {
  /** Output pacing: baud rate (10 bit times per byte). 0 = no pacing (bytes go out at once). Default 115200. */
  baud?: number;
  /**
   * Paced output only: a line may be written up to this many ms before its last byte would have left the UART
   * (default {@link DEFAULT_LEAD_MS}; 0 = never early, one timer per line as before protocol 1.4). What the host sends after an early line is counted on the
   * modelled wire from when that line would have arrived, so the lead never accumulates: over any stretch of
   * exchanges the twin is at most `leadMs` ahead of the wire, and the host's own time between a reply and its next
   * command still counts. Why: with one timer per line, each reply came >= 1 ms late, which capped a stop-and-wait
   * exchange far below a 1 Mbaud wire; with a lead, a batch of lines goes out at once and one timer serves it.
   */
  leadMs?: number;
  /** Faults, as a FaultSpec or a spec string for {@link parseFaults}. Default none. */
  faults?: FaultSpec | string;
  /** Seed of the fault injection. Default 0. */
  seed?: number;
  /** Time per autonomous-run step (ms). Default: two measurements of 16 samples at the model's max sample rate. */
  stepMs?: number;
  /** Diagnostic messages (unplug, reset, ...). */
  log?: (msg: string) => void;
  /** Clock and timers for pacing, run steps and unplug durations. Default: the real ones ({@link systemTwinTimers}). */
  timers?: TwinTimers;
}

/** Counters of what the server did. */
export interface TwinServerStats {
  /** Valid command frames received. */
  commands: number;
  /** Lines sent (after drops). */
  linesSent: number;
  droppedLines: number;
  garbledBytes: number;
  resets: number;
  unplugs: number;
}

/**
 * Protocol engine between bytes and the firmware. Transport-agnostic: the transport calls {@link attach} with a
 * byte writer when the link is up, {@link input} with received bytes, {@link detach} when the link goes down, and
 * handles {@link onUnplug} (set by the transport) when an unplug fault fires.
 */
export class TwinServer {
  readonly firmware: TwinFirmware;
  readonly faults: FaultSpec;
  readonly stats: TwinServerStats = { commands: 0, linesSent: 0, droppedLines: 0, garbledBytes: 0, resets: 0, unplugs: 0 };
  /**
   * Called (by the server) when an unplug fault fires, once the pending output has been handed to the transport
   * (a transport that buffers must deliver it before pulling the plug). Set by the transport.
   */
  onUnplug: ((downMs: number) => void) | null = null;
  /** The clock and timers this server runs on (transports use them for unplug durations too). */
  readonly timers: TwinTimers;

  private readonly baud: number;
  private readonly leadMs: number;
  /**
   * How much earlier than its modelled wire time the last line was written, ms (0 when it was on time or late). The
   * host may have answered it that much early, so its next bytes are counted from this much later (see leadMs).
   */
  private earlyBy = 0;
  private readonly stepMs: number;
  private readonly rng: Rng;
  private readonly log: (msg: string) => void;
  private readonly decoder = new LineDecoder();
  private lastCounters: LinkCounters = { crc: 0, garbage: 0, overlong: 0 };
  private writer: ((bytes: Buffer) => void) | null = null;
  private queue: Buffer[] = [];
  /** When each queued line was queued (ms, on {@link timers}). */
  private queuedAt: number[] = [];
  private busyUntil = 0;
  /** When the last byte received so far has finished arriving on the modelled wire (ms). */
  private rxBusyUntil = 0;
  /** When the line at the head of the queue has left the UART (ms, on {@link timers}), once it has started. */
  private headDoneAt: number | null = null;
  private outTimer: unknown = null;
  private pumpTimer: unknown = null;
  /** When the next autonomous-run step is due (ms, on {@link timers}); null when no run is stepping. */
  private nextStepAt: number | null = null;
  private unplugPending = false;
  private rebootOnAttach = false;
  private closed = false;

  constructor(firmware: TwinFirmware, opts: TwinServerOptions = {}) {
    this.firmware = firmware;
    this.baud = opts.baud ?? 115200;
    if (!(this.baud >= 0) || !Number.isFinite(this.baud)) throw new InvalidInputError({ source: 'baud' }, `must be a number >= 0, got ${show(opts.baud)}`);
    this.leadMs = opts.leadMs ?? DEFAULT_LEAD_MS;
    if (!(this.leadMs >= 0) || !Number.isFinite(this.leadMs)) throw new InvalidInputError({ source: 'leadMs' }, `must be a number >= 0, got ${show(opts.leadMs)}`);
    this.faults = typeof opts.faults === 'string' ? parseFaults(opts.faults) : { ...NO_FAULTS, ...(opts.faults ?? {}) };
    this.rng = new Rng((opts.seed ?? 0) * 31 + 0x5eed);
    this.stepMs = opts.stepMs ?? (2 * STEP_SAMPLES * 1000) / firmware.core.model.maxSampleRate;
    this.log = opts.log ?? (() => {});
    this.timers = opts.timers ?? systemTwinTimers;
  }

  /** True while a link is attached. */
  get attached(): boolean {
    return this.writer !== null;
  }

  /**
   * The link is up: bytes the twin sends go to `write`. After an unplug the board comes back rebooted and sends its
   * banner; `banner: true` sends the banner in any case (as at power-up).
   */
  attach(write: (bytes: Buffer) => void, opts: { banner?: boolean } = {}): void {
    if (this.closed) return;
    this.writer = write;
    this.decoder.reset();
    this.queue = [];
    this.queuedAt = [];
    this.busyUntil = 0;
    this.headDoneAt = null;
    this.earlyBy = 0;
    if (this.rebootOnAttach) {
      this.rebootOnAttach = false;
      this.sendAll(this.firmware.reboot());
    } else if (opts.banner) {
      this.sendAll([this.firmware.banner()]);
    }
    this.schedulePump();
  }

  /** The link is down: pending output is lost, partial input forgotten. */
  detach(): void {
    this.writer = null;
    this.queue = [];
    this.queuedAt = [];
    this.decoder.reset();
    if (this.outTimer !== null) this.timers.clearTimeout(this.outTimer);
    this.outTimer = null;
    if (this.pumpTimer !== null) this.timers.clearTimeout(this.pumpTimer);
    this.pumpTimer = null;
    this.headDoneAt = null;
    this.nextStepAt = null;
    this.earlyBy = 0;
  }

  /** Bytes received from the host. */
  input(chunk: Uint8Array | string): void {
    if (this.closed || !this.writer) return;
    if (this.baud > 0) {
      // The host's bytes take wire time too, though the pty delivers them at once: a reply may not start before
      // the command that caused it has finished arriving (10 bit times per byte), so stop-and-wait exchanges
      // cost what they would on a real line.
      // on the modelled clock: bytes sent in answer to a line written early cannot have started before that line arrived
      const now = this.timers.now() + this.earlyBy;
      this.rxBusyUntil = Math.max(now, this.rxBusyUntil) + (chunk.length * 10 * 1000) / this.baud;
      if (this.headDoneAt === null) this.busyUntil = Math.max(this.busyUntil, this.rxBusyUntil);
    }
    const bodies = this.decoder.push(chunk);
    const c = this.decoder.counters;
    const d = { crc: c.crc - this.lastCounters.crc, garbage: c.garbage - this.lastCounters.garbage, overlong: c.overlong - this.lastCounters.overlong };
    if (d.crc || d.garbage || d.overlong) this.firmware.countLinkErrors(d);
    this.lastCounters = { ...c };
    for (const body of bodies) {
      if (!this.writer || this.unplugPending) break;
      this.stats.commands++;
      this.sendAll(this.firmware.receive(body));
      const n = this.stats.commands;
      if (this.faults.resetEvery > 0 && n % this.faults.resetEvery === 0) {
        this.stats.resets++;
        this.log(`fault: spontaneous reset after command ${n}`);
        this.sendAll(this.firmware.reboot());
      }
      if (this.faults.unplugEvery > 0 && n % this.faults.unplugEvery === 0) {
        this.unplugPending = true;
        this.maybeUnplug();
      }
    }
    this.schedulePump();
  }

  /**
   * The board loses power with its link (an unplug pulled by hand rather than by the `unplug-every` fault): the link
   * is detached, and when it is attached again the board comes back rebooted and sends its banner.
   */
  powerLoss(): void {
    this.detach();
    this.rebootOnAttach = true;
    this.stats.unplugs++;
  }

  /** Stop all timers; the server ignores everything afterwards. */
  close(): void {
    this.detach();
    this.closed = true;
  }

  // ---- output ----

  private sendAll(bodies: string[]): void {
    for (const b of bodies) this.send(b);
  }

  private send(body: string): void {
    if (!this.writer) return;
    if (this.faults.drop > 0 && this.rng.next() < this.faults.drop) {
      this.stats.droppedLines++;
      return;
    }
    const bytes = Buffer.from(encodeFrame(body), 'latin1');
    if (this.faults.garble > 0 && this.rng.next() < this.faults.garble) {
      // one corrupted byte (one flipped bit) in this line, anywhere including its line feed
      bytes[this.rng.int(bytes.length)] ^= 1 << this.rng.int(8);
      this.stats.garbledBytes++;
    }
    this.stats.linesSent++;
    this.queue.push(bytes);
    // on the modelled clock (see earlyBy): a line produced in answer to early input is produced that much later
    this.queuedAt.push(this.timers.now() + (this.baud > 0 ? this.earlyBy : 0));
    this.flush();
  }

  /**
   * Deliver queued lines, each once its last byte would have left the UART, less the lead. The UART is modelled by a
   * virtual clock (`busyUntil`): a line starts when the previous one has finished or when it is queued, whichever is
   * later. Every line due within `leadMs` is written at once and one timer waits for the next batch, because timers
   * fire late (>= 1 ms in Node): one timer per line would cap the rate at ~1000 lines/s, well below a 1 Mbaud wire,
   * and a timer per stop-and-wait reply would add its lateness to every exchange.
   */
  private flush(): void {
    if (this.outTimer !== null || !this.writer) return;
    if (this.baud === 0) {
      const q = this.queue;
      this.queue = [];
      this.queuedAt = [];
      for (const b of q) this.writer(b);
      this.maybeUnplug();
      return;
    }
    const now = this.timers.now();
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (this.headDoneAt === null) {
        // starts when the UART is free or when the line was queued, whichever is later — not "now": a late timer
        // must not stretch a busy wire
        this.headDoneAt = Math.max(this.queuedAt[0], this.busyUntil) + (next.length * 10 * 1000) / this.baud;
        this.busyUntil = this.headDoneAt;
      }
      if (this.headDoneAt > now + this.leadMs) break;
      this.queue.shift();
      this.queuedAt.shift();
      this.earlyBy = Math.max(0, this.headDoneAt - now);
      this.headDoneAt = null;
      this.writer(next);
    }
    if (this.queue.length === 0) {
      this.maybeUnplug();
      return;
    }
    this.outTimer = this.timers.setTimeout(() => {
      this.outTimer = null;
      this.flush();
    }, Math.max(0, this.headDoneAt! - this.leadMs - now));
  }

  private maybeUnplug(): void {
    if (!this.unplugPending || this.queue.length > 0 || this.outTimer !== null) return;
    this.unplugPending = false;
    this.stats.unplugs++;
    this.log(`fault: unplug for ${this.faults.unplugMs} ms after command ${this.stats.commands}`);
    this.detach();
    this.rebootOnAttach = true; // the board loses power with the link
    const handler = this.onUnplug;
    // not from inside the write that sent the last reply: the transport delivers it first (an event-loop turn, not
    // a duration; a transport with its own buffer waits for it to drain)
    if (handler) this.timers.setTimeout(() => handler(this.faults.unplugMs), 0);
  }

  // ---- autonomous runs ----

  /**
   * Step the autonomous run on a virtual clock: one step per `stepMs`, catching up on every step already due when a
   * (late) timer fires, so the step rate is the board's and not the timer granularity's.
   */
  private schedulePump(): void {
    if (this.pumpTimer !== null || !this.writer || this.closed || !this.firmware.hasPending) return;
    const now = this.timers.now();
    if (this.nextStepAt === null || this.nextStepAt < now - 50) this.nextStepAt = now + this.stepMs; // idle or stalled: restart the clock
    const tick = (): void => {
      this.pumpTimer = null;
      if (!this.writer || this.closed) return;
      const t = this.timers.now();
      const due = this.stepMs > 0 ? Math.max(1, Math.floor((t - this.nextStepAt!) / this.stepMs) + 1) : Infinity;
      const frames = this.firmware.pump(due);
      const done = frames.filter((f) => f.startsWith('! FRAME')).length;
      this.nextStepAt! += this.stepMs * Math.max(1, done);
      this.sendAll(frames);
      if (!this.firmware.hasPending) this.nextStepAt = null;
      this.schedulePump();
    };
    this.pumpTimer = this.timers.setTimeout(tick, Math.max(0, this.nextStepAt - now));
  }
}

/** A twin served on some transport. */
export interface ServedTwin {
  /** The path the host opens. */
  readonly path: string;
  readonly server: TwinServer;
  /** Stop serving and release the transport (closes the pty, removes the links it made). */
  close(): Promise<void>;
}

/** The firmware to serve: as given, or a fresh one around a board core. */
export function toFirmware(x: TwinFirmware | TwinBoardCore): TwinFirmware {
  return x instanceof TwinFirmware ? x : new TwinFirmware(x);
}

/**
 * Open a serial device (a real port, or the slave of a pseudo-terminal made elsewhere) and serve the twin on it.
 * An unplug fault closes the device for the unplug's duration and opens it again (the path cannot vanish).
 */
export async function serveSerialPort(path: string, firmware: TwinFirmware | TwinBoardCore, opts: TwinServerOptions = {}): Promise<ServedTwin> {
  const server = new TwinServer(toFirmware(firmware), opts);
  let port: SerialPort | null = null;
  let closed = false;
  const open = async (banner: boolean): Promise<void> => {
    const p = await openPort(path, opts.baud || 115200);
    if (closed) {
      await closePort(p);
      return;
    }
    port = p;
    p.on('data', (d: Buffer) => server.input(d));
    p.on('close', () => {
      if (port === p) {
        port = null;
        server.detach();
      }
    });
    p.on('error', (e) => server['log'](`serial port error: ${e.message}`));
    server.attach((b) => p.write(b), { banner });
  };
  server.onUnplug = (downMs) => {
    // A device path made by someone else cannot disappear: go silent instead, once the last reply went out.
    const p = port;
    port = null;
    void (p ? drainPort(p).then(() => closePort(p)) : Promise.resolve()).then(() =>
      server.timers.setTimeout(() => {
        if (!closed) open(false).catch((e) => server['log'](`reopen failed: ${(e as Error).message}`));
      }, downMs),
    );
  };
  await open(true);
  return {
    path,
    server,
    async close() {
      closed = true;
      server.close();
      const p = port;
      port = null;
      if (p) await closePort(p);
    },
  };
}

// ---- helpers ----

function openPort(path: string, baudRate: number): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const p = new SerialPort({ path, baudRate, autoOpen: false });
    p.open((err) => (err ? reject(err) : resolve(p)));
  });
}

function closePort(p: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!p.isOpen) return resolve();
    p.close(() => resolve());
  });
}

function drainPort(p: SerialPort): Promise<void> {
  return new Promise((resolve) => {
    if (!p.isOpen) return resolve();
    p.drain(() => resolve());
  });
}
