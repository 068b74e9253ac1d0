/**
 * The serial host's calls, one at a time: each waits for the calls queued before it and for the link, runs, has
 * the boot counter confirmed when due, and only then commits its change to the host record. A call interrupted by
 * a reset is run again from the restored state (at most {@link MAX_RESET_REDOS} times); a call that rejects is never
 * recorded as applied. Cancelling a queued call sends nothing; cancelling a running one rejects it at once while
 * the exchange on the wire finishes (so the record stays true).
 */
import { BoardProtocolError, BoardTimeoutError } from '../errors.js';
import { abortError, raceAbort, throwIfAborted } from './abort.js';
import type { ReconnectingLink } from './ReconnectingLink.js';
import { MAX_RESET_REDOS, type ResetDetector } from './ResetDetector.js';

/** A call's result plus the record change it makes, applied only once the call is confirmed. */
export interface Staged<T> {
  value: T;
  commit?: () => void;
  /** Boot counter the call itself read (ID, STAT), which then serves as the confirmation. */
  boot?: number;
}

/** What a call does to the board: reads state (confirmed when `confirmReads`), writes it, or neither. */
export type CallKind = 'read' | 'write' | 'none';

export class OperationQueue {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly link: ReconnectingLink,
    private readonly resets: ResetDetector,
    private readonly emitRestored: () => void,
  ) {}

  /** Run `task` after every task queued before it: one call talks to the board at a time. */
  enqueue<T>(task: () => Promise<T>): Promise<T> {
    const p = this.tail.then(task);
    this.tail = p.catch(() => undefined);
    return p;
  }

  /**
   * One Board call: waits its turn and for the link, restores the record first when an earlier command timed out,
   * runs `body` on the current connection, confirms the boot counter when due, commits the record change, and
   * re-runs `body` from the restored state when a reset happened meanwhile.
   */
  call<T>(what: string, signal: AbortSignal | undefined, kind: CallKind, body: (gen: number) => Promise<Staged<T>>): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal, what));
    const p = this.enqueue(async () => {
      // cancelled while queued: nothing has been sent, nothing will be
      throwIfAborted(signal, what);
      await this.link.whenUp(signal);
      if (this.resets.needRestore) {
        // an earlier command timed out: it may or may not have taken effect, so put the record back first
        await this.resets.restore(this.link.gen);
        this.emitRestored();
      }
      for (let round = 0; ; round++) {
        const gen = this.link.gen;
        let staged: Staged<T>;
        try {
          staged = await body(gen);
        } catch (e) {
          if (e instanceof BoardTimeoutError) this.resets.needRestore = true;
          throw e;
        }
        const ok = staged.boot !== undefined ? await this.resets.checkBoot(gen, staged.boot) : await this.resets.confirm(gen, kind === 'read');
        if (ok) {
          staged.commit?.();
          return staged.value;
        }
        if (round + 1 >= MAX_RESET_REDOS) throw new BoardProtocolError(0, `${what}: the board reset ${round + 1} times during the call`);
      }
    });
    return raceAbort(p, signal, what);
  }
}
