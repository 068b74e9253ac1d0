/**
 * The learned-structure diagnostics on spring networks, through the shared NetworkKind interface, against independent
 * truth: hand-worked spectra, the dense stiffness matrix's eigenvalues (symmetricEigen), a mode built to be localised,
 * central finite differences of the target strain and of the exact gradient, and the eta -> 0 limit of coupled
 * learning's contrast (derived in springCost.ts) with the target stiffness measured from clamped-state energies.
 */
import { describe, expect, it } from 'vitest';
import { kindCoupling, kindSoftModes, kindSpectrum, resistorKind, springKind, springOperator } from '../../src/diagnostics/NetworkKind.js';
import { localiseModes, nodeWeights } from '../../src/diagnostics/localisedModes.js';
import { binariseModes } from '../../src/diagnostics/modeRegions.js';
import { physicalSpectrum } from '../../src/diagnostics/physicalSpectrum.js';
import { springCostHessian, springFidelity } from '../../src/diagnostics/springCost.js';
import { symmetricEigen } from '../../src/diagnostics/symmetricEigen.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { StrainSolver } from '../../src/physics/springs/StrainSolver.js';
import type { StrainTask } from '../../src/physics/springs/StrainTask.js';
import { strainCostGradient, targetStrainGradient } from '../../src/physics/springs/strainGradient.js';
import { denseStiffnessMatrix, stiffnessTimes } from '../../src/physics/springs/stiffnessMatrix.js';
import { springNet, triangularPatch } from '../physics/springs/springTestNetworks.js';

/** Eigenvalues of the dense stiffness matrix above 1e-10 of the largest: the nonzero spectrum, by a threshold. */
function denseNonzero(net: Parameters<typeof denseStiffnessMatrix>[0]): { nonzero: number[]; zeros: number } {
  const n = net.dim * net.nodes;
  const ev = Array.from(symmetricEigen(denseStiffnessMatrix(net), n, { vectors: false }).values);
  const top = Math.max(...ev);
  const nonzero = ev.filter((v) => v > 1e-10 * top);
  return { nonzero, zeros: n - nonzero.length };
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    s = Math.max(s, Math.abs(b[i]));
  }
  return d / s;
}

