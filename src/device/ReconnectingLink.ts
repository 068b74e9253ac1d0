/**
 * The serial host's connection to one port path, kept up: it opens a fresh {@link SerialLink} per connection,
 * sends commands through one {@link CommandChannel} on the current connection, and when the link goes down on its
 * own fails what is in flight at once and reconnects in the background with backoff.
 *
 * It knows nothing about what the board holds: after every open it calls its owner's `synchronise` (ID, TOPO,
 * restoring the host record), and the link counts as up only once that succeeded. A {@link DifferentBoardError}
 * from `synchronise` ends the reconnect cycle (waiting cannot fix a different board on the path).
 *
 * Generations: every connection has a number (`gen`). A command is sent on an explicit generation and refused with
 * BoardDisconnectedError when that connection is gone, so that a call (or a restore) begun on a dead link never
 * continues on a new one (it would act on a board whose state the caller has not checked).
 */
import type { BoardIdentity } from '../../firmware-protocol/codec.js';
import { BoardDisconnectedError, BoardRefusedError, DifferentBoardError } from '../errors.js';
import { abortError } from './abort.js';
import { backoffDelay } from './backoff.js';
import type { BoardEvent } from './Board.js';
import { CommandChannel } from './CommandChannel.js';
import { SerialLink } from './SerialLink.js';
import { byteMs, type ResolvedSerialOptions } from './serialOptions.js';
import { sleep } from './timers.js';

/** Where the link is: opening and synchronising, up, down (reconnecting), given up, or closed for good. */
export type LinkState = 'connecting' | 'up' | 'down' | 'failed' | 'closed';

/** Size hints of one command, for its timeout. */
export interface CommandHint {
  /** Expected reply size, bytes (default {@link SMALL_REPLY_BYTES}). */
  reply?: number;
  /** Time the device works on it before answering, ms (default 0). */
  deviceMs?: number;
}

/** What the link needs from its owner. */
export interface LinkOwner {
  /**
   * Synchronise with the board on the fresh connection `gen` (every command on `gen`): read its identity, restore
   * or initialise what the host records. `initial` on the first connection. Returns the identity to announce.
   */
  synchronise(gen: number, initial: boolean): Promise<BoardIdentity>;
  /** An unsolicited device message `! KIND FIELDS` on the current connection. */
  onDeviceEvent(kind: string, fields: string[]): void;
  /** Something happened that may mean the board reset (a retry, a stale reply, rejected lines). */
  onSuspect(): void;
  /** The connection went down (or the link was closed): whatever streams on it must fail with `error`. */
  onDown(error: BoardDisconnectedError): void;
  /** A Board event to publish. */
  emit(event: BoardEvent): void;
}

/** Reply size estimate (bytes) of a command whose reply is short, for the default timeout. */
export const SMALL_REPLY_BYTES = 64;

export class ReconnectingLink {
  private readonly channel: CommandChannel;
  private link: SerialLink | null = null;
  /** Bytes of connections that are gone (the current link counts its own). */
  private readonly pastBytes = { out: 0, in: 0 };
  private generation = 0;
  private linkState: LinkState = 'connecting';
  private readonly upWaiters = new Set<{ resolve: () => void; reject: (e: unknown) => void }>();
  private reconnecting: Promise<void> | null = null;
  private wakeReconnect: (() => void) | null = null;
  /** Smoothed round-trip time of first-try exchanges (ms), null before the first. */
  private rtt: number | null = null;
  /** Successful reconnects, and lines the decoders rejected over every connection. */
  readonly counters = { reconnects: 0, linkErrors: { crc: 0, garbage: 0, overlong: 0 } };

  constructor(
    private readonly o: ResolvedSerialOptions,
    private readonly owner: LinkOwner,
  ) {
    this.channel = new CommandChannel(
      o.timers,
      {
        onEvent: (kind, fields) => owner.onDeviceEvent(kind, fields),
        onRetry: (verb, attempt, reason) => {
          owner.onSuspect();
          owner.emit({ type: 'retry', verb, attempt, reason });
        },
        onUnexpected: (body, why) => {
          owner.onSuspect();
          owner.emit({ type: 'link-error', kind: 'unexpected', detail: `${why} reply ${JSON.stringify(body.slice(0, 60))}` });
        },
      },
      o.initialSeq,
    );
  }

