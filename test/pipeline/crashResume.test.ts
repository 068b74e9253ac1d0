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
 * One crash scenario: the board, how many kills, and how far past the last recorded step each may land. The pty twin
 * (serial host, 1 Mbaud) and the in-process twin (issue 18 point 3: thousands of steps per second, the record line
 * written once per step before the next step touches the board, the fsync batched) are held to the same guarantees.
 */
interface CrashCase {
  title: string;
  board: 'pty' | 'twin';
  extra: string[];
  /** More steps than the kills can reach, so that the last attempt finishes the run. */
  steps: number;
  kills: number;
  maxAttempts: number;
  /** A kill lands after 1 to `spread` more recorded steps (one in five during start-up instead). */
  spread: number;
  seed: number;
  /** Kills that must happen at all, and in the middle of training rather than during start-up. */
  minKills: number;
  minMidRun: number;
  timeoutMs: number;
}

const CASES: CrashCase[] = [
  { title: '20 random kills on the pty twin', board: 'pty', extra: ['--twin-baud', '1000000'], steps: 400, kills: 20, maxAttempts: 60, spread: 16, seed: 7, minKills: 20, minMidRun: 8, timeoutMs: 240_000 },
  { title: '12 random kills on the in-process twin', board: 'twin', extra: [], steps: 6000, kills: 12, maxAttempts: 40, spread: 400, seed: 8, minKills: 6, minMidRun: 4, timeoutMs: 300_000 },
];

describe.skipIf(!built)('crash safety: kill -9 at random moments, then clln resume', () => {
  for (const c of CASES) {
    it(`${c.title}: every step recorded exactly once, in order; final settings equal an uninterrupted run`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `clln-crash-${c.board}-`));
      const net = join(dir, 'board.json');
      const task = join(dir, 'task.json');
      spawnSync(process.execPath, [CLI, 'network', 'board', 'penn-gen1', '--out', net]);
      spawnSync(process.execPath, [CLI, 'task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--count', '20', '--test', '4', '--seed', '1', '--network', net, '--out', task]);
      const common = ['--twin-ideal', '--steps', String(c.steps), '--order', 'sequential', '--seed', '2'];

      // the reference: the same run, uninterrupted, on the in-process twin (bit-identical to the pty twin when ideal)
      const ref = spawnSync(process.execPath, [CLI, 'train', net, task, '--board', 'twin', ...common, '--no-record', '--json'], { cwd: dir, encoding: 'utf8' });
      expect(ref.status).toBe(0);
      const want = JSON.parse(ref.stdout).settings;

      const run = join(dir, 'run.jsonl');
      const rng = new Rng(c.seed);
      let kills = 0;
      let midRun = 0;
      for (let attempts = 0; kills < c.kills && attempts < c.maxAttempts; attempts++) {
        if (existsSync(run) && readRun(run).status === 'complete') break;
        const args = existsSync(run) ? ['resume', run] : ['train', net, task, '--board', c.board, ...common, ...c.extra, '--record', run];
        const before = countEvents(run);
        const at = rng.next() < 0.2 ? 'spawn' : before + 1 + rng.int(c.spread);
        if (await runAndKill(args, dir, run, at)) {
          kills++;
          if (countEvents(run) > before) midRun++;
        }
      }
      // then let it finish
      if (readRun(run).status !== 'complete') expect(await runAndKill(['resume', run], dir, run, null)).toBe(false);
      expect(kills).toBeGreaterThanOrEqual(c.minKills);
      // most kills land in the middle of training, not only during start-up
      expect(midRun).toBeGreaterThanOrEqual(c.minMidRun);

      const rec = readRun(run);
      expect(rec.status).toBe('complete');
      // every step exactly once, in order, and the events numbered without a gap
      expect(rec.events.map((e) => (e.data as { step: number }).step)).toEqual(Array.from({ length: c.steps }, (_, s) => s));
      expect(rec.events.map((e) => e.seq_num)).toEqual(Array.from({ length: c.steps }, (_, s) => s + 1));
      expect((rec.events[rec.events.length - 1].data as { settings: number[] }).settings).toEqual(want);
      // and the record's own final word agrees
      expect(rec.stop?.exit_status).toBe('success');
    }, c.timeoutMs);
  }
});
