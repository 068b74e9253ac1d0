/**
 * Issue 17, point 2: the exact linear response of spring networks to imposed strains, against hand-worked cases, force
 * balance, the work of the constraint forces, the rigid motions, and a dense reference (springTestNetworks.ts).
 */
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/errors.js';
import { stiffnessTimes, strainVector } from '../../../src/physics/springs/stiffnessMatrix.js';
import { type LinearResponse, StrainSolver } from '../../../src/physics/springs/StrainSolver.js';
import type { SpringNetwork } from '../../../src/physics/springs/SpringNetwork.js';
import { denseReference, relDiff, springNet, triangularPatch } from './springTestNetworks.js';

/** ||H u - sum_k lambda_k c_k|| at every dof, over the largest |lambda_k c_k| entry. */
function forceImbalance(solver: StrainSolver, res: LinearResponse, pairs: (readonly [number, number])[]): Float64Array {
  const net = solver.net;
  const hu = stiffnessTimes(net, solver.directions, solver.stiffness, res.displacements);
  pairs.forEach((p, k) => {
    const { dofs, coefficients } = strainVector(net, p[0], p[1]);
    dofs.forEach((d, t) => (hu[d] -= res.forces[k] * coefficients[t]));
  });
  return hu;
}

describe('StrainSolver: hand-worked cases', () => {
  it('a collinear chain in 2D: springs in series, one transverse floppy mode, least-norm displacements', () => {
    const [k1, k2, eps] = [2, 3, 0.01];
    const net = springNet(2, [[0, 0], [1, 0], [2, 0]], [[0, 1], [1, 2]], [k1, k2]);
    const solver = new StrainSolver(net);
    // 6 dofs, 2 springs: rank 2, 4 zero modes = 3 rigid + the middle node's transverse motion
    expect(solver.analysis).toMatchObject({ dofs: 6, zeroModes: 4, rigidModes: 3, floppyModes: 1 });
    const res = solver.solve([{ pair: [0, 2], strain: eps }]);
    const keff = (k1 * k2) / (k1 + k2);
    const total = 2 * eps; // l_02 = 2
    const ext1 = (total * k2) / (k1 + k2);
    expect(res.extensions[0]).toBeCloseTo(ext1, 14);
    expect(res.extensions[1]).toBeCloseTo(total - ext1, 14);
    expect(res.energy).toBeCloseTo(0.5 * keff * total * total, 15);
    // tension t = keff * 2 eps pulls node 2 along +x; the constraint force lambda c has x-component lambda / l_02 there
    expect(res.forces[0]).toBeCloseTo(4 * keff * eps, 14);
    expect(res.strains[0]).toBeCloseTo(eps, 15);
    // least norm: no transverse motion, no net translation
    const u = res.displacements;
    const a = -(ext1 + total) / 3;
    expect(Array.from(u)).toEqual([a, 0, a + ext1, 0, a + total, 0].map((x) => expect.closeTo(x, 14)));
    expect(res.diagnostics).toMatchObject({ converged: true, floppyModes: 1, floppyConstraints: 0 });
  });

  it('a collinear chain in 3D: 5 rigid modes (no rotation about the line), 2 floppy, same series response', () => {
    const net = springNet(3, [[0, 0, 0], [1, 1, 1], [2, 2, 2]], [[0, 1], [1, 2]], [2, 3]);
    const solver = new StrainSolver(net);
    expect(solver.analysis).toMatchObject({ dofs: 9, zeroModes: 7, rigidModes: 5, floppyModes: 2 });
    const res = solver.solve([{ pair: [0, 2], strain: 0.01 }]);
    const keff = 6 / 5;
    const total = 0.01 * 2 * Math.sqrt(3);
    expect(res.energy).toBeCloseTo(0.5 * keff * total * total, 15);
  });

  it('a nearly collinear triangle is rigid (its soft mode is not taken for a floppy one); exactly collinear, it is floppy', () => {
    const [ka, kb, eps] = [2, 3, 0.01];
    for (const delta of [1e-4, 1e-5]) {
      const net = springNet(2, [[0, 0], [1, delta], [2, 0]], [[0, 2], [0, 1], [1, 2]], [ka, kb, kb]);
      const solver = new StrainSolver(net);
      // the middle node's transverse stiffness is ~ kb delta^2, small but not zero
      expect(solver.analysis).toMatchObject({ zeroModes: 3, floppyModes: 0 });
      // rigid triangle: the strained spring alone stretches (the middle node swings by ~ eps / delta to allow it)
      const res = solver.solve([{ pair: [0, 2], strain: eps }]);
      expect(res.energy / (0.5 * ka * (2 * eps) ** 2) - 1).toBeLessThan(1e-9);
      expect(Math.abs(res.extensions[1]) / eps).toBeLessThan(1e-9);
      expect(Math.max(...Array.from(res.displacements, Math.abs))).toBeGreaterThan(eps / (4 * delta));
    }
    const flat = new StrainSolver(springNet(2, [[0, 0], [1, 0], [2, 0]], [[0, 2], [0, 1], [1, 2]], [ka, kb, kb]));
    expect(flat.analysis).toMatchObject({ zeroModes: 4, floppyModes: 1 });
    // collinear: the short springs in series share the stretch, E = 1/2 (2 eps)^2 (ka + kb / 2)
    expect(flat.solve([{ pair: [0, 2], strain: eps }]).energy).toBeCloseTo(0.5 * (2 * eps) ** 2 * (ka + kb / 2), 15);
  });

  it('the chain as a task: free and clamped states; the constraint forces are dE/d eps', () => {
    const [k1, k2, eps, delta, eta] = [2, 3, 0.01, 0.004, 0.2];
    const net = springNet(2, [[0, 0], [1, 0], [2, 0]], [[0, 1], [1, 2]], [k1, k2]);
    const solver = new StrainSolver(net);
    const [st] = solver.taskStates({ source: [0, 2], target: [0, 1], sourceStrain: eps, delta, cooperative: false, lambda: 0 }, eta);
    const free = (2 * eps * k2) / (k1 + k2);
    expect(st.freeTarget).toBeCloseTo(free, 15);
    const tau = free + eta * (delta - free);
    expect(st.clampedTarget).toBeCloseTo(tau, 15);
    // clamped: ext1 = tau, ext2 = 2 eps - tau
    const e2 = 2 * eps - tau;
    expect(st.clamped.energy).toBeCloseTo(0.5 * (k1 * tau * tau + k2 * e2 * e2), 15);
    expect(st.clamped.forces[0]).toBeCloseTo(2 * k2 * e2, 14); // dE/d eps_S
    expect(st.clamped.forces[1]).toBeCloseTo(k1 * tau - k2 * e2, 14); // dE/d tau
    expect(st.clamped.energy).toBeGreaterThan(st.free.energy);
  });

  it('an equilateral triangle: rigid, the strained spring alone stretches', () => {
    const net = springNet(2, [[0, 0], [1, 0], [0.5, Math.sqrt(3) / 2]], [[0, 1], [1, 2], [2, 0]], [1.5, 2, 3]);
    const solver = new StrainSolver(net);
    expect(solver.analysis).toMatchObject({ zeroModes: 3, rigidModes: 3, floppyModes: 0 });
    const res = solver.solve([{ pair: [0, 1], strain: 0.02 }]);
    expect(Array.from(res.extensions)).toEqual([expect.closeTo(0.02, 15), expect.closeTo(0, 15), expect.closeTo(0, 15)]);
    expect(res.energy).toBeCloseTo(0.5 * 1.5 * 0.02 ** 2, 16);
    expect(res.forces[0]).toBeCloseTo(1.5 * 0.02, 15);
    // two springs strained: independent; the third stays at rest
    const two = solver.solve([{ pair: [1, 2], strain: 0.01 }, { pair: [0, 2], strain: -0.03 }]);
    expect(Array.from(two.extensions)).toEqual([expect.closeTo(0, 15), expect.closeTo(0.01, 15), expect.closeTo(-0.03, 15)]);
    expect(two.energy).toBeCloseTo(0.5 * (2 * 0.01 ** 2 + 3 * 0.03 ** 2), 16);
  });

  it('a square without diagonals: one floppy (shear) mode strains a diagonal for free, not both diagonals together', () => {
    const k = [1, 2, 3, 4];
    const net = springNet(2, [[0, 0], [1, 0], [1, 1], [0, 1]], [[0, 1], [1, 2], [2, 3], [3, 0]], k);
    const solver = new StrainSolver(net);
    expect(solver.analysis).toMatchObject({ zeroModes: 4, rigidModes: 3, floppyModes: 1 });
    // one diagonal: the shear does it at zero energy and no force
    const one = solver.solve([{ pair: [0, 2], strain: 0.05 }]);
    expect(one.energy).toBeLessThan(1e-28);
    expect(Math.abs(one.forces[0])).toBeLessThan(1e-14);
    expect(one.strains[0]).toBeCloseTo(0.05, 15);
    expect(one.diagnostics.floppyConstraints).toBe(1);
    // both diagonals: eps_02 - eps_13 is the shear's (free); eps_02 + eps_13 = (sum of side extensions) / 2 costs energy.
    // Minimise 1/2 sum k_i ext_i^2 with sum ext_i = S = 2 (e1 + e2): ext_i = S / (k_i sum 1/k), E = S^2 / (2 sum 1/k),
    // lambda_1 = lambda_2 = dE/de = 2 S / sum 1/k.
    const [e1, e2] = [0.03, -0.01];
    const both = solver.solve([{ pair: [0, 2], strain: e1 }, { pair: [1, 3], strain: e2 }]);
    const S = 2 * (e1 + e2);
    const inv = k.reduce((s, x) => s + 1 / x, 0);
    expect(both.energy).toBeCloseTo((S * S) / (2 * inv), 15);
    for (let i = 0; i < 4; i++) expect(both.extensions[i]).toBeCloseTo(S / (k[i] * inv), 14);
    expect(both.forces[0]).toBeCloseTo((2 * S) / inv, 14);
    expect(both.forces[1]).toBeCloseTo((2 * S) / inv, 14);
    expect(both.diagnostics.floppyConstraints).toBe(1);
    // force balance at every dof, including the pinned ones
    const imb = forceImbalance(solver, both, [[0, 2], [1, 3]]);
    for (const x of imb) expect(Math.abs(x)).toBeLessThan(1e-15);
  });

  it('two separate triangles, a dangling node and an isolated node: each component\'s motions are floppy modes', () => {
    const pos = [[0, 0], [1, 0], [0.5, 0.8], [3, 0], [4, 0.1], [3.4, 0.9], [1.5, 1.5], [6, 6]];
    const edges: [number, number][] = [[0, 1], [1, 2], [2, 0], [3, 4], [4, 5], [5, 3], [2, 6]];
    const net = springNet(2, pos, edges, [1, 2, 3, 1, 2, 3, 5]);
    const solver = new StrainSolver(net);
    // 16 dofs, rank 7: 9 zero modes = 3 rigid + 3 (second triangle) + 1 (dangling node 6) + 2 (isolated node 7)
    expect(solver.analysis).toMatchObject({ dofs: 16, zeroModes: 9, rigidModes: 3, floppyModes: 6 });
    // a strain between the two triangles: their relative motion does it at no energy
    const across = solver.solve([{ pair: [1, 3], strain: 0.1 }]);
    expect(across.energy).toBeLessThan(1e-28);
    expect(across.strains[0]).toBeCloseTo(0.1, 15);
    // inside one triangle: elastic, and the same as for that triangle alone
    const inside = solver.solve([{ pair: [3, 4], strain: 0.01 }, { pair: [1, 3], strain: 0.1 }]);
    const l34 = Math.hypot(1, 0.1);
    expect(inside.energy).toBeCloseTo(0.5 * 1 * (0.01 * l34) ** 2, 16);
    expect(inside.forces[1]).toBeCloseTo(0, 14);
    const dense = denseReference(net, [{ pair: [3, 4], strain: 0.01 }, { pair: [1, 3], strain: 0.1 }]);
    expect(dense.zeroModes).toBe(9);
    expect(relDiff(inside.displacements, dense.u)).toBeLessThan(1e-12);
    // the isolated node does not move (least norm)
    expect(Math.abs(inside.displacements[14])).toBeLessThan(1e-15);
    expect(Math.abs(inside.displacements[15])).toBeLessThan(1e-15);
  });

  it('a tetrahedron in 3D: six rigid modes, no floppy one; a strained edge alone stretches', () => {
    const pos = [[0, 0, 0], [1, 0, 0], [0.3, 0.9, 0], [0.4, 0.3, 0.8]];
    const edges: [number, number][] = [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]];
    const net = springNet(3, pos, edges, [1, 2, 3, 4, 5, 6]);
    const solver = new StrainSolver(net);
    expect(solver.analysis).toMatchObject({ dofs: 12, zeroModes: 6, rigidModes: 6, floppyModes: 0 });
    const l = Math.hypot(0.6, 0.3, 0.8); // |x_3 - x_1|
    const res = solver.solve([{ pair: [1, 3], strain: 0.01 }]);
    for (let e = 0; e < 6; e++) expect(res.extensions[e]).toBeCloseTo(e === 4 ? 0.01 * l : 0, 15);
    expect(res.energy).toBeCloseTo(0.5 * 5 * (0.01 * l) ** 2, 16);
    // a pair that is not a spring: against the dense reference
    const cons = [{ pair: [0, 1] as const, strain: 0.02 }, { pair: [2, 3] as const, strain: -0.01 }];
    const dense = denseReference(net, cons);
    const two = solver.solve(cons);
    expect(relDiff(two.displacements, dense.u)).toBeLessThan(1e-12);
    expect(relDiff(two.forces, dense.lambda)).toBeLessThan(1e-12);
  });

  it('a 3D lattice with missing bonds: floppy modes counted as the dense spectrum counts them, response equal to the dense one', () => {
    // 3 x 3 x 2 cubic lattice with face diagonals, some bonds removed; disorder breaks degeneracies
    const pos: number[][] = [];
    let s = 7;
    const r = (): number => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2;
    for (let z = 0; z < 2; z++) for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) pos.push([x + r(), y + r(), z + r()]);
    const id = (x: number, y: number, z: number): number => z * 9 + y * 3 + x;
    const edges: [number, number][] = [];
    for (let z = 0; z < 2; z++) for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) {
      const nb = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]];
      for (const [dx, dy, dz] of nb) {
        if (x + dx < 3 && y + dy < 3 && z + dz < 2 && (x + 2 * y + 3 * z + dx) % 5 !== 0) edges.push([id(x, y, z), id(x + dx, y + dy, z + dz)]);
      }
    }
    const net = springNet(3, pos, edges, edges.map((_, e) => 0.5 + (e % 4) * 0.5));
    const solver = new StrainSolver(net);
    const cons = [{ pair: [0, 17] as const, strain: 0.01 }, { pair: [4, 13] as const, strain: 0.02 }];
    const dense = denseReference(net, cons);
    expect(solver.analysis.zeroModes).toBe(dense.zeroModes);
    expect(solver.analysis.rigidModes).toBe(6);
    expect(solver.analysis.floppyModes).toBeGreaterThan(0);
    const res = solver.solve(cons);
    expect(relDiff(res.displacements, dense.u)).toBeLessThan(1e-10);
    expect(relDiff(res.forces, dense.lambda)).toBeLessThan(1e-10);
    expect(Math.abs(res.energy - dense.energy) / dense.energy).toBeLessThan(1e-10);
  });
});

