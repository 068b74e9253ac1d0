/**
 * A spring ensemble member (src/ensemble/springMember.ts) against independent computations on the same trained
 * network: a dense eigen-decomposition of the stiffness matrix assembled here by hand gives the spectrum, the lowest
 * mode psi_1 and the pseudo-inverse H^+, from which the free state (u = s H^+ c_S / g_SS), the target strain, the
 * three energies (E = 1/2 eps^T G^-1 eps with the strain Gram G = C^T H^+ C) and T* (closed form from g_SS, g_ST, g_TT)
 * follow without any sparse solve; the error against fresh StrainSolver solves; the alignment from the cost Hessian's
 * stiffest eigenvector and the squared extensions of the dense soft modes; f_e from the dense modes; T* also against
 * thermalAnalysis called directly.
 */
import { describe, expect, it } from 'vitest';
import { boundaryFrequency } from '../../src/diagnostics/modeRegions.js';
import { springCostHessian } from '../../src/diagnostics/springCost.js';
import { symmetricEigen } from '../../src/diagnostics/symmetricEigen.js';
import { parseEnsembleSpec, type SpringEnsembleSpec } from '../../src/ensemble/EnsembleSpec.js';
import { memberSeeds, runMember, type MemberResult } from '../../src/ensemble/runMember.js';
import { memberSpringNetwork, memberStrainTask, stiffestOfRows } from '../../src/ensemble/springMember.js';
import type { SpringNetwork } from '../../src/physics/springs/SpringNetwork.js';
import { StrainSolver } from '../../src/physics/springs/StrainSolver.js';
import type { StrainTask } from '../../src/physics/springs/StrainTask.js';
import { thermalAnalysis } from '../../src/physics/springs/thermal/harmonicThermal.js';

function specOf(task: Record<string, unknown>, extra: Record<string, unknown> = {}): SpringEnsembleSpec {
  return parseEnsembleSpec(
    {
      format: 'clln.ensemble/1',
      members: 4,
      seed: 5,
      network: { kind: 'springs', generator: 'triangular', rows: 6, cols: 6, coordination: 4.4, disorder: 0.2, stiffness: [0.5, 1.5] },
      task: { kind: 'strain', source: 'auto', target: 'auto', ...task },
      stop: { maxSteps: 60 },
      diagnostics: { modes: 8 },
      ...extra,
    },
    'springs.json',
  ) as SpringEnsembleSpec;
}

/** The dense stiffness matrix H = sum_e k_e b_e b_e^T (x) [[1, -1], [-1, 1]], assembled here from the positions. */
function denseH(net: SpringNetwork, k: Float64Array): Float64Array {
  const n = 2 * net.nodes;
  const h = new Float64Array(n * n);
  for (let e = 0; e < net.edgeA.length; e++) {
    const a = net.edgeA[e];
    const b = net.edgeB[e];
    const dx = net.positions[2 * b] - net.positions[2 * a];
    const dy = net.positions[2 * b + 1] - net.positions[2 * a + 1];
    const l = Math.hypot(dx, dy);
    const d = [dx / l, dy / l];
    for (let p = 0; p < 2; p++) {
      for (let q = 0; q < 2; q++) {
        const v = k[e] * d[p] * d[q];
        h[(2 * a + p) * n + 2 * a + q] += v;
        h[(2 * b + p) * n + 2 * b + q] += v;
        h[(2 * a + p) * n + 2 * b + q] -= v;
        h[(2 * b + p) * n + 2 * a + q] -= v;
      }
    }
  }
  return h;
}