  /** The current connection's number; a command sent on an older one is refused. */
  get gen(): number {
    return this.generation;
  }

  get state(): LinkState {
    return this.linkState;
  }

  /** A method rather than a comparison, because the state changes across awaits (TypeScript's narrowing does not know). */
  isUp(): boolean {
    return this.linkState === 'up';
  }

  isClosed(): boolean {
    return this.linkState === 'closed';
  }

  /** The channel's counters (commands, retries, timeouts, stale and malformed replies). */
  get channelCounters(): CommandChannel['counters'] {
    return this.channel.counters;
  }

  /** Bytes written to and received from the board over every connection so far. */
  get bytes(): { out: number; in: number } {
    return { out: this.pastBytes.out + (this.link?.bytesOut ?? 0), in: this.pastBytes.in + (this.link?.bytesIn ?? 0) };
  }

  /** Round-trip time of a command answered at the first try, smoothed (weight 0.2 on the newest), ms; null before the first. */
  get rttMs(): number | null {
    return this.rtt;
  }

  /**
   * Send one command on connection `gen` and return the OK payload. An ERR reply becomes BoardRefusedError, except
   * 503 (busy: a run is still finishing), which is retried with backoff.
   */
  async cmd(gen: number, verb: string, args: string[], hint: CommandHint = {}): Promise<string[]> {
    for (let busy = 0; ; busy++) {
      const link = this.link;
      // a port closed under the link (its close event still to come) is a link down now: the state leaves 'up' and
      // the reconnect starts, so that a caller's retry waits for it instead of failing at once again
      if (gen === this.generation && link && !this.isClosed()) link.checkDown();
      if (gen !== this.generation || !link || !link.alive || this.isClosed()) {
        throw new BoardDisconnectedError(`link to ${this.o.path} is down (${verb} not sent)`);
      }
      const lineBytes = verb.length + args.reduce((s, a) => s + a.length + 1, 0) + 12;
      const timeoutMs = this.o.timeoutMs ?? this.o.baseTimeoutMs + 2 * byteMs(this.o.baudRate) * (lineBytes + (hint.reply ?? SMALL_REPLY_BYTES)) + (hint.deviceMs ?? 0);
      const retriesBefore = this.channel.counters.retries;
      const sentAt = performance.now();
      const r = await this.channel.exchange(link, verb, args, { timeoutMs, retries: this.o.retries, backoff: this.o.backoff });
      // round trip of exchanges answered at the first try (a resend would count the timeout too)
      if (this.channel.counters.retries === retriesBefore) {
        const rtt = performance.now() - sentAt;
        this.rtt = this.rtt === null ? rtt : 0.8 * this.rtt + 0.2 * rtt;
      }
      if (r.kind === 'ok') return r.payload;
      if (r.code === 503 && busy < this.o.retries) {
        await sleep(this.o.timers, backoffDelay(busy + 1, this.o.backoff));
        continue;
      }
      throw new BoardRefusedError(verb, r.code, r.message);
    }
  }

  /**
   * Open a fresh link and let the owner synchronise on it; the link is up once that succeeded. Rejects (leaving the
   * state `down`) when opening or synchronising fails.
   */
  async connect(initial: boolean): Promise<void> {
    this.linkState = 'connecting';
    const gen = ++this.generation;
    const link = await SerialLink.open(
      { path: this.o.path, baudRate: this.o.baudRate, factory: this.o.portFactory, timers: this.o.timers, openTimeoutMs: this.o.openTimeoutMs, watchPathMs: this.o.watchPathMs },
      {
        onBody: (body) => {
          if (gen === this.generation) this.channel.receive(body);
        },
        onLinkError: (kind, count) => {
          if (gen !== this.generation) return;
          this.counters.linkErrors[kind] += count;
          this.owner.onSuspect();
          this.owner.emit({ type: 'link-error', kind, detail: `${count} line${count === 1 ? '' : 's'} rejected` });
        },
        onDown: (reason) => {
          if (gen === this.generation) this.onLinkDown(reason);
        },
      },
    );
    if (gen !== this.generation || this.isClosed()) {
      await link.close();
      throw new BoardDisconnectedError('board closed while connecting');
    }
    this.link = link;
    try {
      const identity = await this.owner.synchronise(gen, initial);
      if (gen !== this.generation) throw new BoardDisconnectedError(`link to ${this.o.path} dropped while synchronising`);
      this.linkState = 'up';
      this.owner.emit({ type: 'connected', identity });
      if (!initial) {
        this.counters.reconnects++;
        this.owner.emit({ type: 'state-restored' });
      }
      for (const w of this.upWaiters) w.resolve();
      this.upWaiters.clear();
    } catch (e) {
      if (this.link === link) this.retireLink();
      if (this.linkState === 'connecting') this.linkState = 'down';
      await link.close();
      throw e;
    }
  }

