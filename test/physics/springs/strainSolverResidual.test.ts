/**
 * The StrainSolver's reported residual in the degenerate case where the constraint alone balances the applied force:
 * a unit pair of forces along spring j (B_j: -b_j at its first node, +b_j at its second) with the strain of the pair
 * joining spring j's ends held at 0. Exactly, u = 0 and the constraint force is lambda = -l_j (c = B_j / l_j), so f,
 * C lambda and H u cancel to rounding and a residual relative to their sum is rounding over rounding (it used to report
 * 0.2-0.9 and converged: false on a correct solve). Independent truth: force balance with the dense stiffness matrix
 * (not the solver's stiffnessTimes), lambda = -l_j by hand, u = 0.
 */
import { describe, expect, it } from 'vitest';
import { referenceDistance, type SpringNetwork } from '../../../src/physics/springs/SpringNetwork.js';
import { denseStiffnessMatrix, strainVector } from '../../../src/physics/springs/stiffnessMatrix.js';
import { StrainSolver } from '../../../src/physics/springs/StrainSolver.js';
import { springNet, triangularPatch } from './springTestNetworks.js';

/** B_j: the unit pair of forces along spring j (force units per unit tension), length d N. */
function springForce(net: SpringNetwork, j: number): Float64Array {
  const { dim, positions: x, edgeA, edgeB } = net;
  const a = edgeA[j];
  const b = edgeB[j];
  const l = referenceDistance(net, a, b);
  const f = new Float64Array(dim * net.nodes);
  for (let c = 0; c < dim; c++) {
    const bc = (x[dim * b + c] - x[dim * a + c]) / l;
    f[dim * a + c] -= bc;
    f[dim * b + c] += bc;
  }
  return f;
}

/** ||H u - lambda c - f||_2 with the dense H, over ||f||_2. */
function denseImbalance(net: SpringNetwork, u: Float64Array, lambda: number, pair: [number, number], f: Float64Array): number {
  const n = net.dim * net.nodes;
  const H = denseStiffnessMatrix(net);
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += H[i * n + j] * u[j];
    r[i] = s - f[i];
  }
  const { dofs, coefficients } = strainVector(net, pair[0], pair[1]);
  dofs.forEach((d, t) => (r[d] -= lambda * coefficients[t]));
  let rr = 0;
  let ff = 0;
  for (let i = 0; i < n; i++) {
    rr += r[i] * r[i];
    ff += f[i] * f[i];
  }
  return Math.sqrt(rr / ff);
}

function checkDegenerate(net: SpringNetwork): void {
  const solver = new StrainSolver(net);
  for (let j = 0; j < net.edgeA.length; j++) {
    const pair: [number, number] = [net.edgeA[j], net.edgeB[j]];
    const f = springForce(net, j);
    const x = solver.solve([{ pair, strain: 0 }], f);
    const l = referenceDistance(net, pair[0], pair[1]);
    expect(Math.abs(x.forces[0] + l) / l, `lambda of spring ${j}`).toBeLessThan(1e-12);
    let umax = 0;
    for (const v of x.displacements) umax = Math.max(umax, Math.abs(v));
    // displacements of a unit force are ~ 1 / k ~ 1 (k in [0.5, 2]); the exact answer is 0
    expect(umax, `u of spring ${j}`).toBeLessThan(1e-12);
    expect(denseImbalance(net, x.displacements, x.forces[0], pair, f), `force balance of spring ${j}`).toBeLessThan(1e-12);
    expect(x.diagnostics.converged, `spring ${j}: ${JSON.stringify(x.diagnostics)}`).toBe(true);
    expect(x.diagnostics.residual).toBeLessThan(1e-12);
  }
}

describe('StrainSolver residual: a force balanced by the constraint alone', () => {
  it('every spring of a disordered triangular patch: converged, residual at rounding, u = 0, lambda = -l_j', () => {
    checkDegenerate(triangularPatch(5, 5, { disorder: 0.2, seed: 4 }));
  });

  it('a diluted patch with floppy modes, and a 3D tetrahedron', () => {
    const diluted = triangularPatch(6, 6, { disorder: 0.15, keep: 0.75, seed: 9 });
    expect(new StrainSolver(diluted).analysis.floppyModes).toBeGreaterThan(0);
    checkDegenerate(diluted);
    checkDegenerate(springNet(3, [[0, 0, 0], [1, 0, 0], [0.4, 0.9, 0], [0.3, 0.3, 0.8]], [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]], [1, 2, 0.5, 1.5, 0.7, 1.2]));
  });

  it('near the degenerate case (the force slightly off the spring, or a small source strain) the residual stays at rounding', () => {
    const net = triangularPatch(5, 5, { disorder: 0.2, seed: 4 });
    const solver = new StrainSolver(net);
    const j = 7;
    const pair: [number, number] = [net.edgeA[j], net.edgeB[j]];
    for (const [tilt, strain] of [[1e-6, 0], [0, 1e-9], [1e-3, 1e-6]]) {
      const f = springForce(net, j);
      const g = springForce(net, j + 1);
      for (let i = 0; i < f.length; i++) f[i] += tilt * g[i];
      const x = solver.solve([{ pair, strain }], f);
      expect(denseImbalance(net, x.displacements, x.forces[0], pair, f)).toBeLessThan(1e-12);
      expect(Math.abs(x.strains[0] - strain)).toBeLessThan(1e-15);
      expect(x.diagnostics.converged, JSON.stringify(x.diagnostics)).toBe(true);
      expect(x.diagnostics.residual).toBeLessThan(1e-12);
    }
  });
});
