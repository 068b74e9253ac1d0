/**
 * Fit a board's calibration to its measurements: first the linear stage (linearInit.ts: Kirchhoff's law is linear in
 * the conductances for measured voltages; straight lines for the DAC channels), then Levenberg-Marquardt on every
 * parameter at once (CalibrationProblem.ts: readings predicted through the full model, exact Jacobian), with the
 * reference (types.ts: VoltageReference, ConductanceReference) as constraint rows fixing the gauge. Then the
 * identifiability analysis of the final Jacobian, the standard errors, and the `clln.calibration/1` record.
 *
 * Pure and synchronous (no I/O): acquisition lives in the pipeline (acquireCalibration.ts).
 */
import { randomUUID } from 'node:crypto';
import { protocolMajor, type BoardIdentity } from '../../firmware-protocol/identity.js';
import type { EdgeLaw } from '../physics/edgeLaws.js';
import { adcLsb, readingSigma } from '../diagnostics/measurementNoise.js';
import { InvalidInputError } from '../errors.js';
import { CalibrationProblem, type ParameterLayout } from './CalibrationProblem.js';
import { analyseIdentifiability, type CandidateRows, type NamedDirection } from './identifiability.js';
import { levenbergMarquardt } from './levenbergMarquardt.js';
import { linearInit } from './linearInit.js';
import { tapConductance } from '../physics/edgeLaws.js';
import type {
  CalibrationData,
  CalibrationMeasurement,
  CalibrationPlan,
  CalibrationRecord,
  ChannelFit,
  ConductanceReference,
  CurvePoint,
  ExpandedPlan,
  FitSummary,
  IdentifiabilityReport,
} from './types.js';
import { RECORD_FORMAT } from './types.js';

/** What a fit needs. */
export interface FitInput {
  id: BoardIdentity;
  /** The plan as given (stored in the record) and as expanded (references). */
  plan: CalibrationPlan;
  expanded: ExpandedPlan;
  data: CalibrationData;
  /** The board model's nominal conductance law (starting point, conductance reference, gate cut-off). */
  nominal: EdgeLaw;
  /** ADC noise per sample (V rms) if known; only sets the assumed reading sigma reported as chi2 / dof. Default 0. */
  noiseRms?: number;
  /** Levenberg-Marquardt iteration limit; default 60. */
  maxIterations?: number;
  onIteration?: (iteration: number, cost: number) => void;
  signal?: AbortSignal;
  /** Record id and date (tests); default a random UUID and now. */
  recordId?: string;
  created?: Date;
  /** Keep the raw data in the record (default true). */
  keepData?: boolean;
}

/** The fitted calibration and its diagnostics. */
export interface CalibrationFit {
  record: CalibrationRecord;
  converged: boolean;
  reason: string;
  iterations: number;
  residual: FitSummary['residual'];
  identifiability: IdentifiabilityReport;
  /** The parameter vector and its layout (for tests and refits). */
  x: Float64Array;
  layout: ParameterLayout;
  /** Standard error of every parameter (Infinity where undetermined). */
  std: Float64Array;
  /** Smallest / second eigenvalue of the linear stage (near 0 when its null vector is well separated). */
  linearNullRatio: number;
}

