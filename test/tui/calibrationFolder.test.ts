/**
 * Issue 15 point 6: `c` in the dashboard writes its calibration records into calibrations/ in the working directory,
 * a folder the repository's .gitignore ignores (asked of git itself), never over an existing record.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CALIBRATIONS_DIR, dashboardCalibrationPath } from '../../src/tui/calibrationFolder.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-cal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ROOT = resolve(__dirname, '../..');

describe('the dashboard\'s calibration folder', () => {
  it('is calibrations/, created when missing, with clln calibrate\'s file names, never overwriting', () => {
    expect(CALIBRATIONS_DIR).toBe('calibrations');
    const folder = join(dir, CALIBRATIONS_DIR);
    const at = new Date(Date.UTC(2026, 11, 7, 15, 4, 5));
    const a = dashboardCalibrationPath({ model: 'penn-gen1', uid: '5e1f0001' }, folder, at);
    expect(existsSync(folder)).toBe(true);
    expect(a.startsWith(folder + '/')).toBe(true);
    expect(a).toMatch(/calibration-penn-gen1-5e1f0001-\d{8}-\d{6}\.json$/);
    writeFileSync(a, '{}');
    const b = dashboardCalibrationPath({ model: 'penn-gen1', uid: '5e1f0001' }, folder, at);
    expect(b).toBe(a.replace(/\.json$/, '-2.json'));
  });

  it('is ignored by git (.gitignore), in the repository root as the README says', () => {
    // git check-ignore exits 0 when the path is ignored, 1 when not
    const out = execFileSync('git', ['check-ignore', '-v', 'calibrations/calibration-penn-gen1-x-20261207-150405.json'], { cwd: ROOT, encoding: 'utf8' });
    expect(out).toMatch(/^\.gitignore:\d+:calibrations\//);
  });
});
