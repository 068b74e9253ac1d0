import { Matrix, inverse, solve as denseSolve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, NumericalError } from '../../src/errors.js';
import { LaplacianSystem, type LaplacianSystemOptions } from '../../src/physics/LaplacianSystem.js';
import { Rng } from '../../src/physics/Rng.js';

const i32 = (xs: number[]): Int32Array => Int32Array.from(xs);
const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);
const methods: LaplacianSystemOptions[] = [{ method: 'cholesky' }, { method: 'cg' }, { method: 'cholesky', ordering: 'natural' }, { method: 'cholesky', ordering: 'nd' }];

interface Net {
  nodes: number;
  a: number[];
  b: number[];
}

function randomNetwork(n: number, extra: number, rng: Rng): Net {
  const a: number[] = [];
  const b: number[] = [];
  for (let v = 1; v < n; v++) {
    // Random orientation, so that edges come in both directions.
    const u = rng.int(v);
    if (rng.next() < 0.5) a.push(u), b.push(v);
    else a.push(v), b.push(u);
  }
  for (let t = 0; t < extra; t++) {
    const u = rng.int(n);
    const v = rng.int(n);
    if (u !== v) a.push(u), b.push(v);
  }
  return { nodes: n, a, b };
}

function lattice(side: number): Net {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < side; i++) {
    for (let j = 0; j < side; j++) {
      const v = i * side + j;
      if (j + 1 < side) a.push(v), b.push(v + 1);
      if (i + 1 < side) a.push(v), b.push(v + side);
      if (i + 1 < side && j + 1 < side) a.push(v), b.push(v + side + 1), a.push(v + 1), b.push(v + side);
    }
  }
  return { nodes: side * side, a, b };
}

/**
 * Net current leaving each node through the edges, computed from the edge list: sum_e k_e (V_i - V_other).
 * Also returns the largest sum of absolute edge currents at any node, as the current scale.
 */
function kcl(net: Net, k: Float64Array, v: Float64Array): { net: Float64Array; scale: number } {
  const out = new Float64Array(net.nodes);
  const abs = new Float64Array(net.nodes);
  for (let e = 0; e < net.a.length; e++) {
    const i = k[e] * (v[net.a[e]] - v[net.b[e]]);
    out[net.a[e]] += i;
    out[net.b[e]] -= i;
    abs[net.a[e]] += Math.abs(i);
    abs[net.b[e]] += Math.abs(i);
  }
  return { net: out, scale: Math.max(...abs) };
}

/** Dense reference: free voltages from H_FF V_F = inj_F - H_FI V_I, assembled from the edge list. */
function denseVoltages(net: Net, k: Float64Array, imposed: number[], values: number[], injection?: Float64Array): number[] {
  const free = Array.from({ length: net.nodes }, (_, i) => i).filter((i) => !imposed.includes(i));
  const fi = new Map(free.map((v, i) => [v, i]));
  const H = Matrix.zeros(free.length, free.length);
  const rhs = Matrix.zeros(free.length, 1);
  free.forEach((v, i) => rhs.set(i, 0, injection ? injection[v] : 0));
  for (let e = 0; e < net.a.length; e++) {
    const [x, y] = [net.a[e], net.b[e]];
    for (const [p, q] of [
      [x, y],
      [y, x],
    ]) {
      if (!fi.has(p)) continue;
      const ip = fi.get(p)!;
      H.set(ip, ip, H.get(ip, ip) + k[e]);
      if (fi.has(q)) H.set(ip, fi.get(q)!, H.get(ip, fi.get(q)!) - k[e]);
      else rhs.set(ip, 0, rhs.get(ip, 0) + k[e] * values[imposed.indexOf(q)]);
    }
  }
  const x = denseSolve(H, rhs).getColumn(0);
  const v = new Array<number>(net.nodes).fill(0);
  free.forEach((node, i) => (v[node] = x[i]));
  imposed.forEach((node, t) => (v[node] = values[t]));
  return v;
}

function system(net: Net, imposed: number[], options?: LaplacianSystemOptions): LaplacianSystem {
  return new LaplacianSystem(net.nodes, i32(net.a), i32(net.b), i32(imposed), options);
}

