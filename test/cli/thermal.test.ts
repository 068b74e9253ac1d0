/**
 * Issue 17 point 4: `clln thermal NET TASK` in-process, against hand-worked numbers.
 *
 * The rhombus: two equilateral triangles (side 1) sharing the edge 1-2, 5 springs on 8 - 3 = 5 non-rigid degrees of
 * freedom, so the 5 spring strains are independent coordinates, each N(0, T / k_e) at temperature T (k_B = 1, unit
 * lengths). The long diagonal 0-3 (length sqrt 3) has eps_03 = (a + b + a' + b' - c) / 3 (outer edges' strains a..b',
 * the shared edge's c), so with the shared edge strained by s: mean -s/3, Var = T/9 sum_outer 1/k; without input
 * Var = T/9 sum_all 1/k; and T* = (s/3)^2 / (sqrt(v_with) + sqrt(v_without))^2. Backwards (0-3 strained by s, 1-2 the
 * target): by hand in the first test.
 * The square without diagonals has one floppy shear mode that strains both diagonals, oppositely: with one diagonal
 * imposed the other follows exactly (mean -s), without input its variance is infinite, T* = 0.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clln, expectOneParagraph } from './inProcess.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-thermal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const h = Math.sqrt(3) / 2;
const k = [2, 1, 1.5, 0.5, 3]; // [1,2] shared, [1,3], [2,3], [0,1], [0,2]
const sumAll = k.reduce((a, b) => a + 1 / b, 0); // 4.5
const sumOuter = sumAll - 1 / k[0]; // 4
const rhombus = join(dir, 'rhombus.json');
const square = join(dir, 'square.json');
const resistor = join(dir, 'lattice.json');
const linearTask = join(dir, 'linear.json');
const kSquare = [1, 2, 0.5, 4];

function taskFile(name: string, doc: Record<string, unknown>): string {
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify({ format: 'clln.strain-task/1', delta: 0.1, ...doc }));
  return f;
}

beforeAll(async () => {
  writeFileSync(rhombus, JSON.stringify({ format: 'clln.springs/1', name: 'rhombus', dim: 2, positions: [[0.5, -h], [0, 0], [1, 0], [0.5, h]], edges: [[1, 2], [1, 3], [2, 3], [0, 1], [0, 2]], stiffness: k }));
  writeFileSync(square, JSON.stringify({ format: 'clln.springs/1', name: 'square', dim: 2, positions: [[0, 0], [1, 0], [1, 1], [0, 1]], edges: [[0, 1], [1, 2], [2, 3], [3, 0]], stiffness: kSquare }));
  expect((await clln('network', 'lattice', '3x3', '--out', resistor)).code).toBe(0);
  expect((await clln('task', 'linear', '--matrix', '0.5', '--sources', '0', '--targets', '8', '--ground', '4', '--out', linearTask)).code).toBe(0);
});

function oneObject(stdout: string): Record<string, any> {
  expect(stdout.endsWith('\n')).toBe(true);
  expect(stdout.slice(0, -1).includes('\n')).toBe(false);
  return JSON.parse(stdout) as Record<string, any>;
}

const tStar = (mean: number, vWith: number, vWithout: number): number => (mean * mean) / (Math.sqrt(vWith) + Math.sqrt(vWithout)) ** 2;

describe('clln thermal: the rhombus by hand', () => {
  const s = 0.02;
  it('--json: mean -s/3, variances sum 1/k / 9, T* in closed form, both directions of a cooperative task', async () => {
    const t = taskFile('coop.json', { source: [1, 2], target: [0, 3], sourceStrain: s, cooperative: true });
    const r = await clln('thermal', rhombus, t, '--json', '--temps', '1e-6,1e-4');
    expect(r.code).toBe(0);
    const j = oneObject(r.stdout);
    expect(j.route.used).toBe('dense-modes');
    expect(j.modes).toMatchObject({ dof: 8, zeroModes: 3, rigidModes: 3, floppyModes: 0 });
    expect(j.warnings).toEqual([]);
    const [fwd, back] = j.directions;
    expect(fwd.source).toEqual([1, 2]);
    expect(fwd.response).toBeCloseTo(-s / 3, 14);
    expect(fwd.varianceWithout).toBeCloseTo(sumAll / 9, 13);
    expect(fwd.varianceWith).toBeCloseTo(sumOuter / 9, 13);
    expect(fwd.crossover / tStar(s / 3, sumOuter / 9, sumAll / 9)).toBeCloseTo(1, 12);
    expect(fwd.crossoverReason).toBe('crossing');
    // sigma at T = 1e-4 is sqrt(T v)
    expect(fwd.grid[1].temperature).toBe(1e-4);
    expect(fwd.grid[1].sigmaWith).toBeCloseTo(Math.sqrt((1e-4 * sumOuter) / 9), 15);
    expect(fwd.grid[1].sigmaWithout).toBeCloseTo(Math.sqrt((1e-4 * sumAll) / 9), 15);
    // backwards: Cov(eps_12, eps_03) = -(1/k_c) / 3 = -1/6 (per unit T), Var eps_03 = 1/2, so slope -1/3;
    // Var(eps_12 | eps_03) = 1/k_c - (1/6)^2 / (1/2) = 1/2 - 1/18 = 4/9
    expect(back.source).toEqual([0, 3]);
    expect(back.slope).toBeCloseTo(-1 / 3, 13);
    expect(back.varianceWithout).toBeCloseTo(1 / k[0], 13);
    expect(back.varianceWith).toBeCloseTo(4 / 9, 13);
    // the hard constraint is a source spring of infinite stiffness: null, and listed
    expect(j.sourceSpring).toBeNull();
    expect(j.infinite).toEqual(['directions[0].sourceSpring', 'directions[1].sourceSpring']);
  });

  it('text: the numbers, T* with its closed form, the route; the default grid is 31 temperatures from 1e-3 T* to 1e3 T*', async () => {
    const t = taskFile('fwd.json', { source: [1, 2], target: [0, 3], sourceStrain: s });
    const r = await clln('thermal', rhombus, t);
    expect(r.code).toBe(0);
    const ts = tStar(s / 3, sumOuter / 9, sumAll / 9); // 2.355e-5
    expect(r.stdout).toMatch(/route: dense normal modes: 8 degrees of freedom <= 600/);
    expect(r.stdout).toMatch(/mean target strain with input\s+-0\.006667 \(slope -0\.3333/);
    expect(r.stdout).toMatch(/sigma with input\s+0\.6667 sqrt\(T\)/); // sqrt(4/9)
    expect(r.stdout).toMatch(/sigma without input\s+0\.7071 sqrt\(T\)/); // sqrt(1/2)
    expect(r.stdout).toContain(`T*                              ${ts.toExponential(3)} (closed form`);
    expect(r.stdout).toMatch(/default: 31 temperatures, log-spaced 1e-3 T\* \.\. 1e3 T\*/);
    expect(r.stdout).not.toMatch(/warning/);
    const j = oneObject((await clln('thermal', rhombus, t, '--json')).stdout);
    const grid = j.directions[0].grid as { temperature: number; resolved: boolean }[];
    expect(grid).toHaveLength(31);
    expect(grid[0].temperature / ts).toBeCloseTo(1e-3, 12);
    expect(grid[30].temperature / ts).toBeCloseTo(1e3, 9);
    // resolved below T* (to the grid's rounding at T* itself), not above
    for (const g of grid) if (Math.abs(g.temperature / ts - 1) > 1e-9) expect(g.resolved).toBe(g.temperature < ts);
  });

  it('--route sparse gives the same numbers and says so; --source-strain overrides the task and T* scales as s^2', async () => {
    const t = taskFile('fwd2.json', { source: [1, 2], target: [0, 3], sourceStrain: s });
    const j = oneObject((await clln('thermal', rhombus, t, '--json', '--route', 'sparse', '--source-strain', '0.01', '--temps', '1')).stdout);
    expect(j.route).toEqual({ used: 'sparse-cholesky', reason: 'sparse Cholesky, as asked' });
    expect(j.sourceStrain).toBe(0.01);
    const d = j.directions[0];
    expect(d.response).toBeCloseTo(-0.01 / 3, 14);
    expect(d.crossover / tStar(0.01 / 3, sumOuter / 9, sumAll / 9)).toBeCloseTo(1, 12);
    expect(j.modes.largestEigenvalue).toBeNull(); // not computed on the sparse route (NaN -> null, not "infinite")
    expect(j.infinite).not.toContain('modes.largestEigenvalue');
  });

  it('a large source strain: a warning that cites the measured breakdown (text and --json)', async () => {
    const t = taskFile('big.json', { source: [1, 2], target: [0, 3] }); // sourceStrain defaults to 1
    const r = await clln('thermal', rhombus, t, '--temps', '1e-3');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/warning: source strain 1 is beyond 0\.1, the largest at which the harmonic approximation was measured to hold \(src\/physics\/springs\/thermal\/README\.md/);
    expect(r.stdout).toMatch(/0\.7-2\.9 %/);
    const j = oneObject((await clln('thermal', rhombus, t, '--temps', '1e-3', '--json', '--source-strain', '0.1')).stdout);
    expect(j.warnings).toEqual([]);
    const k2 = oneObject((await clln('thermal', rhombus, t, '--temps', '1e-3', '--json', '--source-strain=-0.5')).stdout);
    expect(k2.warnings).toHaveLength(1);
  });

  it('--svg DIR: one figure per direction, T* marked at the closed-form value; --png beside it', async () => {
    const t = taskFile('coop2.json', { source: [1, 2], target: [0, 3], sourceStrain: s, cooperative: true });
    const out = join(dir, 'figs');
    const r = await clln('thermal', rhombus, t, '--svg', out, '--png');
    expect(r.code).toBe(0);
    for (const name of ['thermal-1-2-to-0-3', 'thermal-0-3-to-1-2']) {
      const svg = readFileSync(join(out, `${name}.svg`), 'utf8');
      const m = /class="crossover" data-temperature="([^"]+)"/.exec(svg);
      expect(m).not.toBeNull();
      expect(Number(m![1]) / tStar(s / 3, sumOuter / 9, sumAll / 9)).toBeCloseTo(1, 10);
      expect(readFileSync(join(out, `${name}.png`)).subarray(1, 4).toString()).toBe('PNG');
      expect(r.stdout).toContain(join(out, `${name}.svg`));
    }
  });
});