describe('spring spectrum through the NetworkKind interface', () => {
  it('a collinear 3-node chain in 2D: nonzero eigenvalues 1 and 3 (the x-path Laplacian), 3 rigid + 1 floppy excluded', () => {
    const net = springNet(2, [[0, 0], [1, 0], [2, 0]], [[0, 1], [1, 2]]);
    for (const method of ['dense', 'lanczos'] as const) {
      const lo = kindSpectrum(springKind(net), { which: 'lowest', k: 2, method });
      expect(lo.zeroModes).toEqual({ count: 4, rigid: 3, floppy: 1, treatment: 'excluded' });
      expect(lo.values[0]).toBeCloseTo(1, 12);
      expect(lo.values[1]).toBeCloseTo(3, 12);
      // the vectors: pure x displacements, (1, 0, -1)/sqrt2 and (1, -2, 1)/sqrt6
      const v = lo.vectors[0];
      expect(v.length).toBe(6);
      for (const i of [1, 3, 5]) expect(Math.abs(v[i])).toBeLessThan(1e-12);
      expect(Math.abs(v[0] + v[4])).toBeLessThan(1e-12);
      expect(Math.abs(Math.abs(v[0]) - Math.SQRT1_2)).toBeLessThan(1e-12);
    }
    const all = kindSpectrum(springKind(net), { which: 'all' });
    expect(Array.from(all.values).map((x) => +x.toFixed(12))).toEqual([1, 3]);
  });

  it('a diluted triangular patch with floppy modes: the free-space spectrum equals the nonzero eigenvalues of the dense stiffness matrix', () => {
    const net = triangularPatch(7, 7, { disorder: 0.15, keep: 0.72, seed: 5 });
    const kind = springKind(net);
    const truth = denseNonzero(net);
    expect(kind.solver.zeroModes.floppy).toBeGreaterThan(0);
    expect(kind.solver.zeroModes.count).toBe(truth.zeros);
    const all = kindSpectrum(kind, { which: 'all' });
    expect(all.values.length).toBe(truth.nonzero.length);
    expect(relErr(all.values, truth.nonzero)).toBeLessThan(1e-10);
    const lo = kindSpectrum(kind, { which: 'lowest', k: 6, method: 'lanczos' });
    expect(lo.converged).toBe(true);
    expect(relErr(lo.values, truth.nonzero.slice(0, 6))).toBeLessThan(1e-8);
    const hi = kindSpectrum(kind, { which: 'highest', k: 4, method: 'lanczos' });
    expect(relErr(hi.values, truth.nonzero.slice(-4))).toBeLessThan(1e-8);
    // every vector: H v = lambda v (from the edge list) and orthogonal to every zero mode
    const n = 2 * net.nodes;
    const Q = kind.solver.zeroModes.basis;
    for (const s of [lo, hi]) {
      s.vectors.forEach((v, j) => {
        const hv = stiffnessTimes(net, kind.solver.directions, net.stiffness, v);
        let r = 0;
        for (let i = 0; i < n; i++) r = Math.max(r, Math.abs(hv[i] - s.values[j] * v[i]));
        expect(r).toBeLessThan(1e-8 * truth.nonzero[truth.nonzero.length - 1]);
        for (let z = 0; z < kind.solver.zeroModes.count; z++) {
          let d = 0;
          for (let i = 0; i < n; i++) d += Q[z * n + i] * v[i];
          expect(Math.abs(d)).toBeLessThan(1e-8);
        }
      });
    }
  });

  it('the pseudo-inverse inverts H on the complement of its zero modes', () => {
    const net = triangularPatch(5, 5, { disorder: 0.2, keep: 0.8, seed: 2 });
    const kind = springKind(net);
    const op = springOperator(net, kind.solver);
    const n = op.rows;
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(1.7 * i + 0.3));
    for (const q of op.nullVectors) {
      let d = 0;
      for (let i = 0; i < n; i++) d += q[i] * x[i];
      for (let i = 0; i < n; i++) x[i] -= d * q[i];
    }
    const y = new Float64Array(n);
    const hy = new Float64Array(n);
    op.pseudoInverse().apply(x, y);
    op.matvec(y, hy);
    expect(relErr(hy, x)).toBeLessThan(1e-10);
  });

  it('resistor networks: the kind gives physicalSpectrum exactly', () => {
    const net = latticeNetwork({ rows: 5, cols: 5 });
    const task = { sources: Int32Array.from([0]), ground: Int32Array.from([24]), targets: Int32Array.from([12]), train: [], test: [] } as never;
    const a = kindSpectrum(resistorKind(net, task), { which: 'lowest', k: 5, method: 'lanczos' });
    const b = physicalSpectrum(net, { task, which: 'lowest', k: 5, method: 'lanczos' });
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    expect(Array.from(a.nodes)).toEqual(Array.from(b.nodes));
    a.vectors.forEach((v, j) => expect(Array.from(v)).toEqual(Array.from(b.vectors[j])));
  });
});

