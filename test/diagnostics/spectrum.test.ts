import { EigenvalueDecomposition, Matrix, QrDecomposition } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { lanczos } from '../../src/diagnostics/lanczos.js';
import { laplacianMatvec, physicalSpectrum, type PhysicalSpectrum, type SpectrumNetwork } from '../../src/diagnostics/physicalSpectrum.js';
import { symmetricEigen } from '../../src/diagnostics/symmetricEigen.js';
import { InvalidInputError } from '../../src/errors.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { randomGraphNetwork } from '../../src/physics/generators/randomGraph.js';
import { Rng } from '../../src/physics/Rng.js';

// ---------------------------------------------------------------------------------------------------------------
// Independent truth: networks built here from edge lists, their Laplacian assembled densely with ml-matrix.

function network(nodes: number, edges: [number, number][], k: number | ((e: number) => number) = 1): SpectrumNetwork {
  return {
    nodes,
    edgeA: Int32Array.from(edges, (e) => e[0]),
    edgeB: Int32Array.from(edges, (e) => e[1]),
    conductance: Float64Array.from(edges, (_, e) => (typeof k === 'number' ? k : k(e))),
  };
}

function path(n: number, k = 1): SpectrumNetwork {
  return network(n, Array.from({ length: n - 1 }, (_, i): [number, number] => [i, i + 1]), k);
}

function ring(n: number, k = 1): SpectrumNetwork {
  return network(n, Array.from({ length: n }, (_, i): [number, number] => [i, (i + 1) % n]), k);
}

/** H v for a node-indexed v, straight from the edge list: (H v)_a = sum over edges k (v_a - v_b). */
function applyH(net: SpectrumNetwork, v: Float64Array): Float64Array {
  const out = new Float64Array(net.nodes);
  for (let e = 0; e < net.edgeA.length; e++) {
    const a = net.edgeA[e];
    const b = net.edgeB[e];
    const i = net.conductance[e] * (v[a] - v[b]);
    out[a] += i;
    out[b] -= i;
  }
  return out;
}

/** max_j |(H v_j)_F - lambda_j v_j| / max |lambda|, at the free nodes only; plus checks on the vectors. */
function checkPairs(net: SpectrumNetwork, s: PhysicalSpectrum, imposed: number[] = []): number {
  const isImposed = new Set(imposed);
  let scale = 0;
  for (const v of s.values) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  s.vectors.forEach((v, j) => {
    expect(v.length).toBe(net.nodes);
    let nrm = 0;
    for (let i = 0; i < net.nodes; i++) {
      if (isImposed.has(i)) expect(v[i]).toBe(0);
      nrm += v[i] * v[i];
    }
    expect(Math.sqrt(nrm)).toBeCloseTo(1, 12);
    const hv = applyH(net, v);
    let r = 0;
    for (let i = 0; i < net.nodes; i++) if (!isImposed.has(i)) r += (hv[i] - s.values[j] * v[i]) ** 2;
    worst = Math.max(worst, Math.sqrt(r));
  });
  return worst / scale;
}

function dot(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/**
 * Compare a partial spectrum with the full dense one: values to `rel` relative, and eigenvectors as subspaces.
 * Each degenerate cluster (dense values within 1e-8 relative of each other) that lies wholly inside `part` must
 * span the same space: ||P_dense - P_part||_F = sqrt(2p - 2 ||U^T W||_F^2) for orthonormal U, W with p columns.
 * A cluster cut by the end of `part` only needs its vectors inside the dense cluster's space.
 */
function compareSubspaces(full: PhysicalSpectrum, part: PhysicalSpectrum, rel = 1e-8): void {
  const scale = Math.max(...Array.from(full.values, Math.abs));
  const tol = 1e-8 * scale;
  const first = part.which === 'highest' ? full.values.length - part.values.length : 0;
  for (let j = 0; j < part.values.length; j++) {
    expect(Math.abs(part.values[j] - full.values[first + j])).toBeLessThanOrEqual(rel * scale);
  }
  const seen = new Set<number>();
  for (let j = 0; j < part.values.length; j++) {
    if (seen.has(j)) continue;
    const lambda = part.values[j];
    const denseIdx = [...full.values.keys()].filter((i) => Math.abs(full.values[i] - lambda) <= tol);
    const partIdx = [...part.values.keys()].filter((i) => Math.abs(part.values[i] - lambda) <= tol);
    partIdx.forEach((i) => seen.add(i));
    expect(denseIdx.length).toBeGreaterThanOrEqual(partIdx.length);
    let overlap = 0; // ||U^T W||_F^2
    for (const i of denseIdx) for (const q of partIdx) overlap += dot(full.vectors[i], part.vectors[q]) ** 2;
    if (denseIdx.length === partIdx.length) {
      const dist = Math.sqrt(Math.max(0, 2 * partIdx.length - 2 * overlap));
      expect(dist).toBeLessThan(1e-6);
    } else {
      // Cut cluster: every vector found lies in the dense eigenspace.
      expect(overlap).toBeCloseTo(partIdx.length, 10);
    }
  }
}

/** Square-lattice (rows x cols, unit conductance) Laplacian eigenvalues: sums of path eigenvalues, ascending. */
function latticeEigenvalues(rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let a = 0; a < rows; a++) for (let b = 0; b < cols; b++) out.push(2 - 2 * Math.cos((Math.PI * a) / rows) + 2 - 2 * Math.cos((Math.PI * b) / cols));
  return out.sort((x, y) => x - y);
}

