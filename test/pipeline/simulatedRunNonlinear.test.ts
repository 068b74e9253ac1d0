/**
 * Simulated runs of nonlinear networks (issue 14 point 3): on the engine they compute what the physics Trainer alone
 * computes, bit for bit, and a run killed at any recorded point resumes to the same parameters (k in S, V_G in V) and
 * the same record as the uninterrupted run. The truth is the uninterrupted run and the Trainer alone.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { polynomialTask } from '../../src/physics/generators/nonlinearTask.js';
import type { Network } from '../../src/physics/Network.js';
import type { EdgeElement } from '../../src/physics/nonlinear/EdgeElement.js';
import { Rng } from '../../src/physics/Rng.js';
import { Trainer, type TrainOptions } from '../../src/physics/Trainer.js';
import { openSimulatedRun, resumeSimulatedRun, runSimulated } from '../../src/pipeline/simulatedRun.js';
import { stepLines } from '../store/helpers.js';
import { readRun } from '../../src/store/readRun.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-simrun-nl-'));
let counter = 0;
const fresh = (): string => join(dir, `run-${counter++}.jsonl`);
const learnerOptions = { yieldEveryMs: 0 };
const bits = (k: ArrayLike<number>): string => Buffer.from(Float64Array.from(k).buffer).toString('hex');

/** A 3x3 lattice with diagonals: transistors (gen-2 s, V_T), diodes and resistors, k on the transistors' scale. */
function mixedNetwork(): Network {
  const base = latticeNetwork({ rows: 3, cols: 3, diagonals: true, seed: 4, conductance: [0.5e-3, 1.5e-3], bounds: [1e-6, 1e-2] });
  const rng = new Rng(21);
  const elements: (EdgeElement | null)[] = Array.from(base.edgeA, () => {
    const r = rng.next();
    if (r < 0.5) return { kind: 'transistor', s: 8.5e-4, vt: 0.62, vg: rng.uniform(2, 3), saturation: 'square' };
    if (r < 0.65) return { kind: 'diode', is: 1e-9, n: 1.5, rs: 100 };
    return null;
  });
  return { ...base, elements };
}

const net = mixedNetwork();
const task = polynomialTask({ coefficients: [0.1, 0.2, 0.3], source: 0, target: 4, ground: [8], rail: { node: 2, volts: 1 }, count: 12, test: 4, seed: 3 });

describe('simulated runs of a nonlinear network', () => {
  for (const rule of ['cl', 'cep'] as const) {
    it(`${rule}: the engine's run equals the Trainer alone bit for bit, and its parameters moved`, async () => {
      const options: TrainOptions = { rule, steps: 40, seed: 2, alpha: rule === 'cl' ? 50 : 5, beta: 1e-4 };
      const alone = new Trainer(net, task, options).run();
      const r = await runSimulated(openSimulatedRun({ network: net, task, options, record: null, learnerOptions }));
      expect(bits(r.settings!)).toBe(bits(alone.conductance));
      expect(r.trainMse).toBe(alone.trainMse);
      expect(bits(alone.conductance)).not.toBe(bits(new Trainer(net, task, options).conductance));
    });
  }

  it('resumes from recorded points (and a torn line) to the record and parameters of the uninterrupted run', async () => {
    const options: TrainOptions = { rule: 'cl', steps: 30, seed: 4, alpha: 50 };
    const path = fresh();
    const whole = await runSimulated(openSimulatedRun({ network: net, task, options, record: path, snapshotEvery: 7, learnerOptions }));
    const wholeRec = readRun(path);
    expect(wholeRec.start).toHaveProperty('simulation.gate_bounds', [0, 5]);
    const lines = stepLines(path);
    for (const [cut, torn] of [
      [0, false],
      [6, false],
      [7, true],
      [15, false],
      [29, true],
    ] as const) {
      const p = fresh();
      let body = lines.slice(0, 2 + cut).join('\n') + '\n';
      if (torn) body += lines[2 + cut].slice(0, 20);
      writeFileSync(p, body);
      const run = resumeSimulatedRun(p, { learnerOptions });
      expect(run.startStep).toBe(cut);
      const r = await runSimulated(run);
      expect(bits(r.settings!), `cut at ${cut}`).toBe(bits(whole.settings!));
      expect(readRun(p).events.map((e) => e.data)).toEqual(wholeRec.events.map((e) => e.data));
    }
  });
});

describe('clln diagnose on a nonlinear network and run', () => {
  it('diagnoses the run through its linearisation at the first example; a network file needs a task for its state', async () => {
    const { clln } = await import('../cli/inProcess.js');
    const { networkToJson } = await import('../../src/formats/networkFile.js');
    const { taskToJson } = await import('../../src/formats/taskFile.js');
    const { nonlinearHessian } = await import('../../src/diagnostics/nonlinearDiagnostics.js');
    const netPath = join(dir, 'mixed.json');
    const taskPath = join(dir, 'poly.json');
    writeFileSync(netPath, JSON.stringify(networkToJson(net)));
    writeFileSync(taskPath, JSON.stringify(taskToJson(task)));
    const run = fresh();
    expect((await clln('train', netPath, taskPath, '--steps', '12', '--alpha', '50', '--record', run, '--snapshot-every', '5', '--json')).code).toBe(0);
    const d = await clln('diagnose', '--run', run, '--json');
    expect(d.stderr).toBe('');
    expect(d.code).toBe(0);
    const j = JSON.parse(d.stdout);
    expect(JSON.stringify(j)).toContain('linearised at the free state of the first training example');
    const f = await clln('diagnose', netPath, taskPath, '--json');
    expect(f.code).toBe(0);
    // the lowest eigenvalue reported is that of the linearised network's free-node Laplacian, computed here densely
    const h = nonlinearHessian(net, task, task.train[0].in);
    const { symmetricEigen } = await import('../../src/diagnostics/symmetricEigen.js');
    const n = h.jacobian.n;
    const L = new Float64Array(n * n);
    h.linearised.edgeA.forEach((a, e) => {
      const b = h.linearised.edgeB[e];
      const g = h.linearised.conductance[e];
      const ia = h.jacobian.index[a];
      const ib = h.jacobian.index[b];
      if (ia >= 0) L[ia * n + ia] += g;
      if (ib >= 0) L[ib * n + ib] += g;
      if (ia >= 0 && ib >= 0) {
        L[ia * n + ib] -= g;
        L[ib * n + ia] -= g;
      }
    });
    const lowest = Math.min(...symmetricEigen(L, n, { vectors: false }).values);
    const reported = JSON.parse(f.stdout).physical.lowest.values[0];
    expect(Math.abs(reported - lowest)).toBeLessThan(1e-9 * Math.abs(lowest));
    const bad = await clln('diagnose', netPath, '--json');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('nonlinear elements');
  });
});
