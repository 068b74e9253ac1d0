/**
 * Store benchmark (issue 4): what durability costs. Appends events of a 16-node board's size (vf and vc of 16
 * nodes, 42 edge settings, inputs, cost, ...) with RunWriter in three modes:
 *   - no fsync: the line reaches the OS on append (survives kill -9 of the host), never forced to disk;
 *   - batched:  fsync at most 100 ms after a write (the default: survives a power cut except the last 100 ms);
 *   - per event: fsync before append returns (fsyncIntervalMs 0).
 * Each mode runs twice: in a tight loop (append after append, so a batched fsync happens in line once the oldest
 * unsynced write is 100 ms old) and in a yielding loop (one `setImmediate` per step, as a training loop awaiting
 * the board yields, so the batching timer fsyncs off the event loop). The files go to a temporary directory
 * in the working directory's file system (where runs/ lives), not necessarily /tmp (often a RAM disk).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RunWriter, type RunWriterOptions } from '../src/store/RunWriter.js';
import { ratio, table } from './timing.js';

export interface StoreBenchRow {
  mode: string;
  loop: 'tight' | 'yielding';
  events: number;
  eventsPerSecond: number;
  usPerEvent: number;
  /** Median and 99th percentile of one append call, microseconds. */
  appendMedianUs: number;
  appendP99Us: number;
  fsyncs: number;
  bytesPerEvent: number;
  /** usPerEvent / usPerEvent of no fsync with the same loop. */
  vsNoFsync: number;
}

export interface StoreBenchResults {
  dir: string;
  repeats: number;
  rows: StoreBenchRow[];
}

const NODES = 16;
const EDGES = 42;

const dataKeys = {
  step: { dtype: 'integer', shape: [], source: 'host' },
  example: { dtype: 'integer', shape: [], source: 'host' },
  inputs: { dtype: 'array', shape: [2], source: 'task', units: 'V' },
  vf: { dtype: 'array', shape: [NODES], source: 'board:ADC', units: 'V' },
  vc: { dtype: 'array', shape: [NODES], source: 'board:ADC', units: 'V' },
  settings: { dtype: 'array', shape: [EDGES], source: 'board' },
  changed: { dtype: 'integer', shape: [], source: 'host:rule' },
  cost: { dtype: 'number', shape: [], source: 'host', units: 'V^2' },
  residual_max: { dtype: 'number', shape: [], source: 'host:check', units: 'A' },
  alarm: { dtype: 'boolean', shape: [], source: 'host:check' },
} as const;

function stepData(i: number): Record<string, unknown> {
  return {
    step: i,
    example: i % 40,
    inputs: [Math.random() * 0.5, Math.random() * 0.5],
    vf: Array.from({ length: NODES }, () => Math.random()),
    vc: Array.from({ length: NODES }, () => Math.random()),
    settings: Array.from({ length: EDGES }, () => Math.floor(Math.random() * 64)),
    changed: Math.floor(Math.random() * EDGES),
    cost: Math.random() * 1e-3,
    residual_max: Math.random() * 1e-9,
    alarm: false,
  };
}

async function one(dir: string, name: string, mode: string, loop: 'tight' | 'yielding', events: number, opts: RunWriterOptions): Promise<Omit<StoreBenchRow, 'vsNoFsync'>> {
  const path = join(dir, `${name}-${loop}.jsonl`);
  let fsyncs = 0;
  const w = RunWriter.create(path, { uid: `bench-${name}-${loop}`, time: Date.now() / 1000, plan_name: 'bench' }, { data_keys: dataKeys }, { ...opts, onDurable: () => fsyncs++ });
  const data = Array.from({ length: events }, (_, i) => stepData(i)); // made before timing
  const lat = new Float64Array(events);
  const sizeBefore = statSync(path).size;
  const t0 = performance.now();
  for (let i = 0; i < events; i++) {
    const a = performance.now();
    w.append(data[i]);
    lat[i] = performance.now() - a;
    if (loop === 'yielding') await new Promise((r) => setImmediate(r));
  }
  const ms = performance.now() - t0;
  await w.close();
  const bytes = statSync(path).size - sizeBefore;
  lat.sort();
  return {
    mode,
    loop,
    events,
    eventsPerSecond: events / (ms / 1000),
    usPerEvent: (ms * 1000) / events,
    appendMedianUs: lat[Math.floor(events / 2)] * 1000,
    appendP99Us: lat[Math.floor(events * 0.99)] * 1000,
    fsyncs,
    bytesPerEvent: bytes / events,
  };
}

/**
 * Run the store benchmark: `events` appends per mode and loop (default 5000), each configuration `repeats` times
 * (default 3; the run with the median time is reported), in `dir` (default the working directory).
 */
export async function runStoreBench(opts: { events?: number; dir?: string; repeats?: number } = {}): Promise<StoreBenchResults> {
  const events = opts.events ?? 5000;
  const repeats = opts.repeats ?? 3;
  const dir = mkdtempSync(join(opts.dir ?? process.cwd(), '.clln-store-bench-'));
  const modes: [string, string, RunWriterOptions][] = [
    ['none', 'no fsync', { unsafeNoFsync: true }],
    ['batched', 'fsync batched 100 ms', { fsyncIntervalMs: 100 }],
    ['each', 'fsync per event', { fsyncIntervalMs: 0 }],
  ];
  const rows: StoreBenchRow[] = [];
  try {
    await one(dir, 'warmup', 'warm-up', 'tight', events, { unsafeNoFsync: true }); // JIT, file system caches
    for (const loop of ['tight', 'yielding'] as const) {
      let base = NaN;
      for (const [name, mode, o] of modes) {
        const runs = [];
        for (let k = 0; k < repeats; k++) runs.push(await one(dir, `${name}${k}`, mode, loop, events, o));
        runs.sort((a, b) => a.usPerEvent - b.usPerEvent);
        const r = runs[Math.floor(runs.length / 2)];
        if (name === 'none') base = r.usPerEvent;
        rows.push({ ...r, vsNoFsync: r.usPerEvent / base });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { dir, repeats, rows };
}

/** The results as a table and a verdict line. */
export function printStore(r: StoreBenchResults): string {
  const t = table(
    ['mode', 'loop', 'events', 'events/s', 'us/event', 'append median us', 'append p99 us', 'fsyncs', 'bytes/event', 'vs no fsync'],
    r.rows.map((x) => [
      x.mode,
      x.loop,
      String(x.events),
      x.eventsPerSecond.toFixed(0),
      x.usPerEvent.toFixed(1),
      x.appendMedianUs.toFixed(1),
      x.appendP99Us.toFixed(1),
      String(x.fsyncs),
      x.bytesPerEvent.toFixed(0),
      ratio(x.vsNoFsync),
    ]),
  );
  return `${t}\n\n(median of ${r.repeats} runs each; files in ${r.dir}; 'yielding' awaits setImmediate after each append, as a loop awaiting a board does)\n`;
}
