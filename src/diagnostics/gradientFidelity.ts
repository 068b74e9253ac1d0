/**
 * How well a learning rule's contrast gradient points along the exact cost gradient.
 *
 * For each rule the estimate is the rule object's own `gradient()` (src/physics/rules), evaluated on the rule's
 * contrast states for every example; the truth is the adjoint gradient `costGradient` (src/physics/cost.ts) on the
 * same free states. Both are oriented as estimates of +dC/dk (the update moves k against them):
 *
 * - EP (one-sided): (1/(2 beta)) [(dV^{+beta})^2 - (dV^F)^2] = dC/dk + O(beta);
 * - CEP (centered): (1/(4 beta)) [(dV^{+beta})^2 - (dV^{-beta})^2] = dC/dk + O(beta^2);
 * - CL: (1/(2 eta)) [(dV^C)^2 - (dV^F)^2] -> J^T G_TT^{-1} r as eta -> 0 (V^2): the residual r is reweighted by the
 *   inverse target-to-target transfer resistance matrix G_TT^{-1} (S), so the direction differs from
 *   dC/dk = J^T r unless G_TT is a multiple of the identity, and the angle tends to a non-zero limit. The norms
 *   differ in units too (V^2 against V^2/S), so CL's `normRatio` is in siemens.
 *
 * So cosine = +1 means "the same direction as the exact dC/dk", for every rule.
 *
 * A nonlinear network (src/physics/nonlinear) goes through the same comparison on its learning parameters theta (k,
 * V_G; learningParameters.ts): the states from the Newton solver, the rules' gradients from the edges' co-content
 * signals, the truth the adjoint gradient with the exact Kirchhoff Jacobian (nonlinearGradient.ts). Edges without a
 * parameter (diodes, tables) are 0 in both.
 */
import { InvalidInputError, show } from '../errors.js';
import type { CircuitState } from '../physics/CircuitState.js';
import { costGradient } from '../physics/cost.js';
import type { Network } from '../physics/Network.js';
import { CoupledLearning } from '../physics/rules/CoupledLearning.js';
import { EquilibriumPropagation } from '../physics/rules/EquilibriumPropagation.js';
import type { LearningRule } from '../physics/rules/LearningRule.js';
import { initialParameters, isNonlinear, nonlinearSignals } from '../physics/nonlinear/learningParameters.js';
import { nonlinearCostGradient } from '../physics/nonlinear/nonlinearGradient.js';
import { NonlinearStateSolver } from '../physics/nonlinear/NonlinearStateSolver.js';
import { StateSolver } from '../physics/StateSolver.js';
import type { Example, Task } from '../physics/Task.js';
import { checkProblem } from './costHessian.js';

/**
 * A rule and its contrast parameter: CL with clamping strength eta (dimensionless, in (0, 1]); EP or centered EP
 * with nudge conductance beta (siemens, > 0).
 */
export type FidelityRule = { rule: 'cl'; eta: number } | { rule: 'ep' | 'cep'; beta: number };

/** Agreement of one rule's gradient estimate with the exact gradient. */
export interface FidelityResult {
  rule: 'cl' | 'ep' | 'cep';
  /** eta (CL, dimensionless) or beta (EP, CEP; S). */
  parameter: number;
  /**
   * Cosine of the angle between the rule's gradient and dC/dk, both summed (equivalently averaged) over the examples;
   * +1 = same direction as dC/dk. NaN when either sum is the zero vector.
   */
  cosine: number;
  /** The same angle in degrees, 0..180. */
  angleDeg: number;
  /**
   * |g_rule| / |g_exact| of the sums. EP, CEP: dimensionless, -> 1 as beta -> 0. CL: in S (V^2 over V^2/S), not
   * expected to tend to 1. Infinity (or NaN) when the exact sum is zero.
   */
  normRatio: number;
  /** Cosine and norm ratio of each example alone, in the order of the examples. */
  perExample: { cosine: number; normRatio: number }[];
}

/**
 * Compare each rule's gradient estimate with the exact cost gradient at the network's conductances.
 * @param net network; `net.conductance` is the point of evaluation (S, all > 0)
 * @param task node roles and, by default, the examples (`task.train`)
 * @param rules the rules and parameters to evaluate; each result is in the order of `rules`
 * @param opts.examples examples to use instead of `task.train`
 * @throws InvalidInputError naming the rule and parameter for an eta outside (0, 1] or a beta that is not > 0
 */
