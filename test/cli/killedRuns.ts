/**
 * The built CLI run as a user runs it, for the kill-and-resume tests of in-process training runs (every network kind):
 * `clln` to completion, `clln` sent a signal once its record holds some steps (a condition polled again and again,
 * never a duration), and the loop that kills a run with kill -9 at random recorded points and resumes it until done.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Rng } from '../../src/physics/Rng.js';
import { readRun } from '../../src/store/readRun.js';

export const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
/** The tests need `npm run build`; they are skipped without it. */
export const built = existsSync(CLI);

/** Complete primary-stream event lines in the record so far (evaluation events have train_mse). */
export function recordedSteps(path: string): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.startsWith('["event"') && !l.includes('"train_mse"')).length;
}

/** The built CLI in a fresh folder `dir` (its working directory). */
export function cliIn(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  /** `clln ARGS` to completion. */
  function clln(...args: string[]): { code: number; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }
  /** Start `clln ARGS`; once the record `run` holds `at` steps, send `signal`. Resolves with whether it was sent, the exit code and stdout. */
  function runAndSignal(args: string[], run: string, at: number, signal: NodeJS.Signals): Promise<{ sent: boolean; code: number | null; stdout: string }> {
    return new Promise((done) => {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      let sent = false;
      const poll = setInterval(() => {
        if (!sent && child.exitCode === null && recordedSteps(run) >= at) sent = child.kill(signal);
      }, 2);
      child.on('exit', (code) => {
        clearInterval(poll);
        done({ sent, code, stdout });
      });
    });
  }
  /**
   * `clln TRAIN --record RUN`, killed with kill -9 once it has recorded 1 to `gap` more steps (random), then `clln
   * resume RUN` killed the same way, and so on, until `kills` kills landed, the run completed, or `attempts` tries.
   * Resolves with the kills that landed (a run may finish before its kill).
   */
  async function killAndResume(train: string[], run: string, o: { rng: Rng; kills: number; attempts: number; gap: number }): Promise<number> {
    let kills = 0;
    for (let attempt = 0; kills < o.kills && attempt < o.attempts; attempt++) {
      const args = existsSync(run) ? ['resume', run] : [...train, '--record', run];
      if ((await runAndSignal(args, run, recordedSteps(run) + 1 + o.rng.int(o.gap), 'SIGKILL')).sent) kills++;
      if (existsSync(run) && readRun(run).status === 'complete') break;
    }
    return kills;
  }
  return { dir, clln, runAndSignal, killAndResume };
}
