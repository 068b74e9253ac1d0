/**
 * Checks every measured state against the simulated Laplacian (issue 4, point 2): from the conductances the board's
 * edge settings should have (calibrated where a calibration is loaded), predict the node voltages for the same
 * imposed values; report the per-node voltage residual and the per-node Kirchhoff current residual; alarm when a
 * residual exceeds a threshold derived from the ADC's resolution and noise; name the single fault (edge or
 * converter channel) that best explains the residuals.
 *
 * Prediction. Imposed nodes (sources and clamps) are the boundary of the Laplacian solve. With `boundary:
 * 'measured'` (default) the solve uses each imposed node's *reading* -- the board measures every node, so DAC gain
 * and offset errors drop out of the free-node check -- except for readings at an ADC rail (clipped: unreliable),
 * where the commanded value is used. With 'commanded' it uses the commanded values. The predicted voltage of an
 * imposed node is always its commanded value, so `voltageResidual` there checks the drive channel.
 *
 * Noise model (residuals zero-mean Gaussian without a fault). The voltage residual's covariance is the sum, over
 * elementary causes, of std^2 p p^T with the cause's residual pattern p (FaultPatterns.ts):
 * - each reading: sigma_adc = sqrt(noiseRms^2 / samples + lsb^2 / 12) (measurementNoise.ts); an imposed node's
 *   reading, when used as boundary, also moves the prediction by its harmonic weights w_j;
 * - each DAC channel: sqrt(offset^2 + (gain * V)^2) from `dacUncertainty`;
 * - each edge's conductance (model uncertainty): relative std u_e, i.e. std u_e k_e |dV_e| along
 *   g_e = H_FF^{-1} d_e -- linear propagation through the exact sensitivity dV/dk_e = -dV_e g_e (GreenResponses).
 * Kirchhoff residual c_i = sum_{e at i} k_e (V_i - V_other) from the readings (boundary values at imposed nodes):
 * variance (sum k)^2 sigma_i^2 + sum_other (k sigma_other)^2 + sum_{e at i} (u_e k_e dV_e)^2.
 *
 * Alarm (thresholdSigma, default 6): a node's |voltage residual| above thresholdSigma times its own std, a free
 * node's |current residual| likewise, or the residual whitened by the full covariance having a chi2 above the
 * chi-square quantile at thresholdSigma. Localisation fits every single-fault hypothesis by generalised least
 * squares on the same whitening (localiseFault.ts).
 *
 * Gate (transistor) boards: pass conductances evaluated at the measured voltages; the check then asks whether the
 * reading is a fixed point of the Laplacian with those conductances. Reading noise also enters through k(V): a
 * relative error of about dV_e / (2 (V_G - vt - V_mean)) times the reading's, which the noise model leaves out
 * (negligible at the ADC's resolution; a noisy gate board may want a small modelUncertainty).
 *
 * Nodes not checked: nodes in a component with no imposed node (floating: nothing predicts them) and, when
 * `adcRange` is given, nodes whose reading lies within `railMargin` of an ADC rail (the reading is clipped).
 */
import { InvalidInputError, show } from '../errors.js';
import { LaplacianSystem } from '../physics/LaplacianSystem.js';
import { GreenResponses } from './GreenResponses.js';
import { FaultPatterns } from './FaultPatterns.js';
import { type FaultHypothesis, localiseFault } from './localiseFault.js';
import { readingSigma } from './measurementNoise.js';
import { ResidualCovariance } from './ResidualCovariance.js';

/** The network the board is: node count and edge list (edge e joins edgeA[e] to edgeB[e]). */
export interface CheckedNetwork {
  nodes: number;
  edgeA: Int32Array;
  edgeB: Int32Array;
}

