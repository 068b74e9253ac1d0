/**
 * Autonomous runs on the serial host (PROTOCOL.md section 8): upload a schedule, `RUN`, then stream the frames with
 * credit flow control, every step emitted once and in order ({@link RunAssembler}). Gaps and stalls are re-requested
 * with `RESEND`; unsubscribing sends `HALT`; a run the board stopped at a step it could not perform is collected up to
 * that step and fails with BoardProtocolError 424 and the board's reason; a reset during the run fails it after the
 * record was restored. Afterwards the edges the run left are read back into the {@link HostRecord} and the record's
 * sources and clamps are put back (the run drove its own sources).
 */
import type { Subscriber } from 'rxjs';
import { formatList, formatNumber } from '../../firmware-protocol/codec.js';
import { BoardDisconnectedError, BoardProtocolError, BoardRefusedError, BoardTimeoutError } from '../errors.js';
import type { BoardEvent, RunFrame } from './Board.js';
import type { HostRecord } from './HostRecord.js';
import { NUMBER_BYTES, type ProtocolCommands } from './ProtocolCommands.js';
import type { ReconnectingLink } from './ReconnectingLink.js';
import { intField, parseFrameFields } from './replyParsers.js';
import type { ResetDetector } from './ResetDetector.js';
import { RunAssembler } from './RunAssembler.js';
import type { ResolvedSerialOptions } from './serialOptions.js';
import type { CheckedSchedule } from './validateBoardValues.js';

export class ScheduleStream {
  /** The run streaming now (at most one: runs hold the call queue), which device messages are routed to. */
  private active: RunSink | null = null;

  /** A run of this host is streaming (so a `run=running` on the board is this host's own). */
  get streaming(): boolean {
    return this.active !== null;
  }

  constructor(
    private readonly o: ResolvedSerialOptions,
    private readonly link: ReconnectingLink,
    private readonly commands: ProtocolCommands,
    private readonly resets: ResetDetector,
    private readonly record: HostRecord,
    private readonly emit: (e: BoardEvent) => void,
  ) {}

  /** A `! FRAME` line arrived. */
  onFrame(fields: string[]): void {
    this.active?.frame(fields);
  }

  /**
   * A `! DONE` line arrived. `! DONE steps=F fail=CODE`: the run failed (PROTOCOL.md section 8). The line may be
   * lost, so the run loop also learns it by asking (STAT, or 424 from GRANT and RESEND); this only makes it quicker.
   */
  onDone(fields: string[]): void {
    if (fields.some((f) => f.startsWith('fail='))) this.active?.fail(new RunFailedSignal());
    else this.active?.wake();
  }

  /** The link went down or was closed: the streaming run fails with `error` at once. */
  fail(error: Error): void {
    this.active?.fail(error);
  }

