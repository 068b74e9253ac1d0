/** Reply correlation, timeouts, retries and backoff of the stop-and-wait channel, with fake timers. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeFrame, formatOk, formatErr, formatEvent, MAX_SEQ } from '../../firmware-protocol/codec.js';
import { BoardDisconnectedError, BoardTimeoutError } from '../../src/errors.js';
import { backoffDelay, backoffSchedule } from '../../src/device/backoff.js';
import { CommandChannel, type ExchangeOptions } from '../../src/device/CommandChannel.js';
import { systemTimers } from '../../src/device/timers.js';

/** A link that records what was written, with the time it was written. */
class FakeSink {
  lines: { t: number; body: string }[] = [];
  down = false;
  write(line: string): void {
    if (this.down) throw new BoardDisconnectedError('fake link down');
    const r = decodeFrame(line.replace(/\n$/, ''));
    if (!r.ok) throw new Error(`host wrote an invalid frame ${JSON.stringify(line)}`);
    this.lines.push({ t: Date.now(), body: r.body });
  }
}

const OPTS: ExchangeOptions = { timeoutMs: 100, retries: 3, backoff: { baseMs: 10, maxMs: 25 } };

describe('backoff', () => {
  it('doubles from the base and stops at the cap', () => {
    expect(backoffSchedule(6, { baseMs: 10, maxMs: 50 })).toEqual([10, 20, 40, 50, 50, 50]);
    expect(backoffDelay(1, { baseMs: 0, maxMs: 0 })).toBe(0);
    expect(backoffDelay(1000, { baseMs: 1, maxMs: 5000 })).toBe(5000);
  });
  it('refuses attempt numbers below 1', () => {
    expect(() => backoffDelay(0, { baseMs: 1, maxMs: 2 })).toThrow(RangeError);
    expect(() => backoffDelay(1.5, { baseMs: 1, maxMs: 2 })).toThrow(RangeError);
  });
});

