import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/physics/Rng.js';
import { csrMatVec } from '../../../src/physics/sparse/CsrMatrix.js';
import type { SpringNetwork } from '../../../src/physics/springs/SpringNetwork.js';
import { denseSpringHessian, nonlinearStrain, springEnergy, springForces, springHessian } from '../../../src/physics/springs/springEnergy.js';
import { bondDirections, denseStiffnessMatrix, strainVector } from '../../../src/physics/springs/stiffnessMatrix.js';
import { springNet, triangularPatch } from './thermal/springPatch.js';

/** A small 3D network: a distorted octahedron with its equator's diagonals, unit-ish stiffness. */
function octahedron(): SpringNetwork {
  const pts = [
    [0.05, 0.02, 1.1],
    [1, 0.1, 0],
    [0, 1.05, 0.08],
    [-0.95, 0, -0.03],
    [0.02, -1, 0.04],
    [0.1, -0.03, -0.9],
  ];
  const edges: [number, number][] = [];
  for (const pole of [0, 5]) for (const eq of [1, 2, 3, 4]) edges.push([pole, eq]);
  edges.push([1, 2], [2, 3], [3, 4], [4, 1], [1, 3]);
  return springNet('octahedron', 3, pts, edges, edges.map((_, i) => 0.7 + 0.1 * i));
}

/** Positions moved off the reference by uniform noise of size `amp` (length unit), so that springs are stressed. */
function perturbed(net: SpringNetwork, amp: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return net.positions.map((x) => x + amp * (2 * rng.next() - 1));
}

const nets = (): SpringNetwork[] => [triangularPatch(3, 4, { disorder: 0.1, removed: [2, 9], seed: 5 }), octahedron()];

