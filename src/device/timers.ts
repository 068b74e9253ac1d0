/**
 * The timer functions the serial host uses, injectable so that tests can drive time by hand.
 * The default reads the global functions at call time, so vitest's fake timers (which patch the globals)
 * also work without injecting anything.
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

/** A promise that resolves after `ms`, or rejects with `signal`'s abort error; never keeps a timer after abort. */
export function sleep(timers: Timers, ms: number, signal?: AbortSignal, onAbort?: () => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(onAbort ? onAbort() : signal.reason);
      return;
    }
    const abort = (): void => {
      timers.clearTimeout(handle);
      reject(onAbort ? onAbort() : signal?.reason);
    };
    const handle = timers.setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}
