/**
 * The serial host: {@link Board} over a serial line speaking PROTOCOL.md, through the real serialport package
 * (any binding: the system one for boards and pseudo-terminals, the twin's own binding in tests). A thin facade:
 * each concern has its own file.
 *
 * How it keeps the Board contract (src/device/Board.ts):
 * - **Stop-and-wait**: calls are serialised through one queue ({@link OperationQueue}); {@link CommandChannel} has
 *   at most one command on the wire, correlates the reply by SEQ, times each attempt out and resends the identical
 *   line (same SEQ) with backoff, so the device's reply cache turns a resend into a replay, never a second execution.
 * - **Validation first**: every value is checked against the cached identity (and against the host's record for
 *   role conflicts such as clamping a driven node) before anything is sent (validateBoardValues.ts).
 * - **Host record** ({@link HostRecord}): the acknowledged sources, clamps and edge settings. A call's changes are
 *   committed to the record only once the call has completed and, where needed, the boot counter confirmed that the
 *   board did not reset meanwhile; a call that rejects is never counted as applied.
 * - **Disconnect** ({@link ReconnectingLink}): the port's close/error events, a failed write, or the path vanishing
 *   take the link down. The command in flight (and a streaming run) rejects at once with BoardDisconnectedError; the
 *   link object refuses all further writes and is discarded with its port object and line decoder (see SerialLink
 *   for why). A background loop reopens a fresh port with backoff and this class synchronises on it with `ID`
 *   (never with the banner: opening flushes input), detects a reset by the boot counter, restores the record (ESET
 *   all edges, SRC, CLAMP) and then lets waiting calls proceed. A different board on the path
 *   ({@link DifferentBoardError}) ends the reconnecting.
 * - **Reset** ({@link ResetDetector}): detected by a changed boot counter, read by `STAT` after every state-reading
 *   call (`confirmReads`), on suspicion (a banner, a retry, link errors, a stale reply) and at least every
 *   `bootCheckMs`. On a change the record is restored and the interrupted call is executed again from the restored
 *   state.
 * - **Timeout**: a call whose command got no reply after all retries rejects with BoardTimeoutError; the command
 *   may have taken effect, so the next call first restores the record (the board again holds what was
 *   acknowledged).
 * - **Runs** ({@link ScheduleStream}) hold the call queue while they stream (the board refuses other commands
 *   meanwhile).
 */
