/**
 * The cost parts of a spring network's strain task (issue 17, point 6): the cost Hessian d2C/dk_i dk_j with its
 * Gauss-Newton part J^T J, and the fidelity of the coupled-learning contrast to the exact gradient. Exact: adjoint
 * solves on the StrainSolver's factorisation, no finite differences.
 *
 * Cost: C = sum over the task's directions of 1/2 (eps_T^F - Delta)^2 (dimensionless; one direction, or two when
 * cooperative), as strainCostGradient (src/physics/springs/strainGradient.ts). Units: k in energy / length^2.
 *
 * First derivatives (strainGradient.ts): with the free state u (H u = lambda c_S, c_S . u = eps_S) and the adjoint w
 * (H w = c_T + nu c_S, c_S . w = 0), J_i = d eps_T^F / dk_i = -p_i q_i, q = ext(u), p = ext(w) (length each).
 *
 * Second derivatives. Differentiating the free state's stationarity at fixed eps_S, H du + B_j q_j = dlambda c_S,
 * c_S . du = 0, so du/dk_j = -G_S B_j q_j with G_S the compliance with the source pair held (x = G_S f solves
 * H x = f + nu c_S, c_S . x = 0); likewise dw/dk_j = -G_S B_j p_j. Hence dq_i/dk_j = -R_ij q_j and
 * dp_i/dk_j = -R_ij p_j with the transfer compliance R_ij = B_i^T G_S B_j (length^2 / energy, symmetric), and
 *
 *     d2 eps_T^F / dk_i dk_j = R_ij (p_i q_j + p_j q_i),
 *
 * the same form as a resistor network's (costHessian.ts: R_ij [(d_i . u)(d_j . V) + (d_j . u)(d_i . V)]). The Hessian
 * is sum_d [J_d J_d^T + r_d R^(d) o (p_d q_d^T + q_d p_d^T)] with r_d = eps_T^F - Delta. Solves: two per direction for
 * J, and (second order) one per spring and direction for R (the source pair differs between the directions).
 *
 * Zero modes do not enter: B_j is orthogonal to every rigid and floppy mode (they stretch no spring), and extensions
 * do not see them.
 */
import { NumericalError } from '../errors.js';
import { degreesOfFreedom, springCount } from '../physics/springs/SpringNetwork.js';
import type { LinearResponse, StrainSolver } from '../physics/springs/StrainSolver.js';
import { strainDirections, type StrainTask } from '../physics/springs/StrainTask.js';
import { strainCostGradient, targetStrainGradient } from '../physics/springs/strainGradient.js';
import { contrastGradient } from '../physics/springs/springRules.js';
import type { CostHessianResult } from './costHessian.js';
import { compare, fidelityResult, type FidelityResult } from './gradientFidelity.js';

/**
 * The cost Hessian of a strain task at the solver's stiffnesses, in the shape of a resistor network's
 * ({@link CostHessianResult}; "examples" are the task's directions, the Jacobian has one row per direction).
 * Units: gradient length^2 / energy, Hessian length^4 / energy^2, cost dimensionless.
 * @param secondOrder also the residual term (the full Hessian), one solve per spring and direction. Default true.
 * @throws InvalidInputError when a floppy mode strains the target without the source (targetStrainGradient);
 *   NumericalError when a solve does not converge
 */
