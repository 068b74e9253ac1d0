/**
 * The serial host: {@link Board} over a serial line speaking PROTOCOL.md, through the real serialport package
 * (any binding: the system one for boards and pseudo-terminals, MockBinding in tests).
 *
 * How it keeps the Board contract (src/device/Board.ts):
 * - **Stop-and-wait**: calls are serialised through one queue; {@link CommandChannel} has at most one command on
 *   the wire, correlates the reply by SEQ, times each attempt out and resends the identical line (same SEQ) with
 *   backoff, so the device's reply cache turns a resend into a replay, never a second execution.
 * - **Validation first**: every value is checked against the cached identity (and against the host's record for
 *   role conflicts such as clamping a driven node) before anything is sent.
 * - **Host record**: the acknowledged sources, clamps and edge settings. A call's changes are committed to the
 *   record only once the call has completed and, where needed, the boot counter confirmed that the board did not
 *   reset meanwhile; a call that rejects is never counted as applied.
 * - **Disconnect**: the port's close/error events, a failed write, or the path vanishing take the link down. The
 *   command in flight (and a streaming run) rejects at once with BoardDisconnectedError; the link object refuses
 *   all further writes and is discarded with its port object and line decoder (see SerialLink for why). A background
 *   loop reopens a fresh port with backoff, synchronises with `ID` (never with the banner: opening flushes input),
 *   detects a reset by the boot counter, restores the record (ESET all edges, SRC, CLAMP) and then lets waiting
 *   calls proceed.
 * - **Reset**: detected by a changed boot counter, read by `STAT` after every state-reading call (`confirmReads`),
 *   on suspicion (a banner, a retry, link errors, a stale reply) and at least every `bootCheckMs`. On a change the
 *   record is restored and the interrupted call is executed again from the restored state.
 * - **Timeout**: a call whose command got no reply after all retries rejects with BoardTimeoutError; the command
 *   may have taken effect, so the next call first restores the record (the board again holds what was
 *   acknowledged).
 * - **Runs** hold the call queue while they stream (the board refuses other commands meanwhile); see runTask.
 */
import { Observable, Subject, type Subscriber } from 'rxjs';
import {
  formatList,
  formatNumber,
  formatPairs,
  MAX_BODY,
  parseTopology,
  parseIdentity,
  type BoardIdentity,
} from '../../firmware-protocol/codec.js';
import { BoardDisconnectedError, BoardProtocolError, BoardTimeoutError } from '../errors.js';
import { abortError, raceAbort, throwIfAborted } from './abort.js';
import { backoffDelay } from './backoff.js';
import type { Board, BoardEvent, CallOptions, DeviceStepResult, RunFrame, Schedule } from './Board.js';
import { CommandChannel } from './CommandChannel.js';
import { intField, parseFrameFields, parseStepReply, parseValueList, stringField } from './replyParsers.js';
import { RunAssembler } from './RunAssembler.js';
import { SerialLink } from './SerialLink.js';
import { byteMs, resolveSerialOptions, type ResolvedSerialOptions, type SerialBoardOptions } from './serialOptions.js';
import { sleep } from './timers.js';
import {
  checkClamps,
  checkEdgeSettings,
  checkSamples,
  checkSchedule,
  checkSources,
  checkStep,
  checkRoleConflicts,
  type CheckedSchedule,
  type WirePairs,
} from './validateBoardValues.js';

export type { SerialBoardOptions } from './serialOptions.js';

/** Host-side counters (link and recovery), for diagnostics and tests. */
export interface SerialBoardStats {
  /** Commands started (resends not counted). */
  commands: number;
  /** Resends after a missing reply. */
  retries: number;
  /** Commands that got no reply after all retries. */
  timeouts: number;
  /** Replies dropped because their SEQ was not the outstanding one. */
  staleReplies: number;
  /** Frames that were valid but not valid replies. */
  malformedReplies: number;
  /** Lines the host's decoder rejected. */
  linkErrors: { crc: number; garbage: number; overlong: number };
  /** Successful reconnects. */
  reconnects: number;
  /** Resets detected by a changed boot counter (requested resets not counted). */
  resetsDetected: number;
  /** State restores (after a reconnect or a detected reset). */
  restores: number;
  /** Bytes written to and received from the board over every connection so far (for wire-time accounting). */
  bytesOut: number;
  bytesIn: number;
  /** Round-trip time of a command answered at the first try, smoothed (exponential, weight 0.2 on the newest), ms; null before the first. */
  rttMs: number | null;
}

/** The board's `STAT` reply (PROTOCOL.md section 7.1): counters since boot and the autonomous run's state. */
export interface DeviceStat {
  boot: number;
  crc: number;
  overlong: number;
  garbage: number;
  /** Duplicates recognised (replayed, or refused as copies of older commands). */
  dup: number;
  /** Frames without a valid SEQ (never answered). */
  badseq: number;
  /** Learning steps performed: STEP commands and autonomous-run steps. */
  steps: number;
  /** State of the present or last autonomous run. */
  run: RunStateOnBoard;
  /** Steps completed by the present or last run (0 with none). */
  runStep: number;
  /** Error code with which the run failed (0 unless `run` is `failed`). */
  runError: number;
}

/** The run states of PROTOCOL.md section 8. */
export type RunStateOnBoard = 'none' | 'running' | 'done' | 'halted' | 'failed';
const RUN_STATES: readonly string[] = ['none', 'running', 'done', 'halted', 'failed'];

