/**
 * A simulated `clln train NETWORK TASK` as a user runs it (the built CLI): recorded, killed with kill -9 at random
 * recorded points and continued with `clln resume` until done — every step recorded once, and every step's digest and
 * the final conductances equal to an uninterrupted run's — then listed by `clln runs`, exported (with the column
 * limit) and diagnosed with `clln diagnose --run`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/physics/Rng.js';
import { readRun } from '../../src/store/readRun.js';
import { built, CLI, cliIn } from './killedRuns.js';

const { dir, clln, runAndSignal, killAndResume } = cliIn('clln-simcli-');
const net = join(dir, 'net.json');
const task = join(dir, 'task.json');

beforeAll(() => {
  if (!built) return;
  // 10 x 10 lattice: steps slow enough that a kill lands between recorded points
  spawnSync(process.execPath, [CLI, 'network', 'lattice', '10x10', '--diagonals', '--seed', '1', '--out', net]);
  spawnSync(process.execPath, [CLI, 'task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,9', '--targets', '44,55', '--ground', '99', '--count', '30', '--test', '10', '--seed', '1', '--network', net, '--out', task]);
});

describe.skipIf(!built)('clln train NETWORK TASK: a recorded run like any other', () => {
  const steps = 1500;
  const common = ['--steps', String(steps), '--seed', '3', '--snapshot-every', '40'];

  it('kill -9 at 8 random recorded points, then resume: every step once, digests and final conductances as uninterrupted', async () => {
    const refRun = join(dir, 'reference.jsonl');
    const ref = clln('train', net, task, ...common, '--json', '--record', refRun);
    expect(ref.code, ref.stderr).toBe(0);
    const want = JSON.parse(ref.stdout);
    // the same without a record: recording changes no number
    const bare = clln('train', net, task, '--steps', String(steps), '--seed', '3', '--json', '--no-record');
    expect(bare.stdout).toBe(ref.stdout);

    const run = join(dir, 'killed.jsonl');
    const kills = await killAndResume(['train', net, task, ...common], run, { rng: new Rng(21), kills: 8, attempts: 30, gap: 150 });
    expect(kills).toBeGreaterThanOrEqual(3);
    const last = existsSync(run) && readRun(run).status === 'complete' ? null : clln('resume', run, '--json');
    if (last) {
      expect(last.code, last.stderr).toBe(0);
      expect(JSON.parse(last.stdout).conductance).toEqual(want.conductance);
    }
    const rec = readRun(run);
    const whole = readRun(refRun);
    expect(rec.status).toBe('complete');
    expect(rec.events.map((e) => e.data.step)).toEqual(Array.from({ length: steps }, (_, s) => s));
    expect(rec.events.map((e) => e.data.k_sha256)).toEqual(whole.events.map((e) => e.data.k_sha256));
    expect(rec.events[steps - 1].data.conductance).toEqual(want.conductance);
  }, 240_000);

  it('clln runs lists it, clln export refuses 349 columns unless asked, clln diagnose --run reads it', () => {
    const run = join(dir, 'listed.jsonl');
    const t = clln('train', net, task, '--steps', '100', '--snapshot-every', '30', '--record', run);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toContain(`run recorded in ${run}`);

    const list = clln('runs', dir, '--json');
    const mine = JSON.parse(list.stdout).find((r: { path: string }) => r.path.endsWith('listed.jsonl'));
    expect(mine).toMatchObject({ steps: 100, status: 'complete' });

    // 342 edges: one conductance column each, over a limit of 100
    const wide = clln('export', run, '--csv', join(dir, 'wide.csv'), '--columns', '100');
    expect(wide.code).toBe(2);
    expect(wide.stderr).toMatch(/would export 349 columns \(conductance: 342\), more than the limit of 100/);
    expect(wide.stderr).toMatch(/--omit conductance/);
    const slim = clln('export', run, '--csv', '-', '--omit', 'conductance');
    expect(slim.code, slim.stderr).toBe(0);
    const rows = slim.stdout.trim().split('\r\n');
    expect(rows[0]).toBe('seq_num,time,step,example,cost,changed,k_sha256');
    expect(rows).toHaveLength(101);
    const full = clln('export', run, '--csv', join(dir, 'full.csv'));
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout).toMatch(/100 steps x 349 columns/);
    const badOmit = clln('export', run, '--csv', '-', '--omit', 'settings');
    expect(badOmit.code).toBe(2);
    expect(badOmit.stderr).toMatch(/has no data key settings/);

    const d = clln('diagnose', '--run', run, '--json', '--modes', '3');
    expect(d.code, d.stderr).toBe(0);
    const out = JSON.parse(d.stdout);
    // snapshots after steps 30, 60, 90 and the last (100)
    expect(out.evolution.steps).toEqual([30, 60, 90, 100]);
    expect(out.cost.stability[0].step).toMatchObject({ rule: 'cl', eta: 0.1, alpha: 0.5 });
  }, 120_000);
});

describe.skipIf(!built)('bad options of a simulated run: exit 2, one paragraph', () => {
  const cases: [string[], RegExp][] = [
    [['--snapshot-every', '0'], /--snapshot-every.*integer >= 1/],
    [['--no-record', '--record', 'x.jsonl'], /--no-record: contradicts --record FILE/],
    [['--no-record', '--snapshot-every', '5'], /--snapshot-every: applies to a record/],
    [['--board', 'twin', '--snapshot-every', '5'], /--snapshot-every: applies to simulated runs/],
  ];
  for (const [args, msg] of cases) {
    it(args.join(' '), () => {
      const r = clln('train', net, task, '--steps', '3', ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }
  it('export --columns 0', () => {
    const r = clln('export', join(dir, 'listed.jsonl'), '--csv', '-', '--columns', '0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--columns.*integer >= 1/);
  });
});

describe.skipIf(!built)('Ctrl-C on a simulated run', () => {
  it('SIGINT stops after the current step: exit 0, the final result of the steps done, the record stopped as such', async () => {
    const run = join(dir, 'interrupted.jsonl');
    // a condition, not a duration: once 30 steps are recorded
    const { sent, code, stdout } = await runAndSignal(['train', net, task, '--steps', '1000000', '--record', run, '--json'], run, 30, 'SIGINT');
    expect(sent).toBe(true);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    const rec = readRun(run);
    expect(rec.stop).toMatchObject({ exit_status: 'success', reason: 'stop' });
    expect(out.steps).toBe(rec.events.length);
    expect(out.steps).toBeLessThan(1000000);
    expect(Number.isFinite(out.test_mse)).toBe(true);
  }, 120_000);
});
