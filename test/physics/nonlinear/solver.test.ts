import { describe, expect, it } from 'vitest';
import { LaplacianSystem } from '../../../src/physics/LaplacianSystem.js';
import { solveCircuit } from '../../../src/physics/solveCircuit.js';
import type { Network } from '../../../src/physics/Network.js';
import type { EdgeElement } from '../../../src/physics/nonlinear/EdgeElement.js';
import { THERMAL_VOLTAGE } from '../../../src/physics/nonlinear/EdgeElement.js';
import { elementLaw } from '../../../src/physics/nonlinear/elementLaw.js';
import { NonlinearSolver } from '../../../src/physics/nonlinear/NonlinearSolver.js';
import { solveNonlinearCircuit } from '../../../src/physics/nonlinear/solveNonlinearCircuit.js';
import { Rng } from '../../../src/physics/Rng.js';
import { net, randomNet } from '../helpers.js';
import { bisect, lambertW, VT300 } from './truth.js';

/** Net current (A) leaving each node, each edge's current from its element's law (the laws' current(), per edge). */
function imbalance(n: Network, v: Float64Array): Float64Array {
  const out = new Float64Array(n.nodes);
  for (let e = 0; e < n.edgeA.length; e++) {
    const a = n.edgeA[e];
    const b = n.edgeB[e];
    const i = elementLaw(n.elements?.[e], n.conductance[e]).current(v[a] - v[b]);
    out[a] += i;
    out[b] -= i;
  }
  return out;
}

const diode = (is: number, nIdeal: number, rs?: number): EdgeElement => ({ kind: 'diode', is, n: nIdeal, ...(rs !== undefined ? { rs } : {}) });

describe('thermal voltage', () => {
  it('is k_B T / q at 300 K', () => {
    expect(THERMAL_VOLTAGE).toBeCloseTo(VT300, 15);
    expect(THERMAL_VOLTAGE).toBeCloseTo(0.025852, 6);
  });
});

describe('a diode and a resistor in series: the Lambert-W closed form', () => {
  // source Vs at node 0, resistor R from 0 to 1, diode anode 1 cathode 2 (ground).
  // I = is (exp((Vs - I R)/(n VT)) - 1)  =>  I = (n VT / R) W((is R/(n VT)) exp((Vs + is R)/(n VT))) - is
  const cases = [
    { vs: 1, R: 1000, is: 1e-12, n: 1.8 },
    { vs: 5, R: 100, is: 1e-14, n: 1 },
    { vs: 0.3, R: 1e4, is: 1e-9, n: 2 },
    { vs: -2, R: 1000, is: 1e-12, n: 1.5 },
  ];
  for (const c of cases) {
    const nvt = c.n * VT300;
    const exact = c.vs >= 0 ? (nvt / c.R) * lambertW(((c.is * c.R) / nvt) * Math.exp((c.vs + c.is * c.R) / nvt)) - c.is : NaN;
    it(`Vs = ${c.vs} V, R = ${c.R} ohm, is = ${c.is} A, n = ${c.n}: as two edges`, () => {
      const n = net(3, [[0, 1], [1, 2]], [1 / c.R, 1]);
      n.elements = [null, diode(c.is, c.n)];
      const sol = solveNonlinearCircuit(n, new Map([[0, c.vs], [2, 0]]));
      expect(sol.converged).toBe(true);
      const I = sol.currents[0];
      if (c.vs >= 0) expect(Math.abs(I - exact)).toBeLessThanOrEqual(1e-12 * Math.abs(exact) + 1e-24);
      else {
        // reverse: the diode blocks, I = -is (1 - exp(-(Vs - IR)/nVT)) ~ -is; V1 ~ Vs + is R
        const truth = bisect((i) => i - c.is * Math.expm1((c.vs - i * c.R) / nvt), -2 * c.is, 0);
        expect(Math.abs(I - truth)).toBeLessThanOrEqual(1e-6 * c.is);
      }
      expect(sol.residual).toBeLessThanOrEqual(sol.tolerance);
      expect(Math.abs(sol.currents[1] - I)).toBeLessThanOrEqual(sol.tolerance);
    });
    if (c.vs >= 0) {
      it(`the same as one diode edge with series resistance rs = R`, () => {
        const n = net(2, [[0, 1]], [1]);
        n.elements = [diode(c.is, c.n, c.R)];
        const sol = solveNonlinearCircuit(n, new Map([[0, c.vs], [1, 0]]));
        expect(sol.converged).toBe(true);
        expect(Math.abs(sol.currents[0] - exact)).toBeLessThanOrEqual(1e-12 * Math.abs(exact));
      });
    }
  }
});

