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
import { DenseGreenWork, type DenseGreen } from './DenseGreen.js';
import { Float64Slab } from '../Float64Slab.js';

/** A check's arrays (results and the conductances kept for the next check), as views of shared blocks. */
const slab = new Float64Slab();

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
    /** Each imposed node's DAC std (V). */
    sDac: Float64Array;
  };
  /** The last dense check's conductances and Green's functions, for the next check's downdate. */
  private lastDense: { k: Float64Array; green: DenseGreen } | null = null;
  /** The dense path's buffers (kept from check to check). */
  private readonly denseWork: DenseGreenWork;
  private readonly covWork: CovarianceWork;

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
    this.scratch = { isImposed: u8(), saturated: u8(), anchored: u8(), floating: u8(), useReading: u8(), checkedMask: u8(), commanded: f64(), sBoundary: f64(), vUsed: f64(), sUsed: f64(), kNbr: f64(), sDac: f64() };
    this.denseWork = new DenseGreenWork(nodes, this.edgeA, this.edgeB);
    this.covWork = covarianceWork(nodes);
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
    // a copy: kept with the dense Green's functions, for the next check's downdate (the caller may reuse its array)
    const k = slab.take(E);
    for (let e = 0; e < E; e++) k[e] = conductance[e];
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
    const bnodes = new Int32Array(boundaryNodes.length);
    const bvals = new Float64Array(boundaryNodes.length);
    for (let t = 0; t < bnodes.length; t++) {
      const i = (bnodes[t] = boundaryNodes[t]);
      bvals[t] = isImposed[i] && !useReading[i] ? commanded[i] : measured[i];
    }
    const checked = (i: number): boolean => !floating[i] && !saturated[i];
    const checkedMask = w.checkedMask;
    for (let i = 0; i < N; i++) checkedMask[i] = checked(i) ? 1 : 0;
    const sAdc = this.readingSigma;
    const dac = opts.dacUncertainty ?? { gain: 0, offset: 0 };
    // each imposed node's DAC std, sqrt(offset^2 + (gain V)^2), once per check
    const sDacOf = w.sDac;
    for (let i = 0; i < N; i++) sDacOf[i] = isImposed[i] ? Math.sqrt(dac.offset * dac.offset + (dac.gain * commanded[i]) ** 2) : 0;
    const sDac = (i: number): number => sDacOf[i];
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
      cov = denseCovariance(dense, this.covWork, edgeA, edgeB, this.incPtr, this.incEdge, k, u, checkedMask, isImposed, useReading, sAdc, sDacOf);
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

    const predicted = slab.copy(vb);
    for (let i = 0; i < N; i++) {
      if (isImposed[i]) predicted[i] = commanded[i];
      else if (floating[i]) predicted[i] = NaN;
    }
    /** Std of the value the solve used at each imposed node (for the current residual). */
    const sBoundary = w.sBoundary.fill(0);
    for (let i = 0; i < N; i++) if (isImposed[i]) sBoundary[i] = useReading[i] ? sAdc : sDac(i);

    // Voltage residuals.
    const ts = this.thresholdSigma;
    const voltageResidual = slab.take(N).fill(NaN);
    const sigmaV = slab.take(N).fill(Infinity);
    const thrV = slab.take(N).fill(Infinity);
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
    const currentResidual = slab.take(N).fill(NaN);
    const sigmaC = slab.take(N).fill(Infinity);
    const thrC = slab.take(N).fill(Infinity);
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
      g = this.denseWork.downdate(last.green, k, bnodes, bvals);
    }
    g ??= this.denseWork.factorise(k, bnodes, bvals, last?.green ?? null);
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

/** Buffers of {@link denseCovariance} for a network of N nodes (kept from check to check). */
interface CovarianceWork {
  index: Int32Array;
  cf: Int32Array;
  cc: Int32Array;
  /** N's dense f x f entries, a mark per entry (listed in nz), and the list. */
  Nm: Float64Array;
  mark: Uint8Array;
  nz: Int32Array;
  T: Float64Array;
  bp: Int32Array;
  bk: Float64Array;
  /** The covariance (m x m, a view of C of that length: the ResidualCovariance takes it over for one check). */
  C: Float64Array;
  Cview: Float64Array;
}

