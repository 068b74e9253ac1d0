/**
 * The sparse route to the strain Gram (pinned sparse Cholesky + exact zero-mode basis) against the dense normal modes,
 * which compute the same quantities by an independent method (all eigenpairs of the dense H): g_pq = c_p^T H^+ c_q to
 * 1e-10 relative (relative to sqrt(g_pp g_qq), the Cauchy-Schwarz scale of g_pq, so a near-zero coupling is judged on
 * the scale it could have had) and f_pq to 1e-10 of sqrt(|c_p|^2 |c_q|^2), on networks with and without floppy modes,
 * in 2D and 3D. And the hand-worked rhombus through the sparse route alone.
 */
import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../../../src/diagnostics/symmetricEigen.js';
import { InvalidInputError } from '../../../../src/errors.js';
import { Rng } from '../../../../src/physics/Rng.js';
import { jammedSprings } from '../../../../src/physics/springs/generators/jammed.js';
import { triangularSprings } from '../../../../src/physics/springs/generators/triangular.js';
import type { SpringNetwork } from '../../../../src/physics/springs/SpringNetwork.js';
import { StrainSolver } from '../../../../src/physics/springs/StrainSolver.js';
import type { StrainTask } from '../../../../src/physics/springs/StrainTask.js';
import { thermalAnalysis } from '../../../../src/physics/springs/thermal/harmonicThermal.js';
import { sparseStrainPairGram } from '../../../../src/physics/springs/thermal/sparseGram.js';
import { denseStrainPairGram, type NodePair, type StrainPairGram } from '../../../../src/physics/springs/thermal/strainGram.js';
import { langevinPatch, springNet, triangularPatch } from './springPatch.js';

const task = (source: NodePair, target: NodePair, extra: Partial<StrainTask> = {}): StrainTask => ({ source, target, sourceStrain: 1, delta: 0, cooperative: false, lambda: 0, ...extra });

/** Largest deviation of the sparse Gram from the dense one, each entry on its natural scale. */
function deviation(s: StrainPairGram, d: StrainPairGram): { g: number; f: number } {
  const gs = [Math.sqrt(d.compliance[0] * d.compliance[0]), Math.sqrt(d.compliance[0] * d.compliance[2]), Math.sqrt(d.compliance[2] * d.compliance[2])];
  const fs = [d.norms[0], Math.sqrt(d.norms[0] * d.norms[1]), d.norms[1]];
  let g = 0;
  let f = 0;
  for (let k = 0; k < 3; k++) {
    g = Math.max(g, Math.abs(s.compliance[k] - d.compliance[k]) / gs[k]);
    f = Math.max(f, Math.abs(s.floppy[k] - d.floppy[k]) / fs[k]);
  }
  return { g, f };
}

function compare(net: SpringNetwork, pairsList: [NodePair, NodePair][], floppy: number): void {
  const solver = new StrainSolver(net);
  for (const pairs of pairsList) {
    const d = denseStrainPairGram(net, pairs, symmetricEigen);
    const s = sparseStrainPairGram(net, pairs, { solver });
    expect(d.modes.floppyModes, `${net.name}: dense floppy count`).toBe(floppy);
    expect(s.modes.floppyModes, `${net.name}: sparse floppy count`).toBe(floppy);
    expect(s.modes.zeroModes).toBe(d.modes.zeroModes);
    expect(s.modes.rigidModes).toBe(d.modes.rigidModes);
    expect(s.modes.route).toBe('sparse-cholesky');
    expect(s.modes.converged).toBe(true);
    expect(s.modes.residual!).toBeLessThan(1e-10);
    const dev = deviation(s, d);
    expect(dev.g, `${net.name} ${JSON.stringify(pairs)}: compliance`).toBeLessThan(1e-10);
    expect(dev.f, `${net.name} ${JSON.stringify(pairs)}: floppy part`).toBeLessThan(1e-10);
    // and what the analysis makes of them: the same floppy verdicts, T* and variances
    for (const si of [0, 1] as const) {
      const t = task(pairs[si], pairs[1 - si], { sourceStrain: 0.01 });
      const a = thermalAnalysis(net, t, { gram: si === 0 ? d : swap(d), temperatures: [1e-6] }).directions[0];
      const b = thermalAnalysis(net, t, { gram: si === 0 ? s : swap(s), temperatures: [1e-6] }).directions[0];
      expect(b.floppy).toEqual(a.floppy);
      expect(b.crossoverReason).toBe(a.crossoverReason);
      for (const key of ['varianceWith', 'varianceWithout', 'crossover'] as const) {
        if (Number.isFinite(a[key]) && a[key] > 0) expect(Math.abs(b[key] / a[key] - 1), `${key}`).toBeLessThan(1e-8);
        else expect(b[key]).toBe(a[key]);
      }
    }
  }
}

