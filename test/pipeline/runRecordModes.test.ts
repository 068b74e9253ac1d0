/**
 * Issue 15, points 1 and 2: every run mode's record — board runs host- and device-stepped, tap and gate, calibrated or
 * not, simulated runs, each fresh and resumed — validates line by line against clln's run-record JSON Schema
 * (src/formats/schemas/clln.run-record-1.schema.json) and each document against Bluesky's own event-model schemas
 * (test/store/event-model/, unmodified); records its evaluations as the stream `evaluation` (a resumed run without gaps
 * or doubles); names raw and calibrated readings apart; tells lab tools what to plot (hints, object_keys) and how the
 * board and rule were configured.
 *
 * Issue 11, point 9: a run record says exactly what it holds. Every kind of run the engine records — host- and
 * device-stepped, on a tap board (penn-gen1) and a gate board (penn-gen2), without and with a calibration, and each
 * of them interrupted and resumed with `clln resume` — is made the way a user makes it (the CLI, in-process, on
 * the in-process twin), and every event of it is checked against its descriptor: keys present and nothing else,
 * shapes, dtypes, null only where declared nullable; and every reading says which node it belongs to, checked
 * against the run's task. (Autonomous runs, `Board.runSchedule`, are not recorded by clln.)
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/Io.js';
import { descriptorProblems, eventProblems } from '../../src/store/eventProblems.js';
import { readRun } from '../../src/store/readRun.js';
import { tempDir } from '../store/helpers.js';
import { readParquet } from '../store/parquetReader.js';
import { schemaProblems } from './recordSchemas.js';
import { gunzipSync } from 'node:zlib';
import type { RunRecord } from '../../src/store/documents.js';

const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8'));

/** Bluesky's grouping: object_keys covers every data key once, each key names its object, hints name keys of their object. */
function expectLabToolsCanPlot(d: RunRecord['descriptor']): void {
  const keys = Object.keys(d.data_keys).sort();
  const objectKeys = d.object_keys as Record<string, string[]>;
  expect(Object.values(objectKeys).flat().sort()).toEqual(keys);
  for (const [obj, ks] of Object.entries(objectKeys)) for (const k of ks) expect(d.data_keys[k].object_name).toBe(obj);
  const hints = d.hints as Record<string, { fields: string[] }>;
  expect(Object.keys(hints).sort()).toEqual(Object.keys(objectKeys).sort());
  for (const [obj, h] of Object.entries(hints)) for (const f of h.fields) expect(objectKeys[obj]).toContain(f);
  // something to plot: a scalar number
  expect(Object.values(hints).flatMap((h) => h.fields).some((f) => d.data_keys[f].dtype === 'number')).toBe(true);
}

/**
 * The evaluation stream (contract A): its descriptor just before its first event, steps 0, EVERY, 2 EVERY, ... and the
 * finish's, seq_num 1, 2, ...; test_mse is the mean over test examples and targets of (output - desired)^2 computed
 * from the recorded test_outputs and the task's test set.
 */
function expectEvaluations(path: string, steps: number[], taskPath: string): void {
  const run = readRun(path);
  const ev = run.evaluation!;
  expect(ev.descriptor.name).toBe('evaluation');
  expect(ev.descriptor.layout).toBe('clln.evaluations/1');
  const task = json(taskPath) as { test: { out: number[] }[]; targets: number[] };
  const keys = ev.descriptor.data_keys;
  expect(Object.keys(keys)).toEqual(['step', 'train_mse', 'test_mse', 'test_outputs', 'final']);
  expect(keys.test_outputs).toMatchObject({ dtype: 'array', shape: [task.test.length, task.targets.length], dims: ['example', 'target'], dtype_numpy: '<f8', units: 'V', nullable: true });
  expect([keys.train_mse.units, keys.test_mse.units]).toEqual(['V^2', 'V^2']);
  expect(descriptorProblems(keys)).toEqual([]);
  expect(ev.events.flatMap((e) => eventProblems(keys, e.data))).toEqual([]);
  expect(ev.events.map((e) => e.data.step)).toEqual(steps);
  expect(ev.events.map((e) => e.seq_num)).toEqual(steps.map((_, i) => i + 1));
  expect(ev.events.map((e) => e.data.final)).toEqual(steps.map((_, i) => i === steps.length - 1));
  for (const e of ev.events) {
    const outs = e.data.test_outputs as number[][];
    const mse = outs.reduce((sum, o, m) => sum + o.reduce((s2, v, t) => s2 + (v - task.test[m].out[t]) ** 2, 0) / o.length, 0) / outs.length;
    expect(e.data.test_mse as number).toBeCloseTo(mse, 12);
  }
  // the descriptor is written just before the first evaluation event
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as [string, { uid: string; descriptor?: string }]);
  const at = lines.findIndex(([name, d]) => name === 'descriptor' && d.uid === ev.descriptor.uid);
  expect(lines[at + 1][1].descriptor).toBe(ev.descriptor.uid);
  expect(run.stop?.num_events).toEqual({ primary: run.events.length, evaluation: ev.events.length });
  expect(run.stop?.reason).not.toBe('');
}

