import { describe, expect, it } from 'vitest';
import { costHessian } from '../../src/diagnostics/costHessian.js';
import { InvalidInputError } from '../../src/errors.js';
import { cost, costGradient } from '../../src/physics/cost.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { linearTask } from '../../src/physics/generators/linearTask.js';
import { randomGraphNetwork } from '../../src/physics/generators/randomGraph.js';
import type { Network } from '../../src/physics/Network.js';
import { StateSolver } from '../../src/physics/StateSolver.js';
import type { Example, Task } from '../../src/physics/Task.js';

const MATRIX = [
  [0.15, 0.3],
  [0.2, 0.1],
];

interface Case {
  name: string;
  net: Network;
  task: Task;
}

const cases: Case[] = [
  {
    name: '4x4 lattice with diagonals',
    net: latticeNetwork({ rows: 4, cols: 4, diagonals: true, seed: 3 }),
    task: linearTask({ matrix: MATRIX, sources: [0, 3], targets: [9, 10], ground: [15], count: 3, seed: 4 }),
  },
  {
    name: 'random graph N=20, degree 4',
    net: randomGraphNetwork({ nodes: 20, meanDegree: 4, seed: 5 }),
    task: linearTask({ matrix: MATRIX, sources: [0, 1], targets: [7, 12], ground: [19], count: 4, seed: 6 }),
  },
];

/** Independent: the mean exact gradient over the examples, by the adjoint (src/physics/cost.ts). */
function meanGradient(net: Network, task: Task, k: Float64Array, examples: Example[] = task.train): Float64Array {
  const s = new StateSolver(net, task);
  s.setConductance(k);
  const g = new Float64Array(k.length);
  for (const ex of examples) {
    const e = costGradient(s, s.free(ex.in), ex.out);
    for (let i = 0; i < g.length; i++) g[i] += e[i] / examples.length;
  }
  return g;
}

/** Independent: target voltages of every example, rows m |T| + t. */
function targetVoltages(net: Network, task: Task, k: Float64Array): Float64Array {
  const s = new StateSolver(net, task);
  s.setConductance(k);
  const T = task.targets.length;
  const out = new Float64Array(task.train.length * T);
  task.train.forEach((ex, m) => {
    const v = s.free(ex.in).voltages;
    for (let t = 0; t < T; t++) out[m * T + t] = v[task.targets[t]];
  });
  return out;
}

