/**
 * Issue 11 point 4: no unsafe value reaches a board. The board commands refuse rule parameters outside their
 * documented ranges before connecting (exit 2, one paragraph naming the option), and, once the board is known,
 * outside the limits its ID reports, before anything is recorded or sent.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { tui } from '../../src/cli/commands/tui.js';
import type { Io } from '../../src/cli/Io.js';
import { InvalidInputError } from '../../src/errors.js';

const CLI = resolve(__dirname, '../../dist/src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'clln-ranges-'));
/** A serial port that does not exist: a command that tried to connect would fail on it instead (exit 1). */
const NO_PORT = 'serial:/dev/clln-no-such-port';

function clln(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Exit 2, one short paragraph, no stack trace, nothing about the port (never opened). */
function refused(r: ReturnType<typeof clln>, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).not.toMatch(/\n\s+at |clln-no-such-port|ENOENT/);
}

const gen1 = join(dir, 'gen1.json');
const gen2 = join(dir, 'gen2.json');
const task1 = join(dir, 'task1.json');
const task2 = join(dir, 'task2.json');

beforeAll(() => {
  const run = (...a: string[]): void => void execFileSync(process.execPath, [CLI, ...a], { cwd: dir });
  run('network', 'board', 'penn-gen1', '--out', gen1);
  run('network', 'board', 'penn-gen2', '--out', gen2);
  for (const [net, t, range] of [[gen1, task1, '0,5'], [gen2, task2, '0,1']]) {
    run('task', 'linear', '--matrix', '0.3,0.2;0.1,0.4', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--range', range, '--count', '8', '--test', '4', '--network', net, '--out', t);
  }
});

describe('board commands refuse out-of-range rule parameters before connecting', () => {
  it.each([
    [['--update', 'device', '--amp', '1e9'], /^clln train: --amp: must be a number in \(0, 100\] .*got 1000000000 \(fix: give --amp in \(0, 100\]/],
    [['--amp', '0'], /--amp: must be a number in \(0, 100\].*got 0/],
    [['--eta', '1.5'], /--eta: must be a number in \(0, 1\], got 1\.5/],
    [['--eta', '0'], /--eta: must be a number in \(0, 1\], got 0/],
    [['--samples', '2000'], /--samples: must be an integer in 1\.\.1024, got 2000/],
  ])('clln train --board %j', (opts, message) => {
    refused(clln('train', gen2, task2, '--board', NO_PORT, ...opts, '--steps', '3', '--no-record'), message);
  });

  it('clln tui (no terminal: the plain path) refuses the same way', () => {
    refused(clln('tui', gen2, task2, '--board', NO_PORT, '--amp', '1e9', '--no-record'), /--amp: must be a number in \(0, 100\]/);
  });

  it('clln tui on a terminal refuses before connecting too (its task is chosen only once the board is known)', async () => {
    // in-process, with a stdout that says it is a terminal, so the dashboard path runs (no pty needed)
    const written: string[] = [];
    const stdout = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    stdout.on('data', (d: Buffer) => written.push(d.toString()));
    const io: Io = { stdout, stderr: process.stderr };
    let err: unknown;
    try {
      await tui(['--board', NO_PORT, '--amp', '1e9', '--no-record'], io);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/^--amp: must be a number in \(0, 100\]/);
    expect(written.join('')).toBe(''); // nothing drawn: no dashboard, no connection
  });

  it('clln resume refuses a record whose plan is out of range, naming the file and the field', () => {
    const rec = join(dir, 'run.jsonl');
    const t = clln('train', gen1, task1, '--board', 'twin', '--steps', '2', '--record', rec);
    expect(t.code, t.stderr).toBe(0);
    // an interrupted run (no stop document) whose plan was edited, on a board that would not answer
    const lines = readFileSync(rec, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as [string, Record<string, unknown>]);
    const start = lines[0][1] as { plan: Record<string, unknown>; connection: Record<string, unknown> };
    start.plan.amp = 1e9;
    start.connection.spec = NO_PORT;
    writeFileSync(rec, lines.filter(([name]) => name !== 'stop').map((l) => JSON.stringify(l)).join('\n') + '\n');
    refused(clln('resume', rec), /run\.jsonl: line 1: start\.plan\.amp: must be a number in \(0, 100\].*got 1000000000/);
  });
});

describe('once connected: the limits the board reports in its ID', () => {
  it('--update device --amp 60 on penn-gen2 (ID amp=0,50): exit 2 naming --amp and the board range; no record written', () => {
    const rec = join(dir, 'never.jsonl');
    const r = clln('train', gen2, task2, '--board', 'twin:penn-gen2', '--update', 'device', '--amp', '60', '--steps', '3', '--record', rec);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^clln train: --amp: 60 V\/V\^2 is outside the range \[0, 50\] that board penn-gen2 accepts for its STEP \(its ID reports amp=0,50\) \(fix: give --amp in \[0, 50\], or train with --update host\)\n$/);
    expect(existsSync(rec)).toBe(false);
  });

  it('the same amp with --update host trains (the host computes the update, gates limited to gstep per step)', () => {
    const r = clln('train', gen2, task2, '--board', 'twin:penn-gen2', '--update', 'host', '--amp', '60', '--steps', '3', '--no-record', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).steps).toBe(3);
  });

  it('--update device --amp 50 (the top of the board range) trains', () => {
    const r = clln('train', gen2, task2, '--board', 'twin:penn-gen2', '--update', 'device', '--amp', '50', '--steps', '3', '--no-record', '--json');
    expect(r.code, r.stderr).toBe(0);
  });
});
