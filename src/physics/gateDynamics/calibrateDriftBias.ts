import { GateFlow } from './GateFlow.js';
import type { GateNetwork, GateTask } from './GateNetwork.js';
import { alongLineBias, driftVelocity, solutionLineTangent, type DriftVelocity } from './alongLineBias.js';
import { driftRunFromSeries, type GateSeries } from './driftRunFromSeries.js';
import { fitDriftTests, type DriftFit } from './fitDriftTests.js';

/** The two drift tests of one experiment: task A's and task B's records. */
export interface ExperimentDrift {
  name: string;
  tasks: [GateTask, GateTask];
  series: [GateSeries, GateSeries];
}

/** Options of {@link calibrateDriftBias}; defaults as used on the published drift tests. */
export interface DriftCalibrationOptions {
  /** R C (s). */
  rc: number;
  /** First sample after the reset (default 2). */
  start?: number;
  /** Along-line window: at most this many samples (default 20), ... */
  velocitySamples?: number;
  /** ... stopping before either gate passes this (V, default 4.9: well below the rails). */
  velocityCeiling?: number;
  /** Samples of each run in the r fit (default 40: the drift, the arrival at a rail and about 0.5 s on it). */
  fitSamples?: number;
  /** Starting r of the fit (default 2). */
  r0?: number;
  /** Work budget of the r fit (fitDriftTests' maxEvaluations; default 3e7 flow evaluations). */
  maxEvaluations?: number;
}

/** Per experiment: the along-line velocities and the bias they give; then the global r fit with b held. */
export interface DriftCalibration {
  experiments: { name: string; velocities: [DriftVelocity, DriftVelocity]; tangents: [[number, number], [number, number]]; bias: [number, number]; sinAngle: number }[];
  fit: DriftFit;
}

/**
 * The drift procedure of issue 19 on two-gate networks. Step 1, per experiment: the drift velocity of each task's run
 * over its first samples (least squares) projected on the model's solution-line tangent gives u_i . b (the flow
 * matrix is symmetric with u_i in its null space, so this does not depend on r); two tasks give b (alongLineBias).
 * Step 2: one global r by fitting the simulated runs to the measured ones with b held (fitDriftTests): the relaxation
 * transients (onto the line, and of one gate once the other sits on its rail) and the offsets from the line carry r.
 */
export function calibrateDriftBias(network: GateNetwork, experiments: ExperimentDrift[], options: DriftCalibrationOptions): DriftCalibration {
  const start = options.start ?? 2;
  const ceiling = options.velocityCeiling ?? 4.9;
  const maxV = options.velocitySamples ?? 20;
  const out: DriftCalibration['experiments'] = [];
  const runs = [];
  for (const [x, e] of experiments.entries()) {
    const velocities: DriftVelocity[] = [];
    const tangents: [number, number][] = [];
    for (let k = 0; k < 2; k++) {
      const s = e.series[k];
      let to = start;
      while (to < s.time.length && to < start + maxV && s.gMinus[to] < ceiling && s.gPlus[to] < ceiling) to++;
      const v = driftVelocity(s.time, s.gMinus, s.gPlus, start, to);
      // The tangent depends on the line only (not on r or b); r = 1 is a placeholder.
      const flow = new GateFlow(network, e.tasks[k], { r: 1, rc: options.rc, bias: [0, 0] });
      velocities.push(v);
      tangents.push(solutionLineTangent(flow, v.centre));
      runs.push(driftRunFromSeries(`${e.name}-${e.tasks[k].name}`, x, s, network, e.tasks[k], start, options.fitSamples ?? 40));
    }
    const t = tangents as [[number, number], [number, number]];
    const b = alongLineBias(t, [velocities[0].velocity, velocities[1].velocity]);
    out.push({ name: e.name, velocities: velocities as [DriftVelocity, DriftVelocity], tangents: t, bias: b.bias, sinAngle: b.sinAngle });
  }
  const fit = fitDriftTests(runs, { r: options.r0 ?? 2, biases: out.map((e) => e.bias) }, { rc: options.rc, fixBiases: true, maxEvaluations: options.maxEvaluations });
  return { experiments: out, fit };
}
