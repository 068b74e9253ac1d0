import { InvalidInputError } from '../../errors.js';
import { DenseLu } from '../denseLu.js';
import { GateFlow } from './GateFlow.js';
import type { GateNetwork, GateTask } from './GateNetwork.js';
import { flowJacobian, frobeniusNorm } from './flowJacobian.js';
import { simulateDriftTest } from './simulateDriftTest.js';

/** One drift test prepared for fitting: the window's samples, the run's network (its rails) and task. */
export interface DriftRun {
  name: string;
  /** Index of the experiment whose bias vector this run shares (0-based). */
  experiment: number;
  network: GateNetwork;
  task: GateTask;
  /** Sample times (s), the first is where the simulation starts from the measured gates. */
  time: Float64Array;
  /** Measured gates per sample, interleaved (G-, G+ per sample), V. */
  gates: Float64Array;
}

/**
 * The r a fit may reach (dimensionless): the authors' boards have r = 2, and r = 100 already makes an evaluation
 * ~20 times longer than at the drift tests' fitted r (~6). A fit that wants more stops at the bound (see `atBound`).
 */
export const R_BOUNDS: readonly [number, number] = [0.01, 100];

/** Options of {@link fitDriftTests}. */
export interface DriftFitOptions {
  /** R C (s). */
  rc: number;
  /** RK4 step as a fraction of 1/|M| at the run's first sample. Default 0.05. */
  stepFraction?: number;
  /** Levenberg-Marquardt iterations. Default 40. */
  maxIterations?: number;
  /**
   * Work budget: the fit stops (converged false, `budgetExhausted` true) once its integrations have evaluated the
   * flow this many times. Default 3e7 (tens of seconds; a fit of the published drift tests takes a few million).
   */
  maxEvaluations?: number;
  /** Stop when the relative decrease of the squared residual is below this. Default 1e-9. */
  tolerance?: number;
  /**
   * Hold the biases at `init` and fit r alone (default false). The along-line drift speeds fix b whatever r is
   * (alongLineBias); fitting b again to whole trajectories lets the parts the model does not describe (the lines'
   * curvature, the slow creep on a rail) pull b.
   */
  fixBiases?: boolean;
}

/** The fit: one global r, each experiment's bias vector, their standard errors and the residual. */
export interface DriftFit {
  r: number;
  /** Per experiment, bias per gate (V/s). */
  biases: number[][];
  /** Standard errors (Gauss-Newton covariance scaled by the residual variance): r, then biases in order (0 when held). */
  stderrR: number;
  stderrBiases: number[][];
  /** RMS of model - measured over every fitted gate sample (V). */
  rms: number;
  /** RMS per run (V). */
  rmsPerRun: number[];
  iterations: number;
  converged: boolean;
  /** Right-hand-side evaluations used (work measure). */
  evaluations: number;
  /** Whether the fit stopped on `maxEvaluations` (then not converged). */
  budgetExhausted: boolean;
}

/**
 * Least-squares fit of the analog gate dynamics (GateFlow) to drift tests: parameters ln r (global) and each
 * experiment's bias vector; each run is simulated from its first measured sample and compared with every later
 * sample, both gates. Levenberg-Marquardt with a forward-difference Jacobian. What informs r: the gates' offset from
 * the solution line while drifting (the bias's normal part over the relaxation rate), the relaxation of whatever
 * offset the first sample has, and where a gate settles once the other one sits on its rail; the along-line drift
 * speeds inform b whatever r is (see alongLineBias, the starting point).
 */
