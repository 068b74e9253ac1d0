/**
 * A spring-network `clln train` as a user runs it with the built CLI: killed with kill -9 at random recorded points
 * and continued with `clln resume` until done — every step recorded once, every digest and the final stiffnesses equal
 * to an uninterrupted run's — and Ctrl-C (SIGINT) stopping after the current step with the usual final report.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/physics/Rng.js';
import { readRun } from '../../src/store/readRun.js';
import { readSpringRun } from '../../src/pipeline/springRunRecord.js';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const built = existsSync(CLI);
const dir = mkdtempSync(join(tmpdir(), 'clln-springkill-'));
const net = join(dir, 'net.json');
const task = join(dir, 'task.json');

function clln(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Complete primary-stream event lines in the record so far (evaluations have train_mse). */
function countSteps(path: string): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.startsWith('["event"') && !l.includes('"train_mse"')).length;
}

/** Start `clln ARGS`; once the record holds `at` steps (polled, never timed), send `signal`. Resolves with whether it was sent, and the exit code. */
function runAndSignal(args: string[], run: string, at: number, signal: NodeJS.Signals): Promise<{ sent: boolean; code: number | null; stdout: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    let sent = false;
    const poll = setInterval(() => {
      if (!sent && child.exitCode === null && countSteps(run) >= at) sent = child.kill(signal);
    }, 2);
    child.on('exit', (code) => {
      clearInterval(poll);
      done({ sent, code, stdout });
    });
  });
}

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
    const rng = new Rng(5);
    let kills = 0;
    for (let attempt = 0; kills < 4 && attempt < 20; attempt++) {
      const args = existsSync(run) ? ['resume', run] : ['train', net, task, ...common, '--record', run];
      const at = countSteps(run) + 1 + rng.int(200);
      if ((await runAndSignal(args, run, at, 'SIGKILL')).sent) kills++;
      if (existsSync(run) && readRun(run).status === 'complete') break;
    }
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
