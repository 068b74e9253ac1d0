/**
 * The life of a `serve` command (`clln twin serve`, `clln firmware serve`): start something that serves a board on a
 * path, print `READY <path>` on stdout, serve until asked to stop, clean up, return.
 *
 * Stop requests are taken from the start, before anything is made that would need cleaning up: SIGINT, SIGTERM, and
 * with `exitWithParent` the end of standard input (the parent holds it open; it closes when the parent dies, even by
 * kill -9) or a broken standard output. A request during start-up lets the start finish, then cleans up without
 * printing READY. What was served may also end by itself (`ended`, e.g. an emulator that crashed): that stops the
 * command too, and `onEnded` says what to report.
 */
import type { Io } from './Io.js';

/** Something being served. */
export interface Served {
  /** The path the host opens. */
  readonly path: string;
  /** Stop serving and release everything. */
  close(): Promise<void>;
  /** Settles when what is served has ended by itself (optional). */
  readonly ended?: Promise<unknown>;
}

/** Options of {@link serveUntilStopped}. */
export interface ServeUntilStoppedOptions<S extends Served> {
  /** Also stop when standard input ends or standard output breaks (a host spawned this process). */
  exitWithParent: boolean;
  /** Start serving; its errors propagate (after the handlers are removed). */
  start: () => Promise<S>;
  /** Called once READY is printed (e.g. to log what is served). */
  onReady?: (served: S) => void;
  /** Called after a stop request, before the close (e.g. to read the final counters). */
  onStop?: (served: S) => void | Promise<void>;
  /**
   * Called when what is served ended by itself before a stop request; its return is the exit code (default 1).
   */
  onEnded?: (served: S, end: unknown) => number;
}

/** Serve until stopped; returns the exit code (0 after a stop request). See the file comment. */
export async function serveUntilStopped<S extends Served>(io: Io, opts: ServeUntilStoppedOptions<S>): Promise<number> {
  let stopRequested = false;
  let wake: (() => void) | null = null;
  const requestStop = (): void => {
    stopRequested = true;
    wake?.();
  };
  const outputGone = (): void => {
    if (opts.exitWithParent) requestStop();
  };
  process.on('SIGINT', requestStop);
  process.on('SIGTERM', requestStop);
  // Writes to a closed pipe fail with EPIPE as an 'error' event, which would otherwise end the process uncleaned.
  // These two stay for the life of the process: the last log line may fail after the command has returned.
  io.stdout.on('error', outputGone);
  io.stderr.on('error', outputGone);
  if (opts.exitWithParent) {
    process.stdin.on('end', requestStop);
    process.stdin.on('close', requestStop);
    process.stdin.resume();
  }
  let served: S | null = null;
  try {
    served = await opts.start();
    let endedBy: { end: unknown } | null = null;
    if (!stopRequested) {
      io.stdout.write(`READY ${served.path}\n`);
      opts.onReady?.(served);
      void served.ended?.then(
        (end) => {
          endedBy ??= { end };
          wake?.();
        },
        (end: unknown) => {
          endedBy ??= { end };
          wake?.();
        },
      );
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (stopRequested) resolve();
      });
    }
    const s = served;
    served = null;
    if (endedBy !== null && !stopRequested) {
      await s.close();
      return opts.onEnded ? opts.onEnded(s, (endedBy as { end: unknown }).end) : 1;
    }
    await opts.onStop?.(s);
    await s.close();
    return 0;
  } finally {
    // on an error too: nothing of ours may outlive the command
    await served?.close();
    // the handlers stay until everything is cleaned up, so that a second signal cannot cut the cleanup short; then
    // nothing may keep the process alive (a resumed stdin would, and the signals would be ignored)
    process.off('SIGINT', requestStop);
    process.off('SIGTERM', requestStop);
    if (opts.exitWithParent) {
      process.stdin.off('end', requestStop);
      process.stdin.off('close', requestStop);
      process.stdin.pause();
      (process.stdin as { unref?: () => void }).unref?.();
    }
  }
}