/** What the host knows the board holds (acknowledged values only). */
interface HostRecord {
  sources: Map<number, number>;
  clamps: Map<number, number>;
  /** Every edge's setting; null when unknown (after a requested reset, until read back). */
  edges: Float64Array | null;
}

/** A call's result plus the record change it makes, applied only once the call is confirmed. */
interface Staged<T> {
  value: T;
  commit?: () => void;
  /** Boot counter the call itself read (ID), which then serves as the confirmation. */
  boot?: number;
}

type LinkState = 'connecting' | 'up' | 'down' | 'failed' | 'closed';

/** Reply size estimates (bytes) that scale the default timeout. */
const ID_REPLY_BYTES = 320;
const SMALL_REPLY_BYTES = 64;
/** Characters one number takes at most on the wire, with its separator. */
const NUMBER_BYTES = 11;
/** Bodies are kept this far below the protocol limit when a command is split (ESET of many edges). */
const CHUNK_BODY = MAX_BODY - 64;
/** How many times a call is re-executed after a reset was detected during it. */
const MAX_RESET_REDOS = 3;
/** Samples per measurement inside a device learning step (PROTOCOL.md STEP: 16, the MEAS default). */
const STEP_SAMPLES = 16;

/** Open the board at `path` (e.g. `/dev/ttyACM0`) and synchronise with it; see {@link SerialBoard}. */
export function openSerialBoard(path: string, options: SerialBoardOptions = {}): Promise<SerialBoard> {
  return SerialBoard.open(path, options);
}

export class SerialBoard implements Board {
  readonly events: Observable<BoardEvent>;
  private readonly subject = new Subject<BoardEvent>();
  private readonly o: ResolvedSerialOptions;
  private readonly channel: CommandChannel;
  private link: SerialLink | null = null;
  /** Bytes of connections that are gone (the current link counts its own). */
  private readonly pastBytes = { out: 0, in: 0 };
  /** Incremented for every link; a call or a restore bound to an older link fails instead of using a new one. */
  private gen = 0;
  private state: LinkState = 'connecting';
  private id: BoardIdentity | null = null;
  private boot = -1;
  private lastBootCheck = 0;
  /** Something happened that may mean a reset (banner, retry, link error, stale reply): check the boot counter. */
  private suspect = false;
  /**
   * A command timed out: the board may hold a value the record does not (it executed, the reply was lost). The next
   * call first restores the record, so that the board again holds exactly what was acknowledged.
   */
  private needRestore = false;
  /** A requested RESET is under way: a changed boot counter is expected, not a fault. */
  private expectReset = false;
  private readonly record: HostRecord = { sources: new Map(), clamps: new Map(), edges: null };
  private queue: Promise<unknown> = Promise.resolve();
  private readonly upWaiters = new Set<{ resolve: () => void; reject: (e: unknown) => void }>();
  private reconnecting: Promise<void> | null = null;
  private wakeReconnect: (() => void) | null = null;
  private activeRun: RunSink | null = null;
  /** Every subscribed run, queued or streaming, so that close() can stop them. */
  private readonly runControls = new Set<RunControl>();
  /** Smoothed round-trip time of first-try exchanges (ms), null before the first. */
  private rttMs: number | null = null;
  private readonly counters = { reconnects: 0, resetsDetected: 0, restores: 0, linkErrors: { crc: 0, garbage: 0, overlong: 0 } };

  private constructor(options: ResolvedSerialOptions) {
    this.o = options;
    this.events = this.subject.asObservable();
    this.channel = new CommandChannel(
      options.timers,
      {
        onEvent: (kind, fields) => this.onDeviceEvent(kind, fields),
        onRetry: (verb, attempt, reason) => {
          this.suspect = true;
          this.emit({ type: 'retry', verb, attempt, reason });
        },
        onUnexpected: (body, why) => {
          this.suspect = true;
          this.emit({ type: 'link-error', kind: 'unexpected', detail: `${why} reply ${JSON.stringify(body.slice(0, 60))}` });
        },
      },
      options.initialSeq,
    );
  }

  /** Open `path` and synchronise (ID, TOPO, EGET; sources and clamps released so the record matches the board). */
  static async open(path: string, options: SerialBoardOptions = {}): Promise<SerialBoard> {
    const board = new SerialBoard(resolveSerialOptions(path, options));
    try {
      await board.establish(true);
    } catch (e) {
      board.state = 'closed';
      board.subject.complete();
      throw e;
    }
    return board;
  }

  /** The port path. */
  get path(): string {
    return this.o.path;
  }

  /** True while the link is up. */
  get connected(): boolean {
    return this.state === 'up';
  }

  /** The identity read at the last (re)connect, with the boot counter last seen. */
  get identity(): BoardIdentity {
    return this.requireIdentity();
  }

  /** Host-side counters. */
  get stats(): SerialBoardStats {
    const c = this.channel.counters;
    return {
      commands: c.commands,
      retries: c.retries,
      timeouts: c.timeouts,
      staleReplies: c.stale,
      malformedReplies: c.malformed,
      linkErrors: { ...this.counters.linkErrors },
      reconnects: this.counters.reconnects,
      resetsDetected: this.counters.resetsDetected,
      restores: this.counters.restores,
      bytesOut: this.pastBytes.out + (this.link?.bytesOut ?? 0),
      bytesIn: this.pastBytes.in + (this.link?.bytesIn ?? 0),
      rttMs: this.rttMs,
    };
  }

