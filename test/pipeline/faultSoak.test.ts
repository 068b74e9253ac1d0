/**
 * Issue 11 point 1, the whole stack as a user runs it: `clln train --board pty` (the built CLI, the twin in its own
 * process on a pseudo-terminal, the run recorded) under garbled and dropped lines, spontaneous resets and unplugs,
 * ends with the settings of the same run without faults, bit for bit, in both update modes. A shorter version of the
 * 20,000-step soak in the issue (bench/README.md has the long one's numbers); the ideal twin makes it exact.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRun } from '../../src/store/readRun.js';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'clln-soak-'));
const net = join(dir, 'board.json');
const task = join(dir, 'task.json');

function train(update: string, faults: string | null, record: string | null) {
  const args = [CLI, 'train', net, task, '--board', 'pty', '--twin-ideal', '--twin-baud', '1000000', '--update', update, '--steps', '300', '--order', 'sequential', '--seed', '3', '--json'];
  if (faults) args.push('--twin-faults', faults);
  args.push(...(record ? ['--record', record] : ['--no-record']));
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { steps: number; settings: number[]; redone_steps: number };
}

describe('clln train --board pty under faults ends where the clean run ends', () => {
  execFileSync(process.execPath, [CLI, 'network', 'board', 'penn-gen1', '--out', net]);
  execFileSync(process.execPath, [CLI, 'task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--count', '20', '--test', '4', '--seed', '1', '--network', net, '--out', task]);
  for (const update of ['device', 'host'] as const) {
    it(`--update ${update}: garble 1 %, drop 0.1 %, a reset every 200 and an unplug every 500 commands`, () => {
      const clean = train(update, null, null);
      const record = join(dir, `faulty-${update}.jsonl`);
      const faulty = train(update, 'garble=0.01,drop=0.001,reset-every=200,unplug-every=500,unplug-ms=200', record);
      expect(faulty.steps).toBe(300);
      expect(faulty.redone_steps).toBeGreaterThan(0);
      expect(faulty.settings).toEqual(clean.settings);
      // the record agrees with the board: every step once, and its last settings are the board's
      const rec = readRun(record);
      expect(rec.events.map((e) => (e.data as { step: number }).step)).toEqual(Array.from({ length: 300 }, (_, s) => s));
      expect((rec.events[299].data as { settings: number[] }).settings).toEqual(faulty.settings);
    }, 240_000);
  }
});