describe('two diodes in anti-parallel behind a resistor', () => {
  // source at 0, R from 0 to 1, diodes 1->2 and 2->1 (node 2 ground): (Vs - V)/R = is (e^{V/nVT} - 1) - is (e^{-V/nVT} - 1) = 2 is sinh(V/nVT)
  for (const vs of [0.8, -0.8, 3, -0.05]) {
    it(`Vs = ${vs} V: the node voltage solves (Vs - V)/R = 2 is sinh(V / n VT)`, () => {
      const R = 470;
      const is = 2e-12;
      const nI = 1.3;
      const n = net(3, [[0, 1], [1, 2], [2, 1]], [1 / R, 1, 1]);
      n.elements = [null, diode(is, nI), diode(is, nI)];
      const sol = solveNonlinearCircuit(n, new Map([[0, vs], [2, 0]]));
      const nvt = nI * VT300;
      const truth = bisect((v) => 2 * is * Math.sinh(v / nvt) - (vs - v) / R, -Math.abs(vs), Math.abs(vs));
      expect(sol.converged).toBe(true);
      expect(Math.abs(sol.voltages[1] - truth)).toBeLessThanOrEqual(1e-12 * Math.abs(vs));
      // the two diodes carry opposite-signed currents whose sum is the resistor's
      expect(Math.abs(sol.currents[1] - sol.currents[2] - sol.currents[0])).toBeLessThanOrEqual(sol.tolerance);
    });
  }
});

describe('linear networks solved as nonlinear', () => {
  for (const seed of [1, 2, 3]) {
    it(`random network ${seed}: equals the linear solver to 1e-12`, () => {
      const n = randomNet(60, 90, seed);
      const fixed = new Map([[0, 1.5], [7, -0.25], [33, 0]]);
      const lin = solveCircuit(n, fixed);
      const nl = solveNonlinearCircuit(n, fixed);
      expect(nl.converged).toBe(true);
      for (let i = 0; i < n.nodes; i++) expect(Math.abs(nl.voltages[i] - lin.voltages[i])).toBeLessThanOrEqual(1e-12);
      // and explicit resistor elements mean the same as null
      const m: Network = { ...n, elements: Array.from(n.conductance, (k) => ({ kind: 'resistor', k }) as EdgeElement) };
      const nl2 = solveNonlinearCircuit(m, fixed);
      for (let i = 0; i < n.nodes; i++) expect(Math.abs(nl2.voltages[i] - lin.voltages[i])).toBeLessThanOrEqual(1e-12);
    });
  }

  it('a table element through (v, k v) equals the resistor k', () => {
    const n = randomNet(30, 40, 9);
    const fixed = new Map([[0, 2], [29, -1]]);
    const lin = solveCircuit(n, fixed);
    // points at -1, 0, 0.5, 1 V: the solution's drops lie inside and outside (the end segments continue the line)
    const m: Network = {
      ...n,
      elements: Array.from(n.conductance, (k) => ({ kind: 'table', v: [-1, 0, 0.5, 1], i: [-k, 0, 0.5 * k, k] }) as EdgeElement),
    };
    const nl = solveNonlinearCircuit(m, fixed);
    expect(nl.converged).toBe(true);
    for (let i = 0; i < n.nodes; i++) expect(Math.abs(nl.voltages[i] - lin.voltages[i])).toBeLessThanOrEqual(1e-12);
  });
});

/** A random network whose edges are a mix of diodes (both orientations), resistors, tables and diodes with rs. */
function mixedNet(seed: number, nodes = 40, extra = 60): Network {
  const n = randomNet(nodes, extra, seed);
  const rng = new Rng(seed + 100);
  n.conductance = n.conductance.map((k) => k * 1e-3);
  n.elements = Array.from(n.conductance, (k) => {
    const u = rng.next();
    if (u < 0.35) return diode(10 ** rng.uniform(-14, -9), rng.uniform(1, 2));
    if (u < 0.55) return diode(10 ** rng.uniform(-14, -9), rng.uniform(1, 2), rng.uniform(10, 1000));
    if (u < 0.7) return { kind: 'table', v: [-1, 0, 0.4, 0.7], i: [-1e-6, 0, 1e-4, 5e-3] } as EdgeElement;
    return null;
  });
  return n;
}

