/**
 * Learning stability of a contrastive rule's discrete update (issue 6, point 1g): the rule moves the conductances by
 * k <- k - alpha g(k), with g its gradient estimate; near a minimum g(k) ~ M (k - k*), so the update is stable only if
 * alpha lambda_max(M) < 2 (along the stiffest mode it overshoots by a factor |1 - alpha lambda| > 1 otherwise).
 *
 * Which matrix M: with J = dV_T/dk (per example) and r = V_T^F - V_T^*,
 * - equilibrium propagation (beta -> 0) estimates the cost gradient J^T r itself, so M is the cost Hessian
 *   (Gauss-Newton J^T J plus the second-order term), and the index is alpha times its largest eigenvalue;
 * - coupled learning clamps the targets to V^F + eta (V^* - V^F); to first order in eta its update direction is
 *   J^T G_TT^{-1} r (G_TT the targets' transfer resistances: the clamp currents are G_TT^{-1} times the clamp
 *   displacement), so M = J^T G_TT^{-1} J — the cost Hessian in the metric of the targets' conductance. This is
 *   also what makes alpha (S/V^2) times lambda_max (V^2/S) dimensionless.
 * - exact gradient descent (the simulation-only reference rule) steps along the cost gradient: the cost Hessian, as EP.
 * Both are averaged over the examples, as an epoch of online steps averages them.
 */
import { InvalidInputError } from '../errors.js';
import type { Network } from '../physics/Network.js';
import { StateSolver } from '../physics/StateSolver.js';
import type { Example, Task } from '../physics/Task.js';
import { costHessian, type CostHessianResult } from './costHessian.js';
import { largestEigenvalue, learningStability } from './learningStability.js';

/** A rule and its step size: alpha as in docs/design.md's update (S/V^2 for CL). */
export type RuleStep = { rule: 'cl'; eta: number; alpha: number } | { rule: 'ep' | 'cep'; beta: number; alpha: number } | { rule: 'gradient'; alpha: number };

export interface RuleStabilityResult {
  rule: 'cl' | 'ep' | 'cep' | 'gradient';
  alpha: number;
  /** Largest eigenvalue of the rule's matrix M (see the file comment). */
  lambdaMax: number;
  /** alpha * lambdaMax. */
  index: number;
  /** index > 2. */
  unstable: boolean;
  matrix: 'J^T G_TT^-1 J' | 'cost Hessian';
  iterations: number;
}

export function ruleStability(net: Network, task: Task, step: RuleStep, opts: { examples?: Example[]; hessian?: CostHessianResult } = {}): RuleStabilityResult {
  if (!(Number.isFinite(step.alpha) && step.alpha > 0)) throw new InvalidInputError({ field: 'alpha' }, `must be a positive number, got ${step.alpha}`);
  const examples = opts.examples ?? task.train;
  const h = opts.hessian ?? costHessian(net, task, { examples, secondOrder: step.rule !== 'cl' });
  const E = net.edgeA.length;
  const T = task.targets.length;
  if (step.rule !== 'cl') {
    // EP, CEP and exact gradient descent step along the cost gradient itself: the cost Hessian's own index
    const r = learningStability(step.alpha, h);
    return { rule: step.rule, alpha: step.alpha, lambdaMax: r.lambdaMax, index: r.index, unstable: r.unstable, matrix: 'cost Hessian', iterations: r.iterations };
  }
  // W = G_TT^{-1} (siemens), the same for every example: it depends on the conductances only
  const solver = new StateSolver(net, task);
  solver.setConductance(net.conductance);
  const gTT = solver.greenFunctions().gTT;
  const W = invertSmall(gTT);
  const rows = h.jacobian.length / E;
  const J = h.jacobian;
  const M = h.examples;
  const u = new Float64Array(rows);
  const w = new Float64Array(rows);
  const r = largestEigenvalue((x, y) => {
    for (let a = 0; a < rows; a++) {
      let s = 0;
      for (let e = 0; e < E; e++) s += J[a * E + e] * x[e];
      u[a] = s;
    }
    // per example, the T x T metric
    for (let m = 0; m < rows / T; m++) {
      for (let i = 0; i < T; i++) {
        let s = 0;
        for (let j = 0; j < T; j++) s += W[i][j] * u[m * T + j];
        w[m * T + i] = s;
      }
    }
    y.fill(0);
    for (let a = 0; a < rows; a++) {
      const c = w[a] / M;
      if (c === 0) continue;
      for (let e = 0; e < E; e++) y[e] += J[a * E + e] * c;
    }
  }, E);
  return { rule: 'cl', alpha: step.alpha, lambdaMax: r.value, index: step.alpha * r.value, unstable: step.alpha * r.value > 2, matrix: 'J^T G_TT^-1 J', iterations: r.iterations };
}

/** Inverse of a small symmetric positive definite matrix (Gauss-Jordan). */
function invertSmall(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    if (!(Math.abs(d) > 0)) throw new InvalidInputError({ field: 'G_TT' }, 'is singular: a target is not connected to an imposed node');
    for (let j = 0; j < 2 * n; j++) m[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c];
      if (f !== 0) for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((row) => row.slice(n));
}
