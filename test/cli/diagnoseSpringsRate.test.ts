/**
 * The critical learning rates `clln diagnose NET.springs.json TASK.strain.json` reports (springCriticalRates), against
 * the training itself: near a solution (Delta within 1e-3 of eps_T^F, eta 1e-3 so cl is at its eta -> 0 limit) one
 * step at alpha = a alpha_c multiplies the error (eps_T^F - Delta)^2 by (1 - 2a)^2, for cl and for the gradient rule;
 * for a cooperative task the top mode of the 2 x 2 dynamics grows above alpha_c and every mode decays below it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSpringsFile } from '../../src/formats/springsFile.js';
import { readStrainTaskFile } from '../../src/formats/strainTaskFile.js';
import type { SpringNetwork } from '../../src/physics/springs/SpringNetwork.js';
import { SpringTrainer, type SpringTrainOptions } from '../../src/physics/springs/SpringTrainer.js';
import type { StrainTask } from '../../src/physics/springs/StrainTask.js';
import { StrainSolver } from '../../src/physics/springs/StrainSolver.js';
import { tempDir } from '../store/helpers.js';
import { clln } from './inProcess.js';

const dir = tempDir('clln-diagspringrate-');
const net = join(dir, 'net.springs.json');
const probe = join(dir, 'probe.strain.json');
let network: SpringNetwork;

beforeAll(async () => {
  for (const args of [
    ['network', 'springs', 'triangular', '7x7', '--coordination', '4.6', '--disorder', '0.15', '--seed', '5', '--out', net],
    ['task', 'strain', '--source', 'auto', '--target', 'auto', '--seed', '3', '--delta', '0', '--network', net, '--out', probe],
  ]) {
    const r = await clln(...args);
    expect(r.code, r.stderr).toBe(0);
  }
  network = readSpringsFile(net);
});

/** eps_T^F per direction, by fresh solves. */
function targetStrains(t: StrainTask): number[] {
  const s = new StrainSolver(network);
  return s.taskStates(t, 0.1).map((x) => x.freeTarget);
}

/** A task file with Delta = (1 + offset) x the forward direction's eps_T^F (or the mean of both when cooperative). */
async function nearTask(name: string, cooperative: boolean, offset: number): Promise<{ path: string; task: StrainTask }> {
  const t0 = readStrainTaskFile(probe, network);
  const eps = targetStrains({ ...t0, cooperative });
  const delta = (1 + offset) * (cooperative ? 0.5 * (eps[0] + eps[1]) : eps[0]);
  const path = join(dir, name);
  const args = ['task', 'strain', '--source', t0.source.join(','), '--target', t0.target.join(','), `--delta=${delta}`, '--eta', '0.001', '--out', path];
  if (cooperative) args.push('--cooperative');
  const r = await clln(...args);
  expect(r.code, r.stderr).toBe(0);
  return { path, task: readStrainTaskFile(path, network) };
}

async function rates(taskPath: string): Promise<{ cl_critical_alpha: number; gradient_critical_alpha: number; kappa: number[] }> {
  const r = await clln('diagnose', net, taskPath, '--json', '--modes', '3');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).rates;
}

/** Error sum_d (eps_T^F - Delta)^2 after each of `steps` steps, over the error before. */
function errorRatios(task: StrainTask, o: SpringTrainOptions, steps: number): number[] {
  const tr = new SpringTrainer(network, task, { ...o, steps });
  const err = (): number => targetStrains(task).reduce((s, e) => s + (e - task.delta) ** 2, 0);
  // (targetStrains solves the original network; the trainer's stiffnesses are read after each step)
  const e0 = err();
  const out: number[] = [];
  for (let s = 0; s < steps; s++) {
    tr.step();
    const after = new StrainSolver({ ...network, stiffness: Float64Array.from(tr.stiffness) }).taskStates(task, 0.1);
    out.push(after.reduce((sum, x) => sum + (x.freeTarget - task.delta) ** 2, 0) / e0);
  }
  return out;
}

describe('clln diagnose: the critical learning rates of a strain task', () => {
  it('one direction: a step at a alpha_c multiplies the error by (1 - 2a)^2, cl and gradient', async () => {
    const { path, task } = await nearTask('near.strain.json', false, 1e-3);
    const r = await rates(path);
    expect(r.kappa[0]).toBeGreaterThan(0);
    for (const a of [0.25, 0.7, 1.5]) {
      const cl = errorRatios(task, { rule: 'cl', eta: 1e-3, alpha: a * r.cl_critical_alpha }, 1)[0];
      expect(cl / (1 - 2 * a) ** 2, `cl at ${a} alpha_c`).toBeCloseTo(1, 2);
      const gr = errorRatios(task, { rule: 'gradient', alpha: a * r.gradient_critical_alpha }, 1)[0];
      expect(gr / (1 - 2 * a) ** 2, `gradient at ${a} alpha_c`).toBeCloseTo(1, 2);
    }
    const text = await clln('diagnose', net, path, '--modes', '3');
    expect(text.stdout).toContain('learning rate (clln train --alpha): the error grows above alpha');
  });

  it('cooperative: above alpha_c the error grows, below it decays (both directions\' coupling counted)', async () => {
    const { path, task } = await nearTask('coop.strain.json', true, 1e-6);
    const r = await rates(path);
    expect(r.kappa.length).toBe(2);
    // the top mode of r <- (I - alpha M) r grows by (1 - 2a)^2 per step once it dominates the error (it starts small:
    // by step 29 it does, before the growth leaves the linear regime; measured 1.67 against 1.69)
    const above = errorRatios(task, { rule: 'cl', eta: 1e-3, alpha: 1.15 * r.cl_critical_alpha }, 30);
    expect(above[29]).toBeGreaterThan(10);
    expect(above[29] / above[28]).toBeCloseTo((1 - 2 * 1.15) ** 2, 1);
    const below = errorRatios(task, { rule: 'cl', eta: 1e-3, alpha: 0.85 * r.cl_critical_alpha }, 30);
    for (let s = 1; s < 30; s++) expect(below[s]).toBeLessThan(below[s - 1]);
    expect(readFileSync(path, 'utf8')).toContain('"cooperative": true');
  });
});