/** The file as it was when the host was killed after `steps` primary events (each line is written whole). */
function cutAfterSteps(path: string, steps: number, out: string): void {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
  const primary = (JSON.parse(lines[1]) as [string, { uid: string }])[1].uid;
  let seen = 0;
  const end = lines.findIndex((l) => {
    const [name, d] = JSON.parse(l) as [string, { descriptor?: string }];
    return name === 'event' && d.descriptor === primary && ++seen === steps;
  });
  writeFileSync(out, lines.slice(0, end + 1).join('\n') + '\n');
}

const dir = tempDir('clln-modes-');
const CALIBRATIONS = resolve(__dirname, '../../calibration/examples');

/** Run the CLI in-process; returns the exit code and what it wrote. */
async function clln(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void): Writable =>
    new Writable({
      write(chunk, _enc, cb) {
        add(String(chunk));
        cb();
      },
    });
  const io = { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) } as unknown as Io;
  const code = await main(argv, io);
  return { code, out, err };
}

const BOARDS = [
  { model: 'penn-gen1', spec: 'twin', edge: 'tap' },
  { model: 'penn-gen2', spec: 'twin:penn-gen2', edge: 'gate' },
] as const;
const TARGETS = [9, 10];
const SOURCES = [0, 3];
const STEPS = 6;
const EVERY = 2;
/** The evaluations of a run of STEPS steps with --eval-every EVERY: before, every EVERY steps, and the finish's. */
const EVALUATED = [0, 2, 4, 6];

beforeAll(async () => {
  for (const b of BOARDS) {
    expect((await clln('network', 'board', b.model, '--out', join(dir, `${b.model}.json`))).code).toBe(0);
    const t = await clln('task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', SOURCES.join(','), '--targets', TARGETS.join(','), '--ground', '15', '--count', '5', '--test', '2', '--network', join(dir, `${b.model}.json`), '--out', join(dir, `${b.model}-task.json`));
    expect(t.code).toBe(0);
  }
}, 60000);

