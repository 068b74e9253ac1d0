import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/physics/Rng.js';
import { readRun } from '../../src/store/readRun.js';

// The whole stack as a user runs it: the built CLI, the twin on a pty, the run record on disk.
const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const built = existsSync(CLI);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Start `clln ARGS`, kill -9 it after `ms` (unless it ends first); resolves with whether it was killed. */
function runAndKill(args: string[], cwd: string, ms: number): Promise<boolean> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: 'ignore' });
    let killed = false;
    const timer = setTimeout(() => {
      killed = child.kill('SIGKILL');
    }, ms);
    child.on('exit', () => {
      clearTimeout(timer);
      done(killed);
    });
  });
}

describe.skipIf(!built)('crash safety: kill -9 at random moments, then clln resume', () => {
  it('20 random kills on the pty twin: no step lost or recorded twice, final settings equal an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-crash-'));
    const net = join(dir, 'board.json');
    const task = join(dir, 'task.json');
    spawnSync(process.execPath, [CLI, 'network', 'board', 'penn-gen1', '--out', net]);
    spawnSync(process.execPath, [CLI, 'task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--count', '20', '--test', '4', '--seed', '1', '--network', net, '--out', task]);
    // enough steps that 20 kills land before the run can finish, even on a fast machine (about 30 steps per attempt here)
    const steps = 1000;
    const common = ['--twin-ideal', '--steps', String(steps), '--order', 'sequential', '--seed', '2'];

    // the reference: the same run, uninterrupted, on the in-process twin (bit-identical to the pty twin when ideal)
    const ref = spawnSync(process.execPath, [CLI, 'train', net, task, '--board', 'twin', ...common, '--no-record', '--json'], { cwd: dir, encoding: 'utf8' });
    expect(ref.status).toBe(0);
    const want = JSON.parse(ref.stdout).settings;

    const run = join(dir, 'run.jsonl');
    const rng = new Rng(7);
    let kills = 0;
    let finished = false;
    let midRun = 0;
    let recordedBefore = 0;
    for (let attempt = 0; attempt < 60 && !finished; attempt++) {
      const args = existsSync(run) ? ['resume', run] : ['train', net, task, '--board', 'pty', ...common, '--twin-baud', '1000000', '--record', run];
      // kill anywhere from start-up (before the board answers) to well into the steps
      const killed = kills < 20 ? await runAndKill(args, dir, 200 + rng.next() * 2300) : await runAndKill(args, dir, 120_000);
      if (killed) kills++;
      const now = existsSync(run) ? readRun(run) : undefined;
      if (now?.status === 'complete') finished = true;
      else if (killed && now && now.events.length > recordedBefore) midRun++; // killed while stepping
      recordedBefore = now?.events.length ?? 0;
      await sleep(50);
    }
    expect(kills).toBeGreaterThanOrEqual(20);
    // most kills land in the middle of training, not only during start-up
    expect(midRun).toBeGreaterThanOrEqual(8);
    expect(finished).toBe(true);

    const rec = readRun(run);
    const recorded = rec.events.map((e) => (e.data as { step: number }).step);
    // every step exactly once, in order
    expect(recorded).toEqual(Array.from({ length: steps }, (_, s) => s));
    const last = rec.events[rec.events.length - 1].data as { settings: number[] };
    expect(last.settings).toEqual(want);
    // and the record's own final word agrees
    expect(rec.stop?.exit_status).toBe('success');
  }, 240_000);
});
