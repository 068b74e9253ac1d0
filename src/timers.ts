/**
 * Timer functions, injectable so that tests drive time by hand instead of waiting on the wall clock (the serial
 * host's timeouts and backoff, the run writer's fsync batching). The default reads the global functions at call
 * time, so vitest's fake timers (which patch the globals) also work without injecting anything.
 */
export interface Timers {
  /** Milliseconds on a monotonic-enough clock (only differences are used). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Global timers, looked up on every call (see above). */
export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};