describe('StrainSolver: conservation laws and invariances', () => {
  const net = triangularPatch(8, 9, { disorder: 0.15, keep: 0.8, seed: 3 });
  const solver = new StrainSolver(net);
  const cons = [{ pair: [3, 60] as const, strain: 0.01 }, { pair: [10, 50] as const, strain: -0.004 }];
  const res = solver.solve(cons);

  it('force balance at every unconstrained node (H u = sum lambda_k c_k) to 1e-10', () => {
    expect(solver.analysis.floppyModes).toBeGreaterThan(0); // a diluted patch has dangling nodes
    const imb = forceImbalance(solver, res, cons.map((c) => c.pair));
    let scale = 0;
    for (const lam of res.forces) scale = Math.max(scale, Math.abs(lam));
    for (let i = 0; i < imb.length; i++) expect(Math.abs(imb[i]) / scale).toBeLessThan(1e-10);
    expect(res.diagnostics.converged).toBe(true);
    expect(res.diagnostics.residual).toBeLessThan(1e-12);
  });

  it('energy = work of the constraint forces, 1/2 sum lambda_k eps_k', () => {
    const work = 0.5 * (res.forces[0] * cons[0].strain + res.forces[1] * cons[1].strain);
    expect(Math.abs(res.energy - work) / res.energy).toBeLessThan(1e-12);
    expect(res.strains[0]).toBeCloseTo(0.01, 14);
    expect(res.strains[1]).toBeCloseTo(-0.004, 14);
  });

  it('the same response after a rigid rotation and translation of the positions; the least-norm displacements rotate', () => {
    const th = 0.7;
    const [c, s] = [Math.cos(th), Math.sin(th)];
    const moved: SpringNetwork = { ...net, positions: net.positions.slice() };
    for (let i = 0; i < net.nodes; i++) {
      const [x, y] = [net.positions[2 * i], net.positions[2 * i + 1]];
      moved.positions[2 * i] = c * x - s * y + 12.5;
      moved.positions[2 * i + 1] = s * x + c * y - 3.25;
    }
    const r2 = new StrainSolver(moved).solve(cons);
    expect(relDiff(r2.extensions, res.extensions)).toBeLessThan(1e-10);
    expect(relDiff(r2.forces, res.forces)).toBeLessThan(1e-10);
    expect(Math.abs(r2.energy - res.energy) / res.energy).toBeLessThan(1e-10);
    const rotated = new Float64Array(res.displacements.length);
    for (let i = 0; i < net.nodes; i++) {
      const [ux, uy] = [res.displacements[2 * i], res.displacements[2 * i + 1]];
      rotated[2 * i] = c * ux - s * uy;
      rotated[2 * i + 1] = s * ux + c * uy;
    }
    expect(relDiff(r2.displacements, rotated)).toBeLessThan(1e-10);
  });

  it('a far too generous pivot tolerance only adds soft candidates, which Rayleigh-Ritz discards: same zero modes, same response', () => {
    const loose = new StrainSolver(net, { zeroPivotTolerance: 0.3 });
    expect(loose.zeroModes.softCandidates).toBeGreaterThan(10);
    expect(loose.analysis.zeroModes).toBe(solver.analysis.zeroModes);
    const r2 = loose.solve(cons);
    expect(relDiff(r2.displacements, res.displacements)).toBeLessThan(1e-10);
    expect(relDiff(r2.forces, res.forces)).toBeLessThan(1e-10);
  });

  it('agrees with the dense reference, and again after a change of stiffness (symbolic analysis kept)', () => {
    const dense = denseReference(net, cons);
    expect(solver.analysis.zeroModes).toBe(dense.zeroModes);
    expect(relDiff(res.displacements, dense.u)).toBeLessThan(1e-10);
    expect(relDiff(res.forces, dense.lambda)).toBeLessThan(1e-10);
    const k2 = net.stiffness.map((k, e) => k * (1 + 0.5 * Math.sin(e)));
    solver.setStiffness(k2);
    const res2 = solver.solve(cons);
    const dense2 = denseReference({ ...net, stiffness: k2 }, cons);
    expect(relDiff(res2.displacements, dense2.u)).toBeLessThan(1e-10);
    expect(relDiff(res2.forces, dense2.lambda)).toBeLessThan(1e-10);
    expect(Math.abs(res2.energy - res.energy) / res.energy).toBeGreaterThan(1e-3); // the change mattered
    solver.setStiffness(net.stiffness);
  });

  it('with a force as well (the adjoint problem): balanced to 1e-10 and equal to the dense reference', () => {
    const f = new Float64Array(2 * net.nodes);
    const { dofs, coefficients } = strainVector(net, 20, 41);
    dofs.forEach((d, t) => (f[d] += coefficients[t]));
    const one = [{ pair: [3, 60] as const, strain: 0 }];
    const adj = solver.solve(one, f);
    const dense = denseReference(net, one, f);
    expect(relDiff(adj.displacements, dense.u)).toBeLessThan(1e-10);
    expect(relDiff(adj.forces, dense.lambda)).toBeLessThan(1e-10);
    expect(adj.diagnostics.residual).toBeLessThan(1e-12);
  });
});

