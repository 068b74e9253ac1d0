/**
 * Issue 14 point 3: `clln diagnose` on a nonlinear network with a task, and on a recorded nonlinear simulated run,
 * reports the cost parts in the learning parameters theta (k in S, V_G in V). The truth here is the circuit solved
 * directly (solveNonlinearCircuit) from the network file: the cost, the norm of its gradient by central differences,
 * and the cost of the run's saved final network.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { networkToJson, readNetworkFile } from '../../src/formats/networkFile.js';
import { taskToJson } from '../../src/formats/taskFile.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { polynomialTask } from '../../src/physics/generators/nonlinearTask.js';
import type { Network } from '../../src/physics/Network.js';
import type { EdgeElement } from '../../src/physics/nonlinear/EdgeElement.js';
import { initialParameters, withParameters } from '../../src/physics/nonlinear/learningParameters.js';
import { solveNonlinearCircuit } from '../../src/physics/nonlinear/solveNonlinearCircuit.js';
import { Rng } from '../../src/physics/Rng.js';
import type { Task } from '../../src/physics/Task.js';
import { clln } from './inProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-diag-nl-'));

/** A 3x3 lattice with diagonals; `transistors`: every edge a gen-2 transistor, else diodes and resistors. */
function lattice(transistors: boolean): Network {
  const base = latticeNetwork({ rows: 3, cols: 3, diagonals: true, seed: 4, conductance: [0.5e-3, 1.5e-3], bounds: [1e-6, 1e-2] });
  const rng = new Rng(21);
  const elements = Array.from(base.edgeA, (_, e): EdgeElement => {
    if (transistors) return { kind: 'transistor', s: 8.5e-4, vt: 0.62, vg: rng.uniform(2, 3), saturation: 'square' };
    return rng.next() < 0.3 ? { kind: 'diode', is: 1e-9, n: 1.5 } : { kind: 'resistor', k: base.conductance[e] };
  });
  return { ...base, elements };
}

const task = polynomialTask({ coefficients: [0.1, 0.2, 0.3], source: 0, target: 4, ground: [8], rail: { node: 2, volts: 1 }, count: 8, test: 2, seed: 3 });

/** The mean cost (V^2) of `net` on the task's training examples, each state solved directly. */
function costOf(net: Network, t: Task): number {
  let c = 0;
  for (const ex of t.train) {
    const fixed = new Map<number, number>();
    t.sources.forEach((s, i) => fixed.set(s, ex.in[i]));
    t.ground.forEach((g) => fixed.set(g, 0));
    const v = solveNonlinearCircuit(net, fixed, { tolerance: 1e-13, absoluteTolerance: 1e-21, maxIterations: 2000 }).voltages;
    t.targets.forEach((n, i) => (c += (0.5 * (v[n] - ex.out[i]) ** 2) / t.train.length));
  }
  return c;
}

function files(net: Network, name: string): { netPath: string; taskPath: string } {
  const netPath = join(dir, `${name}.json`);
  const taskPath = join(dir, `${name}-task.json`);
  writeFileSync(netPath, JSON.stringify(networkToJson(net)));
  writeFileSync(taskPath, JSON.stringify(taskToJson(task)));
  return { netPath, taskPath };
}