/** Options of {@link ConsistencyChecker}. */
export interface ConsistencyOptions {
  /** One ADC step (V): (hi - lo) / (2^bits - 1); see adcLsb(). */
  adcLsb: number;
  /** ADC noise per sample (V rms), before averaging. */
  noiseRms: number;
  /** Samples averaged per reading (the `measure` sample count). */
  samples: number;
  /** Alarm when a residual exceeds this many of its sigmas. Default 6. */
  thresholdSigma?: number;
  /**
   * Relative std of each conductance the caller passes about the truth (a scalar for every edge or one per edge).
   * Default 0 (calibrated). Uncalibrated boards: the edge tolerance (0.05 for penn-gen1).
   */
  modelUncertainty?: number | ArrayLike<number>;
  /**
   * DAC errors not calibrated away: gain (relative std) and offset (V std) of each channel. Matter for the
   * imposed nodes' own residuals, and for the prediction wherever the commanded value is used. Default 0.
   */
  dacUncertainty?: { gain: number; offset: number };
  /** Imposed values in the solve: the readings ('measured', default) or the commanded values. */
  boundary?: 'measured' | 'commanded';
  /** ADC input range (V); readings within `railMargin` of either end are treated as clipped. Default: none. */
  adcRange?: { lo: number; hi: number };
  /** Default 3 noiseRms + 1 LSB. */
  railMargin?: number;
  /** Edge factor at or below which a suspect edge is called 'open' (default 0.1) ... */
  openBelow?: number;
  /** ... at or above which 'short' (default 10). */
  shortAbove?: number;
  /** A suspect is named only if it explains at least this share of the whitened residual. Default 0.5. */
  minExplained?: number;
  /** How many hypotheses to return, best first. Default 5. */
  keepHypotheses?: number;
  /** Two hypotheses whose chi2 differ by less than this are indistinguishable (`ambiguous`). Default 4. */
  ambiguityChi2?: number;
  /** Keep the residual covariance dense (correlations used in the fits) up to this many checked nodes. Default 512. */
  maxDenseCovariance?: number;
}

/** The result of one check: residuals, thresholds, the verdict and the evidence for it. */
export interface CheckResult {
  /** Predicted node voltages (V): the Laplacian solution at free nodes, the commanded value at imposed nodes, NaN at floating nodes. */
  predicted: Float64Array;
  /** measured - predicted (V) per node; NaN where not checked. */
  voltageResidual: Float64Array;
  /** Net current leaving each free node by Kirchhoff (A) from the readings and the model conductances; NaN at imposed and unchecked nodes. */
  currentResidual: Float64Array;
  /** Alarm thresholds per node: voltage (V) and current (A); Infinity where not checked. */
  threshold: { voltage: Float64Array; current: Float64Array };
  /** No-fault standard deviations: one reading (V), and per node the voltage (V) and current (A) residual. */
  sigma: { reading: number; voltage: Float64Array; current: Float64Array };
  /** max_i |voltageResidual_i| / threshold_i (alarm when > 1). */
  maxVoltageResidual: number;
  /** max_i |currentResidual_i| / threshold_i (alarm when > 1). */
  maxCurrentResidual: number;
  /**
   * Global test over all checked nodes: value = |L^{-1} r|^2 (the residual whitened by its no-fault covariance,
   * chi-square with `dof` = checked nodes), threshold = its upper quantile at thresholdSigma (alarm when above).
   * Sees faults whose residual is spread out or hides under correlated model error, which per-node thresholds miss.
   */
  chi2: { value: number; dof: number; threshold: number };
  /** The node with the largest normalised residual and which residual it was; null if no node was checked. */
  worst: { node: number; residual: 'voltage' | 'current'; normalised: number } | null;
  alarm: boolean;
  /** The best single-fault explanation, when there is an alarm and it explains at least minExplained. */
  suspect: FaultHypothesis | null;
  /** The best few hypotheses (only computed on alarm), best first. */
  hypotheses: FaultHypothesis[];
  /** On alarm: the runner-up fits (chi2) within ambiguityChi2 of the suspect: one measurement cannot tell them apart. */
  ambiguous: boolean;
  /** Nodes not checked. */
  unchecked: { floating: number[]; saturated: number[] };
  diagnostics: {
    boundary: 'measured' | 'commanded';
    /** Linear solves done: the prediction plus Green's functions. */
    solves: number;
    /** Largest relative KCL residual of those solves. */
    maxSolveResidual: number;
  };
  /** One line for a log or an alarm event. */
  summary: string;
}

/** A run-record / dashboard event for an alarm (plain JSON). */
export interface ConsistencyAlarm {
  type: 'consistency-alarm';
  maxVoltageResidual: number;
  maxCurrentResidual: number;
  chi2: CheckResult['chi2'];
  worst: CheckResult['worst'];
  suspect: FaultHypothesis | null;
  ambiguous: boolean;
  message: string;
}