/** c with c . u = eps_ij = b_ij . (u_j - u_i) / l_ij. */
function strainVec(net: SpringNetwork, [i, j]: [number, number]): Float64Array {
  const c = new Float64Array(2 * net.nodes);
  const dx = net.positions[2 * j] - net.positions[2 * i];
  const dy = net.positions[2 * j + 1] - net.positions[2 * i + 1];
  const l2 = dx * dx + dy * dy;
  c[2 * i] = -dx / l2;
  c[2 * i + 1] = -dy / l2;
  c[2 * j] = dx / l2;
  c[2 * j + 1] = dy / l2;
  return c;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Everything the dense route gives for a trained member. */
function denseReference(net: SpringNetwork, k: Float64Array) {
  const n = 2 * net.nodes;
  const evd = symmetricEigen(denseH(net, k), n);
  const max = evd.values[n - 1];
  const nonzero: number[] = [];
  for (let j = 0; j < n; j++) if (evd.values[j] > 1e-9 * max) nonzero.push(j);
  const vec = (j: number): Float64Array => evd.vectors!.subarray(j * n, (j + 1) * n);
  const pinv = (c: Float64Array): Float64Array => {
    const y = new Float64Array(n);
    for (const j of nonzero) {
      const v = vec(j);
      const a = dot(v, c) / evd.values[j];
      for (let i = 0; i < n; i++) y[i] += a * v[i];
    }
    return y;
  };
  return { evd, nonzero, zero: n - nonzero.length, vec, pinv };
}

function trainedMember(spec: SpringEnsembleSpec, index: number): { r: MemberResult; net: SpringNetwork; task: StrainTask } {
  const r = runMember(spec, index);
  const seeds = memberSeeds(spec, index);
  const net0 = memberSpringNetwork(spec, seeds.network);
  const task = memberStrainTask(spec, seeds.task, net0);
  return { r, net: { ...net0, stiffness: Float64Array.from(r.conductance) }, task };
}

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('spring ensemble member: every measure against an independent computation', () => {
  // untrained (0 steps): far from a fit, where the full cost Hessian's stiffest mode differs from the Gauss-Newton one
  for (const [cooperative, steps] of [[false, 60], [true, 60], [false, 0]] as const) {
    it(`${cooperative ? 'cooperative' : 'allosteric'} task, ${steps} steps: spectrum, error, target strains, projections, energies, T*, alignment, f_e`, () => {
      const spec = specOf({ delta: 0.05, cooperative }, { stop: { maxSteps: steps } });
      const { r, net, task } = trainedMember(spec, 1);
      const sp = r.springs!;
      expect(r.steps).toBe(steps);
      expect(r.testMse).toBeNull();
      expect(sp.source).toEqual(task.source);
      expect(sp.directions).toHaveLength(cooperative ? 2 : 1);
      for (const k of r.conductance) expect(k >= spec.network.bounds[0] && k <= spec.network.bounds[1]).toBe(true);
      // training did something: the initial error from the untrained network by a fresh solve, and it fell
      const net0 = memberSpringNetwork(spec, r.seeds.network);
      const fresh0 = new StrainSolver(net0);
      const err = (s: StrainSolver, t: StrainTask): number => {
        const dirs = t.cooperative ? [[t.source, t.target], [t.target, t.source]] : [[t.source, t.target]];
        let sum = 0;
        for (const [a, b] of dirs) {
          const u = s.solve([{ pair: a, strain: t.sourceStrain }]).displacements;
          sum += (s.strain(u, b[0], b[1]) - t.delta) ** 2;
        }
        return sum / dirs.length;
      };
      expect(rel(sp.initialError, err(fresh0, task))).toBeLessThan(1e-9);
      expect(rel(r.trainMse, err(new StrainSolver(net), task))).toBeLessThan(1e-8);
      if (steps > 0) expect(r.trainMse).toBeLessThan(sp.initialError);
      else expect(r.trainMse).toBe(sp.initialError);

      const d = denseReference(net, net.stiffness);
      expect(d.zero).toBe(sp.rigidModes + sp.floppyModes);
      expect(sp.floppyModes).toBe(0);
      const lo = d.evd.values[d.nonzero[0]];
      const hi = d.evd.values[d.nonzero[d.nonzero.length - 1]];
      expect(rel(r.lambdaLow, lo)).toBeLessThan(1e-9);
      expect(rel(r.lambdaHigh, hi)).toBeLessThan(1e-9);
      // psi_1 is well defined only with a gap to the next mode: the disordered network has one
      expect(d.evd.values[d.nonzero[1]] / lo).toBeGreaterThan(1.01);
      const psi1 = d.vec(d.nonzero[0]);

      const s = task.sourceStrain;
      sp.directions.forEach((m, i) => {
        const [S, T] = i === 0 ? [task.source, task.target] : [task.target, task.source];
        expect([m.source, m.target]).toEqual([S, T]);
        const cS = strainVec(net, S);
        const cT = strainVec(net, T);
        const gS = d.pinv(cS);
        const gT = d.pinv(cT);
        const gSS = dot(cS, gS);
        const gST = dot(cT, gS);
        const gTT = dot(cT, gT);
        // free state: least-energy u with c_S . u = s is s H^+ c_S / g_SS (orthogonal to the zero modes)
        const u = Float64Array.from(gS, (x) => (s * x) / gSS);
        expect(rel(m.targetStrain, dot(cT, u))).toBeLessThan(1e-8);
        expect(Math.abs(m.projection - Math.abs(dot(u, psi1)) / Math.sqrt(dot(u, u)))).toBeLessThan(1e-8);
        // energies: 1/2 eps^T G^-1 eps over the imposed strains
        expect(rel(m.energySource, (0.5 * s * s) / gSS)).toBeLessThan(1e-8);
        expect(rel(m.energyTarget, (0.5 * task.delta ** 2) / gTT)).toBeLessThan(1e-8);
        const det = gSS * gTT - gST * gST;
        const both = (0.5 * (gTT * s * s - 2 * gST * s * task.delta + gSS * task.delta ** 2)) / det;
        expect(rel(m.energyBoth, both)).toBeLessThan(1e-8);
        // T*: mean^2 / (sigma_with + sigma_without)^2 per unit T, from the same Gram
        const mean = (s * gST) / gSS;
        const tStar = mean ** 2 / (Math.sqrt(gTT - (gST * gST) / gSS) + Math.sqrt(gTT)) ** 2;
        expect(m.tStarReason).toBe('crossing');
        expect(rel(m.tStar, tStar)).toBeLessThan(1e-7);
      });
      const th = thermalAnalysis(net, task, { eigen: symmetricEigen, route: 'sparse' });
      th.directions.forEach((t, i) => expect(rel(sp.directions[i].tStar, t.crossover)).toBeLessThan(1e-9));

      // alignment: the cost Hessian's stiffest eigenvector (dense, here) against the unit squared extensions of the
      // dense soft modes (at most 10, as modeCoupling compares)
      const E = net.edgeA.length;
      const h = springCostHessian(new StrainSolver(net), task);
      const he = symmetricEigen(Float64Array.from(h.full!), E);
      const stiff = he.vectors!.subarray((E - 1) * E, E * E);
      const K = Math.min(8, 10);
      let best = 0;
      for (let q = 0; q < K; q++) {
        const psi = d.vec(d.nonzero[q]);
        const sig = new Float64Array(E);
        for (let e = 0; e < E; e++) {
          const a = net.edgeA[e];
          const b = net.edgeB[e];
          const dx = net.positions[2 * b] - net.positions[2 * a];
          const dy = net.positions[2 * b + 1] - net.positions[2 * a + 1];
          const l = Math.hypot(dx, dy);
          sig[e] = (((psi[2 * b] - psi[2 * a]) * dx + (psi[2 * b + 1] - psi[2 * a + 1]) * dy) / l) ** 2;
        }
        best = Math.max(best, Math.abs(dot(stiff, sig)) / Math.sqrt(dot(sig, sig)));
      }
      expect(Math.abs(r.stiffAlignment! - best)).toBeLessThan(1e-7);

      // f_e from the dense modes (8 lowest non-zero), with 2 components per node
      const modes = d.nonzero.slice(0, 8);
      const f = boundaryFrequency({ values: modes.map((j) => d.evd.values[j]), vectors: modes.map((j) => Float64Array.from(d.vec(j))) }, net.positions, net.edgeA, net.edgeB, { minModes: 2, components: 2, dim: 2 }).f;
      expect(r.boundaryFrequency).not.toBeNull();
      for (let e = 0; e < E; e++) expect(Math.abs(r.boundaryFrequency![e] - f[e])).toBeLessThan(1e-6);
    });
  }

  it('is deterministic from (spec, index): the same member twice gives the same numbers bit for bit', () => {
    const spec = specOf({ delta: 0.05, cooperative: true });
    const a = runMember(spec, 2);
    const b = runMember(spec, 2);
    expect(b).toEqual(a);
    expect(Array.from(b.conductance)).toEqual(Array.from(a.conductance));
  });

  it('fixed pairs are kept; a stiffness range is drawn per spring inside it; members differ', () => {
    const spec = specOf({ delta: -0.02, source: [0, 1], target: [34, 35] });
    const s0 = memberSeeds(spec, 0);
    const net = memberSpringNetwork(spec, s0.network);
    expect(memberStrainTask(spec, s0.task, net)).toMatchObject({ source: [0, 1], target: [34, 35], delta: -0.02, sourceStrain: 1, cooperative: false, lambda: 0 });
    const k = Array.from(net.stiffness);
    expect(Math.min(...k)).toBeGreaterThanOrEqual(0.5);
    expect(Math.max(...k)).toBeLessThanOrEqual(1.5);
    expect(new Set(k).size).toBe(k.length);
    const net1 = memberSpringNetwork(spec, memberSeeds(spec, 1).network);
    expect(Array.from(net1.positions)).not.toEqual(Array.from(net.positions));
  });

  it("the large-network alignment's stiffest Gauss-Newton mode equals the dense eigenvector of J^T J", () => {
    // two rows (a cooperative task's J), E = 7
    const E = 7;
    const J = Float64Array.from([0.3, -1.2, 0.5, 0.05, 2, -0.7, 0.1, 1.1, 0.4, -0.3, 0.9, -0.2, 0.6, 0.8]);
    const gn = new Float64Array(E * E);
    for (let d = 0; d < 2; d++) for (let i = 0; i < E; i++) for (let j = 0; j < E; j++) gn[i * E + j] += J[d * E + i] * J[d * E + j];
    const ev = symmetricEigen(gn, E);
    const top = ev.vectors!.subarray((E - 1) * E, E * E);
    const v = stiffestOfRows(J, 2, E);
    expect(Math.abs(Math.abs(dot(v, top)) - 1)).toBeLessThan(1e-12);
    const one = stiffestOfRows(J, 1, E);
    const n0 = Math.sqrt(dot(J.subarray(0, E), J.subarray(0, E)));
    one.forEach((x, i) => expect(x).toBeCloseTo(J[i] / n0, 14));
  });
});
