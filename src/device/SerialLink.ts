/**
 * One connection to a serial port: a freshly made port object and a freshly made line decoder, both discarded
 * when the connection ends. Never reused across connections, because
 * - a serialport stream queues writes made while it is closed and sends them after it is reopened: a stale
 *   command would reach the board later. A link that went down refuses every write instead, and its port object is
 *   closed and dropped, so nothing queued on it can ever be sent;
 * - a line parser keeps the partial line it held when the link dropped; glued to the first bytes of the next
 *   connection it would make one corrupt line.
 *
 * The decoder is the shared codec's LineDecoder (bounded at the protocol's line limit, counting crc/garbage/overlong
 * lines) rather than a readline parser, whose buffer grows without limit on a line feed that never comes.
 */
import { stat } from 'node:fs';
import type { SerialPortStream } from '@serialport/stream';
import { LineDecoder, type LinkCounters } from '../../firmware-protocol/codec.js';
import { BoardDisconnectedError } from '../errors.js';
import type { LineSink } from './CommandChannel.js';
import type { Timers } from './timers.js';

/** Makes an unopened port object (`autoOpen: false`) for `path`. */
export type PortFactory = (options: { path: string; baudRate: number }) => SerialPortStream;

/** What a link reports to its owner. */
export interface LinkHandlers {
  /** One valid frame body. */
  onBody(body: string): void;
  /** Lines the decoder rejected since the last report. */
  onLinkError?(kind: keyof LinkCounters, count: number): void;
  /**
   * The link went down without {@link SerialLink.close} being called: port closed or errored, a write failed, or
   * the path vanished. Called once, synchronously from the event that detected it.
   */
  onDown(reason: string, cause?: unknown): void;
}

/** How to open a link. */
export interface LinkParams {
  path: string;
  baudRate: number;
  factory: PortFactory;
  timers: Timers;
  /** Give up opening after this long, ms. */
  openTimeoutMs: number;
  /** Poll the path this often (ms) and treat its disappearance as a disconnect; 0 = do not poll. */
  watchPathMs: number;
}

export class SerialLink implements LineSink {
  private up = true;
  private closing = false;
  private readonly decoder = new LineDecoder();
  private watchTimer: unknown;
  /** Bytes written and received on this connection. */
  bytesOut = 0;
  bytesIn = 0;

  private constructor(
    private readonly port: SerialPortStream,
    private readonly params: LinkParams,
    private readonly handlers: LinkHandlers,
  ) {}