describe('localised modes with d components per node', () => {
  it('recovers two displacement fields built to sit on single nodes, from their mixtures', () => {
    // 3D positions; mode a moves node 0 only (components 0.6, 0.8, 0), b moves node 7 only (0, 1/sqrt2, -1/sqrt2)
    const N = 8;
    const positions = Float64Array.from({ length: 3 * N }, (_, i) => [i % 3 === 0 ? Math.floor(i / 3) : 0, i % 3 === 1 ? 0.5 * (Math.floor(i / 3) % 2) : 0, i % 3 === 2 ? 0.1 * Math.floor(i / 3) : 0][i % 3]);
    const a = new Float64Array(3 * N);
    a.set([0.6, 0.8, 0], 0);
    const b = new Float64Array(3 * N);
    b.set([0, Math.SQRT1_2, -Math.SQRT1_2], 21);
    const c = Math.cos(0.4);
    const s = Math.sin(0.4);
    const mixed = [Float64Array.from(a, (x, i) => c * x + s * b[i]), Float64Array.from(a, (x, i) => -s * x + c * b[i])];
    const r = localiseModes(mixed, positions, { components: 3, dim: 3 });
    expect(r.initialSpread).toBeGreaterThan(1);
    expect(r.totalSpread).toBeLessThan(1e-20);
    const found = r.vectors.map((v) => [Math.abs(v.reduce((t, x, i) => t + x * a[i], 0)), Math.abs(v.reduce((t, x, i) => t + x * b[i], 0))]);
    expect(Math.max(found[0][0], found[0][1])).toBeCloseTo(1, 12);
    expect(Math.max(found[1][0], found[1][1])).toBeCloseTo(1, 12);
    // centres at the nodes' positions
    const centres = [0, 1].map((i) => Array.from(r.centre.slice(3 * i, 3 * i + 3)));
    const at = (node: number): number[] => Array.from(positions.slice(3 * node, 3 * node + 3));
    const sorted = centres.sort((p, q) => p[0] - q[0]);
    sorted[0].forEach((x, d) => expect(x).toBeCloseTo(at(0)[d], 12));
    sorted[1].forEach((x, d) => expect(x).toBeCloseTo(at(7)[d], 12));
    // regions: node weights summed over the 3 components
    const regions = binariseModes(r, Int32Array.from([0, 3]), Int32Array.from([3, 7]), { components: 3 });
    expect(regions.region[0]).not.toBe(regions.region[7]);
    expect(regions.region[0]).toBeGreaterThanOrEqual(0);
    expect(regions.region[3]).toBe(-1);
  });

  it('the spread is the variance of the node weights sum_c psi_(i,c)^2 over the positions', () => {
    const N = 5;
    const positions = Float64Array.from([0, 0, 1, 0, 2, 1, 0, 3, 4, 4]);
    const psi = Float64Array.from({ length: 2 * N }, (_, i) => Math.cos(i + 0.5));
    const nrm = Math.hypot(...psi);
    for (let i = 0; i < psi.length; i++) psi[i] /= nrm;
    const w = nodeWeights(psi, 2);
    let mx = 0;
    let my = 0;
    for (let i = 0; i < N; i++) {
      mx += w[i] * positions[2 * i];
      my += w[i] * positions[2 * i + 1];
    }
    let v = 0;
    for (let i = 0; i < N; i++) v += w[i] * ((positions[2 * i] - mx) ** 2 + (positions[2 * i + 1] - my) ** 2);
    const r = localiseModes([psi], positions, { components: 2, dim: 2 });
    expect(r.spread[0]).toBeCloseTo(v, 12);
  });

  it('a spring network: soft modes localised and binarised with the node positions', () => {
    const net = triangularPatch(8, 8, { disorder: 0.1, keep: 0.9, seed: 3 });
    const kind = springKind(net);
    const lo = kindSpectrum(kind, { which: 'lowest', k: 6 });
    const l = kindSoftModes(kind, lo, net.positions)!;
    expect(l.basis.totalSpread).toBeLessThanOrEqual(l.basis.initialSpread * (1 + 1e-12));
    expect(l.regions.region.length).toBe(net.nodes);
    expect(l.frequency.f.length).toBe(net.edgeA.length);
  });
});

describe('the per-edge learning signal of springs', () => {
  it('ext_e(psi)^2 is d(psi^T H psi)/dk_e (central differences)', () => {
    const net = triangularPatch(4, 4, { disorder: 0.2, seed: 4 });
    const kind = springKind(net);
    const n = 2 * net.nodes;
    const psi = Float64Array.from({ length: n }, (_, i) => Math.sin(0.9 * i));
    const s = kind.edgeSignal(psi);
    const quad = (k: Float64Array): number => stiffnessTimes(net, kind.solver.directions, k, psi).reduce((t, x, i) => t + x * psi[i], 0);
    for (let e = 0; e < net.edgeA.length; e++) {
      const kp = net.stiffness.slice();
      const km = net.stiffness.slice();
      kp[e] += 1e-3;
      km[e] -= 1e-3;
      expect((quad(kp) - quad(km)) / 2e-3).toBeCloseTo(s[e], 8);
    }
  });
});

