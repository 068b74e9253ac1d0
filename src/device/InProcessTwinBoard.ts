/**
 * {@link Board} implemented directly on a {@link TwinBoardCore}, without the protocol: the fastest way to run the
 * host's code against a simulated board (CI, notebooks, `--board twin`).
 *
 * It accepts and refuses exactly what the serial host does (the same validateBoardValues checks, before anything
 * touches the core), and every value passes through the wire's rounding (`wireNumber`) on the way in, as the board
 * would read it off the wire; the core already rounds its readings to what the wire carries. So with an ideal twin
 * and the same seed, in-process and over-the-wire runs give bit-identical numbers.
 *
 * Calls are serialised like the serial host's (one at a time, in call order) and run asynchronously: a call with an
 * AbortSignal after a turn of the event loop, so that an abort right after it rejects it before it touches the core;
 * calls without one on microtasks, letting the loop turn at least every {@link YIELD_EVERY_MS} (a turn per call was
 * a good part of a training step). There is no link: no timeout, disconnect or spontaneous reset; `reset()` reboots
 * the core.
 */
import { Observable, Subject } from 'rxjs';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore, type TwinOptions } from '../../twins/TwinBoardCore.js';
import { TwinError } from '../../twins/TwinError.js';
import type { BoardIdentity } from '../../firmware-protocol/codec.js';
import { BoardDisconnectedError, BoardProtocolError } from '../errors.js';
import { abortError, raceAbort, throwIfAborted } from './abort.js';
import type { Board, BoardEvent, CallOptions, DeviceStepResult, MeasureCycleResult, RunFrame, Schedule } from './Board.js';
import {
  checkClamps,
  checkEdgeSettings,
  checkRoleConflicts,
  checkSamples,
  checkSchedule,
  checkSources,
  checkStep,
} from './validateBoardValues.js';

/** Options of {@link InProcessTwinBoard.create}. */
export interface InProcessTwinOptions extends TwinOptions, InProcessBoardOptions {
  /** Board model name or path (default `penn-gen1`). */
  model?: string;
}

/** Options of the {@link InProcessTwinBoard} itself. */
export interface InProcessBoardOptions {
  /**
   * Offer {@link Board.measureCycle}, as the serial host does on a protocol 1.4 board (`connectBoard`'s `twin` with
   * its default protocol): a host step is then one call instead of six. Default false (the separate calls).
   */
  compound?: boolean;
}

/** Yield to the event loop (so that an abort or an unsubscribe issued meanwhile is seen). */
function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/**
 * Longest stretch (ms) of calls without an AbortSignal run one after the other on microtasks before the board lets
 * the event loop turn (timers, signals, I/O, a dashboard): a turn per call costs a poll of the loop each (eight
 * per host step), which at tens of thousands of steps per second is a good part of the step (issue 18, point 3).
 */
export const YIELD_EVERY_MS = 1;

export class InProcessTwinBoard implements Board {
  readonly events: Observable<BoardEvent>;
  /** The simulated board (for tests: hidden truth, counters). */
  readonly core: TwinBoardCore;
  private readonly subject = new Subject<BoardEvent>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Stops the autonomous run in progress (close() does not wait for a run nobody unsubscribes from). */
  private stopRun: ((error?: Error) => void) | null = null;
  /** The identity for validating calls, and the boot it belongs to (a reboot changes bootCount). */
  private idCache: BoardIdentity | null = null;
  private idBoot = -1;
  /** performance.now() when the calls last let the event loop turn. */
  private lastTurn = 0;

  /** See {@link InProcessBoardOptions.compound}: present only when asked for. */
  readonly measureCycle?: Board['measureCycle'];

  constructor(core: TwinBoardCore, options: InProcessBoardOptions = {}) {
    this.core = core;
    this.events = this.subject.asObservable();
    if (options.compound) this.measureCycle = (sources, targets, eta, samples, opts) => this.cycle(sources, targets, eta, samples, opts);
  }

