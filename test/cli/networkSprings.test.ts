/**
 * Issue 17 point 1: `clln network springs triangular|jammed`, checked on the written clln.springs/1 document itself
 * (as JSON, not through a reader), and its bad options (exit 2, one paragraph).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clln, expectOneParagraph } from './inProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-springs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface SpringsDoc {
  format: string;
  name: string;
  dim: number;
  positions: number[][];
  edges: [number, number][];
  stiffness: number[];
  restLengths?: number[];
  bounds?: [number, number];
}

function oneObject(stdout: string): Record<string, unknown> {
  expect(stdout.endsWith('\n')).toBe(true);
  expect(stdout.slice(0, -1).includes('\n')).toBe(false);
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** Mean coordination and per-node springs of a document. */
function coordination(d: SpringsDoc): { z: number; degree: number[] } {
  const degree = new Array<number>(d.positions.length).fill(0);
  for (const [a, b] of d.edges) {
    degree[a]++;
    degree[b]++;
  }
  return { z: (2 * d.edges.length) / d.positions.length, degree };
}

describe('clln network springs triangular', () => {
  it('writes a clln.springs/1 file at the coordination asked, unstressed (no restLengths), with bounds', async () => {
    const out = join(dir, 'tri.json');
    const r = await clln('network', 'springs', 'triangular', '8x10', '--coordination', '4.5', '--disorder', '0.1', '--seed', '3', '--out', out);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^wrote .*tri\.json: 80 nodes, 180 springs, Z = 4\.500 \(Z - 4 = 0\.500\)\n$/);
    const d = JSON.parse(readFileSync(out, 'utf8')) as SpringsDoc;
    expect(d.format).toBe('clln.springs/1');
    expect(d.dim).toBe(2);
    expect(d.positions).toHaveLength(80);
    expect(d.edges).toHaveLength(180);
    expect(d.restLengths).toBeUndefined();
    expect(d.stiffness.every((k) => k === 1)).toBe(true);
    expect(d.bounds).toEqual([1e-3, 1e3]);
    // every spring joins lattice neighbours: distance within 1 +- 2D
    for (const [a, b] of d.edges) {
      const l = Math.hypot(d.positions[b][0] - d.positions[a][0], d.positions[b][1] - d.positions[a][1]);
      expect(l).toBeGreaterThan(0.8 - 1e-12);
      expect(l).toBeLessThan(1.2 + 1e-12);
    }
    expect(coordination(d).z).toBeCloseTo(4.5, 12);
  });

  it('--json: one object with the counts and the document; the same file again from the same seed', async () => {
    const a = oneObject((await clln('network', 'springs', 'triangular', '6x6', '--coordination', '4.5', '--seed', '2', '--stiffness', '2', '--bounds', '0.1,10', '--json')).stdout);
    expect(a).toMatchObject({ file: null, kind: 'triangular', nodes: 36, springs: 81 });
    expect(a.coordination).toBeCloseTo(4.5, 12);
    expect(a.excessCoordination).toBeCloseTo(0.5, 12);
    const net = a.network as SpringsDoc;
    expect(net.stiffness.every((k) => k === 2)).toBe(true);
    expect(net.bounds).toEqual([0.1, 10]);
    const b = oneObject((await clln('network', 'springs', 'triangular', '6x6', '--coordination', '4.5', '--seed', '2', '--stiffness', '2', '--bounds', '0.1,10', '--json')).stdout);
    expect(b).toEqual(a);
    const plain = await clln('network', 'springs', 'triangular', '6x6', '--coordination', '4.5', '--seed', '2', '--stiffness', '2', '--bounds', '0.1,10');
    expect(JSON.parse(plain.stdout)).toEqual(net);
  });

  it('refuses a coordination out of reach with the range, and bad options (exit 2, one paragraph)', async () => {
    const r = await clln('network', 'springs', 'triangular', '8x8', '--coordination', '3.5', '--seed', '1');
    expect(r.code).toBe(2);
    expect(expectOneParagraph(r.stderr)).toMatch(/Z in \[\d\.\d{3}, 5\.031\]/);
    for (const args of [
      ['triangular', '8x8', '--coordination', '7'],
      ['triangular', '8x8', '--disorder', '0.5'],
      ['triangular', '8x8', '--disorder', 'x'],
      ['triangular', '1x8'],
      ['triangular', 'eight'],
      ['triangular', '8x8', '--stiffness', '0'],
      ['triangular', '8x8', '--bounds', '2,1'],
      ['triangular', '8x8', '--stiffness', '5', '--bounds', '1,2'],
      ['triangular', '8x8', '--phi', '0.9'],
      ['triangular', '8x8', '--diagonals'],
      ['hexagonal', '8x8'],
      ['triangular'],
      ['triangular', '1000x1000'],
    ]) {
      const e = await clln('network', 'springs', ...args);
      expect(e.code, args.join(' ')).toBe(2);
      expect(e.stdout).toBe('');
      expectOneParagraph(e.stderr);
    }
  });
});

describe('clln network springs jammed', () => {
  it('writes the contact network: nodes of >= 3 springs, Z above 4, and reports N, Z, Z - 4 and the minimisation', async () => {
    const out = join(dir, 'jam.json');
    const r = await clln('network', 'springs', 'jammed', '64', '--seed', '1', '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const a = oneObject(r.stdout);
    const d = JSON.parse(readFileSync(out, 'utf8')) as SpringsDoc;
    const { z, degree } = coordination(d);
    expect(a).toMatchObject({ file: out, kind: 'jammed', disks: 64, packingFraction: 0.9, nodes: d.positions.length, springs: d.edges.length, network: null });
    expect(a.coordination).toBeCloseTo(z, 12);
    expect(a.excessCoordination).toBeCloseTo(z - 4, 12);
    expect(z).toBeGreaterThan(4);
    expect(Math.min(...degree)).toBeGreaterThanOrEqual(3);
    expect((a.minimisation as { converged: boolean }).converged).toBe(true);
    expect(d.restLengths).toBeUndefined();
  });

  it('refuses bad options (exit 2, one paragraph)', async () => {
    for (const args of [
      ['jammed', '8'],
      ['jammed', '64.5'],
      ['jammed', '1e3'],
      ['jammed', '64', '--phi', '1.2'],
      ['jammed', '64', '--phi', '0.6'],
      ['jammed', '64', '--force-tolerance', '0'],
      ['jammed', '64', '--coordination', '4.5'],
      ['jammed', '64', '--seed', '1.5'],
      ['jammed', '64', 'extra'],
    ]) {
      const e = await clln('network', 'springs', ...args);
      expect(e.code, args.join(' ')).toBe(2);
      expect(e.stdout).toBe('');
      expectOneParagraph(e.stderr);
    }
  });

  it('keeps the resistor generators as they were, and refuses spring options there', async () => {
    const a = oneObject((await clln('network', 'lattice', '3x4', '--json')).stdout);
    expect(a).toMatchObject({ nodes: 12, edges: 17 });
    const e = await clln('network', 'lattice', '3x4', '--coordination', '4');
    expect(e.code).toBe(2);
    expect(expectOneParagraph(e.stderr)).toMatch(/springs/);
  });
});
