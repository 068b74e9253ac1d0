/**
 * One spring-network member of an ensemble (issue 16 point 1, issue 17 point 5): generate the network (triangular or
 * jammed) from the member's network seed, pick the strain task's pairs ("auto") from its task seed, train with the
 * SpringTrainer, then measure at the final stiffness. Deterministic from (spec, index), like the resistor members:
 * nothing is random beyond the seeds, and every solver is sequential.
 *
 * Units: consistent and arbitrary (k_B = 1, mass 1). Stiffness and eigenvalues of the stiffness matrix in
 * energy/length^2, energies and T* in the energy unit, strains dimensionless, the error in strain^2.
 */
import { NumericalError } from '../errors.js';
import { kindCoupling, kindSoftModes, kindSpectrum, springKind } from '../diagnostics/NetworkKind.js';
import { alignmentOf, softModeDrops } from '../diagnostics/modeCoupling.js';
import { springCostHessian } from '../diagnostics/springCost.js';
import { symmetricEigen } from '../diagnostics/symmetricEigen.js';
import { generatorRng } from '../physics/generators/options.js';
import { jammedSprings } from '../physics/springs/generators/jammed.js';
import { pickStrainPairs } from '../physics/springs/generators/strainPairs.js';
import { triangularSprings } from '../physics/springs/generators/triangular.js';
import { SpringTrainer } from '../physics/springs/SpringTrainer.js';
import type { SpringNetwork } from '../physics/springs/SpringNetwork.js';
import type { StrainSolver } from '../physics/springs/StrainSolver.js';
import { strainDirections, type StrainTask } from '../physics/springs/StrainTask.js';
import { thermalAnalysis } from '../physics/springs/thermal/harmonicThermal.js';
import type { SpringEnsembleSpec } from './EnsembleSpec.js';

/**
 * Above this spring count the stiff alignment uses the Gauss-Newton cost Hessian instead of the full one: the full
 * Hessian needs one solve per spring and direction and a dense E x E eigen-solve (about a minute at E = 2000), while
 * the Gauss-Newton Hessian sum_d J_d J_d^T has rank <= 2 (one row J_d per direction), so its stiffest eigenvector is
 * found exactly in the span of the J_d (a 1 x 1 or 2 x 2 eigenproblem), with no E x E matrix. The second-order term is
 * proportional to the residuals eps_T^F - Delta and vanishes at a fit (as for resistors: src/ensemble/README.md).
 */
export const MAX_SPRING_ALIGNMENT_EDGES = 2000;

/** One direction's measures (source S -> target T of the task: A -> B, and B -> A when cooperative). */
export interface SpringDirectionMeasures {
  source: [number, number];
  target: [number, number];
  /** eps_T^F: the target strain achieved in the free state with eps_S = sourceStrain (dimensionless). */
  targetStrain: number;
  /**
   * |<u, psi_1>| / |u|: the free-state displacement u (least norm, no zero-mode part) projected on the unit eigenvector
   * psi_1 of the lowest non-zero eigenvalue of the stiffness matrix (dimensionless, 0..1).
   */
  projection: number;
  /** Energy of the least-energy state with eps_S = sourceStrain alone imposed (energy unit). */
  energySource: number;
  /** Energy with eps_T = delta alone imposed (the energy to strain the target alone). */
  energyTarget: number;
  /** Energy with both imposed, eps_S = sourceStrain and eps_T = delta; energyBoth - energySource is the cost of the target once the source is strained. */
  energyBoth: number;
  /** Harmonic crossover temperature T* (energy unit, k_B = 1; thermalAnalysis, hard source constraint, s = sourceStrain). */
  tStar: number;
  /** Why T* is what it is: crossing, floppy (T* = 0) or no-response (T* = 0). */
  tStarReason: string;
}

/** What a spring member adds to a member's result (src/ensemble/runMember.ts MemberResult.springs). */
export interface SpringMeasures {
  /** The task's pairs as used (picked when the spec says "auto"). */
  source: [number, number];
  target: [number, number];
  /** The task error before training, the mean over directions of (eps_T^F - Delta)^2 (strain^2). */
  initialError: number;
  /** Zero modes of the stiffness matrix (excluded from the spectrum): rigid and floppy. */
  rigidModes: number;
  floppyModes: number;
  /** One (allostery) or two (cooperative: A -> B, B -> A) directions. */
  directions: SpringDirectionMeasures[];
  /** How T* was computed: thermalAnalysis's route (`dense-normal-modes` up to 600 dof, else `sparse-cholesky`). */
  thermalRoute: string;
}

