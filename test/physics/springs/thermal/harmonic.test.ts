import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../../../src/diagnostics/symmetricEigen.js';
import { InvalidInputError } from '../../../../src/errors.js';
import { Rng } from '../../../../src/physics/Rng.js';
import type { SpringNetwork } from '../../../../src/physics/springs/SpringNetwork.js';
import type { StrainTask } from '../../../../src/physics/springs/StrainTask.js';
import { denseStiffnessMatrix, strainVector } from '../../../../src/physics/springs/stiffnessMatrix.js';
import {
  crossoverOnGrid,
  harmonicStrainThermal,
  logTemperatureGrid,
  strainStatisticsAt,
  thermalAnalysis,
} from '../../../../src/physics/springs/thermal/harmonicThermal.js';
import { denseStrainPairGram, type NodePair } from '../../../../src/physics/springs/thermal/strainGram.js';
import { langevinPatch, springNet } from './springPatch.js';

const task = (source: NodePair, target: NodePair, extra: Partial<StrainTask> = {}): StrainTask => ({
  source,
  target,
  sourceStrain: 1,
  delta: 0,
  cooperative: false,
  lambda: 0,
  ...extra,
});

/**
 * Two equilateral triangles (side 1) sharing the edge 1-2: nodes 1 = (0,0), 2 = (1,0), 3 above, 0 below. 5 springs on
 * 8 - 3 = 5 non-rigid degrees of freedom: statically determinate, so the 5 extensions are independent coordinates and
 * at temperature T each is N(0, T / k_e). The long diagonal 0-3 (length sqrt 3), by hand (heights of 0 and 3 over the
 * line 1-2 as functions of the side lengths): eps_03 = (a + b + a' + b' - c) / 3 with a, b, a', b' the outer edges'
 * strains and c the shared edge's.
 */
function rhombus(): { net: SpringNetwork; k: number[] } {
  const h = Math.sqrt(3) / 2;
  const k = [2, 1, 1.5, 0.5, 3]; // edges: [1,2] (shared), [1,3], [2,3], [0,1], [0,2]
  const net = springNet('rhombus', 2, [[0.5, -h], [0, 0], [1, 0], [0.5, h]], [[1, 2], [1, 3], [2, 3], [0, 1], [0, 2]], k);
  return { net, k };
}