  /** Resolve once the link is up; starts a new reconnect cycle after an earlier one gave up. */
  whenUp(signal?: AbortSignal): Promise<void> {
    if (this.linkState === 'up') return Promise.resolve();
    if (this.linkState === 'closed') return Promise.reject(new BoardDisconnectedError(`board at ${this.o.path} is closed`));
    if (this.linkState === 'failed') {
      this.linkState = 'down';
      this.startReconnect();
    }
    return new Promise<void>((resolve, reject) => {
      const w = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e: unknown) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      const onAbort = (): void => {
        this.upWaiters.delete(w);
        reject(abortError(signal, 'waiting for the link'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.upWaiters.add(w);
    });
  }

  /** Close for good: fail what is in flight and every waiter with BoardDisconnectedError(`reason`), close the port. */
  async close(reason: string): Promise<void> {
    this.linkState = 'closed';
    this.generation++;
    const err = new BoardDisconnectedError(`${reason} (${this.o.path})`);
    this.channel.fail(err);
    this.owner.onDown(err);
    this.wakeReconnect?.();
    for (const w of this.upWaiters) w.reject(err);
    this.upWaiters.clear();
    const link = this.link;
    this.retireLink();
    if (link) await link.close();
  }

  /** Mark the link closed without a connection ever having been made (a failed first open). */
  abandon(): void {
    this.linkState = 'closed';
  }

  /** Forget the current link, keeping its byte counts. */
  private retireLink(): void {
    if (this.link) {
      this.pastBytes.out += this.link.bytesOut;
      this.pastBytes.in += this.link.bytesIn;
    }
    this.link = null;
  }

  /** The link went down on its own: fail what is in flight at once, then reconnect in the background. */
  private onLinkDown(reason: string): void {
    this.retireLink();
    // bump the generation so that nothing bound to the dead link can send on the next one
    this.generation++;
    const err = new BoardDisconnectedError(`link to ${this.o.path} lost: ${reason}`);
    this.channel.fail(err);
    this.owner.onDown(err);
    if (this.linkState === 'closed') return;
    this.owner.emit({ type: 'disconnected', reason });
    if (this.linkState === 'up') {
      this.linkState = 'down';
      this.startReconnect();
    }
  }

  private startReconnect(): void {
    if (this.reconnecting) return;
    this.reconnecting = this.reconnectLoop().finally(() => {
      this.reconnecting = null;
    });
  }

  private async reconnectLoop(): Promise<void> {
    const { attempts, limitMs, backoff } = this.o.reconnect;
    const t0 = this.o.timers.now();
    let last: unknown = null;
    let tried = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const delayMs = backoffDelay(attempt, backoff);
      if (this.o.timers.now() - t0 + delayMs > limitMs) break;
      this.owner.emit({ type: 'reconnecting', attempt, delayMs });
      await new Promise<void>((resolve) => {
        const h = this.o.timers.setTimeout(() => {
          this.wakeReconnect = null;
          resolve();
        }, delayMs);
        this.wakeReconnect = () => {
          this.o.timers.clearTimeout(h);
          resolve();
        };
      });
      this.wakeReconnect = null;
      if (this.isClosed()) return;
      tried++;
      try {
        await this.connect(false);
        return;
      } catch (e) {
        last = e;
        if (this.isClosed()) return;
        // a different board on the path is not something waiting can fix
        if (e instanceof DifferentBoardError) break;
      }
    }
    this.linkState = 'failed';
    const why = last instanceof Error ? `: ${last.message}` : '';
    const err = new BoardDisconnectedError(`gave up reconnecting to ${this.o.path} after ${tried} attempt${tried === 1 ? '' : 's'}${why}`, { cause: last });
    for (const w of this.upWaiters) w.reject(err);
    this.upWaiters.clear();
  }
}
