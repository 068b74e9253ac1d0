/**
 * The independent route to the thermal statistics (issue 17, point 4): Langevin dynamics of the full nonlinear spring
 * network, E = sum_e k_e / 2 (|r_b - r_a| - l_e)^2 (springEnergy.ts; finite extensions, nothing linearised), at
 * temperature T (k_B = 1, mass 1), and the target strain measured with its nonlinear definition
 * eps = (|r_j - r_i| - l) / l along the trajectory. It shares no algebra with the harmonic route (no modes, no Green's
 * functions, no stiffness matrix).
 *
 * Integrator: BAOAB (Leimkuhler and Matthews), underdamped: half kick (B), half drift (A), exact Ornstein-Uhlenbeck
 * velocity update v <- c v + sqrt((1 - c^2) T) xi with c = exp(-gamma dt) (O), half drift, half kick. For a harmonic
 * potential its configurational distribution is exact at any stable step (omega dt < 2), so at low T the only
 * time-step error is that of the anharmonic terms, O(dt^2).
 *
 * The input strain s is imposed by a stiff spring K between the source nodes with rest length l_S (1 + s) (a soft
 * constraint; not an exact holonomic one, which would need RATTLE). Relative to the hard constraint of the notes it
 * lets eps_S fluctuate by Var = T / (kappa + 1/g_SS) with kappa = K l_S^2, shifts the harmonic mean by the factor
 * kappa g_SS / (1 + kappa g_SS) and adds T g_ST^2 / (g_SS (1 + kappa g_SS)) to the variance; the harmonic route takes
 * the same spring exactly (`sourceSpring` of harmonicStrainThermal), so the comparison is like for like.
 *
 * Rigid motions: the network is free; it diffuses and rotates as a whole, which the strains (exactly invariant under
 * rigid motions) do not see.
 */
import { InvalidInputError, show } from '../../../errors.js';
import { Rng } from '../../Rng.js';
import { degreesOfFreedom, referenceDistance, type SpringNetwork } from '../SpringNetwork.js';
import { nonlinearStrain, springForces } from '../springEnergy.js';
import type { NodePair } from './strainGram.js';
import { DEFAULT_BLOCKS, type SeriesStatistics, seriesStatistics } from './seriesStatistics.js';

/** Options of {@link langevinStrainRun}. */
export interface LangevinOptions {
  /** Temperature T > 0 (energy unit, k_B = 1). */
  temperature: number;
  /** Source node pair A. */
  source: NodePair;
  /** Target node pair B. */
  target: NodePair;
  /** Impose the source strain (true) or leave the network free (false, "without input"). */
  input: boolean;
  /** Source strain s imposed when `input` (dimensionless). Default 1 (as the task's default; use a small one to stay linear). */
  sourceStrain?: number;
  /**
   * Stiffness K of the source spring (energy / length^2), when `input`. Default 100 x the largest spring stiffness:
   * then kappa g_SS ~ 100 and the mean is within ~1 % of the hard constraint's.
   */
  sourceSpring?: number;
  /** Time step (time unit, mass 1). Default 0.25 / omega_bound ({@link frequencyBound}). */
  timeStep?: number;
  /** Friction gamma (1 / time). Default omega_bound / 20: near critical damping for modes 10 times softer than the stiffest. */
  friction?: number;
  /** Production steps (integer >= blocks x sampleEvery). */
  steps: number;
  /** Equilibration steps before recording. Default steps / 10. */
  burnIn?: number;
  /** Record every this many steps. Default 1. */
  sampleEvery?: number;
  /** Blocks of the batch-means errors. Default {@link DEFAULT_BLOCKS}. */
  blocks?: number;
  /** RNG seed. */
  seed: number;
}

/** What one Langevin run measured. */
export interface LangevinResult {
  temperature: number;
  input: boolean;
  /** Source strain imposed (0 without input). */
  sourceStrain: number;
  /** Source spring stiffness K (energy / length^2; 0 without input). */
  sourceSpring: number;
  timeStep: number;
  friction: number;
  steps: number;
  burnIn: number;
  /** Target strain (nonlinear definition) along the trajectory: mean, std, their errors, correlation time. */
  target: SeriesStatistics;
  /** Source pair strain along the trajectory (with input: how well the spring holds it at s). */
  source: SeriesStatistics;
  /** Mean kinetic energy per degree of freedom x 2 (energy unit): T within O(dt^2) when the thermostat works. */
  kineticTemperature: number;
  /** Mean potential energy of the network's own springs (energy unit; the source spring excluded). */
  meanEnergy: number;
}

/**
 * Upper bound on the highest angular frequency omega (1 / time, mass 1): omega_max^2 = lambda_max(H) <= 2 max_i
 * sum_{e at i} k_e (u^T H u = sum k_e (b_e . du_e)^2 <= sum k_e |du_e|^2, the weighted graph Laplacian's quadratic
 * form, whose largest eigenvalue is at most twice the largest weighted degree).
 */
export function frequencyBound(net: SpringNetwork, stiffness: Float64Array = net.stiffness): number {
  const degree = new Float64Array(net.nodes);
  for (let s = 0; s < net.edgeA.length; s++) {
    degree[net.edgeA[s]] += stiffness[s];
    degree[net.edgeB[s]] += stiffness[s];
  }
  let m = 0;
  for (const d of degree) m = Math.max(m, d);
  return Math.sqrt(2 * m);
}

function fail(field: string, problem: string, fix: string): never {
  throw new InvalidInputError({ source: 'langevin', field }, problem, fix);
}