describe('clln thermal: a floppy network', () => {
  it('the square: with one diagonal imposed the other follows (mean -s, Var = sum 1/k / 4); without input "infinite (floppy)", T* = 0', async () => {
    const s = 0.01;
    const t = taskFile('sq.json', { source: [0, 2], target: [1, 3], sourceStrain: s });
    const r = await clln('thermal', square, t, '--temps', '1e-3');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/modes: 8 dof, 4 zero \(3 rigid, 1 floppy\)/);
    expect(r.stdout).toMatch(/sigma without input\s+infinite \(floppy\)/);
    expect(r.stdout).toMatch(/T\*\s+0: sigma without input is infinite \(floppy\)/);
    const j = oneObject((await clln('thermal', square, t, '--temps', '1e-3', '--json')).stdout);
    const d = j.directions[0];
    expect(d.response).toBeCloseTo(-s, 12);
    // eps_02 + eps_13 does not see the shear; each side's strain enters it with weight 1/2 (uniform dilation)
    expect(d.varianceWith).toBeCloseTo(kSquare.reduce((a, b) => a + 1 / b, 0) / 4, 10);
    expect(d.varianceWithout).toBeNull();
    expect(d.crossover).toBe(0);
    expect(d.crossoverReason).toBe('floppy');
    expect(j.infinite).toContain('directions[0].varianceWithout');
    expect(j.infinite).toContain('directions[0].grid[0].sigmaWithout');
  });
});

