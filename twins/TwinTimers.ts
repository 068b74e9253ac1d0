/**
 * The clock and timers a twin's server runs on: output pacing at the baud rate, the step rate of autonomous runs,
 * how long an unplug lasts. Injectable, so that tests drive time by hand (a virtual clock) and never wait on or
 * measure the wall clock.
 */
export interface TwinTimers {
  /** Milliseconds on a monotonic clock (only differences are used). */
  now(): number;
  /** Call `fn` once, `ms` milliseconds from now; `ms <= 0`: as soon as the event loop is free (not a 1 ms timer). */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancel a pending call (a handle from {@link setTimeout}); no-op when it already ran. */
  clearTimeout(handle: unknown): void;
}

interface SystemHandle {
  immediate: boolean;
  h: unknown;
}

/**
 * The real clock (`performance.now()`) and Node's timers, looked up at call time. A zero delay uses `setImmediate`:
 * Node's `setTimeout(fn, 0)` waits at least 1 ms, which would cap a catching-up step loop at 1000 steps/s.
 */
export const systemTwinTimers: TwinTimers = {
  now: () => performance.now(),
  setTimeout(fn, ms): SystemHandle {
    return ms <= 0 ? { immediate: true, h: setImmediate(fn) } : { immediate: false, h: setTimeout(fn, ms) };
  },
  clearTimeout(handle) {
    const s = handle as SystemHandle | null | undefined;
    if (!s) return;
    if (s.immediate) clearImmediate(s.h as NodeJS.Immediate);
    else clearTimeout(s.h as NodeJS.Timeout);
  },
};
