/**
 * Harmonic thermal statistics of a target strain (issue 17, point 4), from the normal modes: at temperature T (k_B = 1,
 * mass 1) the displacement is u = sum_j a_j e_j over the modes of H with a_j ~ N(0, T / omega_j^2), omega_j^2 =
 * lambda_j (equipartition), rigid modes excluded. A strain eps = c . u is then Gaussian with mean 0 and variance
 * T c^T H^+ c. For a source pair S and a target pair T:
 *
 * - without input: <eps_T> = 0, Var eps_T = T g_TT;
 * - with input (eps_S = s imposed as a hard constraint): the Boltzmann weight exp(-u^T H u / 2T) restricted to the
 *   plane c_S . u = s is exactly the Gaussian conditioned on eps_S = s. (eps_S, eps_T) is jointly Gaussian with
 *   covariance T [[g_SS, g_ST], [g_ST, g_TT]], so
 *     <eps_T | eps_S = s> = (g_ST / g_SS) s                   (the linear response: the constrained energy minimum)
 *     Var(eps_T | eps_S = s) = T [g_TT - g_ST^2 / g_SS]        (the Schur complement; independent of s)
 *   with g_pq = c_p^T H^+ c_q (strainGram.ts).
 * - with the input imposed by a spring of stiffness K between the source nodes, rest length l_S (1 + s) (the Langevin
 *   route's soft constraint): its energy is (kappa / 2)(eps_S - s)^2 with kappa = K l_S^2, the precision becomes
 *   H + kappa c_S c_S^T, and by Sherman-Morrison on the non-rigid subspace
 *     <eps_T> = s kappa g_ST / (1 + kappa g_SS),   Var eps_T = T [g_TT - kappa g_ST^2 / (1 + kappa g_SS)],
 *   which tend to the hard-constraint values as kappa -> infinity, the mean with relative error 1 / (1 + kappa g_SS)
 *   and the variance by T g_ST^2 / (g_SS (1 + kappa g_SS)).
 *
 * Floppy (non-rigid zero) modes have unbounded amplitudes. With P_F the projector on them and f_pq = P_F c_p . P_F c_q:
 * - the target couples to them (f_TT > 0): Var eps_T without input is infinite;
 * - with input, the constraint fixes the floppy amplitude along P_F c_S only: if P_F c_T = beta P_F c_S (beta =
 *   f_ST / f_SS) then eps_T = beta s + (c_T - beta c_S) . u_perp with u_perp in the stiff modes, so <eps_T> = beta s and
 *   Var = T (c_T - beta c_S)^T H^+ (c_T - beta c_S) (a mechanism transmits the strain); a soft source spring adds
 *   beta^2 T / kappa. Any part of P_F c_T not along P_F c_S leaves the variance infinite.
 * Infinite variances are reported as Infinity, and T* = 0: no temperature keeps the response above the noise.
 *
 * Crossover T*: the temperature where |<eps_T>_with| = sigma_with + sigma_without. Both sigmas are sqrt(T) times a
 * constant and the mean does not depend on T, so T* = <eps_T>^2 / (sqrt(v_with) + sqrt(v_without))^2 with v the
 * variances per unit T: closed form, scaling as s^2. Below T* the response stands out of the two noise bands.
 */
import { InvalidInputError, show } from '../../../errors.js';
import type { SpringNetwork } from '../SpringNetwork.js';
import { type StrainTask, strainDirections } from '../StrainTask.js';
import { degreesOfFreedom } from '../SpringNetwork.js';
import type { StrainSolver } from '../StrainSolver.js';
import { sparseStrainPairGram } from './sparseGram.js';
import { type DenseEigenSolver, type DenseGramOptions, denseStrainPairGram, type ModeSummary, type NodePair, type StrainPairGram } from './strainGram.js';

/**
 * Largest number of degrees of freedom (d N) for which `route: 'auto'` takes the dense normal modes (when an
 * eigensolver is given). Why 600: the dense route costs O((dN)^3), 1.4 s at 512 dof and 10 s at 1,012 dof measured
 * under load (README.md), while the sparse route costs well under a second at that size and scales nearly linearly;
 * below ~600 dof the dense route is quick and gives the eigenvalue range as well.
 */
export const DENSE_MAX_DOF = 600;

