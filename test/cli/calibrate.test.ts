/**
 * Issue 5, point 3: `clln calibrate` and `clln check` as a user runs them (the built CLI, in-process twin and the
 * pty twin through the serial host), and `clln train --calibration`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { writeTaskFile } from '../../src/formats/taskFile.js';
import { TerminalSession } from '../e2e/TerminalSession.js';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'clln-cal-'));

function clln(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Async variant, so that several slow commands can run side by side. */
function cllnAsync(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: dir });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

describe('clln calibrate / check', () => {
  const cal = join(dir, 'cal-gen1.json');

  it('calibrate writes a record and reports the fit; check agrees; a second calibrate never overwrites it', () => {
    const r = clln('calibrate', '--board', 'twin', '--out', cal, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ file: cal, converged: true });
    expect(out.identifiability.undetermined).toEqual([]);
    const rec = JSON.parse(readFileSync(cal, 'utf8'));
    expect(rec.format).toBe('clln.calibration/1');
    expect(rec.board).toMatchObject({ model: 'penn-gen1', uid: '5e1f0001' });
    expect(rec.data.measurements).toHaveLength(7 * 24);

    const c = clln('check', '--board', 'twin', '--calibration', cal, '--json');
    expect(c.code).toBe(0);
    const rep = JSON.parse(c.stdout);
    expect(rep.summary.ok).toBe(true);
    expect(rep.patterns[0].rows[0]).toHaveProperty('predicted');
    expect(rep.patterns[0].rows[0]).toHaveProperty('measured');

    const again = clln('calibrate', '--board', 'twin', '--out', cal);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/never overwritten/);
  });

  it('check prints a per-node table; another twin seed (another board) fails the check with exit 1', () => {
    const c = clln('check', '--board', 'twin', '--calibration', cal);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/node\s+role\s+command V\s+predicted V\s+measured V\s+residual mV/);
    expect(c.stdout).toMatch(/OK: the board agrees with its calibration/);
    // same model and uid, different hidden tolerances: the check must see that this is not the calibrated board
    const other = clln('check', '--board', 'twin', '--twin-seed', '7', '--calibration', cal);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/ALARM|drift: edge/);
    expect(other.stdout).toMatch(/NOT OK/);
  });

  it('a record of another board model is refused with exit 2 naming the field', () => {
    const r = clln('check', '--board', 'twin:penn-gen2', '--calibration', cal);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cal-gen1\.json.*board\.model.*penn-gen1/);
  });

  it('bad plans and missing options exit 2 with the field and the fix', () => {
    const plan = join(dir, 'plan.json');
    writeFileSync(plan, JSON.stringify({ format: 'clln.calibration-plan/1', board: 'penn-gen1', settings: { levels: [25, 120] }, patterns: { kind: 'random', count: 8, seed: 1 } }));
    const r = clln('calibrate', '--board', 'twin', '--plan', plan, '--out', join(dir, 'x.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/settings\.levels\[1\]/);
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
    expect(clln('calibrate').stderr).toMatch(/--board is required/);
    expect(clln('check', '--board', 'twin').stderr).toMatch(/--calibration is required/);
  });

  it('draws a progress bar on a terminal (a real pty, from node-pty)', async () => {
    const out = join(dir, 'cal-tty.json');
    const t = new TerminalSession(process.execPath, [CLI, 'calibrate', '--board', 'twin:penn-gen2', '--out', out], { cwd: dir });
    expect(await t.exited).toBe(0);
    expect(t.output).toMatch(/\rmeasure \[[#-]+\] \d+\/168/);
    expect(t.output).toContain('168/168');
    expect(t.output).toMatch(/fit iteration \d+/);
    expect(t.output).toMatch(/record written to/);
  });

  it('train --calibration uses it and says so; the record keeps it', () => {
    const net = join(dir, 'board.json');
    const task = join(dir, 'task.json');
    expect(clln('network', 'board', 'penn-gen1', '--out', net).code).toBe(0);
    writeTaskFile(task, referenceTask({ count: 10, test: 4 }));
    const run = join(dir, 'run.jsonl');
    const r = clln('train', net, task, '--board', 'twin', '--calibration', cal, '--steps', '8', '--record', run, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const rec = JSON.parse(readFileSync(cal, 'utf8'));
    expect(out.calibration).toMatchObject({ id: rec.id, file: cal });
    const [kind, start] = JSON.parse(readFileSync(run, 'utf8').split('\n')[0]);
    expect(kind).toBe('start');
    expect(start.calibration.id).toBe(rec.id);
    expect(start.calibration.record.adc).toEqual(rec.adc);
  });

  it('calibrates the pty twin through the serial host like the in-process twin', async () => {
    const [pty, local] = await Promise.all([
      cllnAsync('calibrate', '--board', 'pty:penn-gen2', '--out', join(dir, 'cal-pty.json'), '--json'),
      cllnAsync('calibrate', '--board', 'twin:penn-gen2', '--out', join(dir, 'cal-local.json'), '--json'),
    ]);
    expect(pty.code).toBe(0);
    expect(local.code).toBe(0);
    const a = JSON.parse(readFileSync(join(dir, 'cal-pty.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(dir, 'cal-local.json'), 'utf8'));
    // same seed, same board: the same parameters, up to the noise and the drift during the runs
    for (let e = 0; e < a.edges.s.length; e++) expect(Math.abs(a.edges.s[e] / b.edges.s[e] - 1)).toBeLessThan(0.005);
    for (let i = 0; i < a.board.nodes; i++) expect(Math.abs(a.adc.offset[i] - b.adc.offset[i])).toBeLessThan(0.3e-3);
  }, 120000);
});
