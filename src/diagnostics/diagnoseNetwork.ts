/**
 * Everything `clln diagnose` reports about a network (and a task): the physical Hessian's spectrum, its maximally
 * localised soft modes and their boundaries, the cost Hessian, the coupling between the two, the fidelity of the
 * contrastive gradients and the stability of the learning step. Pure and synchronous; each part carries its own
 * diagnostics (method, residual, convergence).
 *
 * A nonlinear network (elements per edge) is taken as it is: its physical parts are those of its linearisation at the
 * free state of the task's first example (nonlinearDiagnostics.ts), its cost parts are in its learning parameters
 * theta (k in S, V_G in V; `nonlinear.units`): the cost Hessian (nonlinearCostHessian), the rules' fidelity to the
 * exact adjoint gradient (gradientFidelity, the rules' own code), the coupling only when every parameter is a
 * conductance and the step stability only without transistors; `skipped` says why a part is left out.
 */
import { InvalidInputError } from '../errors.js';
import type { Network } from '../physics/Network.js';
import type { Task } from '../physics/Task.js';
import { costHessian } from './costHessian.js';
import { gradientFidelity, type FidelityResult, type FidelityRule } from './gradientFidelity.js';
import { nonlinearCostHessian, nonlinearHessian } from './nonlinearDiagnostics.js';
import { isNonlinear, parameterKind } from '../physics/nonlinear/learningParameters.js';
import type { BoundaryFrequency, ModeRegions } from './modeRegions.js';
import type { LocalisedBasis } from './localisedModes.js';
import { kindSoftModes } from './NetworkKind.js';
import { modeCoupling, type CouplingResult } from './modeCoupling.js';
import { physicalSpectrum, type PhysicalSpectrum } from './physicalSpectrum.js';
import { nonlinearStepStability, stepStability, TRANSISTOR_STABILITY_REASON, type LearningStep, type StabilityVerdict, type StepOrigin } from './stepStability.js';
import { symmetricEigen } from './symmetricEigen.js';

export interface DiagnoseOptions {
  /** Eigenpairs at each end of the spectra, and the most soft modes localised (default 10). */
  modes?: number;
  /**
   * Analyse the cost parts of a nonlinear network (E x E dense, each column by two gradients over every example) only
   * up to this many edges (default {@link MAX_NONLINEAR_COST_EDGES}).
   */
  maxNonlinearCostEdges?: number;
  /**
   * Rule parameters for the fidelity part (defaults: eta 0.1; beta 0.01 x the median conductance, S — a nudge far
   * above the network's own conductances is no longer a small perturbation).
   */
  eta?: number;
  beta?: number;
  /**
   * The rule and step the network learns by, for the stability part, and where they came from (a run record, the
   * options). Default {@link defaultLearningStep}: the tap rule for a network with a tap table, else coupled learning
   * with clln train's alpha 0.5 S/V^2.
   */
  learning?: { step: LearningStep; origin: StepOrigin };
  /** Node positions (x, y interleaved); default the network's, else a spectral layout. */
  positions?: Float64Array;
  /** Analyse the cost Hessian (E x E, dense) only up to this many edges (default 3000). */
  maxCostEdges?: number;
}

export interface DiagnosisReport {
  network: { name: string; nodes: number; edges: number };
  /** Where the positions came from. */
  layout: 'network' | 'spectral' | 'given';
  positions: Float64Array;
  /** Spectrum of the Laplacian restricted to the free nodes (with a task), or of the full Laplacian. */
  physical: { restricted: boolean; lowest: PhysicalSpectrum; highest: PhysicalSpectrum };
  /** Maximally localised soft modes: the boundary frequency over N_m, and the chosen N_m's basis and regions. */
  localisation: { frequency: BoundaryFrequency; basis: LocalisedBasis; regions: ModeRegions } | null;
  cost: {
    examples: number;
    /**
     * Mean cost over the training examples (V^2) and the norm of its gradient (V^2/S; a nonlinear network's in its
     * parameters theta, `nonlinear.units`).
     */
    value: number;
    gradientNorm: number;
    /**
     * Eigenvalues of the full cost Hessian and of its Gauss-Newton part, descending (top `modes`); V^2/S^2, or in a
     * nonlinear network's parameters theta (`nonlinear.units`).
     */
    full: Float64Array;
    gaussNewton: Float64Array;
    /** Null for a nonlinear network whose parameters are not all conductances (`skipped` says why). */
    coupling: CouplingResult | null;
    fidelity: FidelityResult[];
    /**
     * The stability verdict of the rule and step the network learns by (one entry; none for a nonlinear network with
     * transistors, `skipped` says why).
     */
    stability: StabilityVerdict[];
  } | null;
  /** Why a part was left out. */
  skipped: string[];
  /**
   * A nonlinear network (only then present): the physical parts are those of its linearisation at `linearisedAt`
   * (nonlinearDiagnostics.ts), the cost parts are in its learning parameters theta.
   */
  nonlinear?: NonlinearPart;
}