  /** A twin of the named model (`penn-gen1` by default). */
  static create(options: InProcessTwinOptions = {}): InProcessTwinBoard {
    const { model = 'penn-gen1', compound, ...twin } = options;
    return new InProcessTwinBoard(new TwinBoardCore(loadBoardModel(model), twin), { compound });
  }

  /** The identity the calls are checked against (built once per boot: the core builds a fresh one each time). */
  private get id(): BoardIdentity {
    if (!this.idCache || this.idBoot !== this.core.bootCount) {
      this.idCache = this.core.identity();
      this.idBoot = this.core.bootCount;
    }
    return this.idCache;
  }

  /**
   * Run `fn` after the calls queued before it; abort rejects at once and, if still queued, skips `fn`. A call with a
   * signal always waits for a turn of the event loop first (so that an abort issued right after it, from anywhere,
   * is seen before it touches the core); one without runs on a microtask, and lets the loop turn once
   * {@link YIELD_EVERY_MS} have passed since the last turn.
   */
  private call<T>(what: string, signal: AbortSignal | undefined, fn: () => T): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal, what));
    const p = this.queue.then(async () => {
      const now = performance.now();
      if (signal || now - this.lastTurn >= YIELD_EVERY_MS) {
        await tick();
        this.lastTurn = performance.now();
      } else {
        await undefined;
      }
      throwIfAborted(signal, what);
      if (this.closed) throw new BoardDisconnectedError('in-process twin is closed');
      try {
        return fn();
      } catch (e) {
        // validation runs first, so this is a state the host cannot see (e.g. a model file's own limits)
        if (e instanceof TwinError) throw new BoardProtocolError(e.code, `${what} refused by the twin: ${e.code} ${e.message}`);
        throw e;
      }
    });
    this.queue = p.catch(() => undefined);
    return raceAbort(p, signal, what);
  }

  async identify(opts?: CallOptions): Promise<BoardIdentity> {
    // a fresh object: the caller may keep or change it
    return this.call('identify', opts?.signal, () => this.core.identity());
  }

  async setSources(sources: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void> {
    const pairs = checkSources(this.id, sources);
    return this.call('setSources', opts?.signal, () => {
      checkRoleConflicts(this.id, 'sources', pairs, this.core.activeClamps(), 'clamped');
      this.core.setSources(pairs);
    });
  }

  async setClamps(clamps: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void> {
    const pairs = checkClamps(this.id, clamps);
    return this.call('setClamps', opts?.signal, () => {
      checkRoleConflicts(this.id, 'clamps', pairs, this.core.activeSources(), 'driven');
      this.core.setClamps(pairs);
    });
  }

  async measure(samples?: number, opts?: CallOptions): Promise<Float64Array> {
    const n = checkSamples(this.id, samples);
    return this.call('measure', opts?.signal, () => this.core.measure(n));
  }

  async readEdges(opts?: CallOptions): Promise<Float64Array> {
    return this.call('readEdges', opts?.signal, () => this.core.edgeSettings());
  }

  async writeEdges(settings: ReadonlyMap<number, number>, opts?: CallOptions): Promise<void> {
    const pairs = checkEdgeSettings(this.id, settings);
    return this.call('writeEdges', opts?.signal, () => this.core.setEdges(pairs));
  }

  async deviceStep(targets: ReadonlyMap<number, number>, eta: number, amp?: number, opts?: CallOptions): Promise<DeviceStepResult> {
    const c = checkStep(this.id, targets, eta, amp);
    return this.call('deviceStep', opts?.signal, () => {
      checkRoleConflicts(this.id, 'targets', c.targets, this.core.activeSources(), 'driven');
      // amp undefined = the device default (1), as on the wire where amp= is then omitted
      const r = this.core.step(c.targets, c.eta, c.amp);
      return { ...r, settings: this.core.edgeSettings() };
    });
  }

  /**
   * {@link Board.measureCycle} (with `compound`): the whole host-side cycle as one call, checked as the serial host checks it (the
   * sources, the targets and eta, roles, the sample count) before anything touches the core, then the core's
   * {@link TwinBoardCore.cycle}, the same core calls as the six separate ones (the same readings and noise draws).
   */
  private async cycle(sources: ReadonlyMap<number, number>, targets: ReadonlyMap<number, number>, eta: number, samples?: number, opts?: CallOptions): Promise<MeasureCycleResult> {
    const id = this.id;
    const src = checkSources(id, sources);
    const c = checkStep(id, targets, eta);
    checkRoleConflicts(id, 'targets', c.targets, new Map(src), 'driven');
    const n = checkSamples(id, samples);
    return this.call('measureCycle', opts?.signal, () => {
      const r = this.core.cycle(src, c.targets, c.eta, n);
      return { free: r.free, clamped: r.clamped, clamps: new Map(r.clamps), settings: this.core.edgeSettings() };
    });
  }

  /**
   * The device's autonomous run, step for step as the firmware does it (sources of the example, then STEP with its
   * targets), one frame at a time: step s is computed only after frame s-1 was delivered, so the "device" is never
   * ahead of the host, whatever the window. Afterwards the sources and clamps held before the run are put back, as
   * the serial host does.
   */
  runSchedule(schedule: Schedule, window?: number): Observable<RunFrame> {
    return new Observable<RunFrame>((sub) => {
      let stopped = false;
      let closedBy: Error | null = null;
      let c: ReturnType<typeof checkSchedule>;
      try {
        c = checkSchedule(this.id, schedule, window);
      } catch (e) {
        sub.error(e);
        return undefined;
      }
      const stop = (error?: Error): void => {
        stopped = true;
        closedBy ??= error ?? null;
      };
      const task = this.queue.then(async () => {
        if (this.closed) throw new BoardDisconnectedError('in-process twin is closed');
        this.stopRun = stop;
        const core = this.core;
        const sources = core.activeSources();
        const clamps = core.activeClamps();
        core.setClamps([]);
        try {
          for (let s = 0; s < c.steps && !stopped; s++) {
            const ex = s % c.examples.length;
            const example = c.examples[ex];
            let r: ReturnType<TwinBoardCore['step']>;
            try {
              core.setSources(c.sources.map((n, i) => [n, example.in[i]] as [number, number]));
              r = core.step(
                c.targets.map((n, i) => [n, example.out[i]] as [number, number]),
                c.eta,
                c.amp,
              );
            } catch (e) {
              // as the serial host reports a run the board could not continue (PROTOCOL.md section 8, code 424)
              if (!(e instanceof TwinError)) throw e;
              throw new BoardProtocolError(424, `the board's autonomous run failed after ${s} of ${c.steps} steps (run failed at step ${s}: ${e.code} ${e.message})`);
            }
            sub.next({ step: s, example: ex, freeTargets: r.freeTargets, changed: r.changed });
            // let the event loop run now and then, so that an unsubscribe (or other timers) can happen mid-run
            if (s % 16 === 15) await tick();
          }
        } finally {
          this.stopRun = null;
          core.setClamps([]);
          core.setSources([...sources]);
          core.setClamps([...clamps]);
        }
        if (closedBy) throw closedBy;
      });
      this.queue = task.catch(() => undefined);
      task.then(
        () => sub.complete(),
        (e: unknown) => sub.error(e instanceof TwinError ? new BoardProtocolError(e.code, `run refused by the twin: ${e.message}`) : e),
      );
      return () => stop();
    });
  }

  async reset(opts?: CallOptions): Promise<void> {
    return this.call('reset', opts?.signal, () => this.core.reboot());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.stopRun?.(new BoardDisconnectedError('in-process twin closed during the run'));
    await this.queue;
    this.core.setClamps([]);
    this.core.setSources([]);
    this.closed = true;
    this.subject.complete();
  }
}
