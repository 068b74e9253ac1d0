/**
 * Simulated runs on the engine (issue 12, point 3): the record's layout (clln.sim-steps/1), the tap rule resumed
 * exactly, CG runs refused for resume, the diagnosis of a record. The truth is the physics Trainer run alone (no engine,
 * no record), not an earlier output. Resume from any recorded point, refused edited records and run control are
 * checked for every network kind in trainerRun.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/errors.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { geometricTaps } from '../../src/physics/rules/TapRule.js';
import { Trainer, type TrainOptions } from '../../src/physics/Trainer.js';
import { conductanceDigest, isSnapshotStep, SIM_STEP_LAYOUT } from '../../src/pipeline/simRunRecord.js';
import { simulatedRunDiagnosis } from '../../src/pipeline/simulatedRunDiagnosis.js';
import { openSimulatedRun, resumeSimulatedRun, runSimulated } from '../../src/pipeline/simulatedRun.js';
import { descriptorProblems, eventProblems } from '../../src/store/eventProblems.js';
import { readRun } from '../../src/store/readRun.js';
import { stepLines } from '../store/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-simrun-'));
const net = latticeNetwork({ rows: 4, cols: 4, diagonals: true, seed: 3, conductance: [0.5, 1.5], bounds: [0.05, 20] });
const task = referenceTask({ count: 30, test: 10, seed: 2 });
let counter = 0;
const fresh = (): string => join(dir, `run-${counter++}.jsonl`);
// the learner yields to the event loop after every step here: the most interleaving, and no timing involved
const learnerOptions = { yieldEveryMs: 0 };

const bits = (k: ArrayLike<number>): string => Buffer.from(Float64Array.from(k).buffer).toString('hex');

async function recorded(options: TrainOptions, snapshotEvery: number): Promise<{ path: string; k: Float64Array }> {
  const path = fresh();
  const run = openSimulatedRun({ network: net, task, options, record: path, snapshotEvery, learnerOptions });
  const r = await runSimulated(run);
  return { path, k: r.settings! };
}

describe('a simulated run on the engine', () => {
  for (const rule of ['cl', 'ep', 'tap'] as const) {
    it(`${rule}: ends with the conductances and MSEs of the physics Trainer run alone, bit for bit`, async () => {
      const options: TrainOptions = { rule, steps: 120, order: 'shuffle', seed: 5, alpha: rule === 'ep' ? 2 : 0.5, ...(rule === 'tap' ? { taps: geometricTaps(64, 0.05, 20) } : {}) };
      const alone = new Trainer(net, task, options).run();
      const run = openSimulatedRun({ network: net, task, options, record: null, learnerOptions });
      const r = await runSimulated(run);
      expect(bits(r.settings!)).toBe(bits(alone.conductance));
      expect(r.trainMse).toBe(alone.trainMse);
      expect(r.testMse).toBe(alone.testMse);
      expect(r.initialTestMse).toBe(alone.initialTestMse);
    });
  }

  it('records every step in clln.sim-steps/1: events hold what the descriptor declares, snapshots where due', async () => {
    const { path, k } = await recorded({ steps: 50, order: 'sequential' }, 7);
    const rec = readRun(path);
    expect(rec.status).toBe('complete');
    expect(rec.descriptor.layout).toBe(SIM_STEP_LAYOUT);
    expect(descriptorProblems(rec.descriptor.data_keys)).toEqual([]);
    expect(rec.events).toHaveLength(50);
    // the digests are those of an independent replay with the Trainer alone, step by step
    const t = new Trainer(net, task, { steps: 50, order: 'sequential' });
    rec.events.forEach((ev, s) => {
      expect(eventProblems(rec.descriptor.data_keys, ev.data)).toEqual([]);
      const st = t.step();
      expect(ev.data.step).toBe(s);
      expect(ev.data.example).toBe(s % task.train.length);
      expect(ev.data.cost).toBe(st.cost);
      expect(ev.data.k_sha256).toBe(conductanceDigest(t.conductance));
      const snap = ev.data.conductance;
      expect(snap !== null).toBe(isSnapshotStep(s, 7, 50));
      if (snap !== null) expect(bits(snap as number[])).toBe(bits(t.conductance));
    });
    expect([6, 13, 20, 27, 34, 41, 48, 49].every((s) => rec.events[s].data.conductance !== null)).toBe(true);
    expect(bits(k)).toBe(bits(t.conductance));
  });

  it('is compact: a step without a snapshot takes a few hundred bytes whatever the network size', async () => {
    const big = latticeNetwork({ rows: 30, cols: 30, diagonals: true, seed: 1, conductance: [0.5, 1.5], bounds: [0.05, 20] });
    const path = fresh();
    const bigTask = { ...task, sources: Int32Array.of(0, 29), targets: Int32Array.of(450, 455), ground: Int32Array.of(899) };
    await runSimulated(openSimulatedRun({ network: big, task: bigTask, options: { steps: 12 }, record: path, snapshotEvery: 5, learnerOptions }));
    const lines = stepLines(path).slice(2, -1);
    const sizes = lines.map((l) => Buffer.byteLength(l));
    const small = sizes.filter((_, s) => !isSnapshotStep(s, 5, 12));
    expect(Math.max(...small)).toBeLessThan(600);
    // a snapshot holds every one of the 3,361 edges
    expect(Math.min(...sizes.filter((_, s) => isSnapshotStep(s, 5, 12)))).toBeGreaterThan(3361 * 10);
  });
});

describe('a 16,384-node run (128 x 128 lattice with diagonals, 64,770 edges)', () => {
  it('does not write its conductances every step: only at the default snapshot interval and the last step', async () => {
    const big = latticeNetwork({ rows: 128, cols: 128, diagonals: true, seed: 1, conductance: [0.5, 1.5], bounds: [0.05, 20] });
    const bigTask = { ...task, sources: Int32Array.of(0, 127), targets: Int32Array.of(8256, 8257), ground: Int32Array.of(16383) };
    const path = fresh();
    const run = openSimulatedRun({ network: big, task: bigTask, options: { steps: 4, order: 'sequential' }, record: path, learnerOptions });
    await runSimulated(run);
    const rec = readRun(path);
    expect((rec.start as unknown as { simulation: { snapshot_every: number } }).simulation.snapshot_every).toBe(1296);
    const sizes = stepLines(path).slice(2, -1).map((l) => Buffer.byteLength(l));
    expect(sizes.slice(0, 3).every((b) => b < 600)).toBe(true);
    expect(rec.events.slice(0, 3).every((e) => e.data.conductance === null)).toBe(true);
    expect((rec.events[3].data.conductance as number[]).length).toBe(64770);
  }, 120_000);
});

describe('resume of a simulated run', () => {
  it('the tap rule resumes exactly too (its state is the tap of each conductance)', async () => {
    const options: TrainOptions = { rule: 'tap', steps: 40, taps: geometricTaps(32, 0.05, 20), seed: 1 };
    const whole = await recorded(options, 6);
    const lines = stepLines(whole.path);
    const path = fresh();
    writeFileSync(path, lines.slice(0, 2 + 23).join('\n') + '\n');
    const r = await runSimulated(resumeSimulatedRun(path, { learnerOptions }));
    expect(bits(r.settings!)).toBe(bits(whole.k));
  });

  it('a run solved by CG is refused with the reason (its warm starts are not in the record); its snapshots still read', async () => {
    const whole = await recorded({ steps: 12, method: 'cg' }, 4);
    const lines = stepLines(whole.path);
    const path = fresh();
    // cut right after the snapshot of step 7: nothing to replay, and still refused
    writeFileSync(path, lines.slice(0, 2 + 8).join('\n') + '\n');
    expect(() => resumeSimulatedRun(path)).toThrow(InvalidInputError);
    expect(() => resumeSimulatedRun(path)).toThrow(/start\.simulation\.method: the run was solved by conjugate gradients/);
    const d = simulatedRunDiagnosis(readRun(path));
    expect(d.snapshots.map((x) => x.step)).toEqual([4, 8]);
  });

});

describe('diagnosis of a simulated run', () => {
  it('gives its snapshots and its final conductances, replayed when the run stopped between snapshots', async () => {
    const options: TrainOptions = { steps: 40, order: 'sequential' };
    const whole = await recorded(options, 8);
    const lines = stepLines(whole.path);
    // interrupted after step 20 (steps 0..20 recorded; the last snapshot after step 15)
    const path = fresh();
    writeFileSync(path, lines.slice(0, 2 + 21).join('\n') + '\n');
    const d = simulatedRunDiagnosis(readRun(path));
    expect(d.snapshots.map((s) => s.step)).toEqual([8, 16, 21]);
    const t = new Trainer(net, task, options);
    for (let s = 0; s < 21; s++) t.step();
    expect(bits(d.snapshots[2].conductance)).toBe(bits(t.conductance));
    expect(d.learning.step).toEqual({ rule: 'cl', eta: 0.1, alpha: 0.5 });
  });

  it('of a run stopped between snapshots: the final conductances replayed, those the run ended with', async () => {
    const stopped = openSimulatedRun({ network: net, task, options: { steps: 50 }, record: fresh(), snapshotEvery: 20, learnerOptions });
    stopped.engine.steps$.subscribe((st) => st.step === 7 && stopped.engine.stop());
    const a = await runSimulated(stopped);
    expect(a.stepsDone).toBe(8);
    // no snapshot was due: the diagnosis replays steps 0..7 for the final conductances
    const d = simulatedRunDiagnosis(readRun(stopped.path!));
    expect(d.snapshots.map((x) => x.step)).toEqual([8]);
    expect(bits(d.snapshots[0].conductance)).toBe(bits(a.settings!));
  });
});
