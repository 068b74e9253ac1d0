/**
 * Issue 12, point 2: the host knows a board's law from its ID (protocol 1.2) or from a board description file
 * (--board-file, clln.board/1), never from the twin's model files; bad board files exit 2 naming file and field.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clln, expectOneParagraph } from './inProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-boardfile-'));
const at = (name: string): string => join(dir, name);
const gen1 = JSON.parse(readFileSync(new URL('../../twins/models/penn-gen1.json', import.meta.url), 'utf8')) as Record<string, unknown> & { edge: Record<string, unknown> };
const gen2 = JSON.parse(readFileSync(new URL('../../twins/models/penn-gen2.json', import.meta.url), 'utf8')) as Record<string, unknown> & { edge: Record<string, unknown> };
const net1 = at('gen1-net.json');
const net2 = at('gen2-net.json');
const task1 = at('task1.json');
const task2 = at('task2.json');
const file1 = at('gen1-board.json');
const file2 = at('gen2-board.json');
const bad = at('bad-board.json');
const record = at('cal.json');

// Deliberately independent oracle (test only): the geometric tap law written out from PROTOCOL.md 7.1.
const tapOracle = (t: number, rMin: number, rMax: number, taps: number): number => 1 / (rMax * (rMin / rMax) ** (t / (taps - 1)));

beforeAll(async () => {
  for (const [m, net, task] of [['penn-gen1', net1, task1], ['penn-gen2', net2, task2]] as const) {
    expect((await clln('network', 'board', m, '--out', net)).code).toBe(0);
    const t = await clln('task', 'linear', '--matrix', '0.3,0.2;0.1,0.4', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--count', '4', '--test', '2', '--network', net, '--out', task);
    expect(t.code, t.stderr).toBe(0);
  }
  writeFileSync(file1, JSON.stringify(gen1));
  writeFileSync(file2, JSON.stringify(gen2));
  writeFileSync(bad, JSON.stringify({ ...gen1, edge: { ...gen1.edge, rMax: 10 } }));
  writeFileSync(record, readFileSync(new URL('../../calibration/examples/penn-gen1-twin-seed0.json', import.meta.url)));
});

const trainJson = async (...extra: string[]): Promise<{ conductance: number[] | null; settings: number[] }> => {
  const r = await clln('train', net1, task1, '--board', 'twin', '--steps', '2', '--no-record', '--json', ...extra);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

describe('--board-file and the law in ID', () => {
  it('a 1.2 board: train --json reports conductances by the law of its ID', async () => {
    const out = await trainJson();
    expect(out.conductance).toHaveLength(out.settings.length);
    out.settings.forEach((t, e) => expect(out.conductance![e] / tapOracle(t, 40, 32000, 100)).toBeCloseTo(1, 12));
  });

  it('a 1.1 board: no law, so no conductances; a board file supplies it', async () => {
    expect((await trainJson('--twin-protocol', '1.1')).conductance).toBeNull();
    const out = await trainJson('--twin-protocol', '1.1', '--board-file', file1);
    out.settings.forEach((t, e) => expect(out.conductance![e] / tapOracle(t, 40, 32000, 100)).toBeCloseTo(1, 12));
  });

  it('a board file overrides the law the board reports', async () => {
    const other = at('gen1-other-law.json');
    writeFileSync(other, JSON.stringify({ ...gen1, edge: { ...gen1.edge, rMin: 55, rMax: 30000 } }));
    const out = await trainJson('--board-file', other);
    out.settings.forEach((t, e) => expect(out.conductance![e] / tapOracle(t, 55, 30000, 100)).toBeCloseTo(1, 12));
  });

  it('gate boards: conductances by the nominal convention (every node at mid-ADC, cut-off floor)', async () => {
    const r = await clln('train', net2, task2, '--board', 'twin:penn-gen2', '--steps', '2', '--no-record', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { conductance: number[]; settings: number[] };
    const [s, vt, mid] = [0.00085, 0.62, 0.5]; // penn-gen2: ADC 0..1 V
    out.settings.forEach((vg, e) => expect(out.conductance[e]).toBeCloseTo(Math.max(1e-7 * s, s * (vg - vt - mid)), 15));
  });

  it('a run keeps the law it was checked against: a 1.1 board trained with a board file resumes with it', async () => {
    const run = at('run-11.jsonl');
    const r = await clln('train', net1, task1, '--board', 'twin', '--twin-protocol', '1.1', '--board-file', file1, '--steps', '4', '--record', run, '--json');
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(run, 'utf8').split('\n').filter((l) => l.length > 0);
    const start = JSON.parse(lines[0])[1] as { board: { protocol: string; law: unknown } };
    expect(start.board.protocol).toBe('1.1');
    expect(start.board.law).toEqual({ kind: 'tap', rMin: 40, rMax: 32000 });
    // interrupted after step 1: drop the later events and the stop document
    writeFileSync(run, lines.slice(0, 4).join('\n') + '\n');
    const resumed = await clln('resume', run, '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).conductance).toHaveLength(33);
  });

  it('calibrate needs the law: a 1.1 board without a board file exits 2 naming --board-file', async () => {
    const r = await clln('calibrate', '--board', 'twin', '--twin-protocol', '1.1', '--out', at('never.json'));
    const line = expectOneParagraph(r.stderr);
    expect(r.code, line).toBe(2);
    expect(line).toContain('protocol 1.1');
    expect(line).toContain('--board-file FILE');
  });

  it.each([
    ['train', (f: string) => ['train', net1, task1, '--board', 'twin', '--steps', '1', '--no-record', '--board-file', f]],
    ['tui', (f: string) => ['tui', '--board', 'twin', '--steps', '1', '--no-record', '--board-file', f]],
    ['calibrate', (f: string) => ['calibrate', '--board', 'twin', '--out', at('never.json'), '--board-file', f]],
    ['check', (f: string) => ['check', '--board', 'twin', '--calibration', record, '--board-file', f]],
  ])('clln %s: a bad board file exits 2 naming the file, the field, the rule and the fix', async (_, args) => {
    const r = await clln(...args(bad));
    const line = expectOneParagraph(r.stderr);
    expect(r.code, line).toBe(2);
    expect(line).toContain(bad);
    expect(line).toContain('edge.rMax');
    expect(line).toContain('a resistance above edge.rMin');
    expect(line).toContain('fix:');
  });

  it('a board file of another board exits 2 naming it', async () => {
    const r = await clln('train', net1, task1, '--board', 'twin', '--steps', '1', '--no-record', '--board-file', file2);
    const line = expectOneParagraph(r.stderr);
    expect(r.code, line).toBe(2);
    expect(line).toContain(file2);
    expect(line).toContain('another board');
  });

  it('--board-file and --twin-protocol apply with --board only; --twin-protocol takes 1.1 or 1.2', async () => {
    const r = await clln('train', net1, task1, '--board-file', file1);
    expect(r.code).toBe(2);
    expect(expectOneParagraph(r.stderr)).toContain('only applies with --board');
    const p = await clln('train', net1, task1, '--board', 'twin', '--twin-protocol', '1.0');
    expect(p.code).toBe(2);
    expect(expectOneParagraph(p.stderr)).toContain('--twin-protocol');
  });
});
