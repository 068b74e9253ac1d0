/**
 * What every in-process network kind's run does on the engine (trainerRun.ts), checked once per kind — resistor
 * networks (the physics Trainer, layout clln.sim-steps/1) and spring networks (SpringTrainer, clln.spring-steps/1):
 * a run killed at any recorded point (a torn last line included) resumes to the events, evaluations and parameters of
 * the uninterrupted run, bit for bit, with every line meeting the run-record schema and Bluesky's event model; a
 * record whose steps do not replay to their events is refused naming the line and field; a complete run is not
 * resumed; stop and abort are the engine's. The truth is the uninterrupted run itself, not an earlier output. What
 * only one kind does (its layout, equality with its trainer run alone, CG refusal, ...) is in simulatedRun.test.ts
 * and springRun.test.ts.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CllnError, InvalidInputError } from '../../src/errors.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { Rng } from '../../src/physics/Rng.js';
import { pickStrainPairs } from '../../src/physics/springs/generators/strainPairs.js';
import { triangularSprings } from '../../src/physics/springs/generators/triangular.js';
import type { StrainTask } from '../../src/physics/springs/StrainTask.js';
import { openSimulatedRun, resumeSimulatedRun, runSimulated } from '../../src/pipeline/simulatedRun.js';
import { openSpringRun, resumeSpringRun } from '../../src/pipeline/springRun.js';
import type { TrainerRun } from '../../src/pipeline/trainerRun.js';
import { readRun } from '../../src/store/readRun.js';
import { stepLines } from '../store/helpers.js';
import { schemaProblems } from './recordSchemas.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-trainerrun-'));
let counter = 0;
const fresh = (): string => join(dir, `run-${counter++}.jsonl`);
// the learner yields to the event loop after every step here: the most interleaving, and no timing involved
const learnerOptions = { yieldEveryMs: 0 };
const bits = (k: ArrayLike<number>): string => Buffer.from(Float64Array.from(k).buffer).toString('hex');

type Run = Pick<TrainerRun<unknown>, 'engine' | 'writer' | 'path'>;

/** A network kind as these tests run it. */
interface Kind {
  name: string;
  /** The event key of the parameter snapshots. */
  key: string;
  open(o: { steps: number; record: string | null; snapshotEvery?: number; evalEvery?: number }): Run;
  resume(path: string): Run & { startStep: number };
  /** The resume test's run: steps, snapshot interval, evaluation interval, random cut points. */
  cuts: { steps: number; snapshotEvery: number; evalEvery: number; random: number };
}

const net = latticeNetwork({ rows: 4, cols: 4, diagonals: true, seed: 3, conductance: [0.5, 1.5], bounds: [0.05, 20] });
const task = referenceTask({ count: 30, test: 10, seed: 2 });
const { network: springs } = triangularSprings({ rows: 7, cols: 7, coordination: 4.6, disorder: 0.2, seed: 2 });
const strainTask: StrainTask = { ...pickStrainPairs(springs, 2), sourceStrain: 1, delta: 0.05, cooperative: true, lambda: 1e-5 };

const KINDS: Kind[] = [
  {
    name: 'a resistor network (Trainer, cl, shuffled)',
    key: 'conductance',
    open: ({ steps, ...o }) => openSimulatedRun({ network: net, task, options: { rule: 'cl', steps, order: 'shuffle', seed: 9 }, ...o, learnerOptions }),
    resume: (path) => resumeSimulatedRun(path, { learnerOptions }),
    cuts: { steps: 90, snapshotEvery: 10, evalEvery: 5, random: 18 },
  },
  {
    name: 'a spring network (SpringTrainer, cl, cooperative)',
    key: 'stiffness',
    open: ({ steps, ...o }) => openSpringRun({ network: springs, task: strainTask, options: { steps }, ...o, learnerOptions }),
    resume: (path) => resumeSpringRun(path, { learnerOptions }),
    cuts: { steps: 50, snapshotEvery: 8, evalEvery: 5, random: 8 },
  },
];