describe('harmonic thermal statistics: hand-worked cases', () => {
  it('rhombus, source = the shared edge, target = the long diagonal: mean -s/3, Var = T/9 sum 1/k (without), T/9 sum_outer 1/k (with)', () => {
    const { net, k } = rhombus();
    const s = 0.02;
    const r = thermalAnalysis(net, task([1, 2], [0, 3], { sourceStrain: s }), { eigen: symmetricEigen, temperatures: [1e-5] });
    expect(r.modes.zeroModes).toBe(3);
    expect(r.modes.floppyModes).toBe(0);
    const d = r.directions[0];
    const sumAll = k.reduce((a, b) => a + 1 / b, 0); // 4.5
    const sumOuter = sumAll - 1 / k[0]; // 4
    expect(d.response).toBeCloseTo(-s / 3, 13);
    expect(d.slope).toBeCloseTo(-1 / 3, 13);
    expect(d.varianceWithout).toBeCloseTo(sumAll / 9, 13);
    expect(d.varianceWith).toBeCloseTo(sumOuter / 9, 13);
    const tStar = (s / 3) ** 2 / (Math.sqrt(sumOuter / 9) + Math.sqrt(sumAll / 9)) ** 2;
    expect(d.crossover / tStar).toBeCloseTo(1, 12);
    expect(d.crossoverReason).toBe('crossing');
    expect(d.grid[0].sigmaWith).toBeCloseTo(Math.sqrt((1e-5 * sumOuter) / 9), 14);
    expect(d.grid[0].meanWithout).toBe(0);
  });

  it('rhombus, cooperative: B -> A by hand (slope Cov/Var = -(1/6)/(1/2) = -1/3, Var = 1/2 - 1/18 = 4/9), and an outer source edge', () => {
    const { net, k } = rhombus();
    const r = thermalAnalysis(net, task([1, 2], [0, 3], { cooperative: true }), { eigen: symmetricEigen, temperatures: [1] });
    expect(r.directions.map((d) => [d.source, d.target])).toEqual([[[1, 2], [0, 3]], [[0, 3], [1, 2]]]);
    const back = r.directions[1];
    expect(back.slope).toBeCloseTo(-1 / 3, 13);
    expect(back.varianceWithout).toBeCloseTo(1 / k[0], 13);
    expect(back.varianceWith).toBeCloseTo(4 / 9, 13);
    // source = outer edge [0, 1]: mean = +s/3, Var_with = (sum_all - 1/k_01)/9
    const outer = thermalAnalysis(net, task([0, 1], [0, 3]), { eigen: symmetricEigen, temperatures: [1] }).directions[0];
    expect(outer.slope).toBeCloseTo(1 / 3, 13);
    expect(outer.varianceWith).toBeCloseTo((4.5 - 1 / k[3]) / 9, 13);
  });

  it('triangle: two edges are independent coordinates, so no response (T* = 0) and Var eps = T / (k l^2) with or without input', () => {
    const net = springNet('triangle', 2, [[0, 0], [2, 0], [0.7, 1.5]], [[0, 1], [1, 2], [2, 0]], [1, 3, 2]);
    const d = thermalAnalysis(net, task([0, 1], [1, 2]), { eigen: symmetricEigen, temperatures: [0.1] }).directions[0];
    const l2 = 1.3 ** 2 + 1.5 ** 2;
    expect(d.varianceWithout).toBeCloseTo(1 / (3 * l2), 13);
    expect(d.varianceWith).toBeCloseTo(1 / (3 * l2), 13);
    expect(Math.abs(d.response)).toBeLessThan(1e-14);
    expect(d.crossover).toBe(0);
    expect(d.crossoverReason).toBe('no-response');
    expect(d.grid[0].resolved).toBe(false);
  });

  it('square without diagonals (one floppy shear mode): the diagonals move oppositely, so with input mean = -s, Var = T/4 sum 1/k; without, infinite; T* = 0', () => {
    const k = [1, 2, 0.5, 4];
    const net = springNet('square', 2, [[0, 0], [1, 0], [1, 1], [0, 1]], [[0, 1], [1, 2], [2, 3], [3, 0]], k);
    const s = 0.01;
    const r = thermalAnalysis(net, task([0, 2], [1, 3], { sourceStrain: s }), { eigen: symmetricEigen, temperatures: [1e-3] });
    expect(r.modes.zeroModes).toBe(4);
    expect(r.modes.floppyModes).toBe(1);
    const d = r.directions[0];
    expect(d.floppy).toEqual({ source: true, target: true, determinedBySource: true });
    expect(d.response).toBeCloseTo(-s, 12);
    // eps_02 + eps_13 does not see the shear; by symmetry each side's strain enters with weight 1/2 (uniform dilation: 2 = 4 w)
    expect(d.varianceWith).toBeCloseTo(k.reduce((a, b) => a + 1 / b, 0) / 4, 10);
    expect(d.varianceWithout).toBe(Infinity);
    expect(d.crossover).toBe(0);
    expect(d.crossoverReason).toBe('floppy');
    expect(d.grid[0].sigmaWithout).toBe(Infinity);
    expect(d.grid[0].resolved).toBe(false);
    // a side as the target: it does not see the shear, the diagonal source only fixes the shear: no response
    const side = thermalAnalysis(net, task([0, 2], [0, 1]), { eigen: symmetricEigen, temperatures: [1] }).directions[0];
    expect(side.floppy).toEqual({ source: true, target: false, determinedBySource: true });
    expect(side.response).toBe(0);
    expect(side.varianceWith).toBeCloseTo(1 / k[0], 12);
    expect(side.varianceWithout).toBeCloseTo(1 / k[0], 12);
    expect(side.crossoverReason).toBe('no-response');
  });

  it('pentagon ring (two floppy modes): one diagonal cannot fix another, the variance with input stays infinite', () => {
    const pts = Array.from({ length: 5 }, (_, i) => [Math.cos((2 * Math.PI * i) / 5), Math.sin((2 * Math.PI * i) / 5)]);
    const net = springNet('pentagon', 2, pts, [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0]]);
    const r = thermalAnalysis(net, task([0, 2], [1, 3]), { eigen: symmetricEigen, temperatures: [1] });
    expect(r.modes.floppyModes).toBe(2);
    const d = r.directions[0];
    expect(d.floppy.determinedBySource).toBe(false);
    expect(d.varianceWith).toBe(Infinity);
    expect(d.varianceWithout).toBe(Infinity);
    expect(d.crossover).toBe(0);
  });
});

