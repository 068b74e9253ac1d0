import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { localiseModes } from '../../src/diagnostics/localisedModes.js';
import { binariseModes, boundaryFrequency } from '../../src/diagnostics/modeRegions.js';
import { InvalidInputError } from '../../src/errors.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { Rng } from '../../src/physics/Rng.js';

interface Graph {
  n: number;
  edgeA: Int32Array;
  edgeB: Int32Array;
  k: Float64Array;
  positions: Float64Array;
  /** Cluster of every node. */
  cluster: number[];
  /** Indices of the weak edges. */
  weak: number[];
}

/**
 * `blobs` dense clusters (3x3 lattices with diagonals, conductances uniform in [0.5, 1.5]) placed 10 units apart
 * along x, consecutive ones joined by one edge of conductance `weakK`.
 */
function blobChain(blobs: number, weakK = 1e-3, seed = 3): Graph {
  const rng = new Rng(seed);
  const blob = latticeNetwork({ rows: 3, cols: 3, diagonals: true });
  const n = 9 * blobs;
  const positions = new Float64Array(2 * n);
  const a: number[] = [], b: number[] = [], k: number[] = [], cluster: number[] = [], weak: number[] = [];
  for (let c = 0; c < blobs; c++) {
    for (let j = 0; j < 9; j++) {
      positions[2 * (9 * c + j)] = blob.positions![2 * j] + 10 * c;
      positions[2 * (9 * c + j) + 1] = blob.positions![2 * j + 1];
      cluster.push(c);
    }
    for (let e = 0; e < blob.edgeA.length; e++) {
      a.push(9 * c + blob.edgeA[e]);
      b.push(9 * c + blob.edgeB[e]);
      k.push(rng.uniform(0.5, 1.5));
    }
    if (c > 0) {
      weak.push(a.length);
      a.push(9 * (c - 1) + 5); // right middle of the previous blob
      b.push(9 * c + 3); // left middle of this one
      k.push(weakK);
    }
  }
  return { n, edgeA: Int32Array.from(a), edgeB: Int32Array.from(b), k: Float64Array.from(k), positions, cluster, weak };
}

/** Lowest K eigenpairs of the dense Laplacian (ml-matrix), ascending; `pinned` nodes are removed (grounded) and get 0. */
function lowestEigen(g: Graph, K: number, pinned: number[] = []): { values: Float64Array; vectors: Float64Array[] } {
  const free = [...Array(g.n).keys()].filter((i) => !pinned.includes(i));
  const idx = new Map(free.map((v, i) => [v, i]));
  const L = Matrix.zeros(free.length, free.length);
  g.edgeA.forEach((a, e) => {
    const b = g.edgeB[e], k = g.k[e];
    const ia = idx.get(a), ib = idx.get(b);
    if (ia !== undefined) L.set(ia, ia, L.get(ia, ia) + k);
    if (ib !== undefined) L.set(ib, ib, L.get(ib, ib) + k);
    if (ia !== undefined && ib !== undefined) {
      L.set(ia, ib, L.get(ia, ib) - k);
      L.set(ib, ia, L.get(ib, ia) - k);
    }
  });
  const evd = new EigenvalueDecomposition(L, { assumeSymmetric: true });
  const values = Float64Array.from(evd.realEigenvalues.slice(0, K));
  const vectors = [...Array(K).keys()].map((j) => {
    const col = evd.eigenvectorMatrix.getColumn(j);
    const v = new Float64Array(g.n);
    free.forEach((node, i) => (v[node] = col[i]));
    return v;
  });
  return { values, vectors };
}

function unitVectors(n: number, m: number): Float64Array[] {
  return [...Array(m).keys()].map((i) => {
    const v = new Float64Array(n);
    v[i] = 1;
    return v;
  });
}