/** Fit a calibration. Throws InvalidInputError if the data cannot hold a fit (no measurement, wrong sizes). */
export function fitCalibration(input: FitInput): CalibrationFit {
  const { id, data, nominal, expanded } = input;
  const N = id.nodes;
  const E = id.edges.length;
  if (data.measurements.length === 0) throw new InvalidInputError({ field: 'data.measurements' }, 'holds no measurement', 'acquire the plan first');
  if (nominal.kind !== id.edge.kind) {
    throw new InvalidInputError({ field: 'nominal.kind' }, `is ${nominal.kind} but the board's edges are ${id.edge.kind}`, "use the board model's edge law");
  }
  for (const [i, m] of data.measurements.entries()) {
    if (m.readings.length !== N) throw new InvalidInputError({ field: `data.measurements[${i}].readings` }, `has ${m.readings.length} entries, the board ${N} nodes`);
    if (!(m.configuration >= 0 && m.configuration < data.configurations.length)) {
      throw new InvalidInputError({ field: `data.measurements[${i}].configuration` }, `is ${m.configuration}, outside 0..${data.configurations.length - 1}`);
    }
  }
  const lsb = adcLsb(id.adc);
  const noise = input.noiseRms ?? 0;
  const sigma = readingSigma(lsb, noise, data.samples);
  const railMargin = 3 * noise + lsb;
  const problem = new CalibrationProblem({ id, data, nominal, readingSigma: sigma, railMargin });
  const L = problem.layout;

  // ---- reference: what fixes the gauge ----
  const conductanceRef = expanded.reference.conductance;
  const kNominalOfParam = (j: number): number => {
    const pr = L.tapPairs[j];
    return nominal.kind === 'tap' ? tapConductance(nominal, pr.setting) : 1;
  };
  const scale = (k: Float64Array, good: Uint8Array): number => {
    if (conductanceRef === 'nominal-mean') {
      let s = 0, c = 0;
      for (let j = 0; j < k.length; j++) {
        if (!good[j]) continue;
        s += nominal.kind === 'gate' ? Math.log(nominal.s / k[j]) : Math.log(kNominalOfParam(j) / k[j]);
        c++;
      }
      return c > 0 ? Math.exp(s / c) : 1;
    }
    const ref = conductanceRef[0];
    if ('s' in ref) return good[ref.edge] ? ref.s / k[ref.edge] : 1;
    const j = L.tapPairs.findIndex((p) => p.edge === ref.edge && p.setting === ref.setting);
    return j >= 0 && good[j] ? ref.siemens / k[j] : 1;
  };
  const init = linearInit({ nodes: N, edgeA: problem.graph.edgeA, edgeB: problem.graph.edgeB, layout: L, data, nominal, weight: problem.weight, scale });
  const x0 = init.x;
  // Fit in the default gauge (mean ADC channel ideal, nominal mean conductance): those references are averages,
  // well conditioned. Pinning single channels or edges directly makes Levenberg-Marquardt crawl along the gauge
  // and stall; instead the solution is carried along the gauge onto the given references and polished there.
  const defaults = { voltage: 'adc-mean' as const, conductance: 'nominal-mean' as const };
  const lmOpts = {
    maxIterations: input.maxIterations ?? 60,
    onIteration: input.onIteration ? (it: number, cost: number) => input.onIteration!(it, cost) : undefined,
    signal: input.signal,
  };
  let fit = levenbergMarquardt({ ...problemView(problem), constraints: referenceRows(input, defaults, L, problem, x0) }, x0, lmOpts);
  const ref = expanded.reference;
  const constraints = referenceRows(input, ref, L, problem, x0);
  if (ref.voltage !== 'adc-mean' || ref.conductance !== 'nominal-mean') {
    const x1 = Float64Array.from(fit.x);
    if (ref.voltage !== 'adc-mean') applyVoltageReference(x1, L, ref.voltage.adc, N, id.edge.kind === 'gate');
    if (ref.conductance !== 'nominal-mean') applyConductanceReference(x1, L, ref.conductance);
    const first = fit;
    fit = levenbergMarquardt({ ...problemView(problem), constraints }, x1, lmOpts);
    fit = { ...fit, iterations: first.iterations + fit.iterations };
  }
  const x = fit.x;

  // ---- residuals in volts ----
  const r = new Float64Array(problem.m);
  problem.residuals(x, r);
  let ss = 0, used = 0, max = 0;
  for (let i = 0; i < r.length; i++) {
    if (problem.weight[i] === 0) continue;
    const v = r[i] * sigma;
    ss += v * v;
    used++;
    max = Math.max(max, Math.abs(v));
  }
  // ---- identifiability and standard errors ----
  const J = new Float64Array(problem.m * problem.n);
  problem.jacobian(x, J);
  const JtJ = normalMatrix(J, problem.m, problem.n);
  const gauges = gaugeDirections(L, x, id.edge.kind, N, E);
  const ident = analyseIdentifiability(JtJ, problem.n, {
    names: L.names,
    gauges,
    constraints: constraints.rows,
    candidates: candidateRows(input, problem, x),
  });
  const dof = Math.max(1, used - ident.rank);
  const chi2PerDof = ss / (sigma * sigma) / dof;
  // standard errors from the observed scatter (sigma is conservative: quantisation is taken as undithered)
  const stdScale = Math.sqrt(chi2PerDof);
  const std = Float64Array.from(ident.std, (s) => s * stdScale);
  const residual = { rms: Math.sqrt(ss / Math.max(1, used)), max, chi2PerDof, dof };
  // A fit that stopped far above the noise is no calibration, whatever the iterations said.
  let converged = fit.converged;
  let reason = fit.reason;
  if (chi2PerDof > MAX_CHI2_PER_DOF) {
    converged = false;
    reason = `residual rms ${(residual.rms * 1e3).toFixed(3)} mV is ${Math.sqrt(chi2PerDof).toFixed(1)} x the reading noise (${fit.reason}): a local minimum, or a board the model does not describe (a broken edge, a saturated channel)`;
  }

  const record = buildRecord(input, L, x, std, {
    converged,
    reason,
    iterations: fit.iterations,
    residual,
    readingSigma: sigma,
    excludedReadings: problem.excluded,
  }, {
    parameters: problem.n,
    rank: ident.rank,
    gauges: ident.gauges,
    undetermined: groupUnused(ident.undetermined.map((u) => ({ parameters: u.parameters, why: u.why, suggestions: u.suggestions }))),
  });
  return {
    record,
    converged,
    reason,
    iterations: fit.iterations,
    residual,
    identifiability: record.identifiability,
    x,
    layout: L,
    std,
    linearNullRatio: init.nullRatio,
  };
}

