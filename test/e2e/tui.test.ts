/**
 * Issue 7, points 4 and 5, end to end in a real terminal, with no system tool (issue 11, points 6 and 8): `clln tui`
 * on the pty twin, run in a pseudo-terminal from node-pty, its screen read by a headless xterm (TerminalSession.ts),
 * keys written to the terminal. The child runs with CI=false (ink prints only the last frame when CI is set, and
 * without the synchronized updates that tell TerminalSession where a frame ends) and a
 * private TMPDIR (where its twin keeps its pty link). The twin unplugs itself every 700 commands: the dashboard must
 * show the link down and the retry countdown, then reconnect, and the run must go on without losing or doubling a
 * step (checked in the run record). Every wait is for something on the screen or for the exit, never for a time.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { readRun } from '../../src/store/readRun.js';
import { TerminalSession } from './TerminalSession.js';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'clln-tui-'));
let session: TerminalSession | null = null;

afterAll(() => {
  session?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** The step count in the footer while it shows `state` (e.g. `paused  step 12/2000`), or null. */
function stepWhile(state: string, screen: string): number | null {
  const m = new RegExp(`\\b${state}\\s+step (\\d+)/\\d+`).exec(screen);
  return m ? Number(m[1]) : null;
}

describe.skipIf(!existsSync(CLI))('clln tui in a real terminal (node-pty + headless xterm), on the pty twin', () => {
  it('draws the panels, obeys the keys, shows an unplug with its countdown, loses no step, quits cleanly', async () => {
    const run = join(dir, 'run.jsonl');
    const twinTmp = join(dir, 'tmp');
    mkdirSync(twinTmp);
    // more steps than the test can take: the run is still active when it quits, so quitting asks first
    const args = [CLI, 'tui', '--board', 'pty', '--twin-baud', '1000000', '--steps', '100000', '--eval-every', '50', '--record', run, '--twin-faults', 'unplug-every=700,unplug-ms=2500'];
    const t = new TerminalSession(process.execPath, args, { cols: 150, rows: 45, env: { ...process.env, CI: 'false', CONTINUOUS_INTEGRATION: 'false', TMPDIR: twinTmp } });
    session = t;
    // a failure (a timeout too) shows where the dashboard was
    onTestFailed(() => {
      console.error(`clln tui: waiting for ${t.waitingFor ?? 'nothing'}; last screen\n${t.screen()}`);
    });
    // the panels: the board's identity, the keys, the run going, the live check's residuals
    await t.waitFor(/5e1f0001/);
    const s = await t.waitFor(/space/);
    expect(s).toMatch(/clln-twin-1\.0\.0/);
    await t.waitFor(/running/);
    await t.waitFor(/residuals V \d/);
    // pause: once the step in flight is done the footer says paused; a single step moves the count by exactly one
    t.press(' ');
    const before = stepWhile('paused', await t.waitFor((x) => stepWhile('paused', x) !== null))!;
    t.press('s');
    const after = stepWhile('paused', await t.waitFor((x) => (stepWhile('paused', x) ?? before) !== before))!;
    expect(after).toBe(before + 1);
    // resume; the twin pulls the plug: the link goes down with a countdown, then comes back (the countdown is on
    // screen for a moment only, so it is looked for in everything drawn since the resume)
    const resumedAt = t.output.length;
    t.press(' ');
    await t.waitFor(/running/);
    expect(await t.waitForOutput(/retry in \d+ ?s/i, resumedAt)).toMatch(/reconnecting, retry in \d+s/);
    await t.waitFor(/● connected/);
    await t.waitFor(/running/);
    // quit while running asks first; 'n' keeps running; q + y stops cleanly
    t.press('q');
    await t.waitFor(/Quit while the run is active\?/);
    t.press('n');
    await t.waitFor((x) => !/Quit while the run is active\?/.test(x));
    t.press('q');
    await t.waitFor(/Quit while the run is active\?/);
    t.press('y');
    expect(await t.exited).toBe(0);
    // the record: every step done is recorded exactly once, in order, and the run ended properly
    const rec = readRun(run);
    const steps = rec.events.map((e) => (e.data as { step: number }).step);
    expect(steps.length).toBeGreaterThan(after);
    expect(steps).toEqual(Array.from({ length: steps.length }, (_, i) => i));
    expect(rec.stop?.exit_status).toBe('success');
    // the twin the dashboard started went with it, and took its pty link and folder along
    expect(readdirSync(twinTmp).filter((e) => e.startsWith('clln-twin-'))).toEqual([]);
  }, 240000);
});
