/**
 * Issue 17 point 3: `clln task strain` writes a clln.strain-task/1 file (checked as JSON), checks it against a spring
 * network when given one, picks pairs with `auto`, and refuses bad options (exit 2, one paragraph).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clln, expectOneParagraph } from './inProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-strain-task-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const net = join(dir, 'tri.json');
beforeAll(async () => {
  expect((await clln('network', 'springs', 'triangular', '10x10', '--coordination', '5', '--disorder', '0.1', '--seed', '1', '--out', net)).code).toBe(0);
});

function oneObject(stdout: string): Record<string, unknown> {
  expect(stdout.endsWith('\n')).toBe(true);
  expect(stdout.slice(0, -1).includes('\n')).toBe(false);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('clln task strain', () => {
  it('writes the file with the defaults filled in', async () => {
    const out = join(dir, 'a.json');
    const r = await clln('task', 'strain', '--source', '0,1', '--target', '88,89', '--delta', '0.5', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^wrote .*a\.json: source \[0, 1\] strained by 1, target \[88, 89\] to 0\.5\n$/);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ format: 'clln.strain-task/1', source: [0, 1], target: [88, 89], sourceStrain: 1, delta: 0.5, cooperative: false, lambda: 0 });
  });

  it('takes every option, checks against the network, and prints one object with --json', async () => {
    const a = oneObject((await clln('task', 'strain', '--source', '0,1', '--target', '88,89', '--delta=-0.3', '--source-strain', '0.01', '--cooperative', '--lambda', '0.5', '--eta', '0.05', '--network', net, '--json')).stdout);
    const doc = { format: 'clln.strain-task/1', source: [0, 1], target: [88, 89], sourceStrain: 0.01, delta: -0.3, cooperative: true, lambda: 0.5, eta: 0.05 };
    expect(a).toEqual({ file: null, kind: 'strain', source: [0, 1], target: [88, 89], sourceStrain: 0.01, delta: -0.3, cooperative: true, lambda: 0.5, task: doc });
    const plain = await clln('task', 'strain', '--source', '0,1', '--target', '88,89', '--delta=-0.3', '--source-strain', '0.01', '--cooperative', '--lambda', '0.5', '--eta', '0.05');
    expect(JSON.parse(plain.stdout)).toEqual(doc);
    // a negative lambda (raises E^F) is written with '='
    const neg = oneObject((await clln('task', 'strain', '--source', '0,1', '--target', '88,89', '--delta', '0.1', '--lambda=-1e-6', '--json')).stdout);
    expect(neg.lambda).toBe(-1e-6);
  });

  it('auto: two springs of the network sharing no node, far apart; deterministic per seed', async () => {
    const d = JSON.parse(readFileSync(net, 'utf8')) as { positions: number[][]; edges: [number, number][] };
    const springs = new Set(d.edges.map(([a, b]) => `${a},${b}`));
    const mid = (p: number[]): number[] => [(d.positions[p[0]][0] + d.positions[p[1]][0]) / 2, (d.positions[p[0]][1] + d.positions[p[1]][1]) / 2];
    const dists: number[] = [];
    for (const seed of ['1', '2', '3', '4']) {
      const a = oneObject((await clln('task', 'strain', '--source', 'auto', '--target', 'auto', '--delta', '1', '--network', net, '--seed', seed, '--json')).stdout);
      const s = a.source as number[];
      const t = a.target as number[];
      expect(springs.has(`${s[0]},${s[1]}`)).toBe(true);
      expect(springs.has(`${t[0]},${t[1]}`)).toBe(true);
      expect(s.some((v) => t.includes(v))).toBe(false);
      dists.push(Math.hypot(mid(s)[0] - mid(t)[0], mid(s)[1] - mid(t)[1]));
      const again = oneObject((await clln('task', 'strain', '--source', 'auto', '--target', 'auto', '--delta', '1', '--network', net, '--seed', seed, '--json')).stdout);
      expect(again).toEqual(a);
    }
    // the lattice is 10 x 7.8 spacings; a pair at least half the farthest distance away is >= ~2.5 spacings off
    for (const x of dists) expect(x).toBeGreaterThan(2.5);
    // a given source is kept
    const k = oneObject((await clln('task', 'strain', '--source', '44,45', '--target', 'auto', '--delta', '1', '--network', net, '--json')).stdout);
    expect(k.source).toEqual([44, 45]);
  });

  it('refuses bad options and pairs that do not fit the network (exit 2, one paragraph)', async () => {
    const stacked = join(dir, 'stacked.json');
    writeFileSync(stacked, JSON.stringify({ format: 'clln.springs/1', name: 's', dim: 2, positions: [[0, 0], [1, 0], [0, 0], [0, 1]], edges: [[0, 1], [1, 3], [3, 0]], stiffness: [1, 1, 1] }));
    for (const args of [
      ['--target', '2,3', '--delta', '1'],
      ['--source', '0,1', '--delta', '1'],
      ['--source', '0,1', '--target', '2,3'],
      ['--source', '0', '--target', '2,3', '--delta', '1'],
      ['--source', '0,1,2', '--target', '2,3', '--delta', '1'],
      ['--source', '0,-1', '--target', '2,3', '--delta', '1'],
      ['--source', '1,1', '--target', '2,3', '--delta', '1'],
      ['--source', '0,1', '--target', '1,0', '--delta', '1'],
      ['--source', '0,1', '--target', '2,3', '--delta', 'x'],
      ['--source', '0,1', '--target', '2,3', '--delta', '1', '--source-strain', '0'],
      ['--source', '0,1', '--target', '2,3', '--delta', '1', '--lambda', 'x'],
      ['--source', '0,1', '--target', '2,3', '--delta', '1', '--eta', '2'],
      ['--source', 'auto', '--target', '2,3', '--delta', '1'],
      ['--source', '0,1', '--target', '2,300', '--delta', '1', '--network', net],
      ['--source', '0,2', '--target', '1,3', '--delta', '1', '--network', stacked],
      ['--source', '0,1', '--target', '2,3', '--delta', '1', '--network', join(dir, 'missing.json')],
      ['--source', '0,1', '--target', '2,3', '--delta', '1', '--matrix', '1'],
    ]) {
      const e = await clln('task', 'strain', ...args);
      expect(e.code, args.join(' ')).toBe(2);
      expect(e.stdout).toBe('');
      expectOneParagraph(e.stderr);
    }
    const l = await clln('task', 'linear', '--matrix', '1', '--sources', '0', '--targets', '1', '--delta', '1');
    expect(l.code).toBe(2);
    expect(expectOneParagraph(l.stderr)).toMatch(/task strain/);
  });
});