/** The alarm event of a check, or null when there is no alarm. */
export function alarmEvent(result: CheckResult): ConsistencyAlarm | null {
  if (!result.alarm) return null;
  return {
    type: 'consistency-alarm',
    maxVoltageResidual: result.maxVoltageResidual,
    maxCurrentResidual: result.maxCurrentResidual,
    chi2: result.chi2,
    worst: result.worst,
    suspect: result.suspect,
    ambiguous: result.ambiguous,
    message: result.summary,
  };
}

export class ConsistencyChecker {
  readonly nodes: number;
  readonly edgeA: Int32Array;
  readonly edgeB: Int32Array;
  /** Std of one reading (V). */
  readonly readingSigma: number;
  readonly thresholdSigma: number;

  private readonly opts: ConsistencyOptions;
  private readonly uncertainty: Float64Array;
  private readonly railMargin: number;
  /** Connected component of every node (all edges). */
  private readonly component: Int32Array;
  /** Edges at each node (CSR). */
  private readonly incPtr: Int32Array;
  private readonly incEdge: Int32Array;
  private readonly systems = new Map<string, LaplacianSystem>();

  constructor(network: CheckedNetwork, opts: ConsistencyOptions) {
    const { nodes, edgeA, edgeB } = network;
    if (!(Number.isInteger(nodes) && nodes >= 1)) throw new InvalidInputError({ field: 'nodes' }, `must be a positive integer, got ${show(nodes)}`);
    if (edgeA.length !== edgeB.length) throw new InvalidInputError({ field: 'edgeB' }, `must have the length of edgeA (${edgeA.length}), got ${edgeB.length}`);
    const E = edgeA.length;
    for (let e = 0; e < E; e++) {
      for (const [name, v] of [['edgeA', edgeA[e]], ['edgeB', edgeB[e]]] as const) {
        if (!(Number.isInteger(v) && v >= 0 && v < nodes)) throw new InvalidInputError({ field: `${name}[${e}]` }, `node id must be in 0..${nodes - 1}, got ${show(v)}`);
      }
    }
    this.nodes = nodes;
    this.edgeA = edgeA.slice();
    this.edgeB = edgeB.slice();
    this.opts = { ...opts };
    this.readingSigma = readingSigma(opts.adcLsb, opts.noiseRms, opts.samples);
    this.thresholdSigma = opts.thresholdSigma ?? 6;
    if (!(this.thresholdSigma > 0)) throw new InvalidInputError({ field: 'thresholdSigma' }, `must be a positive number, got ${show(opts.thresholdSigma)}`);
    const u = opts.modelUncertainty ?? 0;
    this.uncertainty = typeof u === 'number' ? new Float64Array(E).fill(u) : Float64Array.from(u);
    if (this.uncertainty.length !== E) throw new InvalidInputError({ field: 'modelUncertainty' }, `expected one value per edge (${E}), got ${this.uncertainty.length}`);
    for (let e = 0; e < E; e++) {
      if (!(this.uncertainty[e] >= 0 && Number.isFinite(this.uncertainty[e]))) {
        throw new InvalidInputError({ field: `modelUncertainty${typeof u === 'number' ? '' : `[${e}]`}` }, `must be a number >= 0 (relative std), got ${show(this.uncertainty[e])}`);
      }
    }
    const dac = opts.dacUncertainty;
    if (dac && !(dac.gain >= 0 && dac.offset >= 0)) throw new InvalidInputError({ field: 'dacUncertainty' }, `gain and offset must be numbers >= 0, got ${show(dac)}`);
    if (opts.boundary !== undefined && opts.boundary !== 'measured' && opts.boundary !== 'commanded') {
      throw new InvalidInputError({ field: 'boundary' }, `must be 'measured' or 'commanded', got ${show(opts.boundary)}`);
    }
    if (opts.adcRange && !(opts.adcRange.hi > opts.adcRange.lo)) throw new InvalidInputError({ field: 'adcRange' }, `needs lo < hi, got ${show(opts.adcRange)}`);
    this.railMargin = opts.railMargin ?? 3 * opts.noiseRms + opts.adcLsb;
    if (!(this.railMargin >= 0)) throw new InvalidInputError({ field: 'railMargin' }, `must be a number >= 0 (V), got ${show(opts.railMargin)}`);

    // components (union-find) and incidence lists
    const up = Int32Array.from({ length: nodes }, (_, i) => i);
    const find = (i: number): number => {
      while (up[i] !== i) i = up[i] = up[up[i]];
      return i;
    };
    for (let e = 0; e < E; e++) up[find(edgeA[e])] = find(edgeB[e]);
    this.component = Int32Array.from({ length: nodes }, (_, i) => find(i));
    this.incPtr = new Int32Array(nodes + 1);
    for (let e = 0; e < E; e++) {
      this.incPtr[edgeA[e] + 1]++;
      this.incPtr[edgeB[e] + 1]++;
    }
    for (let i = 0; i < nodes; i++) this.incPtr[i + 1] += this.incPtr[i];
    this.incEdge = new Int32Array(2 * E);
    const fill = this.incPtr.slice(0, nodes);
    for (let e = 0; e < E; e++) {
      this.incEdge[fill[edgeA[e]]++] = e;
      this.incEdge[fill[edgeB[e]]++] = e;
    }
  }

