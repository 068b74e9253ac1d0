/**
 * Stop-and-wait command exchange over one line link (PROTOCOL.md "Messages"): sequence numbers, reply
 * correlation, a per-attempt timeout and bounded retries with backoff. Knows nothing about ports: the owner feeds
 * it decoded frame bodies ({@link CommandChannel.receive}) and hands it a {@link LineSink} to write to, so it is
 * unit-testable with fake timers and a fake link.
 *
 * Rules it enforces:
 * - one command outstanding at a time (a second `exchange` while one is pending is a programming error);
 * - a retry resends the identical line (same SEQ), so the device answers a duplicate from its reply cache instead
 *   of executing it twice;
 * - a reply whose SEQ is not the outstanding one (late, duplicated, from an earlier connection) is dropped and
 *   counted, never delivered to the wrong command;
 * - {@link CommandChannel.fail} rejects the outstanding command at once and cancels its timers, so nothing is
 *   resent afterwards (the disconnect rule: no stale write).
 */
import { encodeFrame, formatCommand, nextSeq, parseReply, MAX_SEQ } from '../../firmware-protocol/codec.js';
import { BoardTimeoutError } from '../errors.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { Timers } from './timers.js';

/** Where the channel writes a whole line; throws (e.g. BoardDisconnectedError) when the link is down. */
export interface LineSink {
  write(line: string): void;
}

/** The device's answer to a command. */
export type CommandReply = { kind: 'ok'; seq: number; payload: string[] } | { kind: 'err'; seq: number; code: number; message: string };

/** Per-command settings. */
export interface ExchangeOptions {
  /** Time to wait for the reply to one attempt, ms. */
  timeoutMs: number;
  /** Resends after the first attempt before giving up. */
  retries: number;
  /** Delay before each resend. */
  backoff: BackoffPolicy;
}

/** What the channel reports to its owner. */
export interface ChannelHooks {
  /** An unsolicited `! KIND FIELDS` message (BOOT, FRAME, DONE, LOG). */
  onEvent?(kind: string, fields: string[]): void;
  /** A resend is about to happen (attempt = 1 for the first resend). */
  onRetry?(verb: string, attempt: number, reason: string): void;
  /** A reply was dropped because its SEQ is not outstanding, or a body did not parse. */
  onUnexpected?(body: string, why: 'stale' | 'malformed'): void;
}

/** Counters since the channel was made. */
export interface ChannelCounters {
  /** Commands started (not counting resends). */
  commands: number;
  /** Resends. */
  retries: number;
  /** Commands that failed after all retries. */
  timeouts: number;
  /** Replies dropped because their SEQ did not match the outstanding command. */
  stale: number;
  /** Bodies that were valid frames but not valid replies. */
  malformed: number;
}

interface Pending {
  seq: number;
  verb: string;
  line: string;
  sink: LineSink;
  opts: ExchangeOptions;
  attempt: number;
  timer: unknown;
  resolve(r: CommandReply): void;
  reject(e: unknown): void;
}

export class CommandChannel {
  readonly counters: ChannelCounters = { commands: 0, retries: 0, timeouts: 0, stale: 0, malformed: 0 };
  private seq: number;
  private pending: Pending | null = null;

  /**
   * @param initialSeq the SEQ of the first command (1..65535). A host picks it at random by default: a fresh host
   *   starting at 1 could repeat the line the device answered last in an earlier session and get the cached reply
   *   instead of an execution.
   */
  constructor(
    private readonly timers: Timers,
    private readonly hooks: ChannelHooks = {},
    initialSeq = 1 + Math.floor(Math.random() * MAX_SEQ),
  ) {
    if (!Number.isInteger(initialSeq) || initialSeq < 1 || initialSeq > MAX_SEQ) throw new RangeError(`initialSeq must be an integer in 1..${MAX_SEQ}, got ${initialSeq}`);
    // stored as the "previous" seq so that the first command uses initialSeq
    this.seq = initialSeq === 1 ? MAX_SEQ : initialSeq - 1;
  }

  /** True while a command awaits its reply. */
  get busy(): boolean {
    return this.pending !== null;
  }

  /** SEQ of the outstanding command, or null. */
  get outstandingSeq(): number | null {
    return this.pending?.seq ?? null;
  }

  /**
   * Send `SEQ VERB ARGS` and resolve with the device's reply (OK or ERR; interpreting ERR is the caller's job).
   * Rejects with BoardTimeoutError after `retries` resends without a reply, with the sink's error if a write
   * throws, or with the error given to {@link fail}.
   */
  exchange(sink: LineSink, verb: string, args: string[], opts: ExchangeOptions): Promise<CommandReply> {
    if (this.pending) throw new Error(`CommandChannel: ${verb} sent while ${this.pending.verb} (seq ${this.pending.seq}) is outstanding`);
    this.seq = nextSeq(this.seq);
    const seq = this.seq;
    // encodeFrame throws RangeError on an overlong or non-printable body: a host bug, never sent
    const line = encodeFrame(formatCommand(seq, verb, args));
    this.counters.commands++;
    return new Promise<CommandReply>((resolve, reject) => {
      const p: Pending = { seq, verb, line, sink, opts, attempt: 0, timer: undefined, resolve, reject };
      this.pending = p;
      this.transmit(p);
    });
  }

  /** Feed one decoded frame body from the device. */
  receive(body: string): void {
    const r = parseReply(body);
    if (r === null) {
      this.counters.malformed++;
      this.hooks.onUnexpected?.(body, 'malformed');
      return;
    }
    if (r.kind === 'event') {
      this.hooks.onEvent?.(r.event, r.fields);
      return;
    }
    const p = this.pending;
    if (!p || r.seq !== p.seq) {
      this.counters.stale++;
      this.hooks.onUnexpected?.(body, 'stale');
      return;
    }
    this.settle(p);
    p.resolve(r);
  }

  /** Reject the outstanding command (if any) with `err` at once; its timers are cancelled, nothing is resent. */
  fail(err: unknown): void {
    const p = this.pending;
    if (!p) return;
    this.settle(p);
    p.reject(err);
  }

  private settle(p: Pending): void {
    this.timers.clearTimeout(p.timer);
    if (this.pending === p) this.pending = null;
  }

  private transmit(p: Pending): void {
    if (this.pending !== p) return;
    try {
      p.sink.write(p.line);
    } catch (e) {
      this.settle(p);
      p.reject(e);
      return;
    }
    p.timer = this.timers.setTimeout(() => this.onTimeout(p), p.opts.timeoutMs);
  }

  private onTimeout(p: Pending): void {
    if (this.pending !== p) return;
    if (p.attempt >= p.opts.retries) {
      this.settle(p);
      this.counters.timeouts++;
      const tries = p.attempt + 1;
      p.reject(new BoardTimeoutError(`${p.verb} (seq ${p.seq}) got no reply in ${tries} attempt${tries === 1 ? '' : 's'} of ${p.opts.timeoutMs} ms`));
      return;
    }
    p.attempt++;
    this.counters.retries++;
    this.hooks.onRetry?.(p.verb, p.attempt, `no reply within ${p.opts.timeoutMs} ms`);
    // the backoff wait is a timer too, so fail() cancels it and the resend never happens
    p.timer = this.timers.setTimeout(() => this.transmit(p), backoffDelay(p.attempt, p.opts.backoff));
  }
}
