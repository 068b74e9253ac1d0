/**
 * Issue 15, point 1: `clln report RUN [--svg DIR] [--png] [--json]` draws a recorded run's learning curve, its test
 * set's predicted against target outputs, its edge settings against step and its alarms on the time axis; point 5:
 * those figures are fit for a paper. The evaluation stream of a real run record is replaced by one written by hand,
 * exactly as contract A describes it (a second descriptor `evaluation`, layout clln.evaluations/1), with MSEs falling
 * over three decades, and the expected values are read back from the JSON lines independently of clln.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { clln } from './inProcess.js';
import { checkPaperFigure, checkPngFile } from '../figures/figureChecks.js';
import { byClass, parseSvg, type Node } from '../figures/svgChecks.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-report-'));
const p = (f: string): string => join(dir, f);

type Doc = [string, Record<string, any>];
const readDocs = (path: string): Doc[] => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Doc);
const writeDocs = (path: string, docs: Doc[]): void => writeFileSync(path, docs.map((d) => JSON.stringify(d)).join('\n') + '\n');

interface Eval {
  step: number;
  train_mse: number;
  test_mse: number | null;
  test_outputs: number[][] | null;
  final: boolean;
}

/**
 * A copy of `src` with an evaluation stream per contract A: the descriptor just before the first evaluation, each
 * evaluation at step s just before the primary event of step s (s steps done), the final one after the last event;
 * seq_num per stream; stop.num_events {primary, evaluation}.
 */
function withEvaluations(src: string, out: string, evals: Eval[]): void {
  // the run's own evaluation stream (clln records one) is replaced by the one given
  const own = readDocs(src).find((d) => d[0] === 'descriptor' && d[1].name === 'evaluation')?.[1].uid;
  const docs = readDocs(src).filter((d) => !(d[0] === 'descriptor' && d[1].name === 'evaluation') && !(d[0] === 'event' && d[1].descriptor === own));
  const start = docs[0][1];
  const task = start.task as { targets: number[]; test: unknown[] };
  const M = task.test.length;
  const T = task.targets.length;
  const desc = {
    uid: randomUUID(),
    run_start: start.uid,
    time: docs[1][1].time,
    name: 'evaluation',
    layout: 'clln.evaluations/1',
    data_keys: {
      step: { dtype: 'integer', shape: [], source: 'host:engine' },
      train_mse: { dtype: 'number', shape: [], source: 'host:evaluation', units: 'V^2' },
      test_mse: { dtype: 'number', shape: [], source: 'host:evaluation', units: 'V^2', nullable: true },
      test_outputs: { dtype: 'array', shape: [M, T], dims: ['example', 'target'], dtype_numpy: '<f8', source: 'host:evaluation', units: 'V', nullable: true },
      final: { dtype: 'boolean', shape: [], source: 'host:engine' },
    },
  };
  const result: Doc[] = [docs[0], docs[1]];
  let k = 0;
  let described = false;
  const emit = (e: Eval, time: number): void => {
    if (!described) result.push(['descriptor', desc]);
    described = true;
    k++;
    const data = { ...e };
    result.push(['event', { uid: randomUUID(), descriptor: desc.uid, time, seq_num: k, data, timestamps: Object.fromEntries(Object.keys(data).map((key) => [key, time])) }]);
  };
  const pending = evals.filter((e) => !e.final);
  let primary = 0;
  for (const d of docs.slice(2)) {
    if (d[0] === 'event') {
      while (pending.length > 0 && pending[0].step <= d[1].data.step) emit(pending.shift()!, d[1].time - 1e-3);
      primary++;
      result.push(d);
    } else if (d[0] === 'stop') {
      for (const e of evals.filter((x) => x.final)) emit(e, d[1].time - 1e-3);
      result.push(['stop', { ...d[1], num_events: { primary, evaluation: k } }]);
    }
  }
  writeDocs(out, result);
}

/** The evaluation events of a record, read from its JSON lines. */
function evaluationEvents(path: string): Eval[] {
  const docs = readDocs(path);
  const uid = docs.find((d) => d[0] === 'descriptor' && d[1].name === 'evaluation')?.[1].uid;
  return docs.filter((d) => d[0] === 'event' && d[1].descriptor === uid).map((d) => d[1].data as Eval);
}