  /**
   * Check one measured state.
   * @param measured node readings (V), one per node
   * @param imposed every source and clamp the board holds: node -> commanded volts
   * @param conductance model conductance of every edge (S, positive), e.g. from settingsToConductance
   */
  check(measured: ArrayLike<number>, imposed: ReadonlyMap<number, number>, conductance: ArrayLike<number>): CheckResult {
    const N = this.nodes;
    const E = this.edgeA.length;
    const { edgeA, edgeB, opts } = this;
    if (measured.length !== N) throw new InvalidInputError({ field: 'measured' }, `expected ${N} readings (one per node), got ${measured.length}`);
    for (let i = 0; i < N; i++) {
      if (!Number.isFinite(measured[i])) throw new InvalidInputError({ field: `measured[${i}]` }, `must be a finite number (V), got ${show(measured[i])}`);
    }
    if (conductance.length !== E) throw new InvalidInputError({ field: 'conductance' }, `expected ${E} conductances (one per edge), got ${conductance.length}`);
    const k = Float64Array.from(conductance);
    const isImposed = new Uint8Array(N);
    const commanded = new Float64Array(N);
    for (const [node, v] of imposed) {
      if (!(Number.isInteger(node) && node >= 0 && node < N)) throw new InvalidInputError({ field: 'imposed' }, `node must be in 0..${N - 1}, got ${show(node)}`);
      if (!Number.isFinite(v)) throw new InvalidInputError({ field: `imposed[${node}]` }, `must be a finite number (V), got ${show(v)}`);
      isImposed[node] = 1;
      commanded[node] = v;
    }

    // Unchecked nodes: clipped readings, floating components.
    const saturated = new Uint8Array(N);
    if (opts.adcRange) {
      const { lo, hi } = opts.adcRange;
      for (let i = 0; i < N; i++) if (measured[i] <= lo + this.railMargin || measured[i] >= hi - this.railMargin) saturated[i] = 1;
    }
    const anchored = new Uint8Array(N);
    for (let i = 0; i < N; i++) if (isImposed[i]) anchored[this.component[i]] = 1;
    const floating = new Uint8Array(N);
    for (let i = 0; i < N; i++) if (!isImposed[i] && !anchored[this.component[i]]) floating[i] = 1;

    // Boundary of the solve: imposed nodes (reading or command) and floating nodes (held at their reading; they
    // cannot influence anything else).
    const boundaryMode = opts.boundary ?? 'measured';
    const useReading = new Uint8Array(N);
    const boundaryNodes: number[] = [];
    for (let i = 0; i < N; i++) {
      if (isImposed[i]) {
        boundaryNodes.push(i);
        if (boundaryMode === 'measured' && !saturated[i]) useReading[i] = 1;
      } else if (floating[i]) boundaryNodes.push(i);
    }
    const bnodes = Int32Array.from(boundaryNodes);
    const bvals = Float64Array.from(bnodes, (i) => (isImposed[i] && !useReading[i] ? commanded[i] : measured[i]));
    const resp = GreenResponses.solve(this.system(bnodes), edgeA, edgeB, k, bvals);
    const vb = resp.voltages; // the solve's state: boundary values at boundary nodes

    const predicted = Float64Array.from(vb);
    for (let i = 0; i < N; i++) {
      if (isImposed[i]) predicted[i] = commanded[i];
      else if (floating[i]) predicted[i] = NaN;
    }
    const checked = (i: number): boolean => !floating[i] && !saturated[i];

    // No-fault covariance of the voltage residual over the checked nodes: every elementary cause's pattern
    // (FaultPatterns.ts) scaled by its standard deviation.
    const sAdc = this.readingSigma;
    const dac = opts.dacUncertainty ?? { gain: 0, offset: 0 };
    const sDac = (i: number): number => Math.hypot(dac.offset, dac.gain * commanded[i]);
    const checkedMask = new Uint8Array(N);
    for (let i = 0; i < N; i++) checkedMask[i] = checked(i) ? 1 : 0;
    const patterns = new FaultPatterns(resp, isImposed, useReading);
    const cov = new ResidualCovariance(checkedMask, opts.maxDenseCovariance);
    for (let i = 0; i < N; i++) {
      if (isImposed[i]) {
        cov.add(patterns.adc(i), sAdc);
        cov.add(patterns.dac(i), sDac(i));
      } else if (checkedMask[i]) {
        cov.add(patterns.adc(i), sAdc);
      }
    }
    const u = this.uncertainty;
    for (let e = 0; e < E; e++) {
      const s = u[e] * k[e] * resp.edgeDrop(e);
      if (s !== 0) cov.add(patterns.edge(e), s);
    }
    /** Std of the value the solve used at each imposed node (for the current residual). */
    const sBoundary = new Float64Array(N);
    for (let i = 0; i < N; i++) if (isImposed[i]) sBoundary[i] = useReading[i] ? sAdc : sDac(i);

    // Voltage residuals.
    const ts = this.thresholdSigma;
    const voltageResidual = new Float64Array(N).fill(NaN);
    const sigmaV = new Float64Array(N).fill(Infinity);
    const thrV = new Float64Array(N).fill(Infinity);
    let maxV = 0;
    let worst: CheckResult['worst'] = null;
    for (let i = 0; i < N; i++) {
      if (!checked(i)) continue;
      voltageResidual[i] = measured[i] - predicted[i];
      sigmaV[i] = Math.sqrt(cov.variance(i));
      thrV[i] = ts * sigmaV[i];
      const z = Math.abs(voltageResidual[i]) / thrV[i];
      if (worst === null || z > worst.normalised) worst = { node: i, residual: 'voltage', normalised: z };
      maxV = Math.max(maxV, z);
    }

    // Kirchhoff residuals at the free checked nodes, from the readings (boundary values at imposed nodes; the
    // prediction at clipped free nodes).
    const vUsed = new Float64Array(N);
    const sUsed = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      vUsed[i] = isImposed[i] || floating[i] || saturated[i] ? vb[i] : measured[i];
      sUsed[i] = isImposed[i] ? sBoundary[i] : sAdc;
    }
    const currentResidual = new Float64Array(N).fill(NaN);
    const sigmaC = new Float64Array(N).fill(Infinity);
    const thrC = new Float64Array(N).fill(Infinity);
    const kNbr = new Float64Array(N);
    let maxC = 0;
    for (let i = 0; i < N; i++) {
      if (isImposed[i] || !checked(i)) continue;
      let c = 0;
      let kSum = 0;
      let varModel = 0;
      for (let t = this.incPtr[i]; t < this.incPtr[i + 1]; t++) {
        const e = this.incEdge[t];
        const o = edgeA[e] === i ? edgeB[e] : edgeA[e];
        if (o === i) continue;
        const ie = k[e] * (vUsed[i] - vUsed[o]);
        c += ie;
        kSum += k[e];
        kNbr[o] += k[e];
        varModel += (u[e] * ie) ** 2;
      }
      let varC = (kSum * sUsed[i]) ** 2 + varModel;
      for (let t = this.incPtr[i]; t < this.incPtr[i + 1]; t++) {
        const e = this.incEdge[t];
        const o = edgeA[e] === i ? edgeB[e] : edgeA[e];
        if (kNbr[o] !== 0) {
          varC += (kNbr[o] * sUsed[o]) ** 2;
          kNbr[o] = 0;
        }
      }
      currentResidual[i] = c;
      sigmaC[i] = Math.sqrt(varC);
      thrC[i] = ts * sigmaC[i];
      const z = thrC[i] > 0 ? Math.abs(c) / thrC[i] : c === 0 ? 0 : Infinity;
      if (worst === null || z > worst.normalised) worst = { node: i, residual: 'current', normalised: z };
      maxC = Math.max(maxC, z);
    }