/** Strain functional as a dense vector. */
function strainDense(net: SpringNetwork, pair: NodePair): Float64Array {
  const c = new Float64Array(net.dim * net.nodes);
  const { dofs, coefficients } = strainVector(net, pair[0], pair[1]);
  dofs.forEach((d, k) => (c[d] += coefficients[k]));
  return c;
}

const dot = (a: Float64Array, b: Float64Array): number => a.reduce((s, v, i) => s + v * b[i], 0);

describe('harmonic thermal statistics: against direct sampling of mode amplitudes', () => {
  const net = langevinPatch();
  const S: NodePair = [6, 18];
  const Tg: NodePair = [13, 25];
  const n = 2 * net.nodes;
  const H = denseStiffnessMatrix(net);
  const cS = strainDense(net, S);
  const cT = strainDense(net, Tg);
  const T = 2e-4;
  const s = 0.01;
  const N = 20000;
  const h = harmonicStrainThermal(denseStrainPairGram(net, [S, Tg], symmetricEigen), 0, { sourceStrain: s });

  it('without input: u = sum_j a_j e_j, a_j ~ N(0, T / lambda_j) over the non-zero modes; sample mean 0 and variance T g_TT', () => {
    const eig = symmetricEigen(H, n);
    const vec = eig.vectors!;
    const rng = new Rng(21);
    const lamMax = eig.values[n - 1];
    const modes = [...eig.values.keys()].filter((j) => eig.values[j] > 1e-9 * lamMax);
    expect(modes.length).toBe(n - 3); // rigid: exactly the 3 rigid-body modes are zero
    const proj = modes.map((j) => dot(cT, vec.subarray(j * n, (j + 1) * n)));
    let m = 0;
    let q = 0;
    for (let t = 0; t < N; t++) {
      let e = 0;
      modes.forEach((j, i) => (e += proj[i] * Math.sqrt(T / eig.values[j]) * rng.normal()));
      m += e;
      q += e * e;
    }
    m /= N;
    const v = q / N - m * m;
    const sd = Math.sqrt(T * h.varianceWithout);
    expect(Math.abs(m)).toBeLessThan((4 * sd) / Math.sqrt(N));
    expect(Math.abs(v / (T * h.varianceWithout) - 1)).toBeLessThan(4 * Math.sqrt(2 / N));
  });

  it('with input: normal modes of H on the constraint plane c_S . u = 0 (Householder basis Q, H_c = Q^T H Q), sampled; mean and variance as conditioned', () => {
    // Q: columns 2..n of the Householder reflector sending c_S / |c_S| to e_1, an orthonormal basis of the plane
    const norm = Math.sqrt(dot(cS, cS));
    const w = cS.map((v, i) => v / norm - (i === 0 ? 1 : 0));
    const ww = dot(w, w);
    const Q = (i: number, j: number): number => (i === j ? 1 : 0) - (2 * w[i] * w[j]) / ww; // reflector entry; plane = columns 1..n-1
    const m = n - 1;
    const Qm = new Float64Array(n * m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) Qm[i * m + j] = Q(i, j + 1);
    for (let j = 0; j < m; j++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += cS[i] * Qm[i * m + j];
      expect(Math.abs(d)).toBeLessThan(1e-12);
    }
    const HQ = new Float64Array(n * m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
      let a = 0;
      for (let k = 0; k < n; k++) a += H[i * n + k] * Qm[k * m + j];
      HQ[i * m + j] = a;
    }
    const Hc = new Float64Array(m * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) {
      let a = 0;
      for (let k = 0; k < n; k++) a += Qm[k * m + i] * HQ[k * m + j];
      Hc[i * m + j] = a;
    }
    for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) Hc[i * m + j] = Hc[j * m + i] = (Hc[i * m + j] + Hc[j * m + i]) / 2;
    const eig = symmetricEigen(Hc, m);
    const lamMax = eig.values[m - 1];
    const modes = [...eig.values.keys()].filter((j) => eig.values[j] > 1e-9 * lamMax);
    expect(modes.length).toBe(m - 3); // the rigid modes lie in the plane and stay zero modes
    // the mean: the energy minimum on the plane c_S . u = s, u = s c_S/|c_S|^2 + Q y with H_c y = -Q^T H u_p
    const up = cS.map((v) => (s * v) / (norm * norm));
    const rhs = new Float64Array(m);
    for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) rhs[j] -= HQ[i * m + j] * up[i];
    const vec = eig.vectors!;
    const y = new Float64Array(m);
    for (const j of modes) {
      const e = vec.subarray(j * m, (j + 1) * m);
      const a = dot(e, rhs) / eig.values[j];
      for (let i = 0; i < m; i++) y[i] += a * e[i];
    }
    const u0 = up.slice();
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) u0[i] += Qm[i * m + j] * y[j];
    expect(dot(cS, u0)).toBeCloseTo(s, 14);
    expect(dot(cT, u0) / h.response).toBeCloseTo(1, 9);
    // the fluctuations: amplitudes N(0, T / lambda) of the plane's modes, mapped back by Q
    const cTQ = new Float64Array(m);
    for (let j = 0; j < m; j++) for (let i = 0; i < n; i++) cTQ[j] += cT[i] * Qm[i * m + j];
    const proj = modes.map((j) => dot(cTQ, vec.subarray(j * m, (j + 1) * m)));
    const rng = new Rng(22);
    let mean = 0;
    let q = 0;
    for (let t = 0; t < N; t++) {
      let e = dot(cT, u0);
      modes.forEach((j, i) => (e += proj[i] * Math.sqrt(T / eig.values[j]) * rng.normal()));
      mean += e;
      q += e * e;
    }
    mean /= N;
    const v = q / N - mean * mean;
    const sd = Math.sqrt(T * h.varianceWith);
    expect(Math.abs(mean - h.response)).toBeLessThan((4 * sd) / Math.sqrt(N));
    expect(Math.abs(v / (T * h.varianceWith) - 1)).toBeLessThan(4 * Math.sqrt(2 / N));
    // the conditioning matters here: the unconditioned variance is 1.5 x larger, far outside this sampling error
    expect(h.varianceWithout / h.varianceWith).toBeGreaterThan(1.3);
  });

  it('a finite source spring K (Sherman-Morrison formulas) equals the network with that spring added: Var = g\'_TT, mean = kappa s g\'_ST', () => {
    const K = 7;
    const soft = harmonicStrainThermal(denseStrainPairGram(net, [S, Tg], symmetricEigen), 0, { sourceStrain: s, sourceSpring: K });
    const withSpring = springNet(
      'patch + source spring',
      2,
      Array.from({ length: net.nodes }, (_, i) => [net.positions[2 * i], net.positions[2 * i + 1]]),
      [...Array.from(net.edgeA, (a, e): [number, number] => [a, net.edgeB[e]]), S],
      [...net.stiffness, K],
    );
    const g = denseStrainPairGram(withSpring, [S, Tg], symmetricEigen);
    const lS = g.lengths[0];
    expect(soft.varianceWith / g.compliance[2]).toBeCloseTo(1, 10);
    expect(soft.response / (K * lS * lS * s * g.compliance[1])).toBeCloseTo(1, 10);
    // and it tends to the hard constraint: mean off by the factor kappa g_SS / (1 + kappa g_SS)
    const g0 = denseStrainPairGram(net, [S, Tg], symmetricEigen);
    const kg = K * lS * lS * g0.compliance[0];
    expect(soft.response / h.response).toBeCloseTo(kg / (1 + kg), 10);
  });
});

