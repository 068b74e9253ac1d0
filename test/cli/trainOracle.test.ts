/**
 * `clln train NETWORK TASK --json` (the in-process, simulated run) against a deliberately independent ORACLE written
 * here: the network and task are read back from the JSON files the CLI reads, every state is a dense Gaussian
 * elimination of the grounded Laplacian (no sparse code, no ordering, no Cholesky), and the update is the contrast
 * update of docs/design.md written out from the formula. 300 steps in sequential order (step s uses example s mod count,
 * docs/design.md), so the oracle needs no shuffle. Agreement: 1e-12 relative (max norm) on the conductances and the MSEs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { networkToJson } from '../../src/formats/networkFile.js';
import { taskToJson } from '../../src/formats/taskFile.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { clln } from './inProcess.js';
import { gaussSolve } from '../oracles/gaussSolve.js';
import { maxRel } from '../oracles/maxRel.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-oracle-'));
const netPath = join(dir, 'net.json');
const taskPath = join(dir, 'task.json');
writeFileSync(netPath, JSON.stringify(networkToJson(latticeNetwork({ rows: 4, cols: 4, diagonals: true, seed: 3, conductance: [0.5, 1.5], bounds: [0.05, 20] }))));
writeFileSync(taskPath, JSON.stringify(taskToJson(referenceTask({ count: 30, test: 15, seed: 2 }))));

// ---------------------------------------------------------------- the oracle (independent of src/physics)

interface OracleNet {
  nodes: number;
  edges: [number, number][];
  k: number[];
  bounds: [number, number];
}
interface OracleTask {
  sources: number[];
  ground: number[];
  targets: number[];
  train: { in: number[]; out: number[] }[];
  test: { in: number[]; out: number[] }[];
}

/**
 * Node voltages with `fixed` node -> volts imposed and Kirchhoff's current law at every other node; `extra` adds a
 * conductance to a source at a given voltage on some nodes (the EP nudge): node -> [conductance, volts].
 */
function denseSolve(net: OracleNet, fixed: Map<number, number>, extra = new Map<number, [number, number]>()): number[] {
  const n = net.nodes;
  const H = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  net.edges.forEach(([a, b], e) => {
    H[a][a] += net.k[e];
    H[b][b] += net.k[e];
    H[a][b] -= net.k[e];
    H[b][a] -= net.k[e];
  });
  const free = [...Array(n).keys()].filter((i) => !fixed.has(i));
  const m = free.length;
  // A x = r over the free nodes: H_FF x = -H_FI v_I (+ nudge terms)
  const A = free.map((i) => free.map((j) => H[i][j]));
  const r = free.map((i) => {
    let s = 0;
    for (const [j, v] of fixed) s -= H[i][j] * v;
    return s;
  });
  free.forEach((i, f) => {
    const x = extra.get(i);
    if (x) {
      A[f][f] += x[0];
      r[f] += x[0] * x[1];
    }
  });
  const x = gaussSolve(A, r);
  const v = new Array<number>(n).fill(0);
  for (const [i, val] of fixed) v[i] = val;
  free.forEach((i, f) => (v[i] = x[f]));
  return v;
}

function freeState(net: OracleNet, task: OracleTask, input: number[]): number[] {
  const fixed = new Map<number, number>();
  task.sources.forEach((s, i) => fixed.set(s, input[i]));
  for (const g of task.ground) fixed.set(g, 0);
  return denseSolve(net, fixed);
}

function mse(net: OracleNet, task: OracleTask, set: { in: number[]; out: number[] }[]): number {
  let sum = 0;
  for (const ex of set) {
    const v = freeState(net, task, ex.in);
    task.targets.forEach((t, i) => (sum += (v[t] - ex.out[i]) ** 2));
  }
  // mean over examples and target outputs (V^2 per target output, as clln reports it)
  return sum / (set.length * task.targets.length);
}

