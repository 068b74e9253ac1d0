/**
 * Everything `clln diagnose` reports about a spring network (and a strain task), through the shared NetworkKind
 * interface (NetworkKind.ts): the spectrum of the stiffness matrix on the complement of its zero modes (rigid and
 * floppy modes excluded exactly, and counted), the maximally localised soft modes over the node positions (d
 * displacement components per node), their regions and boundaries, and with a task the cost Hessian (Gauss-Newton and
 * full), its coupling to the soft modes through the squared extensions, and the fidelity of coupled learning to the
 * exact gradient for several eta (the eta -> 0 trend). Pure and synchronous.
 *
 * Not reported for springs (`skipped` says so): the learning-step stability index (resistor rules and steps only, for
 * now).
 *
 * Units (k_B = 1, mass 1): eigenvalues in energy/length^2 (stiffness), displacements in length, strains and the cost
 * dimensionless, dC/dk in length^2/energy, the cost Hessian in length^4/energy^2.
 */
import { InvalidInputError } from '../errors.js';
import { springCount, type SpringNetwork } from '../physics/springs/SpringNetwork.js';
import type { StrainSolverAnalysis } from '../physics/springs/StrainSolver.js';
import { strainDirections, type StrainTask } from '../physics/springs/StrainTask.js';
import { strainCostGradient } from '../physics/springs/strainGradient.js';
import type { CouplingResult } from './modeCoupling.js';
import { kindCoupling, kindSoftModes, kindSpectrum, springKind, type KindHessian, type KindUnits, type SoftModeLocalisation } from './NetworkKind.js';
import type { FidelityResult } from './gradientFidelity.js';
import type { PhysicalSpectrum } from './physicalSpectrum.js';
import { symmetricEigen } from './symmetricEigen.js';

/** Options of {@link diagnoseSprings}. */
export interface SpringDiagnoseOptions {
  /** Eigenpairs at each end of the spectrum, and the most soft modes localised (integer >= 2; default 10). */
  modes?: number;
  /** Clamping strengths of the fidelity part (default [eta, eta / 10, eta / 100] with eta the task's, else 0.1). */
  etas?: number[];
  /**
   * Analyse the cost Hessian and the coupling (E x E dense; one solve per spring and direction) only up to this many
   * springs (default 3000); above, the cost, its gradient and the fidelity are still reported.
   */
  maxCostEdges?: number;
}

/** A spring network's diagnosis. */
export interface SpringDiagnosisReport {
  kind: 'spring';
  network: { name: string; nodes: number; springs: number; dim: 2 | 3; dofs: number };
  units: KindUnits;
  /** The StrainSolver's analysis: zero modes (rigid, floppy), pins, factor size, analysis time. */
  analysis: StrainSolverAnalysis;
  physical: { description: string; zeroModes: KindHessian['zeroModes']; lowest: PhysicalSpectrum; highest: PhysicalSpectrum };
  /** Localised soft modes (vectors of length d N), their regions and boundary frequency; null with fewer than 3 modes. */
  localisation: SoftModeLocalisation | null;
  task?: StrainTask;
  /** The free-state displacement field of each direction (length d N; the source strain imposed), for figures. */
  response: Float64Array[];
  cost: {
    directions: number;
    /** eps_T^F per direction (dimensionless). */
    targetStrains: number[];
    /** C = sum_d 1/2 (eps_T^F - Delta)^2 (dimensionless) and |dC/dk| (length^2/energy). */
    value: number;
    gradientNorm: number;
    /** Largest eigenvalues of the full cost Hessian and of J^T J, descending (length^4/energy^2); empty above maxCostEdges. */
    full: Float64Array;
    gaussNewton: Float64Array;
    coupling: CouplingResult | null;
    /** Coupled learning against the exact gradient, one entry per eta; normRatio in energy units. */
    fidelity: FidelityResult[];
    /** Largest relative residual of the solves behind the cost Hessian. */
    maxSolveResidual: number;
  } | null;
  skipped: string[];
  /** Wall times (ms): solver construction, spectrum, localisation, cost parts. */
  timing: { analysis: number; spectrum: number; localisation: number; cost: number };
}

