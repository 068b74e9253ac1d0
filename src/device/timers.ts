/** The timer functions the serial host uses (shared with the run writer: src/timers.ts). */
import type { Timers } from '../timers.js';

export { systemTimers, type Timers } from '../timers.js';

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
