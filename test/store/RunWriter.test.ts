import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { RunWriter } from '../../src/store/RunWriter.js';
import type { Timers } from '../../src/timers.js';
import { eventLine, readRun } from '../../src/store/readRun.js';
import { descriptorInput, startDoc, stepData, tempDir } from './helpers.js';

const dir = tempDir();
let n = 0;
const fresh = () => join(dir, `run-${++n}.jsonl`);

/** Timers driven by hand: `advance(ms)` moves the clock and fires the timers that fall due. */
class ManualTimers implements Timers {
  t = 0;
  private pending: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.ids;
    this.pending.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.pending = this.pending.filter((p) => p.id !== h);
  }
  get scheduled(): number {
    return this.pending.length;
  }
  advance(ms: number): void {
    this.t += ms;
    for (;;) {
      const due = this.pending.filter((p) => p.at <= this.t).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.pending = this.pending.filter((p) => p !== due);
      due.fn();
    }
  }
}

function fakeClock(t0 = 1_700_000_100): () => number {
  let t = t0;
  return () => (t += 0.25);
}

describe('RunWriter / readRun', () => {
  it('round trip: start, descriptor, events and stop read back equal; seq_num 1..N', async () => {
    const path = fresh();
    const start = startDoc();
    const w = RunWriter.create(path, start, descriptorInput(), { clock: fakeClock() });
    const seqs: number[] = [];
    for (let i = 0; i < 10; i++) seqs.push(w.append(stepData(i)));
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(w.lastSeq).toBe(10);
    const stop = await w.stop('success', 'all steps done');
    const r = readRun(path);
    expect(r.start).toEqual(start);
    expect(r.descriptor.run_start).toBe(start.uid);
    expect(r.descriptor.name).toBe('primary');
    expect(r.descriptor.data_keys.vf).toEqual({ dtype: 'array', shape: [16], source: 'board:ADC', units: 'V' });
    expect(r.events.map((e) => e.seq_num)).toEqual(seqs);
    expect(new Set(r.events.map((e) => e.uid)).size).toBe(10);
    for (const e of r.events) expect(e.descriptor).toBe(r.descriptor.uid);
    const d = stepData(4);
    expect(r.events[4].data).toEqual({ ...d, vc: Array.from(d.vc as Float64Array) }); // typed arrays recorded as arrays
    expect(r.events[3].data.residual_max).toBeNull(); // NaN: JSON has none
    expect(r.events[0].time).toBe(1_700_000_100.5); // descriptor took the first tick
    expect(r.events[0].timestamps.cost).toBe(r.events[0].time);
    expect(r.stop).toEqual(stop);
    expect(stop).toMatchObject({ run_start: start.uid, exit_status: 'success', reason: 'all steps done', num_events: { primary: 10 } });
    expect(r.status).toBe('complete');
    expect(r.torn).toBe(false);
    // one JSON array [name, doc] per line
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines).toHaveLength(14);
    expect(lines[13]).toBe('');
    expect(lines.slice(0, 13).map((l) => JSON.parse(l)[0])).toEqual(['start', 'descriptor', ...Array(10).fill('event'), 'stop']);
  });

  it('adds nothing to the start document and accepts caller-given timestamps', async () => {
    const path = fresh();
    const start = { uid: 'u-min', time: 12.5 };
    const w = RunWriter.create(path, start, { uid: 'd1', data_keys: { x: { dtype: 'number', shape: [], source: 's' } } });
    w.append({ x: 1 }, { x: 3.25 });
    await w.close();
    const r = readRun(path);
    expect(r.start).toEqual(start);
    expect(r.descriptor.uid).toBe('d1');
    expect(r.events[0].timestamps).toEqual({ x: 3.25 });
    expect(r.status).toBe('interrupted');
  });

  it('refuses to overwrite an existing file, and checks its inputs', () => {
    const path = fresh();
    writeFileSync(path, 'precious\n');
    expect(() => RunWriter.create(path, startDoc(), descriptorInput())).toThrow(InvalidInputError);
    expect(() => RunWriter.create(path, startDoc(), descriptorInput())).toThrow(/exists already/);
    expect(readFileSync(path, 'utf8')).toBe('precious\n');
    expect(() => RunWriter.create(fresh(), { time: 1 } as never, descriptorInput())).toThrow(/start\.uid/);
    expect(() => RunWriter.create(fresh(), { uid: 'x', time: NaN }, descriptorInput())).toThrow(/start\.time/);
    expect(() => RunWriter.create(fresh(), startDoc(), descriptorInput(), { fsyncIntervalMs: 101 })).toThrow(/0\.\.100/);
    expect(() => RunWriter.create(join(dir, 'no/such/dir/r.jsonl'), startDoc(), descriptorInput())).toThrow(/no such directory/);
  });

  it('rejects data keys the descriptor does not declare, and appends after stop', async () => {
    const w = RunWriter.create(fresh(), startDoc(), descriptorInput());
    expect(() => w.append({ cots: 1 })).toThrow(/cots.*not a data key/);
    expect(w.append({ cost: 1 })).toBe(1); // the rejected event took no seq_num
    await w.stop('abort', 'operator stop');
    expect(() => w.append({ cost: 2 })).toThrow(/stopped/);
  });

  it('start and descriptor are fsynced by create; fsyncIntervalMs 0 fsyncs every event before append returns', async () => {
    const w = RunWriter.create(fresh(), startDoc(), descriptorInput(), { fsyncIntervalMs: 0 });
    expect(w.durableSeq).toBe(0);
    w.append(stepData(0));
    expect(w.durableSeq).toBe(1);
    w.append(stepData(1));
    expect(w.durableSeq).toBe(2);
    await w.stop('success', '');
  });

  it('batched fsync: the timer makes each event durable within fsyncIntervalMs of its first unsynced write', async () => {
    const timers = new ManualTimers();
    let durable!: (seq: number) => void;
    const madeDurable = new Promise<number>((r) => (durable = r));
    const w = RunWriter.create(fresh(), startDoc(), descriptorInput(), { timers, onDurable: (s) => durable(s) });
    w.append(stepData(0));
    timers.advance(60);
    w.append(stepData(1)); // the batch is timed from the first unsynced write, not the last
    expect(w.durableSeq).toBe(0); // batched: not yet
    expect(timers.scheduled).toBe(1);
    timers.advance(39.9);
    expect(timers.scheduled).toBe(1); // 99.9 ms after the first write: still waiting
    timers.advance(0.1); // 100 ms: the fsync starts (off the event loop)
    expect(timers.scheduled).toBe(0);
    expect(await madeDurable).toBe(2);
    expect(w.durableSeq).toBe(2);

    // a shorter interval
    const t2 = new ManualTimers();
    let durable2!: (seq: number) => void;
    const madeDurable2 = new Promise<number>((r) => (durable2 = r));
    const w2 = RunWriter.create(fresh(), startDoc(), descriptorInput(), { fsyncIntervalMs: 10, timers: t2, onDurable: (s) => durable2(s) });
    w2.append(stepData(0));
    t2.advance(9);
    expect(t2.scheduled).toBe(1);
    t2.advance(1);
    expect(await madeDurable2).toBe(1);
    await Promise.all([w.stop('success'), w2.stop('success')]);
  });

  it('batched fsync: a loop that never yields still fsyncs in line once the oldest unsynced write is older than the interval', async () => {
    const timers = new ManualTimers();
    const w = RunWriter.create(fresh(), startDoc(), descriptorInput(), { fsyncIntervalMs: 20, timers });
    w.append(stepData(0));
    // 30 ms pass without the event loop running the timer (a busy loop): the clock moves, the timer does not fire
    timers.t += 30;
    w.append(stepData(1));
    expect(w.durableSeq).toBe(2);
    w.append(stepData(2));
    expect(w.durableSeq).toBe(2);
    w.flushSync();
    expect(w.durableSeq).toBe(3);
    w.append(stepData(3));
    await w.flush();
    expect(w.durableSeq).toBe(4);
    await w.stop('success');
  });

  it('a torn last line is ignored by readRun and cut off by resume; appending continues with the next seq_num', async () => {
    const path = fresh();
    const w = RunWriter.create(path, startDoc(), descriptorInput(), { clock: fakeClock() });
    for (let i = 0; i < 5; i++) w.append(stepData(i));
    await w.close();
    const intact = statSync(path).size;
    // a crash in the middle of writing event 6: half a line, no newline
    const line6 = JSON.stringify(['event', { uid: 'x', descriptor: 'y', time: 1, seq_num: 6, data: stepData(5), timestamps: {} }]) + '\n';
    appendFileSync(path, line6.slice(0, 100));
    let r = readRun(path);
    expect(r.torn).toBe(true);
    expect(r.events).toHaveLength(5);
    expect(r.status).toBe('interrupted');

    const { writer, record } = RunWriter.resume(path);
    expect(record.torn).toBe(true);
    expect(record.events).toHaveLength(5);
    expect(statSync(path).size).toBe(intact); // cut off
    expect(writer.lastSeq).toBe(5);
    expect(writer.append(stepData(5))).toBe(6);
    expect(writer.append(stepData(6))).toBe(7);
    await writer.stop('success', 'resumed and finished');
    r = readRun(path);
    expect(r.torn).toBe(false);
    expect(r.events.map((e) => e.seq_num)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(r.events[5].data.step).toBe(5);
    expect(r.stop?.num_events).toEqual({ primary: 7 });
    expect(r.status).toBe('complete');
  });

  it('a complete last line that does not parse (e.g. zeros after a power cut) is torn too; resume refuses a stopped run', async () => {
    const path = fresh();
    const w = RunWriter.create(path, startDoc(), descriptorInput());
    w.append(stepData(0));
    await w.close();
    appendFileSync(path, Buffer.alloc(300));
    expect(readRun(path).torn).toBe(true);
    appendFileSync(path, '\n');
    expect(readRun(path).torn).toBe(true);
    const { writer } = RunWriter.resume(path);
    expect(writer.append(stepData(1))).toBe(2);
    await writer.stop('fail', 'board alarm');
    expect(readRun(path).status).toBe('failed');
    expect(() => RunWriter.resume(path)).toThrow(/only an interrupted run can be resumed/);
  });

  it('resume of a run cut right after its descriptor starts at seq_num 1', async () => {
    const path = fresh();
    const w = RunWriter.create(path, startDoc(), descriptorInput());
    await w.close();
    const { writer, record } = RunWriter.resume(path);
    expect(record.events).toHaveLength(0);
    expect(writer.append(stepData(0))).toBe(1);
    await writer.close();
    expect(readRun(path).events).toHaveLength(1);
  });
});