/**
 * Chi2 per degree of freedom above which a fit is not accepted: 25 = residuals 5 x the assumed reading sigma (which
 * is conservative: quantisation counted as undithered), far beyond noise.
 */
export const MAX_CHI2_PER_DOF = 25;

/**
 * Move x along the voltage gauge (V -> lambda V + mu: ADC gain / lambda, ADC offset - gain mu / lambda, DAC gain x
 * lambda, DAC offset x lambda + mu, gate V_T - mu) so that the reference channels' gains and offsets hold as nearly
 * as one affine map allows (least squares over the listed channels). Every reading is unchanged.
 */
function applyVoltageReference(x: Float64Array, L: ParameterLayout, refs: { node: number; gain: number; offset: number }[], N: number, gate: boolean): void {
  if (refs.length === 0) return;
  // lambda from the gains (geometric mean of a_i / gain_i), then mu from the offsets
  let logLambda = 0;
  for (const r of refs) logLambda += Math.log(x[L.adcGain[r.node]] / r.gain) / refs.length;
  const lambda = Math.exp(logLambda);
  let mu = 0;
  for (const r of refs) mu += ((x[L.adcOffset[r.node]] - r.offset) * lambda) / x[L.adcGain[r.node]] / refs.length;
  for (let i = 0; i < N; i++) {
    const a = x[L.adcGain[i]];
    x[L.adcGain[i]] = a / lambda;
    x[L.adcOffset[i]] -= (a * mu) / lambda;
    for (const [g, o] of [[L.driveGain[i], L.driveOffset[i]], [L.clampGain[i], L.clampOffset[i]]]) {
      if (g < 0) continue;
      x[g] *= lambda;
      x[o] = x[o] * lambda + mu;
    }
  }
  if (gate) for (const j of L.vt) x[j] -= mu;
}

/**
 * Merge the 'not used' entries of one channel (its gain and its offset) into one: `dac.clamp.gain[3]` and
 * `dac.clamp.offset[3]` are one unused clamp channel.
 */