describe('LaplacianSystem', () => {
  const rng = new Rng(2024);

  for (const options of methods) {
    const label = JSON.stringify(options);

    it(`series resistors form a voltage divider ${label}`, () => {
      // 0 --k1-- 1 --k2-- 2, V0 = 5 V, V2 = 0: V1 = V0 k1 / (k1 + k2).
      const sys = new LaplacianSystem(3, i32([0, 2]), i32([1, 1]), i32([0, 2]), options);
      sys.setConductance(f64([2e-3, 6e-3]));
      const { voltages, diagnostics } = sys.solve(f64([5, 0]));
      expect(voltages[0]).toBe(5);
      expect(voltages[2]).toBe(0);
      expect(voltages[1]).toBeCloseTo((5 * 2e-3) / 8e-3, 12);
      expect(diagnostics.converged).toBe(true);
      expect(diagnostics.method).toBe(options.method);
      expect(diagnostics.residual).toBeLessThan(1e-12);
    });

    it(`parallel edges add ${label}`, () => {
      // Two edges 0-1 (k1, k2, opposite orientations) in series with 1-2 (k3).
      const sys = new LaplacianSystem(3, i32([0, 1, 1]), i32([1, 0, 2]), i32([0, 2]), options);
      sys.setConductance(f64([1, 3, 2]));
      const v = sys.solve(f64([1, 0])).voltages;
      expect(v[1]).toBeCloseTo(4 / 6, 12);
    });

    it(`current injection: V = I / k for one resistor to ground ${label}`, () => {
      const sys = new LaplacianSystem(2, i32([0]), i32([1]), i32([0]), options);
      sys.setConductance(f64([0.25]));
      const v = sys.solve(f64([0]), f64([123, 2e-3])).voltages;
      expect(v[0]).toBe(0); // injection at the imposed node is ignored
      expect(v[1]).toBeCloseTo(8e-3, 14);
    });

    it(`obeys Kirchhoff at every free node of random networks ${label}`, () => {
      for (const n of [10, 80, 400]) {
        const net = randomNetwork(n, Math.floor(1.5 * n), rng);
        const imposed = [...new Set([rng.int(n), rng.int(n), rng.int(n)])];
        const values = imposed.map(() => rng.uniform(-2, 2));
        const k = Float64Array.from(net.a, () => Math.exp(rng.uniform(-3, 3)));
        const injection = Float64Array.from({ length: n }, () => (rng.next() < 0.1 ? rng.normal() * 1e-2 : 0));
        const sys = system(net, imposed, options);
        sys.setConductance(k);
        const { voltages, diagnostics } = sys.solve(f64(values), injection);
        expect(diagnostics.converged).toBe(true);
        const { net: current, scale } = kcl(net, k, voltages);
        for (let i = 0; i < n; i++) {
          if (imposed.includes(i)) continue;
          expect(Math.abs(current[i] - injection[i])).toBeLessThanOrEqual(1e-10 * scale);
        }
        const ref = denseVoltages(net, k, imposed, values, injection);
        for (let i = 0; i < n; i++) expect(voltages[i]).toBeCloseTo(ref[i], 9);
      }
    });
  }

  it('stays accurate on badly conditioned networks (conductances over twelve decades), ignoring self loops', () => {
    const n = 300;
    const net = randomNetwork(n, 400, rng);
    net.a.push(7, 8);
    net.b.push(7, 8); // self loops carry no current
    const imposed = [0, 150];
    const k = Float64Array.from(net.a, () => Math.pow(10, rng.uniform(-6, 6)));
    for (const options of methods.filter((o) => o.method === 'cholesky')) {
      const sys = system(net, imposed, options);
      sys.setConductance(k);
      const { voltages, diagnostics } = sys.solve(f64([1, 0]));
      expect(diagnostics.converged).toBe(true);
      expect(diagnostics.iterations).toBeGreaterThanOrEqual(1);
      expect(diagnostics.residual).toBeLessThan(1e-10);
      const { net: current, scale } = kcl(net, k, voltages);
      for (let i = 0; i < n; i++) if (!imposed.includes(i)) expect(Math.abs(current[i])).toBeLessThanOrEqual(1e-10 * scale);
    }
  });

  it('reports its analysis', () => {
    const net = lattice(12);
    const sys = system(net, [0, 143]);
    const an = sys.analysis;
    expect(an.method).toBe('cholesky');
    expect(['nd', 'amd']).toContain(an.ordering);
    expect(an.free).toBe(142);
    // nnz(H_FF): a diagonal per free node plus both triangles of every free-free edge (no parallel edges here).
    const freeFree = net.a.filter((x, e) => x !== 0 && x !== 143 && net.b[e] !== 0 && net.b[e] !== 143).length;
    expect(an.nnzA).toBe(142 + 2 * freeFree);
    expect(an.nnzL).toBeGreaterThanOrEqual((an.nnzA + 142) / 2);
    expect(an.orderingMs).toBeGreaterThanOrEqual(0);
    expect(an.symbolicMs).toBeGreaterThanOrEqual(0);
  });

  it('CG and Cholesky agree, and auto picks Cholesky on a lattice', () => {
    const net = lattice(30);
    const imposed = [0, 29, 870, 899, 435];
    const values = f64([1, -1, 0.5, 0, 0]);
    const k = Float64Array.from(net.a, () => rng.uniform(0.5, 2));
    const auto = system(net, imposed);
    const cg = system(net, imposed, { method: 'cg', cgTolerance: 1e-13 });
    expect(auto.analysis.method).toBe('cholesky');
    expect(auto.analysis.nnzL).toBeGreaterThan(auto.analysis.nnzA / 2);
    expect(cg.analysis.method).toBe('cg');
    auto.setConductance(k);
    cg.setConductance(k);
    const va = auto.solve(values).voltages;
    const r = cg.solve(values);
    expect(r.diagnostics.iterations).toBeGreaterThan(1);
    for (let i = 0; i < net.nodes; i++) expect(r.voltages[i]).toBeCloseTo(va[i], 10);
  });

  it('re-factorisation after new conductances gives the new answer', () => {
    const net = randomNetwork(150, 200, rng);
    const imposed = [3, 77];
    for (const options of methods) {
      const sys = system(net, imposed, options);
      for (let round = 0; round < 3; round++) {
        const k = Float64Array.from(net.a, () => rng.uniform(0.1, 10));
        sys.setConductance(k);
        const v = sys.solve(f64([1, 0])).voltages;
        const ref = denseVoltages(net, k, imposed, [1, 0]);
        for (let i = 0; i < net.nodes; i++) expect(v[i]).toBeCloseTo(ref[i], 10);
      }
    }
  });

  it("solveFree gives Green's functions: columns of H_FF^{-1}", () => {
    const net = randomNetwork(60, 90, rng);
    const imposed = [5, 6];
    const k = Float64Array.from(net.a, () => rng.uniform(0.5, 2));
    const free = Array.from({ length: 60 }, (_, i) => i).filter((i) => !imposed.includes(i));
    const H = Matrix.zeros(60, 60);
    for (let e = 0; e < net.a.length; e++) {
      const [x, y] = [net.a[e], net.b[e]];
      H.set(x, x, H.get(x, x) + k[e]);
      H.set(y, y, H.get(y, y) + k[e]);
      H.set(x, y, H.get(x, y) - k[e]);
      H.set(y, x, H.get(y, x) - k[e]);
    }
    const G = inverse(H.selection(free, free));
    for (const options of methods) {
      const sys = system(net, imposed, options);
      sys.setConductance(k);
      for (const target of [0, 17, 59]) {
        const rhs = new Float64Array(60);
        rhs[target] = 1;
        rhs[5] = 99; // ignored: imposed
        const out = new Float64Array(60).fill(7);
        const { x, diagnostics } = sys.solveFree(rhs, out);
        expect(x).toBe(out);
        expect(diagnostics.converged).toBe(true);
        expect(x[5]).toBe(0);
        expect(x[6]).toBe(0);
        const col = free.indexOf(target);
        free.forEach((node, i) => expect(x[node]).toBeCloseTo(G.get(i, col), 10));
      }
    }
  });

  it('throws NumericalError for a floating component', () => {
    // Nodes 3 and 4 are connected to each other only.
    const net = { nodes: 5, a: [0, 1, 3], b: [1, 2, 4] };
    for (const options of methods) {
      const sys = system(net, [0, 2], options);
      expect(() => sys.setConductance(f64([1, 1, 1]))).toThrow(NumericalError);
      expect(() => sys.setConductance(f64([1, 1, 1]))).toThrow(/3, 4/);
      expect(() => sys.solve(f64([1, 0]))).toThrow(NumericalError);
    }
    // A free node isolated by a zero conductance.
    const sys = system({ nodes: 3, a: [0, 1], b: [1, 2] }, [0]);
    expect(() => sys.setConductance(f64([1, 0]))).toThrow(NumericalError);
    sys.setConductance(f64([1, 2]));
    expect(sys.solve(f64([3])).voltages[2]).toBeCloseTo(3, 14);
    // An isolated free node without edges.
    const lone = new LaplacianSystem(3, i32([0]), i32([1]), i32([0]));
    expect(() => lone.setConductance(f64([1]))).toThrow(NumericalError);
  });

  it('validates its arguments with InvalidInputError naming the parameter', () => {
    expect(() => new LaplacianSystem(3, i32([0, 1]), i32([1, 3]), i32([0]))).toThrow(InvalidInputError);
    expect(() => new LaplacianSystem(3, i32([0, 1]), i32([1, 3]), i32([0]))).toThrow(/edgeB\[1\]/);
    expect(() => new LaplacianSystem(3, i32([0, -1]), i32([1, 2]), i32([0]))).toThrow(/edgeA\[1\]/);
    expect(() => new LaplacianSystem(3, i32([0]), i32([1, 2]), i32([0]))).toThrow(/edgeB/);
    expect(() => new LaplacianSystem(3, i32([0]), i32([1]), i32([0, 0]))).toThrow(/distinct/);
    expect(() => new LaplacianSystem(3, i32([0]), i32([1]), i32([5]))).toThrow(/imposed\[0\]/);
    expect(() => new LaplacianSystem(-1, i32([]), i32([]), i32([]))).toThrow(/nodes/);
    expect(() => new LaplacianSystem(2, i32([0]), i32([1]), i32([0]), { method: 'lu' as never })).toThrow(/method/);
    const sys = new LaplacianSystem(3, i32([0, 1]), i32([1, 2]), i32([0]));
    expect(() => sys.setConductance(f64([1]))).toThrow(InvalidInputError);
    expect(() => sys.setConductance(f64([1, NaN]))).toThrow(/k\[1\]/);
    sys.setConductance(f64([1, 1]));
    expect(() => sys.solve(f64([1, 2]))).toThrow(/imposedValues/);
    expect(() => sys.solve(f64([1]), new Float64Array(2))).toThrow(/injection/);
    expect(() => sys.solve(f64([1]), undefined, new Float64Array(2))).toThrow(InvalidInputError);
  });

  it('exposes nodes, imposed and free nodes; works with every node imposed and with no imposed node list order lost', () => {
    const sys = new LaplacianSystem(4, i32([0, 1, 2]), i32([1, 2, 3]), i32([3, 0]));
    expect(sys.nodes).toBe(4);
    expect(Array.from(sys.imposedNodes)).toEqual([3, 0]);
    expect(Array.from(sys.freeNodes)).toEqual([1, 2]);
    sys.setConductance(f64([1, 1, 1]));
    const v = sys.solve(f64([3, 0])).voltages;
    expect(Array.from(v).map((x) => +x.toFixed(12))).toEqual([0, 1, 2, 3]);
    const all = new LaplacianSystem(2, i32([0]), i32([1]), i32([1, 0]));
    all.setConductance(f64([1]));
    expect(Array.from(all.solve(f64([2, 5])).voltages)).toEqual([5, 2]);
    expect(all.analysis.free).toBe(0);
  });

  it('auto switches to CG when the Cholesky fill explodes (random graph)', () => {
    const n = 10000;
    const net = randomNetwork(n, 2 * n, rng); // mean degree 6
    const imposed = [1, 2, 3, 4];
    // the choice is made from the symbolic analysis, before any conductance exists to factorise: the hopeless
    // numeric factorisation is never attempted (timing is the benchmark's business, not a test's)
    const sys = system(net, imposed);
    expect(sys.analysis.method).toBe('cg');
    expect(sys.analysis.nnzL).toBeGreaterThan(60 * sys.analysis.nnzA);
    const k = Float64Array.from(net.a, () => rng.uniform(0.5, 2));
    sys.setConductance(k);
    const first = sys.solve(f64([1, 0, 0, 0]));
    expect(first.diagnostics.converged).toBe(true);
    const { net: current, scale } = kcl(net, k, first.voltages);
    for (let i = 0; i < n; i++) if (!imposed.includes(i)) expect(Math.abs(current[i])).toBeLessThanOrEqual(1e-10 * scale);
    // Warm start: after a small change of the conductances the same solve needs fewer iterations.
    for (let e = 0; e < k.length; e++) k[e] *= 1 + 0.01 * Math.sin(e);
    sys.setConductance(k);
    const second = sys.solve(f64([1, 0, 0, 0]));
    expect(second.diagnostics.converged).toBe(true);
    expect(second.diagnostics.iterations).toBeLessThan(first.diagnostics.iterations);
  });
});
