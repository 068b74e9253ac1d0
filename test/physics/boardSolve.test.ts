import { describe, expect, it } from 'vitest';
import { solveBoard } from '../../src/physics/boardSolve.js';
import { LaplacianSystem } from '../../src/physics/LaplacianSystem.js';

// A 2x3 grid with a diagonal: nodes 0..5, sources at 0 and 5.
const edgeA = Int32Array.of(0, 1, 3, 4, 0, 1, 2, 0);
const edgeB = Int32Array.of(1, 2, 4, 5, 3, 4, 5, 4);
const graph = { nodes: 6, edgeA, edgeB };
const imposed = new Map([
  [0, 0.9],
  [5, 0.1],
]);

/**
 * Deliberately independent oracle (test only): the net current (A) leaving every node, each edge's current written
 * from the Ohmic law `I = max(floor, s (V_G - vt - (V_a + V_b)/2)) (V_a - V_b)`.
 */
function netCurrents(v: Float64Array, s: number[], vg: number[], vt: number, floor: number, open = new Set<number>(), short = new Set<number>()): Float64Array {
  const out = new Float64Array(6);
  for (let e = 0; e < edgeA.length; e++) {
    const [a, b] = [edgeA[e], edgeB[e]];
    let k = s[e] * (vg[e] - vt) - (s[e] * (v[a] + v[b])) / 2;
    if (!(k > floor)) k = floor;
    if (open.has(e)) k *= 1e-9;
    if (short.has(e)) k = 1;
    const i = k * (v[a] - v[b]);
    out[a] += i;
    out[b] -= i;
  }
  return out;
}

describe('solveBoard: the one gate-board Newton solve', () => {
  const s = [1e-3, 8e-4, 1.2e-3, 9e-4, 1e-3, 1.1e-3, 7e-4, 1e-3];
  const vg = [2, 1.5, 2.5, 0.7, 3, 2, 1.8, 0.3]; // edge 7 below threshold: cut off
  const vt = 0.6;
  const floor = 1e-7 * 1e-3;
  const law = { k: Float64Array.from(s), overdrive: Float64Array.from(vg, (g) => g - vt), floor };

  it('gate board: Kirchhoff holds at the free nodes by the oracle currents; the Jacobian is dF/dV (finite differences)', () => {
    const sol = solveBoard(graph, law, imposed);
    expect(sol.converged).toBe(true);
    const F = netCurrents(sol.voltages, s, vg, vt, floor);
    for (const n of [1, 2, 3, 4]) expect(Math.abs(F[n])).toBeLessThan(1e-15);
    expect(sol.on[7]).toBe(0);
    const h = 1e-7;
    for (const j of [1, 3]) {
      const up = Float64Array.from(sol.voltages);
      const dn = Float64Array.from(sol.voltages);
      up[j] += h;
      dn[j] -= h;
      const Fu = netCurrents(up, s, vg, vt, floor);
      const Fd = netCurrents(dn, s, vg, vt, floor);
      for (const i of [1, 2, 3, 4]) expect(sol.jacobian[i * 6 + j]).toBeCloseTo((Fu[i] - Fd[i]) / (2 * h), 9);
    }
  });

  it('fault knobs: an open edge keeps 1e-9 of its conductance, a shorted one is a fixed 1 S', () => {
    const scale = new Float64Array(8).fill(1);
    scale[2] = 1e-9;
    const fixed = new Float64Array(8).fill(NaN);
    fixed[5] = 1;
    const sol = solveBoard(graph, { ...law, scale, fixed }, imposed);
    const F = netCurrents(sol.voltages, s, vg, vt, floor, new Set([2]), new Set([5]));
    for (const n of [1, 2, 3, 4]) expect(Math.abs(F[n])).toBeLessThan(1e-14);
    expect(sol.conductance[5]).toBe(1);
  });

  it('tap board (linear): the same voltages as the sparse Laplacian solve', () => {
    const k = Float64Array.from({ length: 8 }, (_, e) => 1e-3 * (1 + 0.3 * e));
    const sol = solveBoard(graph, { k, floor: 0 }, imposed);
    const sys = new LaplacianSystem(6, edgeA, edgeB, Int32Array.of(0, 5));
    sys.setConductance(k);
    const v = sys.solve(Float64Array.of(0.9, 0.1)).voltages;
    for (let n = 0; n < 6; n++) expect(sol.voltages[n]).toBeCloseTo(v[n], 13);
  });
});