function groupUnused(list: IdentifiabilityReport['undetermined']): IdentifiabilityReport['undetermined'] {
  const out: IdentifiabilityReport['undetermined'] = [];
  const byChannel = new Map<string, IdentifiabilityReport['undetermined'][number]>();
  for (const u of list) {
    const m = u.why === 'not used' && u.parameters.length === 1 ? /^(adc|dac\.drive|dac\.clamp)\.(gain|offset)(\[\d+\])$/.exec(u.parameters[0]) : null;
    if (!m) {
      out.push(u);
      continue;
    }
    const key = m[1] + m[3];
    const g = byChannel.get(key);
    if (g) {
      g.parameters.push(...u.parameters);
      for (const s of u.suggestions) if (!g.suggestions.includes(s)) g.suggestions.push(s);
    } else {
      const entry = { parameters: [...u.parameters], why: u.why, suggestions: [...u.suggestions] };
      byChannel.set(key, entry);
      out.push(entry);
    }
  }
  return out;
}

/** Scale every conductance so that the referenced ones hold as nearly as one factor allows (geometric mean). */
function applyConductanceReference(x: Float64Array, L: ParameterLayout, refs: Exclude<ConductanceReference, 'nominal-mean'>): void {
  let logF = 0;
  for (const r of refs) {
    if ('s' in r) logF += (Math.log(r.s) - x[L.logS[r.edge]]) / refs.length;
    else {
      const j = L.tapPairs.findIndex((p) => p.edge === r.edge && p.setting === r.setting);
      if (j >= 0) logF += (Math.log(r.siemens) - x[L.firstEdgeParam + j]) / refs.length;
    }
  }
  for (const j of L.logS) x[j] += logF;
  for (let j = 0; j < L.tapPairs.length; j++) x[L.firstEdgeParam + j] += logF;
}

function problemView(p: CalibrationProblem): { n: number; m: number; residuals: CalibrationProblem['residuals']; jacobian: CalibrationProblem['jacobian'] } {
  return { n: p.n, m: p.m, residuals: (x, r) => p.residuals(x, r), jacobian: (x, J) => p.jacobian(x, J) };
}

/** J^T J (n x n row-major) of a dense row-major m x n Jacobian, skipping zeros. */
export function normalMatrix(J: Float64Array, m: number, n: number): Float64Array {
  const A = new Float64Array(n * n);
  const nz = new Int32Array(n);
  for (let i = 0; i < m; i++) {
    let c = 0;
    const off = i * n;
    for (let j = 0; j < n; j++) if (J[off + j] !== 0) nz[c++] = j;
    for (let p = 0; p < c; p++) {
      const jp = nz[p];
      const vp = J[off + jp];
      for (let q = p; q < c; q++) A[jp * n + nz[q]] += vp * J[off + nz[q]];
    }
  }
  for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) A[q * n + p] = A[p * n + q];
  return A;
}

/**
 * The reference as weighted constraint rows (residual = row . x - target). Weight: 1e3 x the largest column norm of
 * the weighted Jacobian at x0, so that the constraints hold to ~1e-6 of a data residual's pull but the normal
 * equations stay well conditioned.
 */
