/**
 * `clln drift fit`: the drift procedure of issue 19 (point 4) on two recorded single-task drift tests of the gen-2
 * small network, one per task, and its result as a `clln.drift-fit/1` document (src/physics/gateDynamics/README.md,
 * "clln drift"). The physics is calibrateDriftBias; this file reads the recordings, checks they can carry the fit,
 * propagates the drift velocities' standard errors to b, and reads the document back for `clln drift predict`.
 */
import { InvalidInputError, show } from '../errors.js';
import { expectArray, expectFinite, expectFormat, expectLength, expectObject, expectPositive, fail } from '../formats/jsonChecks.js';
import { readJsonFile } from '../formats/jsonFile.js';
import { readDriftTestCsv, type DriftTestSeries } from '../formats/gateSeriesCsv.js';
import { calibrateDriftBias } from '../physics/gateDynamics/calibrateDriftBias.js';
import { GateFlow } from '../physics/gateDynamics/GateFlow.js';
import type { GateTask } from '../physics/gateDynamics/GateNetwork.js';
import { driftVelocity } from '../physics/gateDynamics/alongLineBias.js';
import { railsFromSeries } from '../physics/gateDynamics/driftRunFromSeries.js';
import { SMALL_RC, SMALL_TASKS } from '../physics/gateDynamics/smallGateNetwork.js';
import { smallGateNetwork } from '../physics/gateDynamics/smallGateNetwork.js';

export const DRIFT_FIT_FORMAT = 'clln.drift-fit/1';

/** Procedure settings (calibrateDriftBias's defaults, chosen before the held-out comparison; README). */
export const DRIFT_FIT_SETTINGS = { start: 2, velocitySamples: 20, velocityCeiling: 4.9, fitSamples: 40, r0: 2 } as const;

/**
 * Fewest rows a recording must have: 2 before training has begun (sample 0 before the reset, sample 1 the reset
 * state) and at least 8 of drift, so the velocity's standard error has 6 degrees of freedom.
 */
export const MIN_DRIFT_SAMPLES = 10;
/** Fewest drift samples below the velocity ceiling (4.9 V) after the start: a straight-line fit needs 3, 5 leaves 3 degrees of freedom. */
export const MIN_VELOCITY_SAMPLES = 5;

/**
 * Largest |free output - desired| (V) at a run's drift centre: a run drifting along its task's solution line has the
 * desired output there (the published runs: <= 0.4 mV for the right task; 4.6-52 mV with alpha and beta swapped).
 * Beyond it the recording is refused: with the wrong task the r fit runs away (r grows, the RK4 step shrinks with
 * 1/r, and one fit took over 14 minutes before it was stopped).
 */
export const LINE_OFFSET_LIMIT = 0.003;

export type DriftExperiment = 1 | 2;

/** The `clln.drift-fit/1` document. Gate order (G-, G+) everywhere; volts, seconds, V/s. */
export interface DriftFitDocument {
  format: typeof DRIFT_FIT_FORMAT;
  experiment: DriftExperiment;
  network: 'gen2-small';
  edges: ['G-', 'G+'];
  tasks: { alpha: { input: number; desired: number }; beta: { input: number; desired: number } };
  files: { alpha: string; beta: string };
  samples: { alpha: number; beta: number };
  /** R C (s). */
  rc: number;
  /** Per gate [lower, upper] rail (V): each gate's plateau in either run, the lower of the two. */
  rails: [[number, number], [number, number]];
  /** Learning bias per gate (V/s) and its standard error (from the drift velocities' errors, first order). */
  bias: [number, number];
  biasStderr: [number, number];
  /** Unit tangents (G-, G+) of task alpha's and task beta's solution lines, where each run drifted: u_i . b = u_i . v_i. */
  tangents: [[number, number], [number, number]];
  /** |sin| of the angle between the two tasks' solution lines (small: b ill-determined). */
  sinAngle: number;
  /** Each run's along-line window: least-squares velocity per gate (V/s), its standard error, samples used. */
  velocities: Record<'alpha' | 'beta', { velocity: [number, number]; stderr: [number, number]; samples: number }>;
  /** Per task: free output at the drift window's mean gates minus the task's desired output (V); ~0 on its line. */
  outputOffset: { alpha: number; beta: number };
  /** Rate factor r (dimensionless, kappa = r / (0.33 V R C)), its formal standard error, fit RMS (V) overall and per run. */
  r: number;
  rStderr: number;
  rms: number;
  rmsPerRun: { alpha: number; beta: number };
  iterations: number;
  converged: boolean;
  settings: typeof DRIFT_FIT_SETTINGS;
}