  // ---------------------------------------------------------------- Board

  async identify(opts?: CallOptions): Promise<BoardIdentity> {
    return this.op('identify', opts?.signal, 'none', async (gen) => {
      const id = await this.readId(gen, this.requireIdentity().edges);
      return { value: id, boot: id.bootCount, commit: () => (this.id = id) };
    });
  }

  async setSources(sources: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void> {
    const pairs = checkSources(this.requireIdentity(), sources);
    return this.op('setSources', opts?.signal, 'write', async (gen) => {
      checkRoleConflicts(this.requireIdentity(), 'sources', pairs, this.record.clamps, 'clamped');
      await this.cmd(gen, 'SRC', [formatPairs(pairs)]);
      return { value: undefined, commit: () => (this.record.sources = new Map(pairs)) };
    });
  }

  async setClamps(clamps: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void> {
    const pairs = checkClamps(this.requireIdentity(), clamps);
    return this.op('setClamps', opts?.signal, 'write', async (gen) => {
      checkRoleConflicts(this.requireIdentity(), 'clamps', pairs, this.record.sources, 'driven');
      await this.cmd(gen, 'CLAMP', [formatPairs(pairs)]);
      return { value: undefined, commit: () => (this.record.clamps = new Map(pairs)) };
    });
  }

  async measure(samples?: number, opts?: CallOptions): Promise<Float64Array> {
    const id = this.requireIdentity();
    const n = checkSamples(id, samples);
    return this.op('measure', opts?.signal, 'read', async (gen) => {
      const payload = await this.cmd(gen, 'MEAS', [`n=${n}`], { reply: id.nodes * NUMBER_BYTES, deviceMs: this.samplingMs(n) });
      return { value: parseValueList('MEAS', payload, id.nodes) };
    });
  }

  async readEdges(opts?: CallOptions): Promise<Float64Array> {
    return this.op('readEdges', opts?.signal, 'read', async (gen) => {
      const edges = await this.readEdgeSettings(gen);
      return { value: Float64Array.from(edges), commit: () => (this.record.edges = edges) };
    });
  }

  async writeEdges(settings: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void> {
    const pairs = checkEdgeSettings(this.requireIdentity(), settings);
    return this.op('writeEdges', opts?.signal, 'write', async (gen) => {
      await this.writeEdgePairs(gen, pairs);
      return {
        value: undefined,
        commit: () => {
          const e = this.record.edges;
          if (e) for (const [i, s] of pairs) e[i] = s;
        },
      };
    });
  }

  async deviceStep(targets: ReadonlyMap<number, number>, eta: number, amp?: number, opts?: CallOptions): Promise<DeviceStepResult> {
    const id = this.requireIdentity();
    const c = checkStep(id, targets, eta, amp);
    return this.op('deviceStep', opts?.signal, 'read', async (gen) => {
      // the device clamps the targets itself; a target that is driven would be refused (409)
      checkRoleConflicts(id, 'targets', c.targets, this.record.sources, 'driven');
      const args = [`eta=${formatNumber(c.eta)}`, `tgt=${formatPairs(c.targets)}`];
      if (c.amp !== undefined) args.push(`amp=${formatNumber(c.amp)}`);
      const payload = await this.cmd(gen, 'STEP', args, { reply: c.targets.length * NUMBER_BYTES + 24, deviceMs: 2 * this.samplingMs(STEP_SAMPLES) });
      const r = parseStepReply(payload, c.targets.length);
      // the step moved edges on the board: read them back so the record (and a later restore) has them
      const edges = await this.readEdgeSettings(gen);
      return {
        value: { ...r, settings: Float64Array.from(edges) },
        commit: () => {
          this.record.edges = edges;
          // STEP releases every clamp when it is done (PROTOCOL.md)
          this.record.clamps = new Map();
        },
      };
    });
  }

  runSchedule(schedule: Schedule, window?: number): Observable<RunFrame> {
    return new Observable<RunFrame>((sub) => {
      let checked: CheckedSchedule;
      try {
        checked = checkSchedule(this.requireIdentity(), schedule, window);
      } catch (e) {
        sub.error(e);
        return undefined;
      }
      const ctl = new RunControl();
      this.runControls.add(ctl);
      this.enqueue(() => this.runTask(checked, sub, ctl))
        .then(() => {
          // stopped by close(), not by the subscriber: the stream did not end normally
          if (ctl.error) throw ctl.error;
        })
        .then(
          () => sub.complete(),
          (e: unknown) => sub.error(e),
        )
        .finally(() => this.runControls.delete(ctl));
      return () => ctl.stop();
    });
  }

  async reset(opts?: CallOptions): Promise<void> {
    const signal = opts?.signal;
    const p = this.enqueue(async () => {
      throwIfAborted(signal, 'reset');
      await this.whenUp(signal);
      let gen = this.gen;
      const before = this.boot;
      this.expectReset = true;
      try {
        // PROTOCOL.md RESET boot=N: the board reboots only if its counter is still `before`, so a retry of this line
        // (its reply lost) never reboots it a second time; it then answers its new counter instead
        intField('RESET', await this.cmd(gen, 'RESET', [`boot=${before}`]), 'boot');
        // the board has lost everything: from here the record says so, whatever happens next
        this.record.sources = new Map();
        this.record.clamps = new Map();
        this.record.edges = null;
        // The reply may leave before the reboot: poll ID until the counter moves. A board whose USB link drops on
        // reset takes the link down; the reconnect then synchronises and we continue on the new link. From here on
        // the caller's signal is ignored: an abort rejects the call at once (raceAbort), but the host still finishes
        // synchronising, so that its record and boot counter match the rebooted board.
        const deadline = this.o.timers.now() + this.resetBudgetMs();
        let id: BoardIdentity | null = null;
        for (let attempt = 1; ; attempt++) {
          try {
            if (gen !== this.gen || this.state !== 'up') {
              await this.whenUp();
              gen = this.gen;
            }
            id = await this.readId(gen, this.requireIdentity().edges);
            if (id.bootCount !== before || this.boot !== before) break;
          } catch (e) {
            if (!(e instanceof BoardDisconnectedError) && !(e instanceof BoardTimeoutError)) throw e;
          }
          if (this.o.timers.now() > deadline) throw new BoardTimeoutError(`the board did not come back from RESET (boot counter still ${before})`);
          await sleep(this.o.timers, backoffDelay(Math.min(attempt, 8), this.o.backoff));
        }
        this.boot = id.bootCount;
        this.id = id;
        this.record.edges = await this.readEdgeSettings(gen);
        await this.confirm(gen, true);
      } finally {
        this.expectReset = false;
      }
    });
    return raceAbort(p, signal, 'reset');
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    for (const ctl of this.runControls) ctl.stop(new BoardDisconnectedError(`board at ${this.o.path} closed during the run`));
    if (this.state === 'up') {
      // release sources and clamps if the link allows, without waiting behind a reconnect
      const release = this.enqueue(async () => {
        if (this.state !== 'up') return;
        const gen = this.gen;
        await this.cmd(gen, 'SRC', ['-']);
        await this.cmd(gen, 'CLAMP', ['-']);
        this.record.sources = new Map();
        this.record.clamps = new Map();
      });
      await release.catch(() => undefined);
    }
    this.teardown('board closed');
    const link = this.link;
    this.retireLink();
    if (link) await link.close();
    this.subject.complete();
  }

  // ---------------------------------------------------------------- extras (not in Board)

  /** The board's STAT counters (boot counter, link errors, duplicates answered from the cache, steps). */
  async stat(opts?: CallOptions): Promise<DeviceStat> {
    return this.op('stat', opts?.signal, 'none', async (gen) => {
      const s = await this.readStat(gen);
      return { value: s, boot: s.boot };
    });
  }

  // ---------------------------------------------------------------- calls

  /** Run `task` after every call queued before it: one call talks to the board at a time. */
  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const p = this.queue.then(task);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /**
   * One Board call: waits its turn and for the link, runs `body`, confirms the boot counter when due, commits the
   * record change, and re-runs `body` from the restored state when a reset happened meanwhile.
   */
  private op<T>(what: string, signal: AbortSignal | undefined, kind: 'read' | 'write' | 'none', body: (gen: number) => Promise<Staged<T>>): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal, what));
    const p = this.enqueue(async () => {
      // cancelled while queued: nothing has been sent, nothing will be
      throwIfAborted(signal, what);
      await this.whenUp(signal);
      if (this.needRestore) {
        // an earlier command timed out: it may or may not have taken effect, so put the record back first
        await this.restore(this.gen);
        this.emit({ type: 'state-restored' });
      }
      for (let round = 0; ; round++) {
        const gen = this.gen;
        let staged: Staged<T>;
        try {
          staged = await body(gen);
        } catch (e) {
          if (e instanceof BoardTimeoutError) this.needRestore = true;
          throw e;
        }
        const ok = staged.boot !== undefined ? await this.checkBoot(gen, staged.boot) : await this.confirm(gen, kind === 'read');
        if (ok) {
          staged.commit?.();
          return staged.value;
        }
        if (round + 1 >= MAX_RESET_REDOS) throw new BoardProtocolError(0, `${what}: the board reset ${round + 1} times during the call`);
      }
    });
    return raceAbort(p, signal, what);
  }