export function springCostHessian(solver: StrainSolver, task: StrainTask, opts: { secondOrder?: boolean } = {}): CostHessianResult {
  const secondOrder = opts.secondOrder ?? true;
  const net = solver.net;
  const E = springCount(net);
  const n = degreesOfFreedom(net);
  const { dim, edgeA, edgeB } = net;
  const b = solver.directions;
  const directions = strainDirections(task);
  const D = directions.length;
  let solves = 0;
  let maxRes = 0;
  const note = (r: LinearResponse, what: string): void => {
    if (!r.diagnostics.converged) throw new NumericalError(`springCostHessian: ${what} did not converge (residual ${r.diagnostics.residual})`);
    maxRes = Math.max(maxRes, r.diagnostics.residual);
  };
  const jacobian = new Float64Array(D * E);
  const gradient = new Float64Array(E);
  const gaussNewton = new Float64Array(E * E);
  const full = secondOrder ? new Float64Array(E * E) : null;
  let cost = 0;
  const force = new Float64Array(n);
  directions.forEach((dir, d) => {
    const tg = targetStrainGradient(solver, dir, task.sourceStrain);
    solves += 2;
    note(tg.free, `the free state of direction ${d}`);
    note(tg.adjoint, `the adjoint of direction ${d}`);
    const r = tg.targetStrain - task.delta;
    cost += 0.5 * r * r;
    const J = jacobian.subarray(d * E, (d + 1) * E);
    J.set(tg.gradient);
    for (let i = 0; i < E; i++) gradient[i] += r * J[i];
    for (let i = 0; i < E; i++) {
      const ji = J[i];
      if (ji === 0) continue;
      const row = i * E;
      for (let j = 0; j < E; j++) gaussNewton[row + j] += ji * J[j];
    }
    if (!full || r === 0) return;
    const q = tg.free.extensions;
    const p = tg.adjoint.extensions;
    // column j of R^(d): the extensions of G_S B_j (B_j: -b_j at a_j, +b_j at b_j, a unit pair of forces along the spring)
    for (let j = 0; j < E; j++) {
      force.fill(0);
      for (let c = 0; c < dim; c++) {
        force[dim * edgeA[j] + c] -= b[dim * j + c];
        force[dim * edgeB[j] + c] += b[dim * j + c];
      }
      const x = solver.solve([{ pair: dir.source, strain: 0 }], force);
      solves++;
      // (spring j joining the source pair is balanced by the constraint alone, x = 0: the solver's residual is relative
      // to the force terms, so it is rounding there too)
      note(x, `the transfer-compliance solve of spring ${j}, direction ${d}`);
      const Rj = x.extensions;
      for (let i = 0; i < E; i++) full[i * E + j] += r * Rj[i] * (p[i] * q[j] + p[j] * q[i]);
    }
  });
  if (full) {
    // R is symmetric (G_S is): average the two triangles' rounding, then add the Gauss-Newton part
    for (let i = 0; i < E; i++) {
      for (let j = i; j < E; j++) {
        const s = 0.5 * (full[i * E + j] + full[j * E + i]);
        full[i * E + j] = s + gaussNewton[i * E + j];
        full[j * E + i] = s + gaussNewton[j * E + i];
      }
    }
  }
  return { edges: E, examples: D, gaussNewton, full, cost, gradient, jacobian, diagnostics: { solves, maxSolveResidual: maxRes } };
}

/**
 * Coupled learning's gradient estimate on a strain task at clamping strength eta (length^2), oriented as +dC/dk: the
 * trainer's own signal, `contrastGradient` of src/physics/springs/springRules.ts (the update is k <- clip(k - alpha g),
 * g = 1/(2 eta) sum_d [(ext_d^C)^2 - (1 - lambda)(ext_d^F)^2]), on the solver's task states. Returns the sum and each
 * direction's term (the same law on that direction's states alone).
 */
export function springContrastGradient(solver: StrainSolver, task: StrainTask, eta: number): { sum: Float64Array; perDirection: Float64Array[] } {
  const states = solver.taskStates(task, eta);
  return { sum: contrastGradient(states, eta, task.lambda), perDirection: states.map((s) => contrastGradient([s], eta, task.lambda)) };
}

/**
 * Fidelity of coupled learning on a strain task: the angle and norm ratio of {@link springContrastGradient} to the
 * exact dC/dk (strainCostGradient), for each eta. As eta -> 0 the contrast of one direction tends to kappa dC/dk, with
 * kappa = 1 / (c_T . G_S c_T) the target pair's stiffness with the source held (energy): (E^C - E^F) / eta varies with
 * k through d^2 E / (dk d eps_T) = -kappa d eps_T^F / dk. So for an allosteric task (one direction, lambda 0) the
 * cosine tends to 1 and the norm ratio to kappa; cooperative directions are weighted by their own kappa, and lambda > 0
 * adds lambda (ext^F)^2 / (2 eta), which does not vanish as eta -> 0. The correction is O(eta r^2 ext(delta)^2) against
 * r ext^F ext(delta) (delta: the field of a unit target strain with the source held), so the limit needs eta well below
 * |eps_T^F| / |Delta - eps_T^F|: on a 64 x 64 lattice with a far target (eps_T^F = -2.4e-5, Delta 0.3) the angle is
 * 119 deg at eta 1e-3 and 0.18 deg at 1e-6.
 * @returns one result per eta (rule 'cl', parameter eta; normRatio in energy units); perExample holds the directions
 */
