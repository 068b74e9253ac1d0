/**
 * Appending a run record (see README.md).
 *
 * Durability: {@link RunWriter.append} writes the event's line with a synchronous `write(2)` before it returns,
 * so once append has returned the event survives a crash of this process (kill -9): the data is in the
 * operating system. It reaches the disk (survives a power cut or kernel crash) by an `fsync` batched over at
 * most `fsyncIntervalMs` (default and maximum 100 ms): a timer fsyncs off the event loop that long after the
 * first unsynced write, and an append that finds the oldest unsynced write older than that fsyncs in line
 * (a training loop that never yields still gets its events on disk in time). `fsyncIntervalMs: 0` fsyncs every
 * event before append returns. `durableSeq` is the last event known to be on disk.
 *
 * Batched writes ({@link RunWriterOptions.batchEvents} > 1, or {@link RunWriter.batchEvents}): event lines are kept in
 * this process and written together, with one `write(2)`, once `batchEvents` of them are waiting, once the oldest has
 * waited `fsyncIntervalMs`, and before any other document, fsync, flush, stop or close. So an event is in the OS at
 * the latest `fsyncIntervalMs` after append and on disk within twice that; a kill -9 loses the events still waiting
 * (at most `batchEvents`) and never reorders them: the file holds a prefix of the run's events (a torn last line, as
 * after any crash, is cut off by {@link RunWriter.resume}). That is only right where the record alone says what the board holds after a crash: the in-process twin,
 * which lives and dies with this process and is rebuilt on resume from the last recorded event (its settings), so
 * the steps lost with the batch are done again, each recorded exactly once. A board that outlives the host (hardware,
 * the pty twin) keeps the default of 1: each step's event is in the OS before append returns, i.e. before the next
 * step changes the board.
 */