describe('crossover temperature T*', () => {
  it('the closed form lies where the grid statistics cross (|mean| = sigma_with + sigma_without), resolved exactly below it', () => {
    const net = langevinPatch();
    const temps = logTemperatureGrid(1e-4, 10, 10);
    const r = thermalAnalysis(net, task([6, 18], [13, 25], { sourceStrain: 0.3, cooperative: true }), { eigen: symmetricEigen, temperatures: temps });
    for (const d of r.directions) {
      expect(d.crossoverReason).toBe('crossing');
      const c = d.gridCrossing!;
      expect(c.below).toBeLessThan(d.crossover);
      expect(c.above).toBeGreaterThan(d.crossover);
      expect(Math.abs(c.temperature / d.crossover - 1)).toBeLessThan(0.02);
      for (const g of d.grid) expect(g.resolved).toBe(g.temperature < d.crossover);
      // at T* itself the margin is zero
      const at = strainStatisticsAt(d, d.crossover);
      expect(Math.abs(at.meanWith) - at.sigmaWith - at.sigmaWithout).toBeCloseTo(0, 12);
    }
    // T* scales as the source strain squared
    const half = thermalAnalysis(net, task([6, 18], [13, 25], { sourceStrain: 0.15 }), { eigen: symmetricEigen, temperatures: [1] }).directions[0];
    expect(half.crossover / r.directions[0].crossover).toBeCloseTo(0.25, 12);
  });

  it('crossoverOnGrid: null when the grid does not bracket it', () => {
    const net = langevinPatch();
    const d = thermalAnalysis(net, task([6, 18], [13, 25]), { eigen: symmetricEigen, temperatures: [1e-9, 1e-8] }).directions[0];
    expect(d.grid.every((g) => g.resolved)).toBe(true);
    expect(d.gridCrossing).toBeNull();
    expect(crossoverOnGrid([])).toBeNull();
  });

  it('the default grid spans two decades either side of T*', () => {
    const net = langevinPatch();
    const d = thermalAnalysis(net, task([6, 18], [13, 25]), { eigen: symmetricEigen }).directions[0];
    expect(d.grid.length).toBe(41);
    expect(d.grid[0].temperature / d.crossover).toBeCloseTo(0.01, 10);
    expect(d.gridCrossing!.below).toBeLessThan(d.crossover);
  });
});