/** Every event of the record at `path` against its descriptor; the node lists against the run's task. */
function expectExactRecord(path: string, update: 'host' | 'device', events: number, calibrated: boolean, taskPath: string): void {
  const run = readRun(path);
  const keys = run.descriptor.data_keys;
  expect(schemaProblems(path)).toEqual([]);
  expectLabToolsCanPlot(run.descriptor);
  expect(descriptorProblems(keys)).toEqual([]);
  expect(run.events).toHaveLength(events);
  const problems = run.events.flatMap((ev) => eventProblems(keys, ev.data).map((p) => `event ${ev.seq_num}: ${p}`));
  expect(problems).toEqual([]);
  // which node each value belongs to
  const all = Array.from({ length: 16 }, (_, i) => i);
  expect(keys.inputs.nodes).toEqual(SOURCES);
  expect(keys.vf.nodes).toEqual(update === 'host' ? all : TARGETS);
  if (update === 'host') expect(keys.vc.nodes).toEqual(all);
  else expect(keys.vc).toBeUndefined(); // the board's STEP does not report the clamped state
  for (const k of ['inputs', 'vf', 'vc']) if (keys[k]) expect(keys[k].units).toBe('V');
  // raw and calibrated readings apart: a calibrated run records the ADC's readings as vf_raw (and vc_raw)
  expect(keys.vf_raw?.units).toBe(calibrated ? 'V (raw ADC)' : undefined);
  expect(keys.vc_raw?.units).toBe(calibrated && update === 'host' ? 'V (raw ADC)' : undefined);
  if (calibrated) expect(keys.vf_raw.nodes).toEqual(keys.vf.nodes);
  // the cost is 1/2 sum_T (vf_T - desired_T)^2 of the recorded vf: vf is in the volts of the cost (calibrated ones
  // in a calibrated run), which the raw readings are not
  const task = json(taskPath) as { train: { out: number[] }[] };
  for (const ev of run.events) {
    const d = ev.data as { example: number; vf: number[]; vf_raw?: number[]; cost: number };
    const at = (v: number[], n: number): number => v[keys.vf.nodes!.indexOf(n)];
    const cost = (v: number[]): number => 0.5 * TARGETS.reduce((s2, n, t) => s2 + (at(v, n) - task.train[d.example].out[t]) ** 2, 0);
    expect(cost(d.vf)).toBeCloseTo(d.cost, 12);
    if (calibrated) expect(Math.abs(cost(d.vf_raw!) - d.cost)).toBeGreaterThan(1e-9);
  }
  const config = run.descriptor.configuration as Record<string, { data: Record<string, unknown> }>;
  expect(config.board.data.model).toBe((run.start.board as { model: string }).model);
  expect(config.rule.data).toMatchObject({ update, steps: STEPS, eval_every: EVERY });
  expect(config.calibration?.data.id).toBe(calibrated ? (run.start.calibration as { id: string }).id : undefined);
  expect((run.start as { hints?: unknown }).hints).toEqual({ dimensions: [[['step'], 'primary']] });
  // a step is checked against the Laplacian only when every node was measured (both models' laws are known)
  expect(keys.alarm !== undefined).toBe(update === 'host');
  expect(keys.residual_max !== undefined).toBe(update === 'host');
  expect(keys.settings.dims).toEqual(['edge']);
  if (update === 'host') {
    // the readings at the source nodes are the inputs imposed there (ideal DAC and ADC within a few mV)
    for (const ev of run.events) {
      const vf = (ev.data.vf_raw ?? ev.data.vf) as number[];
      const inputs = ev.data.inputs as number[];
      SOURCES.forEach((n, i) => expect(Math.abs(vf[keys.vf.nodes!.indexOf(n)] - inputs[keys.inputs.nodes!.indexOf(n)])).toBeLessThan(0.02));
    }
  }
}