function referenceRows(
  input: FitInput,
  reference: ExpandedPlan['reference'],
  L: ParameterLayout,
  problem: CalibrationProblem,
  x0: Float64Array,
): { rows: Float64Array; target: Float64Array } {
  const J = new Float64Array(problem.m * problem.n);
  problem.jacobian(x0, J);
  let maxCol = 0;
  const col = new Float64Array(problem.n);
  for (let i = 0; i < problem.m; i++) for (let j = 0; j < problem.n; j++) col[j] += J[i * problem.n + j] ** 2;
  for (const c of col) maxCol = Math.max(maxCol, Math.sqrt(c));
  const w = 1e3 * (maxCol > 0 ? maxCol : 1);
  const n = L.n;
  const N = input.id.nodes;
  const rows: Float64Array[] = [];
  const target: number[] = [];
  const add = (coef: [number, number][], t: number): void => {
    const row = new Float64Array(n);
    for (const [j, c] of coef) row[j] += c * w;
    rows.push(row);
    target.push(t * w);
  };
  const vref = reference.voltage;
  if (vref === 'adc-mean') {
    add(Array.from({ length: N }, (_, i) => [L.adcGain[i], 1 / N] as [number, number]), 1);
    add(Array.from({ length: N }, (_, i) => [L.adcOffset[i], 1 / N] as [number, number]), 0);
  } else {
    for (const a of vref.adc) {
      add([[L.adcGain[a.node], 1]], a.gain);
      add([[L.adcOffset[a.node], 1]], a.offset);
    }
  }
  const cref = reference.conductance;
  const nominal = input.nominal;
  if (cref === 'nominal-mean') {
    if (nominal.kind === 'gate') {
      const E = L.logS.length;
      add(Array.from(L.logS, (j) => [j, 1 / E] as [number, number]), Math.log(nominal.s));
    } else if (nominal.kind === 'tap') {
      const P = L.tapPairs.length;
      let t = 0;
      for (const p of L.tapPairs) t += Math.log(tapConductance(nominal, p.setting)) / P;
      add(L.tapPairs.map((_, j) => [L.firstEdgeParam + j, 1 / P] as [number, number]), t);
    }
  } else {
    for (const ref of cref) {
      if ('s' in ref) {
        if (L.logS.length === 0) throw new InvalidInputError({ field: 'reference.conductance' }, 'gives s for a tap board', 'give {edge, setting, siemens}');
        add([[L.logS[ref.edge], 1]], Math.log(ref.s));
      } else {
        const j = L.tapPairs.findIndex((p) => p.edge === ref.edge && p.setting === ref.setting);
        if (j < 0) {
          throw new InvalidInputError({ field: 'reference.conductance' }, `edge ${ref.edge} never visits tap ${ref.setting}`, 'reference a tap the plan visits');
        }
        add([[L.firstEdgeParam + j, 1]], Math.log(ref.siemens));
      }
    }
  }
  const out = new Float64Array(rows.length * n);
  rows.forEach((r, i) => out.set(r, i * n));
  return { rows: out, target: Float64Array.from(target) };
}

/**
 * Directions that voltages cannot see, by construction: V -> lambda V (the voltage scale) and V -> V + mu (the zero),
 * and k -> c k (the conductance scale). The identifiability analysis reports those that are indeed unobservable
 * (for gate boards the law's dependence on absolute voltages can make the voltage scale observable).
 */
function gaugeDirections(L: ParameterLayout, x: Float64Array, kind: 'tap' | 'gate', N: number, E: number): NamedDirection[] {
  const scale = new Float64Array(L.n);
  const zero = new Float64Array(L.n);
  const kscale = new Float64Array(L.n);
  for (let i = 0; i < N; i++) {
    scale[L.adcGain[i]] = -x[L.adcGain[i]];
    zero[L.adcOffset[i]] = -x[L.adcGain[i]];
    for (const [g, o] of [[L.driveGain[i], L.driveOffset[i]], [L.clampGain[i], L.clampOffset[i]]]) {
      if (g < 0) continue;
      scale[g] = x[g];
      scale[o] = x[o];
      zero[o] = 1;
    }
  }
  if (kind === 'gate') {
    for (let e = 0; e < E; e++) {
      zero[L.vt[e]] = -1;
      kscale[L.logS[e]] = 1;
    }
  } else {
    for (let j = 0; j < L.tapPairs.length; j++) kscale[L.firstEdgeParam + j] = 1;
  }
  return [
    { name: 'voltage scale (V -> lambda V): fixed by reference.voltage', vector: scale },
    { name: 'voltage zero (V -> V + mu): fixed by reference.voltage', vector: zero },
    { name: 'conductance scale (k -> c k): fixed by reference.conductance', vector: kscale },
  ];
}

/**
 * Measurements that could be added, for the identifiability report's suggestions: per drivable node, driving it at
 * two levels; per clampable node, clamping it at two levels; per node, leaving it free between two driven
 * neighbours; tap boards with several levels, a configuration mixing them.
 */
