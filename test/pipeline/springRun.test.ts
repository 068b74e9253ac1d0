/**
 * Spring-network runs on the training engine (issue 17, point 3): the engine computes what SpringTrainer alone
 * computes (bit for bit), the record (layout clln.spring-steps/1) holds what its descriptor declares and what an
 * independent step-by-step trainer gives, every line meets the run-record schema and Bluesky's event model, and a run
 * killed at any recorded point (a torn last line included) resumes to the events and stiffnesses of an uninterrupted
 * run. The truth is the trainer run alone and the uninterrupted run, not an earlier output.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pickStrainPairs } from '../../src/physics/springs/generators/strainPairs.js';
import { triangularSprings } from '../../src/physics/springs/generators/triangular.js';
import { SpringTrainer, type SpringTrainOptions } from '../../src/physics/springs/SpringTrainer.js';
import type { StrainTask } from '../../src/physics/springs/StrainTask.js';
import { runSimulated } from '../../src/pipeline/simulatedRun.js';
import { openSpringRun } from '../../src/pipeline/springRun.js';
import { isSpringRun, SPRING_STEP_LAYOUT, stiffnessDigest } from '../../src/pipeline/springRunRecord.js';
import { isSimulatedRun, isSnapshotStep } from '../../src/pipeline/simRunRecord.js';
import { descriptorProblems, eventProblems } from '../../src/store/eventProblems.js';
import { readRun } from '../../src/store/readRun.js';
import { schemaProblems } from './recordSchemas.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-springrun-'));
const { network: net } = triangularSprings({ rows: 7, cols: 7, coordination: 4.6, disorder: 0.2, seed: 2 });
const pairs = pickStrainPairs(net, 2);
const task: StrainTask = { ...pairs, sourceStrain: 1, delta: 0.05, cooperative: true, lambda: 1e-5 };
let counter = 0;
const fresh = (): string => join(dir, `run-${counter++}.jsonl`);
const learnerOptions = { yieldEveryMs: 0 };
const bits = (k: ArrayLike<number>): string => Buffer.from(Float64Array.from(k).buffer).toString('hex');

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
