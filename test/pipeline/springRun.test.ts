/**
 * Spring-network runs on the training engine (issue 17, point 3): the engine computes what SpringTrainer alone
 * computes (bit for bit), the record (layout clln.spring-steps/1) holds what its descriptor declares and what an
 * independent step-by-step trainer gives, every line meets the run-record schema and Bluesky's event model, and a run
 * killed at any recorded point (a torn last line included) resumes to the events and stiffnesses of an uninterrupted
 * run. The truth is the trainer run alone and the uninterrupted run, not an earlier output.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { CllnError, InvalidInputError } from '../../src/errors.js';
import { Rng } from '../../src/physics/Rng.js';
import { pickStrainPairs } from '../../src/physics/springs/generators/strainPairs.js';
import { triangularSprings } from '../../src/physics/springs/generators/triangular.js';
import { SpringTrainer, type SpringTrainOptions } from '../../src/physics/springs/SpringTrainer.js';
import type { StrainTask } from '../../src/physics/springs/StrainTask.js';
import { runSimulated } from '../../src/pipeline/simulatedRun.js';
import { openSpringRun, resumeSpringRun } from '../../src/pipeline/springRun.js';
import { isSpringRun, SPRING_STEP_LAYOUT, stiffnessDigest } from '../../src/pipeline/springRunRecord.js';
import { isSnapshotStep } from '../../src/pipeline/simRunRecord.js';
import { isSimulatedRun } from '../../src/pipeline/simRunRecord.js';
import { descriptorProblems, eventProblems } from '../../src/store/eventProblems.js';
import { readRun } from '../../src/store/readRun.js';
import { stepLines } from '../store/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-springrun-'));
const { network: net } = triangularSprings({ rows: 7, cols: 7, coordination: 4.6, disorder: 0.2, seed: 2 });
const pairs = pickStrainPairs(net, 2);
const task: StrainTask = { ...pairs, sourceStrain: 1, delta: 0.05, cooperative: true, lambda: 1e-5 };
let counter = 0;
const fresh = (): string => join(dir, `run-${counter++}.jsonl`);
const learnerOptions = { yieldEveryMs: 0 };
const bits = (k: ArrayLike<number>): string => Buffer.from(Float64Array.from(k).buffer).toString('hex');

const SCHEMAS = resolve(__dirname, '../../src/formats/schemas');
const EVENT_MODEL = resolve(__dirname, '../store/event-model');
const json = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8'));
const cllnAjv = new Ajv2020({ strict: true, allErrors: true });
const validateLine = cllnAjv.compile(json(join(SCHEMAS, 'clln.run-record-1.schema.json')));
const bluesky = new Ajv2020({ strict: false, allErrors: true });
const EVENT_MODEL_SCHEMA: Record<string, string> = { start: 'run_start', descriptor: 'event_descriptor', event: 'event', stop: 'run_stop' };
const validateDoc = Object.fromEntries(Object.entries(EVENT_MODEL_SCHEMA).map(([name, file]) => [name, bluesky.compile(json(join(EVENT_MODEL, `${file}.json`)))]));

function schemaProblems(path: string): string[] {
  const problems: string[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .forEach((text, i) => {
      const line = JSON.parse(text) as [string, unknown];
      if (!validateLine(line)) problems.push(`line ${i + 1} (clln): ${cllnAjv.errorsText(validateLine.errors)}`);
      const v = validateDoc[line[0]];
      if (!v(line[1])) problems.push(`line ${i + 1} (event-model): ${bluesky.errorsText(v.errors)}`);
    });
  return problems;
}

async function recorded(options: SpringTrainOptions, snapshotEvery: number, evalEvery = 0): Promise<{ path: string; k: Float64Array }> {
  const path = fresh();
  const r = await runSimulated(openSpringRun({ network: net, task, options, record: path, snapshotEvery, evalEvery, learnerOptions }));
  return { path, k: r.settings! };
}

describe('a spring run on the engine', () => {
  for (const rule of ['cl', 'gradient'] as const) {
    it(`${rule}: ends with the stiffnesses and error of SpringTrainer run alone, bit for bit`, async () => {
      const options: SpringTrainOptions = { rule, steps: 60 };
      const alone = new SpringTrainer(net, task, options).run();
      const r = await runSimulated(openSpringRun({ network: net, task, options, record: null, learnerOptions }));
      expect(bits(r.settings!)).toBe(bits(alone.stiffness));
      expect(r.trainMse).toBe(alone.trainMse);
      expect(r.initialTrainMse).toBe(alone.initialTrainMse);
      expect(r.trainMse).toBeLessThan(r.initialTrainMse);
      expect(r.testMse).toBeNaN();
    });
  }

  it(`records every step in ${SPRING_STEP_LAYOUT}: events as declared, digests of an independent trainer, snapshots where due, schemas met`, async () => {
    const { path, k } = await recorded({ steps: 40 }, 7, 10);
    const rec = readRun(path);
    expect(rec.status).toBe('complete');
    expect(isSpringRun(rec.start)).toBe(true);
    expect(isSimulatedRun(rec.start)).toBe(false);
    expect(rec.descriptor.layout).toBe(SPRING_STEP_LAYOUT);
    expect(descriptorProblems(rec.descriptor.data_keys)).toEqual([]);
    expect(rec.events).toHaveLength(40);
    const t = new SpringTrainer(net, task, { steps: 40 });
    rec.events.forEach((ev, s) => {
      expect(eventProblems(rec.descriptor.data_keys, ev.data)).toEqual([]);
      const st = t.step();
      expect(ev.data.step).toBe(s);
      expect(ev.data.cost).toBe(st.cost);
      expect(ev.data.target_strain).toEqual(Array.from(st.targetStrains));
      expect(ev.data.changed).toBe(st.changed);
      expect(ev.data.residual as number).toBeLessThan(1e-9);
      expect(ev.data.k_sha256).toBe(stiffnessDigest(t.stiffness));
      const snap = ev.data.stiffness;
      expect(snap !== null).toBe(isSnapshotStep(s, 7, 40));
      if (snap !== null) expect(bits(snap as number[])).toBe(bits(t.stiffness));
    });
    expect(bits(k)).toBe(bits(t.stiffness));
    // evaluations at 0, 10, 20, 30 and the final at 40, in strain units
    const ev = rec.evaluation!;
    expect(ev.events.map((e) => e.data.step)).toEqual([0, 10, 20, 30, 40]);
    expect(ev.descriptor.data_keys.train_mse.units).toBe('1 (strain^2)');
    expect(ev.events.every((e) => e.data.test_mse === null)).toBe(true);
    expect(schemaProblems(path)).toEqual([]);
    // the start document reproduces the run: the spring network and the strain task as files
    const start = rec.start as unknown as { network: { format: string }; task: { format: string }; springs: { rule: string; alpha: number } };
    expect(start.network.format).toBe('clln.springs/1');
    expect(start.task.format).toBe('clln.strain-task/1');
    expect(start.springs).toMatchObject({ rule: 'cl', alpha: 30, eta: 0.1 });
  });
});

describe('resume of a spring run', () => {
  it('from 15 random recorded points (some with a torn last line): the record and the final stiffnesses equal the uninterrupted run', async () => {
    const options: SpringTrainOptions = { steps: 50 };
    const whole = await recorded(options, 8, 5);
    const wholeRec = readRun(whole.path);
    // every line, the evaluation stream's included
    const lines = readFileSync(whole.path, 'utf8').split('\n').filter((l) => l !== '');
    // the primary events' lines, in file order (evaluation events interleave)
    const primary = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('["event"') && JSON.parse(l)[1].descriptor === wholeRec.descriptor.uid);
    const rng = new Rng(12);
    const points = [0, 1, 7, 8, 9, 49, 50, ...Array.from({ length: 8 }, () => rng.int(51))];
    for (const cut of points) {
      const path = fresh();
      // everything written before the primary event `cut` (an evaluation may have followed the last step); no stop
      const end = cut < 50 ? primary[cut][1] : lines.length - 1;
      let body = lines.slice(0, end).join('\n') + '\n';
      const torn = cut < 50 && rng.next() < 0.5;
      if (torn) body += lines[end].slice(0, 1 + rng.int(lines[end].length - 2));
      writeFileSync(path, body);
      const run = resumeSpringRun(path, { learnerOptions });
      expect(run.startStep).toBe(cut);
      const r = await runSimulated(run);
      expect(bits(r.settings!), `cut at ${cut}${torn ? ' (torn)' : ''}`).toBe(bits(whole.k));
      const rec = readRun(path);
      expect(rec.status).toBe('complete');
      expect(rec.events.map((e) => e.data)).toEqual(wholeRec.events.map((e) => e.data));
      expect(rec.evaluation!.events.map((e) => e.data)).toEqual(wholeRec.evaluation!.events.map((e) => e.data));
      expect(schemaProblems(path)).toEqual([]);
    }
  });

  it('refuses a record whose steps do not replay to their digests, naming the line and field', async () => {
    const whole = await recorded({ steps: 20 }, 10);
    const lines = stepLines(whole.path);
    // step 14 (line 17) lies after the snapshot of step 9: it is replayed on resume
    const ev = JSON.parse(lines[16]);
    ev[1].data.cost *= 1 + 1e-12;
    const path = fresh();
    writeFileSync(path, [...lines.slice(0, 16), JSON.stringify(ev), ...lines.slice(17, 19)].join('\n') + '\n');
    expect(() => resumeSpringRun(path)).toThrow(CllnError);
    expect(() => resumeSpringRun(path)).toThrow(/line 17: data\.cost: replaying step 14/);
    const snap = JSON.parse(lines[11]);
    snap[1].data.stiffness[3] *= 1.01;
    const path2 = fresh();
    writeFileSync(path2, [...lines.slice(0, 11), JSON.stringify(snap), ...lines.slice(12, 14)].join('\n') + '\n');
    expect(() => resumeSpringRun(path2)).toThrow(InvalidInputError);
    expect(() => resumeSpringRun(path2)).toThrow(/line 12: data\.k_sha256/);
  });

  it('a complete run is not resumed', async () => {
    const { path } = await recorded({ steps: 3 }, 2);
    const copy = fresh();
    copyFileSync(path, copy);
    expect(() => resumeSpringRun(copy)).toThrow(/has ended/);
  });
});

describe('run control is the engine\'s', () => {
  it('stop after step 5: the usual finish, recorded as stopped; abort: no final error, recorded as aborted', async () => {
    const stopped = openSpringRun({ network: net, task, options: { steps: 40 }, record: fresh(), learnerOptions });
    stopped.engine.steps$.subscribe((st) => st.step === 5 && stopped.engine.stop());
    const a = await runSimulated(stopped);
    expect(a).toMatchObject({ state: 'stopped', reason: 'stop', stepsDone: 6 });
    expect(Number.isFinite(a.trainMse)).toBe(true);
    expect(readRun(stopped.path!).stop).toMatchObject({ exit_status: 'success', reason: 'stop' });
    const aborted = openSpringRun({ network: net, task, options: { steps: 40 }, record: fresh(), learnerOptions });
    aborted.engine.steps$.subscribe((st) => st.step === 3 && aborted.engine.abort());
    const b = await runSimulated(aborted);
    expect(b).toMatchObject({ state: 'aborted', stepsDone: 4 });
    expect(b.trainMse).toBeNaN();
    expect(readRun(aborted.path!).stop?.exit_status).toBe('abort');
  });
});
