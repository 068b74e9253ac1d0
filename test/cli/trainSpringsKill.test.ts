/**
 * A spring-network `clln train` as a user runs it with the built CLI: killed with kill -9 at random recorded points
 * and continued with `clln resume` until done — every step recorded once, every digest and the final stiffnesses equal
 * to an uninterrupted run's — and Ctrl-C (SIGINT) stopping after the current step with the usual final report.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/physics/Rng.js';
import { readRun } from '../../src/store/readRun.js';
import { readSpringRun } from '../../src/pipeline/springRunRecord.js';
import { built, CLI, cliIn } from './killedRuns.js';

const { dir, clln, runAndSignal, killAndResume } = cliIn('clln-springkill-');
const net = join(dir, 'net.json');
const task = join(dir, 'task.json');

beforeAll(() => {
  if (!built) return;
  spawnSync(process.execPath, [CLI, 'network', 'springs', 'triangular', '12x12', '--coordination', '4.6', '--disorder', '0.2', '--seed', '3', '--out', net]);
  spawnSync(process.execPath, [CLI, 'task', 'strain', '--source', 'auto', '--target', 'auto', '--seed', '2', '--delta', '0.05', '--cooperative', '--network', net, '--out', task]);
});

describe.skipIf(!built)('clln train on a spring network, killed and resumed', () => {
  const steps = 1200;
  const common = ['--steps', String(steps), '--snapshot-every', '50', '--eval-every', '100'];

  it('kill -9 at random recorded points, then resume: every step once, digests and final stiffnesses as uninterrupted', async () => {
    const refRun = join(dir, 'reference.jsonl');
    const ref = clln('train', net, task, ...common, '--json', '--record', refRun);
    expect(ref.code, ref.stderr).toBe(0);
    const want = JSON.parse(ref.stdout);
    const run = join(dir, 'killed.jsonl');
    const kills = await killAndResume(['train', net, task, ...common], run, { rng: new Rng(5), kills: 4, attempts: 20, gap: 200 });
    expect(kills).toBeGreaterThanOrEqual(2);
    if (readRun(run).status !== 'complete') {
      const last = clln('resume', run, '--json');
      expect(last.code, last.stderr).toBe(0);
      expect(JSON.parse(last.stdout).stiffness).toEqual(want.stiffness);
    }
    const rec = readRun(run);
    const whole = readRun(refRun);
    expect(rec.status).toBe('complete');
    expect(rec.events.map((e) => e.data.step)).toEqual(Array.from({ length: steps }, (_, s) => s));
    expect(rec.events.map((e) => e.data.k_sha256)).toEqual(whole.events.map((e) => e.data.k_sha256));
    expect(rec.evaluation!.events.map((e) => e.data)).toEqual(whole.evaluation!.events.map((e) => e.data));
    expect(rec.events[steps - 1].data.stiffness).toEqual(want.stiffness);
  }, 300_000);

  it('Ctrl-C stops after the current step: final report, record stopped with reason stop', async () => {
    const run = join(dir, 'interrupted.jsonl');
    const r = await runAndSignal(['train', net, task, ...common, '--record', run, '--json'], run, 30, 'SIGINT');
    expect(r.sent).toBe(true);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.steps).toBeLessThan(steps);
    const rec = readRun(run);
    expect(rec.stop).toMatchObject({ exit_status: 'success', reason: 'stop' });
    expect(rec.events).toHaveLength(out.steps);
    // the stop fell between snapshots: the record gives the final stiffnesses by replay from the last one
    expect(Array.from(readSpringRun(rec, { replay: true }).trainer!.stiffness)).toEqual(out.stiffness);
  }, 120_000);
});