/** Which route computes the Green's functions: `auto` (default), `dense` (normal modes) or `sparse` (pinned Cholesky). */
export type ThermalRoute = 'auto' | 'dense' | 'sparse';

/** Why T* has the value it has. */
export type CrossoverReason =
  /** T* = <eps_T>^2 / (sqrt(v_with) + sqrt(v_without))^2, finite and positive. */
  | 'crossing'
  /** A variance is infinite (floppy modes reach the target): T* = 0. */
  | 'floppy'
  /**
   * The linear response is zero (|g_ST| <= couplingTolerance sqrt(g_SS g_TT), the rounding floor of the modes):
   * T* = 0.
   */
  | 'no-response';

/** The harmonic thermal analysis of one direction (source -> target) of a strain task. */
export interface HarmonicStrainThermal {
  /** Node pair whose strain is imposed. */
  source: NodePair;
  /** Node pair whose strain is the response. */
  target: NodePair;
  /** Imposed source strain s (dimensionless). */
  sourceStrain: number;
  /**
   * Stiffness K of the spring imposing the source strain (energy / length^2); Infinity for the hard constraint (the
   * default, what the notes define).
   */
  sourceSpring: number;
  /** Mean target strain with input, <eps_T>_with (dimensionless; independent of T). */
  response: number;
  /** Response per unit source strain (dimensionless): g_ST / g_SS (hard), beta through a mechanism. */
  slope: number;
  /** Var(eps_T) with input, per unit temperature (1 / energy); Infinity when floppy modes leave it unbounded. */
  varianceWith: number;
  /** Var(eps_T) without input, per unit temperature (1 / energy); Infinity when the target couples to floppy modes. */
  varianceWithout: number;
  /** Crossover temperature T* (energy unit, k_B = 1); 0 when the response never stands out of the noise. */
  crossover: number;
  /** Why T* is what it is. */
  crossoverReason: CrossoverReason;
  /**
   * Floppy couplings: the source, the target project onto floppy modes; `determinedBySource`: the target's floppy
   * part (if any) is fixed by the source constraint, so the variance with input is finite.
   */
  floppy: { source: boolean; target: boolean; determinedBySource: boolean };
}

/** The statistics of the target strain at one temperature. */
export interface StrainStatistics {
  /** Temperature T (energy unit). */
  temperature: number;
  /** <eps_T> with input. */
  meanWith: number;
  /** Standard deviation of eps_T with input (Infinity if floppy). */
  sigmaWith: number;
  /** <eps_T> without input: 0 in the harmonic approximation. */
  meanWithout: number;
  /** Standard deviation of eps_T without input (Infinity if floppy). */
  sigmaWithout: number;
  /** |meanWith| > sigmaWith + sigmaWithout: the response stands out of the noise (T < T*). */
  resolved: boolean;
}

/** Options of {@link harmonicStrainThermal}. */
export interface HarmonicOptions {
  /** Imposed source strain s. Default 1. */
  sourceStrain?: number;
  /** Source spring stiffness K (energy / length^2); Infinity (default) = hard constraint. */
  sourceSpring?: number;
}

function checkIndex(p: unknown): 0 | 1 {
  if (p !== 0 && p !== 1) throw new InvalidInputError({ source: 'harmonicStrainThermal', field: 'sourceIndex' }, `must be 0 or 1, got ${show(p)}`, 'pass which of the Gram pairs is the source');
  return p;
}

/**
 * The harmonic statistics of one direction from the Gram of its two strains. `sourceIndex` says which of
 * `gram.pairs` is the source (the other is the target): one Gram serves both directions of a cooperative task.
 * Formulas in the module comment.
 */