describe('spring cost Hessian and gradient fidelity', () => {
  const net = triangularPatch(5, 5, { disorder: 0.15, seed: 7 });
  const task: StrainTask = { source: [0, 6], target: [18, 24], sourceStrain: 1, delta: 0.3, cooperative: false, lambda: 0 };

  function targetStrain(k: Float64Array, t: StrainTask, d = 0): number {
    const s = new StrainSolver({ ...net, stiffness: k });
    const dir = d === 0 ? { source: t.source, target: t.target } : { source: t.target, target: t.source };
    return targetStrainGradient(s, dir, t.sourceStrain).targetStrain;
  }

  it('the Jacobian is the finite difference of the target strain; Gauss-Newton is J^T J; the full Hessian is the difference of the exact gradient', () => {
    for (const t of [task, { ...task, cooperative: true }]) {
      const solver = new StrainSolver(net);
      const h = springCostHessian(solver, t);
      const E = net.edgeA.length;
      expect(h.examples).toBe(t.cooperative ? 2 : 1);
      const step = 1e-5;
      let worstJ = 0;
      let scaleJ = 0;
      for (let d = 0; d < h.examples; d++) {
        for (let e = 0; e < E; e++) {
          const kp = net.stiffness.slice();
          const km = net.stiffness.slice();
          kp[e] += step;
          km[e] -= step;
          const fd = (targetStrain(kp, t, d) - targetStrain(km, t, d)) / (2 * step);
          worstJ = Math.max(worstJ, Math.abs(fd - h.jacobian[d * E + e]));
          scaleJ = Math.max(scaleJ, Math.abs(fd));
        }
      }
      expect(worstJ / scaleJ).toBeLessThan(1e-7);
      // Gauss-Newton = sum_d J_d J_d^T
      let gnErr = 0;
      for (let i = 0; i < E; i++) {
        for (let j = 0; j < E; j++) {
          let s = 0;
          for (let d = 0; d < h.examples; d++) s += h.jacobian[d * E + i] * h.jacobian[d * E + j];
          gnErr = Math.max(gnErr, Math.abs(s - h.gaussNewton[i * E + j]));
        }
      }
      expect(gnErr).toBeLessThan(1e-14 * Math.max(...h.gaussNewton.map(Math.abs)));
      // full Hessian: central differences of the exact gradient, column by column
      let worst = 0;
      let scale = 0;
      for (let j = 0; j < E; j++) {
        const kp = net.stiffness.slice();
        const km = net.stiffness.slice();
        kp[j] += step;
        km[j] -= step;
        const gp = strainCostGradient(new StrainSolver({ ...net, stiffness: kp }), t).gradient;
        const gm = strainCostGradient(new StrainSolver({ ...net, stiffness: km }), t).gradient;
        for (let i = 0; i < E; i++) {
          const fd = (gp[i] - gm[i]) / (2 * step);
          worst = Math.max(worst, Math.abs(fd - h.full![i * E + j]));
          scale = Math.max(scale, Math.abs(fd));
        }
      }
      expect(worst / scale).toBeLessThan(1e-6);
    }
  });

  it('coupled learning on an allosteric task: cosine -> 1 and norm ratio -> the target stiffness kappa as eta -> 0', () => {
    const solver = new StrainSolver(net);
    const etas = [0.1, 0.01, 0.001, 0.0001];
    const f = springFidelity(solver, task, etas);
    // kappa from clamped-state energies: E(eps_T^F + delta) - E(eps_T^F) = kappa delta^2 / 2 (the free state minimises E in eps_T)
    const free = solver.freeState(task, task.sourceStrain);
    const epsF = solver.strain(free.displacements, task.target[0], task.target[1]);
    const dE = 1e-3;
    const Ec = solver.solve([{ pair: task.source, strain: 1 }, { pair: task.target, strain: epsF + dE }]).energy;
    const kappa = (2 * (Ec - free.energy)) / (dE * dE);
    const gap = f.map((r) => 1 - r.cosine);
    // report
    console.log('spring CL fidelity (allostery):', f.map((r) => `eta ${r.parameter}: cos ${r.cosine.toFixed(8)}, |g_CL|/|dC/dk| ${r.normRatio.toPrecision(6)}`).join('; '), `kappa ${kappa.toPrecision(6)}`);
    for (let i = 1; i < etas.length; i++) expect(gap[i]).toBeLessThan(gap[i - 1]);
    expect(gap[etas.length - 1]).toBeLessThan(1e-6);
    expect(Math.abs(f[etas.length - 1].normRatio / kappa - 1)).toBeLessThan(1e-3);
    // the approach is linear in eta: the norm ratio's deviation shrinks 10x per decade
    const dev = f.map((r) => Math.abs(r.normRatio / kappa - 1));
    expect(dev[2] / dev[1]).toBeGreaterThan(0.05);
    expect(dev[2] / dev[1]).toBeLessThan(0.2);
  });

  it('cooperative: each direction tends to its own kappa times its gradient, so the summed cosine tends to a limit below 1', () => {
    const solver = new StrainSolver(net);
    const t = { ...task, cooperative: true };
    const etas = [0.1, 0.001, 0.0001];
    const f = springFidelity(solver, t, etas);
    // the limit, independently: kappa_d from clamped-state energies per direction, g_d from the exact gradient
    const exact = strainCostGradient(solver, t);
    const dirs = [{ source: t.source, target: t.target }, { source: t.target, target: t.source }];
    const kappa = dirs.map((dir) => {
      const free = solver.freeState(dir, 1);
      const epsF = solver.strain(free.displacements, dir.target[0], dir.target[1]);
      const Ec = solver.solve([{ pair: dir.source, strain: 1 }, { pair: dir.target, strain: epsF + 1e-3 }]).energy;
      return (2 * (Ec - free.energy)) / 1e-6;
    });
    const E = net.edgeA.length;
    const limit = new Float64Array(E);
    exact.directions.forEach((d, i) => {
      const err = d.targetStrain - t.delta;
      for (let e = 0; e < E; e++) limit[e] += kappa[i] * err * d.gradient[e];
    });
    const cosLimit = limit.reduce((s, x, e) => s + x * exact.gradient[e], 0) / (Math.hypot(...limit) * Math.hypot(...exact.gradient));
    console.log('spring CL fidelity (cooperative):', f.map((r) => `eta ${r.parameter}: cos ${r.cosine.toFixed(6)}; per direction ${r.perExample.map((p) => p.cosine.toFixed(6)).join(', ')}`).join('; '), `kappa ${kappa.map((k) => k.toPrecision(5)).join(', ')}, predicted limit ${cosLimit.toFixed(6)}`);
    for (let d = 0; d < 2; d++) expect(1 - f[2].perExample[d].cosine).toBeLessThan(1 - f[1].perExample[d].cosine);
    for (const p of f[2].perExample) expect(1 - p.cosine).toBeLessThan(1e-4);
    expect(Math.abs(f[2].cosine - cosLimit)).toBeLessThan(1e-4);
    expect(cosLimit).toBeLessThan(0.999);
  });

  it('the coupling of the spring cost Hessian goes through the squared extensions of the soft modes', () => {
    const kind = springKind(net, task);
    const h = kind.cost!.hessian();
    const lo = kindSpectrum(kind, { which: 'lowest', k: 6 });
    const c = kindCoupling(kind, h.full!, lo);
    const sig = kind.edgeSignal(lo.vectors[c.best.softMode]);
    const nrm = Math.hypot(...sig);
    const v = c.stiff.vectors[c.best.stiffMode];
    const cos = Math.abs(v.reduce((t, x, e) => t + (x * sig[e]) / nrm, 0));
    expect(cos).toBeCloseTo(c.best.cosine, 12);
  });
});
