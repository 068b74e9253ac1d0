import { CholeskyDecomposition, Matrix, solve as denseSolve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { NumericalError } from '../../../src/errors.js';
import type { CsrMatrix } from '../../../src/physics/sparse/CsrMatrix.js';
import { fillReducingOrder, type OrderingMethod } from '../../../src/physics/sparse/fillReducingOrder.js';
import { SupernodalCholesky } from '../../../src/physics/sparse/SupernodalCholesky.js';
import { SymbolicFactor } from '../../../src/physics/sparse/SymbolicFactor.js';
import { dense, graphOf, groundedLaplacian, latticeEdges, randomConnectedEdges, randomSpd, Rng } from './helpers.js';

function factorOf(a: CsrMatrix, ordering: OrderingMethod, kernels: 'wasm' | 'js' = 'wasm'): SupernodalCholesky {
  const g = graphOf(a);
  const order = fillReducingOrder(g, ordering).order!;
  const chol = new SupernodalCholesky(new SymbolicFactor(g, a.rowPtr, a.colIdx, order), { kernels });
  expect(chol.kernels).toBe(kernels); // Node 20 runs WebAssembly SIMD: the fallback must not hide a failure
  chol.factorize(a.values);
  return chol;
}

/** The factor as a dense lower-triangular matrix (new numbering), read from the supernodal blocks. */
function denseFactor(chol: SupernodalCholesky): number[][] {
  const s = chol.symbolic;
  const L = Array.from({ length: s.n }, () => new Array<number>(s.n).fill(0));
  for (let J = 0; J < s.nsuper; J++) {
    const f = s.superStart[J];
    const w = s.superStart[J + 1] - f;
    const m = s.rowPtr[J + 1] - s.rowPtr[J];
    for (let c = 0; c < w; c++) {
      for (let r = c; r < m; r++) L[s.rowIdx[s.rowPtr[J] + r]][f + c] = chol.values[s.valPtr[J] + c * m + r];
    }
  }
  return L;
}

function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  return d;
}

describe('SupernodalCholesky', () => {
  const rng = new Rng(42);
  const matrices: { name: string; a: CsrMatrix }[] = [];
  for (const n of [1, 2, 7, 30, 120, 250]) matrices.push({ name: `random SPD n=${n}`, a: randomSpd(n, 4, rng) });
  for (const n of [3, 50, 200]) {
    matrices.push({ name: `grounded Laplacian n=${n}`, a: groundedLaplacian(n, randomConnectedEdges(n, 2 * n, rng), [0], rng) });
  }
  matrices.push({ name: 'grounded lattice 15x15 with diagonals', a: groundedLaplacian(225, latticeEdges(15, true), [0, 224, 112], rng) });
  matrices.push({ name: 'grounded lattice 16x16', a: groundedLaplacian(256, latticeEdges(16, false), [5], rng) });

  for (const { name, a } of matrices) {
    for (const [ordering, kernels] of [['auto', 'wasm'], ['nd', 'wasm'], ['amd', 'wasm'], ['natural', 'wasm'], ['auto', 'js'], ['natural', 'js']] as const) {
      it(`solves like a dense solver: ${name}, ${ordering} ordering, ${kernels} kernels`, () => {
        const chol = factorOf(a, ordering, kernels);
        const A = new Matrix(dense(a));
        const b = Float64Array.from({ length: a.n }, () => rng.uniform(-1, 1));
        const x = chol.solve(b, new Float64Array(a.n));
        const xd = denseSolve(A, Matrix.columnVector(Array.from(b))).getColumn(0);
        const scale = Math.max(...xd.map(Math.abs));
        expect(maxAbsDiff(x, xd) / scale).toBeLessThan(1e-9);
        // The factor itself equals the dense Cholesky factor of P A P^T.
        if (a.n <= 300) {
          const perm = chol.symbolic.perm;
          const pap = perm.length === 0 ? [] : Array.from(perm, (pi) => Array.from(perm, (pj) => A.get(pi, pj)));
          const Ld = new CholeskyDecomposition(new Matrix(pap)).lowerTriangularMatrix.to2DArray();
          const Ls = denseFactor(chol);
          let err = 0;
          let big = 0;
          for (let i = 0; i < a.n; i++) {
            for (let j = 0; j <= i; j++) {
              err = Math.max(err, Math.abs(Ls[i][j] - Ld[i][j]));
              big = Math.max(big, Math.abs(Ld[i][j]));
            }
          }
          expect(err / big).toBeLessThan(1e-12);
        }
      });
    }
  }

  it('re-factorises new values on the same pattern without reallocating', () => {
    const n = 200;
    const edges = randomConnectedEdges(n, 300, rng);
    const a1 = groundedLaplacian(n, edges, [3, 9], rng);
    const chol = factorOf(a1, 'auto');
    const values = chol.values;
    for (let round = 0; round < 3; round++) {
      const a2 = groundedLaplacian(n, edges, [3, 9], rng); // same pattern, new numbers
      chol.factorize(a2.values);
      expect(chol.values).toBe(values);
      const b = Float64Array.from({ length: n }, () => rng.normal());
      const x = chol.solve(b, new Float64Array(n));
      const xd = denseSolve(new Matrix(dense(a2)), Matrix.columnVector(Array.from(b))).getColumn(0);
      expect(maxAbsDiff(x, xd) / Math.max(...xd.map(Math.abs))).toBeLessThan(1e-9);
    }
  });

  it('solves in place (b and x the same array)', () => {
    const a = randomSpd(60, 4, rng);
    const chol = factorOf(a, 'amd');
    const b = Float64Array.from({ length: 60 }, () => rng.normal());
    const x = chol.solve(b, new Float64Array(60));
    const y = b.slice();
    chol.solve(y, y);
    expect(maxAbsDiff(x, y)).toBe(0);
  });

  it('throws NumericalError on a singular or indefinite matrix', () => {
    // Ungrounded Laplacian: singular (floating network).
    const n = 40;
    const a = groundedLaplacian(n, randomConnectedEdges(n, 40, rng), [], rng);
    expect(() => factorOf(a, 'auto')).toThrow(NumericalError);
    // Indefinite: a negative diagonal entry.
    const b = randomSpd(30, 4, rng);
    const diag = Array.from({ length: 30 }, (_, i) => b.rowPtr[i] + Array.from(b.colIdx.subarray(b.rowPtr[i], b.rowPtr[i + 1])).indexOf(i));
    b.values[diag[17]] = -1;
    expect(() => factorOf(b, 'natural')).toThrow(/not positive definite/);
    expect(() => factorOf(b, 'natural', 'js')).toThrow(/not positive definite/);
    // The failed factorisation cannot be used for solving.
    const g = graphOf(b);
    const chol = new SupernodalCholesky(new SymbolicFactor(g, b.rowPtr, b.colIdx, fillReducingOrder(g, 'amd').order!));
    expect(() => chol.factorize(b.values)).toThrow(NumericalError);
    expect(() => chol.solve(new Float64Array(30), new Float64Array(30))).toThrow();
  });
});