  /**
   * Send one command on link generation `gen` and return the OK payload. ERR replies become BoardProtocolError,
   * except 503 (busy: a run is still finishing), which is retried with backoff.
   */
  private async cmd(gen: number, verb: string, args: string[], hint: { reply?: number; deviceMs?: number } = {}): Promise<string[]> {
    for (let busy = 0; ; busy++) {
      const link = this.link;
      if (gen !== this.gen || !link || !link.alive || this.state === 'closed') {
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
        this.rttMs = this.rttMs === null ? rtt : 0.8 * this.rttMs + 0.2 * rtt;
      }
      if (r.kind === 'ok') return r.payload;
      if (r.code === 503 && busy < this.o.retries) {
        await sleep(this.o.timers, backoffDelay(busy + 1, this.o.backoff));
        continue;
      }
      throw new BoardProtocolError(r.code, `${verb} refused by the board: ${r.code} ${r.message}`);
    }
  }

  /** Device time for `samples` samples of every node at the board's sample rate, with a 50% margin, ms. */
  private samplingMs(samples: number): number {
    const id = this.requireIdentity();
    return (1.5 * 1000 * samples * id.nodes) / id.maxSampleRate;
  }

  private resetBudgetMs(): number {
    return Math.max(2000, (this.o.timeoutMs ?? this.o.baseTimeoutMs) * (this.o.retries + 1) * 2);
  }