export function springFidelity(solver: StrainSolver, task: StrainTask, etas: number[]): FidelityResult[] {
  const exact = strainCostGradient(solver, task);
  const perExact = exact.directions.map((d) => {
    const err = d.targetStrain - task.delta;
    return Float64Array.from(d.gradient, (g) => err * g);
  });
  return etas.map((eta) => {
    const est = springContrastGradient(solver, task, eta);
    return fidelityResult('cl', eta, est.sum, exact.gradient, est.perDirection.map((g, d) => compare(g, perExact[d])));
  });
}

/** The learning rates at which a strain task's linearised error dynamics turn unstable ({@link springCriticalRates}). */
export interface SpringCriticalRates {
  /** Per direction, the target pair's stiffness with the source pair held, kappa_d = 1 / (c_T . G_S c_T) (energy). */
  kappa: number[];
  /** Per direction, |J_d|^2 = |d eps_T^F / dk|^2 (length^4 / energy^2). */
  jacobianNormSq: number[];
  /** 2 / lambda_max(M), M_dd' = kappa_d' J_d . J_d': cl's critical alpha as eta -> 0, lambda 0 (energy / length^4). */
  cl: number;
  /** 2 / lambda_max(J J^T): the gradient rule's critical alpha (energy^2 / length^4). */
  gradient: number;
}

/**
 * The critical learning rates of a strain task at the solver's stiffnesses. Linearised, a step changes the target
 * strains by d eps = J dk; cl's step is dk = -alpha sum_d kappa_d (eps_d - Delta) J_d + O(eta) (its eta -> 0 limit,
 * springFidelity), so the residuals r = eps - Delta evolve as r <- (I - alpha M) r with M_dd' = kappa_d' (J_d . J_d'),
 * and the gradient rule's as r <- (I - alpha J J^T) r. Above 2 / lambda_max the error grows. M = G K (G the Gram
 * matrix of the J_d, K = diag kappa) has the eigenvalues of K^1/2 G K^1/2. The scale is set by |J|^2, which falls
 * steeply with the source-target distance (kappa stays of order k): no fixed alpha suits every network. The rate is
 * that of the start: far from Delta the response, and with it the critical rate, changes as the network learns.
 * Solves: two per direction for J, one per direction for kappa.
 */
export function springCriticalRates(solver: StrainSolver, task: StrainTask): SpringCriticalRates {
  const dirs = strainDirections(task);
  const J = dirs.map((dir) => targetStrainGradient(solver, dir, task.sourceStrain).gradient);
  const kappa = dirs.map((dir) => {
    // a unit target strain with the source held at 0: the target's constraint force is kappa (energy)
    const r = solver.solve([{ pair: dir.source, strain: 0 }, { pair: dir.target, strain: 1 }]);
    if (!r.diagnostics.converged) throw new NumericalError(`springCriticalRates: the target-stiffness solve did not converge (residual ${r.diagnostics.residual})`);
    return r.forces[1];
  });
  const D = dirs.length;
  const gram = (a: number, b: number): number => {
    let s = 0;
    for (let e = 0; e < J[a].length; e++) s += J[a][e] * J[b][e];
    return s;
  };
  const G = Array.from({ length: D }, (_, a) => Array.from({ length: D }, (_, b) => gram(a, b)));
  const maxEig = (m: number[][]): number => {
    if (m.length === 1) return m[0][0];
    const [a, b, d] = [m[0][0], m[0][1], m[1][1]];
    return 0.5 * (a + d) + Math.sqrt(0.25 * (a - d) ** 2 + b * b);
  };
  const sk = kappa.map((x) => Math.sqrt(Math.max(x, 0)));
  const S = G.map((row, a) => row.map((g, b) => sk[a] * g * sk[b]));
  return { kappa, jacobianNormSq: G.map((row, a) => row[a]), cl: 2 / maxEig(S), gradient: 2 / maxEig(G) };
}