/** The same Gram with the pairs swapped (source <-> target), so a task in the other orientation can take it. */
function swap(g: StrainPairGram): StrainPairGram {
  return { ...g, pairs: [g.pairs[1], g.pairs[0]], compliance: [g.compliance[2], g.compliance[1], g.compliance[0]], floppy: [g.floppy[2], g.floppy[1], g.floppy[0]], lengths: [g.lengths[1], g.lengths[0]], norms: [g.norms[1], g.norms[0]] };
}

describe('sparse strain Gram = dense normal modes', () => {
  it('rigid networks: the 5 x 6 test patch and a jammed packing of 64 disks', () => {
    compare(langevinPatch(), [[[6, 18], [13, 25]], [[0, 29], [3, 4]], [[12, 13], [14, 20]]], 0);
    const jam = jammedSprings({ disks: 64, seed: 2 }).network;
    expect(jam.nodes).toBeGreaterThan(20);
    const far = jam.nodes - 1;
    compare(jam, [[[jam.edgeA[0], jam.edgeB[0]], [far, jam.edgeA[jam.edgeA.length - 1] === far ? jam.edgeB[jam.edgeA.length - 1] : jam.edgeA[jam.edgeA.length - 1]]], [[0, 5], [7, far]]], 0);
  });

  it('networks with floppy modes: square, pentagon, a diluted triangular patch, a generated lattice below rigidity', () => {
    compare(springNet('square', 2, [[0, 0], [1, 0], [1, 1], [0, 1]], [[0, 1], [1, 2], [2, 3], [3, 0]], [1, 2, 0.5, 4]), [[[0, 2], [1, 3]], [[0, 2], [0, 1]]], 1);
    const pts = Array.from({ length: 5 }, (_, i) => [Math.cos((2 * Math.PI * i) / 5), Math.sin((2 * Math.PI * i) / 5)]);
    compare(springNet('pentagon', 2, pts, [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]]), [[[0, 2], [1, 3]], [[0, 2], [0, 1]]], 2);
    // a patch with bonds cut so that flaps and a hinge appear (floppy count measured by both routes, asserted equal)
    const patch = triangularPatch(5, 6, { disorder: 0.08, removed: [5, 17, 30, 41, 52, 60, 1, 2, 8, 20, 33, 45], seed: 3 });
    const dense = denseStrainPairGram(patch, [[6, 18], [13, 25]], symmetricEigen);
    expect(dense.modes.floppyModes).toBeGreaterThan(0);
    compare(patch, [[[6, 18], [13, 25]], [[0, 1], [28, 29]], [[0, 7], [22, 23]], [[1, 2], [0, 6]]], dense.modes.floppyModes);
    // a generated rigid lattice (Z 4.2) with every fifth spring cut: below rigidity
    const gen = triangularSprings({ rows: 8, cols: 8, coordination: 4.2, disorder: 0.1, seed: 5 }).network;
    const keep = Array.from(gen.edgeA, (_, e) => e).filter((e) => e % 5 !== 2);
    const lattice: SpringNetwork = { ...gen, name: 'triangular 8x8 cut', edgeA: Int32Array.from(keep, (e) => gen.edgeA[e]), edgeB: Int32Array.from(keep, (e) => gen.edgeB[e]), stiffness: Float64Array.from(keep, (e) => 0.5 + (e % 7) / 7), restLength: Float64Array.from(keep, (e) => gen.restLength[e]) };
    const dl = denseStrainPairGram(lattice, [[0, 9], [54, 63]], symmetricEigen);
    expect(dl.modes.floppyModes).toBeGreaterThan(0);
    compare(lattice, [[[0, 9], [54, 63]], [[lattice.edgeA[3], lattice.edgeB[3]], [lattice.edgeA[70], lattice.edgeB[70]]]], dl.modes.floppyModes);
  });

  it('3D: a random network on a jittered cubic lattice, rigid (every neighbour within 1.5 spacings), and with hinged flaps (floppy)', () => {
    const rng = new Rng(11);
    const pts: number[][] = [];
    const m = 4;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) for (let k = 0; k < m; k++) pts.push([i + 0.15 * rng.next(), j + 0.15 * rng.next(), k + 0.15 * rng.next()]);
    const all: [number, number][] = [];
    for (let a = 0; a < pts.length; a++) for (let b = a + 1; b < pts.length; b++) if (Math.hypot(...pts[a].map((v, c) => v - pts[b][c])) < 1.5) all.push([a, b]);
    const k = all.map(() => 0.5 + rng.next());
    const rigid = springNet('cubic 4^3', 3, pts, all, k);
    compare(rigid, [[[0, 1], [62, 63]], [[0, 21], [42, 63]]], 0);
    // three flaps: extra nodes hinged on two springs each (3 floppy rotations about the hinge lines); a pair from a flap
    // node to a node other than its hinges couples to floppy modes
    const flapPts = [...pts, [-0.8, 0.5, 0.2], [3.9, 4.2, 1.5], [1.4, -0.9, 3.1]];
    const flapEdges: [number, number][] = [...all, [64, 0], [64, 1], [65, 62], [65, 63], [66, 2], [66, 3]];
    const flaps = springNet('cubic 4^3 with flaps', 3, flapPts, flapEdges, flapEdges.map(() => 0.5 + rng.next()));
    compare(flaps, [[[0, 64], [62, 63]], [[64, 5], [65, 40]], [[64, 66], [0, 63]], [[0, 21], [42, 63]], [[1, 64], [0, 2]]], 3);
    const g = sparseStrainPairGram(flaps, [[64, 5], [65, 40]]);
    expect(g.floppy[0]).toBeGreaterThan(1e-3 * g.norms[0]);
    expect(g.floppy[2]).toBeGreaterThan(1e-3 * g.norms[1]);
  });
});