describe('the evaluation stream (issue 15, contract A)', () => {
  it('is written beside the primary one, resumed with both seq_nums, and counted in the stop; stop.reason is never empty', async () => {
    const path = fresh();
    const w = RunWriter.create(path, startDoc(), descriptorInput(), { fsyncIntervalMs: 0 });
    expect(() => w.appendEvaluation({ step: 0 })).toThrow(/the run has no evaluation stream/);
    const d = w.addEvaluationStream({ data_keys: { step: { dtype: 'integer', shape: [], source: 'host:engine' } } });
    expect(d).toMatchObject({ name: 'evaluation', run_start: w.start.uid });
    expect(() => w.addEvaluationStream({ data_keys: {} })).toThrow(/has an evaluation stream already/);
    expect(w.appendEvaluation({ step: 0 })).toBe(1);
    expect(w.append(stepData(0))).toBe(1);
    expect(() => w.appendEvaluation({ cost: 1 })).toThrow(/event data.cost: is not a data key/);
    await w.close(); // killed: no stop
    const { writer, record } = RunWriter.resume(path, { fsyncIntervalMs: 0 });
    expect(record.evaluation!.events).toHaveLength(1);
    expect(writer.evaluationDescriptor!.uid).toBe(d.uid);
    expect(writer.append(stepData(1))).toBe(2);
    expect(writer.appendEvaluation({ step: 2 })).toBe(2);
    const stop = await writer.stop('success');
    expect(stop.num_events).toEqual({ primary: 2, evaluation: 2 });
    expect(stop.reason).toBe('completed');
    const r = readRun(path);
    expect(r.evaluation!.events.map((e) => [e.seq_num, e.data.step])).toEqual([
      [1, 0],
      [2, 2],
    ]);
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l)[0]);
    expect(lines).toEqual(['start', 'descriptor', 'descriptor', 'event', 'event', 'event', 'event', 'stop']);
    for (const [status, reason] of [['abort', 'aborted'], ['fail', 'failed']] as const) {
      const p2 = fresh();
      expect((await RunWriter.create(p2, startDoc(), descriptorInput()).stop(status, '')).reason).toBe(reason);
    }
  });
});