function candidateRows(input: FitInput, problem: CalibrationProblem, x: Float64Array): CandidateRows[] {
  const { id, data } = input;
  const N = id.nodes;
  const E = id.edges.length;
  const { lo, hi } = id.dac;
  const at = (f: number): number => lo + f * (hi - lo);
  const mid = 0.5 * (id.adc.lo + id.adc.hi);
  const out: CandidateRows[] = [];
  const neighbours = (i: number): number[] => {
    const s = new Set<number>();
    for (const [a, b] of id.edges) {
      if (a === i) s.add(b);
      if (b === i) s.add(a);
    }
    return [...s];
  };
  const rowsFor = (ms: Omit<CalibrationMeasurement, 'readings'>[], extraConfigs: number[][] = []): Float64Array => {
    const cand: CalibrationData = {
      configurations: [...data.configurations, ...extraConfigs],
      measurements: ms.map((m) => ({ ...m, readings: new Array(N).fill(mid) })),
      samples: data.samples,
    };
    const p = new CalibrationProblem({ id, data: cand, nominal: input.nominal, readingSigma: problem.readingSigma, railMargin: 0 });
    // the candidate's layout extends the fitted one (same order for the existing configurations)
    const xc = new Float64Array(p.n);
    xc.set(x.subarray(0, Math.min(x.length, p.n)));
    for (let j = x.length; j < p.n; j++) xc[j] = Math.log(1e-3);
    const J = new Float64Array(p.m * p.n);
    p.jacobian(xc, J);
    const rows = new Float64Array(p.m * problem.n);
    for (let i = 0; i < p.m; i++) for (let j = 0; j < problem.n; j++) rows[i * problem.n + j] = J[i * p.n + j];
    return rows;
  };
  const other = (j: number, pool: number[]): number | undefined => pool.find((k) => k !== j && !neighbours(j).includes(k)) ?? pool.find((k) => k !== j);
  for (const j of id.drivable) {
    const g = other(j, id.drivable);
    if (g === undefined) continue;
    const ms = [0.25, 0.75].map((f) => ({ configuration: 0, pattern: -1, drive: [[j, at(f)], [g, at(0.1)]] as [number, number][], clamp: [] }));
    out.push({ description: `drive node ${j} at two levels (25% and 75% of the DAC range) with node ${g} driven at 10%`, rows: rowsFor(ms) });
  }
  for (const j of id.clampable) {
    const pool = id.drivable.filter((k) => k !== j);
    if (pool.length < 2) continue;
    const [a, b] = [pool[0], pool[pool.length - 1]];
    const ms = [0.3, 0.7].map((f) => ({ configuration: 0, pattern: -1, drive: [[a, at(0.1)], [b, at(0.9)]] as [number, number][], clamp: [[j, at(f)]] as [number, number][] }));
    out.push({ description: `clamp node ${j} at two levels (30% and 70%) with nodes ${a} and ${b} driven at 10% and 90%`, rows: rowsFor(ms) });
  }
  for (let i = 0; i < N; i++) {
    const nb = neighbours(i).filter((k) => id.drivable.includes(k));
    if (nb.length < 2) continue;
    const ms = [
      { configuration: 0, pattern: -1, drive: [[nb[0], at(0.2)], [nb[1], at(0.8)]] as [number, number][], clamp: [] },
      { configuration: 0, pattern: -1, drive: [[nb[0], at(0.8)], [nb[1], at(0.2)]] as [number, number][], clamp: [] },
    ];
    out.push({ description: `drive node ${nb[0]} and node ${nb[1]} at 20% and 80%, then swapped, with their neighbour ${i} free`, rows: rowsFor(ms) });
  }
  if (id.edge.kind === 'tap') {
    const levels = [...new Set(data.configurations.flat())].sort((a, b) => a - b);
    if (levels.length >= 2) {
      const cfg = Array.from({ length: E }, (_, e) => levels[e % levels.length]);
      const c = data.configurations.length;
      const pats = data.measurements.filter((m) => m.configuration === 0).slice(0, 4);
      const ms = pats.map((m) => ({ configuration: c, pattern: m.pattern, drive: m.drive, clamp: m.clamp }));
      if (ms.length > 0) out.push({ description: `a configuration mixing the levels ${levels.join(', ')} across edges (e.g. edge e at level e mod ${levels.length})`, rows: rowsFor(ms, [cfg]) });
    }
  }
  return out;
}

