/**
 * Everything `clln diagnose` reports about a network (and a task): the physical Hessian's spectrum, its maximally
 * localised soft modes and their boundaries, the cost Hessian, the coupling between the two, the fidelity of the
 * contrastive gradients and the stability of the learning step. Pure and synchronous; each part carries its own
 * diagnostics (method, residual, convergence).
 */
import { InvalidInputError } from '../errors.js';
import type { Network } from '../physics/Network.js';
import type { Task } from '../physics/Task.js';
import { costHessian } from './costHessian.js';
import { gradientFidelity, type FidelityResult } from './gradientFidelity.js';
import { boundaryFrequency, binariseModes, type BoundaryFrequency, type ModeRegions } from './modeRegions.js';
import { localiseModes, type LocalisedBasis } from './localisedModes.js';
import { modeCoupling, type CouplingResult } from './modeCoupling.js';
import { physicalSpectrum, type PhysicalSpectrum } from './physicalSpectrum.js';
import { stepStability, type LearningStep, type StabilityVerdict, type StepOrigin } from './stepStability.js';
import { symmetricEigen } from './symmetricEigen.js';

export interface DiagnoseOptions {
  /** Eigenpairs at each end of the spectra, and the most soft modes localised (default 10). */
  modes?: number;
  /**
   * `net` is a nonlinear network's linearisation at a state (nonlinearDiagnostics.ts), described by this text: its
   * physical Hessian and modes are reported, and the cost parts are skipped, since its conductances are not the
   * network's learning parameters (nonlinearCostHessian and gradientFidelity take the nonlinear network itself).
   */
  linearisedAt?: string;
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
    /** Mean cost over the training examples (V^2) and the norm of its gradient (V^2/S). */
    value: number;
    gradientNorm: number;
    /** Eigenvalues of the full cost Hessian and of its Gauss-Newton part, descending (top `modes`). */
    full: Float64Array;
    gaussNewton: Float64Array;
    coupling: CouplingResult;
    fidelity: FidelityResult[];
    /** The stability verdict of the rule and step the network learns by (one entry). */
    stability: StabilityVerdict[];
  } | null;
  /** Why a part was left out. */
  skipped: string[];
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
  let localisation: DiagnosisReport['localisation'] = null;
  if (lowest.vectors.length >= 3) {
    const frequency = boundaryFrequency({ values: lowest.values, vectors: lowest.vectors }, positions, net.edgeA, net.edgeB, { minModes: 2 });
    const basis = localiseModes(lowest.vectors.slice(0, frequency.chosenModes), positions);
    localisation = { frequency, basis, regions: binariseModes(basis, net.edgeA, net.edgeB) };
  } else skipped.push('localisation: fewer than 3 soft modes');

  let cost: DiagnosisReport['cost'] = null;
  if (!task) skipped.push('cost Hessian, coupling, fidelity, stability: no task');
  else if (opts.linearisedAt !== undefined) skipped.push(`cost Hessian, coupling, fidelity, stability: a nonlinear network, whose Hessian is linearised at ${opts.linearisedAt}`);
  else if (E > (opts.maxCostEdges ?? 3000)) skipped.push(`cost Hessian: ${E} edges is above maxCostEdges (${opts.maxCostEdges ?? 3000})`);
  else if (task.train.length === 0) skipped.push('cost Hessian: the task has no training examples');
  else {
    const h = costHessian(net, task);
    const top = (m: Float64Array): Float64Array => {
      const ev = symmetricEigen(m, E, { vectors: false }).values;
      return Float64Array.from(ev).reverse().slice(0, K);
    };
    const full = h.full ?? h.gaussNewton;
    const coupling = modeCoupling(full, E, { values: lowest.values, vectors: lowest.vectors }, net.edgeA, net.edgeB);
    const eta = opts.eta ?? 0.1;
    const beta = opts.beta ?? defaultBeta(net);
    const learning = opts.learning ?? defaultLearningStep(net, eta);
    cost = {
      examples: h.examples,
      value: h.cost,
      gradientNorm: Math.hypot(...h.gradient),
      full: top(full),
      gaussNewton: top(h.gaussNewton),
      coupling,
      fidelity: gradientFidelity(net, task, [{ rule: 'cl', eta }, { rule: 'ep', beta }, { rule: 'cep', beta }]),
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
  };
}