describe('readRun errors', () => {
  function runFile(lines: unknown[][], tail = ''): string {
    const path = fresh();
    writeFileSync(path, lines.map((l) => JSON.stringify(l) + '\n').join('') + tail);
    return path;
  }
  const start = { uid: 's', time: 1 };
  const desc = { uid: 'd', run_start: 's', time: 1, name: 'primary', data_keys: {} };
  const ev = (seq: number) => ['event', { uid: `e${seq}`, descriptor: 'd', time: 1 + seq, seq_num: seq, data: { cost: seq }, timestamps: {} }];

  it('a malformed line other than the last is an error naming file and line', () => {
    const path = fresh();
    writeFileSync(path, [JSON.stringify(['start', start]), JSON.stringify(['descriptor', desc]), JSON.stringify(ev(1)), '{"oops', JSON.stringify(ev(2)), ''].join('\n'));
    expect(() => readRun(path)).toThrow(InvalidInputError);
    expect(() => readRun(path)).toThrow(new RegExp(`${path}: line 4: is not a JSON document line`));
  });

  it('seq_num not 1..N contiguous is an error naming the line', () => {
    const gap = runFile([['start', start], ['descriptor', desc], ev(1), ev(2), ev(4)]);
    expect(() => readRun(gap)).toThrow(/line 5: event seq_num 4, expected 3/);
    const zero = runFile([['start', start], ['descriptor', desc], ev(0)]);
    expect(() => readRun(zero)).toThrow(/line 3: event seq_num 0, expected 1/);
  });

  it('other structural errors', () => {
    expect(() => readRun(runFile([['descriptor', desc]]))).toThrow(/line 1: must be the start document/);
    expect(() => readRun(runFile([['start', start], ev(1)]))).toThrow(/line 2: must be the descriptor/);
    expect(() => readRun(runFile([['start', start], ['descriptor', { ...desc, run_start: 'other' }]]))).toThrow(/line 2: descriptor run_start/);
    expect(() => readRun(runFile([['start', start], ['descriptor', desc], ['stop', { uid: 'z', run_start: 's', time: 2, exit_status: 'success', reason: '', num_events: { primary: 0 } }], ev(1)]))).toThrow(/line 4: document "event" after the stop/);
    expect(() => readRun(runFile([['start', start], ['descriptor', desc], ev(1), ['stop', { uid: 'z', run_start: 's', time: 2, exit_status: 'success', reason: '', num_events: { primary: 5 } }]]))).toThrow(/line 4: stop num_events.primary is 5/);
    expect(() => readRun(runFile([['start', start], ['descriptor', desc], ['datum', {}]]))).toThrow(/line 3: unknown document kind "datum"/);
    expect(() => readRun(runFile([]))).toThrow(/empty/);
    expect(() => readRun(join(dir, 'missing.jsonl'))).toThrow(/no such file/);
    // truncation before the descriptor: nothing was recorded
    expect(() => readRun(runFile([['start', start]], '["descr'))).toThrow(/no descriptor/);
  });

  it('a torn line that is not the last is not forgiven', () => {
    const path = fresh();
    writeFileSync(path, [JSON.stringify(['start', start]), JSON.stringify(['descriptor', desc]), '["event", {"uid"', JSON.stringify(ev(1)), ''].join('\n'));
    expect(() => readRun(path)).toThrow(/line 3/);
  });

  it('the evaluation stream: seq_num per stream, events of known descriptors only, num_events per stream, one evaluation descriptor', () => {
    const evalDesc = { uid: 'v', run_start: 's', time: 1, name: 'evaluation', data_keys: {} };
    const evEval = (seq: number) => ['event', { uid: `v${seq}`, descriptor: 'v', time: 1 + seq, seq_num: seq, data: { step: seq }, timestamps: {} }];
    const stop = (counts: Record<string, number>) => ['stop', { uid: 'z', run_start: 's', time: 9, exit_status: 'success', reason: 'steps', num_events: counts }];
    const ok = runFile([['start', start], ['descriptor', desc], ['descriptor', evalDesc], evEval(1), ev(1), ev(2), evEval(2), stop({ primary: 2, evaluation: 2 })]);
    const r = readRun(ok);
    expect(r.events.map((e) => e.seq_num)).toEqual([1, 2]);
    expect(r.evaluation!.descriptor.uid).toBe('v');
    expect(r.evaluation!.events.map((e) => e.data.step)).toEqual([1, 2]);
    // the line each event was read from, though the streams interleave
    expect(r.events.map(eventLine)).toEqual([5, 6]);
    expect(r.evaluation!.events.map(eventLine)).toEqual([4, 7]);
    expect(eventLine({ seq_num: 3 })).toBe(5); // an event not read from a file: as in a file of one stream
    expect(() => readRun(runFile([['start', start], ['descriptor', desc], ['descriptor', evalDesc], evEval(1), evEval(3)]))).toThrow(/line 5: event seq_num 3, expected 2 \(seq_num runs 1, 2, ... without gaps in each stream\)/);
    expect(() => readRun(runFile([['start', start], ['descriptor', desc], evEval(1)]))).toThrow(/line 3: event descriptor "v" is not a descriptor uid of the run \("d"\) written before it/);
    expect(() => readRun(runFile([['start', start], ['descriptor', desc], ['descriptor', { ...evalDesc, name: 'baseline' }]]))).toThrow(/line 3: a descriptor named "baseline"/);
    expect(() => readRun(runFile([['start', start], ['descriptor', desc], ['descriptor', evalDesc], ['descriptor', { ...evalDesc, uid: 'w' }]]))).toThrow(/line 4: a descriptor named "evaluation" after the evaluation descriptor/);
    expect(() => readRun(runFile([['start', start], ['descriptor', desc], ['descriptor', { ...evalDesc, run_start: 'x' }]]))).toThrow(/line 3: descriptor run_start "x"/);
    expect(() => readRun(runFile([['start', start], ['descriptor', desc], ['descriptor', evalDesc], evEval(1), stop({ primary: 0, evaluation: 2 })]))).toThrow(/line 5: stop num_events.evaluation is 2 but the file holds 1 evaluation events/);
  });

  it('a truncated file keeps every complete line', () => {
    const path = runFile([['start', start], ['descriptor', desc], ev(1), ev(2), ev(3)]);
    const size = statSync(path).size;
    for (const cut of [size - 1, size - 10, size - 40]) {
      truncateSync(path, cut);
      const r = readRun(path);
      expect(r.torn).toBe(true);
      expect(r.events.map((e) => e.seq_num)).toEqual([1, 2]);
    }
  });

  describe('batched writes (batchEvents, for a board that dies with this process)', () => {
    /** The document names on disk, in order (what a reader or a resume after kill -9 would find). */
    const onDisk = (path: string): string[] =>
      readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l)[0] as string);

    it('writes once batchEvents events wait, keeping their order, and before any other document', async () => {
      const path = fresh();
      const timers = new ManualTimers();
      const w = RunWriter.create(path, startDoc(), descriptorInput(), { timers, batchEvents: 3 });
      const size0 = statSync(path).size;
      w.append(stepData(0));
      w.append(stepData(1));
      expect(statSync(path).size).toBe(size0); // waiting in this process
      expect(w.lastSeq).toBe(2);
      w.append(stepData(2));
      expect(onDisk(path)).toEqual(['start', 'descriptor', 'event', 'event', 'event']);
      w.append(stepData(3));
      // another document (the evaluation stream's descriptor) goes after the event waiting before it
      w.addEvaluationStream({ data_keys: { step: { dtype: 'integer', shape: [], source: 'host:engine' } } });
      expect(onDisk(path)).toEqual(['start', 'descriptor', 'event', 'event', 'event', 'event', 'descriptor']);
      w.append(stepData(4));
      w.appendEvaluation({ step: 5 });
      await w.stop('success');
      const r = readRun(path);
      expect(r.events.map((e) => e.data.step)).toEqual([0, 1, 2, 3, 4]);
      expect(r.evaluation?.events.map((e) => e.data.step)).toEqual([5]);
      expect(r.stop?.num_events).toEqual({ primary: 5, evaluation: 1 });
    });

    it('an event waits at most fsyncIntervalMs: the fsync timer writes it (and syncs), and so does a later append', async () => {
      const path = fresh();
      const timers = new ManualTimers();
      let durable!: (seq: number) => void;
      const madeDurable = new Promise<number>((r) => (durable = r));
      const w = RunWriter.create(path, startDoc(), descriptorInput(), { timers, fsyncIntervalMs: 20, batchEvents: 64, onDurable: (s) => durable(s) });
      w.append(stepData(0));
      timers.advance(19.9);
      expect(onDisk(path)).toEqual(['start', 'descriptor']);
      timers.advance(0.1); // the fsync timer: written, then synced
      expect(onDisk(path)).toEqual(['start', 'descriptor', 'event']);
      expect(await madeDurable).toBe(1);
      // a loop that does not let the timer run: the append that finds the oldest waiting event 20 ms old writes
      w.append(stepData(1));
      timers.t += 25;
      w.append(stepData(2));
      expect(onDisk(path).filter((d) => d === 'event')).toHaveLength(3);
      expect(w.durableSeq).toBe(3);
      await w.stop('success');
    });

    it('close writes the waiting events (the run stays resumable with every appended step); batchEvents is checked', async () => {
      const path = fresh();
      const w = RunWriter.create(path, startDoc(), descriptorInput(), { batchEvents: 8 });
      for (let i = 0; i < 5; i++) w.append(stepData(i));
      await w.close();
      const { writer, record } = RunWriter.resume(path, { batchEvents: 8 });
      expect(record.events.map((e) => e.seq_num)).toEqual([1, 2, 3, 4, 5]);
      writer.append(stepData(5));
      writer.batchEvents(1); // back to one write per event: what waits is written first
      expect(readRun(path).events.map((e) => e.seq_num)).toEqual([1, 2, 3, 4, 5, 6]);
      writer.append(stepData(6));
      expect(readRun(path).events).toHaveLength(7);
      expect(() => writer.batchEvents(0)).toThrow(InvalidInputError);
      expect(() => RunWriter.create(fresh(), startDoc(), descriptorInput(), { batchEvents: 1.5 })).toThrow(/batchEvents/);
      await writer.stop('success');
      expect(readRun(path).status).toBe('complete');
    });
  });
});