describe('conservation and convergence on mixed networks', () => {
  const fixed = new Map([[0, 2], [5, 0], [11, -1.5]]);
  for (const seed of [4, 5, 6]) {
    it(`mixed network ${seed}: Kirchhoff at every free node to the tolerance, total current in = out`, () => {
      const n = mixedNet(seed);
      const sol = solveNonlinearCircuit(n, fixed);
      expect(sol.converged).toBe(true);
      const r = imbalance(n, sol.voltages);
      let maxEdge = 0;
      for (const i of sol.currents) maxEdge = Math.max(maxEdge, Math.abs(i));
      let total = 0;
      for (let i = 0; i < n.nodes; i++) {
        if (fixed.has(i)) total += r[i];
        else expect(Math.abs(r[i])).toBeLessThanOrEqual(sol.tolerance);
      }
      // the sources' currents sum to zero (every edge current leaves one node and enters another)
      expect(Math.abs(total)).toBeLessThanOrEqual(n.nodes * sol.tolerance);
      expect(sol.tolerance).toBeLessThanOrEqual(1e-11 * maxEdge + 1e-18);
    });

    it(`mixed network ${seed}: the same state from bad starts (nodes at +-100 V)`, () => {
      const n = mixedNet(seed);
      const ref = solveNonlinearCircuit(n, fixed);
      const rng = new Rng(seed);
      const starts = [
        new Float64Array(n.nodes).fill(100),
        new Float64Array(n.nodes).fill(-100),
        Float64Array.from({ length: n.nodes }, (_, i) => (i % 2 ? 100 : -100)),
        Float64Array.from({ length: n.nodes }, () => rng.uniform(-100, 100)),
      ];
      for (const start of starts) {
        const sol = solveNonlinearCircuit(n, fixed, { start });
        expect(sol.converged).toBe(true);
        // The state is unique (strictly monotone elements), but pinned only to within the tolerance: two states whose
        // residuals are both within tol differ by dV = J^-1 dr, |dr| <= 2 tol, and J^-1 (the grounded Laplacian of the
        // differential conductances, inverse entrywise >= 0) gives |dV_i| <= 2 tol (J^-1 1)_i. Nodes held only by
        // reverse-biased diodes (slopes ~1e-20 S) are pinned loosely, the rest tightly. Factor 10: J varies in between.
        const slopes = new Float64Array(n.edgeA.length);
        for (let e = 0; e < n.edgeA.length; e++) {
          slopes[e] = Math.max(1e-30, elementLaw(n.elements![e], n.conductance[e]).slope(ref.voltages[n.edgeA[e]] - ref.voltages[n.edgeB[e]]));
        }
        const sys = new LaplacianSystem(n.nodes, n.edgeA, n.edgeB, Int32Array.from(fixed.keys()));
        sys.setConductance(slopes);
        const reach = sys.solveFree(new Float64Array(n.nodes).fill(1)).x;
        const tol = Math.max(sol.tolerance, ref.tolerance);
        for (let i = 0; i < n.nodes; i++) {
          expect(Math.abs(sol.voltages[i] - ref.voltages[i])).toBeLessThanOrEqual(10 * 2 * tol * Math.abs(reach[i]) + 1e-12);
        }
      }
    });
  }
});