describe('springEnergy: the nonlinear energy E = sum k/2 (|r_b - r_a| - l)^2', () => {
  it('one spring by hand: E, forces and Hessian of a spring stretched from 1 to 1.5 along x', () => {
    const net = springNet('one', 2, [[0, 0], [1, 0]], [[0, 1]], [2]);
    const r = Float64Array.from([0, 0, 1.5, 0]);
    // E = 2/2 (0.5)^2 = 0.25; tension 2 x 0.5 = 1 pulls both ends inward
    expect(springEnergy(net, r)).toBeCloseTo(0.25, 15);
    const f = new Float64Array(4);
    expect(springForces(net, r, f)).toBeCloseTo(0.25, 15);
    expect(Array.from(f)).toEqual([1, 0, -1, 0]);
    // block at (1,1): k n n^T + k (1 - l/d)(I - n n^T) = diag(2, 2 (1 - 1/1.5)) = diag(2, 2/3)
    const h = denseSpringHessian(net, r);
    expect(h[2 * 4 + 2]).toBeCloseTo(2, 14);
    expect(h[3 * 4 + 3]).toBeCloseTo(2 / 3, 14);
    expect(h[0 * 4 + 2]).toBeCloseTo(-2, 14);
    expect(h[1 * 4 + 3]).toBeCloseTo(-2 / 3, 14);
    expect(h[0 * 4 + 1]).toBe(0);
  });

  it('forces are minus the gradient of the energy (central finite differences, stressed 2D and 3D networks)', () => {
    for (const net of nets()) {
      const r = perturbed(net, 0.08, 11);
      const f = new Float64Array(r.length);
      springForces(net, r, f);
      const h = 1e-6;
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < r.length; i++) {
        const p = r.slice();
        const m = r.slice();
        p[i] += h;
        m[i] -= h;
        const fd = -(springEnergy(net, p) - springEnergy(net, m)) / (2 * h);
        worst = Math.max(worst, Math.abs(fd - f[i]));
        scale = Math.max(scale, Math.abs(f[i]));
      }
      expect(scale).toBeGreaterThan(1e-3); // the configuration really is stressed
      expect(worst).toBeLessThan(1e-8 * Math.max(1, scale));
    }
  });

  it('the Hessian is minus the derivative of the forces (finite differences, stressed configurations)', () => {
    for (const net of nets()) {
      const r = perturbed(net, 0.08, 12);
      const n = r.length;
      const H = denseSpringHessian(net, r);
      const h = 1e-6;
      const fp = new Float64Array(n);
      const fm = new Float64Array(n);
      let worst = 0;
      for (let j = 0; j < n; j++) {
        const p = r.slice();
        const m = r.slice();
        p[j] += h;
        m[j] -= h;
        springForces(net, p, fp);
        springForces(net, m, fm);
        for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(-(fp[i] - fm[i]) / (2 * h) - H[i * n + j]));
      }
      expect(worst).toBeLessThan(1e-7);
      // the CSR form holds the same matrix: compare H x for a random x
      const csr = springHessian(net, r);
      const x = perturbed(net, 1, 13);
      const y = csrMatVec(csr, x, new Float64Array(n));
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += H[i * n + j] * x[j];
        expect(y[i]).toBeCloseTo(s, 12);
      }
    }
  });

  it('at the reference positions the Hessian equals the stiffness matrix H = sum k B B^T (written independently)', () => {
    for (const net of nets()) {
      const a = denseSpringHessian(net);
      const b = denseStiffnessMatrix(net, bondDirections(net));
      let scale = 0;
      for (const v of b) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-14 * scale);
      // and the reference is force-free
      const f = new Float64Array(net.positions.length);
      expect(springForces(net, net.positions, f)).toBeLessThan(1e-28);
      for (const v of f) expect(Math.abs(v)).toBeLessThan(1e-15);
    }
  });

  it('energy and strains are invariant under a finite rotation and translation', () => {
    const net = octahedron();
    const r = perturbed(net, 0.05, 14);
    // rotation about the axis (1, 2, 2)/3 by 0.7 rad (Rodrigues), then a shift
    const k = [1 / 3, 2 / 3, 2 / 3];
    const th = 0.7;
    const [c, s] = [Math.cos(th), Math.sin(th)];
    const moved = new Float64Array(r.length);
    for (let i = 0; i < net.nodes; i++) {
      const v = [r[3 * i], r[3 * i + 1], r[3 * i + 2]];
      const kv = k[0] * v[0] + k[1] * v[1] + k[2] * v[2];
      const cross = [k[1] * v[2] - k[2] * v[1], k[2] * v[0] - k[0] * v[2], k[0] * v[1] - k[1] * v[0]];
      for (let d = 0; d < 3; d++) moved[3 * i + d] = v[d] * c + cross[d] * s + k[d] * kv * (1 - c) + [3, -2, 5][d];
    }
    expect(springEnergy(net, moved)).toBeCloseTo(springEnergy(net, r), 13);
    expect(nonlinearStrain(net, moved, 0, 5, 2)).toBeCloseTo(nonlinearStrain(net, r, 0, 5, 2), 13);
  });

  it('the nonlinear strain (|r_j - r_i| - l)/l equals the linear c . u to first order: the gap shrinks as |u|^2', () => {
    const net = triangularPatch(3, 4, { disorder: 0.1, removed: [], seed: 6 });
    const { dofs, coefficients } = strainVector(net, 1, 10);
    const l = Math.hypot(net.positions[20] - net.positions[2], net.positions[21] - net.positions[3]);
    const dir = perturbed(net, 1, 15).map((x, i) => x - net.positions[i]);
    const gap = (t: number): number => {
      const r = net.positions.map((x, i) => x + t * dir[i]);
      let lin = 0;
      for (let k = 0; k < dofs.length; k++) lin += coefficients[k] * t * dir[dofs[k]];
      return Math.abs(nonlinearStrain(net, r, 1, 10, l) - lin);
    };
    expect(gap(1e-3) / gap(1e-2)).toBeGreaterThan(0.005);
    expect(gap(1e-3) / gap(1e-2)).toBeLessThan(0.02); // ratio 1/100 for a quadratic remainder
  });
});