    // Global test: the whitened residual's squared norm against the chi-square quantile at thresholdSigma.
    const zw = cov.whiten(voltageResidual);
    let chi2 = 0;
    for (const x of zw) chi2 += x * x;
    const dof = zw.length;
    const chi2Limit = chiSquareQuantile(dof, ts);

    const alarm = maxV > 1 || maxC > 1 || chi2 > chi2Limit;
    let hypotheses: FaultHypothesis[] = [];
    let suspect: FaultHypothesis | null = null;
    let ambiguous = false;
    if (alarm) {
      const all = localiseFault({
        residual: voltageResidual,
        threshold: thrV,
        covariance: cov,
        patterns,
        imposed: boundaryNodes.filter((i) => isImposed[i]),
        edgeA,
        edgeB,
        openBelow: opts.openBelow,
        shortAbove: opts.shortAbove,
      });
      hypotheses = all.slice(0, opts.keepHypotheses ?? 5);
      if (all.length > 0 && all[0].explained >= (opts.minExplained ?? 0.5)) suspect = all[0];
      ambiguous = all.length > 1 && all[1].chi2 - all[0].chi2 < (opts.ambiguityChi2 ?? 4);
    }

    const unchecked = { floating: indices(floating), saturated: indices(saturated) };
    return {
      predicted,
      voltageResidual,
      currentResidual,
      threshold: { voltage: thrV, current: thrC },
      sigma: { reading: sAdc, voltage: sigmaV, current: sigmaC },
      maxVoltageResidual: maxV,
      maxCurrentResidual: maxC,
      chi2: { value: chi2, dof, threshold: chi2Limit },
      worst,
      alarm,
      suspect,
      hypotheses,
      ambiguous,
      unchecked,
      diagnostics: { boundary: boundaryMode, solves: 1 + resp.solves, maxSolveResidual: resp.maxSolveResidual },
      summary: summarise(alarm, maxV, maxC, chi2 / chi2Limit, worst, suspect, ambiguous, voltageResidual, currentResidual),
    };
  }

  /** The Laplacian system for this boundary set (symbolic analysis cached per set). */
  private system(boundary: Int32Array): LaplacianSystem {
    const key = boundary.join(',');
    let sys = this.systems.get(key);
    if (!sys) {
      if (this.systems.size >= 64) this.systems.clear();
      sys = new LaplacianSystem(this.nodes, this.edgeA, this.edgeB, boundary, { method: 'cholesky' });
      this.systems.set(key, sys);
    }
    return sys;
  }
}

