/**
 * Issue 7, points 4 and 5, end to end in a real terminal: `clln tui` on the pty twin inside tmux (CI=false for the
 * child: ink prints only the last frame when CI is set), keys sent with `tmux send-keys`, the screen read with
 * `tmux capture-pane`. The twin unplugs itself every few hundred commands: the dashboard must show the link down and
 * the retry countdown, and the run must go on without losing a step (checked in the run record).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRun } from '../../src/store/readRun.js';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const ready = existsSync(CLI) && have('tmux') && have('socat');
const session = `clln-e2e-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'clln-tui-'));

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', args, { encoding: 'utf8' });
  return r.stdout ?? '';
}
function screen(): string {
  return tmux('capture-pane', '-p', '-t', session);
}
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
/** Wait until the screen matches, returning it; fails with the last screen after `ms`. */
async function waitFor(re: RegExp, ms = 20000): Promise<string> {
  const t0 = Date.now();
  let s = '';
  while (Date.now() - t0 < ms) {
    s = screen();
    if (re.test(s)) return s;
    await sleep(100);
  }
  throw new Error(`screen never matched ${re}; last screen:\n${s}`);
}
function sessionAlive(): boolean {
  return spawnSync('tmux', ['has-session', '-t', session]).status === 0;
}

afterAll(() => {
  if (sessionAlive()) tmux('kill-session', '-t', session);
});

describe.skipIf(!ready)('clln tui in a real terminal (tmux), on the pty twin', () => {
  it('draws the panels, obeys the keys, shows an unplug with its countdown, loses no step, quits cleanly', async () => {
    const run = join(dir, 'run.jsonl');
    const cmd = [
      'env', 'CI=false', process.execPath, CLI, 'tui', '--board', 'pty', '--twin-baud', '1000000', '--steps', '300',
      '--eval-every', '50', '--record', run, '--twin-faults', 'unplug-every=700,unplug-ms=2500',
    ].map((a) => `'${a}'`).join(' ');
    tmux('new-session', '-d', '-s', session, '-x', '150', '-y', '45', `${cmd}; echo EXIT=$?; sleep 30`);
    // the panels
    let s = await waitFor(/5e1f0001/);
    s = await waitFor(/space/);
    expect(s).toMatch(/clln-twin-1\.0\.0/);
    // pause: the state shows paused; a single step moves the step count by one
    await waitFor(/running/);
    // the live consistency check's residuals, as fractions of the alarm thresholds
    await waitFor(/residuals V \d/);
    tmux('send-keys', '-t', session, ' ');
    s = await waitFor(/paused/);
    const stepOf = (x: string): number => Number(/(\d+)\s*\/\s*300/.exec(x)?.[1] ?? NaN);
    await sleep(300);
    const before = stepOf(screen());
    tmux('send-keys', '-t', session, 's');
    await sleep(1500);
    expect(stepOf(await waitFor(/paused/))).toBe(before + 1);
    // resume, then the unplug: the link goes down with a countdown, and comes back
    tmux('send-keys', '-t', session, ' ');
    await waitFor(/running/);
    s = await waitFor(/retry in \d+ ?s/i, 60000);
    expect(s).toMatch(/reconnecting|disconnected/i);
    await waitFor(/connected/, 30000);
    // quit while running asks first; 'n' keeps running; q + y stops cleanly
    tmux('send-keys', '-t', session, 'q');
    await waitFor(/Quit while the run is active\?/);
    tmux('send-keys', '-t', session, 'n');
    await sleep(500);
    expect(screen()).not.toMatch(/Quit while the run is active\?/);
    tmux('send-keys', '-t', session, 'q');
    await waitFor(/Quit while the run is active\?/);
    tmux('send-keys', '-t', session, 'y');
    s = await waitFor(/EXIT=\d+/, 60000);
    expect(s).toMatch(/EXIT=0/);
    // the record: every step done is recorded exactly once, in order, and the run ended properly
    const rec = readRun(run);
    const steps = rec.events.map((e) => (e.data as { step: number }).step);
    expect(steps.length).toBeGreaterThan(before + 1);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i));
    expect(rec.stop?.exit_status).toBe('success');
  }, 240000);
});
