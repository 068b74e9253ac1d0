/**
 * Issue 6, point 2: `clln diagnose NETWORK [TASK] [--run RUN] [--modes K] [--json] [--svg DIR]` as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ruleStability } from '../../src/diagnostics/ruleStability.js';
import { runSnapshots } from '../../src/pipeline/runSnapshots.js';
import { readRun } from '../../src/store/readRun.js';
import { loadBoardModel } from '../../twins/BoardModel.js';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'clln-diag-'));

function clln(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const net = join(dir, 'net.json');
const task = join(dir, 'task.json');
const trained = join(dir, 'trained.json');
const board = join(dir, 'board.json');
const btask = join(dir, 'btask.json');
const run = join(dir, 'run.jsonl');
const tapBoard = join(dir, 'tap-board.json');
const tapTask = join(dir, 'tap-task.json');
const tapRun = join(dir, 'tap-run.jsonl');
const gateCalm = join(dir, 'gate-amp10.jsonl');
const gateWild = join(dir, 'gate-amp100.jsonl');

beforeAll(() => {
  expect(clln('network', 'lattice', '6x6', '--diagonals', '--seed', '2', '--out', net).code).toBe(0);
  expect(clln('task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,5', '--targets', '20,27', '--ground', '35', '--count', '40', '--test', '10', '--seed', '1', '--network', net, '--out', task).code).toBe(0);
  expect(clln('train', net, task, '--steps', '3000', '--seed', '3', '--save-network', trained).code).toBe(0);
  expect(clln('network', 'board', 'penn-gen2', '--out', board).code).toBe(0);
  expect(clln('task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--range', '0,1', '--network', board, '--out', btask).code).toBe(0);
  expect(clln('train', board, btask, '--board', 'twin:penn-gen2', '--steps', '120', '--record', run).code).toBe(0);
  // a tap board (penn-gen1: digital potentiometers) and a run on it, device-stepped
  expect(clln('network', 'board', 'penn-gen1', '--out', tapBoard).code).toBe(0);
  expect(clln('task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--range', '0,1', '--count', '20', '--test', '10', '--network', tapBoard, '--out', tapTask).code).toBe(0);
  expect(clln('train', tapBoard, tapTask, '--board', 'twin', '--update', 'device', '--steps', '200', '--record', tapRun).code).toBe(0);
  // gate-board runs at eta 1 with amp 10 and amp 100, the largest the step limits allow (alpha = 2 eta amp s)
  for (const [amp, path] of [['10', gateCalm], ['100', gateWild]]) {
    expect(clln('train', board, btask, '--board', 'twin:penn-gen2', '--twin-ideal', '--eta', '1', '--amp', amp, '--steps', '100', '--order', 'sequential', '--record', path).code).toBe(0);
  }
}, 120000);

describe('clln diagnose', () => {
  it('a network alone: the Laplacian spectrum and localised modes, no cost parts', () => {
    const r = clln('diagnose', net, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.physical.restricted).toBe(false);
    // the full Laplacian: all 36 eigenpairs of a small network; the lowest is the zero mode
    expect(Math.abs(out.physical.lowest.values[0])).toBeLessThan(1e-10);
    expect(out.physical.lowest.residual).toBeLessThan(1e-8);
    expect(out.localisation.chosen_modes).toBeGreaterThanOrEqual(2);
    expect(out.cost).toBeNull();
    expect(out.skipped.join(' ')).toMatch(/no task/);
  });

  it('a trained network and its task: every part, as text and as JSON', () => {
    const text = clln('diagnose', trained, task);
    expect(text.code).toBe(0);
    for (const part of ['physical Hessian (free nodes: 33)', 'localised soft modes', 'cost Hessian largest eigenvalues', 'coupling:', 'gradient fidelity', 'learning stability']) {
      expect(text.stdout).toContain(part);
    }
    const r = clln('diagnose', trained, task, '--json', '--modes', '6');
    const out = JSON.parse(r.stdout);
    expect(out.physical.restricted).toBe(true);
    expect(out.physical.lowest.values).toHaveLength(6);
    expect(out.cost.hessian_full).toHaveLength(6);
    expect(out.cost.coupling.best.cosine).toBeGreaterThan(out.cost.coupling.random.p95);
    expect(out.cost.fidelity.map((f: { rule: string }) => f.rule)).toEqual(['cl', 'ep', 'cep']);
    // no run, no tap table, no options: coupled learning at clln train's defaults, and the report says so
    expect(out.cost.stability).toHaveLength(1);
    expect(out.cost.stability[0]).toMatchObject({ rule: 'cl', applies: true, alpha: 0.5, unstable: false, step: { rule: 'cl', eta: 0.1, alpha: 0.5 }, origin: { from: 'defaults' } });
  });

  it('--svg writes the figures', () => {
    const figs = join(dir, 'figs');
    const r = clln('diagnose', trained, task, '--svg', figs);
    expect(r.code).toBe(0);
    for (const f of ['spectrum.svg', 'soft-mode.svg', 'stiff-cost-mode.svg', 'regions.svg', 'boundary-frequency.svg']) {
      const svg = readFileSync(join(figs, f), 'utf8');
      expect(svg.startsWith('<?xml') || svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('</svg>');
    }
    expect(existsSync(join(figs, 'trajectories.svg'))).toBe(false);
  });

  it('--run: the final state of a board run and its eigenvalue trajectories', () => {
    const figs = join(dir, 'figs-run');
    const r = clln('diagnose', '--run', run, '--json', '--svg', figs);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.network.nodes).toBe(16);
    expect(out.evolution.steps[0]).toBe(1);
    expect(out.evolution.steps[out.evolution.steps.length - 1]).toBe(120);
    expect(out.evolution.lowest[0]).toHaveLength(5);
    expect(existsSync(join(figs, 'trajectories.svg'))).toBe(true);
    // the gate board's effective learning rate 2 eta amp s is used for the stability of its rule
    expect(out.cost.stability[0].alpha).toBeCloseTo(2 * 0.1 * 0.5 * 8.5e-4, 12);
    expect(out.cost.stability[0]).toMatchObject({ rule: 'cl', applies: true, unstable: false, step: { rule: 'cl', eta: 0.1, gate: { amp: 0.5, s: 8.5e-4, sFrom: 'board model' } }, origin: { from: 'run' } });
  });

  it('a tap-board network and a tap-board run are not UNSTABLE: the tap rule has no learning rate, and the report says so', () => {
    for (const args of [[tapBoard, tapTask], ['--run', tapRun]]) {
      const text = clln('diagnose', ...args);
      expect(text.code).toBe(0);
      expect(text.stdout).not.toMatch(/UNSTABLE/);
      expect(text.stdout).toMatch(/learning stability: tap rule .*: not applicable: the tap rule moves each edge one tap by the sign of its contrast/);
      const s = JSON.parse(clln('diagnose', ...args, '--json').stdout).cost.stability;
      expect(s).toHaveLength(1);
      expect(s[0]).toMatchObject({ rule: 'tap', applies: false, index: null, unstable: false, step: { rule: 'tap', eta: 0.1, taps: 100 } });
      expect(s[0].reason).toMatch(/no learning rate/);
      expect(s[0].origin.from).toBe(args[0] === '--run' ? 'run' : 'defaults');
    }
    // the tap rule's own training is fine: the run learned (the record's last cost below its first)
    const costs = readFileSync(tapRun, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter(([k, e]) => k === 'event' && 'cost' in e.data).map(([, e]) => e.data.cost); // primary events (evaluations have no cost)
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(costs.slice(-20))).toBeLessThan(0.5 * mean(costs.slice(0, 20)));
    // asked for coupled learning on that network, the index is computed, and names the rule and step given
    const cl = JSON.parse(clln('diagnose', tapBoard, tapTask, '--rule', 'cl', '--alpha', '0.01', '--json').stdout).cost.stability[0];
    expect(cl).toMatchObject({ rule: 'cl', applies: true, alpha: 0.01, origin: { from: 'options' } });
  });

  it('a gate-board run above the critical rate is still flagged, at the index of the step it ran; one below is not', async () => {
    // the index, independently: alpha = 2 eta amp s (s = 8.5e-4 S/V, penn-gen2) times lambda_max of the CL matrix at
    // the run's final conductances (learningStability.test.ts: above 2 the discrete update diverges)
    const nominal = (m: string) => (m === 'penn-gen2' ? loadBoardModel(m).edge : undefined);
    const expected = (path: string, amp: number): number => {
      const rs = runSnapshots(readRun(path), nominal);
      const k = rs.snapshots[rs.snapshots.length - 1].conductance;
      return ruleStability({ ...rs.net, conductance: k }, rs.task, { rule: 'cl', eta: 1, alpha: 2 * 1 * amp * 8.5e-4 }).index;
    };
    const wild = JSON.parse(clln('diagnose', '--run', gateWild, '--json').stdout).cost.stability[0];
    expect(wild).toMatchObject({ rule: 'cl', applies: true, unstable: true, step: { rule: 'cl', eta: 1, gate: { amp: 100 } }, origin: { from: 'run' } });
    expect(wild.alpha).toBeCloseTo(2 * 1 * 100 * 8.5e-4, 12);
    expect(wild.index).toBeCloseTo(expected(gateWild, 100), 6);
    expect(wild.index).toBeGreaterThan(2);
    expect(clln('diagnose', '--run', gateWild).stdout).toMatch(/CL on gate edges, alpha = 2 eta amp s = 2 x 1 x 100 x 8\.500e-4 .*UNSTABLE \(> 2\)/);
    const calm = JSON.parse(clln('diagnose', '--run', gateCalm, '--json').stdout).cost.stability[0];
    expect(calm).toMatchObject({ rule: 'cl', applies: true, unstable: false });
    expect(calm.index).toBeCloseTo(expected(gateCalm, 10), 6);
    // and the flagged run did learn worse: its last costs are above the calm run's
    const lastCosts = (path: string): number => {
      const ev = readRun(path).events.slice(-20);
      return ev.reduce((a, e) => a + (e.data.cost as number), 0) / ev.length;
    };
    expect(lastCosts(gateWild)).toBeGreaterThan(2 * lastCosts(gateCalm));
    // a gate board's network without a run: its own step with --board (defaults of clln train --board)
    const own = JSON.parse(clln('diagnose', board, btask, '--board', 'penn-gen2', '--json').stdout).cost.stability[0];
    expect(own).toMatchObject({ rule: 'cl', applies: true, unstable: false, origin: { from: 'options' } });
    expect(own.alpha).toBeCloseTo(2 * 0.1 * 0.5 * 8.5e-4, 12);
  });

  it('bad input exits 2 naming what is wrong', () => {
    for (const [args, what] of [
      [[tapBoard, tapTask, '--rule', 'sgd'], /--rule: must be one of cl, ep, cep, tap/],
      [[tapBoard, tapTask, '--rule', 'tap', '--alpha', '0.1'], /--alpha: the tap rule has no learning rate/],
      [[tapBoard, tapTask, '--amp', '3'], /--amp: .*needs --board MODEL or --run RUN/],
      [['--run', tapRun, '--board', 'penn-gen1'], /--board: the run names its own board/],
      [[tapBoard, tapTask, '--board', 'penn-gen9'], /--board: "penn-gen9" is not a shipped board model/],
      [[net, task, '--board', 'penn-gen1'], /net\.json: edges: has 36 nodes/],
    ] as [string[], RegExp][]) {
      const r = clln('diagnose', ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(what);
    }
  });

  it('bad input exits 2 naming what is wrong (files and modes)', () => {
    expect(clln('diagnose').stderr).toMatch(/needs a NETWORK file or --run RUN/);
    expect(clln('diagnose').code).toBe(2);
    const m = clln('diagnose', net, '--modes', '1');
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/--modes/);
    const missing = clln('diagnose', join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json/);
    const notRun = clln('diagnose', '--run', task);
    expect(notRun.code).toBe(2);
  });
});

describe('clln tui without a terminal', () => {
  it('falls back to the plain progress output of clln train --board and exits 0 (what npm start does when piped)', () => {
    const r = clln('tui', '--steps', '40', '--no-record');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/trained board penn-gen1 \(twin, firmware clln-twin-1\.0\.0\) on the reference task: 40 steps/);
    expect(r.stdout).toMatch(/test\s+MSE .* -> /);
  });
});
