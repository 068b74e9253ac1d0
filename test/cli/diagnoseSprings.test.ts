/**
 * Issue 17 point 6: `clln diagnose NET.springs.json [TASK.strain.json] [--json] [--svg DIR]` on spring networks, in
 * process: the same sections as for resistor networks where they apply, with spring units; figures with displacement
 * arrows; resistor-only options refused (exit 2, one paragraph).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../src/diagnostics/symmetricEigen.js';
import { readSpringsFile } from '../../src/formats/springsFile.js';
import { denseStiffnessMatrix } from '../../src/physics/springs/stiffnessMatrix.js';
import { clln, expectOneParagraph } from './inProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-diag-springs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const net = join(dir, 'net.springs.json');
const task = join(dir, 'task.strain.json');

beforeAll(async () => {
  expect((await clln('network', 'springs', 'triangular', '6x6', '--coordination', '4.6', '--disorder', '0.15', '--seed', '3', '--out', net)).code).toBe(0);
  const t = await clln('task', 'strain', '--source', '0,7', '--target', '28,35', '--delta', '0.4', '--network', net, '--out', task);
  expect(t.code, t.stderr).toBe(0);
});

describe('clln diagnose on a spring network', () => {
  it('--json: the nonzero spectrum of the stiffness matrix, zero modes counted, cost parts with spring units', async () => {
    const r = await clln('diagnose', net, task, '--json', '--modes', '6');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.kind).toBe('spring');
    expect(j.units.eigenvalue).toBe('energy/length^2');
    // independent truth: the dense stiffness matrix's eigenvalues above 1e-10 of the largest
    const s = readSpringsFile(net);
    const n = 2 * s.nodes;
    const ev = Array.from(symmetricEigen(denseStiffnessMatrix(s), n, { vectors: false }).values);
    const top = Math.max(...ev);
    const nonzero = ev.filter((v) => v > 1e-10 * top);
    expect(j.zero_modes.count).toBe(n - nonzero.length);
    expect(j.zero_modes.rigid).toBe(3);
    j.physical.lowest.values.forEach((v: number, i: number) => expect(Math.abs(v - nonzero[i])).toBeLessThan(1e-9 * top));
    const hi = j.physical.highest.values as number[];
    hi.forEach((v, i) => expect(Math.abs(v - nonzero[nonzero.length - hi.length + i])).toBeLessThan(1e-9 * top));
    expect(j.localisation.region.length).toBe(s.nodes);
    expect(j.cost.directions).toBe(1);
    expect(j.cost.fidelity.map((f: { parameter: number }) => f.parameter)).toEqual([0.1, 0.01, 0.001]);
    // the eta -> 0 trend: the angle to the exact gradient shrinks
    const angles = j.cost.fidelity.map((f: { angleDeg: number }) => f.angleDeg);
    expect(angles[2]).toBeLessThan(angles[0]);
    expect(j.cost.coupling.best.cosine).toBeGreaterThan(0);
    expect(j.skipped.some((x: string) => x.startsWith('learning stability'))).toBe(true);
  });

  it('text: the sections and their units; without a task the cost parts are skipped', async () => {
    const r = await clln('diagnose', net, task);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/zero modes \(excluded exactly\): \d+ = 3 rigid-body \+ \d+ floppy/);
    expect(r.stdout).toContain('lowest  (energy/length^2)');
    expect(r.stdout).toContain('cost Hessian largest eigenvalues (length^4/energy^2)');
    expect(r.stdout).toContain('gradient fidelity of coupled learning');
    const alone = await clln('diagnose', net);
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stdout).toContain('skipped cost Hessian, coupling, fidelity: no task');
  });

  it('--svg: figures with one arrow per moving node, springs coloured', async () => {
    const out = join(dir, 'figs');
    const r = await clln('diagnose', net, task, '--svg', out);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['spectrum', 'soft-mode', 'response', 'stiff-cost-mode', 'regions', 'boundary-frequency']) expect(existsSync(join(out, `${f}.svg`)), f).toBe(true);
    const svg = readFileSync(join(out, 'response.svg'), 'utf8');
    const arrows = svg.match(/class="arrow"/g) ?? [];
    const s = readSpringsFile(net);
    expect(arrows.length).toBeGreaterThan(0);
    expect(arrows.length).toBeLessThanOrEqual(s.nodes);
    expect(svg).toContain('stiffness k (energy/length^2)');
  });

  it('resistor-only options are refused with one paragraph', async () => {
    const r = await clln('diagnose', net, task, '--rule', 'ep');
    expect(r.code).toBe(2);
    expect(expectOneParagraph(r.stderr)).toContain('spring network');
  });
});
