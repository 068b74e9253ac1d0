/**
 * Learning on nonlinear networks (issue 14 point 3): the exact adjoint gradient against central finite differences of
 * the cost through the Newton solver, the learning signal against finite differences of the co-content, and the
 * behaviour of EP, centered EP and CL gradients as their contrast parameter goes to 0.
 */
import { describe, expect, it } from 'vitest';
import { cost } from '../../../src/physics/cost.js';
import { DenseLu } from '../../../src/physics/denseLu.js';
import type { Network } from '../../../src/physics/Network.js';
import type { EdgeElement } from '../../../src/physics/nonlinear/EdgeElement.js';
import { initialParameters, lawsAt, nonlinearSignals, withParameters } from '../../../src/physics/nonlinear/learningParameters.js';
import { exactJacobian, nonlinearCostGradient } from '../../../src/physics/nonlinear/nonlinearGradient.js';
import { NonlinearStateSolver } from '../../../src/physics/nonlinear/NonlinearStateSolver.js';
import { solveNonlinearCircuit } from '../../../src/physics/nonlinear/solveNonlinearCircuit.js';
import { TransistorLaw } from '../../../src/physics/nonlinear/transistorLaw.js';
import { CoupledLearning } from '../../../src/physics/rules/CoupledLearning.js';
import { EquilibriumPropagation } from '../../../src/physics/rules/EquilibriumPropagation.js';
import { Rng } from '../../../src/physics/Rng.js';
import type { Task } from '../../../src/physics/Task.js';
import { randomNet, relErr } from '../helpers.js';

// gen-2 numbers (twins/models/penn-gen2.json): s = 0.85 mS/V, V_T = 0.62 V
const S = 8.5e-4;
const VT = 0.62;

type Kind = 'diode' | 'transistor' | 'ohmic' | 'mixed';

/** A 12-node random network; sources 0, 1 (inputs in 0..1 V), ground 11, targets 5 and 8. */
function network(kind: Kind, seed: number): Network {
  const n = randomNet(12, 14, seed);
  const rng = new Rng(seed + 100);
  const elements: (EdgeElement | null)[] = [];
  for (let e = 0; e < n.edgeA.length; e++) {
    const r = rng.next();
    const diode = (): EdgeElement => ({ kind: 'diode', is: 1e-9, n: 1.5, rs: rng.next() < 0.5 ? 0 : 20 });
    const transistor = (): EdgeElement => ({ kind: 'transistor', s: S, vt: VT, vg: rng.uniform(2, 4), saturation: rng.next() < 0.5 ? 'square' : 'none' });
    const resistor = (): EdgeElement | null => (rng.next() < 0.5 ? null : { kind: 'resistor', k: rng.uniform(2e-4, 2e-3) });
    if (kind === 'diode') elements.push(r < 0.35 ? diode() : resistor());
    else if (kind === 'transistor') elements.push(transistor());
    else if (kind === 'ohmic') elements.push({ kind: 'transistor', s: S, vt: VT, vg: rng.uniform(2, 4) });
    else elements.push(r < 0.25 ? diode() : r < 0.65 ? transistor() : resistor());
  }
  // linear edges' conductances on the transistors' scale (S), so that no kind dominates
  const conductance = Float64Array.from(n.conductance, (k) => k * 1e-3);
  return { ...n, conductance, elements };
}

const ROLES = { sources: Int32Array.of(0, 1), ground: Int32Array.of(11), targets: Int32Array.of(5, 8) };
const INPUTS = Float64Array.of(0.9, 0.35);
const DESIRED = Float64Array.of(0.3, 0.55);

/** Cost through the Newton solver alone (the truth for finite differences), at a tight tolerance. */
function costAt(net: Network, theta: Float64Array): number {
  const fixed = new Map<number, number>([
    [0, INPUTS[0]],
    [1, INPUTS[1]],
    [11, 0],
  ]);
  const r = solveNonlinearCircuit(withParameters(net, theta), fixed, { tolerance: 1e-13, absoluteTolerance: 1e-21, maxIterations: 2000 });
  expect(r.converged).toBe(true);
  return cost(r.voltages, ROLES.targets, DESIRED);
}

function freeVoltages(net: Network, theta: Float64Array): Float64Array {
  const s = new NonlinearStateSolver(net, { ...ROLES, train: [], test: [] } as Task, { tolerance: 1e-13, absoluteTolerance: 1e-21, maxIterations: 2000 });
  s.setConductance(theta);
  return s.free(INPUTS).voltages;
}

describe('exact cost gradient of nonlinear networks (adjoint with the Kirchhoff Jacobian)', () => {
  for (const kind of ['diode', 'transistor', 'mixed'] as Kind[]) {
    it(`equals central finite differences of the cost through the solver: ${kind} network`, () => {
      for (const seed of [1, 2]) {
        const net = network(kind, seed);
        const theta = initialParameters(net);
        const v = freeVoltages(net, theta);
        const g = nonlinearCostGradient(net, theta, ROLES, v, DESIRED);
        const fd = new Float64Array(theta.length);
        for (let e = 0; e < theta.length; e++) {
          const el = net.elements![e];
          if (el?.kind === 'diode') continue; // no parameter: the gradient is 0 and there is nothing to vary
          // step relative to the parameter (S or V): small enough for the O(h^2) error, large against the solver's noise
          const h = 1e-4 * Math.abs(theta[e]);
          const p = Float64Array.from(theta);
          const m = Float64Array.from(theta);
          p[e] += h;
          m[e] -= h;
          fd[e] = (costAt(net, p) - costAt(net, m)) / (2 * h);
        }
        for (let e = 0; e < theta.length; e++) if (net.elements![e]?.kind === 'diode') expect(g[e]).toBe(0);
        expect(relErr(g, fd)).toBeLessThan(1e-6);
      }
    });
  }
});

