/**
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

beforeAll(async () => {
  for (const b of BOARDS) {
    expect((await clln('network', 'board', b.model, '--out', join(dir, `${b.model}.json`))).code).toBe(0);
    const t = await clln('task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', SOURCES.join(','), '--targets', TARGETS.join(','), '--ground', '15', '--count', '5', '--test', '2', '--network', join(dir, `${b.model}.json`), '--out', join(dir, `${b.model}-task.json`));
    expect(t.code).toBe(0);
  }
}, 60000);

/** Every event of the record at `path` against its descriptor; the node lists against the run's task. */
function expectExactRecord(path: string, update: 'host' | 'device', events: number): void {
  const run = readRun(path);
  const keys = run.descriptor.data_keys;
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
  // a step is checked against the Laplacian only when every node was measured (both models' laws are known)
  expect(keys.alarm !== undefined).toBe(update === 'host');
  expect(keys.settings.dims).toEqual(['edge']);
  if (update === 'host') {
    // the readings at the source nodes are the inputs imposed there (ideal DAC and ADC within a few mV)
    for (const ev of run.events) {
      const vf = ev.data.vf as number[];
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
  expect(header.filter((c) => c.startsWith('vf'))).toEqual((update === 'host' ? all : TARGETS).map((n) => `vf_${n}`));
  expect(header.filter((c) => c.startsWith('vc'))).toEqual(update === 'host' ? all.map((n) => `vc_${n}`) : []);
  expect(header.includes('alarm')).toBe(update === 'host');
  const pq = `${path}.parquet`;
  expect((await clln('export', path, '--parquet', pq)).code).toBe(0);
  const p = readParquet(new Uint8Array(readFileSync(pq)));
  expect(p.columns.map((c) => c.name)).toEqual(header);
  expect(JSON.parse(p.metadata['clln.descriptor']).layout).toBe('clln.steps/2');
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
          const r = await clln('train', net, task, '--board', b.spec, '--update', update, '--steps', String(STEPS), '--order', 'sequential', '--record', path, '--json', ...cal);
          expect(r.err.replace(/clln( train)?: warning[^\n]*\n/g, '')).toBe('');
          expect(r.code).toBe(0);
          expectExactRecord(path, update, STEPS);
          await expectColumnsByNode(path, update);

          // killed after step 3: the file as it was then (lines are appended whole, one write each), then resumed
          const lines = readFileSync(path, 'utf8').split('\n');
          const cut = join(dir, `${b.model}-${update}-${calibrated ? 'cal' : 'raw'}-resumed.jsonl`);
          writeFileSync(cut, lines.slice(0, 2 + 3).join('\n') + '\n');
          const resumed = await clln('resume', cut, '--json');
          expect(resumed.code).toBe(0);
          expectExactRecord(cut, update, STEPS);
          expect(readRun(cut).status).toBe('complete');
        }, 60000);
      }
    }
  }
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