  private requireIdentity(): BoardIdentity {
    if (!this.id) throw new BoardDisconnectedError(`board at ${this.o.path} was never identified`);
    return this.id;
  }

  private async readId(gen: number, edges: [number, number][]): Promise<BoardIdentity> {
    const payload = await this.cmd(gen, 'ID', [], { reply: ID_REPLY_BYTES });
    const id = parseIdentity(payload, edges);
    if (typeof id === 'string') throw new BoardProtocolError(0, `${this.o.path}: ${id}`);
    const known = this.id;
    if (known && (id.uid !== known.uid || id.model !== known.model)) {
      throw new BoardProtocolError(0, `${this.o.path} now answers as board ${id.model} uid ${id.uid}, not ${known.model} uid ${known.uid}; refusing to continue on a different board`);
    }
    return id;
  }

  private async readStat(gen: number): Promise<DeviceStat> {
    const payload = await this.cmd(gen, 'STAT', []);
    const field = (k: string): number => intField('STAT', payload, k);
    const run = stringField('STAT', payload, 'run', RUN_STATES) as RunStateOnBoard;
    return {
      boot: field('boot'),
      crc: field('crc'),
      overlong: field('overlong'),
      garbage: field('garbage'),
      dup: field('dup'),
      badseq: field('badseq'),
      steps: field('steps'),
      run,
      runStep: field('runstep'),
      runError: field('runerr'),
    };
  }

  private async readEdgeSettings(gen: number): Promise<Float64Array> {
    const E = this.requireIdentity().edges.length;
    const payload = await this.cmd(gen, 'EGET', [], { reply: E * NUMBER_BYTES });
    return parseValueList('EGET', payload, E);
  }

  /** ESET in as many commands as the line limit needs (settings are absolute, so splitting is harmless). */
  private async writeEdgePairs(gen: number, pairs: WirePairs): Promise<void> {
    if (pairs.length === 0) return;
    let chunk: WirePairs = [];
    let len = 0;
    for (const p of pairs) {
      const l = formatPairs([p]).length + 1;
      if (chunk.length && len + l > CHUNK_BODY) {
        await this.cmd(gen, 'ESET', [formatPairs(chunk)]);
        chunk = [];
        len = 0;
      }
      chunk.push(p);
      len += l;
    }
    await this.cmd(gen, 'ESET', [formatPairs(chunk)]);
  }

  // ---------------------------------------------------------------- boot counter and restore

  /** Check the boot counter when due (see `confirmReads`, `bootCheckMs`, suspicion); false if a reset was handled. */
  private async confirm(gen: number, isRead: boolean): Promise<boolean> {
    const due = this.suspect || (isRead && this.o.confirmReads) || this.o.timers.now() - this.lastBootCheck >= this.o.bootCheckMs;
    if (!due) return true;
    const s = await this.readStat(gen);
    return this.checkBoot(gen, s.boot);
  }

  /** Compare a boot counter read on `gen` with the known one; on a change, restore the record. False if it changed. */
  private async checkBoot(gen: number, boot: number): Promise<boolean> {
    if (boot === this.boot) {
      this.suspect = false;
      this.lastBootCheck = this.o.timers.now();
      return true;
    }
    this.noteReset(boot);
    await this.restore(gen);
    this.emit({ type: 'state-restored' });
    return false;
  }

  private noteReset(boot: number): void {
    const previous = this.boot;
    this.boot = boot;
    if (this.id) this.id = { ...this.id, bootCount: boot };
    if (this.expectReset) return;
    this.counters.resetsDetected++;
    this.emit({ type: 'reset-detected', previousBoot: previous, bootCount: boot });
  }

  /**
   * Put the record back on the board: every edge (or read them if unknown), then clamps released, sources, clamps
   * (in that order, so that no node is ever driven and clamped at once). Confirms the boot counter afterwards and
   * starts over if the board reset again meanwhile.
   */
  private async restore(gen: number): Promise<void> {
    const E = this.requireIdentity().edges.length;
    for (let round = 0; round < MAX_RESET_REDOS; round++) {
      const edges = this.record.edges;
      if (edges) await this.writeEdgePairs(gen, Array.from({ length: E }, (_, e) => [e, edges[e]] as [number, number]));
      else this.record.edges = await this.readEdgeSettings(gen);
      await this.applyChannels(gen);
      const s = await this.readStat(gen);
      this.counters.restores++;
      if (s.boot === this.boot) {
        this.needRestore = false;
        this.suspect = false;
        this.lastBootCheck = this.o.timers.now();
        return;
      }
      this.noteReset(s.boot);
    }
    throw new BoardProtocolError(0, `${this.o.path}: the board kept resetting while its state was restored`);
  }

  private async applyChannels(gen: number): Promise<void> {
    await this.cmd(gen, 'CLAMP', ['-']);
    await this.cmd(gen, 'SRC', [formatPairs(this.record.sources)]);
    if (this.record.clamps.size) await this.cmd(gen, 'CLAMP', [formatPairs(this.record.clamps)]);
  }

  // ---------------------------------------------------------------- link lifecycle