describe('CommandChannel', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('numbers commands from initialSeq, wraps 65535 -> 1, and resolves with the matching reply', async () => {
    const sink = new FakeSink();
    const ch = new CommandChannel(systemTimers, {}, MAX_SEQ);
    const p1 = ch.exchange(sink, 'PING', [], OPTS);
    expect(sink.lines[0].body).toBe(`${MAX_SEQ} PING`);
    ch.receive(formatOk(MAX_SEQ, []));
    await expect(p1).resolves.toEqual({ kind: 'ok', seq: MAX_SEQ, payload: [] });
    const p2 = ch.exchange(sink, 'MEAS', ['n=4'], OPTS);
    expect(sink.lines[1].body).toBe('1 MEAS n=4');
    ch.receive(formatErr(1, 416, 'too many samples'));
    await expect(p2).resolves.toEqual({ kind: 'err', seq: 1, code: 416, message: 'too many samples' });
  });

  it('drops and counts replies whose SEQ is not outstanding, and malformed ones', async () => {
    const sink = new FakeSink();
    const unexpected: string[] = [];
    const ch = new CommandChannel(systemTimers, { onUnexpected: (_b, why) => unexpected.push(why) }, 10);
    ch.receive(formatOk(9, ['late'])); // nothing outstanding
    const p = ch.exchange(sink, 'EGET', [], OPTS);
    ch.receive(formatOk(9, ['stale'])); // an earlier command's reply arriving late
    ch.receive(formatOk(11, ['future']));
    ch.receive('10 MAYBE');
    ch.receive(formatOk(10, ['1,2,3']));
    await expect(p).resolves.toMatchObject({ seq: 10, payload: ['1,2,3'] });
    expect(ch.counters.stale).toBe(3);
    expect(ch.counters.malformed).toBe(1);
    expect(unexpected).toEqual(['stale', 'stale', 'stale', 'malformed']);
  });

  it('passes unsolicited messages on without disturbing the outstanding command', async () => {
    const sink = new FakeSink();
    const events: string[] = [];
    const ch = new CommandChannel(systemTimers, { onEvent: (k, f) => events.push(`${k} ${f.join(' ')}`) }, 5);
    const p = ch.exchange(sink, 'ID', [], OPTS);
    ch.receive(formatEvent('BOOT', ['boot=3']));
    ch.receive(formatEvent('FRAME', ['0', 'ex=0', 'vf=1', 'changed=2']));
    expect(ch.busy).toBe(true);
    ch.receive(formatOk(5, ['proto=1']));
    await expect(p).resolves.toMatchObject({ kind: 'ok' });
    expect(events).toEqual(['BOOT boot=3', 'FRAME 0 ex=0 vf=1 changed=2']);
  });

  it('resends the identical line (same SEQ) after each timeout, with the backoff schedule, then gives up', async () => {
    const sink = new FakeSink();
    const retries: number[] = [];
    const ch = new CommandChannel(systemTimers, { onRetry: (_v, a) => retries.push(a) }, 42);
    const t0 = Date.now();
    const p = ch.exchange(sink, 'STEP', ['eta=0.5', 'tgt=3:1'], OPTS);
    const settled = expect(p).rejects.toBeInstanceOf(BoardTimeoutError);
    await vi.advanceTimersByTimeAsync(10_000);
    await settled;
    // attempts at 0, then each timeout (100) plus backoff 10, 20, 25 (capped)
    expect(sink.lines.map((l) => l.t - t0)).toEqual([0, 110, 230, 355]);
    expect(new Set(sink.lines.map((l) => l.body))).toEqual(new Set(['42 STEP eta=0.5 tgt=3:1']));
    expect(retries).toEqual([1, 2, 3]);
    expect(ch.counters).toMatchObject({ commands: 1, retries: 3, timeouts: 1 });
    expect(ch.busy).toBe(false);
  });

  it('accepts the reply to an earlier attempt that arrives during the backoff, and stops resending', async () => {
    const sink = new FakeSink();
    const ch = new CommandChannel(systemTimers, {}, 7);
    const p = ch.exchange(sink, 'SRC', ['0:1'], OPTS);
    await vi.advanceTimersByTimeAsync(105); // first attempt timed out, waiting 10 ms to resend
    ch.receive(formatOk(7, []));
    await expect(p).resolves.toMatchObject({ kind: 'ok', seq: 7 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.lines).toHaveLength(1);
  });

  it('fail() rejects the outstanding command at once and nothing is resent afterwards', async () => {
    const sink = new FakeSink();
    const ch = new CommandChannel(systemTimers, {}, 100);
    const p = ch.exchange(sink, 'MEAS', [], OPTS);
    await vi.advanceTimersByTimeAsync(150); // one resend done, next timeout pending
    expect(sink.lines).toHaveLength(2);
    ch.fail(new BoardDisconnectedError('unplugged'));
    await expect(p).rejects.toBeInstanceOf(BoardDisconnectedError);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sink.lines).toHaveLength(2);
    // a late reply to the failed command is stale, not delivered to the next one
    const q = ch.exchange(sink, 'PING', [], OPTS);
    ch.receive(formatOk(100, []));
    expect(ch.counters.stale).toBe(1);
    ch.receive(formatOk(101, []));
    await expect(q).resolves.toMatchObject({ seq: 101 });
  });

  it('rejects with the link error when a write throws, without a timer left behind', async () => {
    const sink = new FakeSink();
    sink.down = true;
    const ch = new CommandChannel(systemTimers, {}, 1);
    await expect(ch.exchange(sink, 'PING', [], OPTS)).rejects.toBeInstanceOf(BoardDisconnectedError);
    expect(ch.busy).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses a second command while one is outstanding (stop-and-wait)', () => {
    const sink = new FakeSink();
    const ch = new CommandChannel(systemTimers, {}, 1);
    void ch.exchange(sink, 'PING', [], OPTS).catch(() => undefined);
    expect(() => ch.exchange(sink, 'PING', [], OPTS)).toThrow(/outstanding/);
    ch.fail(new Error('done'));
  });

  it('refuses an initial SEQ outside 1..65535', () => {
    expect(() => new CommandChannel(systemTimers, {}, 0)).toThrow(RangeError);
    expect(() => new CommandChannel(systemTimers, {}, 65536)).toThrow(RangeError);
  });
});