function randomSymmetric(n: number, rng: Rng): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = rng.normal();
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

// ---------------------------------------------------------------------------------------------------------------

describe('symmetricEigen', () => {
  it('matches ml-matrix on random symmetric matrices: values, vectors (up to sign), residual, orthonormality', () => {
    const rng = new Rng(5);
    for (const n of [1, 2, 3, 7, 40, 120]) {
      const a = randomSymmetric(n, rng);
      const copy = a.slice();
      const r = symmetricEigen(a, n);
      expect(a).toEqual(copy); // input untouched
      expect(r.converged).toBe(true);
      expect(r.n).toBe(n);
      const M = new Matrix(n, n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) M.set(i, j, a[i * n + j]);
      const ml = new EigenvalueDecomposition(M, { assumeSymmetric: true });
      const order = [...ml.realEigenvalues.keys()].sort((x, y) => ml.realEigenvalues[x] - ml.realEigenvalues[y]);
      const V = ml.eigenvectorMatrix;
      const norm = Math.max(...Array.from(r.values, Math.abs));
      for (let j = 0; j < n; j++) {
        expect(j === 0 || r.values[j] >= r.values[j - 1]).toBe(true);
        expect(Math.abs(r.values[j] - ml.realEigenvalues[order[j]])).toBeLessThan(1e-12 * norm);
        const v = r.vectors!.subarray(j * n, (j + 1) * n);
        // residual
        let res = 0;
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let c = 0; c < n; c++) s += a[i * n + c] * v[c];
          res += (s - r.values[j] * v[i]) ** 2;
        }
        expect(Math.sqrt(res)).toBeLessThan(1e-12 * norm);
        // same vector as ml-matrix up to sign (random matrices: eigenvalues well separated)
        const gap = Math.min(j > 0 ? r.values[j] - r.values[j - 1] : Infinity, j < n - 1 ? r.values[j + 1] - r.values[j] : Infinity);
        if (gap > 1e-6 * norm) {
          let d = 0;
          for (let i = 0; i < n; i++) d += v[i] * V.get(i, order[j]);
          expect(Math.abs(d)).toBeCloseTo(1, 8);
        }
        for (let q = 0; q <= j; q++) {
          const u = r.vectors!.subarray(q * n, (q + 1) * n);
          expect(Math.abs(dot(u, v) - (q === j ? 1 : 0))).toBeLessThan(1e-12 * n);
        }
      }
    }
  });

  it('handles repeated eigenvalues, diagonal and zero matrices, and values-only mode', () => {
    // Q diag(1, 1, 1, 2, -3, -3) Q^T with a random orthogonal Q (from ml-matrix's QR of a random matrix).
    const rng = new Rng(8);
    const n = 6;
    const G = new Matrix(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) G.set(i, j, rng.normal());
    const Q = new QrDecomposition(G).orthogonalMatrix;
    const lambda = [1, 1, 1, 2, -3, -3];
    const A = Q.mmul(Matrix.diag(lambda)).mmul(Q.transpose());
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = (A.get(i, j) + A.get(j, i)) / 2;
    const r = symmetricEigen(a, n);
    expect(Array.from(r.values)).toEqual([-3, -3, 1, 1, 1, 2].map((x) => expect.closeTo(x, 13)));
    for (let j = 0; j < n; j++) {
      for (let q = 0; q < n; q++) {
        const d = dot(r.vectors!.subarray(j * n, (j + 1) * n), r.vectors!.subarray(q * n, (q + 1) * n));
        expect(d).toBeCloseTo(j === q ? 1 : 0, 13);
      }
    }
    const v = symmetricEigen(a, n, { vectors: false });
    expect(v.vectors).toBeNull();
    expect(Array.from(v.values)).toEqual(Array.from(r.values).map((x) => expect.closeTo(x, 13)));

    const diag = Float64Array.from([3, 0, 0, 0, -1, 0, 0, 0, 2]);
    expect(Array.from(symmetricEigen(diag, 3).values)).toEqual([-1, 2, 3]);
    const zero = symmetricEigen(new Float64Array(16), 4);
    expect(Array.from(zero.values)).toEqual([0, 0, 0, 0]);
    expect(symmetricEigen(new Float64Array(0), 0).values.length).toBe(0);
  });

  it('rejects bad input with InvalidInputError naming the parameter', () => {
    expect(() => symmetricEigen(new Float64Array(4), 3)).toThrow(/a: must hold n x n = 9 entries/);
    expect(() => symmetricEigen(new Float64Array(4), -1)).toThrow(InvalidInputError);
    expect(() => symmetricEigen(Float64Array.from([1, 2, 3, 4]), 2)).toThrow(/must be symmetric/);
    expect(() => symmetricEigen(Float64Array.from([1, NaN, NaN, 4]), 2)).toThrow(/a\[0\]\[1\]: entries must be finite, got NaN/);
    expect(() => symmetricEigen([1] as unknown as Float64Array, 1)).toThrow(/must be a Float64Array/);
  });
});

