/**
 * Issue 15, point 5: every figure `clln diagnose --svg DIR [--png]` writes is fit for a paper (figureChecks.ts), and
 * what the review found is fixed: spectrum.svg has one panel per unit (S; V^2/S^2), colour-bar ticks print a
 * roundoff zero as 0, f_e is defined on its figure, boundary edges are called region boundaries.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { clln } from '../cli/inProcess.js';
import { checkPaperFigure, checkPngFile, checkRendered } from './figureChecks.js';
import { byClass, parseSvg } from './svgChecks.js';
import { networkToJson } from '../../src/formats/networkFile.js';
import { taskToJson } from '../../src/formats/taskFile.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { polynomialTask } from '../../src/physics/generators/nonlinearTask.js';
import { networkFigure } from '../../src/diagnostics/figures/index.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-diag-figs-'));
const p = (f: string): string => join(dir, f);
const svgs = (d: string): string[] => readdirSync(d).filter((f) => f.endsWith('.svg')).sort();

beforeAll(async () => {
  expect((await clln('network', 'lattice', '6x6', '--diagonals', '--seed', '2', '--out', p('net.json'))).code).toBe(0);
  expect((await clln('task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,5', '--targets', '20,27', '--ground', '35', '--count', '20', '--test', '5', '--seed', '1', '--network', p('net.json'), '--out', p('task.json'))).code).toBe(0);
  expect((await clln('train', p('net.json'), p('task.json'), '--steps', '300', '--seed', '3', '--snapshot-every', '60', '--save-network', p('trained.json'), '--record', p('sim.jsonl'))).code).toBe(0);
}, 120_000);

describe('clln diagnose --svg: figures fit for a paper', () => {
  it('with a task: every figure passes the checks, and --png writes each as a PNG', async () => {
    const out = p('with-task');
    const r = await clln('diagnose', p('trained.json'), p('task.json'), '--svg', out, '--png');
    expect(r.code, r.stderr).toBe(0);
    const names = svgs(out);
    expect(names).toEqual(['boundary-frequency.svg', 'regions.svg', 'soft-mode.svg', 'spectrum.svg', 'stiff-cost-mode.svg']);
    for (const f of names) {
      const svg = readFileSync(join(out, f), 'utf8');
      checkPaperFigure(svg, ['lattice-6x6-diag', 'task.json']);
      checkPngFile(join(out, f.replace('.svg', '.png')), join(out, f));
    }
  });

  it('spectrum.svg: two panels, Laplacian eigenvalues in S and cost-Hessian eigenvalues in V^2/S^2', async () => {
    const out = p('spectrum');
    expect((await clln('diagnose', p('trained.json'), p('task.json'), '--svg', out)).code).toBe(0);
    const root = parseSvg(readFileSync(join(out, 'spectrum.svg'), 'utf8'));
    const axes = byClass(root, 'axes');
    expect(axes).toHaveLength(2);
    expect(axes.map((a) => byClass(a, 'y-label')[0].text)).toEqual(['eigenvalue (S)', 'eigenvalue (V^2/S^2)']);
    const panels = byClass(root, 'panel-title').map((t) => t.text);
    expect(panels[0]).toContain('Laplacian');
    expect(panels[1]).toContain('cost Hessian');
    // each panel's points inside its own frame: the panels do not share an axis
    const frames = byClass(root, 'frame').map((f) => [Number(f.attrs.y), Number(f.attrs.y) + Number(f.attrs.height)]);
    for (const s of byClass(root, 'series')) {
      const [top, bottom] = frames[Number(s.attrs['data-panel'])];
      for (const c of s.children.filter((n) => n.name === 'circle')) {
        expect(Number(c.attrs.cy)).toBeGreaterThanOrEqual(top - 0.01);
        expect(Number(c.attrs.cy)).toBeLessThanOrEqual(bottom + 0.01);
      }
    }
  });

  it('without a task (full Laplacian): the soft mode\'s colour bars read 0, not roundoff, and do not collide', async () => {
    const out = p('no-task');
    expect((await clln('diagnose', p('net.json'), '--svg', out)).code).toBe(0);
    for (const f of svgs(out)) checkPaperFigure(readFileSync(join(out, f), 'utf8'), ['lattice-6x6-diag']);
    const root = parseSvg(readFileSync(join(out, 'soft-mode.svg'), 'utf8'));
    const captions = byClass(root, 'caption').map((c) => c.text);
    expect(captions).toEqual(['squared edge drop (dimensionless)', 'mode amplitude (dimensionless)']);
    const svg = readFileSync(join(out, 'soft-mode.svg'), 'utf8');
    expect(svg).not.toMatch(/>-?\d(\.\d+)?e-(1[3-9]|[2-9]\d|\d{3})</); // no tick label below 1e-12
  });

  it('a colour bar over [1.926e-34, 0.3] (a roundoff minimum, the review\'s case) starts its ticks at 0', () => {
    const lat = latticeNetwork({ rows: 4, cols: 4 });
    const values = Float64Array.from(lat.edgeA, (_, e) => (e === 0 ? 1.926e-34 : (0.3 * e) / (lat.edgeA.length - 1)));
    const svg = networkFigure(lat.positions!, lat.edgeA, lat.edgeB, { edgeValues: values, edgeLabel: 'squared drop (dimensionless)', context: { network: lat.name } });
    const root = checkPaperFigure(svg, [lat.name]);
    const labels = byClass(root, 'colorbar')[0].children.filter((c) => c.name === 'text' && c.attrs.class !== 'caption').map((c) => c.text);
    expect(labels[0]).toBe('0');
    expect(labels.at(-1)).toBe('0.3');
    expect(svg).not.toContain('e-34');
    checkRendered(svg);
  });

  it('f_e is defined on its figure; boundary edges are "region boundary" in the legend', async () => {
    const out = p('with-task');
    const bf = parseSvg(readFileSync(join(out, 'boundary-frequency.svg'), 'utf8'));
    expect(byClass(bf, 'caption')[0].text).toBe('boundary frequency f_e (dimensionless)');
    const explanation = byClass(bf, 'explanation').map((t) => t.text).join(' ');
    expect(explanation).toMatch(/f_e = sum over N_m = 2\.\.\d+ of n_e\(N_m\) \/ sqrt\(N_m\)/);
    expect(explanation).toContain('region boundary');
    const regions = parseSvg(readFileSync(join(out, 'regions.svg'), 'utf8'));
    const legend = byClass(regions, 'legend')[0].children.filter((c) => c.name === 'text').map((c) => c.text);
    expect(legend).toContain('region boundary');
    expect(legend).not.toContain('highlighted');
  });

  it('--run: the trajectories figure names the run too; every figure renders to a PNG', async () => {
    const out = p('run');
    const r = await clln('diagnose', '--run', p('sim.jsonl'), '--svg', out);
    expect(r.code, r.stderr).toBe(0);
    expect(svgs(out)).toContain('trajectories.svg');
    for (const f of svgs(out)) {
      const svg = readFileSync(join(out, f), 'utf8');
      checkPaperFigure(svg, ['lattice-6x6-diag', 'task.json', 'sim.jsonl']);
      checkRendered(svg);
    }
  });

  it('a transistor network: the cost Hessian in theta (V_G), dimensionless, said so on the figure', async () => {
    const base = latticeNetwork({ rows: 3, cols: 3, diagonals: true, seed: 4, conductance: [0.5e-3, 1.5e-3], bounds: [1e-6, 1e-2] });
    const net = { ...base, elements: Array.from(base.edgeA, (_, e) => ({ kind: 'transistor' as const, s: 8.5e-4, vt: 0.62, vg: 2 + (e % 5) / 5, saturation: 'square' as const })) };
    const task = polynomialTask({ coefficients: [0.1, 0.2, 0.3], source: 0, target: 4, ground: [8], rail: { node: 2, volts: 1 }, count: 8, test: 2, seed: 3 });
    writeFileSync(p('nl.json'), JSON.stringify(networkToJson(net)));
    writeFileSync(p('nl-task.json'), JSON.stringify(taskToJson(task)));
    const out = p('nonlinear');
    const r = await clln('diagnose', p('nl.json'), p('nl-task.json'), '--svg', out);
    expect(r.code, r.stderr).toBe(0);
    for (const f of svgs(out)) checkPaperFigure(readFileSync(join(out, f), 'utf8'), [net.name, 'nl-task.json']);
    const root = parseSvg(readFileSync(join(out, 'spectrum.svg'), 'utf8'));
    expect(byClass(root, 'y-label').map((t) => t.text)).toEqual(['eigenvalue (S)', 'eigenvalue (dimensionless)']);
    expect(byClass(root, 'panel-title')[1].text).toContain('in theta');
    expect(byClass(root, 'note').map((t) => t.text).join(' ')).toContain('V_G (V)');
  });

  it('--png needs --svg', async () => {
    const r = await clln('diagnose', p('net.json'), '--png');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--svg DIR');
  });
});