describe('learning signal sigma = 2 dp/dtheta of each element', () => {
  it('matches central differences of the co-content in the parameter (transistors at the state mean, resistors)', () => {
    const net = network('mixed', 3);
    const theta = initialParameters(net);
    const v = freeVoltages(net, theta);
    const sig = nonlinearSignals(net, theta, [1e-9, 1], [0, 5]);
    let checked = 0;
    for (let e = 0; e < theta.length; e++) {
      const el = net.elements![e];
      if (el?.kind === 'diode') {
        expect(sig.learns(e)).toBe(false);
        continue;
      }
      const x = v[net.edgeA[e]] - v[net.edgeB[e]];
      const p = (t: number): number => {
        const th = Float64Array.from(theta);
        th[e] = t;
        const law = lawsAt(net, th)[e];
        if (law instanceof TransistorLaw) law.mean = 0.5 * (v[net.edgeA[e]] + v[net.edgeB[e]]);
        return law.coContent(x);
      };
      const h = 1e-5 * Math.abs(theta[e]);
      const fd = (2 * (p(theta[e] + h) - p(theta[e] - h))) / (2 * h);
      expect(Math.abs(sig.signal(e, v) - fd)).toBeLessThanOrEqual(1e-6 * Math.abs(fd) + 1e-18);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });
});

describe('rule gradients against the exact gradient as the contrast parameter goes to 0', () => {
  const setup = (kind: Kind, seed: number) => {
    const net = network(kind, seed);
    const theta = initialParameters(net);
    const task = { ...ROLES, train: [], test: [] } as Task;
    const solver = new NonlinearStateSolver(net, task);
    solver.setConductance(theta);
    const free = solver.free(INPUTS);
    const exact = nonlinearCostGradient(net, theta, task, free.voltages, DESIRED);
    const signals = nonlinearSignals(net, theta, [1e-9, 1], [0, 5]);
    const grad = (rule: CoupledLearning | EquilibriumPropagation): Float64Array => rule.gradient(net.edgeA, net.edgeB, rule.states(solver, free, DESIRED), undefined, signals);
    return { net, theta, free, exact, grad };
  };

  it('on a gradient-field network (diodes and resistors) EP tends to dC/dtheta linearly in beta, centered EP quadratically', () => {
    const { exact, grad } = setup('diode', 4);
    // beta in S, on the scale of the resistors' conductances (~1 mS)
    const ep = [1e-5, 1e-6].map((b) => relErr(grad(new EquilibriumPropagation(b, 1, false)), exact));
    const cep = [1e-5, 1e-6].map((b) => relErr(grad(new EquilibriumPropagation(b, 1, true)), exact));
    expect(ep[1]).toBeLessThan(ep[0] / 5); // ~ /10 for O(beta)
    expect(ep[1]).toBeLessThan(0.01);
    expect(cep[1]).toBeLessThan(Math.max(cep[0] / 30, 1e-6)); // ~ /100 for O(beta^2), down to the solver's noise
    expect(cep[1]).toBeLessThan(ep[1]);
  });

  it('on Ohmic transistors (no co-content) EP tends to the forward-adjoint -(w_a - w_b) dI/dV_G, w = J^-1 E_T r, not to dC/dV_G', () => {
    // Why: EP's limit is (1/2) dsigma/dV . dV/dbeta = -(1/2) dsigma/dV . J^-1 E_T r, while the exact gradient needs
    // J^-T; they agree only when J is symmetric, which the transistor's mean-voltage dependence breaks.
    const { net, theta, free, exact, grad } = setup('ohmic', 5);
    const { n, index, J } = exactJacobian(net, theta, ROLES, free.voltages);
    const lu = DenseLu.factor(J, n)!;
    const rhs = new Float64Array(n);
    ROLES.targets.forEach((t, i) => (rhs[index[t]] = free.voltages[t] - DESIRED[i]));
    const w = lu.solve(rhs);
    const forward = Float64Array.from(net.edgeA, (a, e) => {
      const b = net.edgeB[e];
      const x = free.voltages[a] - free.voltages[b];
      return -((index[a] >= 0 ? w[index[a]] : 0) - (index[b] >= 0 ? w[index[b]] : 0)) * S * x;
    });
    const cep = [1e-5, 1e-6].map((b) => relErr(grad(new EquilibriumPropagation(b, 1, true)), forward));
    expect(cep[1]).toBeLessThan(Math.max(cep[0] / 30, 1e-6));
    expect(cep[1]).toBeLessThan(1e-4);
    // and the bias against the exact gradient stays: a few percent at the board's drops (x / (2 c) of the conductance)
    expect(relErr(grad(new EquilibriumPropagation(1e-6, 1, true)), exact)).toBeGreaterThan(1e-3);
  });

  it("CL's contrast gradient does not (two targets: G_TT^-1 reweights the residual, so its direction differs)", () => {
    const { exact, grad } = setup('diode', 4);
    const cos = (a: Float64Array): number => {
      let ab = 0;
      let aa = 0;
      let bb = 0;
      for (let e = 0; e < a.length; e++) {
        ab += a[e] * exact[e];
        aa += a[e] * a[e];
        bb += exact[e] * exact[e];
      }
      return ab / Math.sqrt(aa * bb);
    };
    const cl = [1e-3, 1e-5].map((eta) => cos(grad(new CoupledLearning(eta, 1))));
    // the angle does not shrink with eta: it converges to a nonzero limit
    expect(Math.abs(cl[1] - cl[0])).toBeLessThan(0.01);
    expect(1 - cl[1]).toBeGreaterThan(1e-3);
  });
});