/** The experiment number from the command line ('1' or '2'). */
export function driftExperiment(value: string | undefined): DriftExperiment {
  if (value === '1' || value === '2') return Number(value) as DriftExperiment;
  throw new InvalidInputError({ source: '--experiment' }, `must be 1 or 2 (the small network's two task pairs of arXiv 2505.22887), got ${show(value ?? '(missing)')}`, 'pass --experiment 1 or --experiment 2');
}

/**
 * Check a recording can carry the fit and belongs to `task`: enough rows, a drift window below the ceiling, and the
 * window's mean gates on the task's solution line (free output within LINE_OFFSET_LIMIT of the desired). Returns the
 * free output minus the desired (V).
 */
function lineOffset(s: DriftTestSeries, path: string, task: GateTask, experiment: DriftExperiment): number {
  const n = s.time.length;
  if (n < MIN_DRIFT_SAMPLES) {
    throw new InvalidInputError({ source: path, field: 'rows' }, `a drift test needs at least ${MIN_DRIFT_SAMPLES} samples (2 before training begins, then the drift), got ${n}`, 'record the drift test for longer');
  }
  const { start, velocityCeiling } = DRIFT_FIT_SETTINGS;
  let m = 0;
  while (start + m < n && s.gMinus[start + m] < velocityCeiling && s.gPlus[start + m] < velocityCeiling) m++;
  if (m < MIN_VELOCITY_SAMPLES) {
    throw new InvalidInputError(
      { source: path, field: `line ${start + m + 2}` },
      `a gate passes ${velocityCeiling} V after ${m} drift samples; the along-line velocity needs at least ${MIN_VELOCITY_SAMPLES} below it`,
      'start the drift test lower or sample it faster',
    );
  }
  // calibrateDriftBias's along-line window: at most velocitySamples samples from the start, below the ceiling
  const v = driftVelocity(s.time, s.gMinus, s.gPlus, start, start + Math.min(m, DRIFT_FIT_SETTINGS.velocitySamples));
  const offset = new GateFlow(smallGateNetwork(), task, { r: 1, rc: SMALL_RC, bias: [0, 0] }).output(v.centre) - task.desired;
  if (Math.abs(offset) > LINE_OFFSET_LIMIT) {
    throw new InvalidInputError(
      { source: path, field: `task ${task.name}` },
      `the run does not drift along task ${task.name}'s solution line of experiment ${experiment}: at its mean gates (${v.centre.map((g) => g.toFixed(3)).join(', ')}) V the free output is ${(offset * 1000).toFixed(1)} mV from the desired ${task.desired} V (a run on its line is within ${LINE_OFFSET_LIMIT * 1000} mV)`,
      'give task alpha\'s recording first, then task beta\'s, and the experiment they belong to',
    );
  }
  return offset;
}

/**
 * Fit one experiment's bias b and rate r to its two drift tests (task alpha's and task beta's recordings).
 * @throws InvalidInputError naming the file for a missing or malformed recording or one too short to fit
 */
export function fitDriftRecordings(experiment: DriftExperiment, alphaPath: string, betaPath: string, options: { maxEvaluations?: number } = {}): DriftFitDocument {
  const exp = experiment === 1 ? 'exp1' : 'exp2';
  const tasks = SMALL_TASKS[exp];
  const alpha = readDriftTestCsv(alphaPath);
  const beta = readDriftTestCsv(betaPath);
  const offset = [lineOffset(alpha, alphaPath, tasks[0], experiment), lineOffset(beta, betaPath, tasks[1], experiment)];
  const cal = calibrateDriftBias(smallGateNetwork(), [{ name: exp, tasks, series: [alpha, beta] }], { rc: SMALL_RC, ...DRIFT_FIT_SETTINGS, maxEvaluations: options.maxEvaluations });
  const e = cal.experiments[0];
  const ra = railsFromSeries(alpha);
  const rb = railsFromSeries(beta);
  const rails = ra.map((p, j) => [1, Math.min(p[1], rb[j][1])]) as [[number, number], [number, number]];
  const v = (k: 0 | 1) => ({ velocity: e.velocities[k].velocity, stderr: e.velocities[k].stderr, samples: e.velocities[k].samples });
  return {
    format: DRIFT_FIT_FORMAT,
    experiment,
    network: 'gen2-small',
    edges: ['G-', 'G+'],
    tasks: { alpha: { input: tasks[0].input, desired: tasks[0].desired }, beta: { input: tasks[1].input, desired: tasks[1].desired } },
    files: { alpha: alphaPath, beta: betaPath },
    samples: { alpha: alpha.time.length, beta: beta.time.length },
    rc: SMALL_RC,
    rails,
    bias: e.bias,
    biasStderr: biasStderr(e.tangents, [e.velocities[0].stderr, e.velocities[1].stderr]),
    tangents: e.tangents,
    sinAngle: e.sinAngle,
    velocities: { alpha: v(0), beta: v(1) },
    outputOffset: { alpha: offset[0], beta: offset[1] },
    r: cal.fit.r,
    rStderr: cal.fit.stderrR,
    rms: cal.fit.rms,
    rmsPerRun: { alpha: cal.fit.rmsPerRun[0], beta: cal.fit.rmsPerRun[1] },
    iterations: cal.fit.iterations,
    converged: cal.fit.converged,
    settings: DRIFT_FIT_SETTINGS,
  };
}