/** Member `index`'s spring network before training (stiffness drawn from its network seed when a range is given). */
export function memberSpringNetwork(spec: SpringEnsembleSpec, seed: number): SpringNetwork {
  const g = spec.network;
  const k0 = typeof g.stiffness === 'number' ? g.stiffness : (g.stiffness[0] + g.stiffness[1]) / 2;
  const net =
    g.generator === 'triangular'
      ? triangularSprings({ rows: g.rows, cols: g.cols, coordination: g.coordination ?? undefined, disorder: g.disorder, seed, stiffness: k0, bounds: g.bounds }).network
      : jammedSprings({ disks: g.disks, packingFraction: g.phi, seed, stiffness: k0, bounds: g.bounds }).network;
  if (typeof g.stiffness !== 'number') {
    // a stream of its own, so the generator's draws (dilution, disorder) do not depend on whether a range is given
    const rng = generatorRng(seed, 'ensembleSprings');
    const [lo, hi] = g.stiffness;
    for (let e = 0; e < net.stiffness.length; e++) net.stiffness[e] = rng.uniform(lo, hi);
  }
  return net;
}

/** Member's strain task: fixed pairs as given, "auto" ones picked from the task seed (pickStrainPairs). */
export function memberStrainTask(spec: SpringEnsembleSpec, seed: number, net: SpringNetwork): StrainTask {
  const t = spec.task;
  const fixed = { source: t.source === 'auto' ? undefined : t.source, target: t.target === 'auto' ? undefined : t.target };
  const { source, target } = pickStrainPairs(net, seed, fixed);
  return { source, target, sourceStrain: t.sourceStrain, delta: t.delta, cooperative: t.cooperative, lambda: t.lambda };
}

/** What the shared member loop needs from a trained spring member. */
export interface SpringMemberRun {
  steps: number;
  converged: boolean;
  error: number;
  lambdaLow: number;
  lambdaHigh: number;
  stiffAlignment: number | null;
  stiffness: Float64Array;
  boundaryFrequency: Float64Array | null;
  edges: number;
  nodes: number;
  springs: SpringMeasures;
}

/**
 * Train a spring member and measure it (see the file comment).
 * @param onProgress called every ~1 % of the steps with (steps done, stop.maxSteps)
 */
export function runSpringMember(spec: SpringEnsembleSpec, seeds: { network: number; task: number }, onProgress?: (done: number, steps: number) => void): SpringMemberRun {
  const net = memberSpringNetwork(spec, seeds.network);
  const task = memberStrainTask(spec, seeds.task, net);
  const { maxSteps, targetMse, checkEvery } = spec.stop;
  const trainer = new SpringTrainer(net, task, { rule: spec.training.rule, eta: spec.training.eta, alpha: spec.training.alpha, steps: maxSteps, bounds: spec.network.bounds });
  const initialError = trainer.mse();
  let converged = false;
  const every = Math.max(1, Math.floor(maxSteps / 100));
  while (trainer.stepCount < maxSteps) {
    trainer.step();
    const s = trainer.stepCount;
    if (onProgress && (s % every === 0 || s === maxSteps)) onProgress(s, maxSteps);
    if (targetMse !== null && (s % checkEvery === 0 || s === maxSteps) && trainer.mse() <= targetMse) {
      converged = true;
      break;
    }
  }
  const error = trainer.mse(); // also refactorises the solver at the final stiffness
  if (targetMse !== null && maxSteps === 0 && error <= targetMse) converged = true;
  // the trainer's solver holds the trained network (its stiffness array is the trainer's): reuse its factorisation
  const solver = trainer.solver;
  const trained = solver.net;
  const m = measureSpringMember(spec, trained, task, solver);
  return { steps: trainer.stepCount, converged, error, ...m, stiffness: Float64Array.from(trainer.stiffness), edges: trained.edgeA.length, nodes: trained.nodes, springs: { ...m.springs, initialError } };
}

/**
 * The measures of a trained spring network (the solver built on `net` at its current stiffness). Exported for tests.
 */