/** What a nonlinear network's report adds: where it was linearised, and the units of its learning parameters. */
export interface NonlinearPart {
  linearisedAt: string;
  /** ||J - J^T||_F / ||J||_F of the Kirchhoff Jacobian at that state (0 without transistors). */
  asymmetry: number;
  /** Edges per learning parameter: conductance k (S: linear edges, resistors), gate V_G (V: transistors), none. */
  parameters: { conductance: number; gate: number; none: number };
  /** Units of theta, of the cost gradient and of the cost Hessian's entries. */
  units: { theta: string; gradient: string; hessian: string };
}

/** Edges above which a nonlinear network's cost parts are skipped (2 E gradient evaluations of M Newton solves each). */
export const MAX_NONLINEAR_COST_EDGES = 400;

/** The state a nonlinear network is linearised at (its physical Hessian is the Jacobian there). */
export const LINEARISED_AT = 'the free state of the first training example';

/** Units of the learning parameters and of the cost's derivatives, by which kinds of parameter the network has. */
function parameterUnits(conductance: number, gate: number): NonlinearPart['units'] {
  if (gate === 0) return { theta: 'k (S)', gradient: 'V^2/S', hessian: 'V^2/S^2' };
  if (conductance === 0) return { theta: 'V_G (V)', gradient: 'V^2/V = V', hessian: 'V^2/V^2 (dimensionless)' };
  return {
    theta: 'k (S) on conductance edges, V_G (V) on transistors',
    gradient: 'V^2/S on conductances, V on gates',
    hessian: 'mixed: V^2/S^2 (k-k), V^2/(S V) (k-V_G), dimensionless (V_G-V_G); the eigenvalues depend on that choice of units',
  };
}

/** clln train's learning rate, S/V^2 (src/physics/Trainer.ts): the step assumed for a network given without one. */
export const DEFAULT_ALPHA = 0.5;

/**
 * The step a network is assumed to learn by when none is given: a network with a tap table is a board of digital
 * potentiometers, which learns by the tap rule; any other, coupled learning at clln train's defaults (eta as given,
 * alpha {@link DEFAULT_ALPHA}).
 */
export function defaultLearningStep(net: Pick<Network, 'taps'>, eta = 0.1): { step: LearningStep; origin: StepOrigin } {
  if (net.taps) return { step: { rule: 'tap', eta, taps: net.taps.length }, origin: { from: 'defaults', detail: 'the network has a tap table: a board of digital potentiometers' } };
  return { step: { rule: 'cl', eta, alpha: DEFAULT_ALPHA }, origin: { from: 'defaults', detail: "clln train's defaults; a board's own step: --board MODEL or --run RUN" } };
}

/** The EP nudge assumed when none is given: 0.01 x the median conductance (S), a small perturbation of this network. */
export function defaultBeta(net: Pick<Network, 'conductance'>): number {
  const sorted = Float64Array.from(net.conductance).sort();
  return 0.01 * sorted[Math.floor(sorted.length / 2)];
}

/** Positions for drawing and localisation when a network has none: the 2nd and 3rd Laplacian eigenvectors. */
export function spectralLayout(net: Pick<Network, 'nodes' | 'edgeA' | 'edgeB' | 'conductance'>): Float64Array {
  const sp = physicalSpectrum(net, { which: 'lowest', k: Math.min(net.nodes, 3) });
  const pos = new Float64Array(2 * net.nodes);
  const x = sp.vectors[1];
  const y = sp.vectors[2] ?? sp.vectors[1];
  for (let i = 0; i < net.nodes; i++) {
    pos[2 * i] = x ? x[i] : i;
    pos[2 * i + 1] = y ? y[i] : 0;
  }
  return pos;
}