/** The CSV and Parquet exports label readings by node, and hold only what was measured. */
async function expectColumnsByNode(path: string, update: 'host' | 'device'): Promise<void> {
  const all = Array.from({ length: 16 }, (_, i) => i);
  const csv = await clln('export', path, '--csv', '-');
  expect(csv.code).toBe(0);
  const header = csv.out.split('\r\n')[0].split(',');
  expect(header.filter((c) => c.startsWith('inputs'))).toEqual(SOURCES.map((n) => `inputs_${n}`));
  expect(header.filter((c) => /^vf_\d/.test(c))).toEqual((update === 'host' ? all : TARGETS).map((n) => `vf_${n}`));
  expect(header.filter((c) => /^vc_\d/.test(c))).toEqual(update === 'host' ? all.map((n) => `vc_${n}`) : []);
  expect(header.includes('alarm')).toBe(update === 'host');
  const pq = `${path}.parquet`;
  expect((await clln('export', path, '--parquet', pq)).code).toBe(0);
  const p = readParquet(new Uint8Array(readFileSync(pq)));
  expect(p.columns.map((c) => c.name)).toEqual(header);
  expect(JSON.parse(p.metadata['clln.descriptor']).layout).toBe('clln.steps/3');
  // the evaluation stream beside it
  const e = readParquet(new Uint8Array(readFileSync(pq.replace(/\.parquet$/, '.evaluation.parquet'))));
  expect(e.columns.map((c) => c.name)).toEqual(['seq_num', 'time', 'step', 'train_mse', 'test_mse', 'test_outputs_0_0', 'test_outputs_0_1', 'test_outputs_1_0', 'test_outputs_1_1', 'final']);
  expect(JSON.parse(e.metadata['clln.descriptor']).name).toBe('evaluation');
  // contract B on the real exports, read by hyparquet: integer taps, a UTC timestamp, units per column
  const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
  for (const [file, unitsOf] of [
    [pq, { cost: 'V^2', vf_9: 'V', inputs_0: 'V' }],
    [pq.replace(/\.parquet$/, '.evaluation.parquet'), { train_mse: 'V^2', test_mse: 'V^2', test_outputs_1_1: 'V' }],
  ] as const) {
    const b = readFileSync(file);
    const buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    const meta = parquetMetadata(buf);
    const schema = Object.fromEntries(meta.schema.slice(1).map((s) => [s.name, s]));
    expect(schema.time.logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' });
    expect(schema.seq_num.type).toBe('INT64');
    const chunks = meta.row_groups[0].columns.map((c) => c.meta_data!);
    expect(new Set(chunks.map((c) => c.codec))).toEqual(new Set(['GZIP']));
    const units = Object.fromEntries(chunks.map((c) => [c.path_in_schema.join('.'), c.key_value_metadata?.find((kv) => kv.key === 'units')?.value]));
    expect(units).toMatchObject(unitsOf);
    const rows = await parquetReadObjects({ file: buf, compressors: { GZIP: (x: Uint8Array) => new Uint8Array(gunzipSync(x)) } });
    const times = readRun(path);
    const events = file === pq ? times.events : times.evaluation!.events;
    expect(rows.map((r) => (r.time as Date).getTime())).toEqual(events.map((ev) => Math.round(ev.time * 1e3)));
    if (file === pq) {
      const tap = JSON.parse(p.metadata['clln.descriptor']).data_keys.settings.units === 'tap';
      expect(schema.settings_0.type).toBe(tap ? 'INT64' : 'DOUBLE');
      if (schema.vf_raw_9) expect(units.vf_raw_9).toBe('V (raw ADC)');
    }
  }
}

describe('every event of every run mode holds what its descriptor declares', () => {
  for (const b of BOARDS) {
    for (const update of ['host', 'device'] as const) {
      for (const calibrated of [false, true]) {
        const name = `${b.edge} board (${b.model}), ${update}-stepped, ${calibrated ? 'calibrated' : 'uncalibrated'}, fresh and resumed`;
        it(name, async () => {
          const net = join(dir, `${b.model}.json`);
          const task = join(dir, `${b.model}-task.json`);
          const path = join(dir, `${b.model}-${update}-${calibrated ? 'cal' : 'raw'}.jsonl`);
          const cal = calibrated ? ['--calibration', join(CALIBRATIONS, `${b.model}-twin-seed0.json`)] : [];
          const r = await clln('train', net, task, '--board', b.spec, '--update', update, '--steps', String(STEPS), '--eval-every', String(EVERY), '--order', 'sequential', '--record', path, '--json', ...cal);
          expect(r.err.replace(/clln( train)?: warning[^\n]*\n/g, '')).toBe('');
          expect(r.code).toBe(0);
          expectExactRecord(path, update, STEPS, calibrated, task);
          expectEvaluations(path, EVALUATED, task);
          // --json returns the evaluations the record holds
          const recorded = readRun(path).evaluation!.events.map((e) => ({ step: e.data.step, train_mse: e.data.train_mse, test_mse: e.data.test_mse }));
          expect(JSON.parse(r.out).evaluations).toEqual(recorded);
          await expectColumnsByNode(path, update);

          // killed after step 3 (evaluated at 0 and 2), and after step 4 (before its evaluation at 4): both resumed
          // runs record the evaluations of an uninterrupted one, without gaps or doubles
          for (const killedAfter of [3, 4]) {
            const cut = join(dir, `${b.model}-${update}-${calibrated ? 'cal' : 'raw'}-resumed-${killedAfter}.jsonl`);
            cutAfterSteps(path, killedAfter, cut);
            const resumed = await clln('resume', cut, '--json');
            expect(resumed.code).toBe(0);
            expectExactRecord(cut, update, STEPS, calibrated, task);
            expectEvaluations(cut, EVALUATED, task);
            expect(readRun(cut).status).toBe('complete');
          }
        }, 60000);
      }
    }
  }
});

describe('simulated runs record the same streams', () => {
  it('fresh, and killed and resumed: schemas, evaluations, hints and configuration', async () => {
    const net = join(dir, 'sim-net.json');
    const task = join(dir, 'sim-task.json');
    expect((await clln('network', 'lattice', '3x3', '--out', net)).code).toBe(0);
    expect((await clln('task', 'linear', '--matrix', '0.3,0.2', '--sources', '0,2', '--targets', '4', '--ground', '8', '--count', '4', '--test', '3', '--network', net, '--out', task)).code).toBe(0);
    const path = join(dir, 'sim.jsonl');
    const r = await clln('train', net, task, '--steps', String(STEPS), '--eval-every', String(EVERY), '--order', 'sequential', '--record', path, '--json');
    expect(r.code).toBe(0);
    expect(schemaProblems(path)).toEqual([]);
    const run = readRun(path);
    expectLabToolsCanPlot(run.descriptor);
    expect((run.descriptor.configuration as Record<string, { data: Record<string, unknown> }>).simulation.data).toMatchObject({ rule: 'cl', steps: STEPS, eval_every: EVERY });
    expectEvaluations(path, EVALUATED, task);
    expect(JSON.parse(r.out).evaluations).toEqual(run.evaluation!.events.map((e) => ({ step: e.data.step, train_mse: e.data.train_mse, test_mse: e.data.test_mse })));
    // clln runs counts the evaluations and shows the last test MSE
    const listed = (JSON.parse((await clln('runs', dir, '--json')).out) as { file: string; evaluations: number; last_test_mse: number | null }[]).find((x) => x.file === 'sim.jsonl')!;
    expect(listed).toMatchObject({ evaluations: EVALUATED.length, last_test_mse: run.evaluation!.events[EVALUATED.length - 1].data.test_mse });
    // clln export writes the evaluation stream beside the steps
    const exported = await clln('export', path, '--csv', join(dir, 'sim.csv'));
    expect(exported.code).toBe(0);
    expect(exported.out).toContain(`to ${join(dir, 'sim.evaluation.csv')}`);
    const evalCsv = readFileSync(join(dir, 'sim.evaluation.csv'), 'utf8').split('\r\n');
    expect(evalCsv[0]).toBe('seq_num,time,step,train_mse,test_mse,test_outputs_0_0,test_outputs_1_0,test_outputs_2_0,final');
    expect(evalCsv.slice(1, -1).map((l) => Number(l.split(',')[2]))).toEqual(EVALUATED);
    for (const killedAfter of [3, 4]) {
      const cut = join(dir, `sim-resumed-${killedAfter}.jsonl`);
      cutAfterSteps(path, killedAfter, cut);
      expect((await clln('resume', cut, '--json')).code).toBe(0);
      expect(schemaProblems(cut)).toEqual([]);
      expectEvaluations(cut, EVALUATED, task);
      // the simulation is deterministic: the resumed run's evaluations are the uninterrupted run's, bit for bit
      expect(readRun(cut).evaluation!.events.map((e) => e.data)).toEqual(run.evaluation!.events.map((e) => e.data));
    }
  }, 60000);
});

/** Records written by clln 0.1.0 (before point 9): still listed, exported and resumed. */
describe('records of earlier versions', () => {
  it('are listed, resumed in their own layout, and exported with columns named by node', async () => {
    const legacy = resolve(__dirname, '../store/legacy');
    const runs = tempDir('clln-legacy-');
    for (const f of ['device-tap-interrupted-v0.1.0.jsonl', 'host-tap-complete-v0.1.0.jsonl']) copyFileSync(join(legacy, f), join(runs, f));
    const list = JSON.parse((await clln('runs', runs, '--json')).out) as { file: string; status: string; steps: number }[];
    expect(list.map((r) => [r.file, r.status, r.steps])).toEqual([
      ['device-tap-interrupted-v0.1.0.jsonl', 'interrupted', 3],
      ['host-tap-complete-v0.1.0.jsonl', 'complete', 6],
    ]);
    const device = join(runs, 'device-tap-interrupted-v0.1.0.jsonl');
    const resumed = await clln('resume', device, '--json');
    expect(resumed.code).toBe(0);
    const run = readRun(device);
    expect(run.events.map((e) => e.seq_num)).toEqual([1, 2, 3, 4, 5, 6]);
    // the appended events have the layout of the events before them
    expect(run.events.map((e) => Object.keys(e.data))).toEqual(Array(6).fill(Object.keys(run.events[0].data)));
    expect(run.events.map((e) => (e.data.vf as number[]).length)).toEqual(Array(6).fill(2));

    const csv = (await clln('export', device, '--csv', '-')).out.split('\r\n');
    const header = csv[0].split(',');
    expect(header.filter((c) => c.startsWith('vf'))).toEqual(['vf_9', 'vf_10']);
    expect(header.filter((c) => c.startsWith('inputs'))).toEqual(['inputs_0', 'inputs_3']);
    expect(header).not.toContain('vc');
    expect(header).not.toContain('alarm'); // device-stepped steps were never checked
    const host = (await clln('export', join(runs, 'host-tap-complete-v0.1.0.jsonl'), '--csv', '-')).out.split('\r\n')[0].split(',');
    expect(host.filter((c) => c.startsWith('vf'))).toEqual(Array.from({ length: 16 }, (_, i) => `vf_${i}`));
    expect(host.filter((c) => c.startsWith('vc'))).toEqual(Array.from({ length: 16 }, (_, i) => `vc_${i}`));
    expect(host).toContain('alarm');
  }, 60000);
});