  /**
   * Make a fresh port object, open it and send a bare line feed, which ends any partial line the device may hold
   * from an earlier connection (the device discards that line as a CRC error instead of gluing it to our first
   * command). Rejects with BoardDisconnectedError if the port cannot be opened within `openTimeoutMs`.
   */
  static open(params: LinkParams, handlers: LinkHandlers): Promise<SerialLink> {
    let port: SerialPortStream;
    try {
      port = params.factory({ path: params.path, baudRate: params.baudRate });
    } catch (e) {
      return Promise.reject(new BoardDisconnectedError(`cannot open ${params.path}: ${(e as Error).message}`, { cause: e }));
    }
    // an 'error' event without a listener would crash the process; errors are reported through the callbacks below
    port.on('error', () => undefined);
    return new Promise<SerialLink>((resolve, reject) => {
      let settled = false;
      const timer = params.timers.setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(new BoardDisconnectedError(`opening ${params.path} took longer than ${params.openTimeoutMs} ms`));
        // if the open completes later, close it: this object is abandoned
        port.once('open', () => port.close(() => undefined));
      }, params.openTimeoutMs);
      port.open((err) => {
        if (settled) return;
        settled = true;
        params.timers.clearTimeout(timer);
        if (err) {
          reject(new BoardDisconnectedError(`cannot open ${params.path}: ${err.message}`, { cause: err }));
          return;
        }
        const link = new SerialLink(port, params, handlers);
        link.attach();
        try {
          link.write('\n');
        } catch (e) {
          reject(e);
          return;
        }
        resolve(link);
      });
    });
  }

  /** True until the link went down or was closed. */
  get alive(): boolean {
    return this.up && this.port.isOpen;
  }

  /** Rejected lines on this connection. */
  get counters(): Readonly<LinkCounters> {
    return this.decoder.counters;
  }

  /**
   * Write one whole line. Throws BoardDisconnectedError, writing nothing, when the link is down: this is the
   * stale-write guard (see the file comment).
   */
  write(line: string): void {
    if (!this.alive) throw new BoardDisconnectedError(`link to ${this.params.path} is down; not sending ${JSON.stringify(line.trimEnd())}`);
    this.bytesOut += line.length;
    this.port.write(line, 'latin1', (err) => {
      if (err) this.down(`write to ${this.params.path} failed: ${err.message}`, err);
    });
  }

  /**
   * Take the link down now if its port closed under it without the `close` event having arrived yet: serialport
   * marks a port closed as soon as it starts closing it (after a failed read, say) and emits `close` only when the
   * binding has finished, which on a real device is a thread-pool round trip later. A command sent in between must
   * not find a link that says it is up but cannot write. Returns true if the link is down.
   */
  checkDown(): boolean {
    if (this.up && !this.closing && !this.port.isOpen) this.down(`${this.params.path} closed`);
    return !this.alive;
  }

  /** Close on purpose (no onDown). Resolves once the port is closed; never rejects. */
  close(): Promise<void> {
    this.closing = true;
    this.stopWatch();
    const wasUp = this.up;
    this.up = false;
    return this.dispose(wasUp);
  }

  private attach(): void {
    this.port.on('data', (chunk: Buffer) => {
      if (!this.up) return;
      this.bytesIn += chunk.length;
      const before = { ...this.decoder.counters };
      const bodies = this.decoder.push(chunk);
      const after = this.decoder.counters;
      for (const k of ['crc', 'garbage', 'overlong'] as const) {
        if (after[k] !== before[k]) this.handlers.onLinkError?.(k, after[k] - before[k]);
      }
      for (const b of bodies) {
        // a handler may take the link down (e.g. close after a reply); drop the rest of the chunk then
        if (!this.up) return;
        this.handlers.onBody(b);
      }
    });
    this.port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (this.closing) return;
      this.down(err ? `${this.params.path} disconnected: ${err.message}` : `${this.params.path} closed`, err ?? undefined);
    });
    this.port.on('error', (err: Error) => this.down(`${this.params.path} failed: ${err.message}`, err));
    this.scheduleWatch();
  }

  /**
   * Poll the path; its disappearance (a USB adapter unplugged, a pty's link removed) is a disconnect even when the
   * port has not reported an error yet. Only a path seen to exist can vanish: a port name that is not a file (a
   * Windows COM name, a twin-binding path) never triggers this.
   */
  private scheduleWatch(seen = false): void {
    const ms = this.params.watchPathMs;
    if (ms <= 0 || !this.up) return;
    const check = (): void => {
      stat(this.params.path, (err) => {
        if (!this.up) return;
        if (!err) this.scheduleWatch(true);
        else if (err.code === 'ENOENT' && seen) this.down(`${this.params.path} vanished`, err);
        else if (seen) this.scheduleWatch(true);
      });
    };
    if (!seen) check();
    else this.watchTimer = this.params.timers.setTimeout(check, ms);
  }

  private stopWatch(): void {
    this.params.timers.clearTimeout(this.watchTimer);
  }

  private down(reason: string, cause?: unknown): void {
    if (!this.up || this.closing) return;
    this.up = false;
    this.stopWatch();
    void this.dispose(true);
    this.handlers.onDown(reason, cause);
  }

  /** Close the port if it is open, then destroy the stream so that anything still queued on it is discarded. */
  private dispose(closePort: boolean): Promise<void> {
    const port = this.port;
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        port.destroy();
        resolve();
      };
      if (closePort && port.isOpen) port.close(() => finish());
      else finish();
    });
  }
}
