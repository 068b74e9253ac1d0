/**
 * Issue 15 point 6, end to end in a real terminal (node-pty + headless xterm, TerminalSession.ts), on the in-process
 * penn-gen2 twin: with NO_COLOR set the dashboard writes no colour code at all (checked on the raw pty output by a
 * parser of its own, not by the code under test), the edges are drawn on the board's lattice, `c` (paused) writes
 * its calibration into calibrations/ in the working directory, `a` asks before
 * aborting (`n` keeps the run going, `y` aborts), and the aborted run's line never says "MSE NaN". Every wait is for
 * something on the screen or for the exit, never for a time.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { TerminalSession } from './TerminalSession.js';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'clln-tui-nocolor-'));
let session: TerminalSession | null = null;

afterAll(() => {
  session?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * The environment of a user's terminal: no CI variables (ink draws only the last frame in CI, and chalk, which ink
 * colours with, turns colour off whenever CI is set at all, even to 'false'), no NO_COLOR, no FORCE_COLOR.
 */
function terminalEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['CI', 'CONTINUOUS_INTEGRATION', 'NO_COLOR', 'FORCE_COLOR']) delete env[k];
  return env;
}

/** The colour parameters (ECMA-48 SGR 30–39, 40–49, 90–97, 100–107, 38/48/58 extended) of every SGR sequence in `raw`. */
function colourCodes(raw: string): string[] {
  const found: string[] = [];
  // eslint-disable-next-line no-control-regex
  for (const m of raw.matchAll(/\u001b\[([0-9;:]*)m/g)) {
    for (const p of m[1].split(';')) {
      const n = Number(p.split(':')[0] || '0');
      if ((n >= 30 && n <= 49) || (n >= 90 && n <= 97) || (n >= 100 && n <= 107) || n === 58) found.push(m[0]);
    }
  }
  return found;
}

describe.skipIf(!existsSync(CLI))('clln tui with NO_COLOR, and the abort question (node-pty + headless xterm)', () => {
  it('no colour codes; the map; c calibrates into calibrations/; a asks first, n keeps running, y aborts; no "MSE NaN"', async () => {
    const args = [CLI, 'tui', '--board', 'twin:penn-gen2', '--steps', '1000000', '--eval-every', '20', '--no-record'];
    const t = new TerminalSession(process.execPath, args, { cols: 120, rows: 45, cwd: dir, env: { ...terminalEnv(), NO_COLOR: '1' } });
    session = t;
    onTestFailed(() => {
      console.error(`clln tui: waiting for ${t.waitingFor ?? 'nothing'}; last screen\n${t.screen()}`);
    });
    await t.waitFor(/running/);
    // the edges on the lattice: node 0, an edge digit, node 1 on one line; the learning curve's step axis
    await t.waitFor(/ 0──\d── 1──\d── 2/);
    await t.waitFor(/└[─┬]+/);
    // c while paused calibrates into calibrations/ in the working directory
    t.press(' ');
    await t.waitFor(/paused\s+step/);
    t.press('c');
    await t.waitFor(/calibrated: converged.*record calibrations\/calibration-penn-gen2-/);
    expect(readdirSync(join(dir, 'calibrations'))).toEqual([expect.stringMatching(/^calibration-penn-gen2-5e1f0002-\d{8}-\d{6}\.json$/)]);
    t.press(' ');
    await t.waitFor(/running\s+step/);
    t.press('a');
    await t.waitFor(/Abort the run\? y: abort now/);
    t.press('n');
    await t.waitFor((x) => !/Abort the run\?/.test(x) && /running/.test(x));
    t.press('a');
    await t.waitFor(/Abort the run\?/);
    t.press('y');
    const s = await t.waitFor(/final MSE not measured \(aborted\)/);
    expect(s).toMatch(/aborted/);
    expect(s).not.toMatch(/NaN/);
    expect(s).toMatch(/last evaluation at step \d+: train MSE \d/); // (the line is cut at the log's width)
    t.press('q');
    expect(await t.exited).toBe(1); // an aborted run exits 1
    expect(colourCodes(t.output)).toEqual([]);
    // the styles that are not colours stay (bold node numbers and keys, the inverse title)
    // eslint-disable-next-line no-control-regex
    expect(t.output).toMatch(/\u001b\[1m/);
  }, 120000);

  it('not vacuous: in the same terminal without NO_COLOR the dashboard is coloured', async () => {
    const args = [CLI, 'tui', '--board', 'twin:penn-gen2', '--steps', '1000000', '--no-record'];
    const t = new TerminalSession(process.execPath, args, { cols: 120, rows: 45, cwd: dir, env: terminalEnv() });
    session = t;
    onTestFailed(() => {
      console.error(`clln tui: waiting for ${t.waitingFor ?? 'nothing'}; last screen\n${t.screen()}`);
    });
    await t.waitFor(/running/);
    await t.waitFor(/ 0──\d── 1──\d── 2/);
    t.press('q');
    await t.waitFor(/Quit while the run is active\?/);
    t.press('y');
    expect(await t.exited).toBe(0);
    expect(colourCodes(t.output).length).toBeGreaterThan(0);
  }, 120000);
});