describe('lanczos', () => {
  const diagOperator = (d: number[]) => (x: Float64Array, y: Float64Array) => {
    for (let i = 0; i < d.length; i++) y[i] = d[i] * x[i];
  };

  it('finds the extreme eigenvalues of a diagonal operator, all copies of a triple one included', () => {
    const rng = new Rng(3);
    const d = Array.from({ length: 300 }, () => rng.uniform(0, 10));
    d[17] = d[123] = d[250] = 12; // a triple eigenvalue at the top
    d[5] = -1; // and a single one at the bottom
    const top = lanczos(300, diagOperator(d), { k: 5, which: 'largest' });
    expect(top.converged).toBe(true);
    const sorted = [...d].sort((x, y) => x - y);
    expect(Array.from(top.values)).toEqual(sorted.slice(-5).map((x) => expect.closeTo(x, 9)));
    // The three eigenvectors of 12 span e_17, e_123, e_250.
    let weight = 0;
    for (const j of [2, 3, 4]) for (const i of [17, 123, 250]) weight += top.vectors[j][i] ** 2;
    expect(weight).toBeCloseTo(3, 9);
    for (const r of top.residuals) expect(r).toBeLessThanOrEqual(1e-10 * 12);
    expect(top.operatorApplications).toBeGreaterThanOrEqual(top.iterations);

    const bottom = lanczos(300, diagOperator(d), { k: 3, which: 'smallest' });
    expect(Array.from(bottom.values)).toEqual(sorted.slice(0, 3).map((x) => expect.closeTo(x, 9)));
  });

  it('finds both members of the degenerate pair lambda_2 = lambda_3 of a square lattice', () => {
    const net = latticeNetwork({ rows: 12, cols: 12 });
    const apply = laplacianMatvec(net);
    // The constant vector (eigenvalue 0) is deflated, so the smallest three are lambda_2 = lambda_3 < lambda_4.
    const ones = new Float64Array(144).fill(1 / 12);
    const r = lanczos(144, apply, { k: 3, which: 'smallest', deflate: [ones] });
    const truth = latticeEigenvalues(12, 12);
    expect(truth[1]).toBeCloseTo(truth[2], 14);
    expect(r.converged).toBe(true);
    expect(Array.from(r.values)).toEqual(truth.slice(1, 4).map((x) => expect.closeTo(x, 9)));
    expect(Math.abs(dot(r.vectors[0], r.vectors[1]))).toBeLessThan(1e-10);
    for (const v of r.vectors) expect(Math.abs(dot(v, ones))).toBeLessThan(1e-10);
  });

  it('is exact on operators smaller than its basis, and honours maxIterations', () => {
    const r = lanczos(4, diagOperator([4, 1, 3, 2]), { k: 4, which: 'smallest' });
    expect(Array.from(r.values)).toEqual([1, 2, 3, 4].map((x) => expect.closeTo(x, 13)));
    expect(r.converged).toBe(true);
    const rng = new Rng(4);
    const d = Array.from({ length: 2000 }, (_, i) => 1 + i * 1e-4 + rng.uniform(0, 1e-5));
    const capped = lanczos(2000, diagOperator(d), { k: 4, which: 'largest', maxIterations: 30, tolerance: 1e-14 });
    expect(capped.converged).toBe(false);
    expect(capped.iterations).toBeLessThanOrEqual(30);
    expect(capped.values.length).toBe(4);
  });

  it('stops with an AbortError when the signal fires, and validates its options', () => {
    const ac = new AbortController();
    ac.abort();
    expect(() => lanczos(10, diagOperator([...Array(10).keys()]), { k: 2, which: 'largest', signal: ac.signal })).toThrow(
      expect.objectContaining({ name: 'AbortError' }),
    );
    const op = diagOperator([1, 2, 3]);
    expect(() => lanczos(3, op, { k: 4, which: 'largest' })).toThrow(/k: must be an integer in \[1, 3\]/);
    expect(() => lanczos(3, op, { k: 1, which: 'middle' as 'largest' })).toThrow(/which: must be 'largest' or 'smallest'/);
    expect(() => lanczos(3, op, { k: 1, which: 'largest', tolerance: 0 })).toThrow(/tolerance/);
    expect(() => lanczos(3, op, { k: 1, which: 'largest', relativeTo: 'mine' as 'own' })).toThrow(/relativeTo: must be 'largest' or 'own'/);
    expect(() => lanczos(3, op, { k: 1, which: 'largest', deflate: [Float64Array.of(1, 1, 0)] })).toThrow(/deflate\[0\]: deflation vectors must have unit norm/);
    expect(() => lanczos(3, op, { k: 1, which: 'largest', deflate: [Float64Array.of(1, 0)] })).toThrow(/deflate\[0\]: must be a Float64Array of length n = 3/);
    expect(() => lanczos(3, op, { k: 3, which: 'largest', deflate: [Float64Array.of(1, 0, 0)] })).toThrow(/k: must be an integer in \[1, 2\]/);
  });
});