import { Observable, Subject } from 'rxjs';
import { cycleClamp, CYCLE_MAX_NODES, formatNumber, formatPairs, hasCompoundCommands, type BoardIdentity } from '../../firmware-protocol/codec.js';
import { BoardDisconnectedError, BoardRefusedError, BoardTimeoutError, DifferentBoardError } from '../errors.js';
import { raceAbort, throwIfAborted } from './abort.js';
import { backoffDelay } from './backoff.js';
import type { Board, BoardEvent, CallOptions, DeviceStepResult, MeasureCycleResult, RunFrame, Schedule } from './Board.js';
import type { CommandChannel } from './CommandChannel.js';
import { HostRecord } from './HostRecord.js';
import { OperationQueue } from './OperationQueue.js';
import { NUMBER_BYTES, ProtocolCommands, type DeviceStat } from './ProtocolCommands.js';
import { ReconnectingLink } from './ReconnectingLink.js';
import { intField, parseCycle, parseStepReply, parseStepSettings, parseValueList } from './replyParsers.js';
import { ResetDetector } from './ResetDetector.js';
import { RunControl, ScheduleStream } from './ScheduleStream.js';
import { resolveSerialOptions, type ResolvedSerialOptions, type SerialBoardOptions } from './serialOptions.js';
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
export type { DeviceStat, RunStateOnBoard } from './ProtocolCommands.js';

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
  private readonly link: ReconnectingLink;
  private readonly commands: ProtocolCommands;
  private readonly record = new HostRecord();
  private readonly resets: ResetDetector;
  private readonly calls: OperationQueue;
  private readonly stream: ScheduleStream;
  /** Every subscribed run, queued or streaming, so that close() can stop them. */
  private readonly runControls = new Set<RunControl>();

  private constructor(options: ResolvedSerialOptions) {
    this.o = options;
    this.events = this.subject.asObservable();
    const emit = (e: BoardEvent): void => this.subject.next(e);
    this.link = new ReconnectingLink(options, {
      synchronise: (gen, initial) => this.synchronise(gen, initial),
      onDeviceEvent: (kind, fields) => this.onDeviceEvent(kind, fields),
      onSuspect: () => (this.resets.suspect = true),
      onDown: (err) => this.stream.fail(err),
      emit,
    });
    this.commands = new ProtocolCommands(this.link, options.path);
    this.resets = new ResetDetector(options, this.link, this.commands, this.record, emit);
    this.calls = new OperationQueue(this.link, this.resets, () => emit({ type: 'state-restored' }));
    this.stream = new ScheduleStream(options, this.link, this.commands, this.resets, this.record, emit);
  }

  /** Open `path` and synchronise (ID, TOPO, EGET; sources and clamps released so the record matches the board). */
  static async open(path: string, options: SerialBoardOptions = {}): Promise<SerialBoard> {
    const board = new SerialBoard(resolveSerialOptions(path, options));
    try {
      await board.link.connect(true);
    } catch (e) {
      board.link.abandon();
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
    return this.link.isUp();
  }

  /** The identity read at the last (re)connect, with the boot counter last seen. */
  get identity(): BoardIdentity {
    return this.commands.identity;
  }

  /** Host-side counters. */
  get stats(): SerialBoardStats {
    const c: CommandChannel['counters'] = this.link.channelCounters;
    const bytes = this.link.bytes;
    return {
      commands: c.commands,
      retries: c.retries,
      timeouts: c.timeouts,
      staleReplies: c.stale,
      malformedReplies: c.malformed,
      linkErrors: { ...this.link.counters.linkErrors },
      reconnects: this.link.counters.reconnects,
      resetsDetected: this.resets.counters.resetsDetected,
      restores: this.resets.counters.restores,
      bytesOut: bytes.out,
      bytesIn: bytes.in,
      rttMs: this.link.rttMs,
    };
  }

  // ---------------------------------------------------------------- Board

  async identify(opts?: CallOptions): Promise<BoardIdentity> {
    return this.calls.call('identify', opts?.signal, 'none', async (gen) => {
      const id = await this.commands.readId(gen, this.commands.identity.edges);
      return { value: id, boot: id.bootCount, commit: () => (this.commands.identity = id) };
    });
  }

  async setSources(sources: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void> {
    const pairs = checkSources(this.commands.identity, sources);
    return this.calls.call('setSources', opts?.signal, 'write', async (gen) => {
      checkRoleConflicts(this.commands.identity, 'sources', pairs, this.record.clamps, 'clamped');
      await this.link.cmd(gen, 'SRC', [formatPairs(pairs)]);
      return { value: undefined, commit: () => (this.record.sources = new Map(pairs)) };
    });
  }

  async setClamps(clamps: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void> {
    const pairs = checkClamps(this.commands.identity, clamps);
    return this.calls.call('setClamps', opts?.signal, 'write', async (gen) => {
      checkRoleConflicts(this.commands.identity, 'clamps', pairs, this.record.sources, 'driven');
      await this.link.cmd(gen, 'CLAMP', [formatPairs(pairs)]);
      return { value: undefined, commit: () => (this.record.clamps = new Map(pairs)) };
    });
  }

  async measure(samples?: number, opts?: CallOptions): Promise<Float64Array> {
    const id = this.commands.identity;
    const n = checkSamples(id, samples);
    return this.calls.call('measure', opts?.signal, 'read', async (gen) => {
      const payload = await this.link.cmd(gen, 'MEAS', [`n=${n}`], { reply: id.nodes * NUMBER_BYTES, deviceMs: this.commands.samplingMs(n) });
      return { value: parseValueList('MEAS', payload, id.nodes) };
    });
  }

  async readEdges(opts?: CallOptions): Promise<Float64Array> {
    return this.calls.call('readEdges', opts?.signal, 'read', async (gen) => {
      const edges = await this.commands.readEdgeSettings(gen);
      return { value: Float64Array.from(edges), commit: () => (this.record.edges = edges) };
    });
  }

  async writeEdges(settings: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void> {
    const pairs = checkEdgeSettings(this.commands.identity, settings);
    return this.calls.call('writeEdges', opts?.signal, 'write', async (gen) => {
      await this.commands.writeEdgePairs(gen, pairs);
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
    const id = this.commands.identity;
    const c = checkStep(id, targets, eta, amp);
    return this.calls.call('deviceStep', opts?.signal, 'read', async (gen) => {
      // the device clamps the targets itself; a target that is driven would be refused (409)
      checkRoleConflicts(id, 'targets', c.targets, this.record.sources, 'driven');
      const args = [`eta=${formatNumber(c.eta)}`, `tgt=${formatPairs(c.targets)}`];
      if (c.amp !== undefined) args.push(`amp=${formatNumber(c.amp)}`);
      const { r, edges } = await this.stepCommand(gen, args, c.targets.length);
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

  /**
   * See {@link Board.measureCycle}. On a protocol 1.4 board with at most CYCLE_MAX_NODES nodes, one `CYCLE`; else
   * the six 1.3 commands on one connection. Either way one queued call: its record change (sources driven, clamps
   * released) commits only once it has completed, and a call that rejects on link trouble is not counted as applied.
   */
  async measureCycle(sources: ReadonlyMap<number, number>, targets: ReadonlyMap<number, number>, eta: number, samples?: number, opts?: CallOptions): Promise<MeasureCycleResult> {
    const id = this.commands.identity;
    const src = checkSources(id, sources);
    const c = checkStep(id, targets, eta);
    checkRoleConflicts(id, 'targets', c.targets, new Map(src), 'driven');
    const n = checkSamples(id, samples);
    return this.calls.call('measureCycle', opts?.signal, 'read', async (gen) => {
      const { lo, hi } = id.dac;
      const clampsOf = (free: Float64Array): WirePairs => c.targets.map(([node, desired]) => [node, cycleClamp(free[node], desired, c.eta, lo, hi)]);
      let free: Float64Array;
      let clamped: Float64Array;
      let clamps: WirePairs;
      if (hasCompoundCommands(id.protocol) && id.nodes <= CYCLE_MAX_NODES) {
        const args = [`eta=${formatNumber(c.eta)}`, `src=${formatPairs(src)}`, `tgt=${formatPairs(c.targets)}`, `n=${n}`];
        const payload = await this.link.cmd(gen, 'CYCLE', args, { reply: 2 * id.nodes * NUMBER_BYTES + 16, deviceMs: 2 * this.commands.samplingMs(n) });
        ({ free, clamped } = parseCycle(payload, id.nodes));
        clamps = clampsOf(free);
      } else {
        const meas = async (): Promise<Float64Array> =>
          parseValueList('MEAS', await this.link.cmd(gen, 'MEAS', [`n=${n}`], { reply: id.nodes * NUMBER_BYTES, deviceMs: this.commands.samplingMs(n) }), id.nodes);
        await this.link.cmd(gen, 'CLAMP', ['-']);
        await this.link.cmd(gen, 'SRC', [formatPairs(src)]);
        free = await meas();
        clamps = clampsOf(free);
        await this.link.cmd(gen, 'CLAMP', [formatPairs(clamps)]);
        clamped = await meas();
        await this.link.cmd(gen, 'CLAMP', ['-']);
      }
      // no edge moves in a cycle: the settings are those acknowledged (read once if the record lost them)
      const edges = this.record.edges ?? (await this.commands.readEdgeSettings(gen));
      return {
        value: { free, clamped, clamps: new Map(clamps), settings: Float64Array.from(edges) },
        commit: () => {
          this.record.edges ??= edges;
          this.record.sources = new Map(src);
          this.record.clamps = new Map();
        },
      };
    });
  }

  /**
   * See {@link Board.stepWithSources}. On a protocol 1.4 board one `STEP src=` whose reply carries every edge's
   * setting; else `CLAMP -`, `SRC`, `STEP` and `EGET` on one connection.
   */
  async stepWithSources(sources: ReadonlyMap<number, number>, targets: ReadonlyMap<number, number>, eta: number, amp?: number, opts?: CallOptions): Promise<DeviceStepResult> {
    const id = this.commands.identity;
    const src = checkSources(id, sources);
    const c = checkStep(id, targets, eta, amp);
    checkRoleConflicts(id, 'targets', c.targets, new Map(src), 'driven');
    return this.calls.call('stepWithSources', opts?.signal, 'read', async (gen) => {
      const args = [`eta=${formatNumber(c.eta)}`, `tgt=${formatPairs(c.targets)}`];
      if (c.amp !== undefined) args.push(`amp=${formatNumber(c.amp)}`);
      if (hasCompoundCommands(id.protocol)) {
        args.push(`src=${formatPairs(src)}`);
      } else {
        await this.link.cmd(gen, 'CLAMP', ['-']);
        await this.link.cmd(gen, 'SRC', [formatPairs(src)]);
      }
      const { r, edges } = await this.stepCommand(gen, args, c.targets.length);
      return {
        value: { ...r, settings: Float64Array.from(edges) },
        commit: () => {
          this.record.edges = edges;
          this.record.sources = new Map(src);
          // STEP releases every clamp when it is done (PROTOCOL.md)
          this.record.clamps = new Map();
        },
      };
    });
  }

  /**
   * `STEP` with `args`, and every edge's setting after it: from the reply's `set=` on a protocol 1.4 board, else by
   * `EGET` (the step moved edges on the board; the record, and a later restore, must have them).
   */
  private async stepCommand(gen: number, args: string[], targets: number): Promise<{ r: { freeTargets: Float64Array; changed: number }; edges: Float64Array }> {
    const id = this.commands.identity;
    const compound = hasCompoundCommands(id.protocol);
    const reply = targets * NUMBER_BYTES + 24 + (compound ? id.edges.length * NUMBER_BYTES : 0);
    const payload = await this.link.cmd(gen, 'STEP', args, { reply, deviceMs: 2 * this.commands.samplingMs(STEP_SAMPLES) });
    const r = parseStepReply(payload, targets);
    const edges = compound ? parseStepSettings(payload, id.edges.length) : await this.commands.readEdgeSettings(gen);
    return { r, edges };
  }

  runSchedule(schedule: Schedule, window?: number): Observable<RunFrame> {
    return new Observable<RunFrame>((sub) => {
      let checked: CheckedSchedule;
      try {
        checked = checkSchedule(this.commands.identity, schedule, window);
      } catch (e) {
        sub.error(e);
        return undefined;
      }
      const ctl = new RunControl();
      this.runControls.add(ctl);
      this.calls.enqueue(() => this.stream.run(checked, sub, ctl))
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
    const p = this.calls.enqueue(async () => {
      throwIfAborted(signal, 'reset');
      await this.link.whenUp(signal);
      let gen = this.link.gen;
      const before = this.resets.boot;
      this.resets.expectReset = true;
      try {
        // PROTOCOL.md RESET boot=N: the board reboots only if its counter is still `before`, so a retry of this line
        // (its reply lost) never reboots it a second time; it then answers its new counter instead
        intField('RESET', await this.link.cmd(gen, 'RESET', [`boot=${before}`]), 'boot');
        // the board has lost everything: from here the record says so, whatever happens next
        this.record.forget();
        // The reply may leave before the reboot: poll ID until the counter moves. A board whose USB link drops on
        // reset takes the link down; the reconnect then synchronises and we continue on the new link. From here on
        // the caller's signal is ignored: an abort rejects the call at once (raceAbort), but the host still finishes
        // synchronising, so that its record and boot counter match the rebooted board.
        const deadline = this.o.timers.now() + this.resetBudgetMs();
        let id: BoardIdentity | null = null;
        for (let attempt = 1; ; attempt++) {
          try {
            if (gen !== this.link.gen || !this.link.isUp()) {
              await this.link.whenUp();
              gen = this.link.gen;
            }
            id = await this.commands.readId(gen, this.commands.identity.edges);
            if (id.bootCount !== before || this.resets.boot !== before) break;
          } catch (e) {
            if (!(e instanceof BoardDisconnectedError) && !(e instanceof BoardTimeoutError)) throw e;
          }
          if (this.o.timers.now() > deadline) throw new BoardTimeoutError(`the board did not come back from RESET (boot counter still ${before})`);
          await sleep(this.o.timers, backoffDelay(Math.min(attempt, 8), this.o.backoff));
        }
        this.resets.boot = id.bootCount;
        this.commands.identity = id;
        this.record.edges = await this.commands.readEdgeSettings(gen);
        await this.resets.confirm(gen, true);
      } finally {
        this.resets.expectReset = false;
      }
    });
    return raceAbort(p, signal, 'reset');
  }

  async close(): Promise<void> {
    if (this.link.isClosed()) return;
    for (const ctl of this.runControls) ctl.stop(new BoardDisconnectedError(`board at ${this.o.path} closed during the run`));
    if (this.link.isUp()) {
      // release sources and clamps if the link allows, without waiting behind a reconnect
      const release = this.calls.enqueue(async () => {
        if (!this.link.isUp()) return;
        const gen = this.link.gen;
        await this.link.cmd(gen, 'SRC', ['-']);
        await this.link.cmd(gen, 'CLAMP', ['-']);
        this.record.releaseChannels();
      });
      await release.catch(() => undefined);
    }
    await this.link.close('board closed');
    this.subject.complete();
  }

  // ---------------------------------------------------------------- extras (not in Board)

  /** The board's STAT counters (boot counter, link errors, duplicates answered from the cache, steps). */
  async stat(opts?: CallOptions): Promise<DeviceStat> {
    return this.calls.call('stat', opts?.signal, 'none', async (gen) => {
      const s = await this.commands.readStat(gen);
      return { value: s, boot: s.boot };
    });
  }

  // ---------------------------------------------------------------- synchronising and device messages

  /**
   * Synchronise on a fresh connection: `ID` (a command, never the banner) and, on the first connection, `TOPO`
   * (ID's parse needs the edge list). First connect: read the edges and release sources and clamps, so the record
   * matches the board. Reconnect: the same board is required ({@link DifferentBoardError} otherwise); a changed boot
   * counter is a reset; the record is restored either way (a command whose reply was lost must not count as
   * applied).
   */
  private async synchronise(gen: number, initial: boolean): Promise<BoardIdentity> {
    let edges: [number, number][];
    if (this.commands.identified) {
      edges = this.commands.identity.edges;
    } else {
      try {
        edges = await this.commands.readTopology(gen);
      } catch (e) {
        // 503: TOPO is refused while a run is active (PROTOCOL.md 8); a run on a board this host has not yet
        // identified is not its own: halt it, then ask again
        if (!(e instanceof BoardRefusedError && e.code === 503)) throw e;
        await this.haltForeignRun(gen, true);
        edges = await this.commands.readTopology(gen);
      }
    }
    const id = await this.commands.readId(gen, edges);
    await this.haltForeignRun(gen, initial);
    if (initial) {
      this.commands.identity = id;
      this.resets.boot = id.bootCount;
      this.record.edges = await this.commands.readEdgeSettings(gen);
      this.record.releaseChannels();
      await this.record.applyChannels(this.link, gen);
      this.resets.confirmed();
    } else {
      if (id.bootCount !== this.resets.boot) this.resets.noteReset(id.bootCount);
      this.commands.identity = { ...id };
      await this.resets.restore(gen);
    }
    return this.commands.identity;
  }

  /**
   * A run this host does not own (a host killed mid-stream left the device stepping; none is ours on the first
   * connection, nor on a reconnect while no run of ours streams): `HALT` it before anything else. Why: while a run is
   * `running` the board refuses every state command with 503 (PROTOCOL.md section 8), so the host could neither read
   * its edges nor restore its record, and the board would never become usable; a halted run changes nothing more
   * (it holds no credits the host would grant). A `done`, `halted` or `failed` run needs nothing.
   */
  private async haltForeignRun(gen: number, initial: boolean): Promise<void> {
    if (!initial && this.stream.streaming) return;
    const s = await this.commands.readStat(gen);
    if (s.run !== 'running') return;
    await this.link.cmd(gen, 'HALT', []);
    this.subject.next({ type: 'link-error', kind: 'unexpected', detail: `the board was running an autonomous run this host does not own (step ${s.runStep}); halted it` });
  }

  private onDeviceEvent(kind: string, fields: string[]): void {
    switch (kind) {
      case 'BOOT':
        // only a hint (opening a port flushes input, so the banner is often lost): the boot counter decides
        this.resets.suspect = true;
        break;
      case 'FRAME':
        this.stream.onFrame(fields);
        break;
      case 'DONE':
        this.stream.onDone(fields);
        break;
      case 'LOG':
        // free text for people (PROTOCOL.md section 6): never acted on
        break;
      default:
        this.subject.next({ type: 'link-error', kind: 'unexpected', detail: `unknown device message ${kind}` });
    }
  }

  /** How long a requested reset may take to show a new boot counter, ms. */
  private resetBudgetMs(): number {
    return Math.max(2000, (this.o.timeoutMs ?? this.o.baseTimeoutMs) * (this.o.retries + 1) * 2);
  }
}
