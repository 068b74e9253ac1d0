/**
 * Issue 14, point 2: `clln solve` on a network with nonlinear elements reports Newton's convergence, iterations and
 * Kirchhoff residual in --json; the linear-only commands refuse such a network with exit 2.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clln, expectOneParagraph } from './inProcess.js';
import { lambertW, VT300 } from '../physics/nonlinear/truth.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-solve-nl-'));

/** A 1 kohm resistor (0 -> 1) and a diode (anode 1, cathode 2), with the given diode. */
function diodeCircuit(diode: unknown): string {
  const f = join(dir, `d${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    f,
    JSON.stringify({ format: 'clln.network/1', name: 'r-d', nodes: 3, edges: [[0, 1], [1, 2]], conductance: [1e-3, 1e-3], elements: [null, diode] }),
  );
  return f;
}

describe('clln solve with nonlinear elements', () => {
  it('--json: the Lambert-W current of a resistor and a diode, with converged, iterations and residual', async () => {
    const f = diodeCircuit({ kind: 'diode', is: 1e-12, n: 1.8 });
    const r = await clln('solve', f, '--fix', '0=1', '--fix', '2=0', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    const nvt = 1.8 * VT300;
    const exact = (nvt / 1000) * lambertW(((1e-12 * 1000) / nvt) * Math.exp((1 + 1e-12 * 1000) / nvt)) - 1e-12;
    expect(Math.abs(out.currents[0] - exact)).toBeLessThanOrEqual(1e-12 * exact);
    expect(out.diagnostics.method).toBe('newton');
    expect(out.diagnostics.converged).toBe(true);
    expect(out.diagnostics.iterations).toBeGreaterThan(1);
    expect(out.diagnostics.residual).toBeLessThanOrEqual(out.diagnostics.tolerance);
    expect(out.diagnostics.tolerance).toBeLessThan(1e-13);
  });

  it('prints a table naming the elements without --json', async () => {
    const f = diodeCircuit({ kind: 'transistor', s: 8.5e-4, vt: 0.62, vg: 3, saturation: 'square' });
    const r = await clln('solve', f, '--fix', '0=1', '--fix', '2=0');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Newton converged in \d+ iterations, Kirchhoff residual/);
    expect(r.stdout).toMatch(/\(transistor\)/);
  });

  it('a linear network with elements all null is solved by the linear path, as before', async () => {
    const f = diodeCircuit(null);
    const r = await clln('solve', f, '--fix', '0=1', '--fix', '2=0', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.diagnostics.method).toBe('cholesky');
    expect(out.voltages[1]).toBeCloseTo(0.5, 14);
  });

  it('a linear network still prints the linear table', async () => {
    const r = await clln('solve', diodeCircuit(null), '--fix', '0=1', '--fix', '2=0');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^r-d: 3 nodes, 2 edges; solved by cholesky, relative residual/);
    expect(r.stdout).toMatch(/node\s+voltage \(V\)\n\s+0\s+1\.0000000\s+\(fixed\)/);
    expect(r.stdout).not.toMatch(/newton|\(diode\)/i);
  });

  it('exit 2 naming the file, the field and the fix for a bad element', async () => {
    const f = diodeCircuit({ kind: 'diode', is: -1, n: 1.8 });
    const r = await clln('solve', f, '--fix', '0=1', '--fix', '2=0', '--json');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const line = expectOneParagraph(r.stderr);
    expect(line).toContain(f);
    expect(line).toContain('elements[1].is');
    expect(line).toContain('a saturation current in amperes');
    expect(line).toContain('fix:');
  });

  it('clln train takes a network with elements (cl), and refuses the tap rule on it (exit 2)', async () => {
    const f = diodeCircuit({ kind: 'diode', is: 1e-12, n: 1.8 });
    const task = join(dir, 'task.json');
    writeFileSync(task, JSON.stringify({ format: 'clln.task/1', sources: [0], ground: [2], targets: [1], train: [{ in: [1], out: [0.5] }] }));
    const ok = await clln('train', f, task, '--steps', '1', '--json', '--no-record');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const r = await clln('train', f, task, '--steps', '1', '--json', '--rule', 'tap', '--no-record');
    expect(r.code).toBe(2);
    expect(expectOneParagraph(r.stderr)).toMatch(/tap rule/);
  });
});