/**
 * Diagnose a spring network (optionally with its strain task). See the file comment.
 * @throws InvalidInputError for a prestressed network, bad pairs or options; NumericalError when a solve fails
 */
export function diagnoseSprings(net: SpringNetwork, task?: StrainTask & { eta?: number }, opts: SpringDiagnoseOptions = {}): SpringDiagnosisReport {
  const K = opts.modes ?? 10;
  if (!(Number.isInteger(K) && K >= 2)) throw new InvalidInputError({ field: 'modes' }, `must be an integer >= 2, got ${K}`);
  const eta = task?.eta ?? 0.1;
  const etas = opts.etas ?? [eta, eta / 10, eta / 100];
  const skipped: string[] = [];
  let t = performance.now();
  const kind = springKind(net, task, { etas });
  const timing = { analysis: performance.now() - t, spectrum: 0, localisation: 0, cost: 0 };
  const h = kind.hessian();
  const available = h.operator.rows - h.zeroModes.count;
  const k = Math.min(K, available);
  t = performance.now();
  const lowest = kindSpectrum(kind, { which: 'lowest', k });
  const highest = kindSpectrum(kind, { which: 'highest', k });
  timing.spectrum = performance.now() - t;
  t = performance.now();
  const localisation = kindSoftModes(kind, lowest, net.positions);
  if (!localisation) skipped.push('localisation: fewer than 3 soft modes');
  timing.localisation = performance.now() - t;

  let cost: SpringDiagnosisReport['cost'] = null;
  let response: Float64Array[] = [];
  const E = springCount(net);
  if (!task) skipped.push('cost Hessian, coupling, fidelity: no task');
  else {
    response = kind.cost!.freeStates();
    const maxEdges = opts.maxCostEdges ?? 3000;
    const solver = kind.solver;
    const targetStrains = strainDirections(task).map((d, i) => solver.strain(response[i], d.target[0], d.target[1]));
    t = performance.now();
    if (E > maxEdges) {
      // the E x E Hessian is out of reach, the gradient and the fidelity are a few solves: keep them
      skipped.push(`cost Hessian, coupling: ${E} springs is above maxCostEdges (${maxEdges}); the gradient and the fidelity are reported`);
      const g = strainCostGradient(solver, task);
      cost = {
        directions: g.directions.length,
        targetStrains,
        value: g.cost,
        gradientNorm: Math.hypot(...g.gradient),
        full: new Float64Array(0),
        gaussNewton: new Float64Array(0),
        coupling: null,
        fidelity: kind.cost!.fidelity(),
        maxSolveResidual: Math.max(...g.directions.flatMap((d) => [d.free.diagnostics.residual, d.adjoint.diagnostics.residual])),
      };
    } else {
      const c = kind.cost!.hessian();
      const full = c.full ?? c.gaussNewton;
      const top = (m: Float64Array): Float64Array => Float64Array.from(symmetricEigen(m, E, { vectors: false }).values).reverse().slice(0, K);
      cost = {
        directions: c.examples,
        targetStrains,
        value: c.cost,
        gradientNorm: Math.hypot(...c.gradient),
        full: top(full),
        gaussNewton: top(c.gaussNewton),
        coupling: kindCoupling(kind, full, lowest),
        fidelity: kind.cost!.fidelity(),
        maxSolveResidual: c.diagnostics.maxSolveResidual,
      };
    }
    timing.cost = performance.now() - t;
    skipped.push('learning stability: defined for the resistor rules and steps only');
  }
  return {
    kind: 'spring',
    network: { name: net.name, nodes: net.nodes, springs: E, dim: net.dim, dofs: net.dim * net.nodes },
    units: kind.units,
    analysis: kind.solver.analysis,
    physical: { description: h.description, zeroModes: h.zeroModes, lowest, highest },
    localisation,
    ...(task ? { task } : {}),
    response,
    cost,
    skipped,
    timing,
  };
}