describe('binariseModes', () => {
  it('assigns each node to the dominant vector, -1 where all vanish, and marks edges between regions', () => {
    // 5 nodes in a path 0-1-2-3-4 plus edge 0-4; node 2 is zero in every vector.
    const v0 = Float64Array.from([0.8, 0.5, 0, 0.1, 0.3]);
    const v1 = Float64Array.from([0.1, -0.6, 0, 0.9, -0.2]);
    const edgeA = Int32Array.from([0, 1, 2, 3, 0]);
    const edgeB = Int32Array.from([1, 2, 3, 4, 4]);
    const r = binariseModes({ vectors: [v0, v1] }, edgeA, edgeB);
    expect([...r.region]).toEqual([0, 1, -1, 1, 0]);
    expect([...r.boundary]).toEqual([1, 0, 0, 1, 0]);
    expect([...r.boundaryEdges]).toEqual([0, 3]);
    expect([...r.sizes]).toEqual([2, 2]);
  });

  it('splits two weakly joined blobs exactly, with the weak edge as the only boundary edge', () => {
    const g = blobChain(2);
    const eig = lowestEigen(g, 2);
    const basis = localiseModes(eig.vectors, g.positions);
    const r = binariseModes(basis, g.edgeA, g.edgeB);
    // Region labels are a permutation of the clusters.
    const label = r.region[0];
    expect([...r.region].map((x) => (x === label ? 0 : 1))).toEqual(g.cluster);
    expect([...r.boundaryEdges]).toEqual(g.weak);
    expect([...r.sizes]).toEqual([9, 9]);
  });

  it('gives -1 at pinned nodes of a grounded Laplacian', () => {
    const g = blobChain(2);
    const eig = lowestEigen(g, 2, [0, 17]);
    const r = binariseModes(localiseModes(eig.vectors, g.positions), g.edgeA, g.edgeB);
    expect(r.region[0]).toBe(-1);
    expect(r.region[17]).toBe(-1);
    expect([...r.boundaryEdges]).toEqual(g.weak);
    // Edges touching a pinned node are never boundary edges.
    g.edgeA.forEach((a, e) => {
      if (a === 0 || g.edgeB[e] === 0 || a === 17 || g.edgeB[e] === 17) expect(r.boundary[e]).toBe(0);
    });
  });

  it('finds the three weak links of a chain of four blobs with four modes', () => {
    const g = blobChain(4);
    const eig = lowestEigen(g, 4);
    const r = binariseModes(localiseModes(eig.vectors, g.positions), g.edgeA, g.edgeB);
    expect([...r.boundaryEdges]).toEqual(g.weak);
    expect([...r.sizes]).toEqual([9, 9, 9, 9]);
    for (let c = 0; c < 4; c++) expect(new Set(r.region.slice(9 * c, 9 * c + 9)).size).toBe(1);
  });

  it('rejects bad input', () => {
    const v = Float64Array.from([1, 0]);
    const a = Int32Array.from([0]);
    const b = Int32Array.from([1]);
    const bad = (f: () => unknown, field: string): void => {
      expect(f).toThrow(InvalidInputError);
      try { f(); } catch (e) { expect((e as InvalidInputError).field).toBe(field); }
    };
    bad(() => binariseModes({ vectors: [] }, a, b), 'vectors');
    bad(() => binariseModes({ vectors: [v, Float64Array.from([1])] }, a, b), 'vectors[1]');
    bad(() => binariseModes({ vectors: [v] }, a, Int32Array.from([1, 0])), 'edgeB');
    bad(() => binariseModes({ vectors: [v] }, a, Int32Array.from([2])), 'edgeB[0]');
    bad(() => binariseModes({ vectors: [v] }, a, b, { zeroBelow: -1 }), 'zeroBelow');
  });
});