/** Pixel <-> value of an axis from its printed tick labels (each <text> sits at its tick). */
function axisMap(root: Node, cls: 'x-ticks' | 'y-ticks', log: boolean): (px: number) => number {
  const ticks = byClass(root, cls)[0].children.map((t) => ({ v: Number(t.text), px: Number(cls === 'x-ticks' ? t.attrs.x : t.attrs.y) }));
  expect(ticks.length).toBeGreaterThanOrEqual(2);
  const f = (v: number): number => (log ? Math.log10(v) : v);
  const [a, b] = [ticks[0], ticks[ticks.length - 1]];
  return (px: number) => {
    const u = f(a.v) + ((px - a.px) / (b.px - a.px)) * (f(b.v) - f(a.v));
    return log ? 10 ** u : u;
  };
}

let evalRun: string;
let evals: Eval[];
let desired: number[][];

beforeAll(async () => {
  expect((await clln('network', 'board', 'penn-gen2', '--out', p('board.json'))).code).toBe(0);
  expect((await clln('task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--range', '0,1', '--count', '12', '--test', '5', '--network', p('board.json'), '--out', p('btask.json'))).code).toBe(0);
  expect((await clln('train', p('board.json'), p('btask.json'), '--board', 'twin:penn-gen2', '--steps', '60', '--seed', '4', '--record', p('board.jsonl'))).code).toBe(0);
  expect((await clln('network', 'board', 'penn-gen1', '--out', p('tap.json'))).code).toBe(0);
  expect((await clln('task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--range', '0,1', '--count', '10', '--test', '0', '--network', p('tap.json'), '--out', p('ttask.json'))).code).toBe(0);
  expect((await clln('train', p('tap.json'), p('ttask.json'), '--board', 'twin', '--update', 'device', '--steps', '30', '--record', p('device.jsonl'))).code).toBe(0);
  expect((await clln('network', 'lattice', '4x4', '--out', p('net.json'))).code).toBe(0);
  expect((await clln('task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--count', '10', '--test', '4', '--network', p('net.json'), '--out', p('task.json'))).code).toBe(0);
  expect((await clln('train', p('net.json'), p('task.json'), '--steps', '200', '--snapshot-every', '20', '--record', p('sim.jsonl'))).code).toBe(0);

  desired = (readDocs(p('board.jsonl'))[0][1].task.test as { out: number[] }[]).map((ex) => ex.out);
  // MSE falling over three decades; the test outputs approach the desired ones (offsets in V)
  evals = [0, 20, 40, 60].map((step, i) => ({
    step,
    train_mse: 2e-2 * 0.1 ** i,
    test_mse: 3e-2 * 0.1 ** i * 1.3,
    test_outputs: desired.map((row, m) => row.map((v, t) => v + 0.02 * (m - 2) * 0.5 ** i + 0.005 * t)),
    final: step === 60,
  }));
  evalRun = p('board-eval.jsonl');
  withEvaluations(p('board.jsonl'), evalRun, evals);
}, 120_000);

