/**
 * Spring training-step benchmark (`npm run bench -- springstep`; issue 17 point 7: "a training step and the thermal
 * analysis for a 2D jammed network of 4,096 nodes, against a dense baseline in the same run where feasible"; the
 * thermal analysis is bench/thermal.ts).
 *
 * Networks: `jammedSprings` (as `clln network springs jammed N --seed 1`) at N = 256, 1024 and 4096 disks; task: the
 * geometry of bench/thermal.ts (`taskOf`: source spring at the centre, target 8 diameters to its right), Delta = 2
 * eps_T^F so that the step is not zero, eta 0.1, alpha 30.
 *
 * - sparse: `SpringTrainer.step()` with the rule cl (numeric Cholesky refactorisation of the pinned stiffness matrix,
 *   the free and clamped states by Green's functions, the update), median over steps of one run; the solver's
 *   construction (ordering, zero-mode analysis, symbolic factorisation) apart, once per network.
 * - dense baseline: the same step by a dense KKT solve per state, [H C Q; C^T 0 0; Q^T 0 0] [u; lambda; a] = [0; eps; 0]
 *   with LU and partial pivoting (src/physics/denseLu.ts; Q the solver's zero-mode basis, so that u is the same
 *   minimum-norm minimiser), then the same update. Run from the smallest size up while the predicted time (the
 *   previous size's x (dof ratio)^3) stays under DENSE_BUDGET_MS; the first step's stiffness change of the two is
 *   compared (max |dk_sparse - dk_dense| / max |dk|).
 */
import { loadavg } from 'node:os';
import { DenseLu } from '../src/physics/denseLu.js';
import { jammedSprings } from '../src/physics/springs/generators/jammed.js';
import { degreesOfFreedom, springCount, type SpringNetwork } from '../src/physics/springs/SpringNetwork.js';
import { SpringTrainer } from '../src/physics/springs/SpringTrainer.js';
import { denseStiffnessMatrix, springExtensions, strainVector } from '../src/physics/springs/stiffnessMatrix.js';
import type { StrainSolver } from '../src/physics/springs/StrainSolver.js';
import type { StrainTask } from '../src/physics/springs/StrainTask.js';
import { taskOf } from './thermal.js';
import { ms, ratio, table } from './timing.js';

const SIZES = [256, 1024, 4096];
const SEED = 1;
const STEPS = 20;
const ETA = 0.1;
const ALPHA = 30;
/** Largest predicted time (ms) of a dense step the bench starts: ~60 s. */
const DENSE_BUDGET_MS = 60_000;

export interface SpringStepCase {
  disks: number;
  nodes: number;
  springs: number;
  dof: number;
  /** StrainSolver construction inside the trainer (ordering, zero modes, symbolic), ms, once. */
  setupMs: number;
  /** Sparse cl step, ms, median over STEPS steps. */
  stepMs: number;
  /** Largest relative residual of the sparse steps' solves. */
  residual: number;
  /** Dense cl step, ms (one step; null when skipped). */
  denseMs: number | null;
  /** max |dk_sparse - dk_dense| / max |dk| on the first step (null without dense). */
  agreement: number | null;
}

export interface SpringStepBench {
  seed: number;
  cases: SpringStepCase[];
  loadBefore: number[];
  loadAfter: number[];
}

/** Displacements of the state with `strains` imposed at `pairs`, by a dense KKT solve (LU, partial pivoting). */
function denseState(net: SpringNetwork, solver: StrainSolver, h: Float64Array, pairs: [number, number][], strains: number[]): Float64Array {
  const n = degreesOfFreedom(net);
  const z = solver.zeroModes.count;
  const m = pairs.length;
  const size = n + m + z;
  const a = new Float64Array(size * size);
  for (let i = 0; i < n; i++) a.set(h.subarray(i * n, (i + 1) * n), i * size);
  pairs.forEach(([i, j], k) => {
    const { dofs, coefficients } = strainVector(net, i, j);
    for (let t = 0; t < dofs.length; t++) {
      a[dofs[t] * size + n + k] = coefficients[t];
      a[(n + k) * size + dofs[t]] = coefficients[t];
    }
  });
  // Q^T u = 0: the minimum-norm minimiser, as the sparse solver returns (exact, no regulariser)
  const q = solver.zeroModes.basis;
  for (let j = 0; j < z; j++) {
    for (let i = 0; i < n; i++) {
      a[i * size + n + m + j] = q[j * n + i];
      a[(n + m + j) * size + i] = q[j * n + i];
    }
  }
  const lu = DenseLu.factor(a, size);
  if (!lu) throw new Error('dense KKT singular');
  const rhs = new Float64Array(size);
  strains.forEach((s, k) => (rhs[n + k] = s));
  return lu.solve(rhs).subarray(0, n);
}