export function harmonicStrainThermal(gram: StrainPairGram, sourceIndex: 0 | 1, opts: HarmonicOptions = {}): HarmonicStrainThermal {
  const si = checkIndex(sourceIndex);
  const s = opts.sourceStrain ?? 1;
  const spring = opts.sourceSpring ?? Infinity;
  if (!Number.isFinite(s)) throw new InvalidInputError({ source: 'harmonicStrainThermal', field: 'sourceStrain' }, `must be a finite number, got ${show(s)}`, 'e.g. 1');
  if (!(spring > 0)) throw new InvalidInputError({ source: 'harmonicStrainThermal', field: 'sourceSpring' }, `must be > 0 (Infinity for the hard constraint), got ${show(spring)}`, 'e.g. Infinity');
  const [g00, g01, g11] = gram.compliance;
  const [f00, f01, f11] = gram.floppy;
  const gSS = si === 0 ? g00 : g11;
  const gTT = si === 0 ? g11 : g00;
  const gST = g01;
  const fSS = si === 0 ? f00 : f11;
  const fTT = si === 0 ? f11 : f00;
  const fST = f01;
  const nS = gram.norms[si];
  const nT = gram.norms[1 - si];
  const tol2 = gram.couplingTolerance * gram.couplingTolerance;
  const floppyS = fSS > tol2 * nS;
  const floppyT = fTT > tol2 * nT;
  const sourceIndexPair = gram.pairs[si];
  const targetPair = gram.pairs[1 - si];
  // kappa = K l_S^2 (energy): the source spring's stiffness against the strain eps_S
  const lS = gram.lengths[si];
  const kappa = Number.isFinite(spring) ? spring * lS * lS : Infinity;
  let slope: number;
  let response: number;
  let varianceWith: number;
  let varianceWithout = floppyT ? Infinity : gTT;
  let determined = false;
  if (floppyS) {
    // the constraint fixes the floppy amplitude along P_F c_S; the target is determined iff P_F c_T is parallel to it
    const beta = fST / fSS;
    const residual = fTT - (fST * fST) / fSS; // |P_F c_T - beta P_F c_S|^2
    slope = floppyT ? beta : 0;
    response = slope * s;
    determined = residual <= tol2 * nT;
    if (!determined) varianceWith = Infinity;
    else {
      varianceWith = Math.max(0, gTT - 2 * slope * gST + slope * slope * gSS) + (slope * slope) / kappa;
    }
  } else {
    // 1 / (1/kappa + g_SS) is kappa / (1 + kappa g_SS), and 1 / g_SS at kappa = infinity
    const w = 1 / (1 / kappa + gSS);
    slope = gST / gSS;
    response = s * gST * w;
    varianceWith = floppyT ? Infinity : Math.max(0, gTT - gST * gST * w);
    determined = !floppyT; // a non-floppy source fixes no floppy amplitude: fine exactly when the target has none
  }
  if (floppyT && !floppyS) varianceWithout = Infinity;
  let crossover: number;
  let crossoverReason: CrossoverReason;
  if (!Number.isFinite(varianceWith) || !Number.isFinite(varianceWithout)) {
    crossover = 0;
    crossoverReason = 'floppy';
  } else if (Math.abs(response) <= gram.couplingTolerance * Math.abs(s) * Math.sqrt(varianceWithout / (gSS > 0 ? gSS : 1)) || response === 0) {
    // a response below the rounding floor of the Green's functions (|g_ST| <= couplingTolerance sqrt(g_SS g_TT), the
    // relative accuracy of the modes) is no response: a triangle's two edges, say, are exactly independent
    crossover = 0;
    crossoverReason = 'no-response';
  } else {
    const noise = Math.sqrt(varianceWith) + Math.sqrt(varianceWithout);
    crossover = noise > 0 ? (response * response) / (noise * noise) : Infinity;
    crossoverReason = 'crossing';
  }
  return {
    source: [sourceIndexPair[0], sourceIndexPair[1]],
    target: [targetPair[0], targetPair[1]],
    sourceStrain: s,
    sourceSpring: spring,
    response,
    slope,
    varianceWith,
    varianceWithout,
    crossover,
    crossoverReason,
    floppy: { source: floppyS, target: floppyT, determinedBySource: determined },
  };
}

function checkTemperature(t: unknown, field: string): number {
  if (typeof t !== 'number' || !(t > 0) || !Number.isFinite(t)) {
    throw new InvalidInputError({ source: 'thermal', field }, `a temperature must be a finite number > 0 (energy unit, k_B = 1), got ${show(t)}`, 'e.g. --temps 1e-4,1e-3,1e-2');
  }
  return t;
}

/** The statistics at temperature T (energy unit, > 0): sigma = sqrt(T v). */
export function strainStatisticsAt(h: HarmonicStrainThermal, temperature: number): StrainStatistics {
  const T = checkTemperature(temperature, 'temperature');
  const sigmaWith = Math.sqrt(T * h.varianceWith);
  const sigmaWithout = Math.sqrt(T * h.varianceWithout);
  return { temperature: T, meanWith: h.response, sigmaWith, meanWithout: 0, sigmaWithout, resolved: Math.abs(h.response) > sigmaWith + sigmaWithout };
}