export function diagnoseNetwork(net: Network, task?: Task, opts: DiagnoseOptions = {}): DiagnosisReport {
  const K = opts.modes ?? 10;
  if (!(Number.isInteger(K) && K >= 2)) throw new InvalidInputError({ field: 'modes' }, `must be an integer >= 2, got ${K}`);
  // a nonlinear network's physical Hessian is its Kirchhoff Jacobian at a state: its linearisation's Laplacian there;
  // its cost parts stay in its own learning parameters
  const nonlinearNet = isNonlinear(net) ? net : undefined;
  let nonlinear: NonlinearPart | undefined;
  if (nonlinearNet) {
    const ref = task?.train[0] ?? task?.test[0];
    if (!task || !ref) throw new InvalidInputError({ field: 'task' }, 'a network with nonlinear elements has a physical Hessian that depends on the state, and no task example gives one', "add a task with at least one example: its first example's free state is the reference");
    const h = nonlinearHessian(nonlinearNet, task, ref.in);
    net = h.linearised;
    const kinds = Array.from(nonlinearNet.edgeA, (_, e) => parameterKind(nonlinearNet.elements?.[e]));
    const count = (k: string): number => kinds.filter((x) => x === k).length;
    nonlinear = {
      linearisedAt: task.train[0] ? LINEARISED_AT : 'the free state of the first test example',
      asymmetry: h.asymmetry,
      parameters: { conductance: count('conductance'), gate: count('gate'), none: count('none') },
      units: parameterUnits(count('conductance'), count('gate')),
    };
  }
  const E = net.edgeA.length;
  const skipped: string[] = [];
  let layout: DiagnosisReport['layout'] = 'given';
  let positions = opts.positions;
  if (!positions) {
    if (net.positions) {
      positions = net.positions;
      layout = 'network';
    } else {
      positions = spectralLayout(net);
      layout = 'spectral';
    }
  }
  const imposed = task ? Int32Array.from([...task.sources, ...task.ground]) : undefined;
  const rows = net.nodes - (imposed?.length ?? 0);
  const k = Math.min(K, rows);
  const lowest = physicalSpectrum(net, { imposed, which: 'lowest', k: Math.min(rows, k + (imposed ? 0 : 1)) });
  const highest = physicalSpectrum(net, { imposed, which: 'highest', k });

  // localisation of the soft modes; a full Laplacian's zero mode (the constant) stays in the set: n weakly joined
  // clusters are combinations of it and the n - 1 softest modes (modeRegions.ts)
  // (the shared driver of every network kind: one component per node, positions in the plane)
  const localisation: DiagnosisReport['localisation'] = kindSoftModes({ components: 1, dim: 2, edgeA: net.edgeA, edgeB: net.edgeB }, lowest, positions);
  if (!localisation) skipped.push('localisation: fewer than 3 soft modes');

  let cost: DiagnosisReport['cost'] = null;
  const top = (m: Float64Array): Float64Array => {
    const ev = symmetricEigen(m, E, { vectors: false }).values;
    return Float64Array.from(ev).reverse().slice(0, K);
  };
  const eta = opts.eta ?? 0.1;
  // (a nonlinear network's beta default: 0.01 x the median differential conductance at the reference state)
  const beta = opts.beta ?? defaultBeta(net);
  const fidelityRules: FidelityRule[] = [{ rule: 'cl', eta }, { rule: 'ep', beta }, { rule: 'cep', beta }];
  if (!task) skipped.push('cost Hessian, coupling, fidelity, stability: no task');
  else if (nonlinearNet && nonlinear) {
    const maxEdges = opts.maxNonlinearCostEdges ?? MAX_NONLINEAR_COST_EDGES;
    if (E > maxEdges) skipped.push(`cost Hessian, coupling, fidelity, stability: a nonlinear network's cost Hessian is differenced column by column; ${E} edges is above maxNonlinearCostEdges (${maxEdges})`);
    else if (task.train.length === 0) skipped.push('cost Hessian: the task has no training examples');
    else if (nonlinear.parameters.none === E) skipped.push('cost Hessian, coupling, fidelity, stability: no edge has a learning parameter (diodes and tables only)');
    else cost = nonlinearCost(nonlinearNet, task, nonlinear, { lowest, K, top, fidelityRules, learning: opts.learning ?? defaultLearningStep(nonlinearNet, eta), linearised: net, skipped });
  } else if (E > (opts.maxCostEdges ?? 3000)) skipped.push(`cost Hessian: ${E} edges is above maxCostEdges (${opts.maxCostEdges ?? 3000})`);
  else if (task.train.length === 0) skipped.push('cost Hessian: the task has no training examples');
  else {
    const h = costHessian(net, task);
    const full = h.full ?? h.gaussNewton;
    const coupling = modeCoupling(full, E, { values: lowest.values, vectors: lowest.vectors }, net.edgeA, net.edgeB);
    const learning = opts.learning ?? defaultLearningStep(net, eta);
    cost = {
      examples: h.examples,
      value: h.cost,
      gradientNorm: Math.hypot(...h.gradient),
      full: top(full),
      gaussNewton: top(h.gaussNewton),
      coupling,
      fidelity: gradientFidelity(net, task, fidelityRules),
      stability: [stepStability(net, task, learning.step, learning.origin, { hessian: h })],
    };
  }
  return {
    network: { name: net.name, nodes: net.nodes, edges: E },
    layout,
    positions,
    physical: { restricted: imposed !== undefined, lowest, highest },
    localisation,
    cost,
    skipped,
    ...(nonlinear ? { nonlinear } : {}),
  };
}