describe('boundaryFrequency', () => {
  it('is largest on the weak edge of two blobs, and the eigengap picks N_m = 2', () => {
    const g = blobChain(2);
    const eig = lowestEigen(g, 6);
    const r = boundaryFrequency(eig, g.positions, g.edgeA, g.edgeB);
    expect(r.minModes).toBe(2);
    expect(r.maxModes).toBe(6);
    expect(r.zeroModes).toBe(1);
    expect(r.chosenModes).toBe(2);
    expect(r.rule).toMatch(/eigengap/);
    const w = g.weak[0];
    // On the boundary for every mode count: the largest possible value.
    const all = [2, 3, 4, 5, 6].reduce((s, m) => s + 1 / Math.sqrt(m), 0);
    expect(r.f[w]).toBeCloseTo(all, 12);
    r.f.forEach((f, e) => {
      if (e !== w) expect(f).toBeLessThan(r.f[w]);
    });
    expect(r.perModes.map((p) => p.modes)).toEqual([2, 3, 4, 5, 6]);
    expect(r.perModes[0].boundaryEdges).toBe(1);
    for (const p of r.perModes) expect(p.meanSpread).toBeCloseTo(p.totalSpread / p.modes, 12);
  });

  it('picks N_m = 4 on a chain of four blobs, whose weak links are the boundary there and carry the largest f', () => {
    const g = blobChain(4);
    const eig = lowestEigen(g, 8);
    const r = boundaryFrequency(eig, g.positions, g.edgeA, g.edgeB);
    expect(r.chosenModes).toBe(4);
    const lam = eig.values;
    expect(r.rule).toContain((lam[4] / lam[3]).toPrecision(4));
    const at4 = binariseModes(localiseModes(eig.vectors.slice(0, 4), g.positions), g.edgeA, g.edgeB);
    expect([...at4.boundaryEdges]).toEqual(g.weak);
    expect(r.perModes.find((p) => p.modes === 4)!.boundaryEdges).toBe(3);
    const weakMin = Math.min(...g.weak.map((e) => r.f[e]));
    r.f.forEach((f, e) => {
      if (!g.weak.includes(e)) expect(f).toBeLessThan(weakMin);
    });
  });

  it('applies the eigengap rule as documented (ties to the smaller m, zero modes, fallback)', () => {
    // Unit vectors are orthonormal: the rule depends on the eigenvalues only.
    const n = 6;
    const positions = Float64Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? i : 0));
    const edgeA = Int32Array.from([0, 1, 2, 3, 4]);
    const edgeB = Int32Array.from([1, 2, 3, 4, 5]);
    const run = (values: number[], opts = {}) => boundaryFrequency({ values, vectors: unitVectors(n, values.length) }, positions, edgeA, edgeB, opts);
    expect(run([0, 1, 2, 20, 21, 22]).chosenModes).toBe(3); // lambda_4 / lambda_3 = 10
    expect(run([1, 2, 4, 8, 16]).chosenModes).toBe(2); // every ratio 2: the smallest m
    expect(run([0, 0, 0, 5, 6]).chosenModes).toBe(3); // three disconnected parts: infinite gap after mode 3
    expect(run([0, 1, 2, 20, 21, 22], { maxModes: 3 }).chosenModes).toBe(3); // lambda_4 is given: m = 3 is a candidate
    expect(run([0, 1, 2, 20, 21, 22], { maxModes: 2 }).chosenModes).toBe(2);
    expect(run([0, 1, 2, 20, 21, 22], { minModes: 4 }).chosenModes).toBe(4); // 21/20 vs 22/21
    const fallback = run([0, 1, 2], { minModes: 3 });
    expect(fallback.chosenModes).toBe(3);
    expect(fallback.rule).toMatch(/no relative eigengap/);
    // f: unit vectors at nodes 0..m-1 give regions 0..m-1 and -1 elsewhere, so edges 0..m-2 are boundaries.
    const f = run([0, 1, 2, 20]).f;
    expect(f[0]).toBeCloseTo(1 / Math.sqrt(2) + 1 / Math.sqrt(3) + 1 / Math.sqrt(4), 12);
    expect(f[1]).toBeCloseTo(1 / Math.sqrt(3) + 1 / Math.sqrt(4), 12);
    expect(f[2]).toBeCloseTo(1 / Math.sqrt(4), 12);
    expect(f[3]).toBe(0);
  });

  it('rejects bad input', () => {
    const g = blobChain(2);
    const eig = lowestEigen(g, 4);
    const bad = (f: () => unknown, field: string): void => {
      expect(f).toThrow(InvalidInputError);
      try { f(); } catch (e) { expect((e as InvalidInputError).field).toBe(field); }
    };
    bad(() => boundaryFrequency({ values: [1], vectors: eig.vectors }, g.positions, g.edgeA, g.edgeB), 'eigen.values');
    bad(() => boundaryFrequency({ values: [0], vectors: eig.vectors.slice(0, 1) }, g.positions, g.edgeA, g.edgeB), 'eigen.vectors');
    bad(() => boundaryFrequency({ values: [eig.values[1], eig.values[0], eig.values[2], eig.values[3]], vectors: eig.vectors }, g.positions, g.edgeA, g.edgeB), 'eigen.values[1]');
    bad(() => boundaryFrequency({ values: [-1, 1, 2, 3], vectors: eig.vectors }, g.positions, g.edgeA, g.edgeB), 'eigen.values[0]');
    bad(() => boundaryFrequency({ values: [0, 1, NaN, 3], vectors: eig.vectors }, g.positions, g.edgeA, g.edgeB), 'eigen.values[2]');
    bad(() => boundaryFrequency(eig, g.positions, g.edgeA, g.edgeB, { minModes: 1 }), 'minModes');
    bad(() => boundaryFrequency(eig, g.positions, g.edgeA, g.edgeB, { minModes: 3, maxModes: 2 }), 'maxModes');
    bad(() => boundaryFrequency(eig, g.positions, g.edgeA, g.edgeB, { maxModes: 5 }), 'maxModes');
    bad(() => boundaryFrequency(eig, g.positions.slice(2), g.edgeA, g.edgeB), 'positions');
    bad(() => boundaryFrequency(eig, g.positions, g.edgeA, g.edgeB.slice(1)), 'edgeB');
  });
});