describe('the sparse route alone against hand-worked numbers', () => {
  it('rhombus (two triangles): mean -s/3, Var without = sum 1/k / 9, with = sum_outer 1/k / 9, T* in closed form', () => {
    const h = Math.sqrt(3) / 2;
    const k = [2, 1, 1.5, 0.5, 3];
    const net = springNet('rhombus', 2, [[0.5, -h], [0, 0], [1, 0], [0.5, h]], [[1, 2], [1, 3], [2, 3], [0, 1], [0, 2]], k);
    const s = 0.02;
    const r = thermalAnalysis(net, task([1, 2], [0, 3], { sourceStrain: s }), { route: 'sparse', temperatures: [1e-5] });
    expect(r.route.used).toBe('sparse-cholesky');
    const d = r.directions[0];
    const sumAll = 4.5;
    const sumOuter = 4;
    expect(d.response).toBeCloseTo(-s / 3, 13);
    expect(d.varianceWithout).toBeCloseTo(sumAll / 9, 13);
    expect(d.varianceWith).toBeCloseTo(sumOuter / 9, 13);
    expect(d.crossover / ((s / 3) ** 2 / (Math.sqrt(sumOuter / 9) + Math.sqrt(sumAll / 9)) ** 2)).toBeCloseTo(1, 12);
  });
});

describe('route choice', () => {
  it('auto: dense up to denseMaxDof when an eigensolver is given, sparse above it or without one; the result says why', () => {
    const net = langevinPatch(); // 60 dof
    const t = task([6, 18], [13, 25]);
    const a = thermalAnalysis(net, t, { eigen: symmetricEigen, temperatures: [1] });
    expect(a.route.used).toBe('dense-modes');
    expect(a.route.reason).toMatch(/60 degrees of freedom <= 600/);
    const b = thermalAnalysis(net, t, { eigen: symmetricEigen, denseMaxDof: 59, temperatures: [1] });
    expect(b.route.used).toBe('sparse-cholesky');
    expect(b.route.reason).toMatch(/60 degrees of freedom > 59/);
    expect(thermalAnalysis(net, t, { temperatures: [1] }).route.reason).toMatch(/no dense eigensolver/);
    expect(b.directions[0].crossover / a.directions[0].crossover).toBeCloseTo(1, 10);
    expect(() => thermalAnalysis(net, t, { route: 'dense' })).toThrow(InvalidInputError);
  });

  it('a reused solver gives the Gram of its current stiffnesses (after setStiffness), equal to the dense Gram of that network', () => {
    const net = langevinPatch();
    const solver = new StrainSolver(net);
    const k2 = net.stiffness.map((k, e) => k * (1 + 0.5 * Math.sin(e)));
    solver.setStiffness(k2);
    const s = sparseStrainPairGram(net, [[6, 18], [13, 25]], { solver });
    const d = denseStrainPairGram({ ...net, stiffness: k2 }, [[6, 18], [13, 25]], symmetricEigen);
    expect(deviation(s, d).g).toBeLessThan(1e-10);
    expect(() => sparseStrainPairGram({ ...net }, [[6, 18], [13, 25]], { solver })).toThrow(InvalidInputError);
  });
});