/**
 * One edge's geometric law through its fitted points: `ln k = c0 + c1 u`, u = t / (taps - 1), weighted least squares
 * with weights 1 / relStd^2 (relStd is the standard error of ln k). One distinct tap identifies only a scale: the
 * nominal slope is kept; none, the nominal law.
 */
function geometricEdgeLaw(pts: CurvePoint[], taps: number, nominal: { rMin: number; rMax: number }): { rMin: number; rMax: number } {
  const nominalSlope = Math.log(nominal.rMax / nominal.rMin);
  let c0: number, c1: number;
  if (pts.length === 0) {
    c0 = -Math.log(nominal.rMax);
    c1 = nominalSlope;
  } else if (new Set(pts.map((p) => p.setting)).size === 1) {
    c1 = nominalSlope;
    c0 = Math.log(pts[0].conductance) - c1 * (pts[0].setting / (taps - 1));
  } else {
    [c0, c1] = weightedLine(pts.map((p) => ({ u: p.setting / (taps - 1), y: Math.log(p.conductance), w: 1 / Math.max(1e-6, p.relStd) ** 2 })));
  }
  return { rMax: Math.exp(-c0), rMin: Math.exp(-c0 - c1) };
}

/**
 * One edge's linear law through its fitted points: the resistance is linear in the tap, `R = 1/k = rMax - (rMax -
 * rMin) u`, u = t / (taps - 1), so a weighted straight line through (u, 1/k) gives the edge's own rMax (at u = 0) and
 * rMin (at u = 1): two parameters per edge, as the geometric fit has, identified by two or more distinct taps. The
 * standard error of R is R relStd (relStd is that of k, and of R, to first order), so the weights are
 * 1 / (R relStd)^2. One distinct tap identifies only a scale (the law times a factor, the nominal rMin/rMax ratio
 * kept); none, the nominal law. A fit whose line would not give 0 < rMin < rMax (points too noisy to order the
 * ends) falls back to that scale through the points' weighted mean as well.
 */
function linearEdgeLaw(pts: CurvePoint[], taps: number, nominal: { rMin: number; rMax: number }): { rMin: number; rMax: number } {
  const nominalR = (u: number): number => nominal.rMax - (nominal.rMax - nominal.rMin) * u;
  const scaled = (): { rMin: number; rMax: number } => {
    if (pts.length === 0) return { rMin: nominal.rMin, rMax: nominal.rMax };
    // R_e(u) = f R_nom(u): f from ln(1/k) - ln R_nom(u), weighted mean with weights 1 / relStd^2
    let sw = 0, sy = 0;
    for (const p of pts) {
      const w = 1 / Math.max(1e-6, p.relStd) ** 2;
      sw += w;
      sy += w * Math.log(1 / (p.conductance * nominalR(p.setting / (taps - 1))));
    }
    const f = Math.exp(sy / sw);
    return { rMin: f * nominal.rMin, rMax: f * nominal.rMax };
  };
  if (new Set(pts.map((p) => p.setting)).size < 2) return scaled();
  const [c0, c1] = weightedLine(
    pts.map((p) => {
      const r = 1 / p.conductance;
      return { u: p.setting / (taps - 1), y: r, w: 1 / Math.max(1e-6 * r, r * p.relStd) ** 2 };
    }),
  );
  const rMax = c0;
  const rMin = c0 + c1;
  return rMin > 0 && rMax > rMin ? { rMin, rMax } : scaled();
}

/** Weighted least-squares line y = c0 + c1 u through points with weights w; returns [c0, c1]. */
function weightedLine(pts: { u: number; y: number; w: number }[]): [number, number] {
  let sw = 0, su = 0, sy = 0, suu = 0, suy = 0;
  for (const { u, y, w } of pts) {
    sw += w;
    su += w * u;
    sy += w * y;
    suu += w * u * u;
    suy += w * u * y;
  }
  const c1 = (sw * suy - su * sy) / (sw * suu - su * su);
  return [(sy - c1 * su) / sw, c1];
}