export function fitDriftTests(runs: DriftRun[], init: { r: number; biases: number[][] }, options: DriftFitOptions): DriftFit {
  const experiments = init.biases.length;
  const n = init.biases[0]?.length ?? 0;
  for (const run of runs) {
    if (run.experiment < 0 || run.experiment >= experiments) throw new InvalidInputError({ field: `run ${run.name}` }, 'experiment index out of range', 'give a bias per experiment');
  }
  const full = [Math.log(init.r), ...init.biases.flat()];
  const p = options.fixBiases ? 1 : full.length;
  let theta = full.slice(0, p);
  let evaluations = 0;
  const unpack = (t: number[]): { r: number; biases: number[][] } => {
    const all = options.fixBiases ? [t[0], ...full.slice(1)] : t;
    return { r: Math.exp(all[0]), biases: Array.from({ length: experiments }, (_, x) => all.slice(1 + x * n, 1 + (x + 1) * n)) };
  };
  const residuals = (t: number[]): Float64Array => {
    const { r, biases } = unpack(t);
    const parts: Float64Array[] = [];
    for (const run of runs) {
      const flow = new GateFlow(run.network, run.task, { r, rc: options.rc, bias: biases[run.experiment] });
      const g0 = run.gates.subarray(0, n);
      const rate = frobeniusNorm(flowJacobian(flow, g0));
      const sim = simulateDriftTest(flow, g0, run.time, (options.stepFraction ?? 0.05) / rate);
      evaluations += flow.evaluations;
      const res = new Float64Array(run.gates.length - n);
      for (let i = n; i < run.gates.length; i++) res[i - n] = sim.gates[i] - run.gates[i];
      parts.push(res);
    }
    const total = parts.reduce((s, a) => s + a.length, 0);
    const out = new Float64Array(total);
    let o = 0;
    for (const a of parts) {
      out.set(a, o);
      o += a.length;
    }
    return out;
  };
  const sq = (v: Float64Array): number => v.reduce((s, x) => s + x * x, 0);
  let res = residuals(theta);
  let cost = sq(res);
  let lambda = 1e-3;
  let iterations = 0;
  let converged = false;
  let jac: Float64Array = new Float64Array(0);
  const jacobian = (t: number[], r0: Float64Array): Float64Array => {
    const m = r0.length;
    const j = new Float64Array(m * p);
    for (let c = 0; c < p; c++) {
      const h = c === 0 ? 1e-4 : 1e-4 * Math.max(1, Math.abs(t[c]));
      const tp = t.slice();
      tp[c] += h;
      const rp = residuals(tp);
      for (let i = 0; i < m; i++) j[i * p + c] = (rp[i] - r0[i]) / h;
    }
    return j;
  };
  const normal = (j: Float64Array, r0: Float64Array): { a: Float64Array; g: Float64Array } => {
    const m = r0.length;
    const a = new Float64Array(p * p);
    const g = new Float64Array(p);
    for (let i = 0; i < m; i++) {
      for (let c = 0; c < p; c++) {
        g[c] += j[i * p + c] * r0[i];
        for (let d = 0; d < p; d++) a[c * p + d] += j[i * p + c] * j[i * p + d];
      }
    }
    return { a, g };
  };
  const budget = options.maxEvaluations ?? 3e7;
  while (iterations < (options.maxIterations ?? 40) && evaluations < budget) {
    iterations++;
    jac = jacobian(theta, res);
    const { a, g } = normal(jac, res);
    let improved = false;
    for (let tries = 0; tries < 12 && evaluations < budget; tries++) {
      const damped = Float64Array.from(a);
      for (let c = 0; c < p; c++) damped[c * p + c] += lambda * (a[c * p + c] || 1);
      const lu = DenseLu.factor(damped, p);
      if (!lu) {
        lambda *= 10;
        continue;
      }
      const step = lu.solve(g.map((x) => -x));
      const trial = theta.map((x, c) => x + step[c]);
      // r outside R_BOUNDS is refused like a step that does not lower the cost: the integration's step shrinks as
      // 1/r, so an unbounded r (data the model cannot describe) would make each evaluation arbitrarily long.
      if (!(trial[0] >= Math.log(R_BOUNDS[0]) && trial[0] <= Math.log(R_BOUNDS[1]))) {
        lambda *= 10;
        continue;
      }
      const rt = residuals(trial);
      const ct = sq(rt);
      if (ct < cost) {
        const rel = (cost - ct) / cost;
        theta = trial;
        res = rt;
        cost = ct;
        lambda = Math.max(1e-9, lambda / 10);
        improved = true;
        if (rel < (options.tolerance ?? 1e-9)) converged = true;
        break;
      }
      lambda *= 10;
    }
    if (!improved && evaluations < budget) {
      // No step lowers the cost: a (local) minimum to the Jacobian's accuracy.
      converged = true;
    }
    if (converged) break;
  }
  // Covariance at the optimum: s^2 (J^T J)^-1, s^2 = SSR / (m - p).
  jac = jacobian(theta, res);
  const { a } = normal(jac, res);
  const m = res.length;
  const s2 = cost / Math.max(1, m - p);
  const lu = DenseLu.factor(a, p);
  const variance = new Float64Array(p).fill(NaN);
  if (lu) {
    for (let c = 0; c < p; c++) {
      const e = new Float64Array(p);
      e[c] = 1;
      variance[c] = lu.solve(e)[c] * s2;
    }
  }
  const { r, biases } = unpack(theta);
  const rmsPerRun: number[] = [];
  let o = 0;
  for (const run of runs) {
    const len = run.gates.length - n;
    let s = 0;
    for (let i = 0; i < len; i++) s += res[o + i] ** 2;
    rmsPerRun.push(Math.sqrt(s / len));
    o += len;
  }
  return {
    r,
    biases,
    stderrR: r * Math.sqrt(variance[0]),
    stderrBiases: biases.map((b, x) => b.map((_, e) => (options.fixBiases ? 0 : Math.sqrt(variance[1 + x * n + e])))),
    rms: Math.sqrt(cost / m),
    rmsPerRun,
    iterations,
    converged,
    budgetExhausted: !converged && evaluations >= budget,
    evaluations,
  };
}