  /**
   * Open a fresh link and synchronise: `ID` (a command, never the banner) and `TOPO`. First connect: read the
   * edges and release sources and clamps, so the record matches the board. Reconnect: same board required; a
   * changed boot counter is a reset; the record is restored either way (a command whose reply was lost must not
   * count as applied).
   */
  private async establish(initial: boolean): Promise<void> {
    this.state = 'connecting';
    const gen = ++this.gen;
    const link = await SerialLink.open(
      { path: this.o.path, baudRate: this.o.baudRate, factory: this.o.portFactory, timers: this.o.timers, openTimeoutMs: this.o.openTimeoutMs, watchPathMs: this.o.watchPathMs },
      {
        onBody: (body) => {
          if (gen === this.gen) this.channel.receive(body);
        },
        onLinkError: (kind, count) => {
          if (gen !== this.gen) return;
          this.counters.linkErrors[kind] += count;
          this.suspect = true;
          this.emit({ type: 'link-error', kind, detail: `${count} line${count === 1 ? '' : 's'} rejected` });
        },
        onDown: (reason) => {
          if (gen === this.gen) this.onLinkDown(reason);
        },
      },
    );
    if (gen !== this.gen || this.isClosed()) {
      await link.close();
      throw new BoardDisconnectedError('board closed while connecting');
    }
    this.link = link;
    try {
      // TOPO first on the initial connect: ID's parse needs the edge list
      let edges = this.id?.edges;
      if (!edges) {
        const topo = parseTopology(await this.cmd(gen, 'TOPO', [], { reply: 4096 }));
        if (!topo) throw new BoardProtocolError(0, `${this.o.path}: TOPO reply is not an edge list`);
        edges = topo;
      }
      const id = await this.readId(gen, edges);
      if (initial) {
        this.id = id;
        this.boot = id.bootCount;
        this.record.edges = await this.readEdgeSettings(gen);
        this.record.sources = new Map();
        this.record.clamps = new Map();
        await this.applyChannels(gen);
        this.lastBootCheck = this.o.timers.now();
        this.suspect = false;
      } else {
        if (id.bootCount !== this.boot) this.noteReset(id.bootCount);
        this.id = { ...id };
        await this.restore(gen);
      }
      if (gen !== this.gen) throw new BoardDisconnectedError(`link to ${this.o.path} dropped while synchronising`);
      this.state = 'up';
      this.emit({ type: 'connected', identity: this.id! });
      if (!initial) {
        this.counters.reconnects++;
        this.emit({ type: 'state-restored' });
      }
      for (const w of this.upWaiters) w.resolve();
      this.upWaiters.clear();
    } catch (e) {
      if (this.link === link) this.retireLink();
      if (this.state === 'connecting') this.state = 'down';
      await link.close();
      throw e;
    }
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
    this.gen++;
    const err = new BoardDisconnectedError(`link to ${this.o.path} lost: ${reason}`);
    this.channel.fail(err);
    this.activeRun?.fail(err);
    if (this.state === 'closed') return;
    this.emit({ type: 'disconnected', reason });
    if (this.state === 'up') {
      this.state = 'down';
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
      this.emit({ type: 'reconnecting', attempt, delayMs });
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
      if (this.state === 'closed') return;
      tried++;
      try {
        await this.establish(false);
        return;
      } catch (e) {
        last = e;
        if (this.isClosed()) return;
        // a different board on the path is not something waiting can fix
        if (e instanceof BoardProtocolError && /different board/.test(e.message)) break;
      }
    }
    this.state = 'failed';
    const why = last instanceof Error ? `: ${last.message}` : '';
    const err = new BoardDisconnectedError(`gave up reconnecting to ${this.o.path} after ${tried} attempt${tried === 1 ? '' : 's'}${why}`, { cause: last });
    for (const w of this.upWaiters) w.reject(err);
    this.upWaiters.clear();
  }

