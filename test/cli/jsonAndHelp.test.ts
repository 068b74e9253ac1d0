/**
 * Issue 15 point 6: `demo`, `network` and `task` take `--json` like the other commands (one JSON object on stdout,
 * nothing else there), and `clln help UNKNOWN` is bad input (exit 2, one paragraph naming the commands).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clln, expectOneParagraph } from './inProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** stdout is exactly one JSON object and a newline. */
function oneObject(stdout: string): Record<string, unknown> {
  expect(stdout.endsWith('\n')).toBe(true);
  expect(stdout.slice(0, -1).includes('\n')).toBe(false);
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('clln help UNKNOWN', () => {
  it('exits 2 with one paragraph listing the commands', async () => {
    const r = await clln('help', 'frobnicate');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const line = expectOneParagraph(r.stderr);
    expect(line).toMatch(/frobnicate/);
    for (const c of ['train', 'network', 'task', 'demo', 'tui', 'export']) expect(line).toMatch(new RegExp(`\\b${c}\\b`));
  });
  it('still prints a known command\'s help (exit 0)', async () => {
    const r = await clln('help', 'network');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--json/);
  });
});

describe('--json', () => {
  it('network: the document on stdout, or the file and its counts with --out', async () => {
    // a 3x4 lattice has 3*3 + 2*4 = 17 edges (each row 3, each column 2)
    const a = oneObject((await clln('network', 'lattice', '3x4', '--json')).stdout);
    expect(a).toMatchObject({ file: null, nodes: 12, edges: 17 });
    expect((a.network as { format: string }).format).toBe('clln.network/1');
    const out = join(dir, 'net.json');
    const r = await clln('network', 'lattice', '3x4', '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(oneObject(r.stdout)).toMatchObject({ file: out, nodes: 12, edges: 17, network: null });
    expect((JSON.parse(readFileSync(out, 'utf8')) as { nodes: number }).nodes).toBe(12);
  });

  it('task: counts and roles, the document or the file', async () => {
    const a = oneObject((await clln('task', 'linear', '--matrix', '0.1,0.2', '--sources', '0,3', '--targets', '9', '--ground', '15', '--count', '7', '--test', '5', '--json')).stdout);
    expect(a).toMatchObject({ file: null, kind: 'linear', train: 7, test: 5, sources: [0, 3], targets: [9], ground: [15] });
    expect((a.task as { format: string }).format).toBe('clln.task/1');
    const out = join(dir, 'xor.json');
    const r = await clln('task', 'xor', '--sources', '0,3', '--targets', '9', '--out', out, '--json');
    expect(r.stderr).toBe('');
    // XOR: the four input pairs in both sets
    expect(oneObject(r.stdout)).toMatchObject({ file: out, kind: 'xor', train: 4, test: 4, task: null });
    expect(existsSync(out)).toBe(true);
  });

  it('demo: one object with the MSEs before and after (V^2) and the files written', async () => {
    const r = await clln('demo', '--steps', '300', '--out', join(dir, 'demo'), '--json');
    expect(r.code).toBe(0);
    const o = oneObject(r.stdout);
    // 4x4 lattice with both diagonals of each of its 9 squares: 12 + 12 + 18 = 42 edges
    expect(o).toMatchObject({ nodes: 16, edges: 42, rule: 'cl', steps: 300, files: { network: join(dir, 'demo', 'network.json'), task: join(dir, 'demo', 'task.json') } });
    const [before, after] = o.test_mse as [number, number];
    expect(after).toBeLessThan(before);
    expect(existsSync(join(dir, 'demo', 'task.json'))).toBe(true);
  });

  it('demo without --json prints the ratio in significant digits', async () => {
    const r = await clln('demo', '--steps', '300');
    expect(r.stdout).toMatch(/\(\d+(\.\d+)?(e-?\d+)?x (lower|higher)\)\n$/);
    expect(r.stdout).not.toMatch(/e\+|\d{6,}x/);
  });

  it('export: the files written, per stream, with their rows and columns as an independent reading of them gives', async () => {
    const net = join(dir, 'x-net.json');
    const task = join(dir, 'x-task.json');
    const run = join(dir, 'x-run.jsonl');
    expect((await clln('network', 'lattice', '3x3', '--out', net)).code).toBe(0);
    expect((await clln('task', 'linear', '--matrix', '0.2,0.1', '--sources', '0,2', '--targets', '4', '--ground', '8', '--count', '4', '--test', '2', '--network', net, '--out', task)).code).toBe(0);
    expect((await clln('train', net, task, '--steps', '6', '--eval-every', '3', '--record', run)).code).toBe(0);
    const out = join(dir, 'x.csv');
    const r = await clln('export', run, '--csv', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = oneObject(r.stdout) as { status: string; files: { path: string; format: string; stream: string; rows: number; columns: number }[] };
    expect(j.status).toBe('complete');
    expect(j.files.map((f) => [f.stream, f.format])).toEqual([
      ['primary', 'csv'],
      ['evaluation', 'csv'],
    ]);
    for (const f of j.files) {
      // CRLF records: a header and one line per row, as many fields as columns (no field here holds a comma)
      const lines = readFileSync(f.path, 'utf8').split('\r\n').filter((l) => l !== '');
      expect(lines.length - 1).toBe(f.rows);
      expect(lines[0].split(',').length).toBe(f.columns);
    }
    expect(j.files[0].rows).toBe(6);
    // before training, after step 3, and the finish's after step 6 (on the --eval-every grid too, recorded once)
    const ev = readFileSync(j.files[1].path, 'utf8').split('\r\n').filter((l) => l !== '');
    const stepCol = ev[0].split(',').indexOf('step');
    expect(ev.slice(1).map((l) => Number(l.split(',')[stepCol]))).toEqual([0, 3, 6]);
    const bad = await clln('export', run, '--csv', '-', '--json');
    expect(bad.code).toBe(2);
    expectOneParagraph(bad.stderr);
  });
});

