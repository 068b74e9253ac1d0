/**
 * `clln train NET.springs.json TASK.strain.json` as a user runs it (in process): the network and the task made by the
 * generators' commands, trained with --json, --record and --save-network; the saved network checked by a fresh
 * solve (the independent truth: its target strain), the numbers equal to SpringTrainer run alone, a killed run
 * continued by `clln resume` to the same stiffnesses, a progress line on a terminal, and every bad combination refused
 * with exit 2 and one paragraph.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/Io.js';
import { main } from '../../src/cli/main.js';
import { readSpringsFile } from '../../src/formats/springsFile.js';
import { readStrainTaskFile } from '../../src/formats/strainTaskFile.js';
import { SpringTrainer } from '../../src/physics/springs/SpringTrainer.js';
import { StrainSolver } from '../../src/physics/springs/StrainSolver.js';
import { readRun } from '../../src/store/readRun.js';
import { tempDir } from '../store/helpers.js';
import { clln, expectOneParagraph } from './inProcess.js';

const dir = tempDir('clln-trainsprings-');
const net = join(dir, 'net.springs.json');
const task = join(dir, 'task.strain.json');
const coop = join(dir, 'coop.strain.json');
const rnet = join(dir, 'rnet.json');
const rtask = join(dir, 'rtask.json');

async function setup(): Promise<void> {
  if (existsSync(task)) return;
  for (const args of [
    ['network', 'springs', 'triangular', '10x10', '--coordination', '4.6', '--disorder', '0.2', '--seed', '1', '--out', net],
    ['task', 'strain', '--source', 'auto', '--target', 'auto', '--seed', '1', '--delta', '0.1', '--network', net, '--out', task],
    ['task', 'strain', '--source', 'auto', '--target', 'auto', '--seed', '1', '--delta', '0.05', '--cooperative', '--eta', '0.2', '--network', net, '--out', coop],
    ['network', 'lattice', '4x4', '--seed', '1', '--out', rnet],
    ['task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--count', '5', '--seed', '1', '--network', rnet, '--out', rtask],
  ]) {
    const r = await clln(...args);
    expect(r.code, r.stderr).toBe(0);
  }
}

const bits = (k: ArrayLike<number>): string => Buffer.from(Float64Array.from(k).buffer).toString('hex');

describe('clln train on a spring network', () => {
  it('--json --record --save-network: the error falls by orders of magnitude; the saved network responds with Delta', async () => {
    await setup();
    const rec = join(dir, 'a.jsonl');
    const saved = join(dir, 'trained.springs.json');
    const r = await clln('train', net, task, '--steps', '100', '--json', '--record', rec, '--save-network', saved);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ kind: 'springs', steps: 100, rule: 'cl', eta: 0.1, alpha: 30, delta: 0.1 });
    expect(out.train_mse).toBeLessThan(1e-8 * out.initial_train_mse);
    expect(out.max_residual).toBeLessThan(1e-9);
    expect(out.evaluations.map((e: { step: number }) => e.step)).toEqual([0, 100]);
    // independent truth: a fresh solve of the saved network gives the target strain Delta
    const trained = readSpringsFile(saved);
    const t = readStrainTaskFile(task, trained);
    const solver = new StrainSolver(trained);
    const free = solver.freeState(t, t.sourceStrain);
    const eps = solver.strain(free.displacements, t.target[0], t.target[1]);
    expect(Math.abs(eps - 0.1)).toBeLessThan(1e-6);
    expect(bits(trained.stiffness)).toBe(bits(out.stiffness));
    // and the same numbers as the trainer alone
    const alone = new SpringTrainer(readSpringsFile(net), t, { steps: 100 }).run();
    expect(bits(out.stiffness)).toBe(bits(alone.stiffness));
    expect(readRun(rec).status).toBe('complete');
    expect(readRun(rec).descriptor.layout).toBe('clln.spring-steps/1');
  });

  it('cooperative with the task file\'s eta: both directions trained; --rule gradient; summary in words', async () => {
    await setup();
    const r = await clln('train', coop, '--no-record', '--steps', '150');
    expect(r.code).toBe(2); // one positional missing
    const g = await clln('train', net, coop, '--no-record', '--steps', '200', '--json');
    expect(g.code, g.stderr).toBe(0);
    const out = JSON.parse(g.stdout);
    expect(out.eta).toBe(0.2); // from the task file
    expect(out.target_strain).toHaveLength(2);
    for (const e of out.target_strain) expect(Math.abs(e - 0.05)).toBeLessThan(1e-3 * 0.05);
    const grad = await clln('train', net, task, '--no-record', '--steps', '50', '--rule', 'gradient', '--alpha', '10', '--json');
    expect(grad.code, grad.stderr).toBe(0);
    const go = JSON.parse(grad.stdout);
    expect(go).toMatchObject({ rule: 'gradient', alpha: 10 });
    expect(go.train_mse).toBeLessThan(go.initial_train_mse);
    const words = await clln('train', net, coop, '--no-record', '--steps', '20');
    expect(words.code, words.stderr).toBe(0);
    expect(words.stdout).toMatch(/strain error \(eps_T - Delta\)\^2 .* -> .*\(A -> B and B -> A\), Delta 0\.05/);
  });

  it('a killed run (record cut after step 37, torn line) continues with clln resume to the stiffnesses of an uninterrupted run', async () => {
    await setup();
    const whole = join(dir, 'whole.jsonl');
    const ref = await clln('train', net, task, '--steps', '60', '--snapshot-every', '16', '--eval-every', '20', '--json', '--record', whole);
    expect(ref.code, ref.stderr).toBe(0);
    const lines = readFileSync(whole, 'utf8').split('\n').filter((l) => l !== '');
    const primary = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith('["event"') && !('train_mse' in JSON.parse(l)[1].data));
    const end = primary[38][1];
    const cut = join(dir, 'cut.jsonl');
    writeFileSync(cut, lines.slice(0, end).join('\n') + '\n' + lines[end].slice(0, 40));
    const r = await clln('resume', cut, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(bits(out.stiffness)).toBe(bits(JSON.parse(ref.stdout).stiffness));
    expect(out.train_mse).toBe(JSON.parse(ref.stdout).train_mse);
    expect(readRun(cut).events.map((e) => e.data)).toEqual(readRun(whole).events.map((e) => e.data));
  });

  it('draws a progress line on a terminal', async () => {
    await setup();
    let err = '';
    const stderr = Object.assign(new PassThrough(), { isTTY: true, columns: 120 });
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const stdout = new PassThrough();
    const io: Io = { stdout, stderr: stderr as unknown as NodeJS.WriteStream };
    const code = await main(['train', net, task, '--steps', '30', '--no-record'], io);
    await new Promise((r) => setImmediate(r));
    expect(code).toBe(0);
    expect(err).toMatch(/train springs cl \[[#-]+\] 30\/30/);
  });

  const refusals: [string, () => string[], RegExp][] = [
    ['a spring network with a resistor task', () => ['train', net, rtask], /spring network .* trains on a strain task/],
    ['a resistor network with a strain task', () => ['train', rnet, task], /strain task .* not a spring network/],
    ['--board with a spring network', () => ['train', net, task, '--board', 'twin'], /^clln train: --board: boards are resistor networks/],
    ['--beta with a spring network', () => ['train', net, task, '--beta', '0.1'], /--beta/],
    ['--rule ep with a spring network', () => ['train', net, task, '--rule', 'ep', '--no-record'], /spring networks learn with cl or gradient/],
    ['--eta 0', () => ['train', net, task, '--eta', '0', '--no-record'], /eta/],
  ];
  for (const [name, args, message] of refusals) {
    it(`refuses ${name}: exit 2, one paragraph`, async () => {
      await setup();
      const r = await clln(...args());
      expect(r.code).toBe(2);
      expect(expectOneParagraph(r.stderr)).toMatch(message);
    });
  }
});