/** N[at] += x, listing `at` among the nonzeros the first time; the new count of nonzeros. */
function addTo(w: CovarianceWork, nnz: number, at: number, x: number): number {
  if (!w.mark[at]) {
    w.mark[at] = 1;
    w.Nm[at] = 0;
    w.nz[nnz++] = at;
  }
  w.Nm[at] += x;
  return nnz;
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function covarianceWork(N: number): CovarianceWork {
  return {
    index: new Int32Array(N),
    cf: new Int32Array(N),
    cc: new Int32Array(N),
    Nm: new Float64Array(N * N),
    mark: new Uint8Array(N * N),
    nz: new Int32Array(N * N),
    T: new Float64Array(N * N),
    bp: new Int32Array(N),
    bk: new Float64Array(N),
    C: new Float64Array(N * N),
    Cview: new Float64Array(0),
  };
}

/**
 * The residual's no-fault covariance over the checked nodes from the dense inverse G = H_FF^{-1}: the same sum of
 * std^2 p p^T as the sparse path (FaultPatterns.ts), with each pattern's free part a combination of G's columns:
 * edge e, g_e = G d_F (columns b minus a, std u_e k_e dV_e); imposed node j, w_j = G b_j (b_j the conductances from
 * the free nodes to j), whose ADC (reading used) or DAC (command used) error the free nodes follow, with -w_j or +w_j
 * beside the e_j of the node itself; a checked free node's own ADC noise on the diagonal. `sDac`: each imposed
 * node's DAC std (V); `incPtr`/`incEdge`: the edges at each node (CSR, ascending edge order).
 */
function denseCovariance(
  g: DenseGreen,
  w: CovarianceWork,
  edgeA: Int32Array,
  edgeB: Int32Array,
  incPtr: Int32Array,
  incEdge: Int32Array,
  k: Float64Array,
  u: Float64Array,
  checkedMask: Uint8Array,
  isImposed: Uint8Array,
  useReading: Uint8Array,
  sAdc: number,
  sDac: Float64Array,
): ResidualCovariance {
  const N = checkedMask.length;
  const { pos, inverse: G, voltages: v, free, f } = g;
  const { index, cf, cc, Nm, nz, T, bp, bk } = w;
  let m = 0;
  for (let i = 0; i < N; i++) index[i] = checkedMask[i] ? m++ : -1;
  // the checked free nodes: their free index and their checked index
  let nc = 0;
  for (let p = 0; p < f; p++) {
    const a = index[free[p]];
    if (a >= 0) {
      cf[nc] = p;
      cc[nc++] = a;
    }
  }
  if (w.Cview.length !== m * m) w.Cview = w.C.subarray(0, m * m);
  const C = w.Cview.fill(0);
  // N = sum over the causes the free nodes follow of std^2 b b^T, b the cause's right-hand side (d_F of an edge, the
  // couplings b_j to an imposed node): the free block is then G N G. N is sparse; kept dense, its nonzeros listed.
  w.mark.fill(0, 0, f * f);
  let nnz = 0;
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
    if (pa >= 0) {
      const at = pa * f + pa;
      nnz = addTo(w, nnz, at, s2);
    }
    if (pb >= 0) {
      const at = pb * f + pb;
      nnz = addTo(w, nnz, at, s2);
    }
    if (pa >= 0 && pb >= 0) {
      nnz = addTo(w, nnz, pa * f + pb, -s2);
      nnz = addTo(w, nnz, pb * f + pa, -s2);
    }
  }
  // each imposed node's converter errors: ADC and DAC on the node itself, and the one the prediction followed (its
  // reading or its command), which moves the free nodes by w_j = G b_j
  for (let j = 0; j < N; j++) {
    if (!isImposed[j]) continue;
    const sd = sDac[j];
    const aj = index[j];
    if (aj >= 0) C[aj * m + aj] += sAdc * sAdc + sd * sd;
    const sFollowed = useReading[j] ? sAdc : sd;
    if (sFollowed === 0) continue;
    // the conductances from j to each free neighbour, in edge order
    let nb = 0;
    for (let t = incPtr[j]; t < incPtr[j + 1]; t++) {
      const e = incEdge[t];
      const a = edgeA[e];
      const b = edgeB[e];
      const o = a === j && pos[b] >= 0 ? pos[b] : b === j && pos[a] >= 0 ? pos[a] : -1;
      if (o < 0) continue;
      // a self-loop at j appears twice in the incidence list; it has no free end, so it never gets here
      let at = -1;
      for (let x = 0; x < nb; x++) if (bp[x] === o) at = x;
      if (at >= 0) bk[at] += k[e];
      else {
        bp[nb] = o;
        bk[nb++] = k[e];
      }
    }
    if (nb === 0) continue;
    const t2 = sFollowed * sFollowed;
    for (let x = 0; x < nb; x++) {
      for (let y = 0; y < nb; y++) {
        const at = bp[x] * f + bp[y];
        nnz = addTo(w, nnz, at, t2 * bk[x] * bk[y]);
      }
    }
    if (aj >= 0) {
      // cross terms with the node's own reading: -sAdc^2 w_j (reading followed) or +sDac^2 w_j (command followed)
      const c = useReading[j] ? -sAdc * sAdc : sd * sd;
      for (let t = 0; t < nc; t++) {
        const row = cf[t] * f;
        let wj = 0;
        for (let x = 0; x < nb; x++) wj += G[row + bp[x]] * bk[x];
        const at = cc[t];
        if (at > aj) C[at * m + aj] += c * wj;
        else C[aj * m + at] += c * wj;
      }
    }
  }
  // T = G_C N (rows: the checked free nodes), from N's nonzeros; then C_FF = T G, lower triangle
  T.fill(0, 0, nc * f);
  for (let z = 0; z < nnz; z++) {
    const at = nz[z];
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