describe('physicalSpectrum', () => {
  it('path graph, full Laplacian: 2 - 2 cos(pi j / n), dense and Lanczos', () => {
    const n = 30;
    const s = physicalSpectrum(path(n));
    expect(s.which).toBe('all');
    expect(s.method).toBe('dense');
    expect(Array.from(s.nodes)).toEqual([...Array(n).keys()]);
    const truth = Array.from({ length: n }, (_, j) => 2 - 2 * Math.cos((Math.PI * j) / n));
    expect(Array.from(s.values)).toEqual(truth.map((x) => expect.closeTo(x, 12)));
    expect(checkPairs(path(n), s)).toBeLessThan(1e-12);

    const m = 250;
    const long = path(m);
    const exact = Array.from({ length: m }, (_, j) => 2 - 2 * Math.cos((Math.PI * j) / m));
    const low = physicalSpectrum(long, { which: 'lowest', k: 6, method: 'lanczos' });
    expect(low.method).toBe('lanczos');
    expect(low.converged).toBe(true);
    expect(low.values[0]).toBe(0); // the constant vector, reported exactly
    expect(Array.from(low.values)).toEqual(exact.slice(0, 6).map((x) => expect.closeTo(x, 10)));
    expect(checkPairs(long, low)).toBeLessThan(1e-8);
    const high = physicalSpectrum(long, { which: 'highest', k: 4, method: 'lanczos' });
    expect(Array.from(high.values)).toEqual(exact.slice(-4).map((x) => expect.closeTo(x, 8)));
    expect(checkPairs(long, high)).toBeLessThan(1e-8);
  });

  it('path with both ends imposed (Dirichlet chain): 2 - 2 cos(pi j / (n - 1)), j = 1..n-2', () => {
    const n = 40;
    const net = path(n);
    const imposed = [0, n - 1];
    const truth = Array.from({ length: n - 2 }, (_, j) => 2 - 2 * Math.cos((Math.PI * (j + 1)) / (n - 1)));
    const all = physicalSpectrum(net, { imposed });
    expect(Array.from(all.nodes)).toEqual(Array.from({ length: n - 2 }, (_, i) => i + 1));
    expect(Array.from(all.values)).toEqual(truth.map((x) => expect.closeTo(x, 12)));
    expect(checkPairs(net, all, imposed)).toBeLessThan(1e-12);
    const low = physicalSpectrum(net, { imposed, which: 'lowest', k: 5, method: 'lanczos' });
    expect(Array.from(low.values)).toEqual(truth.slice(0, 5).map((x) => expect.closeTo(x, 10)));
    expect(checkPairs(net, low, imposed)).toBeLessThan(1e-8);
    // The lowest mode is the half sine sin(pi i / (n - 1)), up to sign.
    const sine = Float64Array.from({ length: n }, (_, i) => Math.sin((Math.PI * i) / (n - 1)));
    expect(Math.abs(dot(sine, low.vectors[0])) / Math.sqrt(dot(sine, sine))).toBeCloseTo(1, 10);
  });

  it('ring: 2 - 2 cos(2 pi j / n) with multiplicity 2 (1 for j = 0 and j = n/2)', () => {
    const n = 16;
    const truth = Array.from({ length: n }, (_, j) => 2 - 2 * Math.cos((2 * Math.PI * j) / n)).sort((x, y) => x - y);
    const s = physicalSpectrum(ring(n));
    expect(Array.from(s.values)).toEqual(truth.map((x) => expect.closeTo(x, 12)));
    // explicit multiplicities
    const count = (x: number) => Array.from(s.values).filter((v) => Math.abs(v - x) < 1e-9).length;
    expect(count(0)).toBe(1);
    expect(count(4)).toBe(1);
    for (let j = 1; j < n / 2; j++) expect(count(2 - 2 * Math.cos((2 * Math.PI * j) / n))).toBe(2);

    const m = 200;
    const big = ring(m);
    const exact = Array.from({ length: m }, (_, j) => 2 - 2 * Math.cos((2 * Math.PI * j) / m)).sort((x, y) => x - y);
    const low = physicalSpectrum(big, { which: 'lowest', k: 7, method: 'lanczos' });
    expect(low.converged).toBe(true);
    expect(Array.from(low.values)).toEqual(exact.slice(0, 7).map((x) => expect.closeTo(x, 10)));
    expect(checkPairs(big, low)).toBeLessThan(1e-8);
  });

  it('scales with the conductances: all k times c gives eigenvalues times c', () => {
    const net = randomGraphNetwork({ nodes: 120, meanDegree: 4, seed: 11 });
    const c = 7.5;
    const scaled = { ...net, conductance: net.conductance.map((k) => k * c) };
    for (const method of ['dense', 'lanczos'] as const) {
      const a = physicalSpectrum(net, { imposed: [3, 50], which: 'lowest', k: 5, method });
      const b = physicalSpectrum(scaled, { imposed: [3, 50], which: 'lowest', k: 5, method });
      for (let j = 0; j < 5; j++) expect(b.values[j]).toBeCloseTo(c * a.values[j], 9);
      // same eigenvectors up to sign
      for (let j = 0; j < 5; j++) expect(Math.abs(dot(a.vectors[j], b.vectors[j]))).toBeCloseTo(1, 8);
    }
    const a = physicalSpectrum(net);
    const b = physicalSpectrum(scaled);
    for (let j = 0; j < a.values.length; j++) expect(b.values[j]).toBeCloseTo(c * a.values[j], 10);
  });

  it('H v = lambda v to 1e-8, and Lanczos lowest/highest equal to dense, on a random weighted graph and a 20x20 lattice', () => {
    const cases: { name: string; net: SpectrumNetwork; imposed: number[] }[] = [
      { name: 'random graph', net: randomGraphNetwork({ nodes: 300, meanDegree: 4, seed: 7 }), imposed: [] },
      { name: 'random graph, grounded', net: randomGraphNetwork({ nodes: 300, meanDegree: 4, seed: 7 }), imposed: [0, 150, 299] },
      { name: '20x20 lattice', net: latticeNetwork({ rows: 20, cols: 20 }), imposed: [] },
      { name: '20x20 lattice, weighted, grounded at a corner', net: latticeNetwork({ rows: 20, cols: 20, seed: 4 }), imposed: [0] },
    ];
    for (const { net, imposed } of cases) {
      const full = physicalSpectrum(net, { imposed, which: 'all' });
      expect(full.converged).toBe(true);
      expect(full.residual).toBeLessThan(1e-12);
      expect(checkPairs(net, full, imposed)).toBeLessThan(1e-12);
      for (const which of ['lowest', 'highest'] as const) {
        const dense = physicalSpectrum(net, { imposed, which, k: 10, method: 'dense' });
        const lz = physicalSpectrum(net, { imposed, which, k: 10, method: 'lanczos' });
        expect(lz.method).toBe('lanczos');
        expect(lz.converged).toBe(true);
        expect(lz.residual).toBeLessThan(1e-8);
        expect(checkPairs(net, lz, imposed)).toBeLessThan(1e-8);
        expect(checkPairs(net, dense, imposed)).toBeLessThan(1e-12);
        compareSubspaces(full, dense, 1e-12);
        compareSubspaces(full, lz, 1e-8);
      }
    }
  });

  it('finds every degenerate eigenvalue of the square lattice (lowest 10 of 20x20: four double pairs)', () => {
    const net = latticeNetwork({ rows: 20, cols: 20 });
    const truth = latticeEigenvalues(20, 20).slice(0, 10);
    const s = physicalSpectrum(net, { which: 'lowest', k: 10, method: 'lanczos' });
    expect(s.converged).toBe(true);
    expect(Array.from(s.values)).toEqual(truth.map((x) => expect.closeTo(x, 10)));
    // Rectangular lattice too (no symmetry between the axes, fewer degeneracies), grounded at a corner.
    const rect = latticeNetwork({ rows: 10, cols: 30 });
    const dense = physicalSpectrum(rect, { imposed: [0], which: 'lowest', k: 12, method: 'dense' });
    const lz = physicalSpectrum(rect, { imposed: [0], which: 'lowest', k: 12, method: 'lanczos' });
    expect(Array.from(lz.values)).toEqual(Array.from(dense.values).map((x) => expect.closeTo(x, 10)));
  });

  it('several floating components: one zero eigenvalue each, constant on the component', () => {
    // Two paths of 5 and 7 nodes, and a single isolated node, nothing imposed: three zero eigenvalues.
    const edges: [number, number][] = [];
    for (let i = 0; i < 4; i++) edges.push([i, i + 1]);
    for (let i = 5; i < 11; i++) edges.push([i, i + 1]);
    const net = network(13, edges, (e) => 1 + 0.1 * e);
    const dense = physicalSpectrum(net);
    expect(Array.from(dense.values.slice(0, 3))).toEqual([0, 0, 0].map((x) => expect.closeTo(x, 12)));
    expect(dense.values[3]).toBeGreaterThan(0.01);
    const lz = physicalSpectrum(net, { which: 'lowest', k: 6, method: 'lanczos' });
    expect(Array.from(lz.values.slice(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(lz.vectors[0].slice(0, 6), (x) => x)).toEqual([...Array(5).fill(1 / Math.sqrt(5)), 0].map((x) => expect.closeTo(x, 15)));
    expect(lz.vectors[2][12]).toBe(1); // the isolated node
    for (let j = 3; j < 6; j++) expect(lz.values[j]).toBeCloseTo(dense.values[j], 10);
    expect(checkPairs(net, lz)).toBeLessThan(1e-8);
    // With node 0 imposed the first path is anchored: two zero eigenvalues left (second path, isolated node).
    const anchored = physicalSpectrum(net, { imposed: [0], which: 'lowest', k: 5, method: 'lanczos' });
    const anchoredDense = physicalSpectrum(net, { imposed: [0], which: 'lowest', k: 5, method: 'dense' });
    expect(Array.from(anchored.values.slice(0, 2))).toEqual([0, 0]);
    for (let j = 2; j < 5; j++) expect(anchored.values[j]).toBeCloseTo(anchoredDense.values[j], 10);
    // Zero-conductance edges do not connect: a path cut in the middle floats as two pieces.
    const cut = path(8);
    cut.conductance[3] = 0;
    expect(Array.from(physicalSpectrum(cut, { which: 'lowest', k: 3, method: 'lanczos' }).values.slice(0, 2))).toEqual([0, 0]);
  });

  it('laplacianMatvec is H_FF on the compact free-node vectors (checked against ml-matrix assembly)', () => {
    const net = randomGraphNetwork({ nodes: 40, meanDegree: 3, seed: 2 });
    const imposed = [4, 9, 33];
    const free = [...Array(40).keys()].filter((i) => !imposed.includes(i));
    const pos = new Map(free.map((v, i) => [v, i]));
    const H = Matrix.zeros(free.length, free.length);
    for (let e = 0; e < net.edgeA.length; e++) {
      const p = pos.get(net.edgeA[e]);
      const q = pos.get(net.edgeB[e]);
      const k = net.conductance[e];
      if (p !== undefined) H.set(p, p, H.get(p, p) + k);
      if (q !== undefined) H.set(q, q, H.get(q, q) + k);
      if (p !== undefined && q !== undefined) {
        H.set(p, q, H.get(p, q) - k);
        H.set(q, p, H.get(q, p) - k);
      }
    }
    const rng = new Rng(1);
    const x = Float64Array.from(free, () => rng.normal());
    const y = new Float64Array(free.length);
    laplacianMatvec(net, imposed)(x, y);
    const want = H.mmul(Matrix.columnVector(Array.from(x))).getColumn(0);
    for (let i = 0; i < free.length; i++) expect(y[i]).toBeCloseTo(want[i], 12);
  });

  it('chooses defaults by size and rejects bad input with InvalidInputError', () => {
    const small = path(10);
    expect(physicalSpectrum(small).which).toBe('all');
    const low = physicalSpectrum(small, { which: 'lowest' });
    expect(low.values.length).toBe(10); // default k = 10, here every row
    expect(low.method).toBe('dense');
    expect(physicalSpectrum(path(700), { which: 'highest', k: 2 }).method).toBe('lanczos');
    expect(physicalSpectrum(path(700), { which: 'lowest', k: 2 }).method).toBe('lanczos');
    expect(physicalSpectrum(path(700), { which: 'all' }).method).toBe('dense');

    expect(() => physicalSpectrum(small, { imposed: [3, 3] })).toThrow(/imposed\[1\]: imposed nodes must be distinct/);
    expect(() => physicalSpectrum(small, { imposed: [10] })).toThrow(/imposed\[0\]: node id must be an integer in \[0, 10\), got 10/);
    expect(() => physicalSpectrum(path(2), { imposed: [0, 1] })).toThrow(/imposed: every one of the 2 nodes is imposed/);
    expect(() => physicalSpectrum(small, { which: 'lowest', k: 11 })).toThrow(/k: must be an integer in \[1, 10\]/);
    expect(() => physicalSpectrum(small, { which: 'lowest', k: 0 })).toThrow(InvalidInputError);
    expect(() => physicalSpectrum(small, { which: 'middle' as 'all' })).toThrow(/which: must be 'lowest', 'highest' or 'all'/);
    expect(() => physicalSpectrum(small, { which: 'all', method: 'lanczos' })).toThrow(/method: 'lanczos' computes a few extreme eigenpairs/);
    expect(() => physicalSpectrum(small, { method: 'qr' as 'dense' })).toThrow(/method: must be 'auto', 'dense' or 'lanczos'/);
    expect(() => physicalSpectrum(small, { which: 'lowest', tolerance: -1, method: 'lanczos' })).toThrow(/tolerance/);
    const negative = path(4);
    negative.conductance[1] = -1;
    expect(() => physicalSpectrum(negative)).toThrow(/conductance\[1\]: must be a finite conductance >= 0 siemens/);
    const badEdge = network(3, [[0, 3]]);
    expect(() => physicalSpectrum(badEdge)).toThrow(/edgeB\[0\]: node id must be in \[0, 3\), got 3/);
    expect(() => laplacianMatvec(small)(new Float64Array(3), new Float64Array(10))).toThrow(/one entry per free node \(10\)/);
  });
});

describe('physicalSpectrum of a task\'s free state', () => {
  it('option task imposes its sources and ground (targets stay free), as imposed: sources + ground does', () => {
    const net = latticeNetwork({ rows: 3, cols: 3, seed: 4, conductance: [0.5, 1.5] });
    const task = { sources: Int32Array.from([0, 2]), ground: Int32Array.from([8]), targets: Int32Array.from([4]) };
    const byTask = physicalSpectrum(net, { task });
    const byHand = physicalSpectrum(net, { imposed: [0, 2, 8] });
    expect(Array.from(byTask.nodes)).toEqual([1, 3, 4, 5, 6, 7]);
    expect(Array.from(byTask.values)).toEqual(Array.from(byHand.values));
    expect(() => physicalSpectrum(net, { task, imposed: [0] })).toThrow(/not both/);
  });
});
