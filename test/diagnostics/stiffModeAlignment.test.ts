/**
 * The matrix-free stiff cost-mode alignment (stiffModeAlignment.ts) against dense truth on small networks: the
 * Gauss-Newton matrix from costHessian's dense reference implementation (ml-matrix inverse of H_FF), its top
 * eigenvector by ml-matrix, and modeCoupling's alignment on that matrix.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { costHessian } from '../../src/diagnostics/costHessian.js';
import { modeCoupling } from '../../src/diagnostics/modeCoupling.js';
import { physicalSpectrum } from '../../src/diagnostics/physicalSpectrum.js';
import { gaussNewtonOperator, stiffModeAlignment } from '../../src/diagnostics/stiffModeAlignment.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { linearTask } from '../../src/physics/generators/linearTask.js';
import { Rng } from '../../src/physics/Rng.js';

/** Top eigenpair of a dense symmetric E x E row-major matrix by ml-matrix. */
function denseTop(a: Float64Array, E: number): { value: number; vector: Float64Array } {
  const m = new Matrix(Array.from({ length: E }, (_, i) => Array.from(a.subarray(i * E, (i + 1) * E))));
  const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const vals = evd.realEigenvalues;
  const top = vals.indexOf(Math.max(...vals));
  return { value: vals[top], vector: Float64Array.from(evd.eigenvectorMatrix.getColumn(top)) };
}

const cosine = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return Math.abs(ab) / Math.sqrt(aa * bb);
};

describe('stiffModeAlignment (matrix-free Gauss-Newton)', () => {
  // A few hundred edges: 10 x 12 lattice with diagonals (E = 2*120 - 22 + 2*99 = 416), two targets, 12 examples.
  const cases = [
    { rows: 10, cols: 12, diagonals: true, seed: 3, sources: [0, 11], targets: [60, 75], ground: [119] },
    { rows: 14, cols: 14, diagonals: false, seed: 8, sources: [0, 13, 100], targets: [150], ground: [195] },
  ];
  for (const c of cases) {
    it(`equals the dense Gauss-Newton eigenvector and modeCoupling's alignment on it (${c.rows}x${c.cols}${c.diagonals ? ' + diagonals' : ''})`, () => {
      const net = latticeNetwork({ rows: c.rows, cols: c.cols, diagonals: c.diagonals, seed: c.seed, conductance: [0.3, 3] });
      const E = net.edgeA.length;
      expect(E).toBeGreaterThan(250);
      const matrix = c.targets.map((_, t) => c.sources.map((__, s) => 0.1 + 0.1 * ((t + 2 * s) % 3)));
      const task = linearTask({ matrix, sources: c.sources, targets: c.targets, ground: c.ground, count: 12, seed: c.seed, nodes: net.nodes });
      const gn = costHessian(net, task, { method: 'dense', secondOrder: false }).gaussNewton;

      // the operator is the dense matrix, on random vectors
      const op = gaussNewtonOperator(net, task);
      const rng = new Rng(4);
      const x = Float64Array.from({ length: E }, () => rng.normal());
      const y = new Float64Array(E);
      op.apply(x, y);
      let scale = 0;
      for (let i = 0; i < E; i++) {
        let s = 0;
        for (let j = 0; j < E; j++) s += gn[i * E + j] * x[j];
        scale = Math.max(scale, Math.abs(s));
        expect(y[i]).toBeCloseTo(s, 10);
      }
      expect(scale).toBeGreaterThan(0);

      const phys = physicalSpectrum(net, { task, which: 'lowest', k: 8 });
      const physical = { values: phys.values, vectors: phys.vectors };
      const r = stiffModeAlignment(net, task, physical);
      const top = denseTop(gn, E);
      expect(r.converged).toBe(true);
      expect(Math.abs(r.value - top.value)).toBeLessThan(1e-9 * top.value);
      expect(cosine(r.vector, top.vector)).toBeGreaterThan(1 - 1e-8);
      const dense = modeCoupling(gn, E, physical, net.edgeA, net.edgeB, { stiff: 1 });
      expect(Math.abs(r.cosine - dense.best.cosine)).toBeLessThan(1e-8);
      expect(r.softMode).toBe(dense.best.softMode);
      expect(r.cosine).toBeGreaterThan(0);
      expect(r.cosine).toBeLessThanOrEqual(1);
    });
  }
});