describe('clln thermal: bad input (exit 2, one paragraph)', () => {
  it('a resistor network, a non-strain task, bad temperatures and options', async () => {
    const t = taskFile('ok.json', { source: [1, 2], target: [0, 3] });
    const cases: [string[], RegExp][] = [
      [[resistor, t], /clln\.springs\/1/],
      [[rhombus, linearTask], /clln\.strain-task\/1/],
      [[rhombus, t, '--temps', '1e-3,-1'], /--temps/],
      [[rhombus, t, '--temps', '0'], /--temps/],
      [[rhombus, t, '--temps', 'a,b'], /--temps/],
      [[rhombus, t, '--temps', ''], /--temps/],
      [[rhombus, t, '--temps', '1e-3,,1'], /--temps/],
      [[rhombus, t, '--source-strain', '0'], /--source-strain/],
      [[rhombus, t, '--source-spring', '-1'], /--source-spring/],
      [[rhombus, t, '--route', 'fast'], /--route/],
      [[rhombus, t, '--png'], /--png/],
      [[rhombus], /expected NET TASK/],
      [[rhombus, taskFile('far.json', { source: [1, 2], target: [0, 9] })], /target/],
      [[join(dir, 'missing.json'), t], /missing\.json/],
    ];
    for (const [args, re] of cases) {
      const r = await clln('thermal', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(expectOneParagraph(r.stderr)).toMatch(re);
    }
  });

  it('is listed in the help', async () => {
    expect((await clln('help')).stdout).toMatch(/thermal\s+a spring network's strain task at finite temperature/);
    expect((await clln('help', 'thermal')).stdout).toMatch(/clln thermal NET TASK/);
  });
});