/**
 * The cost parts of a nonlinear network, in its learning parameters theta: the cost Hessian (nonlinearCostHessian),
 * the rules' fidelity to the exact adjoint gradient (gradientFidelity, through the rules' own code), the coupling when
 * every parameter is a conductance, and the step's stability when the Jacobian is symmetric (no transistors).
 */
function nonlinearCost(
  net: Network,
  task: Task,
  part: NonlinearPart,
  c: {
    lowest: PhysicalSpectrum;
    K: number;
    top: (m: Float64Array) => Float64Array;
    fidelityRules: FidelityRule[];
    learning: { step: LearningStep; origin: StepOrigin };
    linearised: Network;
    skipped: string[];
  },
): NonNullable<DiagnosisReport['cost']> {
  const h = nonlinearCostHessian(net, task);
  const E = h.edges;
  // mode coupling rests on dk_e changing a mode's stiffness by dk_e (psi_b - psi_a)^2: true of conductance parameters
  // (a resistor's differential conductance is k), not of gate voltages (dg/dV_G = s in the Ohmic region, 0 in
  // cut-off, and a mean-voltage term), and a cosine over mixed units depends on the units; edges without a parameter
  // (diodes, tables) have no cost direction, so the comparison is over the learning edges
  let coupling: CouplingResult | null = null;
  if (part.parameters.gate > 0) {
    c.skipped.push(
      `coupling: the cost Hessian is over gate voltages V_G (V)${part.parameters.conductance > 0 ? ' and conductances (S)' : ''}; a gate step changes its edge's differential conductance by dg/dV_G (s while conducting, 0 in cut-off), not by one, so the squared drops of the physical modes are not a cost direction in these units${part.parameters.conductance > 0 ? ', and a cosine over mixed units depends on the choice of units' : ''}`,
    );
  } else {
    const learn = Array.from({ length: E }, (_, e) => e).filter((e) => parameterKind(net.elements?.[e]) !== 'none');
    const n = learn.length;
    const sub = new Float64Array(n * n);
    learn.forEach((i, a) => learn.forEach((j, b) => (sub[a * n + b] = h.full[i * E + j])));
    coupling = modeCoupling(sub, n, { values: c.lowest.values, vectors: c.lowest.vectors }, Int32Array.from(learn, (e) => net.edgeA[e]), Int32Array.from(learn, (e) => net.edgeB[e]));
    if (n < E) c.skipped.push(`coupling: the ${E - n} edges without a learning parameter (diodes, tables) are left out; it compares over the ${n} conductance edges`);
  }
  const stability: StabilityVerdict[] = [];
  const verdict = nonlinearStepStability(net, c.learning.step, c.learning.origin, h);
  if (verdict) stability.push(verdict);
  else c.skipped.push(`stability: ${TRANSISTOR_STABILITY_REASON}`);
  return {
    examples: h.examples,
    value: h.cost,
    gradientNorm: Math.hypot(...h.gradient),
    full: c.top(h.full),
    gaussNewton: c.top(h.gaussNewton),
    coupling,
    fidelity: gradientFidelity(net, task, c.fidelityRules),
    stability,
  };
}
