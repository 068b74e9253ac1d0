import { Matrix, solve as denseSolve } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { choleskySolve } from '../../src/calibration/denseCholesky.js';
import { type LeastSquaresProblem, levenbergMarquardt } from '../../src/calibration/levenbergMarquardt.js';
import { InvalidInputError } from '../../src/errors.js';
import { Rng } from '../../src/physics/Rng.js';

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);

/** r = M x - b for a dense m x n matrix M (row-major). */
function linearProblem(M: Float64Array, b: Float64Array, m: number, n: number): LeastSquaresProblem {
  return {
    n,
    m,
    residuals(x, r) {
      for (let i = 0; i < m; i++) {
        let s = -b[i];
        for (let j = 0; j < n; j++) s += M[i * n + j] * x[j];
        r[i] = s;
      }
    },
    jacobian(_x, J) {
      J.set(M);
    },
  };
}

function randomMatrix(rng: Rng, m: number, n: number): Float64Array {
  return Float64Array.from({ length: m * n }, () => rng.normal());
}

/** Rosenbrock as residuals: [10 (x2 - x1^2), 1 - x1]. */
const rosenbrock: LeastSquaresProblem = {
  n: 2,
  m: 2,
  residuals(x, r) {
    r[0] = 10 * (x[1] - x[0] * x[0]);
    r[1] = 1 - x[0];
  },
  jacobian(x, J) {
    J[0] = -20 * x[0];
    J[1] = 10;
    J[2] = -1;
    J[3] = 0;
  },
};

describe('choleskySolve', () => {
  it('solves an SPD system like ml-matrix and leaves its inputs alone', () => {
    const rng = new Rng(3);
    const n = 7;
    const B = randomMatrix(rng, 10, n);
    const A = new Matrix(Array.from({ length: 10 }, (_, i) => Array.from(B.subarray(i * n, i * n + n)))).transpose().mmul(
      new Matrix(Array.from({ length: 10 }, (_, i) => Array.from(B.subarray(i * n, i * n + n)))),
    );
    const a = Float64Array.from(A.to1DArray());
    const b = Float64Array.from({ length: n }, () => rng.normal());
    const a0 = Float64Array.from(a);
    const b0 = Float64Array.from(b);
    const x = choleskySolve(a, n, b)!;
    const ref = denseSolve(A, Matrix.columnVector(Array.from(b))).to1DArray();
    for (let i = 0; i < n; i++) expect(x[i]).toBeCloseTo(ref[i], 10);
    expect(a).toEqual(a0);
    expect(b).toEqual(b0);
  });

  it('returns null for a matrix that is not positive definite', () => {
    expect(choleskySolve(f64([1, 2, 2, 1]), 2, f64([1, 1]))).toBeNull();
    expect(choleskySolve(f64([0, 0, 0, 0]), 2, f64([1, 1]))).toBeNull();
  });
});

