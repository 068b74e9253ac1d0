import { describe, expect, it } from 'vitest';
import { fillReducingOrder } from '../../../src/physics/sparse/fillReducingOrder.js';
import { minimumDegreeOrder } from '../../../src/physics/sparse/minimumDegreeOrder.js';
import { nestedDissectionOrder } from '../../../src/physics/sparse/nestedDissectionOrder.js';
import { postorderedAnalysis, SymbolicFactor } from '../../../src/physics/sparse/SymbolicFactor.js';
import { vertexSeparator, PART_A, PART_B, SEPARATOR } from '../../../src/physics/sparse/vertexSeparator.js';
import { graphFromEdges, isPermutation, latticeEdges, naiveFactorNnz, randomConnectedEdges, Rng } from './helpers.js';

const identity = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

describe('fill-reducing orderings', () => {
  const cases = [
    { name: 'empty', n: 0, edges: { a: [], b: [] } },
    { name: 'single vertex', n: 1, edges: { a: [], b: [] } },
    { name: 'path', n: 40, edges: { a: Array.from({ length: 39 }, (_, i) => i), b: Array.from({ length: 39 }, (_, i) => i + 1) } },
    { name: 'star', n: 300, edges: { a: new Array<number>(299).fill(0), b: Array.from({ length: 299 }, (_, i) => i + 1) } },
    { name: 'lattice 9x9 with diagonals', n: 81, edges: latticeEdges(9, true) },
    { name: 'lattice 20x20', n: 400, edges: latticeEdges(20, false) },
    { name: 'random', n: 500, edges: randomConnectedEdges(500, 700, new Rng(5)) },
    {
      name: 'disconnected pieces',
      n: 400,
      edges: (() => {
        const l = latticeEdges(14, true);
        // two lattices side by side plus isolated vertices 392..399
        return { a: [...l.a, ...l.a.map((v) => v + 196)], b: [...l.b, ...l.b.map((v) => v + 196)] };
      })(),
    },
  ];

  for (const c of cases) {
    it(`are permutations and report their exact fill: ${c.name}`, () => {
      const g = graphFromEdges(c.n, c.edges);
      for (const method of ['auto', 'nd', 'amd', 'natural'] as const) {
        const o = fillReducingOrder(g, method);
        expect(isPermutation(o.order!, c.n), method).toBe(true);
        if (c.n <= 500) expect(o.nnzL, method).toBe(naiveFactorNnz(g, o.order!));
      }
      const nd = nestedDissectionOrder(g, { leafSize: 8 })!;
      expect(isPermutation(nd.order, c.n)).toBe(true);
      const md = minimumDegreeOrder(g)!;
      expect(isPermutation(md.order, c.n)).toBe(true);
      expect(md.nnzL).toBe(naiveFactorNnz(g, md.order));
    });
  }

  it('symbolic nnz(L) equals a naive dense symbolic factorisation on random graphs and orders', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 12; trial++) {
      const n = 5 + rng.int(60);
      const g = graphFromEdges(n, randomConnectedEdges(n, rng.int(2 * n), rng));
      const orders = [identity(n), rng.shuffle(identity(n)), nestedDissectionOrder(g, { leafSize: 4, seed: trial })!.order];
      for (const order of orders) {
        expect(SymbolicFactor.countFill(g, order).nnzL).toBe(naiveFactorNnz(g, order));
        const sym = new SymbolicFactor(g, ...csrPattern(g), order);
        expect(sym.nnzL).toBe(naiveFactorNnz(g, order));
        // Amalgamated supernodes store at least the true nonzeros.
        let lower = 0;
        for (let J = 0; J < sym.nsuper; J++) {
          const w = sym.superStart[J + 1] - sym.superStart[J];
          const m = sym.rowPtr[J + 1] - sym.rowPtr[J];
          lower += w * m - (w * (w - 1)) / 2;
        }
        expect(lower).toBeGreaterThanOrEqual(sym.nnzL);
      }
    }
  });

  it('elimination tree and column counts equal a dense symbolic elimination, in a postorder', () => {
    // Reference: eliminate a dense 0/1 pattern in the analysis' pivot order; column j of L is the set of later rows
    // joined to j when it is eliminated, its parent the first of them.
    const dense = (g: ReturnType<typeof graphFromEdges>, perm: Int32Array): { parent: number[]; count: number[] } => {
      const n = g.n;
      const pos = new Int32Array(n);
      for (let k = 0; k < n; k++) pos[perm[k]] = k;
      const m = Array.from({ length: n }, () => new Uint8Array(n));
      for (let v = 0; v < n; v++) for (let p = g.ptr[v]; p < g.ptr[v + 1]; p++) m[pos[v]][pos[g.adj[p]]] = 1;
      const parent: number[] = [];
      const count: number[] = [];
      for (let k = 0; k < n; k++) {
        const later: number[] = [];
        for (let i = k + 1; i < n; i++) if (m[k][i]) later.push(i);
        parent.push(later.length ? later[0] : -1);
        count.push(1 + later.length);
        for (const i of later) for (const j of later) if (i !== j) m[i][j] = 1;
      }
      return { parent, count };
    };
    const rng = new Rng(23);
    for (let trial = 0; trial < 15; trial++) {
      const side = 2 + rng.int(7);
      const n = trial % 3 === 0 ? side * side : 3 + rng.int(70);
      const g = graphFromEdges(n, trial % 3 === 0 ? latticeEdges(side, trial % 2 === 0) : randomConnectedEdges(n, rng.int(2 * n), rng));
      for (const order of [identity(g.n), rng.shuffle(identity(g.n)), minimumDegreeOrder(g)!.order]) {
        const a = postorderedAnalysis(g, order);
        expect(isPermutation(a.perm, g.n)).toBe(true);
        const ref = dense(g, a.perm);
        expect(Array.from(a.parent)).toEqual(ref.parent);
        expect(Array.from(a.cc)).toEqual(ref.count);
        expect(a.nnzL).toBe(naiveFactorNnz(g, order)); // a postorder keeps the fill of the order it came from
        // postorder: the descendants of k are the vertices just before it
        const size = new Int32Array(g.n).fill(1);
        for (let k = 0; k < g.n; k++) if (a.parent[k] >= 0) size[a.parent[k]] += size[k];
        for (let k = 0; k < g.n; k++) if (a.parent[k] >= 0) expect(k >= a.parent[k] - size[a.parent[k]] + 1 && k < a.parent[k]).toBe(true);
      }
    }
  });

  it('builds the same symbolic factor whether or not the order was just screened by countFill', () => {
    const edges = latticeEdges(12, true);
    const g1 = graphFromEdges(144, edges);
    const g2 = graphFromEdges(144, edges); // another graph object: nothing kept from the screening applies
    const order = nestedDissectionOrder(g1, { leafSize: 10 })!.order;
    SymbolicFactor.countFill(g1, order);
    const screened = new SymbolicFactor(g1, ...csrPattern(g1), order);
    const fresh = new SymbolicFactor(g2, ...csrPattern(g2), order);
    expect(fresh.nnzL).toBe(naiveFactorNnz(g2, order));
    for (const key of ['perm', 'superStart', 'rowPtr', 'rowIdx', 'valPtr', 'relIdx', 'asmSrc', 'asmDst'] as const) {
      expect(Array.from(screened[key]), key).toEqual(Array.from(fresh[key]));
    }
  });

  it('nested dissection gives much less fill than the natural order on a 30x30 lattice', () => {
    const g = graphFromEdges(900, latticeEdges(30, false));
    const natural = SymbolicFactor.countFill(g, identity(900));
    const nd = SymbolicFactor.countFill(g, nestedDissectionOrder(g)!.order);
    expect(nd.nnzL).toBeLessThan(0.6 * natural.nnzL);
    expect(nd.flops).toBeLessThan(0.5 * natural.flops);
  });

  it('finds a valid, balanced and small vertex separator of a lattice', () => {
    const side = 40;
    const edges = latticeEdges(side, true);
    const g = graphFromEdges(side * side, edges);
    const where = vertexSeparator(g, new Rng(2));
    const counts = [0, 0, 0];
    for (const w of where) counts[w]++;
    for (let e = 0; e < edges.a.length; e++) {
      const x = where[edges.a[e]];
      const y = where[edges.b[e]];
      expect(x === PART_A && y === PART_B).toBe(false);
      expect(x === PART_B && y === PART_A).toBe(false);
    }
    expect(counts[SEPARATOR]).toBeLessThanOrEqual(1.5 * side);
    expect(Math.max(counts[PART_A], counts[PART_B])).toBeLessThanOrEqual(0.6 * side * side);
  });

  it('abandons hopeless orderings under a fill budget', () => {
    const n = 3000;
    const g = graphFromEdges(n, randomConnectedEdges(n, 5 * n, new Rng(3)));
    expect(minimumDegreeOrder(g, { fillBudget: 20 * n })).toBeNull();
    expect(nestedDissectionOrder(g, { fillBudget: 20 * n })).toBeNull();
    expect(fillReducingOrder(g, 'auto', { fillBudget: 20 * n }).order).toBeNull();
  });
});

/** A CSR pattern (with diagonal) for a graph. */
function csrPattern(g: { n: number; ptr: Int32Array; adj: Int32Array }): [Int32Array, Int32Array] {
  const rowPtr = new Int32Array(g.n + 1);
  const colIdx: number[] = [];
  for (let v = 0; v < g.n; v++) {
    const cols = [v, ...Array.from(g.adj.subarray(g.ptr[v], g.ptr[v + 1]))].sort((x, y) => x - y);
    colIdx.push(...cols);
    rowPtr[v + 1] = colIdx.length;
  }
  return [rowPtr, Int32Array.from(colIdx)];
}