function indices(mask: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) out.push(i);
  return out;
}

function describe(h: FaultHypothesis): string {
  const pct = `${(100 * h.explained).toFixed(1)}%`;
  if (h.kind === 'edge') {
    const what = h.change === 'scale' ? `conductance x${h.factor.toPrecision(3)}` : h.change;
    return `edge ${h.edge} (${h.a}-${h.b}) ${what}, explains ${pct}`;
  }
  return `${h.converter.toUpperCase()} channel of node ${h.node} offset ${(1000 * h.offset).toFixed(2)} mV, explains ${pct}`;
}

/**
 * Upper quantile of the chi-square distribution with `dof` degrees of freedom at `z` standard-normal sigmas
 * (one-sided), by the Wilson-Hilferty cube-root approximation. At z = 6 it errs on the safe side: above the exact
 * quantile by 3% at 16 dof, 12% at 3 dof (fewer false alarms, never more).
 */
export function chiSquareQuantile(dof: number, z: number): number {
  if (dof <= 0) return Infinity;
  const c = 2 / (9 * dof);
  return dof * Math.max(0, 1 - c + z * Math.sqrt(c)) ** 3;
}

function summarise(
  alarm: boolean,
  maxV: number,
  maxC: number,
  chi2Ratio: number,
  worst: CheckResult['worst'],
  suspect: FaultHypothesis | null,
  ambiguous: boolean,
  rv: Float64Array,
  rc: Float64Array,
): string {
  const head = `residual/threshold: voltage ${maxV.toFixed(2)}, current ${maxC.toFixed(2)}, chi2 ${chi2Ratio.toFixed(2)}`;
  if (!alarm) return `consistent: ${head}`;
  const at =
    worst === null
      ? ''
      : worst.residual === 'voltage'
        ? `; node ${worst.node} reads ${(1000 * rv[worst.node]).toFixed(2)} mV off`
        : `; node ${worst.node} leaks ${(1e6 * rc[worst.node]).toFixed(3)} uA`;
  const who = suspect ? `; suspect ${describe(suspect)}${ambiguous ? ' (ambiguous)' : ''}` : '; no single fault explains it';
  return `ALARM: ${head}${at}${who}`;
}