describe('clln report', () => {
  it('--json gives the evaluations as recorded', async () => {
    const r = await clln('report', evalRun, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const recorded = evaluationEvents(evalRun);
    expect(recorded).toHaveLength(4);
    expect(out.evaluations).toEqual(recorded.map((e) => ({ step: e.step, train_mse: e.train_mse, test_mse: e.test_mse, final: e.final })));
    expect(out.missing).toEqual([]);
    expect(out.alarms.checked_steps).toBe(60);
  });

  it('the text summary names the run and what it shows', async () => {
    const r = await clln('report', evalRun);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('run board-eval.jsonl (board, complete): network penn-gen2, task btask.json, 60 steps recorded');
    expect(r.stdout).toContain('learning curve: 4 evaluations, steps 0..60');
    expect(r.stdout).toContain('train 2.000e-2 -> 2.000e-5');
    expect(r.stdout).toContain('alarms: ');
    expect(r.stdout).not.toMatch(/no \S+ figure/);
  });

  it('--svg --png: four figures fit for a paper, each also a PNG', async () => {
    const out = p('figs');
    const r = await clln('report', evalRun, '--svg', out, '--png');
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['learning-curve', 'prediction', 'settings', 'alarms']) {
      const svg = readFileSync(join(out, `${f}.svg`), 'utf8');
      checkPaperFigure(svg, ['penn-gen2', 'btask.json', 'board-eval.jsonl']);
      checkPngFile(join(out, `${f}.png`), join(out, `${f}.svg`));
    }
  });

  it('the learning curve: its points are the recorded MSEs, on a log axis ticked at powers of ten', async () => {
    const out = p('figs-lc');
    expect((await clln('report', evalRun, '--svg', out)).code).toBe(0);
    const root = parseSvg(readFileSync(join(out, 'learning-curve.svg'), 'utf8'));
    const recorded = evaluationEvents(evalRun);
    const yTicks = byClass(root, 'y-ticks')[0].children.map((t) => Number(t.text));
    expect(yTicks.length).toBeGreaterThanOrEqual(3);
    for (const t of yTicks) expect(Math.log10(t)).toBeCloseTo(Math.round(Math.log10(t)), 12);
    const toX = axisMap(root, 'x-ticks', false);
    const toY = axisMap(root, 'y-ticks', true);
    const series = byClass(root, 'series');
    expect(series).toHaveLength(2);
    const legend = byClass(root, 'legend')[0].children.filter((c) => c.name === 'text').map((c) => c.text);
    expect(legend).toEqual(['training set', 'test set']);
    for (const [s, key] of [[series[0], 'train_mse'], [series[1], 'test_mse']] as const) {
      const pts = s.children.filter((c) => c.name === 'circle');
      expect(pts.map((c) => [Number(c.attrs['data-x']), Number(c.attrs['data-y'])])).toEqual(recorded.map((e) => [e.step, e[key]]));
      // and drawn where the axes say those values are (to the 0.01 px the coordinates are written with)
      pts.forEach((c, i) => {
        expect(toX(Number(c.attrs.cx))).toBeCloseTo(recorded[i].step, 1);
        expect(Math.log10(toY(Number(c.attrs.cy)))).toBeCloseTo(Math.log10(recorded[i][key]!), 3);
      });
    }
  });

  it('predicted against target: the last evaluation\'s test outputs against the task\'s, with the identity line', async () => {
    const out = p('figs-pred');
    expect((await clln('report', evalRun, '--svg', out)).code).toBe(0);
    const root = parseSvg(readFileSync(join(out, 'prediction.svg'), 'utf8'));
    const last = evaluationEvents(evalRun).at(-1)!;
    const series = byClass(root, 'series');
    expect(series).toHaveLength(2); // targets 9 and 10
    series.forEach((s, t) => {
      const pts = s.children.filter((c) => c.name === 'circle').map((c) => [Number(c.attrs['data-x']), Number(c.attrs['data-y'])]);
      expect(pts).toEqual(desired.map((row, m) => [row[t], last.test_outputs![m][t]]));
    });
    const identity = byClass(root, 'identity');
    expect(identity).toHaveLength(1);
    const toX = axisMap(root, 'x-ticks', false);
    const toY = axisMap(root, 'y-ticks', false);
    const ends = [...identity[0].attrs.d.matchAll(/[ML]([-\d.]+) ([-\d.]+)/g)].map((m) => [toX(Number(m[1])), toY(Number(m[2]))]);
    expect(ends).toHaveLength(2);
    for (const [x, y] of ends) expect(y).toBeCloseTo(x, 3);
    expect(ends[1][0] - ends[0][0]).toBeGreaterThan(0);
  });

  it('a simulated run records its evaluations: before and after training, the learning curve has both', async () => {
    const r = await clln('report', p('sim.jsonl'), '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.evaluations.map((e: { step: number }) => e.step)).toEqual(evaluationEvents(p('sim.jsonl')).map((e) => e.step));
    expect(j.evaluations.map((e: { step: number }) => e.step)).toEqual([0, 200]);
    expect(j.missing.map((m: { figure: string }) => m.figure)).toEqual(['alarms']);
  });

  it('a run without evaluations gets the figures it can have and says why not the others', async () => {
    // the simulated run's record without its evaluation stream, as a record of a clln before 0.2 holds it
    const own = readDocs(p('sim.jsonl')).find((d) => d[0] === 'descriptor' && d[1].name === 'evaluation')?.[1].uid;
    const docs = readDocs(p('sim.jsonl'))
      .filter((d) => !(d[0] === 'descriptor' && d[1].name === 'evaluation') && !(d[0] === 'event' && d[1].descriptor === own))
      .map((d): Doc => (d[0] === 'stop' ? ['stop', { ...d[1], num_events: { primary: d[1].num_events.primary } }] : d));
    writeDocs(p('sim-noeval.jsonl'), docs);
    const out = p('figs-sim');
    const r = await clln('report', p('sim-noeval.jsonl'), '--svg', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.kind).toBe('simulated');
    expect(j.missing.map((m: { figure: string }) => m.figure)).toEqual(['learning-curve', 'prediction', 'alarms']);
    expect(j.missing[0].why).toContain('no evaluation stream');
    expect(j.missing[2].why).toContain('simulated');
    expect(existsSync(join(out, 'settings.svg'))).toBe(true);
    expect(existsSync(join(out, 'learning-curve.svg'))).toBe(false);
    const root = checkPaperFigure(readFileSync(join(out, 'settings.svg'), 'utf8'), ['lattice', 'task.json', 'sim-noeval.jsonl']);
    expect(byClass(root, 'y-label')[0].text).toBe('conductance (S)');
    // one line per edge, through the conductance snapshots (every 20 steps and the last)
    const snaps = readDocs(p('sim-noeval.jsonl')).filter((d) => d[0] === 'event' && d[1].data.conductance != null);
    const series = byClass(root, 'series');
    expect(series).toHaveLength(snaps[0][1].data.conductance.length);
    const text = await clln('report', p('sim-noeval.jsonl'));
    expect(text.stdout).toContain('no learning-curve figure: the run has no evaluation stream');
    expect(text.stdout).toContain('no alarms figure: a simulated run is not checked');
  });

  it('a device-stepped board run: settings in taps, no alarms (its steps are not checked)', async () => {
    const out = p('figs-dev');
    const r = await clln('report', p('device.jsonl'), '--svg', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.settings.unit).toBe('tap');
    expect(j.missing.find((m: { figure: string }) => m.figure === 'alarms').why).toContain('device-stepped');
    expect(j.missing.find((m: { figure: string }) => m.figure === 'prediction').why).toContain('no test examples');
    const root = checkPaperFigure(readFileSync(join(out, 'settings.svg'), 'utf8'), ['penn-gen1', 'device.jsonl']);
    expect(byClass(root, 'y-label')[0].text).toBe('tap setting (tap position)');
  });

  it('a run without test examples: the learning curve has the training MSE only', async () => {
    const noTest = p('no-test.jsonl');
    withEvaluations(p('device.jsonl'), noTest, [0, 30].map((step, i) => ({ step, train_mse: 1e-2 / (i + 1), test_mse: null, test_outputs: null, final: step === 30 })));
    const out = p('figs-nt');
    expect((await clln('report', noTest, '--svg', out)).code).toBe(0);
    const root = checkPaperFigure(readFileSync(join(out, 'learning-curve.svg'), 'utf8'), ['penn-gen1', 'no-test.jsonl']);
    expect(byClass(root, 'series')).toHaveLength(1);
    expect(byClass(root, 'note')[0].text).toContain('no test examples');
  });

  it('bad input exits 2 naming the field', async () => {
    const bad = p('bad.jsonl');
    const docs = readDocs(evalRun);
    const ev = docs.find((d) => d[0] === 'event' && d[1].data.train_mse !== undefined)!;
    ev[1].data.train_mse = 'low';
    writeDocs(bad, docs);
    const r = await clln('report', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('train_mse');
    // a bad primary event after evaluation events: the message names the file's own line
    const bad2 = p('bad2.jsonl');
    const docs2 = readDocs(evalRun);
    const at = docs2.findIndex((d, i) => i > 5 && d[0] === 'event' && d[1].data.cost !== undefined);
    expect(docs2.slice(0, at).some((d) => d[0] === 'event' && d[1].data.train_mse !== undefined)).toBe(true);
    docs2[at][1].seq_num = 999;
    writeDocs(bad2, docs2);
    const r2 = await clln('report', bad2);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`bad2.jsonl: line ${at + 1}: event seq_num 999`);
    const png = await clln('report', evalRun, '--png');
    expect(png.code).toBe(2);
    expect(png.stderr).toContain('--svg DIR');
    expect((await clln('report')).code).toBe(2);
  });
});
