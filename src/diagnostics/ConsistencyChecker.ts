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
import { MAX_DENSE_COVARIANCE, ResidualCovariance } from './ResidualCovariance.js';
import { NumericalError } from '../errors.js';

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
  /**
   * Up to this many free nodes (and a dense covariance), the Green's functions come from one dense factorisation of
   * H_FF (its inverse, every column solved to a relative residual <= 1e-12) instead of one sparse solve per edge and
   * imposed node; the same covariance, summed in another order. Default {@link DENSE_FREE_MAX}; 0: always sparse.
   */
  denseFreeMax?: number;
  /**
   * Dense path: take a check's Green's functions from the previous check's by a downdate when that is exact (same
   * conductances, a boundary that adds nodes). Default true; false recomputes every check (for comparison).
   */
  incremental?: boolean;
}

/**
 * Free nodes up to which a check takes the dense path (a 16-node board has 11-13): there H_FF^{-1} costs about
 * f^3 flops (a quarter of a million at 64), less than the 2E + |imposed| sparse solves it replaces.
 */
export const DENSE_FREE_MAX = 64;

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
    /**
     * The dense path's H_FF^{-1} came from the previous check's by a downdate (same conductances, more imposed
     * nodes: a host step's clamped state after its free state), each column still checked against H_FF.
     */
    incremental: boolean;
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
  /** Scratch of one check, per node (the result's arrays are allocated afresh). */
  private readonly scratch: {
    isImposed: Uint8Array;
    saturated: Uint8Array;
    anchored: Uint8Array;
    floating: Uint8Array;
    useReading: Uint8Array;
    checkedMask: Uint8Array;
    commanded: Float64Array;
    sBoundary: Float64Array;
    vUsed: Float64Array;
    sUsed: Float64Array;
    kNbr: Float64Array;
  };
  /** The last dense check's conductances and Green's functions, for the next check's downdate. */
  private lastDense: { k: Float64Array; green: DenseGreen } | null = null;

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
    const u8 = (): Uint8Array => new Uint8Array(nodes);
    const f64 = (): Float64Array => new Float64Array(nodes);
    this.scratch = { isImposed: u8(), saturated: u8(), anchored: u8(), floating: u8(), useReading: u8(), checkedMask: u8(), commanded: f64(), sBoundary: f64(), vUsed: f64(), sUsed: f64(), kNbr: f64() };
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
    for (let e = 0; e < E; e++) {
      if (!(k[e] > 0 && Number.isFinite(k[e]))) throw new InvalidInputError({ field: `conductance[${e}]` }, `must be a positive number of siemens, got ${show(k[e])}`);
    }
    // per-check scratch (check runs to its end before another can start): zeroed here, not allocated
    const w = this.scratch;
    const isImposed = w.isImposed.fill(0);
    const commanded = w.commanded.fill(0);
    for (const [node, v] of imposed) {
      if (!(Number.isInteger(node) && node >= 0 && node < N)) throw new InvalidInputError({ field: 'imposed' }, `node must be in 0..${N - 1}, got ${show(node)}`);
      if (!Number.isFinite(v)) throw new InvalidInputError({ field: `imposed[${node}]` }, `must be a finite number (V), got ${show(v)}`);
      isImposed[node] = 1;
      commanded[node] = v;
    }

    // Unchecked nodes: clipped readings, floating components.
    const saturated = w.saturated.fill(0);
    if (opts.adcRange) {
      const { lo, hi } = opts.adcRange;
      for (let i = 0; i < N; i++) if (measured[i] <= lo + this.railMargin || measured[i] >= hi - this.railMargin) saturated[i] = 1;
    }
    const anchored = w.anchored.fill(0);
    for (let i = 0; i < N; i++) if (isImposed[i]) anchored[this.component[i]] = 1;
    const floating = w.floating.fill(0);
    for (let i = 0; i < N; i++) if (!isImposed[i] && !anchored[this.component[i]]) floating[i] = 1;

    // Boundary of the solve: imposed nodes (reading or command) and floating nodes (held at their reading; they
    // cannot influence anything else).
    const boundaryMode = opts.boundary ?? 'measured';
    const useReading = w.useReading.fill(0);
    const boundaryNodes: number[] = [];
    for (let i = 0; i < N; i++) {
      if (isImposed[i]) {
        boundaryNodes.push(i);
        if (boundaryMode === 'measured' && !saturated[i]) useReading[i] = 1;
      } else if (floating[i]) boundaryNodes.push(i);
    }
    const bnodes = Int32Array.from(boundaryNodes);
    const bvals = Float64Array.from(bnodes, (i) => (isImposed[i] && !useReading[i] ? commanded[i] : measured[i]));
    const checked = (i: number): boolean => !floating[i] && !saturated[i];
    const checkedMask = w.checkedMask;
    for (let i = 0; i < N; i++) checkedMask[i] = checked(i) ? 1 : 0;
    const sAdc = this.readingSigma;
    const dac = opts.dacUncertainty ?? { gain: 0, offset: 0 };
    const sDac = (i: number): number => Math.hypot(dac.offset, dac.gain * commanded[i]);
    const u = this.uncertainty;

    // The state and the no-fault covariance of the voltage residual over the checked nodes: every elementary
    // cause's pattern (FaultPatterns.ts) scaled by its standard deviation. Dense path on small networks (the same
    // sum from the columns of H_FF^-1), else one sparse Green's solve per pattern.
    let vb: Float64Array; // the solve's state: boundary values at boundary nodes
    let cov: ResidualCovariance;
    let solves: number;
    let maxSolveResidual: number;
    /** The sparse responses, built when the localisation needs them (always on the sparse path). */
    let resp: GreenResponses | null = null;
    const sparse = (): GreenResponses => (resp ??= GreenResponses.solve(this.system(bnodes), edgeA, edgeB, k, bvals));
    const nFree = N - bnodes.length;
    let denseCount = 0;
    for (let i = 0; i < N; i++) denseCount += checkedMask[i];
    const dense =
      nFree <= (opts.denseFreeMax ?? DENSE_FREE_MAX) && denseCount <= (opts.maxDenseCovariance ?? MAX_DENSE_COVARIANCE)
        ? this.denseState(k, bnodes, bvals)
        : null;
    if (dense) {
      vb = dense.voltages;
      cov = denseCovariance(dense, edgeA, edgeB, k, u, checkedMask, isImposed, useReading, sAdc, sDac);
      solves = dense.solves;
      maxSolveResidual = dense.maxResidual;
    } else {
      const r = sparse();
      vb = r.voltages;
      const patterns = new FaultPatterns(r, isImposed, useReading);
      cov = new ResidualCovariance(checkedMask, opts.maxDenseCovariance);
      for (let i = 0; i < N; i++) {
        if (isImposed[i]) {
          cov.add(patterns.adc(i), sAdc);
          cov.add(patterns.dac(i), sDac(i));
        } else if (checkedMask[i]) {
          cov.add(patterns.adc(i), sAdc);
        }
      }
      for (let e = 0; e < E; e++) {
        const s = u[e] * k[e] * r.edgeDrop(e);
        if (s !== 0) cov.add(patterns.edge(e), s);
      }
      solves = 1 + r.solves;
      maxSolveResidual = r.maxSolveResidual;
    }

    const predicted = Float64Array.from(vb);
    for (let i = 0; i < N; i++) {
      if (isImposed[i]) predicted[i] = commanded[i];
      else if (floating[i]) predicted[i] = NaN;
    }
    /** Std of the value the solve used at each imposed node (for the current residual). */
    const sBoundary = w.sBoundary.fill(0);
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
    const vUsed = w.vUsed;
    const sUsed = w.sUsed;
    for (let i = 0; i < N; i++) {
      vUsed[i] = isImposed[i] || floating[i] || saturated[i] ? vb[i] : measured[i];
      sUsed[i] = isImposed[i] ? sBoundary[i] : sAdc;
    }
    const currentResidual = new Float64Array(N).fill(NaN);
    const sigmaC = new Float64Array(N).fill(Infinity);
    const thrC = new Float64Array(N).fill(Infinity);
    const kNbr = w.kNbr.fill(0);
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
      const r = sparse();
      const all = localiseFault({
        residual: voltageResidual,
        threshold: thrV,
        covariance: cov,
        patterns: new FaultPatterns(r, isImposed, useReading),
        imposed: boundaryNodes.filter((i) => isImposed[i]),
        edgeA,
        edgeB,
        openBelow: opts.openBelow,
        shortAbove: opts.shortAbove,
      });
      hypotheses = all.slice(0, opts.keepHypotheses ?? 5);
      if (all.length > 0 && all[0].explained >= (opts.minExplained ?? 0.5)) suspect = all[0];
      ambiguous = all.length > 1 && all[1].chi2 - all[0].chi2 < (opts.ambiguityChi2 ?? 4);
      if (dense) {
        solves += 1 + r.solves;
        maxSolveResidual = Math.max(maxSolveResidual, r.maxSolveResidual);
      }
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
      diagnostics: { boundary: boundaryMode, solves, maxSolveResidual, incremental: dense?.incremental ?? false },
      summary: summarise(alarm, maxV, maxC, chi2 / chi2Limit, worst, suspect, ambiguous, voltageResidual, currentResidual),
    };
  }

  /**
   * The dense state and Green's functions: downdated from the last dense check's when the conductances are the same
   * and this boundary adds nodes to that one (and the downdate passes its residual checks), else from a fresh
   * factorisation. Kept for the next check.
   */
  private denseState(k: Float64Array, bnodes: Int32Array, bvals: Float64Array): DenseGreen | null {
    const last = this.lastDense;
    let g: DenseGreen | null = null;
    if (this.opts.incremental !== false && last && sameValues(last.k, k)) {
      g = downdateGreen(last.green, this.nodes, this.edgeA, this.edgeB, k, bnodes, bvals);
    }
    g ??= denseGreen(this.nodes, this.edgeA, this.edgeB, k, bnodes, bvals);
    this.lastDense = g ? { k, green: g } : null;
    return g;
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

/** Relative residual above which a dense solve is refined (as LaplacianSystem's Cholesky: 1e-12), at most twice. */
const REFINE_ABOVE = 1e-12;
const MAX_REFINEMENTS = 2;
/** A solve is accepted up to this relative residual (LaplacianSystem's CHOLESKY_ACCEPT). */
const ACCEPT = 1e-9;

/** A small network's state and Green's functions from one dense Cholesky factorisation of H_FF. */
interface DenseGreen {
  /** Free nodes (ascending) and each node's index among them (-1: boundary). */
  free: Int32Array;
  pos: Int32Array;
  /** H_FF^{-1}, f x f row-major (symmetric). */
  inverse: Float64Array;
  /** The state: boundary values at boundary nodes, Kirchhoff's solution at free nodes (V). */
  voltages: Float64Array;
  /** The state's solve and one per column of the inverse. */
  solves: number;
  /** Largest relative residual ||b - H_FF x|| / ||b|| of those solves. */
  maxResidual: number;
  /** Downdated from the previous check's (downdateGreen). */
  incremental: boolean;
}

/**
 * The state for the boundary values `bvals` at `bnodes`, and H_FF^{-1}, densely: H_FF assembled from the edges,
 * factorised (Cholesky), the state and every column of the inverse solved and refined to a relative residual of at
 * most 1e-12 where refinement gets there (each checked against H_FF applied edge by edge). Null when H_FF is not
 * positive definite (the sparse path then reports why).
 */
function denseGreen(N: number, edgeA: Int32Array, edgeB: Int32Array, k: Float64Array, bnodes: Int32Array, bvals: Float64Array): DenseGreen | null {
  const pos = new Int32Array(N);
  const voltages = new Float64Array(N);
  for (let t = 0; t < bnodes.length; t++) {
    pos[bnodes[t]] = -1;
    voltages[bnodes[t]] = bvals[t];
  }
  const f = N - bnodes.length;
  const free = new Int32Array(f);
  for (let i = 0, p = 0; i < N; i++) {
    if (pos[i] < 0) continue;
    pos[i] = p;
    free[p++] = i;
  }
  // the edges with a free end, as free indices (-1 = boundary end) and conductances
  const E = edgeA.length;
  const ea = new Int32Array(E);
  const eb = new Int32Array(E);
  const ek = new Float64Array(E);
  let m = 0;
  const L = new Float64Array(f * f);
  const rhs = new Float64Array(f);
  for (let e = 0; e < E; e++) {
    const a = edgeA[e];
    const b = edgeB[e];
    const pa = pos[a];
    const pb = pos[b];
    if (a === b || (pa < 0 && pb < 0)) continue;
    const ke = k[e];
    ea[m] = pa;
    eb[m] = pb;
    ek[m++] = ke;
    if (pa >= 0) {
      L[pa * f + pa] += ke;
      if (pb >= 0) L[pa * f + pb] -= ke;
      else rhs[pa] += ke * voltages[b];
    }
    if (pb >= 0) {
      L[pb * f + pb] += ke;
      if (pa >= 0) L[pb * f + pa] -= ke;
      else rhs[pb] += ke * voltages[a];
    }
  }
  // Cholesky, lower triangle in place
  for (let j = 0; j < f; j++) {
    const rj = j * f;
    let d = L[rj + j];
    for (let t = 0; t < j; t++) d -= L[rj + t] * L[rj + t];
    if (!(d > 0)) return null;
    const ljj = Math.sqrt(d);
    L[rj + j] = ljj;
    for (let i = j + 1; i < f; i++) {
      const ri = i * f;
      let sum = L[ri + j];
      for (let t = 0; t < j; t++) sum -= L[ri + t] * L[rj + t];
      L[ri + j] = sum / ljj;
    }
  }
  const x = new Float64Array(f);
  const r = new Float64Array(f);
  const dx = new Float64Array(f);
  /** x = H_FF^{-1} b through the factor (b may be x). `from`: b is zero above this row. */
  const solve = (b: Float64Array, out: Float64Array, from: number): void => {
    for (let i = 0; i < from; i++) out[i] = 0;
    for (let i = from; i < f; i++) {
      const ri = i * f;
      let sum = b[i];
      for (let t = from; t < i; t++) sum -= L[ri + t] * out[t];
      out[i] = sum / L[ri + i];
    }
    for (let i = f - 1; i >= 0; i--) {
      let sum = out[i];
      for (let t = i + 1; t < f; t++) sum -= L[t * f + i] * out[t];
      out[i] = sum / L[i * f + i];
    }
  };
  /** r = b - H_FF x, edge by edge; returns ||r||_2. */
  const residual = (b: Float64Array, xs: Float64Array): number => {
    r.set(b);
    for (let t = 0; t < m; t++) {
      const pa = ea[t];
      const pb = eb[t];
      const xa = pa >= 0 ? xs[pa] : 0;
      const xb = pb >= 0 ? xs[pb] : 0;
      const c = ek[t] * (xa - xb);
      if (pa >= 0) r[pa] -= c;
      if (pb >= 0) r[pb] += c;
    }
    let s2 = 0;
    for (let i = 0; i < f; i++) s2 += r[i] * r[i];
    return Math.sqrt(s2);
  };
  /** Solve, then refine while the relative residual is above REFINE_ABOVE and refinement helps; the residual. */
  const solveRefined = (b: Float64Array, from: number, bnorm: number): number => {
    solve(b, x, from);
    let res = residual(b, x) / bnorm;
    for (let it = 0; res > REFINE_ABOVE && it < MAX_REFINEMENTS; it++) {
      solve(r, dx, 0);
      for (let i = 0; i < f; i++) dx[i] += x[i];
      const resNew = residual(b, dx) / bnorm;
      if (!(resNew < res)) break;
      x.set(dx);
      res = resNew;
    }
    // the residual vector r is stale after a rejected refinement; only res is used
    if (!(res <= ACCEPT)) throw new NumericalError(`ConsistencyChecker: a dense solve did not converge (relative residual ${res})`);
    return res;
  };
  let bnorm = 0;
  for (let i = 0; i < f; i++) bnorm += rhs[i] * rhs[i];
  let maxResidual = solveRefined(rhs, 0, Math.max(Math.sqrt(bnorm), 1e-300));
  for (let p = 0; p < f; p++) voltages[free[p]] = x[p];
  // H_FF^{-1} = L^-T L^-1: the triangular inverse (in place of nothing: its own array), then the product, whose
  // columns are each checked against H_FF (and solved afresh, refined, where one misses the bound)
  const li = new Float64Array(f * f);
  for (let j = 0; j < f; j++) {
    li[j * f + j] = 1 / L[j * f + j];
    for (let i = j + 1; i < f; i++) {
      const ri = i * f;
      let sum = 0;
      for (let t = j; t < i; t++) sum -= L[ri + t] * li[t * f + j];
      li[ri + j] = sum / L[ri + i];
    }
  }
  const inverse = new Float64Array(f * f);
  for (let p = 0; p < f; p++) {
    for (let q = 0; q <= p; q++) {
      // (L^-T L^-1)[p][q] = sum_{t >= max(p, q)} li[t][p] li[t][q]
      let sum = 0;
      for (let t = p; t < f; t++) sum += li[t * f + p] * li[t * f + q];
      inverse[p * f + q] = sum;
      inverse[q * f + p] = sum;
    }
  }
  const unit = new Float64Array(f);
  const col = new Float64Array(f);
  for (let p = 0; p < f; p++) {
    for (let q = 0; q < f; q++) col[q] = inverse[p * f + q];
    unit[p] = 1;
    let res = residual(unit, col);
    if (res > REFINE_ABOVE) {
      res = solveRefined(unit, p, 1);
      inverse.set(x, p * f);
      for (let q = 0; q < f; q++) inverse[q * f + p] = x[q];
    }
    unit[p] = 0;
    if (!(res <= ACCEPT)) throw new NumericalError(`ConsistencyChecker: a dense solve did not converge (relative residual ${res})`);
    if (res > maxResidual) maxResidual = res;
  }
  return { free, pos, inverse, voltages, solves: 1 + f, maxResidual, incremental: false };
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The Green's functions for more imposed nodes from those for fewer, with the same conductances: H_SS is a principal
 * block of H_FF, so (H_SS)^{-1} = G_SS - G_ST G_TT^{-1} G_TS (the Schur complement of G = H_FF^{-1}), a rank-|T|
 * downdate costing |S|^2 |T| instead of a factorisation and inversion (T: the newly imposed nodes, S: the free ones
 * left). The state is G' b', refined with G' as the approximate inverse; the state and every column are checked
 * against H_SS edge by edge and must reach the relative residual bound (1e-12), else null (the caller factorises).
 */
function downdateGreen(old: DenseGreen, N: number, edgeA: Int32Array, edgeB: Int32Array, k: Float64Array, bnodes: Int32Array, bvals: Float64Array): DenseGreen | null {
  const fo = old.free.length;
  const f = N - bnodes.length;
  const t = fo - f;
  if (t <= 0 || t > fo / 2) return null;
  const pos = new Int32Array(N);
  const voltages = new Float64Array(N);
  for (let j = 0; j < bnodes.length; j++) {
    pos[bnodes[j]] = -1;
    voltages[bnodes[j]] = bvals[j];
  }
  const free = new Int32Array(f);
  /** Old free index of each new free node, and of each newly imposed node. */
  const ps = new Int32Array(f);
  const pt = new Int32Array(t);
  let nt = 0;
  for (let i = 0, p = 0; i < N; i++) {
    const o = old.pos[i];
    if (pos[i] < 0) {
      if (o >= 0) {
        if (nt === t) return null;
        pt[nt++] = o;
      }
      continue;
    }
    if (o < 0) return null; // a node free now that was imposed before: not a downdate
    pos[i] = p;
    free[p] = i;
    ps[p++] = o;
  }
  if (nt !== t) return null;
  const G = old.inverse;
  // G_TT^{-1} by a small Cholesky (G_TT is positive definite as a principal block of a positive definite matrix)
  const A = new Float64Array(t * t);
  for (let x = 0; x < t; x++) for (let y = 0; y < t; y++) A[x * t + y] = G[pt[x] * fo + pt[y]];
  for (let j = 0; j < t; j++) {
    let d = A[j * t + j];
    for (let q = 0; q < j; q++) d -= A[j * t + q] * A[j * t + q];
    if (!(d > 0)) return null;
    const l = Math.sqrt(d);
    A[j * t + j] = l;
    for (let i = j + 1; i < t; i++) {
      let sum = A[i * t + j];
      for (let q = 0; q < j; q++) sum -= A[i * t + q] * A[j * t + q];
      A[i * t + j] = sum / l;
    }
  }
  // W = G_ST L^-T (rows: S), so that G_ST G_TT^{-1} G_TS = W W^T
  const W = new Float64Array(f * t);
  for (let a = 0; a < f; a++) {
    const ra = ps[a] * fo;
    for (let j = 0; j < t; j++) {
      let sum = G[ra + pt[j]];
      for (let q = 0; q < j; q++) sum -= W[a * t + q] * A[j * t + q];
      W[a * t + j] = sum / A[j * t + j];
    }
  }
  const inverse = new Float64Array(f * f);
  for (let a = 0; a < f; a++) {
    const ra = ps[a] * fo;
    for (let b = 0; b <= a; b++) {
      let sum = G[ra + ps[b]];
      for (let j = 0; j < t; j++) sum -= W[a * t + j] * W[b * t + j];
      inverse[a * f + b] = sum;
      inverse[b * f + a] = sum;
    }
  }
  // the edges with a free end (free indices, -1 boundary), the state's right-hand side
  const E = edgeA.length;
  const ea = new Int32Array(E);
  const eb = new Int32Array(E);
  const ek = new Float64Array(E);
  const rhs = new Float64Array(f);
  let m = 0;
  for (let e = 0; e < E; e++) {
    const a = edgeA[e];
    const b = edgeB[e];
    const pa = pos[a];
    const pb = pos[b];
    if (a === b || (pa < 0 && pb < 0)) continue;
    ea[m] = pa;
    eb[m] = pb;
    ek[m++] = k[e];
    if (pa >= 0 && pb < 0) rhs[pa] += k[e] * voltages[b];
    if (pb >= 0 && pa < 0) rhs[pb] += k[e] * voltages[a];
  }
  const r = new Float64Array(f);
  const residual = (b: Float64Array, xs: Float64Array): number => {
    r.set(b);
    for (let q = 0; q < m; q++) {
      const pa = ea[q];
      const pb = eb[q];
      const c = ek[q] * ((pa >= 0 ? xs[pa] : 0) - (pb >= 0 ? xs[pb] : 0));
      if (pa >= 0) r[pa] -= c;
      if (pb >= 0) r[pb] += c;
    }
    let s2 = 0;
    for (let i = 0; i < f; i++) s2 += r[i] * r[i];
    return Math.sqrt(s2);
  };
  const apply = (v: Float64Array, out: Float64Array): void => {
    for (let a = 0; a < f; a++) {
      let sum = 0;
      for (let b = 0; b < f; b++) sum += inverse[a * f + b] * v[b];
      out[a] = sum;
    }
  };
  let maxResidual = 0;
  const col = new Float64Array(f);
  const unit = new Float64Array(f);
  for (let p = 0; p < f; p++) {
    for (let q = 0; q < f; q++) col[q] = inverse[p * f + q];
    unit[p] = 1;
    const res = residual(unit, col);
    unit[p] = 0;
    if (!(res <= REFINE_ABOVE)) return null;
    if (res > maxResidual) maxResidual = res;
  }
  const x = new Float64Array(f);
  const dx = new Float64Array(f);
  apply(rhs, x);
  let bnorm = 0;
  for (let i = 0; i < f; i++) bnorm += rhs[i] * rhs[i];
  bnorm = Math.max(Math.sqrt(bnorm), 1e-300);
  let res = residual(rhs, x) / bnorm;
  for (let it = 0; res > REFINE_ABOVE && it < MAX_REFINEMENTS; it++) {
    apply(r, dx);
    for (let i = 0; i < f; i++) dx[i] += x[i];
    const resNew = residual(rhs, dx) / bnorm;
    if (!(resNew < res)) break;
    x.set(dx);
    res = resNew;
  }
  if (!(res <= REFINE_ABOVE)) return null;
  if (res > maxResidual) maxResidual = res;
  for (let p = 0; p < f; p++) voltages[free[p]] = x[p];
  return { free, pos, inverse, voltages, solves: 1 + f, maxResidual, incremental: true };
}

/**
 * The residual's no-fault covariance over the checked nodes from the dense inverse G = H_FF^{-1}: the same sum of
 * std^2 p p^T as the sparse path (FaultPatterns.ts), with each pattern's free part a combination of G's columns:
 * edge e, g_e = G d_F (columns b minus a, std u_e k_e dV_e); imposed node j, w_j = G b_j (b_j the conductances from
 * the free nodes to j), whose ADC (reading used) or DAC (command used) error the free nodes follow, with -w_j or +w_j
 * beside the e_j of the node itself; a checked free node's own ADC noise on the diagonal.
 */
function denseCovariance(
  g: DenseGreen,
  edgeA: Int32Array,
  edgeB: Int32Array,
  k: Float64Array,
  u: Float64Array,
  checkedMask: Uint8Array,
  isImposed: Uint8Array,
  useReading: Uint8Array,
  sAdc: number,
  sDac: (i: number) => number,
): ResidualCovariance {
  const N = checkedMask.length;
  const { pos, inverse: G, voltages: v } = g;
  const f = g.free.length;
  const index = new Int32Array(N).fill(-1);
  let m = 0;
  for (let i = 0; i < N; i++) if (checkedMask[i]) index[i] = m++;
  // the checked free nodes: their free index and their checked index
  const cf: number[] = [];
  const cc: number[] = [];
  for (let p = 0; p < f; p++) {
    const a = index[g.free[p]];
    if (a >= 0) {
      cf.push(p);
      cc.push(a);
    }
  }
  const nc = cf.length;
  const C = new Float64Array(m * m);
  // N = sum over the causes the free nodes follow of std^2 b b^T, b the cause's right-hand side (d_F of an edge, the
  // couplings b_j to an imposed node): the free block is then G N G. N is sparse; kept dense, with its nonzeros listed.
  const Nm = new Float64Array(f * f);
  const nz: number[] = [];
  const addN = (p: number, q: number, x: number): void => {
    const at = p * f + q;
    if (Nm[at] === 0) nz.push(at);
    Nm[at] += x;
  };
  // model error of each edge: std u_e k_e dV_e along G (e_b - e_a) restricted to the free nodes
  for (let e = 0; e < edgeA.length; e++) {
    const a = edgeA[e];
    const b = edgeB[e];
    const pa = pos[a];
    const pb = pos[b];
    if (pa < 0 && pb < 0) continue;
    const sd = u[e] * k[e] * (v[b] - v[a]);
    if (sd === 0) continue;
    const s2 = sd * sd;
    if (pa >= 0) addN(pa, pa, s2);
    if (pb >= 0) addN(pb, pb, s2);
    if (pa >= 0 && pb >= 0) {
      addN(pa, pb, -s2);
      addN(pb, pa, -s2);
    }
  }
  // each imposed node's converter errors: ADC and DAC on the node itself, and the one the prediction followed (its
  // reading or its command), which moves the free nodes by w_j = G b_j
  const bp: number[] = [];
  const bk: number[] = [];
  for (let j = 0; j < N; j++) {
    if (!isImposed[j]) continue;
    const sd = sDac(j);
    const aj = index[j];
    if (aj >= 0) C[aj * m + aj] += sAdc * sAdc + sd * sd;
    const sFollowed = useReading[j] ? sAdc : sd;
    if (sFollowed === 0) continue;
    bp.length = 0;
    bk.length = 0;
    for (let e = 0; e < edgeA.length; e++) {
      const a = edgeA[e];
      const b = edgeB[e];
      const o = a === j && pos[b] >= 0 ? pos[b] : b === j && pos[a] >= 0 ? pos[a] : -1;
      if (o < 0) continue;
      const at = bp.indexOf(o);
      if (at >= 0) bk[at] += k[e];
      else {
        bp.push(o);
        bk.push(k[e]);
      }
    }
    if (bp.length === 0) continue;
    const t2 = sFollowed * sFollowed;
    for (let x = 0; x < bp.length; x++) for (let y = 0; y < bp.length; y++) addN(bp[x], bp[y], t2 * bk[x] * bk[y]);
    if (aj >= 0) {
      // cross terms with the node's own reading: -sAdc^2 w_j (reading followed) or +sDac^2 w_j (command followed)
      const c = useReading[j] ? -sAdc * sAdc : sd * sd;
      for (let t = 0; t < nc; t++) {
        const row = cf[t] * f;
        let w = 0;
        for (let x = 0; x < bp.length; x++) w += G[row + bp[x]] * bk[x];
        const at = cc[t];
        if (at > aj) C[at * m + aj] += c * w;
        else C[aj * m + at] += c * w;
      }
    }
  }
  // T = G_C N (rows: the checked free nodes), from N's nonzeros; then C_FF = T G, lower triangle
  const T = new Float64Array(nc * f);
  for (const at of nz) {
    const p = (at / f) | 0;
    const q = at - p * f;
    const x = Nm[at];
    if (x === 0) continue;
    for (let t = 0; t < nc; t++) T[t * f + q] += G[cf[t] * f + p] * x;
  }
  for (let s1 = 0; s1 < nc; s1++) {
    const row = s1 * f;
    const a = cc[s1];
    for (let t = 0; t < nc; t++) {
      const b = cc[t];
      if (b > a) continue;
      const gq = cf[t] * f;
      let sum = 0;
      for (let q = 0; q < f; q++) sum += T[row + q] * G[gq + q];
      C[a * m + b] += sum;
    }
  }
  // a checked free node's own reading
  const s2 = sAdc * sAdc;
  for (let t = 0; t < nc; t++) C[cc[t] * m + cc[t]] += s2;
  return ResidualCovariance.fromMatrix(checkedMask, C);
}
