/**
 * Host side of an autonomous run's flow control (PROTOCOL.md "Autonomous runs and flow control"), as a pure state
 * machine: frames in (in any order, possibly duplicated, possibly missing), frames out in step order exactly once,
 * plus what to ask the device for next (how many credits to grant, which step to re-request).
 *
 * Window rule: the device may be at most `window` frames ahead of what the host has emitted, i.e. credits granted
 * in total never exceed `emitted + window` (and never exceed `steps`).
 */
import type { RunFrame } from './Board.js';

export class RunAssembler {
  /** Credits granted so far (= frames the device may have produced). */
  private granted = 0;
  /** Next step to emit. */
  private nextStep = 0;
  /** Highest step seen so far, -1 before the first. */
  private highest = -1;
  private readonly held = new Map<number, RunFrame>();
  /** Frames received that had already been emitted or held. */
  duplicates = 0;

  constructor(
    readonly steps: number,
    readonly window: number,
  ) {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be an integer >= 1, got ${steps}`);
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be an integer >= 1, got ${window}`);
  }

  /** Frames emitted so far (= the next step to emit). */
  get emitted(): number {
    return this.nextStep;
  }

  /** Credits granted in total. */
  get credits(): number {
    return this.granted;
  }

  /** Every step has been emitted. */
  get done(): boolean {
    return this.nextStep >= this.steps;
  }

  /**
   * Accept one frame; returns the frames that can now be emitted, in step order (empty if `frame` fills no gap,
   * is a duplicate, or lies outside 0..steps-1).
   */
  accept(frame: RunFrame): RunFrame[] {
    const s = frame.step;
    if (!Number.isInteger(s) || s < 0 || s >= this.steps) return [];
    if (s < this.nextStep || this.held.has(s)) {
      this.duplicates++;
      return [];
    }
    this.held.set(s, frame);
    if (s > this.highest) this.highest = s;
    const out: RunFrame[] = [];
    for (let f = this.held.get(this.nextStep); f; f = this.held.get(this.nextStep)) {
      this.held.delete(this.nextStep);
      out.push(f);
      this.nextStep++;
    }
    return out;
  }

  /**
   * The step to re-request: the first one not yet emitted, when a later step has already arrived (a gap), or when
   * `stalled` (nothing arrived for a while although credits are outstanding). Null when nothing is missing.
   */
  missing(stalled = false): number | null {
    if (this.done) return null;
    if (this.highest > this.nextStep) return this.nextStep;
    if (stalled && this.nextStep < this.granted) return this.nextStep;
    return null;
  }

  /**
   * Credits to grant now, already counted as granted (0 = none). Grants in batches of at least half a window,
   * except for the last credits of the run, to keep the number of GRANT commands low without ever starving
   * the device.
   */
  grant(): number {
    const limit = Math.min(this.steps, this.nextStep + this.window);
    const k = limit - this.granted;
    if (k <= 0) return 0;
    if (k >= Math.ceil(this.window / 2) || limit === this.steps || this.granted === this.nextStep) {
      this.granted += k;
      return k;
    }
    return 0;
  }
}