  /** Resolve once the link is up; starts a new reconnect cycle after an earlier one gave up. */
  private whenUp(signal?: AbortSignal): Promise<void> {
    if (this.state === 'up') return Promise.resolve();
    if (this.state === 'closed') return Promise.reject(new BoardDisconnectedError(`board at ${this.o.path} is closed`));
    if (this.state === 'failed') {
      this.state = 'down';
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

  private teardown(reason: string): void {
    this.state = 'closed';
    this.gen++;
    const err = new BoardDisconnectedError(`${reason} (${this.o.path})`);
    this.channel.fail(err);
    this.activeRun?.fail(err);
    this.wakeReconnect?.();
    for (const w of this.upWaiters) w.reject(err);
    this.upWaiters.clear();
  }

  /** A method rather than a comparison, because the state changes across awaits (TypeScript's narrowing does not know). */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private emit(e: BoardEvent): void {
    this.subject.next(e);
  }

  private onDeviceEvent(kind: string, fields: string[]): void {
    switch (kind) {
      case 'BOOT':
        // only a hint (opening a port flushes input, so the banner is often lost): the boot counter decides
        this.suspect = true;
        break;
      case 'FRAME':
        this.activeRun?.frame(fields);
        break;
      case 'DONE':
        // `! DONE steps=F fail=CODE`: the run failed (PROTOCOL.md section 8). The line may be lost, so the run loop
        // also learns it by asking (STAT, or 424 from GRANT and RESEND); this only makes it quicker.
        if (fields.some((f) => f.startsWith('fail='))) this.activeRun?.fail(new RunFailedSignal());
        else this.activeRun?.wake();
        break;
      case 'LOG':
        // free text for people (PROTOCOL.md section 6): never acted on
        break;
      default:
        this.emit({ type: 'link-error', kind: 'unexpected', detail: `unknown device message ${kind}` });
    }
  }

  // ---------------------------------------------------------------- autonomous runs

  /**
   * Upload, RUN, then stream: grant `window` credits, top them up as frames are emitted, re-request gaps and
   * stalls with RESEND, emit every step once and in order. Unsubscribing sends HALT. Afterwards the edges are read
   * back into the record and the record's sources and clamps are put back (the run drove its own sources).
   */
  private async runTask(c: CheckedSchedule, sub: Subscriber<RunFrame>, ctl: RunControl): Promise<void> {
    await Promise.race([this.whenUp(), ctl.stopped]);
    if (ctl.isStopped) return;
    const gen = this.gen;
    const nT = c.targets.length;
    const M = c.examples.length;
    // the run drives the sources itself each step; a clamp left on one of them would be refused mid-run
    await this.cmd(gen, 'CLAMP', ['-']);
    const begin = [`BEGIN`, `steps=${c.steps}`, `examples=${M}`, `src=${formatList(c.sources)}`, `tgt=${formatList(c.targets)}`, `eta=${formatNumber(c.eta)}`];
    if (c.amp !== undefined) begin.push(`amp=${formatNumber(c.amp)}`);
    try {
      await this.cmd(gen, 'SCHED', begin);
      for (let i = 0; i < M; i++) await this.cmd(gen, 'SCHED', ['EX', String(i), `in=${formatList(c.examples[i].in)}`, `out=${formatList(c.examples[i].out)}`]);
      const m = intField('SCHED END', await this.cmd(gen, 'SCHED', ['END']), 'examples');
      if (m !== M) throw new BoardProtocolError(0, `SCHED END: the board holds ${m} examples, ${M} were sent`);
    } catch (e) {
      await this.afterRun(gen, false).catch(() => undefined);
      throw e;
    }
    if (ctl.isStopped) {
      await this.afterRun(gen, false);
      return;
    }
    const asm = new RunAssembler(c.steps, c.window);
    const run = new RunSink(nT, this.o.timers, ctl, (detail) => this.emit({ type: 'link-error', kind: 'unexpected', detail }));
    this.activeRun = run;
    let halted = false;
    const emit = (frames: RunFrame[]): void => {
      for (const f of frames) if (!ctl.isStopped) sub.next(f);
    };
    try {
      const steps = intField('RUN', await this.cmd(gen, 'RUN', [], { deviceMs: 0 }), 'steps');
      if (steps !== c.steps) throw new BoardProtocolError(0, `RUN: the board will run ${steps} steps, ${c.steps} were asked for`);
      const grant = async (): Promise<void> => {
        const k = asm.grant();
        if (k > 0) await this.cmd(gen, 'GRANT', [String(k)]);
      };
      await grant();
      let stalls = 0;
      while (!asm.done && !ctl.isStopped) {
        const before = asm.emitted;
        const timedOut = await run.wait(this.o.frameTimeoutMs);
        if (run.failure) throw run.failure;
        for (const f of run.take()) emit(asm.accept(f));
        if (asm.done || ctl.isStopped) break;
        const stalled = timedOut && asm.emitted === before;
        try {
          // a banner, a retry, link errors, or a stall: a rebooted board has no run any more, so look first
          if (this.suspect || stalled) await this.checkRunBoot(gen, asm);
          const miss = asm.missing(timedOut);
          if (miss !== null) {
            try {
              emit(asm.accept(parseFrameFields(await this.cmd(gen, 'RESEND', [String(miss)], { reply: nT * NUMBER_BYTES + 40 }), nT, 'RESEND')));
            } catch (e) {
              // 416: not produced yet (the device is still working on it); anything else is a real failure
              if (!(e instanceof BoardProtocolError && e.code === 416)) throw e;
            }
          }
          await grant();
        } catch (e) {
          // 424: the run failed (PROTOCOL.md section 8); 409 from RESEND: the board has no run (did it reset?)
          if (e instanceof BoardProtocolError && e.code === 424) throw new RunFailedSignal();
          if (e instanceof BoardProtocolError && e.code !== 0) await this.checkRunBoot(gen, asm);
          throw e;
        }
        if (asm.emitted > before) stalls = 0;
        else if (stalled && ++stalls > this.o.retries + 1) {
          throw new BoardTimeoutError(`run stalled at step ${asm.emitted} of ${c.steps}: no frame for ${stalls} x ${this.o.frameTimeoutMs} ms`);
        }
      }
      if (!asm.done) {
        halted = true;
        await this.cmd(gen, 'HALT', []);
      }
    } catch (caught) {
      this.activeRun = null;
      let e = caught;
      if (e instanceof RunFailedSignal && gen === this.gen) {
        // the board stopped the run at a step it could not perform: collect what it did, then say why
        e = await this.runFailure(gen, asm, emit, nT).catch((x: unknown) => x);
        halted = true;
      }
      if (!halted && gen === this.gen && !(e instanceof BoardDisconnectedError) && !(e instanceof RunResetError)) await this.cmd(gen, 'HALT', []).catch(() => undefined);
      if (gen === this.gen && !(e instanceof RunResetError)) {
        // the board's state after a failed run is unknown to the host until it is read back or restored
        await this.afterRun(gen, true).catch(() => (this.needRestore = true));
      }
      throw e instanceof RunResetError ? e.error : e;
    } finally {
      this.activeRun = null;
    }
    try {
      await this.afterRun(gen, true);
    } catch (e) {
      if (e instanceof BoardTimeoutError) this.needRestore = true;
      throw e;
    }
  }

  /**
   * Inside a run, on suspicion or a stall: a changed boot counter means the run is gone (restore the record and fail
   * the run); a `failed` run state means the board stopped it (its `! DONE ... fail=` line may have been lost).
   */
  private async checkRunBoot(gen: number, asm: RunAssembler): Promise<void> {
    const s = await this.readStat(gen);
    if (await this.checkBoot(gen, s.boot)) {
      if (s.run === 'failed') throw new RunFailedSignal();
      if (s.run === 'none') throw new BoardProtocolError(0, `the board no longer holds the run (STAT run=none) after ${asm.emitted} of ${asm.steps} steps, without a reset`);
      return;
    }
    throw new RunResetError(
      new BoardDisconnectedError(
        `the board reset during the run (boot counter now ${s.boot}) after ${asm.emitted} of ${asm.steps} steps; ` +
          `its edges were restored to their values before the run`,
      ),
    );
  }

  /**
   * The run failed on the board (PROTOCOL.md section 8): STAT says after how many steps (F) and with which code.
   * Every step before F did happen, so frames still missing are fetched with RESEND and emitted; the reason is the
   * message of the 424 that HALT answers. Returns the error the run fails with.
   */
  private async runFailure(gen: number, asm: RunAssembler, emit: (frames: RunFrame[]) => void, nT: number): Promise<Error> {
    const s = await this.readStat(gen);
    if (!(await this.checkBoot(gen, s.boot))) {
      return new RunResetError(new BoardDisconnectedError(`the board reset during the run (boot counter now ${s.boot}); its edges were restored to their values before the run`));
    }
    const failedAt = s.runStep;
    while (asm.emitted < Math.min(failedAt, asm.steps)) {
      const before = asm.emitted;
      emit(asm.accept(parseFrameFields(await this.cmd(gen, 'RESEND', [String(before)], { reply: nT * NUMBER_BYTES + 40 }), nT, 'RESEND')));
      if (asm.emitted === before) throw new BoardProtocolError(0, `RESEND ${before} did not return frame ${before}`);
    }
    let reason = `code ${s.runError}`;
    try {
      await this.cmd(gen, 'HALT', []);
    } catch (e) {
      if (!(e instanceof BoardProtocolError && e.code === 424)) throw e;
      reason = e.message.replace(/^HALT refused by the board: 424 /, '');
    }
    return new BoardProtocolError(424, `the board's autonomous run failed after ${failedAt} of ${asm.steps} steps (${reason})`);
  }

  /** After a run: read the edges it left (if it ran), put the record's sources and clamps back, confirm the boot. */
  private async afterRun(gen: number, ran: boolean): Promise<void> {
    const edges = ran ? await this.readEdgeSettings(gen) : null;
    await this.applyChannels(gen);
    const s = await this.readStat(gen);
    if (s.boot === this.boot) {
      if (edges) this.record.edges = edges;
      this.lastBootCheck = this.o.timers.now();
      this.suspect = false;
      return;
    }
    await this.checkBoot(gen, s.boot);
    throw new BoardDisconnectedError(`the board reset at the end of the run (boot counter now ${s.boot}); its edges were restored to their values before the run`);
  }
}

/** The board reported that the run failed (`! DONE ... fail=`, a 424, or STAT run=failed); runFailure says why. */
class RunFailedSignal extends Error {
  constructor() {
    super('the board reported that the autonomous run failed');
  }
}

/** Wraps the error a run fails with after a reset was handled (no HALT or readback on the reset board). */
class RunResetError extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

/** The subscriber's side of a run: stopping (unsubscribe, or close with an error for the subscriber). */
class RunControl {
  isStopped = false;
  error: Error | null = null;
  private resolveStopped!: () => void;
  /** Resolves when stopped. */
  readonly stopped = new Promise<void>((r) => (this.resolveStopped = r));
  private listeners = new Set<() => void>();

  stop(error?: Error): void {
    if (this.isStopped) return;
    this.isStopped = true;
    this.error = error ?? null;
    this.resolveStopped();
    for (const l of this.listeners) l();
  }

  onStop(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

/** Frames and failures arriving asynchronously for the active run, and the wait for them. */
class RunSink {
  failure: Error | null = null;
  private frames: RunFrame[] = [];
  private waker: (() => void) | null = null;

  constructor(
    private readonly targets: number,
    private readonly timers: ResolvedSerialOptions['timers'],
    readonly control: RunControl,
    private readonly onBadFrame: (detail: string) => void,
  ) {}

  frame(fields: string[]): void {
    try {
      this.frames.push(parseFrameFields(fields, this.targets));
    } catch (e) {
      this.onBadFrame((e as Error).message);
    }
    this.wake();
  }

  fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  wake(): void {
    const w = this.waker;
    this.waker = null;
    w?.();
  }

  take(): RunFrame[] {
    const f = this.frames;
    this.frames = [];
    return f;
  }

  /** Wait for a frame, a failure or a stop (false), or `ms` without any (true). */
  wait(ms: number): Promise<boolean> {
    if (this.frames.length || this.failure || this.control.isStopped) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const off = this.control.onStop(() => this.wake());
      const h = this.timers.setTimeout(() => {
        this.waker = null;
        off();
        resolve(true);
      }, ms);
      this.waker = () => {
        this.timers.clearTimeout(h);
        off();
        resolve(false);
      };
    });
  }
}