export function measureSpringMember(
  spec: Pick<SpringEnsembleSpec, 'diagnostics'>,
  net: SpringNetwork,
  task: StrainTask,
  solver: StrainSolver,
): Pick<SpringMemberRun, 'lambdaLow' | 'lambdaHigh' | 'stiffAlignment' | 'boundaryFrequency'> & { springs: Omit<SpringMeasures, 'initialError'> } {
  const kind = springKind(net, task, { solver });
  const z = solver.zeroModes;
  const available = net.dim * net.nodes - z.count;
  const lowest = kindSpectrum(kind, { which: 'lowest', k: Math.min(available, spec.diagnostics.modes) });
  const highest = kindSpectrum(kind, { which: 'highest', k: 1 });
  if (!lowest.converged || !highest.converged) throw new NumericalError(`the stiffness matrix's extreme eigenpairs did not converge (residual ${Math.max(lowest.residual, highest.residual)})`);
  const E = net.edgeA.length;
  const modes = { values: lowest.values, vectors: lowest.vectors };

  let stiffAlignment: number | null = null;
  if (spec.diagnostics.alignment) {
    if (E <= MAX_SPRING_ALIGNMENT_EDGES) {
      const h = springCostHessian(solver, task);
      stiffAlignment = kindCoupling(kind, h.full ?? h.gaussNewton, modes, { stiff: 1 }).best.cosine;
    } else {
      const h = springCostHessian(solver, task, { secondOrder: false });
      const soft = softModeDrops(modes, net.edgeA, net.edgeB, E, (psi) => kind.edgeSignal(psi));
      stiffAlignment = alignmentOf([stiffestOfRows(h.jacobian, h.examples, E)], soft.drops.slice(0, Math.min(10, soft.drops.length))).best.cosine;
    }
  }
  let boundaryFrequency: Float64Array | null = null;
  if (spec.diagnostics.boundaryFrequency && lowest.vectors.length >= 3) {
    boundaryFrequency = kindSoftModes(kind, modes, net.positions)?.frequency.f ?? null;
  }

  // T*: the harmonic crossover per direction; dense normal modes for small networks, else the sparse route on this
  // solver (thermalAnalysis's 'auto', DENSE_MAX_DOF = 600 dof); both give the same Gram to ~1e-12
  const thermal = thermalAnalysis(net, task, { eigen: symmetricEigen, solver });
  const psi1 = lowest.vectors[0];
  const directions = strainDirections(task).map((d, i): SpringDirectionMeasures => {
    const free = solver.freeState(d, task.sourceStrain);
    const u = free.displacements;
    const target = solver.strain(u, d.target[0], d.target[1]);
    let up = 0;
    let uu = 0;
    for (let j = 0; j < u.length; j++) {
      up += u[j] * psi1[j];
      uu += u[j] * u[j];
    }
    const both = solver.solve([{ pair: d.source, strain: task.sourceStrain }, { pair: d.target, strain: task.delta }]);
    const alone = solver.solve([{ pair: d.target, strain: task.delta }]);
    for (const r of [free, both, alone]) if (!r.diagnostics.converged) throw new NumericalError(`a strain solve did not converge (residual ${r.diagnostics.residual})`);
    const th = thermal.directions[i];
    return {
      source: d.source,
      target: d.target,
      targetStrain: target,
      projection: uu > 0 ? Math.abs(up) / Math.sqrt(uu) : 0,
      energySource: free.energy,
      energyTarget: alone.energy,
      energyBoth: both.energy,
      tStar: th.crossover,
      tStarReason: th.crossoverReason,
    };
  });
  return {
    lambdaLow: lowest.values[0],
    lambdaHigh: highest.values[0],
    stiffAlignment,
    boundaryFrequency,
    springs: { source: task.source, target: task.target, rigidModes: z.rigid, floppyModes: z.floppy, directions, thermalRoute: thermal.modes.route },
  };
}

/**
 * The unit eigenvector of the largest eigenvalue of sum_d J_d J_d^T (J: D rows of length E, D = 1 or 2), exactly: the
 * eigenvectors with nonzero eigenvalue lie in the span of the rows, v = sum_d c_d J_d with (G c = mu c), G_de = J_d . J_e.
 */
export function stiffestOfRows(J: Float64Array, D: number, E: number): Float64Array {
  const row = (d: number): Float64Array => J.subarray(d * E, (d + 1) * E);
  const dot = (a: Float64Array, b: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  };
  let c: number[];
  if (D === 1) c = [1];
  else {
    const a = dot(row(0), row(0));
    const b = dot(row(0), row(1));
    const d = dot(row(1), row(1));
    // largest eigenvector of [[a, b], [b, d]]
    const mu = (a + d) / 2 + Math.sqrt(((a - d) / 2) ** 2 + b * b);
    c = Math.abs(b) > 0 ? (a >= d ? [b, mu - a] : [mu - d, b]) : a >= d ? [1, 0] : [0, 1];
  }
  const v = new Float64Array(E);
  c.forEach((cd, d) => {
    const r = row(d);
    for (let i = 0; i < E; i++) v[i] += cd * r[i];
  });
  const n = Math.sqrt(dot(v, v));
  if (n > 0) for (let i = 0; i < E; i++) v[i] /= n;
  return v;
}