describe('StrainSolver: bad input', () => {
  const tri = springNet(2, [[0, 0], [1, 0], [0.5, 0.9]], [[0, 1], [1, 2], [2, 0]]);
  it('refuses a prestressed network', () => {
    const pre = { ...tri, restLength: Float64Array.from([1.1, tri.restLength[1], tri.restLength[2]]) };
    expect(() => new StrainSolver(pre)).toThrow(/restLengths\[0\].*prestressed/);
    expect(() => new StrainSolver(pre)).toThrow(InvalidInputError);
  });
  it('refuses the same pair twice (in either orientation) and a bad node id', () => {
    const solver = new StrainSolver(tri);
    expect(() => solver.solve([{ pair: [0, 1], strain: 0.1 }, { pair: [1, 0], strain: 0.2 }])).toThrow(/linearly dependent/);
    expect(() => solver.solve([{ pair: [0, 1], strain: 0.1 }, { pair: [0, 1], strain: 0.1 }])).toThrow(InvalidInputError);
    expect(() => solver.solve([{ pair: [0, 3], strain: 0.1 }])).toThrow(/node id must be an integer in 0..2/);
    expect(() => solver.taskStates({ source: [0, 1], target: [1, 0], sourceStrain: 1, delta: 0.5, cooperative: false, lambda: 0 }, 0.1)).toThrow(/linearly dependent/);
  });
  it('refuses a force on a free zero mode and a non-positive stiffness', () => {
    const solver = new StrainSolver(tri);
    const f = new Float64Array(6);
    f[0] = 1; // net force: drives a translation
    expect(() => solver.solve([], f)).toThrow(/zero mode/);
    expect(() => solver.setStiffness(Float64Array.from([1, 0, 1]))).toThrow(/stiffness\[1\]/);
  });
});