describe('rigid modes are excluded', () => {
  it('3 zero modes, c . r = 0 to rounding, and a rotated and translated copy of the network gives the same Gram and T*', () => {
    const net = langevinPatch();
    const g = denseStrainPairGram(net, [[6, 18], [13, 25]], symmetricEigen);
    expect(g.modes.zeroModes).toBe(3);
    expect(g.modes.rigidModes).toBe(3);
    expect(g.modes.floppyModes).toBe(0);
    expect(g.modes.rigidLeak).toBeLessThan(1e-14);
    expect(harmonicStrainThermal(g, 0).floppy).toEqual({ source: false, target: false, determinedBySource: true });
    const th = 1.1;
    const moved: SpringNetwork = {
      ...net,
      positions: net.positions.map((_, i) => {
        const x = net.positions[i - (i % 2)];
        const y = net.positions[i - (i % 2) + 1];
        return i % 2 === 0 ? Math.cos(th) * x - Math.sin(th) * y + 40 : Math.sin(th) * x + Math.cos(th) * y - 17;
      }),
    };
    const gm = denseStrainPairGram(moved, [[6, 18], [13, 25]], symmetricEigen);
    for (let p = 0; p < 3; p++) expect(gm.compliance[p] / g.compliance[p]).toBeCloseTo(1, 9);
    const a = harmonicStrainThermal(g, 0, { sourceStrain: 0.1 });
    const b = harmonicStrainThermal(gm, 0, { sourceStrain: 0.1 });
    expect(b.crossover / a.crossover).toBeCloseTo(1, 9);
  });
});

describe('bad input', () => {
  it('refuses a prestressed network, bad pairs and bad temperatures with InvalidInputError', () => {
    const { net } = rhombus();
    const stressed = { ...net, restLength: net.restLength.map((l, i) => (i === 2 ? l * 1.01 : l)) };
    expect(() => thermalAnalysis(stressed, task([1, 2], [0, 3]), { eigen: symmetricEigen })).toThrow(InvalidInputError);
    expect(() => thermalAnalysis(net, task([1, 1], [0, 3]), { eigen: symmetricEigen })).toThrow(InvalidInputError);
    expect(() => thermalAnalysis(net, task([1, 9], [0, 3]), { eigen: symmetricEigen })).toThrow(InvalidInputError);
    expect(() => thermalAnalysis(net, task([1, 2], [0, 3]), { eigen: symmetricEigen, temperatures: [1, -2] })).toThrow(/temperatures\[1\]/);
    // the dense route asked for without an eigensolver (with neither option, 'auto' takes the sparse route)
    expect(() => thermalAnalysis(net, task([1, 2], [0, 3]), { route: 'dense' })).toThrow(InvalidInputError);
  });
});