/** docs/design.md's contrast update: k_e <- clip(k_e + alpha/(2 eta) [(dV_e^F)^2 - (dV_e^C)^2], k_min, k_max) (EP: beta). */
function oracleTrain(net: OracleNet, task: OracleTask, rule: 'cl' | 'ep' | 'cep', p: { eta: number; beta: number; alpha: number; steps: number }) {
  const k = [...net.k];
  const cur = (): OracleNet => ({ ...net, k });
  const initial = { train: mse(cur(), task, task.train), test: mse(cur(), task, task.test) };
  const drop = (v: number[], e: number) => v[net.edges[e][1]] - v[net.edges[e][0]];
  const clip = (x: number) => Math.min(net.bounds[1], Math.max(net.bounds[0], x));
  for (let s = 0; s < p.steps; s++) {
    const ex = task.train[s % task.train.length];
    const vf = freeState(cur(), task, ex.in);
    const fixed = new Map<number, number>();
    task.sources.forEach((n, i) => fixed.set(n, ex.in[i]));
    for (const g of task.ground) fixed.set(g, 0);
    if (rule === 'cl') {
      task.targets.forEach((t, i) => fixed.set(t, vf[t] + p.eta * (ex.out[i] - vf[t])));
      const vc = denseSolve(cur(), fixed);
      const rate = p.alpha / (2 * p.eta);
      for (let e = 0; e < k.length; e++) k[e] = clip(k[e] + rate * (drop(vf, e) ** 2 - drop(vc, e) ** 2));
    } else {
      const nudge = (beta: number) => denseSolve(cur(), fixed, new Map(task.targets.map((t, i) => [t, [beta, ex.out[i]] as [number, number]])));
      const plus = nudge(p.beta);
      const minus = rule === 'cep' ? nudge(-p.beta) : vf;
      const rate = rule === 'cep' ? p.alpha / (4 * p.beta) : p.alpha / (2 * p.beta);
      for (let e = 0; e < k.length; e++) k[e] = clip(k[e] + rate * (drop(minus, e) ** 2 - drop(plus, e) ** 2));
    }
  }
  return { k, initial, train: mse(cur(), task, task.train), test: mse(cur(), task, task.test) };
}

function readOracleInputs(): { net: OracleNet; task: OracleTask } {
  const n = JSON.parse(readFileSync(netPath, 'utf8'));
  const t = JSON.parse(readFileSync(taskPath, 'utf8'));
  // docs/design.md / Trainer docs: the network's bounds, else [1e-6, 1e6]
  return { net: { nodes: n.nodes, edges: n.edges, k: n.conductance, bounds: n.bounds ?? [1e-6, 1e6] }, task: { ...t, test: t.test ?? [] } };
}

// ---------------------------------------------------------------- the tests

describe('clln train --json against the dense oracle (300 steps, sequential order)', () => {
  const cases: { rule: 'cl' | 'ep' | 'cep'; args: string[]; p: { eta: number; beta: number; alpha: number; steps: number } }[] = [
    { rule: 'cl', args: [], p: { eta: 0.1, beta: 0.01, alpha: 0.5, steps: 300 } },
    { rule: 'cl', args: ['--eta', '0.3', '--alpha', '2'], p: { eta: 0.3, beta: 0.01, alpha: 2, steps: 300 } },
    { rule: 'ep', args: ['--beta', '0.05', '--alpha', '2'], p: { eta: 0.1, beta: 0.05, alpha: 2, steps: 300 } },
    { rule: 'cep', args: ['--beta', '0.05', '--alpha', '2'], p: { eta: 0.1, beta: 0.05, alpha: 2, steps: 300 } },
  ];
  cases.forEach((c, i) => {
    it(`${c.rule} ${c.args.join(' ')}: conductances and MSEs agree to 1e-12`, async () => {
      // recorded, as every run is (with snapshots every 7 steps, so the recorder's work is in every step's path)
      const rec = ['--record', join(dir, `run-${i}.jsonl`), '--snapshot-every', '7'];
      const r = await clln('train', netPath, taskPath, '--rule', c.rule, ...c.args, '--steps', String(c.p.steps), '--order', 'sequential', '--json', ...rec);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      const { net, task } = readOracleInputs();
      const ref = oracleTrain(net, task, c.rule, c.p);
      expect(out.steps).toBe(c.p.steps);
      // the run must have learned something, or agreement would say little
      expect(ref.test).toBeLessThan(ref.initial.test / 2);
      expect(maxRel(out.conductance, ref.k)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(out.train_mse - ref.train) / ref.train).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(out.test_mse - ref.test) / ref.test).toBeLessThanOrEqual(1e-12);
    });
  });
});