/**
 * Standard errors of b (V/s) from those of the drift velocities, to first order: b = U^-1 s with rows u_i of U the
 * tangents and s_i = u_i . v_i, the gates' velocity errors taken as independent (two separate line fits).
 */
export function biasStderr(tangents: [[number, number], [number, number]], velocityStderr: [[number, number], [number, number]]): [number, number] {
  const [ua, ub] = tangents;
  const det = ua[0] * ub[1] - ua[1] * ub[0];
  const varS = tangents.map((u, i) => (u[0] * velocityStderr[i][0]) ** 2 + (u[1] * velocityStderr[i][1]) ** 2);
  // U^-1 = [[ub1, -ua1], [-ub0, ua0]] / det
  const inv = [
    [ub[1] / det, -ua[1] / det],
    [-ub[0] / det, ua[0] / det],
  ];
  return [Math.sqrt(inv[0][0] ** 2 * varS[0] + inv[0][1] ** 2 * varS[1]), Math.sqrt(inv[1][0] ** 2 * varS[0] + inv[1][1] ** 2 * varS[1])];
}

/** What `clln drift predict` needs of a fit. */
export interface DriftFitForPrediction {
  experiment: DriftExperiment;
  bias: [number, number];
  r: number;
  rc: number;
  rails: [[number, number], [number, number]];
}

/** Read the fields of a `clln.drift-fit/1` document that a prediction uses, each checked (file, field, rule, fix). */
export function readDriftFit(path: string): DriftFitForPrediction {
  const doc = expectObject(readJsonFile(path, 'drift fit'), path, undefined, 'a drift fit');
  expectFormat(doc, DRIFT_FIT_FORMAT, path);
  const fix = "write it with 'clln drift fit --out FILE'";
  if (doc.experiment !== 1 && doc.experiment !== 2) fail(path, 'experiment', `must be 1 or 2, got ${show(doc.experiment)}`, fix);
  const pair = (field: string): [number, number] => {
    const a = expectArray(doc[field], path, field, fix);
    expectLength(a, 2, path, field, 'one value per gate (G-, G+)', fix);
    return [expectFinite(a[0], path, `${field}[0]`, fix), expectFinite(a[1], path, `${field}[1]`, fix)];
  };
  const bias = pair('bias');
  const railsArr = expectArray(doc.rails, path, 'rails', fix);
  expectLength(railsArr, 2, path, 'rails', 'one [lower, upper] pair per gate', fix);
  const rails = railsArr.map((x, j) => {
    const a = expectArray(x, path, `rails[${j}]`, fix);
    expectLength(a, 2, path, `rails[${j}]`, '[lower, upper] in V', fix);
    const lo = expectFinite(a[0], path, `rails[${j}][0]`, fix);
    const hi = expectFinite(a[1], path, `rails[${j}][1]`, fix);
    if (!(hi > lo)) fail(path, `rails[${j}]`, `upper rail ${hi} V must exceed lower ${lo} V`, fix);
    return [lo, hi];
  }) as [[number, number], [number, number]];
  return {
    experiment: doc.experiment,
    bias,
    r: expectPositive(doc.r, path, 'r', '', fix),
    rc: expectPositive(doc.rc, path, 'rc', 's', fix),
    rails,
  };
}
