/**
 * The sparse exact-Jacobian solve (src/physics/nonlinear/sparseJacobian.ts: flexible GMRES preconditioned by the
 * Cholesky factor of the co-content Hessian) against independent truths: a dense LU with partial pivoting of the same
 * exact Jacobian (exactJacobian, written edge by edge from the laws' derivatives) on random transistor networks.
 */
import { describe, expect, it } from 'vitest';
import { DenseLu } from '../../../src/physics/denseLu.js';
import { LaplacianSystem } from '../../../src/physics/LaplacianSystem.js';
import type { Network } from '../../../src/physics/Network.js';
import type { EdgeElement } from '../../../src/physics/nonlinear/EdgeElement.js';
import { initialParameters } from '../../../src/physics/nonlinear/learningParameters.js';
import { exactJacobian } from '../../../src/physics/nonlinear/nonlinearGradient.js';
import { exactEdgeDerivatives, SparseExactJacobian } from '../../../src/physics/nonlinear/sparseJacobian.js';
import { solveNonlinearCircuit } from '../../../src/physics/nonlinear/solveNonlinearCircuit.js';
import { Rng } from '../../../src/physics/Rng.js';
import { randomNet, relErr } from '../helpers.js';

/** A random network of `nodes` nodes: mostly transistors (both saturation models, gates across cut-off), some resistors. */
function transistorNetwork(nodes: number, seed: number): Network {
  const n = randomNet(nodes, 2 * nodes, seed);
  const rng = new Rng(seed + 11);
  n.elements = Array.from(n.conductance, (): EdgeElement | null => {
    const u = rng.next();
    if (u < 0.15) return { kind: 'resistor', k: rng.uniform(1e-5, 1e-3) };
    return { kind: 'transistor', s: rng.uniform(2e-4, 1e-3), vt: 0.6, vg: rng.uniform(0, 3.5), saturation: u < 0.6 ? 'square' : 'none' };
  });
  return n;
}

describe('sparse exact-Jacobian solves against a dense LU', () => {
  for (const [nodes, seed] of [[50, 1], [120, 2], [300, 3]] as const) {
    it(`J d = r and J^T u = r on a random ${nodes}-node transistor network, to 1e-10 relative`, () => {
      const net = transistorNetwork(nodes, seed);
      const rng = new Rng(seed + 100);
      const roles = { sources: Int32Array.of(0, 1, 2), ground: Int32Array.of(nodes - 1) };
      const theta = initialParameters(net);
      // the operating point the Newton steps and the adjoint meet: a solved state, sources 2.5, 1 and 0.3 V (channels
      // on, pinched off at one end, and cut off all occur)
      const solved = solveNonlinearCircuit(net, new Map([[0, 2.5], [1, 1], [2, 0.3], [nodes - 1, 0]]), { maxIterations: 2000 });
      expect(solved.converged).toBe(true);
      const v = solved.voltages;
      const { n, index, J } = exactJacobian(net, theta, roles, v);
      const JT = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) JT[j * n + i] = J[i * n + j];
      // the Jacobian is not symmetric: the comparison would not tell J from J^T otherwise
      let asym = 0;
      for (let i = 0; i < n * n; i++) asym = Math.max(asym, Math.abs(J[i] - JT[i]));
      expect(asym).toBeGreaterThan(1e-5);
      const imposed = Int32Array.from([...roles.sources, ...roles.ground]);
      const sparse = new SparseExactJacobian(new LaplacianSystem(nodes, net.edgeA, net.edgeB, imposed), net.edgeA, net.edgeB);
      const { dA, dB } = exactEdgeDerivatives(net, theta, v);
      sparse.setDerivatives(dA, dB);
      for (const transpose of [false, true]) {
        const r = Float64Array.from({ length: nodes }, () => rng.uniform(-1e-4, 1e-4));
        const rf = new Float64Array(n);
        for (let i = 0; i < nodes; i++) if (index[i] >= 0) rf[index[i]] = r[i];
        const truth = DenseLu.factor(transpose ? JT : J, n)!.solve(rf);
        const got = sparse.solve(r, transpose);
        expect(got.converged).toBe(true);
        expect(got.residual).toBeLessThan(1e-12);
        const gf = new Float64Array(n);
        for (let i = 0; i < nodes; i++) if (index[i] >= 0) gf[index[i]] = got.x[i];
        for (const i of imposed) expect(got.x[i]).toBe(0);
        expect(relErr(gf, truth)).toBeLessThan(1e-10);
      }
    });
  }
});
