/** The error a cancelled board call rejects with (Board contract: "an error named `AbortError`"). */
export function abortError(signal: AbortSignal | undefined, what: string): Error {
  const e = new Error(`${what} cancelled`, { cause: signal?.reason });
  e.name = 'AbortError';
  return e;
}

/** Throw the abort error at once if `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw abortError(signal, what);
}

/**
 * Settle with `p`, or reject at once with an AbortError when `signal` fires first. `p` keeps running (its
 * rejection is swallowed so that it is never reported as unhandled): a command already on the wire may still
 * take effect, and the caller that owns `p` keeps its record consistent.
 */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(abortError(signal, what));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      p.catch(() => undefined);
      reject(abortError(signal, what));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
