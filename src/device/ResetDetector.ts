/**
 * Reset detection with state restore. A board that rebooted (power glitch, watchdog, its own reset button) has
 * lost its sources, clamps and edges; the host learns it from a changed boot counter (`ID`'s `boot=`, `STAT`'s
 * `boot=`), read after every state-reading call (`confirmReads`), on suspicion (a banner, a retry, link errors, a
 * stale reply) and at least every `bootCheckMs`. On a change it puts the {@link HostRecord} back and reports
 * `reset-detected` and `state-restored`, and the caller re-runs its interrupted call from the restored state.
 */
import { BoardProtocolError } from '../errors.js';
import type { BoardEvent } from './Board.js';
import type { HostRecord } from './HostRecord.js';
import type { ProtocolCommands } from './ProtocolCommands.js';
import type { ReconnectingLink } from './ReconnectingLink.js';
import type { ResolvedSerialOptions } from './serialOptions.js';

/** How many times a restore starts over when the board resets again meanwhile (and a call is re-run after resets). */
export const MAX_RESET_REDOS = 3;

export class ResetDetector {
  /** The boot counter last confirmed (-1 before the first connect). */
  boot = -1;
  /** Something happened that may mean a reset (banner, retry, link error, stale reply): check the boot counter. */
  suspect = false;
  /**
   * A command timed out: the board may hold a value the record does not (it executed, the reply was lost). The next
   * call first restores the record, so that the board again holds exactly what was acknowledged.
   */
  needRestore = false;
  /** A requested RESET is under way: a changed boot counter is expected, not a fault. */
  expectReset = false;
  /** Resets detected (requested ones not counted) and restores made. */
  readonly counters = { resetsDetected: 0, restores: 0 };
  private lastBootCheck = 0;

  constructor(
    private readonly o: ResolvedSerialOptions,
    private readonly link: ReconnectingLink,
    private readonly commands: ProtocolCommands,
    private readonly record: HostRecord,
    private readonly emit: (e: BoardEvent) => void,
  ) {}

  /** The boot counter was just read and matched: nothing is suspect, the next periodic check starts from now. */
  confirmed(): void {
    this.suspect = false;
    this.lastBootCheck = this.o.timers.now();
  }

  /** Check the boot counter when due (see `confirmReads`, `bootCheckMs`, suspicion); false if a reset was handled. */
  async confirm(gen: number, isRead: boolean): Promise<boolean> {
    const due = this.suspect || (isRead && this.o.confirmReads) || this.o.timers.now() - this.lastBootCheck >= this.o.bootCheckMs;
    if (!due) return true;
    const s = await this.commands.readStat(gen);
    return this.checkBoot(gen, s.boot);
  }

  /** Compare a boot counter read on `gen` with the known one; on a change, restore the record. False if it changed. */
  async checkBoot(gen: number, boot: number): Promise<boolean> {
    if (boot === this.boot) {
      this.confirmed();
      return true;
    }
    this.noteReset(boot);
    await this.restore(gen);
    this.emit({ type: 'state-restored' });
    return false;
  }

  /** The board's boot counter is now `boot`: record it, and report a reset unless one was requested. */
  noteReset(boot: number): void {
    const previous = this.boot;
    this.boot = boot;
    if (this.commands.identified) this.commands.identity = { ...this.commands.identity, bootCount: boot };
    if (this.expectReset) return;
    this.counters.resetsDetected++;
    this.emit({ type: 'reset-detected', previousBoot: previous, bootCount: boot });
  }

  /**
   * Put the record back on the board ({@link HostRecord.putBack}), confirm the boot counter afterwards and start
   * over if the board reset again meanwhile.
   */
  async restore(gen: number): Promise<void> {
    for (let round = 0; round < MAX_RESET_REDOS; round++) {
      await this.record.putBack(this.link, this.commands, gen);
      const s = await this.commands.readStat(gen);
      this.counters.restores++;
      if (s.boot === this.boot) {
        this.needRestore = false;
        this.confirmed();
        return;
      }
      this.noteReset(s.boot);
    }
    throw new BoardProtocolError(0, `${this.o.path}: the board kept resetting while its state was restored`);
  }
}