/** Central finite differences of f: R^E -> R^n, as an n x E row-major matrix. */
function fdJacobian(k0: Float64Array, f: (k: Float64Array) => Float64Array): Float64Array {
  const E = k0.length;
  const k = Float64Array.from(k0);
  let out: Float64Array | null = null;
  for (let j = 0; j < E; j++) {
    const h = 1e-5 * k0[j];
    k[j] = k0[j] + h;
    const fp = f(k);
    k[j] = k0[j] - h;
    const fm = f(k);
    k[j] = k0[j];
    if (!out) out = new Float64Array(fp.length * E);
    for (let i = 0; i < fp.length; i++) out[i * E + j] = (fp[i] - fm[i]) / (2 * h);
  }
  return out!;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

describe.each(cases)('costHessian on a $name', ({ net, task }) => {
  const E = net.edgeA.length;
  const M = task.train.length;
  const T = task.targets.length;
  const h = costHessian(net, task);

  it('the full Hessian equals central differences of the exact gradient', () => {
    const fd = fdJacobian(net.conductance, (k) => meanGradient(net, task, k));
    expect(h.full).not.toBeNull();
    expect(relErr(h.full!, fd)).toBeLessThan(1e-6);
    // and the residual term matters here: GN alone is visibly different
    expect(relErr(h.gaussNewton, fd)).toBeGreaterThan(1e-3);
  });

  it('is exactly symmetric', () => {
    for (const m of [h.full!, h.gaussNewton]) {
      for (let i = 0; i < E; i++) for (let j = 0; j < i; j++) expect(m[i * E + j]).toBe(m[j * E + i]);
    }
  });

  it('Jacobian and Gauss-Newton part equal finite differences of the target voltages', () => {
    const J = fdJacobian(net.conductance, (k) => targetVoltages(net, task, k));
    expect(relErr(h.jacobian, J)).toBeLessThan(1e-6);
    const gn = new Float64Array(E * E);
    for (let r = 0; r < M * T; r++) for (let i = 0; i < E; i++) for (let j = 0; j < E; j++) gn[i * E + j] += (J[r * E + i] * J[r * E + j]) / M;
    expect(relErr(h.gaussNewton, gn)).toBeLessThan(1e-6);
  });

  it('cost and gradient are the mean over the examples', () => {
    const s = new StateSolver(net, task);
    s.setConductance(net.conductance);
    const c = task.train.reduce((acc, ex) => acc + cost(s.free(ex.in).voltages, task.targets, ex.out), 0) / M;
    expect(h.cost).toBeCloseTo(c, 14);
    expect(relErr(h.gradient, meanGradient(net, task, net.conductance))).toBeLessThan(1e-12);
  });

  it('at zero residuals (desired = current outputs) the full Hessian equals Gauss-Newton', () => {
    const v = targetVoltages(net, task, net.conductance);
    const examples = task.train.map((ex, m) => ({ in: ex.in, out: v.slice(m * T, (m + 1) * T) }));
    const z = costHessian(net, task, { examples });
    expect(z.cost).toBe(0);
    expect(maxAbs(z.gradient)).toBe(0);
    expect(relErr(z.full!, z.gaussNewton)).toBeLessThan(1e-14);
    // GN does not depend on the desired outputs
    expect(relErr(z.gaussNewton, h.gaussNewton)).toBeLessThan(1e-14);
  });

  it('sparse and dense methods agree to 1e-10', () => {
    const d = costHessian(net, task, { method: 'dense' });
    expect(relErr(h.full!, d.full!)).toBeLessThan(1e-10);
    expect(relErr(h.gaussNewton, d.gaussNewton)).toBeLessThan(1e-10);
    expect(relErr(h.jacobian, d.jacobian)).toBeLessThan(1e-10);
    expect(relErr(h.gradient, d.gradient)).toBeLessThan(1e-10);
    expect(Math.abs(h.cost - d.cost)).toBeLessThan(1e-10 * h.cost);
    expect(d.diagnostics.maxSolveResidual).toBeLessThan(1e-12);
  });

  it('reports its solves; without the second order only states and Green functions are solved', () => {
    expect(h.edges).toBe(E);
    expect(h.examples).toBe(M);
    expect(h.jacobian.length).toBe(M * T * E);
    // one transfer-resistance solve per edge with a free end (an edge between two imposed nodes needs none)
    const imposed = new Set([...task.sources, ...task.ground]);
    const withFreeEnd = Array.from(net.edgeA, (a, e) => !imposed.has(a) || !imposed.has(net.edgeB[e])).filter(Boolean).length;
    expect(h.diagnostics.solves).toBe(M + T + withFreeEnd);
    expect(h.diagnostics.maxSolveResidual).toBeLessThan(1e-12);
    const g = costHessian(net, task, { secondOrder: false });
    expect(g.full).toBeNull();
    expect(g.diagnostics.solves).toBe(M + T);
    expect(relErr(g.gaussNewton, h.gaussNewton)).toBe(0);
  });
});

describe('costHessian input checks', () => {
  const { net, task } = cases[0];
  it('rejects bad options and examples with InvalidInputError naming the field', () => {
    const bad = (f: () => unknown, field: string): void => {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidInputError);
        expect((e as InvalidInputError).field).toBe(field);
      }
    };
    bad(() => costHessian(net, task, { examples: [] }), 'examples');
    bad(() => costHessian(net, task, { examples: [{ in: Float64Array.of(1), out: Float64Array.of(0, 0) }] }), 'examples[0].in');
    bad(() => costHessian(net, task, { examples: [{ in: Float64Array.of(1, 0), out: Float64Array.of(NaN, 0) }] }), 'examples[0].out[0]');
    bad(() => costHessian(net, task, { method: 'qr' as 'dense' }), 'method');
    bad(() => costHessian({ ...net, conductance: Float64Array.from(net.conductance, (k, e) => (e === 2 ? -k : k)) }, task), 'net.conductance[2]');
    bad(() => costHessian(net, { ...task, targets: new Int32Array(0) }), 'task.targets');
  });
});