describe.each(KINDS)('$name', (kind) => {
  async function recorded(steps: number, snapshotEvery: number, evalEvery = 0): Promise<{ path: string; k: Float64Array }> {
    const path = fresh();
    const r = await runSimulated(kind.open({ steps, record: path, snapshotEvery, evalEvery }));
    return { path, k: r.settings! };
  }

  it('resumes from random recorded points (some with a torn last line): the record and the final parameters equal the uninterrupted run', async () => {
    const { steps, snapshotEvery: every, evalEvery, random } = kind.cuts;
    const whole = await recorded(steps, every, evalEvery);
    const wholeRec = readRun(whole.path);
    // every line, the evaluation stream's included
    const lines = readFileSync(whole.path, 'utf8').split('\n').filter((l) => l !== '');
    // the primary events' lines, in file order (evaluation events interleave)
    const primary = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('["event"') && JSON.parse(l)[1].descriptor === wholeRec.descriptor.uid);
    const rng = new Rng(12);
    const points = [0, 1, every - 1, every, every + 1, steps - 1, steps, ...Array.from({ length: random }, () => rng.int(steps + 1))];
    for (const cut of points) {
      const path = fresh();
      // everything written before the primary event `cut` (an evaluation may have followed the last step); no stop
      const end = cut < steps ? primary[cut][1] : lines.length - 1;
      let body = lines.slice(0, end).join('\n') + '\n';
      const torn = cut < steps && rng.next() < 0.5;
      if (torn) body += lines[end].slice(0, 1 + rng.int(lines[end].length - 2));
      writeFileSync(path, body);
      const run = kind.resume(path);
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
    const whole = await recorded(20, 10);
    const lines = stepLines(whole.path);
    // step 14 (line 17) lies after the snapshot of step 9: it is replayed on resume
    const ev = JSON.parse(lines[16]);
    ev[1].data.cost *= 1 + 1e-15;
    const path = fresh();
    writeFileSync(path, [...lines.slice(0, 16), JSON.stringify(ev), ...lines.slice(17, 19)].join('\n') + '\n');
    expect(() => kind.resume(path)).toThrow(CllnError);
    expect(() => kind.resume(path)).toThrow(/line 17: data\.cost: replaying step 14/);
    // a snapshot that is not what its digest says
    const snap = JSON.parse(lines[11]);
    snap[1].data[kind.key][3] *= 1.01;
    const path2 = fresh();
    writeFileSync(path2, [...lines.slice(0, 11), JSON.stringify(snap), ...lines.slice(12, 14)].join('\n') + '\n');
    expect(() => kind.resume(path2)).toThrow(InvalidInputError);
    expect(() => kind.resume(path2)).toThrow(/line 12: data\.k_sha256/);
  });

  it('does not resume a complete run', async () => {
    const { path } = await recorded(3, 2);
    const copy = fresh();
    copyFileSync(path, copy);
    expect(() => kind.resume(copy)).toThrow(/has ended/);
  });

  it('stops after step 5 with the usual finish, recorded as stopped; aborts with no final MSE, recorded as aborted', async () => {
    const stopped = kind.open({ steps: 40, record: fresh() });
    stopped.engine.steps$.subscribe((st) => st.step === 5 && stopped.engine.stop());
    const a = await runSimulated(stopped);
    expect(a).toMatchObject({ state: 'stopped', reason: 'stop', stepsDone: 6 });
    expect(Number.isFinite(a.trainMse)).toBe(true);
    expect(readRun(stopped.path!).stop).toMatchObject({ exit_status: 'success', reason: 'stop' });
    const aborted = kind.open({ steps: 40, record: fresh() });
    aborted.engine.steps$.subscribe((st) => st.step === 3 && aborted.engine.abort());
    const b = await runSimulated(aborted);
    expect(b).toMatchObject({ state: 'aborted', stepsDone: 4 });
    expect(b.trainMse).toBeNaN();
    expect(readRun(aborted.path!).stop?.exit_status).toBe('abort');
  });
});
