/**
 * Turns the live streams of a run (the training engine's, the board's, the link counters, the controller's own
 * events) into DashboardEvents and throttled DashboardStates for the views.
 *
 * - Every event is stamped with `at` = scheduler.now() when it arrives (unless it carries its own) and reduced at
 *   once by dashboardReducer: `state` is always the latest state, `events$` has every event, unthrottled.
 * - `state$` is throttled here, at the source, for every view alike: it emits the latest state at most once per
 *   `frameMs` (leading and trailing: a change after a quiet frame is emitted at once, and the last change of a
 *   burst is emitted when its frame ends, never lost), and never a state that did not change (reference equality).
 *   The initial state counts as the first frame (emitted at construction), and a new subscriber gets the latest
 *   frame at once, so a view can draw on mounting. With a 1 kHz step stream this is at most 1 + T / frameMs frames
 *   in T ms.
 * - Events dispatched while an event is being handled (e.g. by a subscriber of `events$` or `state$`) are queued and
 *   handled right after it, in order, so that each frame and each event goes out whole.
 * - Errors of a source stream end that source only, with an error line in the log.
 *
 * All timing (frames, link-stats polling, the eigenvalue refresher) runs on the injected scheduler.
 */
import {
  asyncScheduler,
  BehaviorSubject,
  catchError,
  distinctUntilChanged,
  filter,
  map,
  merge,
  of,
  ReplaySubject,
  startWith,
  Subject,
  Subscription,
  throttleTime,
  timer,
  mergeMap,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { BoardEvent } from '../device/Board.js';
import { InvalidInputError } from '../errors.js';
import type { RunState } from '../pipeline/runControl.js';
import { dashboardReducer, initialDashboard } from './state/dashboardReducer.js';
import type { DashboardEvent, DashboardSetup, DashboardState, LinkStats } from './state/types.js';

/** A DashboardEvent whose `at` may be left out (then the session's scheduler.now() when it arrives). */
export type DashboardEventInput = DashboardEvent extends infer E ? (E extends DashboardEvent ? Omit<E, 'at'> & { at?: number } : never) : never;

/** A step as the dashboard needs it (an EngineStep has these fields). */
export type StepLike = {
  /** Step number (0-based). */
  step: number;
  /** Free-state cost (V^2). */
  cost: number;
  /** Free-state readings (V): every node host-stepped (shown), only the targets device-stepped (not shown). */
  vf: Float64Array;
  /** Clamped-state readings of every node (V), host-stepped. */
  vc?: Float64Array;
  /** Edge settings after the step, or null when not read back. */
  settingsAfter: Float64Array | null;
};

export interface SessionSources {
  /** A TrainingEngine's streams (checks mapped to an alarm flag and a message). */
  engine?: {
    state$: Observable<RunState>;
    steps$: Observable<StepLike>;
    checks$: Observable<{ step: number; alarm: boolean; message?: string; residual?: { voltage: number; current: number } }>;
    evaluations$: Observable<{ step: number; trainMse: number; testMse: number }>;
    warnings$: Observable<{ step: number; message: string }>;
  };
  /** The board's events (Board.events). */
  boardEvents?: Observable<BoardEvent>;
  /** Polled every statsEveryMs, from the start, for link stats (a SerialBoard's stats mapped to LinkStats, see linkStatsOf); null or a throw: nothing this time. Default none. */
  linkStats?: () => LinkStats | null;
  /** Extra events (log lines, busy, eigen results, identity, quit requests) pushed by the controller; `at` as for dispatch. */
  events?: Observable<DashboardEventInput>;
}

export interface SessionOptions {
  /** Clock and timers of everything (frames, polling, eigenvalue refresh, `at`); default asyncScheduler. */
  scheduler?: SchedulerLike;
  /** Shortest time between two frames of state$ (ms, > 0); default 100, i.e. at most 10 frames/s. */
  frameMs?: number;
  /** Link-stats polling period (ms, > 0); default 500. */
  statsEveryMs?: number;
  /** Nodes of the board: a step's free readings are shown only when there is one per node. */
  nodes: number;
}

/** Default SessionOptions.frameMs. */
export const DEFAULT_FRAME_MS = 100;
/** Default SessionOptions.statsEveryMs. */
export const DEFAULT_STATS_EVERY_MS = 500;
/** Default period of startEigenRefresh (ms). */
export const DEFAULT_EIGEN_EVERY_MS = 1000;

function positive(value: number, field: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw new InvalidInputError({ source: 'DashboardSession', field }, `must be a positive number of ms, got ${value}`);
  return value;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

export class DashboardSession {
  /** Every event, unthrottled, as reduced (with its `at`). Hot; completes on dispose. */
  readonly events$: Observable<DashboardEvent>;
  /** Throttled states (see the file comment). Replays the latest frame to a new subscriber; completes on dispose. */
  readonly state$: Observable<DashboardState>;

  private readonly scheduler: SchedulerLike;
  private current: DashboardState;
  /** The latest state handed to the throttle. */
  private pushed: DashboardState;
  private readonly eventSubject = new Subject<DashboardEvent>();
  private readonly changes = new Subject<DashboardState>();
  private readonly frames = new ReplaySubject<DashboardState>(1);
  /** Latest edge settings seen in steps, with the steps done, for the eigenvalue refresher. */
  private readonly settings = new BehaviorSubject<{ settings: Float64Array; stepsDone: number } | null>(null);
  private readonly subs = new Subscription();
  private readonly queue: DashboardEvent[] = [];
  private draining = false;
  private disposed = false;

  constructor(setup: DashboardSetup, sources: SessionSources, opts: SessionOptions) {
    if (!(Number.isInteger(opts.nodes) && opts.nodes >= 0)) throw new InvalidInputError({ source: 'DashboardSession', field: 'nodes' }, `must be a non-negative integer, got ${opts.nodes}`);
    const sched = (this.scheduler = opts.scheduler ?? asyncScheduler);
    const frameMs = positive(opts.frameMs ?? DEFAULT_FRAME_MS, 'frameMs');
    const statsEveryMs = positive(opts.statsEveryMs ?? DEFAULT_STATS_EVERY_MS, 'statsEveryMs');
    this.current = this.pushed = initialDashboard(setup);
    this.events$ = this.eventSubject.asObservable();
    this.state$ = this.frames.asObservable();
    this.subs.add(
      this.changes
        .pipe(startWith(this.current), throttleTime(frameMs, sched, { leading: true, trailing: true }), distinctUntilChanged())
        .subscribe((s) => this.frames.next(s)),
    );
    this.subs.add(sourceEvents(sources, opts.nodes, statsEveryMs, sched).subscribe((e) => this.dispatch(e)));
  }

  /** The latest state (synchronously; ahead of state$ between frames). */
  get state(): DashboardState {
    return this.current;
  }

  /** Push an event (`at` defaults to scheduler.now()). Ignored after dispose. */
  dispatch(e: DashboardEventInput): void {
    if (this.disposed) return;
    this.queue.push({ ...e, at: e.at ?? this.scheduler.now() } as DashboardEvent);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let ev = this.queue.shift(); ev; ev = this.queue.shift()) this.handle(ev);
    } finally {
      this.draining = false;
    }
  }

  private handle(event: DashboardEvent): void {
    if (this.disposed) return;
    this.current = dashboardReducer(this.current, event);
    this.eventSubject.next(event);
    if (this.current !== this.pushed) {
      this.pushed = this.current;
      this.changes.next(this.current);
    }
    if (event.type === 'step' && event.settings) this.settings.next({ settings: event.settings, stepsDone: event.step + 1 });
  }

  /**
   * Eigenvalue refresher: runs `compute` on the latest edge settings seen in steps, at most once per `everyMs`
   * (default 1000; leading and trailing, so the latest settings are always computed in the end) and only for
   * settings whose values differ from those computed last. Each run emits `eigen-start`, then `eigen` (step: the
   * steps done after the step the settings belong to) or `eigen-error` (compute threw). If settings were seen before
   * the call, the latest are computed at once. `compute` runs synchronously on the scheduler's thread. The returned
   * subscription stops it; dispose() does too.
   */
  startEigenRefresh(compute: (settings: Float64Array) => { values: number[]; highest: number | null }, everyMs: number = DEFAULT_EIGEN_EVERY_MS): Subscription {
    positive(everyMs, 'everyMs');
    if (this.disposed) return Subscription.EMPTY;
    let last: Float64Array | null = null;
    const isNew = (s: { settings: Float64Array; stepsDone: number }): boolean => last === null || !sameValues(s.settings, last);
    const sub = this.settings
      .pipe(
        filter((s): s is NonNullable<typeof s> => s !== null),
        distinctUntilChanged((a, b) => sameValues(a.settings, b.settings)),
        throttleTime(everyMs, this.scheduler, { leading: true, trailing: true }),
        filter(isNew),
      )
      .subscribe(({ settings, stepsDone }) => {
        last = settings;
        this.dispatch({ type: 'eigen-start' });
        try {
          const r = compute(settings);
          this.dispatch({ type: 'eigen', step: stepsDone, values: r.values, highest: r.highest });
        } catch (e) {
          this.dispatch({ type: 'eigen-error', message: messageOf(e) });
        }
      });
    this.subs.add(sub);
    sub.add(() => this.subs.remove(sub));
    return sub;
  }

  /** Stop everything: sources unsubscribed, timers cancelled, events$ and state$ complete (no frame is flushed). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.queue.length = 0;
    this.subs.unsubscribe();
    this.settings.complete();
    this.changes.complete();
    this.eventSubject.complete();
    this.frames.complete();
  }
}

/** The sources as events, each source ending on its own error with an error line. */
function sourceEvents(src: SessionSources, nodes: number, statsEveryMs: number, sched: SchedulerLike): Observable<DashboardEventInput> {
  const streams: Observable<DashboardEventInput>[] = [];
  const guarded = (name: string, o: Observable<DashboardEventInput>): Observable<DashboardEventInput> =>
    o.pipe(catchError((e: unknown) => of<DashboardEventInput>({ type: 'log', level: 'error', text: `${name} failed: ${messageOf(e)}` })));
  const engine = src.engine;
  if (engine) {
    streams.push(guarded('run state stream', engine.state$.pipe(map((state): DashboardEventInput => ({ type: 'run-state', state })))));
    streams.push(
      guarded(
        'step stream',
        engine.steps$.pipe(
          map(
            (s): DashboardEventInput => ({
              type: 'step',
              step: s.step,
              cost: s.cost,
              free: s.vf.length === nodes ? s.vf : null,
              clamped: s.vc && s.vc.length === nodes ? s.vc : null,
              settings: s.settingsAfter,
            }),
          ),
        ),
      ),
    );
    streams.push(
      guarded(
        'check stream',
        engine.checks$.pipe(
          mergeMap((c): DashboardEventInput[] => [
            ...(c.residual ? [{ type: 'residual' as const, step: c.step, voltage: c.residual.voltage, current: c.residual.current }] : []),
            ...(c.alarm ? [{ type: 'alarm' as const, step: c.step, message: c.message ?? 'consistency check alarm' }] : []),
          ]),
        ),
      ),
    );
    streams.push(
      guarded(
        'evaluation stream',
        engine.evaluations$.pipe(map((v): DashboardEventInput => ({ type: 'evaluation', step: v.step, trainMse: v.trainMse, testMse: v.testMse }))),
      ),
    );
    streams.push(guarded('warning stream', engine.warnings$.pipe(map((w): DashboardEventInput => ({ type: 'warning', step: w.step, message: w.message })))));
  }
  if (src.boardEvents) streams.push(guarded('board event stream', src.boardEvents.pipe(map((event): DashboardEventInput => ({ type: 'board', event })))));
  const poll = src.linkStats;
  if (poll) {
    streams.push(
      timer(0, statsEveryMs, sched).pipe(
        map(() => {
          try {
            return poll();
          } catch {
            return null;
          }
        }),
        filter((stats): stats is LinkStats => stats !== null),
        map((stats): DashboardEventInput => ({ type: 'link-stats', stats })),
      ),
    );
  }
  if (src.events) streams.push(guarded('event stream', src.events));
  return merge(...streams);
}