/** One cl step computed densely: the stiffness change dk (the bench's steps stay inside the bounds, so no clipping). */
function denseStep(net: SpringNetwork, solver: StrainSolver, task: StrainTask): Float64Array {
  const h = denseStiffnessMatrix(net, solver.directions, solver.stiffness);
  const uF = denseState(net, solver, h, [task.source], [task.sourceStrain]);
  const c = strainVector(net, task.target[0], task.target[1]);
  let epsT = 0;
  for (let t = 0; t < c.dofs.length; t++) epsT += c.coefficients[t] * uF[c.dofs[t]];
  const uC = denseState(net, solver, h, [task.source, task.target], [task.sourceStrain, epsT + ETA * (task.delta - epsT)]);
  const extF = springExtensions(net, solver.directions, uF);
  const extC = springExtensions(net, solver.directions, uC);
  const dk = new Float64Array(springCount(net));
  for (let e = 0; e < dk.length; e++) dk[e] = (-ALPHA / (2 * ETA)) * (extC[e] ** 2 - extF[e] ** 2);
  return dk;
}

export async function runSpringStepBench(log: (s: string) => void): Promise<SpringStepBench> {
  const loadBefore = loadavg();
  const cases: SpringStepCase[] = [];
  let lastDense: { ms: number; dof: number } | null = null;
  for (const disks of SIZES) {
    const net = jammedSprings({ disks, seed: SEED }).network;
    const base = taskOf(net).task;
    const t0 = performance.now();
    const probe = new SpringTrainer(net, base, { eta: ETA, alpha: ALPHA, steps: STEPS });
    const setupMs = performance.now() - t0;
    // Delta = 2 eps_T^F: a task the network is close to, so the steps stay away from the bounds
    const epsT = probe.targetStrains()[0];
    const task: StrainTask = { ...base, delta: 2 * epsT };
    const trainer = new SpringTrainer(net, task, { eta: ETA, alpha: ALPHA, steps: STEPS });
    const k0 = Float64Array.from(trainer.stiffness);
    const times: number[] = [];
    let dkSparse: Float64Array | null = null;
    for (let s = 0; s < STEPS; s++) {
      const t = performance.now();
      trainer.step();
      times.push(performance.now() - t);
      if (s === 0) dkSparse = Float64Array.from(trainer.stiffness, (k, e) => k - k0[e]);
    }
    times.sort((a, b) => a - b);
    const dof = degreesOfFreedom(net);
    let denseMs: number | null = null;
    let agreement: number | null = null;
    const predicted = lastDense ? lastDense.ms * (dof / lastDense.dof) ** 3 : 0;
    if (predicted <= DENSE_BUDGET_MS) {
      log(`springstep: dense step at ${disks} disks (${dof} dof)${lastDense ? `, predicted ${(predicted / 1000).toFixed(0)} s` : ''} ...`);
      const fresh = new SpringTrainer(net, task, { eta: ETA, alpha: ALPHA, steps: 1 });
      // the sparse step's own solver (fresh stiffness), for its zero-mode basis and directions
      const t = performance.now();
      const dkDense = denseStep(net, fresh.solver, task);
      denseMs = performance.now() - t;
      lastDense = { ms: denseMs, dof };
      let diff = 0;
      let scale = 0;
      for (let e = 0; e < dkDense.length; e++) {
        diff = Math.max(diff, Math.abs(dkDense[e] - dkSparse![e]));
        scale = Math.max(scale, Math.abs(dkDense[e]));
      }
      agreement = diff / scale;
    } else {
      log(`springstep: dense step at ${disks} disks skipped (predicted ${(predicted / 1000).toFixed(0)} s > ${DENSE_BUDGET_MS / 1000} s)`);
    }
    cases.push({ disks, nodes: net.nodes, springs: springCount(net), dof, setupMs, stepMs: times[Math.floor(times.length / 2)], residual: trainer.maxResidual, denseMs, agreement });
    log(`springstep: ${disks} disks: step ${ms(cases[cases.length - 1].stepMs)} ms`);
  }
  return { seed: SEED, cases, loadBefore, loadAfter: loadavg() };
}

export function printSpringStep(b: SpringStepBench): string {
  const rows = b.cases.map((c) => [
    String(c.disks),
    String(c.nodes),
    String(c.springs),
    String(c.dof),
    ms(c.setupMs),
    ms(c.stepMs),
    c.residual.toExponential(1),
    ms(c.denseMs),
    ratio(c.denseMs === null ? null : c.denseMs / c.stepMs),
    c.agreement === null ? '—' : c.agreement.toExponential(1),
  ]);
  return (
    table(['disks', 'nodes', 'springs', 'dof', 'setup ms', 'cl step ms', 'residual', 'dense step ms', 'dense/sparse', 'dk agreement'], rows) +
    `\n\ntarget (issue 17 point 7): a training step on a 2D jammed network of 4,096 nodes, against a dense baseline where feasible` +
    `\nload (1 min) before ${b.loadBefore[0].toFixed(2)}, after ${b.loadAfter[0].toFixed(2)}\n`
  );
}