describe('clln diagnose on nonlinear networks', () => {
  it('a transistor network with a task: the cost section in V_G (V), fidelity of CL/EP/CEP, and why coupling and stability are left out', async () => {
    const net = lattice(true);
    const { netPath, taskPath } = files(net, 'transistors');
    const r = await clln('diagnose', netPath, taskPath, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.nonlinear.parameters).toEqual({ conductance: 0, gate: net.edgeA.length, none: 0 });
    expect(j.nonlinear.units.theta).toBe('V_G (V)');
    expect(j.nonlinear.units.hessian).toBe('V^2/V^2 (dimensionless)');
    const c = j.cost;
    expect(c.examples).toBe(task.train.length);
    expect(Math.abs(c.value - costOf(net, task))).toBeLessThan(1e-12);
    // |dC/dV_G| against central differences of the directly solved cost
    const theta = initialParameters(net);
    let g2 = 0;
    for (let e = 0; e < theta.length; e++) {
      const p = Float64Array.from(theta);
      const m = Float64Array.from(theta);
      p[e] += 1e-4;
      m[e] -= 1e-4;
      g2 += ((costOf(withParameters(net, p), task) - costOf(withParameters(net, m), task)) / 2e-4) ** 2;
    }
    expect(Math.abs(c.gradient_norm - Math.sqrt(g2))).toBeLessThan(1e-5 * Math.sqrt(g2));
    expect(c.hessian_full).toHaveLength(10);
    expect(c.hessian_gauss_newton).toHaveLength(10);
    // Gauss-Newton is positive semi-definite
    expect(Math.min(...c.hessian_gauss_newton)).toBeGreaterThan(-1e-9 * c.hessian_gauss_newton[0]);
    expect(c.fidelity.map((f: { rule: string }) => f.rule)).toEqual(['cl', 'ep', 'cep']);
    for (const f of c.fidelity) {
      expect(f.cosine).toBeGreaterThan(0.9);
      expect(f.angleDeg).toBeCloseTo((Math.acos(Math.min(1, f.cosine)) * 180) / Math.PI, 10);
    }
    expect(c.coupling).toBeNull();
    expect(c.stability).toEqual([]);
    expect(j.skipped.some((s: string) => s.startsWith('coupling: the cost Hessian is over gate voltages'))).toBe(true);
    expect(j.skipped.some((s: string) => s.startsWith('stability: transistors make the Kirchhoff Jacobian non-symmetric'))).toBe(true);
    const text = await clln('diagnose', netPath, taskPath);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('cost Hessian largest eigenvalues (V^2/V^2 (dimensionless))');
    expect(text.stdout).toContain('gradient fidelity');
  });

  it('diodes and resistors: coupling over the resistors and the CL step stability, in k (S)', async () => {
    const net = lattice(false);
    const { netPath, taskPath } = files(net, 'diodes');
    const r = await clln('diagnose', netPath, taskPath, '--json', '--rule', 'cl', '--alpha', '0.5');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.nonlinear.units.theta).toBe('k (S)');
    expect(Math.abs(j.cost.value - costOf(net, task))).toBeLessThan(1e-12);
    expect(j.cost.coupling.alignment.length).toBeGreaterThan(0);
    expect(j.cost.stability[0]).toMatchObject({ rule: 'cl', applies: true, alpha: 0.5, matrix: 'J^T G_TT^-1 J' });
    expect(j.cost.stability[0].index).toBeCloseTo(0.5 * j.cost.stability[0].lambdaMax, 12);
  });

  it('a recorded nonlinear run: the cost section at its final parameters (the cost of its saved network)', async () => {
    const net = lattice(true);
    const { netPath, taskPath } = files(net, 'run-net');
    const run = join(dir, 'run.jsonl');
    const saved = join(dir, 'trained.json');
    expect((await clln('train', netPath, taskPath, '--steps', '10', '--alpha', '50', '--record', run, '--snapshot-every', '4', '--save-network', saved, '--json')).code).toBe(0);
    const d = await clln('diagnose', '--run', run, '--json');
    expect(d.stderr).toBe('');
    expect(d.code).toBe(0);
    const j = JSON.parse(d.stdout);
    expect(j.evolution.steps.length).toBeGreaterThan(1);
    const trained = readNetworkFile(saved, { nonlinear: true, command: 'test' });
    expect(Math.abs(j.cost.value - costOf(trained, task))).toBeLessThan(1e-12);
    expect(Math.abs(j.cost.value - costOf(net, task))).toBeGreaterThan(1e-9);
    expect(j.cost.fidelity).toHaveLength(3);
    expect(j.nonlinear.units.theta).toBe('V_G (V)');
  });

  it('a recorded run of exact gradient descent on transistors: the record replays to the gates of the unrecorded run, and its step stability is alpha lambda_max of the full cost Hessian', async () => {
    const net = lattice(true);
    const { netPath, taskPath } = files(net, 'gd-net');
    const run = join(dir, 'gd.jsonl');
    const whole = join(dir, 'gd-whole.json');
    expect((await clln('train', netPath, taskPath, '--rule', 'gradient', '--alpha', '2', '--steps', '12', '--no-record', '--save-network', whole, '--json')).code).toBe(0);
    // the same run recorded; resume continues it from the record (nothing to do: it finished) and diagnose reads it
    const r = await clln('train', netPath, taskPath, '--rule', 'gradient', '--alpha', '2', '--steps', '12', '--record', run, '--snapshot-every', '5', '--json');
    expect(r.code, r.stderr).toBe(0);
    const a = readNetworkFile(whole, { nonlinear: true, command: 'test' }).elements!.map((el) => (el as { vg: number }).vg);
    expect(JSON.parse(r.stdout).conductance).toEqual(a);
    const d = await clln('diagnose', '--run', run, '--json');
    expect(d.stderr).toBe('');
    expect(d.code).toBe(0);
    const j = JSON.parse(d.stdout);
    const st = j.cost.stability[0];
    expect(st).toMatchObject({ rule: 'gradient', applies: true, alpha: 2, matrix: 'cost Hessian' });
    // the largest eigenvalue of the full cost Hessian, which the report also lists (descending)
    expect(Math.abs(st.lambdaMax - j.cost.hessian_full[0])).toBeLessThan(1e-6 * j.cost.hessian_full[0]);
    expect(st.index).toBeCloseTo(2 * st.lambdaMax, 12);
  });
});

