import type { TwinTimers } from '../../twins/TwinTimers.js';

interface Pending {
  at: number;
  order: number;
  fn: () => void;
}

/**
 * A virtual clock for the twin's server: time stands still until a test calls {@link advance}, which runs every
 * timer that falls due on the way, in time order (ties in the order they were set), each with `now()` at its time.
 */
export class ManualTimers implements TwinTimers {
  private t = 0;
  private order = 0;
  private pending: Pending[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const p: Pending = { at: this.t + Math.max(0, ms), order: this.order++, fn };
    this.pending.push(p);
    return p;
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((p) => p !== handle);
  }

  /** Timers not yet run. */
  get size(): number {
    return this.pending.length;
  }

  /** When the next timer is due (ms), or null. */
  nextAt(): number | null {
    return this.pending.reduce<number | null>((m, p) => (m === null || p.at < m ? p.at : m), null);
  }

  /** Move the clock `ms` forward, running the timers due by then (including ones they set), each at its time. */
  advance(ms: number): void {
    this.run(this.t + ms, false);
  }

  /**
   * Move the clock `ms` forward at once, then run the timers due by then: each fires late, seeing the final time (as
   * when the event loop was busy).
   */
  advanceLate(ms: number): void {
    this.run(this.t + ms, true);
  }

  private run(end: number, late: boolean): void {
    if (late) this.t = end;
    for (;;) {
      let next: Pending | null = null;
      for (const p of this.pending) if (p.at <= end && (!next || p.at < next.at || (p.at === next.at && p.order < next.order))) next = p;
      if (!next) break;
      this.pending = this.pending.filter((p) => p !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}
