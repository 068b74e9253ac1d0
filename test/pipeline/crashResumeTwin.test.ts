import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/physics/Rng.js';
import { readRun } from '../../src/store/readRun.js';

// The whole stack as a user runs it: the built CLI, the twin on a pty, the run record on disk.
const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const built = existsSync(CLI);

/** Events in a run record so far: complete lines whose document is an `event` (a torn last line is not counted). */
function countEvents(path: string): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'utf8');
  let n = 0;
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) if (line.startsWith('["event"')) n++;
  return n;
}

/** countEvents for a file that grows while we watch: reads only what was appended since the last look. */
class EventCounter {
  private offset = 0;
  private count = 0;
  private partial = '';
  constructor(private readonly path: string) {}

  get events(): number {
    if (!existsSync(this.path)) return 0;
    const size = statSync(this.path).size;
    if (size < this.offset) {
      // truncated (a resume dropped a torn line): count again from the start
      this.offset = 0;
      this.count = 0;
      this.partial = '';
    }
    if (size > this.offset) {
      const fd = openSync(this.path, 'r');
      try {
        const buf = Buffer.alloc(size - this.offset);
        readSync(fd, buf, 0, buf.length, this.offset);
        this.offset = size;
        const lines = (this.partial + buf.toString('utf8')).split('\n');
        this.partial = lines.pop()!;
        for (const line of lines) if (line.startsWith('["event"')) this.count++;
      } finally {
        closeSync(fd);
      }
    }
    return this.count;
  }
}

/**
 * Start `clln ARGS` and kill -9 it at a moment chosen by what it has done, never by elapsed time (on a loaded
 * machine a pty twin may need seconds to answer): `'spawn'` kills it as soon as the process exists (start-up, before
 * the board answers); a number kills it once the record at `run` holds that many events (mid-run; the check is
 * repeated until it holds or the process ends). `null` lets it finish. Resolves with whether it was killed.
 */
function runAndKill(args: string[], cwd: string, run: string, at: 'spawn' | number | null): Promise<boolean> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: 'ignore' });
    let killed = false;
    let poll: NodeJS.Timeout | null = null;
    const counter = new EventCounter(run);
    const kill = (): void => {
      if (!killed && child.exitCode === null) killed = child.kill('SIGKILL');
    };
    if (at === 'spawn') child.once('spawn', kill);
    else if (at !== null) {
      // a condition, not a duration: look at the record again and again until it holds
      poll = setInterval(() => {
        if (counter.events >= at) kill();
      }, 5);
    }
    child.on('exit', () => {
      if (poll) clearInterval(poll);
      done(killed);
    });
  });
}

/**
 * Issue 18, point 3: the same crash safety on the in-process twin (`--board twin`), now that it runs thousands of
 * steps per second with its record written once per step (the line built field by field, the fsync batched): kill -9
 * at random moments, `clln resume`, and no step is lost or recorded twice, the final settings those of an
 * uninterrupted run. (Helpers as in crashResume.test.ts.)
 */
describe.skipIf(!built)('crash safety on the in-process twin: kill -9 at random moments, then clln resume', () => {
  it('12 random kills: every step exactly once, in order; final settings equal an uninterrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-crash-twin-'));
    const net = join(dir, 'board.json');
    const task = join(dir, 'task.json');
    spawnSync(process.execPath, [CLI, 'network', 'board', 'penn-gen1', '--out', net]);
    spawnSync(process.execPath, [CLI, 'task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--count', '20', '--test', '4', '--seed', '1', '--network', net, '--out', task]);
    // enough steps that kills land in the middle of training (the twin is fast: kills come after 1 to 400 more steps)
    const steps = 6000;
    const common = ['--twin-ideal', '--steps', String(steps), '--order', 'sequential', '--seed', '2'];
    const ref = spawnSync(process.execPath, [CLI, 'train', net, task, '--board', 'twin', ...common, '--no-record', '--json'], { cwd: dir, encoding: 'utf8' });
    expect(ref.status).toBe(0);
    const want = JSON.parse(ref.stdout).settings;

    const run = join(dir, 'run.jsonl');
    const rng = new Rng(8);
    let kills = 0;
    let midRun = 0;
    for (let attempts = 0; kills < 12 && attempts < 40; attempts++) {
      if (existsSync(run) && readRun(run).status === 'complete') break;
      const args = existsSync(run) ? ['resume', run] : ['train', net, task, '--board', 'twin', ...common, '--record', run];
      const before = countEvents(run);
      const at = rng.next() < 0.2 ? 'spawn' : before + 1 + rng.int(400);
      if (await runAndKill(args, dir, run, at)) {
        kills++;
        if (countEvents(run) > before) midRun++;
      }
    }
    if (readRun(run).status !== 'complete') expect(await runAndKill(['resume', run], dir, run, null)).toBe(false);
    expect(kills).toBeGreaterThanOrEqual(6);
    expect(midRun).toBeGreaterThanOrEqual(4);
    const rec = readRun(run);
    expect(rec.status).toBe('complete');
    // every step exactly once, in order, and the events hold what the descriptor declares
    expect(rec.events.map((e) => (e.data as { step: number }).step)).toEqual(Array.from({ length: steps }, (_, s) => s));
    expect(rec.events.map((e) => e.seq_num)).toEqual(Array.from({ length: steps }, (_, s) => s + 1));
    expect((rec.events[rec.events.length - 1].data as { settings: number[] }).settings).toEqual(want);
    expect(rec.stop?.exit_status).toBe('success');
  }, 300_000);
});
