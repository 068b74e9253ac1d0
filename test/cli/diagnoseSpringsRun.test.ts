/**
 * `clln diagnose --run RUN` on a spring-network run record (clln.spring-steps/1, written by `clln train
 * NET.springs.json TASK.strain.json --record F`), in process: the network is diagnosed at the run's final stiffnesses.
 * Independent truth: the network the run saved (--save-network) solved afresh and its dense stiffness matrix's
 * eigenvalues; for a record cut between snapshots, a SpringTrainer stepped as many times as the record holds.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../src/diagnostics/symmetricEigen.js';
import { readSpringsFile } from '../../src/formats/springsFile.js';
import { readStrainTaskFile } from '../../src/formats/strainTaskFile.js';
import { SpringTrainer } from '../../src/physics/springs/SpringTrainer.js';
import type { SpringNetwork } from '../../src/physics/springs/SpringNetwork.js';
import type { StrainTask } from '../../src/physics/springs/StrainTask.js';
import { denseStiffnessMatrix } from '../../src/physics/springs/stiffnessMatrix.js';
import { StrainSolver } from '../../src/physics/springs/StrainSolver.js';
import { tempDir } from '../store/helpers.js';
import { clln, expectOneParagraph } from './inProcess.js';

const dir = tempDir('clln-diagspringrun-');
const net = join(dir, 'net.springs.json');
const task = join(dir, 'task.strain.json');
const rec = join(dir, 'run.jsonl');
const saved = join(dir, 'trained.springs.json');
const STEPS = 20;

beforeAll(async () => {
  for (const args of [
    ['network', 'springs', 'triangular', '6x6', '--coordination', '4.6', '--disorder', '0.15', '--seed', '3', '--out', net],
    ['task', 'strain', '--source', 'auto', '--target', 'auto', '--seed', '2', '--delta', '0.05', '--network', net, '--out', task],
    ['train', net, task, '--steps', String(STEPS), '--alpha', '300', '--snapshot-every', '6', '--record', rec, '--save-network', saved],
  ]) {
    const r = await clln(...args);
    expect(r.code, r.stderr).toBe(0);
  }
});

/** eps_T^F of a fresh solve. */
function targetStrain(n: SpringNetwork, t: StrainTask): number {
  const s = new StrainSolver(n);
  const free = s.freeState({ source: t.source, target: t.target }, t.sourceStrain);
  return s.strain(free.displacements, t.target[0], t.target[1]);
}

/** The nonzero eigenvalues (above 1e-10 of the largest) of the dense stiffness matrix, ascending. */
function nonzeroSpectrum(n: SpringNetwork): number[] {
  const ev = Array.from(symmetricEigen(denseStiffnessMatrix(n), n.dim * n.nodes, { vectors: false }).values);
  const top = Math.max(...ev);
  return ev.filter((v) => v > 1e-10 * top).sort((a, b) => a - b);
}

describe('clln diagnose --run on a spring run', () => {
  it('--json: diagnoses the network at the final stiffnesses (those the run saved), with the run described', async () => {
    const r = await clln('diagnose', '--run', rec, '--json', '--modes', '4');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.kind).toBe('spring');
    expect(j.run).toMatchObject({ file: 'run.jsonl', rule: 'cl', eta: 0.1, alpha: 300, steps: STEPS, replayed: 0 });
    expect(j.run.last_cost).toBeLessThan(j.run.first_cost);
    const trained = readSpringsFile(saved);
    const t = readStrainTaskFile(task, trained);
    // the cost part's target strain is the trained network's, not the initial one's
    const trainedStrain = targetStrain(trained, t);
    const initialStrain = targetStrain(readSpringsFile(net), t);
    expect(Math.abs(trainedStrain - initialStrain)).toBeGreaterThan(1e-3 * Math.abs(initialStrain));
    expect(Math.abs(j.cost.target_strains[0] - trainedStrain)).toBeLessThan(1e-12 * Math.abs(trainedStrain));
    // the spectrum is the trained stiffness matrix's
    const ev = nonzeroSpectrum(trained);
    const top = ev[ev.length - 1];
    j.physical.lowest.values.forEach((v: number, i: number) => expect(Math.abs(v - ev[i])).toBeLessThan(1e-9 * top));
    const initial = nonzeroSpectrum(readSpringsFile(net));
    expect(Math.abs(j.physical.lowest.values[0] - initial[0])).toBeGreaterThan(1e-6 * top);
    // the fidelity's eta defaults to the run's
    expect(j.cost.fidelity.map((f: { parameter: number }) => f.parameter)).toEqual([0.1, 0.01, 0.001]);
  });

  it('a record cut between snapshots: the stiffnesses after its last step, replayed from the last snapshot', async () => {
    const lines = readFileSync(rec, 'utf8').split('\n').filter((l) => l !== '');
    const steps = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('["event"') && !('train_mse' in JSON.parse(l)[1].data));
    const keep = 15; // steps 0..14 recorded; snapshots every 6 steps, so a few steps after the last one are replayed
    const cut = join(dir, 'cut.jsonl');
    writeFileSync(cut, lines.slice(0, steps[keep][1]).join('\n') + '\n');
    const r = await clln('diagnose', '--run', cut, '--json', '--modes', '3');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.run.steps).toBe(keep);
    expect(j.run.replayed).toBeGreaterThan(0);
    const n0 = readSpringsFile(net);
    const t = readStrainTaskFile(task, n0);
    const trainer = new SpringTrainer(n0, t, { alpha: 300, steps: STEPS });
    for (let s = 0; s < keep; s++) trainer.step();
    const expected = targetStrain({ ...n0, stiffness: Float64Array.from(trainer.stiffness) }, t);
    expect(Math.abs(j.cost.target_strains[0] - expected)).toBeLessThan(1e-12 * Math.abs(expected));
  });

  it('text: the run line, then the spring sections', async () => {
    const r = await clln('diagnose', '--run', rec, '--modes', '3');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^spring run run\\.jsonl: rule cl, eta 0\\.1, alpha 300, ${STEPS} steps`));
    expect(r.stdout).toContain('diagnosed at the stiffnesses after step 19 (its snapshot)');
    expect(r.stdout).toContain('gradient fidelity of coupled learning');
  });

  it('NETWORK/TASK or resistor-only options with a spring run: exit 2, one paragraph', async () => {
    const a = await clln('diagnose', net, task, '--run', rec);
    expect(a.code).toBe(2);
    expect(expectOneParagraph(a.stderr)).toContain('carries its network and strain task');
    const b = await clln('diagnose', '--run', rec, '--rule', 'ep');
    expect(b.code).toBe(2);
    expect(expectOneParagraph(b.stderr)).toContain('spring-network run');
  });
});
