import { Matrix, inverse } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { analyseIdentifiability } from '../../src/calibration/identifiability.js';
import { InvalidInputError } from '../../src/errors.js';
import { Rng } from '../../src/physics/Rng.js';

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);
const names = (n: number): string[] => Array.from({ length: n }, (_, j) => `p${j}`);

/** A random m x n Jacobian (as an ml-matrix), with `edit` applied to each row. */
function jacobian(seed: number, m: number, n: number, edit: (row: number[]) => void = () => {}): Matrix {
  const rng = new Rng(seed);
  return new Matrix(
    Array.from({ length: m }, () => {
      const row = Array.from({ length: n }, () => rng.normal());
      edit(row);
      return row;
    }),
  );
}

/** J^T J as a row-major Float64Array (computed by ml-matrix). */
const normal = (J: Matrix): Float64Array => Float64Array.from(J.transpose().mmul(J).to1DArray());

describe('analyseIdentifiability', () => {
  it('std of a well-determined problem is sqrt(diag((JtJ)^-1))', () => {
    const J = jacobian(1, 20, 4);
    const res = analyseIdentifiability(normal(J), 4, { names: names(4) });
    expect(res.rank).toBe(4);
    expect(res.undetermined).toEqual([]);
    expect(res.gauges).toEqual([]);
    const cov = inverse(J.transpose().mmul(J));
    for (let j = 0; j < 4; j++) {
      const ref = Math.sqrt(cov.get(j, j));
      expect(Math.abs(res.std[j] - ref) / ref).toBeLessThan(1e-9);
    }
  });

  it('reports a parameter with a zero column as its own "not used" group', () => {
    const J = jacobian(2, 12, 5, (row) => (row[3] = 0));
    const res = analyseIdentifiability(normal(J), 5, { names: names(5) });
    expect(res.rank).toBe(4);
    expect(res.undetermined).toHaveLength(1);
    const u = res.undetermined[0];
    expect(u.parameters).toEqual(['p3']);
    expect(u.why).toBe('not used');
    expect(Math.abs(u.direction[3])).toBeCloseTo(1, 12);
    expect(res.std[3]).toBe(Infinity);
    // the others: sqrt(diag of the inverse of the reduced normal matrix)
    const keep = [0, 1, 2, 4];
    const R = J.subMatrixColumn(keep);
    const cov = inverse(R.transpose().mmul(R));
    keep.forEach((j, c) => expect(Math.abs(res.std[j] - Math.sqrt(cov.get(c, c))) / Math.sqrt(cov.get(c, c))).toBeLessThan(1e-9));
  });

  it('reports a combination seen only as x0 + x1 as "degenerate", and suggests the candidate that splits it', () => {
    const J = jacobian(3, 15, 4, (row) => (row[1] = row[0]));
    const res = analyseIdentifiability(normal(J), 4, {
      names: names(4),
      candidates: [
        { description: 'irrelevant: measure p2 again', rows: f64([0, 0, 1, 0]) },
        { description: 'measure p0 - p1', rows: f64([1, -1, 0, 0]) },
        { description: 'weakly: measure p0 alone', rows: f64([0.01, 0, 0, 0, 0, 0, 0, 5]) },
      ],
    });
    expect(res.rank).toBe(3);
    expect(res.undetermined).toHaveLength(1);
    const u = res.undetermined[0];
    expect(u.why).toBe('degenerate');
    expect([...u.parameters].sort()).toEqual(['p0', 'p1']);
    expect(Math.abs(u.direction[0])).toBeCloseTo(Math.SQRT1_2, 10);
    expect(u.direction[1]).toBeCloseTo(-u.direction[0], 10);
    expect(Math.abs(u.direction[2]) + Math.abs(u.direction[3])).toBeLessThan(1e-9);
    // |R v|^2: 2 for p0 - p1, 0.5e-4 for the weak one, 0 for the irrelevant one
    expect(u.suggestions).toEqual(['measure p0 - p1', 'weakly: measure p0 alone']);
    expect(res.std[0]).toBe(Infinity);
    expect(res.std[1]).toBe(Infinity);
    expect(Number.isFinite(res.std[2]) && Number.isFinite(res.std[3])).toBe(true);
    const one = analyseIdentifiability(normal(J), 4, {
      names: names(4),
      maxSuggestions: 1,
      candidates: [{ description: 'irrelevant', rows: f64([0, 0, 1, 0]) }, { description: 'split', rows: f64([1, -1, 0, 0]) }],
    });
    expect(one.undetermined[0].suggestions).toEqual(['split']);
  });

  it('splits a null space into separate interpretable directions', () => {
    // p2 and p5 unused, p0 and p1 seen only together: 3 null directions whatever rotation the eigensolver picks
    const J = jacobian(4, 20, 6, (row) => {
      row[1] = row[0];
      row[2] = 0;
      row[5] = 0;
    });
    const res = analyseIdentifiability(normal(J), 6, { names: names(6) });
    expect(res.rank).toBe(3);
    expect(res.undetermined.map((u) => [[...u.parameters].sort(), u.why])).toEqual([
      [['p0', 'p1'], 'degenerate'],
      [['p2'], 'not used'],
      [['p5'], 'not used'],
    ]);
    // orthonormal
    const D = res.undetermined.map((u) => u.direction);
    for (let a = 0; a < D.length; a++) {
      for (let b = 0; b < D.length; b++) {
        let s = 0;
        for (let j = 0; j < 6; j++) s += D[a][j] * D[b][j];
        expect(s).toBeCloseTo(a === b ? 1 : 0, 10);
      }
    }
    expect(Array.from(res.std, Number.isFinite)).toEqual([false, false, false, true, true, false]);
  });

  it('reports a known gauge in gauges, not in undetermined, and uses the constraints for the covariance', () => {
    const J = jacobian(5, 15, 4, (row) => (row[1] = row[0]));
    const w = 7;
    const constraints = f64([w, -w, 0, 0]);
    const res = analyseIdentifiability(normal(J), 4, {
      names: names(4),
      gauges: [
        { name: 'difference (fixed by reference)', vector: f64([2, -2, 0, 0]) },
        { name: 'sum (observable)', vector: f64([1, 1, 0, 0]) },
      ],
      constraints,
    });
    expect(res.gauges).toEqual(['difference (fixed by reference)']);
    expect(res.undetermined).toEqual([]);
    expect(res.rank).toBe(3);
    // covariance (J^T J + C^T C)^-1, computed independently
    const C = new Matrix([[w, -w, 0, 0]]);
    const cov = inverse(J.transpose().mmul(J).add(C.transpose().mmul(C)));
    for (let j = 0; j < 4; j++) {
      const ref = Math.sqrt(cov.get(j, j));
      expect(Math.abs(res.std[j] - ref) / ref).toBeLessThan(1e-9);
    }
  });

  it('leaves a gauge-free remainder of the null space undetermined', () => {
    // p1 = p0 (degenerate) and p3 unused; the gauge covers only the degeneracy
    const J = jacobian(6, 15, 4, (row) => {
      row[1] = row[0];
      row[3] = 0;
    });
    const res = analyseIdentifiability(normal(J), 4, { names: names(4), gauges: [{ name: 'g', vector: f64([1, -1, 0, 0]) }] });
    expect(res.gauges).toEqual(['g']);
    expect(res.undetermined.map((u) => u.parameters)).toEqual([['p3']]);
    expect(res.undetermined[0].why).toBe('not used');
  });

  it('handles n = 300', () => {
    const n = 300;
    const J = jacobian(7, 360, n, (row) => {
      row[10] = 0;
      row[21] = row[20];
    });
    const A = normal(J);
    const constraints = new Float64Array(n);
    constraints[20] = 1;
    constraints[21] = -1;
    const res = analyseIdentifiability(A, n, { names: names(n), constraints, gauges: [{ name: 'g', vector: constraints }] });
    expect(res.rank).toBe(n - 2);
    expect(res.gauges).toEqual(['g']);
    expect(res.undetermined.map((u) => u.parameters)).toEqual([['p10']]);
  });

  it('validates its input with InvalidInputError', () => {
    const A = normal(jacobian(8, 5, 3));
    expect(() => analyseIdentifiability(A, 3, { names: names(2) })).toThrow(InvalidInputError);
    expect(() => analyseIdentifiability(A.subarray(0, 8), 3, { names: names(3) })).toThrow(/normalMatrix/);
    expect(() => analyseIdentifiability(A, 3, { names: names(3), gauges: [{ name: 'g', vector: f64([1, 0]) }] })).toThrow(/gauges\[0\]/);
    expect(() => analyseIdentifiability(A, 3, { names: names(3), constraints: f64([1, 0]) })).toThrow(/constraints/);
    expect(() => analyseIdentifiability(A, 3, { names: names(3), relativeTolerance: 0 })).toThrow(/relativeTolerance/);
    expect(() => analyseIdentifiability(A, 3, { names: names(3), candidates: [{ description: 'x', rows: f64([NaN, 0, 0]) }] })).toThrow(
      /candidates\[0\]\.rows\[0\]/,
    );
  });
});