describe('the co-content: its gradient is Kirchhoff\'s residual', () => {
  it('central finite differences of P(V) = sum_e C_e(V_a - V_b) match the net current leaving each node', () => {
    const n = mixedNet(7, 15, 20);
    const laws = Array.from(n.conductance, (k, e) => elementLaw(n.elements![e], k));
    const P = (v: Float64Array): number => {
      let s = 0;
      for (let e = 0; e < laws.length; e++) s += laws[e].coContent(v[n.edgeA[e]] - v[n.edgeB[e]]);
      return s;
    };
    const pAbs = (v: Float64Array): number => laws.reduce((s, l, e) => s + Math.abs(l.coContent(v[n.edgeA[e]] - v[n.edgeB[e]])), 0);
    const rng = new Rng(3);
    for (let trial = 0; trial < 5; trial++) {
      const v = Float64Array.from({ length: n.nodes }, () => rng.uniform(-0.8, 0.8));
      const r = imbalance(n, v);
      // the size of the currents meeting at each node, for the finite differences' truncation error
      const mag = new Float64Array(n.nodes);
      for (let e = 0; e < laws.length; e++) {
        const i = Math.abs(laws[e].current(v[n.edgeA[e]] - v[n.edgeB[e]]));
        mag[n.edgeA[e]] += i;
        mag[n.edgeB[e]] += i;
      }
      for (let i = 0; i < n.nodes; i++) {
        const h = 1e-6;
        const up = Float64Array.from(v);
        const dn = Float64Array.from(v);
        up[i] += h;
        dn[i] -= h;
        const fd = (P(up) - P(dn)) / (2 * h);
        // truncation (h^2 I''/6, relative ~1e-6 here) plus the rounding of P's differences (eps |P| / h)
        expect(Math.abs(fd - r[i])).toBeLessThanOrEqual(1e-6 * mag[i] + (10 * Number.EPSILON * pAbs(v)) / h);
      }
    }
  });

  it('P is lower at the solution than at nearby states (the solution is its minimum)', () => {
    const n = mixedNet(8, 20, 30);
    const fixed = new Map([[0, 1], [3, 0]]);
    const sol = solveNonlinearCircuit(n, fixed);
    const laws = Array.from(n.conductance, (k, e) => elementLaw(n.elements![e], k));
    const P = (v: Float64Array): number => laws.reduce((s, l, e) => s + l.coContent(v[n.edgeA[e]] - v[n.edgeB[e]]), 0);
    const p0 = P(sol.voltages);
    const rng = new Rng(11);
    for (let k = 0; k < 20; k++) {
      const v = Float64Array.from(sol.voltages);
      for (let i = 0; i < n.nodes; i++) if (!fixed.has(i)) v[i] += rng.uniform(-1e-3, 1e-3);
      expect(P(v)).toBeGreaterThan(p0);
    }
  });
});

describe('the solver reuses one symbolic analysis', () => {
  it('many Newton iterations, one LaplacianSystem (ordering computed once)', () => {
    const n = mixedNet(4);
    const laws = Array.from(n.conductance, (k, e) => elementLaw(n.elements![e], k));
    const solver = new NonlinearSolver(n.nodes, n.edgeA, n.edgeB, laws, Int32Array.of(0, 5));
    const analysis = solver.system.analysis;
    const a = solver.solve(Float64Array.of(1, 0));
    const b = solver.solve(Float64Array.of(-1, 0.5));
    expect(a.converged && b.converged).toBe(true);
    expect(a.iterations).toBeGreaterThan(1);
    expect(solver.system.analysis).toBe(analysis);
    expect(analysis.method).toBe('cholesky');
  });
});

describe('imposed voltages and injections as the linear solver', () => {
  it('an injected current into a linear network gives the linear solver\'s answer', () => {
    const n = randomNet(25, 30, 12);
    const laws = Array.from(n.conductance, (k) => elementLaw(null, k));
    const imposed = Int32Array.of(0, 4);
    const values = Float64Array.of(1, -1);
    const inj = new Float64Array(n.nodes);
    inj[10] = 0.3;
    inj[17] = -0.1;
    const solver = new NonlinearSolver(n.nodes, n.edgeA, n.edgeB, laws, imposed);
    const nl = solver.solve(values, undefined, inj);
    // linear truth from the LaplacianSystem of the linear solver
    const sys = solver.system;
    sys.setConductance(n.conductance);
    const lin = sys.solve(values, inj).voltages;
    expect(nl.converged).toBe(true);
    for (let i = 0; i < n.nodes; i++) expect(Math.abs(nl.voltages[i] - lin[i])).toBeLessThanOrEqual(1e-12);
    expect(nl.voltages[0]).toBe(1);
    expect(nl.voltages[4]).toBe(-1);
  });
});

describe('a floating component', () => {
  it('is refused when the solver is built, naming the floating nodes, as the linear solver does', () => {
    const n = net(4, [[0, 1], [2, 3]], [1, 1]);
    n.elements = [diode(1e-12, 1.5), diode(1e-12, 1.5)];
    expect(() => solveNonlinearCircuit(n, new Map([[0, 1]]))).toThrow(/no imposed node.*2, 3/);
  });
});