/** Where the crossover lies on a temperature grid. */
export interface GridCrossing {
  /** Last grid temperature where the response is resolved. */
  below: number;
  /** First grid temperature after it where it is not. */
  above: number;
  /**
   * T where the margin |mean| - sigma_with - sigma_without, interpolated linearly in log T between the two, is zero
   * (energy unit).
   */
  temperature: number;
}

/**
 * The crossover read off a grid of statistics (sorted by temperature here): the first resolved -> unresolved step,
 * with log-linear interpolation of the margin. Null when the grid does not bracket a crossing. An independent check
 * of the closed form (it uses only the per-temperature sigmas).
 */
export function crossoverOnGrid(stats: readonly StrainStatistics[]): GridCrossing | null {
  const sorted = [...stats].sort((a, b) => a.temperature - b.temperature);
  const margin = (x: StrainStatistics): number => Math.abs(x.meanWith) - x.sigmaWith - x.sigmaWithout;
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i];
    const b = sorted[i + 1];
    if (a.resolved && !b.resolved) {
      const ma = margin(a);
      const mb = margin(b);
      const la = Math.log(a.temperature);
      const lb = Math.log(b.temperature);
      const frac = Number.isFinite(mb) && ma - mb > 0 ? ma / (ma - mb) : 1;
      return { below: a.temperature, above: b.temperature, temperature: Math.exp(la + frac * (lb - la)) };
    }
  }
  return null;
}

/** A log-spaced temperature grid: `perDecade` points per decade from lo to hi inclusive (energy unit). */
export function logTemperatureGrid(lo: number, hi: number, perDecade = 10): number[] {
  checkTemperature(lo, 'lo');
  checkTemperature(hi, 'hi');
  const a = Math.log10(Math.min(lo, hi));
  const b = Math.log10(Math.max(lo, hi));
  const steps = Math.max(1, Math.round((b - a) * perDecade));
  return Array.from({ length: steps + 1 }, (_, i) => 10 ** (a + ((b - a) * i) / steps));
}

/**
 * The default grid for a direction: two decades either side of T* (10 per decade) when T* is finite and positive,
 * else 1e-4 .. 1 x T_ref with T_ref = 1 / v_without (the temperature of a unit strain noise), or 1e-6 .. 1.
 */
export function defaultTemperatures(h: HarmonicStrainThermal): number[] {
  if (h.crossover > 0 && Number.isFinite(h.crossover)) return logTemperatureGrid(h.crossover / 100, h.crossover * 100);
  const v = Number.isFinite(h.varianceWithout) && h.varianceWithout > 0 ? h.varianceWithout : h.varianceWith;
  const ref = Number.isFinite(v) && v > 0 ? 1 / v : 1;
  return logTemperatureGrid(ref * 1e-4, ref);
}

/** One direction of {@link thermalAnalysis}: the harmonic result, its statistics on the grid and the grid crossing. */
export interface ThermalDirection extends HarmonicStrainThermal {
  /** Statistics at each requested temperature (ascending). */
  grid: StrainStatistics[];
  /** The crossover as read off the grid; null when the grid does not bracket it. */
  gridCrossing: GridCrossing | null;
}

/** The result of {@link thermalAnalysis}. */
export interface ThermalAnalysis {
  /** Network name. */
  network: string;
  /** One direction (allostery) or two (cooperative: A -> B, then B -> A). */
  directions: ThermalDirection[];
  /** What the normal modes said (zero, rigid and floppy mode counts, eigenvalue range, solver convergence). */
  modes: ModeSummary;
  /** The route taken (`modes.route`) and why: `given` when the caller passed a Gram. */
  route: { used: ModeSummary['route']; reason: string };
}

