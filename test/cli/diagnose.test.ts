/**
 * Issue 6, point 2: `clln diagnose NETWORK [TASK] [--run RUN] [--modes K] [--json] [--svg DIR]` as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

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

beforeAll(() => {
  expect(clln('network', 'lattice', '6x6', '--diagonals', '--seed', '2', '--out', net).code).toBe(0);
  expect(clln('task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,5', '--targets', '20,27', '--ground', '35', '--count', '40', '--test', '10', '--seed', '1', '--network', net, '--out', task).code).toBe(0);
  expect(clln('train', net, task, '--steps', '3000', '--seed', '3', '--save-network', trained).code).toBe(0);
  expect(clln('network', 'board', 'penn-gen2', '--out', board).code).toBe(0);
  expect(clln('task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--range', '0,1', '--network', board, '--out', btask).code).toBe(0);
  expect(clln('train', board, btask, '--board', 'twin:penn-gen2', '--steps', '120', '--record', run).code).toBe(0);
}, 60000);

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
    expect(out.cost.stability[0]).toMatchObject({ rule: 'cl', unstable: false });
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
  });

  it('bad input exits 2 naming what is wrong', () => {
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