describe('levenbergMarquardt', () => {
  it('(a) solves linear least squares like the closed form (ml-matrix QR)', () => {
    const rng = new Rng(11);
    const m = 30, n = 5;
    const M = randomMatrix(rng, m, n);
    const b = Float64Array.from({ length: m }, () => rng.normal());
    const fit = levenbergMarquardt(linearProblem(M, b, m, n), new Float64Array(n));
    const Mm = new Matrix(Array.from({ length: m }, (_, i) => Array.from(M.subarray(i * n, i * n + n))));
    const ref = denseSolve(Mm, Matrix.columnVector(Array.from(b))).to1DArray();
    expect(fit.converged).toBe(true);
    for (let j = 0; j < n; j++) expect(Math.abs(fit.x[j] - ref[j])).toBeLessThan(1e-10 * (1 + Math.abs(ref[j])));
    // residual norm and normal matrix at the solution, from ml-matrix
    const res = Mm.mmul(Matrix.columnVector(ref)).sub(Matrix.columnVector(Array.from(b)));
    expect(fit.residualNorm).toBeCloseTo(res.norm('frobenius'), 10);
    expect(fit.cost).toBeCloseTo(0.5 * res.norm('frobenius') ** 2, 10);
    const JtJ = Mm.transpose().mmul(Mm).to1DArray();
    for (let k = 0; k < n * n; k++) expect(fit.normalMatrix[k]).toBeCloseTo(JtJ[k], 9);
    expect(fit.evaluations).toBeGreaterThan(fit.iterations);
  });

  it('(b) finds the Rosenbrock minimum (1, 1) from (-1.2, 1)', () => {
    const costs: number[] = [];
    const fit = levenbergMarquardt(rosenbrock, f64([-1.2, 1]), { onIteration: (_i, c) => costs.push(c) });
    expect(fit.converged).toBe(true);
    expect(['step below tolerance', 'cost change below tolerance', 'gradient below tolerance']).toContain(fit.reason);
    expect(Math.abs(fit.x[0] - 1)).toBeLessThan(1e-8);
    expect(Math.abs(fit.x[1] - 1)).toBeLessThan(1e-8);
    expect(costs.length).toBe(fit.iterations);
    for (let i = 1; i < costs.length; i++) expect(costs[i]).toBeLessThanOrEqual(costs[i - 1]);
  });

  it('(c) fits an exponential decay y = A exp(-k t) + c exactly from noise-free data', () => {
    const [A, k, c] = [2.5, 0.7, 0.3];
    const t = Float64Array.from({ length: 25 }, (_, i) => 0.25 * i);
    const y = Float64Array.from(t, (ti) => A * Math.exp(-k * ti) + c);
    const problem: LeastSquaresProblem = {
      n: 3,
      m: t.length,
      residuals(x, r) {
        for (let i = 0; i < t.length; i++) r[i] = x[0] * Math.exp(-x[1] * t[i]) + x[2] - y[i];
      },
      jacobian(x, J) {
        for (let i = 0; i < t.length; i++) {
          const e = Math.exp(-x[1] * t[i]);
          J[i * 3] = e;
          J[i * 3 + 1] = -x[0] * t[i] * e;
          J[i * 3 + 2] = 1;
        }
      },
    };
    const fit = levenbergMarquardt(problem, f64([1, 0.2, 0]));
    expect(fit.converged).toBe(true);
    expect(fit.x[0]).toBeCloseTo(A, 9);
    expect(fit.x[1]).toBeCloseTo(k, 9);
    expect(fit.x[2]).toBeCloseTo(c, 9);
    expect(fit.residualNorm).toBeLessThan(1e-9);
  });

  it('(d) a constraint row pins the gauge of a problem that sees only x1 - x2', () => {
    // residuals see only d = x1 - x2 (want d = 0.5); the constraint x1 + x2 = 2 (weight 10) fixes the rest
    const problem: LeastSquaresProblem = {
      n: 2,
      m: 2,
      residuals(x, r) {
        const d = x[0] - x[1];
        r[0] = d * d * d - 0.125;
        r[1] = 2 * (d - 0.5);
      },
      jacobian(x, J) {
        const d = x[0] - x[1];
        J[0] = 3 * d * d;
        J[1] = -3 * d * d;
        J[2] = 2;
        J[3] = -2;
      },
      constraints: { rows: f64([10, 10]), target: f64([20]) },
    };
    for (const start of [f64([0, 0]), f64([5, -3]), f64([-2, 7])]) {
      const fit = levenbergMarquardt(problem, start);
      expect(fit.converged).toBe(true);
      expect(fit.x[0]).toBeCloseTo(1.25, 9);
      expect(fit.x[1]).toBeCloseTo(0.75, 9);
      // normal matrix J^T J + C^T C at the solution: J rows [0.75, -0.75], [2, -2]; C = [10, 10]
      const jj = 0.75 * 0.75 + 4;
      const expected = [jj + 100, -jj + 100, -jj + 100, jj + 100];
      for (let q = 0; q < 4; q++) expect(fit.normalMatrix[q]).toBeCloseTo(expected[q], 7);
      expect(fit.residualNorm).toBeLessThan(1e-9);
    }
  });

  it('(e) stops with an AbortError when the signal fires', () => {
    const ctl = new AbortController();
    let seen = 0;
    const run = (): unknown =>
      levenbergMarquardt(rosenbrock, f64([-1.2, 1]), {
        signal: ctl.signal,
        onIteration: (i) => {
          seen = i;
          if (i === 2) ctl.abort();
        },
      });
    expect(run).toThrow(expect.objectContaining({ name: 'AbortError' }));
    expect(seen).toBe(2);
    // already aborted: no iteration at all
    seen = 0;
    expect(run).toThrow(expect.objectContaining({ name: 'AbortError' }));
    expect(seen).toBe(0);
  });

  it('(f) reports max iterations when the limit is hit first', () => {
    const fit = levenbergMarquardt(rosenbrock, f64([-1.2, 1]), { maxIterations: 3 });
    expect(fit.converged).toBe(false);
    expect(fit.reason).toBe('max iterations');
    expect(fit.iterations).toBe(3);
    const none = levenbergMarquardt(rosenbrock, f64([-1.2, 1]), { maxIterations: 0 });
    expect(none.reason).toBe('max iterations');
    expect(Array.from(none.x)).toEqual([-1.2, 1]);
  });

  it('(g) leaves a parameter no residual uses finite and unchanged', () => {
    const rng = new Rng(5);
    const m = 12, n = 4;
    const M = randomMatrix(rng, m, n);
    for (let i = 0; i < m; i++) M[i * n + 2] = 0; // x2 is not used
    const b = Float64Array.from({ length: m }, () => rng.normal());
    const x0 = f64([0.1, 0.2, 3.75, -0.4]);
    const fit = levenbergMarquardt(linearProblem(M, b, m, n), x0);
    expect(fit.converged).toBe(true);
    expect(fit.x[2]).toBe(3.75);
    for (const v of fit.x) expect(Number.isFinite(v)).toBe(true);
    // the used parameters solve the reduced problem (closed form)
    const cols = [0, 1, 3];
    const R = new Matrix(Array.from({ length: m }, (_, i) => cols.map((j) => M[i * n + j])));
    const ref = denseSolve(R, Matrix.columnVector(Array.from(b))).to1DArray();
    cols.forEach((j, c) => expect(fit.x[j]).toBeCloseTo(ref[c], 9));
    expect(x0[2]).toBe(3.75);
  });

  it('validates its input with InvalidInputError', () => {
    expect(() => levenbergMarquardt(rosenbrock, f64([1]))).toThrow(InvalidInputError);
    expect(() => levenbergMarquardt(rosenbrock, f64([1, NaN]))).toThrow(/x0\[1\].*finite/);
    expect(() => levenbergMarquardt(rosenbrock, f64([1, 1]), { lambda: 0 })).toThrow(InvalidInputError);
    expect(() => levenbergMarquardt(rosenbrock, f64([1, 1]), { maxIterations: 1.5 })).toThrow(InvalidInputError);
    expect(() => levenbergMarquardt({ ...rosenbrock, constraints: { rows: f64([1]), target: f64([0]) } }, f64([1, 1]))).toThrow(
      /constraints\.rows/,
    );
    const nanAtStart: LeastSquaresProblem = { ...rosenbrock, residuals: (_x, r) => r.fill(NaN) };
    expect(() => levenbergMarquardt(nanAtStart, f64([1, 1]))).toThrow(InvalidInputError);
  });

  // Speed is measured in bench/calibration.ts, not asserted here.
  it('does one iteration of a dense m = 5000, n = 400 problem', () => {
    const rng = new Rng(7);
    const m = 5000, n = 400;
    const M = randomMatrix(rng, m, n);
    const b = Float64Array.from({ length: m }, () => rng.normal());
    const fit = levenbergMarquardt(linearProblem(M, b, m, n), new Float64Array(n), { maxIterations: 1 });
    expect(fit.iterations).toBe(1);
    expect(fit.cost).toBeLessThan(0.5 * b.reduce((s, x) => s + x * x, 0));
  });
});