/** Options of {@link thermalAnalysis}. */
export interface ThermalAnalysisOptions extends DenseGramOptions {
  /** Temperatures (energy unit, > 0). Default: {@link defaultTemperatures} per direction. */
  temperatures?: readonly number[];
  /** Dense eigensolver for the normal-mode route (src/diagnostics/symmetricEigen.ts `symmetricEigen`). */
  eigen?: DenseEigenSolver;
  /** A precomputed Gram of [task.source, task.target]; then neither route runs. */
  gram?: StrainPairGram;
  /**
   * `auto` (default): dense normal modes when `eigen` is given and d N <= `denseMaxDof`, else the sparse route;
   * `dense`: normal modes (needs `eigen`); `sparse`: the pinned sparse Cholesky (sparseGram.ts). Both give the same
   * Gram to ~1e-12 (test/physics/springs/thermal/sparseGram.test.ts); only the dense one reports the eigenvalue range.
   */
  route?: ThermalRoute;
  /** Dense/sparse switch of `auto` (degrees of freedom). Default {@link DENSE_MAX_DOF}. */
  denseMaxDof?: number;
  /** Sparse route: a StrainSolver already built on `net` (reused; the Gram is then of its current stiffnesses). */
  solver?: StrainSolver;
  /** Source spring stiffness K (energy / length^2); default Infinity, the hard constraint of the notes. */
  sourceSpring?: number;
}

/**
 * The entry point for `clln thermal NET TASK`: for each direction of the task (one; two when cooperative), the mean and
 * standard deviation of the target strain with and without the input strain at each temperature, the crossover T*
 * in closed form and as read off the grid. The Green's functions are computed once (one Gram of the two pairs serves
 * both directions), by dense normal modes or the sparse route (`route`, `denseMaxDof`; the result says which and why).
 *
 * @throws InvalidInputError for bad pairs, temperatures or a prestressed network; NumericalError if the modes fail.
 */
export function thermalAnalysis(net: SpringNetwork, task: StrainTask, opts: ThermalAnalysisOptions = {}): ThermalAnalysis {
  const pairs: [NodePair, NodePair] = [task.source, task.target];
  let gram = opts.gram;
  let reason: string;
  if (!gram) {
    const route = opts.route ?? 'auto';
    if (!['auto', 'dense', 'sparse'].includes(route)) {
      throw new InvalidInputError({ source: 'thermalAnalysis', field: 'route' }, `must be 'auto', 'dense' or 'sparse', got ${show(route)}`, "leave it out for 'auto'");
    }
    const limit = opts.denseMaxDof ?? DENSE_MAX_DOF;
    const dof = degreesOfFreedom(net);
    let dense: boolean;
    if (route === 'dense') {
      if (!opts.eigen) {
        throw new InvalidInputError({ source: 'thermalAnalysis', field: 'eigen' }, "route 'dense' needs a dense eigensolver, and none was given", 'pass eigen: symmetricEigen (src/diagnostics/symmetricEigen.ts)');
      }
      dense = true;
      reason = 'dense normal modes, as asked';
    } else if (route === 'sparse') {
      dense = false;
      reason = 'sparse Cholesky, as asked';
    } else if (!opts.eigen) {
      dense = false;
      reason = 'sparse Cholesky: no dense eigensolver given';
    } else {
      dense = dof <= limit;
      reason = dense ? `dense normal modes: ${dof} degrees of freedom <= ${limit}` : `sparse Cholesky: ${dof} degrees of freedom > ${limit} (the dense route costs O((dN)^3))`;
    }
    gram = dense ? denseStrainPairGram(net, pairs, opts.eigen!, opts) : sparseStrainPairGram(net, pairs, { solver: opts.solver });
  } else if (!gram.pairs.every((p, i) => p[0] === pairs[i][0] && p[1] === pairs[i][1])) {
    throw new InvalidInputError({ source: 'thermalAnalysis', field: 'gram' }, `the Gram is of the pairs ${show(gram.pairs)}, not the task's [source, target] ${show(pairs)}`, 'compute the Gram of [task.source, task.target]');
  } else {
    reason = 'given: the caller passed the Gram';
  }
  const temps = opts.temperatures?.map((t, i) => checkTemperature(t, `temperatures[${i}]`)).sort((a, b) => a - b);
  const directions = strainDirections(task).map((d): ThermalDirection => {
    const sourceIndex = d.source[0] === task.source[0] && d.source[1] === task.source[1] ? 0 : 1;
    const h = harmonicStrainThermal(gram, sourceIndex, { sourceStrain: task.sourceStrain, sourceSpring: opts.sourceSpring });
    const grid = (temps ?? defaultTemperatures(h)).map((t) => strainStatisticsAt(h, t));
    return { ...h, grid, gridCrossing: crossoverOnGrid(grid) };
  });
  return { network: net.name, directions, modes: gram.modes, route: { used: gram.modes.route, reason } };
}