  /**
   * Upload, RUN, then stream: grant `window` credits, top them up as frames are emitted, re-request gaps and
   * stalls with RESEND, emit every step once and in order. Run inside the call queue.
   */
  async run(c: CheckedSchedule, sub: Subscriber<RunFrame>, ctl: RunControl): Promise<void> {
    await Promise.race([this.link.whenUp(), ctl.stopped]);
    if (ctl.isStopped) return;
    const gen = this.link.gen;
    const cmd = (verb: string, args: string[], hint?: { reply?: number; deviceMs?: number }): Promise<string[]> => this.link.cmd(gen, verb, args, hint);
    const nT = c.targets.length;
    const M = c.examples.length;
    // the run drives the sources itself each step; a clamp left on one of them would be refused mid-run
    await cmd('CLAMP', ['-']);
    const begin = [`BEGIN`, `steps=${c.steps}`, `examples=${M}`, `src=${formatList(c.sources)}`, `tgt=${formatList(c.targets)}`, `eta=${formatNumber(c.eta)}`];
    if (c.amp !== undefined) begin.push(`amp=${formatNumber(c.amp)}`);
    try {
      await cmd('SCHED', begin);
      for (let i = 0; i < M; i++) await cmd('SCHED', ['EX', String(i), `in=${formatList(c.examples[i].in)}`, `out=${formatList(c.examples[i].out)}`]);
      const m = intField('SCHED END', await cmd('SCHED', ['END']), 'examples');
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
    this.active = run;
    let halted = false;
    const emit = (frames: RunFrame[]): void => {
      for (const f of frames) if (!ctl.isStopped) sub.next(f);
    };
    try {
      const steps = intField('RUN', await cmd('RUN', [], { deviceMs: 0 }), 'steps');
      if (steps !== c.steps) throw new BoardProtocolError(0, `RUN: the board will run ${steps} steps, ${c.steps} were asked for`);
      const grant = async (): Promise<void> => {
        const k = asm.grant();
        if (k > 0) await cmd('GRANT', [String(k)]);
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
          if (this.resets.suspect || stalled) await this.checkRunBoot(gen, asm);
          const miss = asm.missing(timedOut);
          if (miss !== null) {
            try {
              emit(asm.accept(parseFrameFields(await cmd('RESEND', [String(miss)], { reply: nT * NUMBER_BYTES + 40 }), nT, 'RESEND')));
            } catch (e) {
              // 416: not produced yet (the device is still working on it); anything else is a real failure
              if (!(e instanceof BoardRefusedError && e.code === 416)) throw e;
            }
          }
          await grant();
        } catch (e) {
          // 424: the run failed (PROTOCOL.md section 8); 409 from RESEND: the board has no run (did it reset?)
          if (e instanceof BoardRefusedError && e.code === 424) throw new RunFailedSignal();
          if (e instanceof BoardRefusedError) await this.checkRunBoot(gen, asm);
          throw e;
        }
        if (asm.emitted > before) stalls = 0;
        else if (stalled && ++stalls > this.o.retries + 1) {
          throw new BoardTimeoutError(`run stalled at step ${asm.emitted} of ${c.steps}: no frame for ${stalls} x ${this.o.frameTimeoutMs} ms`);
        }
      }
      if (!asm.done) {
        halted = true;
        await cmd('HALT', []);
      }
    } catch (caught) {
      this.active = null;
      let e = caught;
      if (e instanceof RunFailedSignal && gen === this.link.gen) {
        // the board stopped the run at a step it could not perform: collect what it did, then say why
        e = await this.runFailure(gen, asm, emit, nT).catch((x: unknown) => x);
        halted = true;
      }
      if (!halted && gen === this.link.gen && !(e instanceof BoardDisconnectedError) && !(e instanceof RunResetError)) await cmd('HALT', []).catch(() => undefined);
      if (gen === this.link.gen && !(e instanceof RunResetError)) {
        // the board's state after a failed run is unknown to the host until it is read back or restored
        await this.afterRun(gen, true).catch(() => (this.resets.needRestore = true));
      }
      throw e instanceof RunResetError ? e.error : e;
    } finally {
      this.active = null;
    }
    try {
      await this.afterRun(gen, true);
    } catch (e) {
      if (e instanceof BoardTimeoutError) this.resets.needRestore = true;
      throw e;
    }
  }

  /**
   * Inside a run, on suspicion or a stall: a changed boot counter means the run is gone (restore the record and fail
   * the run); a `failed` run state means the board stopped it (its `! DONE ... fail=` line may have been lost).
   */
  private async checkRunBoot(gen: number, asm: RunAssembler): Promise<void> {
    const s = await this.commands.readStat(gen);
    if (await this.resets.checkBoot(gen, s.boot)) {
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
    const s = await this.commands.readStat(gen);
    if (!(await this.resets.checkBoot(gen, s.boot))) {
      return new RunResetError(new BoardDisconnectedError(`the board reset during the run (boot counter now ${s.boot}); its edges were restored to their values before the run`));
    }
    const failedAt = s.runStep;
    while (asm.emitted < Math.min(failedAt, asm.steps)) {
      const before = asm.emitted;
      emit(asm.accept(parseFrameFields(await this.link.cmd(gen, 'RESEND', [String(before)], { reply: nT * NUMBER_BYTES + 40 }), nT, 'RESEND')));
      if (asm.emitted === before) throw new BoardProtocolError(0, `RESEND ${before} did not return frame ${before}`);
    }
    let reason = `code ${s.runError}`;
    try {
      await this.link.cmd(gen, 'HALT', []);
    } catch (e) {
      if (!(e instanceof BoardRefusedError && e.code === 424)) throw e;
      reason = e.reply;
    }
    return new BoardProtocolError(424, `the board's autonomous run failed after ${failedAt} of ${asm.steps} steps (${reason})`);
  }

  /** After a run: read the edges it left (if it ran), put the record's sources and clamps back, confirm the boot. */
  private async afterRun(gen: number, ran: boolean): Promise<void> {
    const edges = ran ? await this.commands.readEdgeSettings(gen) : null;
    await this.record.applyChannels(this.link, gen);
    const s = await this.commands.readStat(gen);
    if (s.boot === this.resets.boot) {
      if (edges) this.record.edges = edges;
      this.resets.confirmed();
      return;
    }
    await this.resets.checkBoot(gen, s.boot);
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
export class RunControl {
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