function checkPair(net: SpringNetwork, pair: unknown, field: string): NodePair {
  const ok = Array.isArray(pair) && pair.length === 2 && pair.every((v) => Number.isInteger(v) && v >= 0 && v < net.nodes) && pair[0] !== pair[1];
  if (!ok) fail(field, `must be two distinct node indices in [0, ${net.nodes - 1}], got ${show(pair)}`, 'name two distinct nodes');
  return pair as NodePair;
}

function positiveInteger(v: unknown, field: string): number {
  if (!Number.isInteger(v) || (v as number) < 1) fail(field, `must be an integer >= 1, got ${show(v)}`, 'e.g. 100000');
  return v as number;
}

function positive(v: unknown, field: string): number {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) fail(field, `must be a finite number > 0, got ${show(v)}`, 'leave it out for the default');
  return v;
}

/**
 * Standard normals from a seeded Rng, both Box-Muller outputs used (Rng.normal keeps one; the O step needs dN normals
 * per step, the run's main cost after the forces).
 */
function gaussianSource(rng: Rng): () => number {
  let spare = NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const z = spare;
      spare = NaN;
      return z;
    }
    let u = 0;
    while (u === 0) u = rng.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * rng.next();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}

/**
 * One Langevin run at temperature T, with or without the input strain, measuring the target strain. Starts at the
 * reference positions with Maxwell velocities; `burnIn` steps are discarded.
 */
export function langevinStrainRun(net: SpringNetwork, opts: LangevinOptions): LangevinResult {
  const T = positive(opts.temperature, 'temperature');
  const source = checkPair(net, opts.source, 'source');
  const target = checkPair(net, opts.target, 'target');
  const input = opts.input === true;
  const s = input ? (opts.sourceStrain ?? 1) : 0;
  if (!Number.isFinite(s) || s <= -1) fail('sourceStrain', `must be a finite number > -1 (a strain of -1 collapses the pair), got ${show(s)}`, 'e.g. 0.001');
  let kmax = 0;
  for (const k of net.stiffness) kmax = Math.max(kmax, k);
  const K = input ? positive(opts.sourceSpring ?? 100 * kmax, 'sourceSpring') : 0;
  const steps = positiveInteger(opts.steps, 'steps');
  const burnIn = opts.burnIn === undefined ? Math.floor(steps / 10) : opts.burnIn === 0 ? 0 : positiveInteger(opts.burnIn, 'burnIn');
  const every = positiveInteger(opts.sampleEvery ?? 1, 'sampleEvery');
  const blocks = opts.blocks ?? DEFAULT_BLOCKS;
  const samples = Math.floor(steps / every);
  if (samples < blocks) fail('steps', `${steps} steps at one sample every ${every} give ${samples} samples, fewer than the ${blocks} blocks`, 'run more steps');

  // The network with the source spring appended (rest length l_S (1 + s)): one force routine for both.
  const lS = referenceDistance(net, source[0], source[1]);
  const lT = referenceDistance(net, target[0], target[1]);
  const E = net.edgeA.length;
  const sim: SpringNetwork = input
    ? {
        ...net,
        edgeA: Int32Array.from([...net.edgeA, source[0]]),
        edgeB: Int32Array.from([...net.edgeB, source[1]]),
        stiffness: Float64Array.from([...net.stiffness, K]),
        restLength: Float64Array.from([...net.restLength, lS * (1 + s)]),
      }
    : net;
  const omega = frequencyBound(sim);
  const dt = opts.timeStep === undefined ? 0.25 / omega : positive(opts.timeStep, 'timeStep');
  const gamma = opts.friction === undefined ? omega / 20 : positive(opts.friction, 'friction');

  const n = degreesOfFreedom(net);
  const gauss = gaussianSource(new Rng(opts.seed));
  const r = net.positions.slice();
  const v = new Float64Array(n);
  const f = new Float64Array(n);
  const sqrtT = Math.sqrt(T);
  for (let i = 0; i < n; i++) v[i] = sqrtT * gauss();
  let total = springForces(sim, r, f);
  const c = Math.exp(-gamma * dt);
  const noise = Math.sqrt((1 - c * c) * T);
  const half = dt / 2;
  const targetSeries = new Float64Array(samples);
  const sourceSeries = new Float64Array(samples);
  let kinetic = 0;
  let energy = 0;
  let k = 0;
  for (let step = 0; step < burnIn + steps; step++) {
    for (let i = 0; i < n; i++) {
      v[i] += half * f[i]; // B
      r[i] += half * v[i]; // A
      v[i] = c * v[i] + noise * gauss(); // O
      r[i] += half * v[i]; // A
    }
    total = springForces(sim, r, f);
    for (let i = 0; i < n; i++) v[i] += half * f[i]; // B
    const p = step - burnIn;
    if (p >= 0 && (p + 1) % every === 0 && k < samples) {
      targetSeries[k] = nonlinearStrain(net, r, target[0], target[1], lT);
      const epsS = nonlinearStrain(net, r, source[0], source[1], lS);
      sourceSeries[k] = epsS;
      let q = 0;
      for (let i = 0; i < n; i++) q += v[i] * v[i];
      kinetic += q / n;
      // the network's own springs: the total less the source spring's K/2 (d_S - l_S (1 + s))^2 = K/2 l_S^2 (eps_S - s)^2
      energy += input ? total - 0.5 * K * lS * lS * (epsS - s) * (epsS - s) : total;
      k++;
    }
  }
  return {
    temperature: T,
    input,
    sourceStrain: s,
    sourceSpring: K,
    timeStep: dt,
    friction: gamma,
    steps,
    burnIn,
    target: seriesStatistics(targetSeries, blocks),
    source: seriesStatistics(sourceSeries, blocks),
    kineticTemperature: kinetic / samples,
    meanEnergy: energy / samples,
  };
}