import { closeSync, fsync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { CllnError, InvalidInputError, show } from '../errors.js';
import { systemTimers, type Timers } from '../timers.js';
import {
  epochSeconds,
  newUid,
  type DescriptorDoc,
  type DescriptorInput,
  type EventDoc,
  type ExitStatus,
  type JsonValue,
  type RunRecord,
  type StartDoc,
  type StopDoc,
} from './documents.js';
import { parseRun, readRunBytes } from './readRun.js';

/** The stop reason written when none is given. */
const DEFAULT_REASON: Record<ExitStatus, string> = { success: 'completed', abort: 'aborted', fail: 'failed' };

/** The longest fsync batching interval allowed (issue 4: events on disk within 100 ms). */
export const MAX_FSYNC_INTERVAL_MS = 100;

export interface RunWriterOptions {
  /** Batch fsyncs over at most this many milliseconds, 0..100 (default 100); 0 fsyncs every event before append returns. */
  fsyncIntervalMs?: number;
  /** Epoch seconds for document times (default `Date.now() / 1000`). */
  clock?: () => number;
  /** Called with the last event seq_num known to be on disk, after each fsync that made progress. */
  onDurable?: (seq: number) => void;
  /** Timers of the fsync batching (its interval is measured on `now()`); default the global ones. For tests. */
  timers?: Timers;
  /**
   * Keep up to this many event lines in memory before writing them with one `write(2)` (default 1: each event is
   * written before append returns). Only for a board that does not outlive this process; see the file comment.
   */
  batchEvents?: number;
  /**
   * Benchmark baseline only: never fsync events (they still reach the OS on append, so they survive kill -9 but
   * not a power cut). Start, descriptor and stop are still fsynced.
   */
  unsafeNoFsync?: boolean;
}

/** What {@link RunWriter.resume} returns. */
export interface ResumedRun {
  writer: RunWriter;
  /** The run as recorded so far (a torn last line, if any, is reported in `torn` and has been cut off the file). */
  record: RunRecord;
}

/** Appends the events of one run to its file. Not for concurrent use by several writers. */
export class RunWriter {
  readonly path: string;
  readonly start: StartDoc;
  readonly descriptor: DescriptorDoc;
  private fd: number;
  private seq: number;
  private durable: number;
  private readonly intervalMs: number;
  private readonly clock: () => number;
  private readonly onDurable?: (seq: number) => void;
  private readonly noFsync: boolean;
  private readonly dataKeys: Set<string>;
  /** The evaluation stream, once its descriptor is written: its descriptor, last seq_num and data keys. */
  private evaluation: { descriptor: DescriptorDoc; seq: number; keys: Set<string> } | undefined;
  private readonly timers: Timers;
  /** timers.now() of the oldest write not yet covered by an fsync, or undefined when all is on disk. */
  private unsyncedSince: number | undefined;
  private timer: unknown;
  private inFlight: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;
  private stopped = false;
  /** File offset of the next write when writes are positional (a resumed file), else null (sequential). */
  private position: number | null = null;
  /** Event lines appended but not yet written (batched writes), and timers.now() of the oldest. */
  private pending = '';
  private pendingCount = 0;
  private pendingSince = 0;
  private batch = 1;

  private constructor(path: string, fd: number, start: StartDoc, descriptor: DescriptorDoc, seq: number, opts: RunWriterOptions) {
    this.path = path;
    this.fd = fd;
    this.start = start;
    this.descriptor = descriptor;
    this.seq = seq;
    this.durable = seq;
    this.intervalMs = checkInterval(opts.fsyncIntervalMs);
    this.clock = opts.clock ?? epochSeconds;
    this.timers = opts.timers ?? systemTimers;
    this.onDurable = opts.onDurable;
    this.noFsync = opts.unsafeNoFsync === true;
    this.dataKeys = new Set(Object.keys(descriptor.data_keys));
    this.batchEvents(opts.batchEvents ?? 1);
  }

  /**
   * From now on keep up to `n` event lines in memory before one `write(2)` (1: write each before append returns).
   * Only for a board that does not outlive this process (the in-process twin); see the file comment.
   */
  batchEvents(n: number): void {
    checkBatch(n, this.path);
    if (n < this.batch) this.writePending();
    this.batch = n;
  }

  /**
   * Create a run file holding `start` and the descriptor, both on disk (fsynced, and the directory entry too)
   * when this returns. Refuses to overwrite an existing file. The descriptor's uid, run_start (the start uid),
   * time and name (`primary`) are filled in when absent.
   */
  static create(path: string, start: StartDoc, descriptor: DescriptorInput, opts: RunWriterOptions = {}): RunWriter {
    checkInterval(opts.fsyncIntervalMs);
    checkBatch(opts.batchEvents ?? 1);
    const clock = opts.clock ?? epochSeconds;
    if (typeof start !== 'object' || start === null) throw new InvalidInputError({ source: path, field: 'start' }, `must be an object, got ${show(start)}`);
    if (typeof start.uid !== 'string' || start.uid === '') throw new InvalidInputError({ source: path, field: 'start.uid' }, `must be a non-empty string, got ${show(start.uid)}`);
    if (typeof start.time !== 'number' || !Number.isFinite(start.time)) throw new InvalidInputError({ source: path, field: 'start.time' }, `must be epoch seconds, got ${show(start.time)}`);
    if (descriptor.run_start !== undefined && descriptor.run_start !== start.uid) {
      throw new InvalidInputError({ source: path, field: 'descriptor.run_start' }, `must be the start uid ${show(start.uid)}, got ${show(descriptor.run_start)}`, 'leave it out');
    }
    if (typeof descriptor.data_keys !== 'object' || descriptor.data_keys === null || Array.isArray(descriptor.data_keys)) {
      throw new InvalidInputError({ source: path, field: 'descriptor.data_keys' }, `must be an object {key: {dtype, shape, source}}, got ${show(descriptor.data_keys)}`);
    }
    const { uid, run_start: _runStart, time, name, ...rest } = descriptor;
    const desc = { uid: uid ?? newUid(), run_start: start.uid, time: time ?? clock(), name: name ?? 'primary', ...rest } as DescriptorDoc;
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new InvalidInputError({ source: path }, 'a run file of that name exists already; run records are never overwritten', "choose another name, or continue the run with 'clln resume'");
      throw new InvalidInputError({ source: path }, `cannot create the run file: ${code === 'ENOENT' ? 'no such directory' : (e as Error).message}`, 'check that the directory exists and is writable');
    }
    try {
      writeAll(fd, line('start', start) + line('descriptor', desc));
      fsyncSync(fd);
      syncDirectory(dirname(path));
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return new RunWriter(path, fd, start, desc, 0, opts);
  }

  /**
   * Reopen an interrupted run (a file without a stop document) to append to it. A torn last line is cut off the
   * file, and the file fsynced; the writer continues with the next seq_num.
   */
  static resume(path: string, opts: RunWriterOptions = {}): ResumedRun {
    checkInterval(opts.fsyncIntervalMs);
    checkBatch(opts.batchEvents ?? 1);
    const { record, intactBytes } = parseRun(readRunBytes(path), path);
    if (record.stop) {
      throw new InvalidInputError({ source: path }, `the run has ended (exit status ${record.stop.exit_status}: ${show(record.stop.reason)}); only an interrupted run can be resumed`, 'start a new run');
    }
    const fd = openSync(path, 'r+');
    try {
      if (record.torn) ftruncateSync(fd, intactBytes);
      // what a killed host wrote may still be only in the OS: put it on disk, so that durableSeq is true
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    const writer = new RunWriter(path, fd, record.start, record.descriptor, record.events.length, opts);
    writer.position = intactBytes;
    if (record.evaluation) {
      const d = record.evaluation.descriptor;
      writer.evaluation = { descriptor: d, seq: record.evaluation.events.length, keys: new Set(Object.keys(d.data_keys)) };
    }
    return { writer, record };
  }

  /** seq_num of the last event appended (0 before the first). */
  get lastSeq(): number {
    return this.seq;
  }

  /** seq_num of the last event known to be on disk (fsynced). */
  get durableSeq(): number {
    return this.durable;
  }

  /**
   * Append one step's event. The line is written (in the OS, surviving kill -9 of this process) before this
   * returns; it is on disk within `fsyncIntervalMs`. `timestamps` default to the event time for every data key.
   * Typed arrays are recorded as arrays; non-finite numbers become null (JSON has no NaN). Returns the seq_num.
   */
  append(data: Record<string, unknown>, timestamps?: Record<string, number>): number {
    this.checkOpen();
    const seq = this.seq + 1;
    this.writeEvent(this.descriptor.uid, this.dataKeys, seq, data, timestamps, () => (this.seq = seq));
    return seq;
  }

  /** The evaluation stream's descriptor, once written ({@link addEvaluationStream}, or read back on resume). */
  get evaluationDescriptor(): DescriptorDoc | undefined {
    return this.evaluation?.descriptor;
  }

  /** seq_num of the last evaluation event (0 before the first, or without an evaluation stream). */
  get lastEvaluationSeq(): number {
    return this.evaluation?.seq ?? 0;
  }

  /**
   * Write the descriptor of the `evaluation` stream (issue 15, contract A): once per run, just before its first
   * event. Its uid, run_start and time are filled in when absent. Returns the descriptor as written.
   */
  addEvaluationStream(descriptor: Omit<DescriptorInput, 'name'>): DescriptorDoc {
    this.checkOpen();
    if (this.evaluation) throw new InvalidInputError({ source: this.path, field: 'descriptor' }, 'the run has an evaluation stream already', 'write its descriptor once');
    const { uid, run_start: _runStart, time, ...rest } = descriptor;
    const desc = { uid: uid ?? newUid(), run_start: this.start.uid, time: time ?? this.clock(), name: 'evaluation', ...rest } as DescriptorDoc;
    this.write(line('descriptor', desc));
    if (this.unsyncedSince === undefined) this.unsyncedSince = this.timers.now();
    this.evaluation = { descriptor: desc, seq: 0, keys: new Set(Object.keys(desc.data_keys)) };
    return desc;
  }

  /**
   * Append one event to the evaluation stream (after {@link addEvaluationStream}); durable as {@link append}.
   * Returns its seq_num in that stream.
   */
  appendEvaluation(data: Record<string, unknown>, timestamps?: Record<string, number>): number {
    this.checkOpen();
    const ev = this.evaluation;
    if (!ev) throw new InvalidInputError({ source: this.path, field: 'evaluation' }, 'the run has no evaluation stream', 'write its descriptor first (addEvaluationStream)');
    const seq = ev.seq + 1;
    this.writeEvent(ev.descriptor.uid, ev.keys, seq, data, timestamps, () => (ev.seq = seq));
    return seq;
  }

  /** Write one event line; `written` counts it (before any fsync, whose progress is measured in seq_num). */
  private writeEvent(descriptor: string, keys: Set<string>, seq: number, data: Record<string, unknown>, timestamps: Record<string, number> | undefined, written: () => void): void {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new InvalidInputError({ source: this.path, field: 'event data' }, `must be an object, got ${show(data)}`);
    for (const k of Object.keys(data)) {
      if (!keys.has(k)) {
        throw new InvalidInputError({ source: this.path, field: `event data.${k}` }, `is not a data key of the descriptor (data keys: ${[...keys].join(', ')})`, 'add it to the descriptor data_keys when creating the run');
      }
    }
    const time = this.clock();
    let ts = timestamps;
    if (!ts) {
      ts = {};
      for (const k of Object.keys(data)) ts[k] = time;
    }
    const ev: EventDoc = { uid: newUid(), descriptor, time, seq_num: seq, data: data as Record<string, JsonValue>, timestamps: ts };
    const text = eventLine(ev, timestamps === undefined);
    const now = this.timers.now();
    if (this.batch > 1) {
      if (this.pendingCount === 0) this.pendingSince = now;
      this.pending += text;
      this.pendingCount++;
      written();
      if (this.pendingCount >= this.batch || now - this.pendingSince >= this.intervalMs) this.writePending();
      else if (this.noFsync) return;
    } else {
      this.write(text);
      written();
    }
    if (this.noFsync) return;
    if (this.intervalMs === 0) {
      this.syncNow();
      return;
    }
    if (this.unsyncedSince === undefined) {
      this.unsyncedSince = now;
    } else if (now - this.unsyncedSince >= this.intervalMs) {
      // the event loop did not let the timer run in time: fsync here, in line
      this.syncNow();
      return;
    }
    if (!this.timer) {
      const h = this.timers.setTimeout(() => this.timerFired(), Math.max(0, this.intervalMs - (now - this.unsyncedSince)));
      // a pending fsync must not keep the process alive on its own
      (h as { unref?: () => void } | undefined)?.unref?.();
      this.timer = h;
    }
  }

  /** fsync now, in line; afterwards every event appended so far is on disk. */
  flushSync(): void {
    this.checkOpen();
    if (this.durable < this.seq || this.unsyncedSince !== undefined) this.syncNow();
  }

  /** Resolves once every event appended so far is on disk (fsync off the event loop). */
  async flush(): Promise<void> {
    this.checkOpen();
    const target = this.seq;
    if (this.inFlight) await this.inFlight;
    if (this.durable < target || this.unsyncedSince !== undefined) await this.syncAsync();
    if (this.failure) throw this.failure;
  }

  /**
   * End the run: write the stop document, fsync and close the file. `exitStatus` success, abort (stopped on
   * purpose before the end) or fail (an error ended it).
   */
  async stop(exitStatus: ExitStatus, reason = '', extra: Record<string, unknown> = {}): Promise<StopDoc> {
    this.checkOpen();
    if (exitStatus !== 'success' && exitStatus !== 'abort' && exitStatus !== 'fail') {
      throw new InvalidInputError({ source: this.path, field: 'exit_status' }, `must be success, abort or fail, got ${show(exitStatus)}`);
    }
    this.clearTimer();
    if (this.inFlight) await this.inFlight.catch(() => undefined);
    const stop: StopDoc = {
      ...extra,
      uid: newUid(),
      run_start: this.start.uid,
      time: this.clock(),
      exit_status: exitStatus,
      // never empty (issue 15): a caller without a reason gets the exit status's plain meaning
      reason: reason !== '' ? reason : DEFAULT_REASON[exitStatus],
      num_events: { [this.descriptor.name]: this.seq, ...(this.evaluation ? { [this.evaluation.descriptor.name]: this.evaluation.seq } : {}) },
    };
    this.write(line('stop', stop));
    this.syncNow();
    this.stopped = true;
    this.closeFd();
    return stop;
  }

  /**
   * Close without a stop document (the run stays `interrupted` and can be resumed), after an fsync. For a host
   * that shuts down in the middle of a run on purpose.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.clearTimer();
    if (this.inFlight) await this.inFlight.catch(() => undefined);
    this.writePending();
    if (!this.noFsync && (this.durable < this.seq || this.unsyncedSince !== undefined)) this.syncNow();
    this.closeFd();
  }

  /** Write the batched event lines (one write(2)). */
  private writePending(): void {
    if (this.pendingCount === 0) return;
    const text = this.pending;
    this.pending = '';
    this.pendingCount = 0;
    this.writeText(text);
  }

  /** Write a document line, after the batched event lines (the file keeps the order of the calls). */
  private write(text: string): void {
    this.writePending();
    this.writeText(text);
  }

  private writeText(text: string): void {
    try {
      const n = writeAll(this.fd, text, this.position);
      if (this.position !== null) this.position += n;
    } catch (e) {
      this.failure = new CllnError(`${this.path}: cannot write the run file: ${(e as Error).message} (check the disk: space, permissions; the run can be resumed from the events recorded)`);
      throw this.failure;
    }
  }

  private syncNow(): void {
    this.writePending();
    const target = this.seq;
    this.clearTimer();
    this.unsyncedSince = undefined;
    try {
      fsyncSync(this.fd);
    } catch (e) {
      this.failure = new CllnError(`${this.path}: fsync of the run file failed: ${(e as Error).message} (check the disk)`);
      throw this.failure;
    }
    this.madeDurable(target);
  }

  private syncAsync(): Promise<void> {
    this.writePending();
    const target = this.seq;
    this.clearTimer();
    this.unsyncedSince = undefined;
    const done = new Promise<void>((resolve) => {
      fsync(this.fd, (err) => {
        if (err) this.failure = new CllnError(`${this.path}: fsync of the run file failed: ${err.message} (check the disk)`);
        else this.madeDurable(target);
        if (this.inFlight === done) this.inFlight = undefined;
        resolve();
      });
    });
    this.inFlight = done;
    return done;
  }

  private timerFired(): void {
    this.timer = undefined;
    if (this.closed || this.unsyncedSince === undefined) return;
    void this.syncAsync();
  }

  private madeDurable(seq: number): void {
    if (seq > this.durable) {
      this.durable = seq;
      this.onDurable?.(seq);
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private checkOpen(): void {
    if (this.failure) throw this.failure;
    if (this.closed) {
      throw new InvalidInputError({ source: this.path }, this.stopped ? 'the run has been stopped; nothing more can be recorded' : 'the run writer is closed', "reopen an interrupted run with RunWriter.resume ('clln resume')");
    }
  }

  private closeFd(): void {
    this.clearTimer();
    this.closed = true;
    closeSync(this.fd);
  }
}

function checkInterval(ms: number | undefined): number {
  const v = ms ?? MAX_FSYNC_INTERVAL_MS;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_FSYNC_INTERVAL_MS) {
    throw new InvalidInputError({ field: 'fsyncIntervalMs' }, `must be a number in 0..${MAX_FSYNC_INTERVAL_MS} ms, got ${show(v)}`);
  }
  return v;
}

function checkBatch(n: number, source?: string): void {
  if (!(Number.isInteger(n) && n >= 1)) throw new InvalidInputError({ source, field: 'batchEvents' }, `must be an integer >= 1, got ${show(n)}`);
}

/** One document line: `["name", {...}]` and a newline. Typed arrays become arrays; NaN and infinities null. */
function line(name: string, doc: object): string {
  return JSON.stringify([name, doc], typedArraysAsArrays) + '\n';
}

/**
 * An event's line, the same text as `line('event', ev)` (JSON.stringify with typed arrays as arrays) written out
 * field by field: the replacer JSON.stringify calls for every key and element was most of an event's cost on a
 * 16-node board (issue 18, point 3). Numbers and typed arrays of numbers are written directly (non-finite as null,
 * as JSON.stringify does); anything else goes through JSON.stringify with the replacer. `sameTimes`: every timestamp
 * is the event time (the default), written once as text.
 */
export function eventLine(ev: EventDoc, sameTimes = false): string {
  const t = jsonNumber(ev.time);
  let out = `["event",{"uid":${JSON.stringify(ev.uid)},"descriptor":${JSON.stringify(ev.descriptor)},"time":${t},"seq_num":${jsonNumber(ev.seq_num)},"data":{`;
  let first = true;
  let stamps = '';
  for (const key of Object.keys(ev.data)) {
    const q = quotedKey(key);
    // the default timestamps have every data key, also one whose value is left out
    if (sameTimes) stamps += (stamps === '' ? '' : ',') + q + ':' + t;
    const text = jsonValue((ev.data as Record<string, unknown>)[key]);
    if (text === undefined) continue;
    out += (first ? '' : ',') + q + ':' + text;
    first = false;
  }
  out += '},"timestamps":';
  out += sameTimes ? '{' + stamps + '}' : JSON.stringify(ev.timestamps, typedArraysAsArrays);
  return out + '}]\n';
}

const quoted = new Map<string, string>();
function quotedKey(k: string): string {
  let q = quoted.get(k);
  if (q === undefined) {
    q = JSON.stringify(k);
    if (quoted.size < 4096) quoted.set(k, q);
  }
  return q;
}

/** A number as JSON.stringify writes it (null when not finite). */
function jsonNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

/** A value as JSON.stringify(value, typedArraysAsArrays) writes it as an object member (undefined: left out). */
function jsonValue(v: unknown): string | undefined {
  if (typeof v === 'number') return jsonNumber(v);
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const a = v as unknown as ArrayLike<number | bigint>;
    let s = '[';
    for (let i = 0; i < a.length; i++) {
      const x = a[i];
      s += (i === 0 ? '' : ',') + jsonNumber(typeof x === 'bigint' ? Number(x) : x);
    }
    return s + ']';
  }
  if (Array.isArray(v)) {
    // a plain array of numbers (a step's readings and settings), written directly; anything else as below
    let s = '[';
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x !== 'number') return JSON.stringify(v, typedArraysAsArrays) as string;
      s += (i === 0 ? '' : ',') + jsonNumber(x);
    }
    return s + ']';
  }
  return JSON.stringify(v, typedArraysAsArrays) as string | undefined;
}

function typedArraysAsArrays(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number | bigint>, (x) => (typeof x === 'bigint' ? Number(x) : x));
  }
  return value;
}

/** Write all of `text` with synchronous writes (at `position` when given); returns the byte count. */
function writeAll(fd: number, text: string, position: number | null = null): number {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    off += writeSync(fd, buf, off, buf.length - off, position === null ? null : position + off);
  }
  return buf.length;
}

/** fsync a directory so that a new file's entry is on disk too (not possible on every platform: best effort). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // e.g. Windows cannot open a directory; the file's own fsync still holds its contents
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
