/**
 * The one-line progress view of `clln train` on a terminal (stderr): step/total, steps per second, running train
 * cost, the latest evaluated train and test MSE with the step they were measured at (`eval@STEP`: an evaluation
 * never replaces a later one, so the line always shows the newest), and the alarm count. Redrawn at most `hz`
 * (default 4) times a second while running, by the injected clock (the throttle is at the source: callers report every step and the
 * view decides; no timers, so it works inside a synchronous training loop too), plus once at the end.
 */
/** Allows an action at most `hz` times a second by the clock `now` (ms). */
export class Throttle {
  private last = -Infinity;
  private readonly minIntervalMs: number;

  constructor(
    hz: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(hz > 0)) throw new RangeError(`Throttle: hz must be > 0, got ${hz}`);
    this.minIntervalMs = 1000 / hz;
  }

  /** True when the action may happen now (and notes it as done); false while the last one is too recent. */
  take(): boolean {
    const t = this.now();
    if (t - this.last < this.minIntervalMs) return false;
    this.last = t;
    return true;
  }
}

/** What the view shows. */
export interface ProgressState {
  done: number;
  total: number;
  /** Steps per second since the previous draw (NaN: not yet known). */
  rate: number;
  /** Exponential moving average of the per-step train cost, V^2 (NaN before the first step). */
  cost: number;
  /** Last evaluated MSEs, V^2 (NaN: not known). */
  trainMse: number;
  testMse: number;
  /** Steps done when the MSEs were measured (undefined: not said; not shown). */
  evalStep?: number;
  /** Number of alarms so far; undefined: nobody checks (not shown). */
  alarms?: number;
}

/** Options of {@link TrainProgress}. */
export interface TrainProgressOptions {
  /** Most redraws per second; default 4. */
  hz?: number;
  /** Clock in ms; default performance.now. */
  now?: () => number;
  /** Steps already done when the view starts (a resumed run); default 0. */
  startDone?: number;
  /** Show an alarm count (there is a checker); default false. */
  alarms?: boolean;
}

/** Weight of the newest step in the running cost. */
const EMA = 0.02;

function sci(x: number): string {
  return Number.isFinite(x) ? x.toExponential(2) : '--';
}

/** The line the view draws (without the carriage return and erase), fitted to `columns`. */
export function progressLine(label: string, s: ProgressState, columns = 80): string {
  const rate = !Number.isFinite(s.rate) ? '--' : s.rate >= 100 ? s.rate.toFixed(0) : s.rate.toPrecision(2);
  const parts = [`${s.done}/${s.total}`, `${rate} steps/s`, `cost ${sci(s.cost)}`];
  if (s.evalStep !== undefined) parts.push(`eval@${s.evalStep}`);
  parts.push(`train ${sci(s.trainMse)}`, `test ${sci(s.testMse)}`);
  if (s.alarms !== undefined) parts.push(`alarms ${s.alarms}`);
  const detail = parts.join('  ');
  const width = Math.max(10, Math.min(40, columns - label.length - detail.length - 5));
  const frac = s.total > 0 ? Math.min(1, s.done / s.total) : 1;
  const fill = Math.round(frac * width);
  return `${label} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${detail}`;
}

export class TrainProgress {
  private readonly throttle: Throttle;
  private readonly now: () => number;
  private readonly state: ProgressState;
  private lastDrawT: number;
  private lastDrawDone: number;
  /** Number of lines drawn (for tests). */
  draws = 0;

  constructor(
    private readonly stream: { write(s: string): unknown; columns?: number },
    total: number,
    private readonly label: string,
    opts: TrainProgressOptions = {},
  ) {
    this.now = opts.now ?? (() => performance.now());
    this.throttle = new Throttle(opts.hz ?? 4, this.now);
    const done = opts.startDone ?? 0;
    this.state = { done, total, rate: NaN, cost: NaN, trainMse: NaN, testMse: NaN, alarms: opts.alarms ? 0 : undefined };
    this.lastDrawT = this.now();
    this.lastDrawDone = done;
  }

  /**
   * A step is done (`done` steps in all) with this train cost. `probe`, if given, is called only when the view
   * draws, for values too costly to compute every step (e.g. the MSEs of an in-process run).
   */
  step(done: number, cost: number, probe?: () => { trainMse?: number; testMse?: number }): void {
    const s = this.state;
    s.done = done;
    s.cost = Number.isNaN(s.cost) ? cost : (1 - EMA) * s.cost + EMA * cost;
    if (this.throttle.take()) {
      if (probe) this.evaluationValues(probe(), done);
      this.draw(true);
    }
  }

  /**
   * An evaluation's MSEs measured with `step` steps done (shown from the next draw on, unless a later one is already
   * shown). Without `step`, they replace whatever is shown and the line says no step.
   */
  evaluation(trainMse: number, testMse: number, step?: number): void {
    this.evaluationValues({ trainMse, testMse }, step);
  }

  /** Alarms raised since the last call. */
  alarm(count = 1): void {
    this.state.alarms = (this.state.alarms ?? 0) + count;
  }

  /** Draw the final state (rate as last measured: the final evaluation is not stepping) and end the line. */
  finish(): void {
    this.draw(false);
    this.stream.write('\n');
  }

  private evaluationValues(v: { trainMse?: number; testMse?: number }, step?: number): void {
    if (v.trainMse === undefined && v.testMse === undefined) return;
    // an older evaluation (e.g. the engine's, reported after a probe at a later step) never hides a newer one
    if (step !== undefined && this.state.evalStep !== undefined && step < this.state.evalStep) return;
    this.state.evalStep = step;
    if (v.trainMse !== undefined) this.state.trainMse = v.trainMse;
    if (v.testMse !== undefined) this.state.testMse = v.testMse;
  }

  private draw(stepping: boolean): void {
    if (stepping) {
      const t = this.now();
      const dt = (t - this.lastDrawT) / 1000;
      // the first draw's interval holds the run's set-up (connect, initial evaluation): no rate from it
      if (this.draws > 0 && dt > 0) this.state.rate = (this.state.done - this.lastDrawDone) / dt;
      this.lastDrawT = t;
      this.lastDrawDone = this.state.done;
    }
    this.draws++;
    this.stream.write(`\r${progressLine(this.label, this.state, this.stream.columns ?? 80)}\x1b[K`);
  }
}