export function gradientFidelity(net: Network, task: Task, rules: FidelityRule[], opts: { examples?: Example[] } = {}): FidelityResult[] {
  const examples = opts.examples ?? task.train;
  if (!Array.isArray(rules)) throw new InvalidInputError({ field: 'rules' }, `gradientFidelity: must be an array of rules, got ${show(rules)}`);
  const objects = rules.map(ruleObject);
  checkProblem(net, task, examples, 'gradientFidelity');
  const { edgeA, edgeB } = net;
  const E = edgeA.length;
  const nonlinear = isNonlinear(net);
  const theta = nonlinear ? initialParameters(net) : net.conductance;
  const solver = nonlinear ? new NonlinearStateSolver(net, task) : new StateSolver(net, task);
  solver.setConductance(theta);
  const signals = nonlinear ? nonlinearSignals(net, theta, [0, Infinity], [-Infinity, Infinity]) : undefined;

  const frees: CircuitState[] = examples.map((ex) => solver.free(ex.in));
  const exact = frees.map((free, m) =>
    solver instanceof StateSolver ? costGradient(solver, free, examples[m].out) : nonlinearCostGradient(net, theta, task, free.voltages, examples[m].out),
  );
  const exactSum = new Float64Array(E);
  for (const g of exact) for (let e = 0; e < E; e++) exactSum[e] += g[e];

  return objects.map((obj, r) => {
    const sum = new Float64Array(E);
    const g = new Float64Array(E);
    const perExample = frees.map((free, m) => {
      obj.gradient(edgeA, edgeB, obj.states(solver, free, examples[m].out), g, signals);
      for (let e = 0; e < E; e++) sum[e] += g[e];
      return compare(g, exact[m]);
    });
    const spec = rules[r];
    return fidelityResult(spec.rule, spec.rule === 'cl' ? spec.eta : spec.beta, sum, exactSum, perExample);
  });
}

/**
 * One rule's result from the summed estimate and the summed exact gradient (and the per-example comparisons): the one
 * place the angle and norm ratio are defined, for every kind of network (a spring network's directions are its
 * "examples").
 */
export function fidelityResult(rule: FidelityResult['rule'], parameter: number, estimate: Float64Array, exact: Float64Array, perExample: FidelityResult['perExample']): FidelityResult {
  const total = compare(estimate, exact);
  return {
    rule,
    parameter,
    cosine: total.cosine,
    angleDeg: (Math.acos(Math.max(-1, Math.min(1, total.cosine))) * 180) / Math.PI,
    normRatio: total.normRatio,
    perExample,
  };
}

function ruleObject(spec: FidelityRule, i: number): LearningRule {
  const rule = (spec as { rule?: unknown })?.rule;
  if (rule === 'cl') {
    const eta = (spec as { eta: number }).eta;
    if (!(typeof eta === 'number' && eta > 0 && eta <= 1)) {
      throw new InvalidInputError({ field: `rules[${i}].eta` }, `gradientFidelity: rule 'cl' needs a clamping strength eta in (0, 1], got ${show(eta)}`, 'use e.g. eta: 0.1');
    }
    return new CoupledLearning(eta, 1);
  }
  if (rule === 'ep' || rule === 'cep') {
    const beta = (spec as { beta: number }).beta;
    if (!(typeof beta === 'number' && beta > 0 && Number.isFinite(beta))) {
      throw new InvalidInputError({ field: `rules[${i}].beta` }, `gradientFidelity: rule '${rule}' needs a nudge conductance beta > 0 (S), got ${show(beta)}`, 'use e.g. beta: 0.01');
    }
    return new EquilibriumPropagation(beta, 1, rule === 'cep');
  }
  throw new InvalidInputError({ field: `rules[${i}].rule` }, `gradientFidelity: must be 'cl', 'ep' or 'cep', got ${show(rule)}`);
}

/** Cosine of the angle between a and b (NaN when either is 0) and |a| / |b|. */
export function compare(a: Float64Array, b: Float64Array): { cosine: number; normRatio: number } {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let e = 0; e < a.length; e++) {
    dot += a[e] * b[e];
    na += a[e] * a[e];
    nb += b[e] * b[e];
  }
  const cosine = na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : NaN;
  return { cosine, normRatio: Math.sqrt(na / nb) };
}