function channel(L: Int32Array, O: Int32Array, x: Float64Array, std: Float64Array): ChannelFit {
  const pick = (idx: Int32Array, vals: boolean): (number | null)[] =>
    Array.from(idx, (j, i) => {
      if (j < 0) return null;
      const s = std[j];
      const determined = Number.isFinite(s) && Number.isFinite(std[L[i]]) && Number.isFinite(std[O[i]]);
      if (!determined) return null;
      return vals ? x[j] : s;
    });
  return { gain: pick(L, true), offset: pick(O, true), gainStd: pick(L, false), offsetStd: pick(O, false) };
}

function buildRecord(input: FitInput, L: ParameterLayout, x: Float64Array, std: Float64Array, fit: FitSummary, ident: IdentifiabilityReport): CalibrationRecord {
  const { id, nominal } = input;
  const E = id.edges.length;
  let edges: CalibrationRecord['edges'];
  if (id.edge.kind === 'tap' && nominal.kind === 'tap') {
    const taps = id.edge.taps;
    const points: CurvePoint[][] = Array.from({ length: E }, () => []);
    L.tapPairs.forEach((p, j) => {
      const col = L.firstEdgeParam + j;
      points[p.edge].push({ setting: p.setting, conductance: Math.exp(x[col]), relStd: Number.isFinite(std[col]) ? std[col] : -1 });
    });
    const rMax: number[] = [];
    const rMin: number[] = [];
    const lawDeviation: number[] = [];
    const linear = nominal.taper === 'linear';
    for (let e = 0; e < E; e++) {
      const pts = points[e].filter((p) => p.relStd >= 0).sort((a, b) => a.setting - b.setting);
      points[e].sort((a, b) => a.setting - b.setting);
      const law = linear ? linearEdgeLaw(pts, taps, nominal) : geometricEdgeLaw(pts, taps, nominal);
      rMax.push(law.rMax);
      rMin.push(law.rMin);
      let dev = 0;
      const edgeLaw = { taps, rMin: law.rMin, rMax: law.rMax, taper: nominal.taper };
      for (const p of pts) dev = Math.max(dev, Math.abs(p.conductance / tapConductance(edgeLaw, p.setting) - 1));
      lawDeviation.push(dev);
    }
    for (const pts of points) for (const p of pts) if (p.relStd < 0) p.relStd = Number.POSITIVE_INFINITY;
    edges = linear ? { kind: 'tap', taps, taper: 'linear', rMax, rMin, points, lawDeviation } : { kind: 'tap', taps, rMax, rMin, points, lawDeviation };
  } else {
    edges = {
      kind: 'gate',
      s: Array.from(L.logS, (j) => Math.exp(x[j])),
      vt: Array.from(L.vt, (j) => x[j]),
      sRelStd: Array.from(L.logS, (j) => std[j]),
      vtStd: Array.from(L.vt, (j) => std[j]),
    };
  }
  const adc = channel(L.adcGain, L.adcOffset, x, std);
  return {
    format: RECORD_FORMAT,
    id: input.recordId ?? randomUUID(),
    created: (input.created ?? new Date()).toISOString(),
    board: {
      model: id.model,
      uid: id.uid,
      firmware: id.firmware,
      // the major version: minor versions of the wire protocol do not change what a calibration means
      protocol: protocolMajor(id.protocol),
      nodes: id.nodes,
      edges: id.edges.map(([a, b]) => [a, b] as [number, number]),
      adc: { ...id.adc },
      dac: { ...id.dac },
      edge: id.edge.kind === 'tap' ? { kind: 'tap', taps: id.edge.taps } : { kind: 'gate', lo: id.edge.lo, hi: id.edge.hi },
    },
    plan: input.plan,
    adc,
    dac: { drive: channel(L.driveGain, L.driveOffset, x, std), clamp: channel(L.clampGain, L.clampOffset, x, std) },
    edges,
    fit,
    identifiability: ident,
    ...(input.keepData === false ? {} : { data: input.data }),
  };
}
