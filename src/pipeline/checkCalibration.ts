/**
 * Check a board against a calibration record (`clln check`): apply random source patterns at the board's present
 * settings, predict every node's reading from the calibrated model (DAC -> Laplacian of the calibrated conductances
 * -> ADC), compare with what the board reads, and run the consistency check (alarm, and the single edge or channel
 * that explains a discrepancy). Then estimate drift since the record: each edge's conductance relative to the
 * calibrated one (Kirchhoff's law on the calibrated readings, linear in the factors) and each channel's mean
 * residual.
 *
 * The board is left as it was found: clamps and sources released, settings untouched.
 */
import { inverse, Matrix } from 'ml-matrix';
import type { Board, BoardIdentity } from '../device/Board.js';
import type { Calibration, CalibrationSummary } from '../calibration/Calibration.js';
import { generatePatterns } from '../calibration/planFile.js';
import type { CalibrationPattern } from '../calibration/types.js';
import { ConsistencyChecker } from '../diagnostics/ConsistencyChecker.js';
import { adcLsb } from '../diagnostics/measurementNoise.js';
import { throwIfAborted } from '../device/abort.js';
import { measurePattern } from './acquireCalibration.js';
import { checkCalibrationPlausible } from '../calibration/plausibility.js';
import { type BoardFile, identityWithLaw, knownEdgeLaw } from './boardEdgeLaw.js';
import { shippedNominals } from './boardModels.js';

export interface CalibrationCheckOptions {
  /** Random patterns to apply (default 16). */
  patterns?: number;
  /** Seed of the patterns (default 1). */
  seed?: number;
  /** ADC samples per measurement (default: the calibration plan's, else 64). */
  samples?: number;
  /**
   * ADC noise per sample (V rms). Default: the board file's, else the shipped model's of the board's name, else 0
   * (quantisation only).
   */
  noiseRms?: number;
  /** A board description (`clln.board/1`) of this board: its nominal law (over the ID's) and ADC noise. */
  boardFile?: BoardFile;
  /** Alarm threshold in sigmas (default 6). */
  thresholdSigma?: number;
  /** The present time (default now), for the record's age. */
  now?: Date;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** One node of one pattern: what the calibrated model predicts, what the board read. */
export interface NodeCheckRow {
  node: number;
  role: 'drive' | 'clamp' | 'free';
  /** Commanded voltage (V) of a driven or clamped node, else null. */
  commanded: number | null;
  /** Predicted and measured reading (V, in the ADC's units). */
  predicted: number;
  measured: number;
  /** measured - predicted (V). */
  residual: number;
  /** No-fault standard deviation of the residual (V): reading noise and the calibration's own uncertainty. */
  sigma: number;
  /** residual / sigma. */
  z: number;
}

export interface PatternCheck {
  pattern: CalibrationPattern;
  rows: NodeCheckRow[];
  alarm: boolean;
  /** One line naming the fault that explains an alarm, or null. */
  suspect: string | null;
}

/** Drift since the calibration: per edge and per channel, with how significant it is. */
export interface DriftReport {
  /** Hours since the record was made. */
  ageHours: number;
  /** Per edge: conductance now / calibrated (geometric mean over edges fixed to 1: a common factor is not observable). */
  edges: { edge: number; factor: number; relStd: number; z: number }[];
  /** Per node: how far its readings are off now (V; ADC channel, and DAC channel where driven), standard error, z. */
  channels: { node: number; meanResidual: number; stdError: number; z: number }[];
  /** What drifted significantly (|z| > 4), in words. */
  flagged: string[];
}

export interface CalibrationCheckReport {
  board: { model: string; uid: string; firmware: string };
  calibration: CalibrationSummary;
  warnings: string[];
  /** The settings the check ran at. */
  settings: number[];
  patterns: PatternCheck[];
  summary: { rmsResidual: number; maxAbsZ: number; alarms: number; readingSigma: number; ok: boolean };
  drift: DriftReport;
}

/** Run the check. Rejects with InvalidInputError if the record is for another board. */
export async function checkCalibration(board: Board, cal: Calibration, opts: CalibrationCheckOptions = {}): Promise<CalibrationCheckReport> {
  const id: BoardIdentity = identityWithLaw(await board.identify(), opts.boardFile);
  // a record of another model is refused by checkBoard, naming the model; one of this model must be plausible against
  // the board's own nominal law (its ID's or board file's), which only the connected board tells
  if (cal.record.board.model === id.model) checkCalibrationPlausible(cal.record, cal.file ?? 'calibration record', knownEdgeLaw(id));
  const warnings = cal.checkBoard(id);
  const count = opts.patterns ?? 16;
  const samples = opts.samples ?? cal.record.plan.samples ?? 64;
  const patterns = generatePatterns({ kind: 'random', count, seed: opts.seed ?? 1 }, id);
  const settings = await board.readEdges();
  const noiseRms = opts.noiseRms ?? (opts.boardFile ? opts.boardFile.model.adc.noise : (shippedNominals(id.model)?.adcNoise ?? 0));
  const uncertainty = Float64Array.from(cal.conductanceUncertainty(), (u) => (Number.isFinite(u) ? u : 1));
  const dacStd = cal.dacUncertainty();
  const checker = new ConsistencyChecker(cal.graph, {
    adcLsb: adcLsb(id.adc),
    noiseRms,
    samples,
    thresholdSigma: opts.thresholdSigma,
    modelUncertainty: uncertainty,
    dacUncertainty: dacStd,
    boundary: 'commanded',
    adcRange: { lo: id.adc.lo, hi: id.adc.hi },
  });
  const results: PatternCheck[] = [];
  const voltsAll: Float64Array[] = [];
  const imposedAll: Set<number>[] = [];
  try {
    for (let p = 0; p < patterns.length; p++) {
      throwIfAborted(opts.signal, 'check');
      const pat = patterns[p];
      const readings = await measurePattern(board, pat, samples, 5);
      const drive = new Map(pat.drive);
      const clamp = new Map(pat.clamp);
      const pred = cal.predict(settings, drive, clamp);
      const volts = cal.readingsToVolts(readings);
      const k = cal.conductances(settings, volts);
      // each channel's source less its series resistance's drop at the measured currents (the source itself where r = 0)
      const imposed = cal.channelNodeVolts(drive, clamp, volts, k);
      const r = checker.check(volts, imposed, k);
      const rows: NodeCheckRow[] = [];
      for (let i = 0; i < id.nodes; i++) {
        const residual = readings[i] - pred.readings[i];
        // the checker's sigma is in volts at the node; the reading scales it by the ADC gain
        const sigma = Number.isFinite(r.sigma.voltage[i]) ? r.sigma.voltage[i] * Math.abs(cal.adcGainAt(i)) : NaN;
        rows.push({
          node: i,
          role: drive.has(i) ? 'drive' : clamp.has(i) ? 'clamp' : 'free',
          commanded: drive.get(i) ?? clamp.get(i) ?? null,
          predicted: pred.readings[i],
          measured: readings[i],
          residual,
          sigma,
          z: Number.isFinite(sigma) && sigma > 0 ? residual / sigma : NaN,
        });
      }
      results.push({ pattern: pat, rows, alarm: r.alarm, suspect: r.alarm ? describeSuspect(r.suspect) : null });
      voltsAll.push(volts);
      imposedAll.push(new Set(imposed.keys()));
      opts.onProgress?.(p + 1, patterns.length);
    }
  } finally {
    await board.setClamps(new Map()).catch(() => undefined);
    await board.setSources(new Map()).catch(() => undefined);
  }
  let ss = 0, n = 0, maxZ = 0;
  for (const pc of results) {
    for (const row of pc.rows) {
      if (!Number.isFinite(row.z)) continue;
      ss += row.residual ** 2;
      n++;
      maxZ = Math.max(maxZ, Math.abs(row.z));
    }
  }
  const alarms = results.filter((r) => r.alarm).length;
  const drift = estimateDrift(cal, settings, voltsAll, imposedAll, results, opts.now ?? new Date(), checker.readingSigma);
  return {
    board: { model: id.model, uid: id.uid, firmware: id.firmware },
    calibration: cal.summary(),
    warnings,
    settings: Array.from(settings),
    patterns: results,
    summary: { rmsResidual: Math.sqrt(ss / Math.max(1, n)), maxAbsZ: maxZ, alarms, readingSigma: checker.readingSigma, ok: alarms === 0 && drift.flagged.length === 0 },
    drift,
  };
}

function describeSuspect(s: import('../diagnostics/localiseFault.js').FaultHypothesis | null): string {
  if (!s) return 'no single edge or channel explains it';
  if (s.kind === 'edge') return s.change === 'scale' ? `edge ${s.edge} (${s.a}-${s.b}) conductance x${s.factor.toFixed(3)}` : `edge ${s.edge} (${s.a}-${s.b}) looks ${s.change}`;
  return `${s.converter} channel of node ${s.node} offset ${(s.offset * 1000).toFixed(2)} mV`;
}

/**
 * Drift, as one linear least-squares problem over all patterns: unknowns mu_e = m_e - 1 (edge e's conductance is now
 * m_e times the calibrated one) and delta_i (node i's reading is now off by delta_i volts: its ADC channel, or for a
 * driven or clamped node also its DAC channel). Rows, linearised about no drift:
 * - Kirchhoff at every free node of every pattern, from the calibrated readings V:
 *   sum_e k_e dV_e (1 + mu_e) - sum_e k_e (delta_i - delta_other) = 0 (net current leaving i, A);
 * - every driven or clamped node: its reading residual = delta_j.
 * Rows are divided by their noise (reading sigma through the row), the common factor is fixed by sum mu = 0 (it is
 * not observable), and the covariance is the inverse normal matrix times the fitted residual variance (at least 1).
 * An offset and a change of the edges around one node are told apart because an offset is the same in every pattern.
 */
function estimateDrift(
  cal: Calibration,
  settings: Float64Array,
  volts: Float64Array[],
  imposed: Set<number>[],
  results: PatternCheck[],
  now: Date,
  sigmaV: number,
): DriftReport {
  const E = cal.edges;
  const N = cal.nodes;
  const P = E + N;
  const { edgeA, edgeB } = cal.graph;
  const rows: { coef: Map<number, number>; rhs: number }[] = [];
  volts.forEach((v, p) => {
    const k = cal.conductances(settings, v);
    const byNode = new Map<number, { coef: Map<number, number>; rhs: number; kSum: number; k2: number }>();
    const rowOf = (i: number) => {
      let r = byNode.get(i);
      if (!r) byNode.set(i, (r = { coef: new Map(), rhs: 0, kSum: 0, k2: 0 }));
      return r;
    };
    const add = (m: Map<number, number>, j: number, x: number): void => {
      m.set(j, (m.get(j) ?? 0) + x);
    };
    for (let e = 0; e < E; e++) {
      const a = edgeA[e];
      const b = edgeB[e];
      const d = v[a] - v[b];
      for (const [i, o, sgn] of [[a, b, 1], [b, a, -1]] as const) {
        if (imposed[p].has(i)) continue;
        const r = rowOf(i);
        // current leaving i through e: k_e (V_i - V_o) (1 + mu_e) - k_e (delta_i - delta_o)
        r.rhs -= sgn * k[e] * d;
        add(r.coef, e, sgn * k[e] * d);
        add(r.coef, E + i, -k[e]);
        add(r.coef, E + o, k[e]);
        r.kSum += k[e];
        r.k2 += k[e] * k[e];
      }
    }
    for (const r of byNode.values()) {
      const noise = sigmaV * Math.sqrt(r.kSum * r.kSum + r.k2);
      const coef = new Map<number, number>();
      for (const [j, x] of r.coef) coef.set(j, x / noise);
      rows.push({ coef, rhs: r.rhs / noise });
    }
    for (const j of imposed[p]) {
      const row = results[p].rows[j];
      if (Number.isFinite(row.z)) rows.push({ coef: new Map([[E + j, 1 / sigmaV]]), rhs: row.residual / sigmaV });
    }
  });
  const edges: DriftReport['edges'] = [];
  const channels: DriftReport['channels'] = [];
  const flagged: string[] = [];
  if (rows.length >= P) {
    const M = Matrix.zeros(P, P);
    const g = new Float64Array(P);
    for (const r of rows) {
      for (const [i, x] of r.coef) {
        g[i] += x * r.rhs;
        for (const [j, y] of r.coef) M.set(i, j, M.get(i, j) + x * y);
      }
    }
    // the common factor: sum mu = 0, as a heavy row
    let maxDiag = 0;
    for (let i = 0; i < P; i++) maxDiag = Math.max(maxDiag, M.get(i, i));
    const w = maxDiag;
    for (let i = 0; i < E; i++) for (let j = 0; j < E; j++) M.set(i, j, M.get(i, j) + w);
    // nodes no row sees (floating) stay undetermined: a tiny ridge keeps M invertible
    for (let i = 0; i < P; i++) M.set(i, i, M.get(i, i) + 1e-12 * maxDiag);
    const inv = inverse(M);
    const x = inv.mmul(Matrix.columnVector(Array.from(g))).getColumn(0);
    let rss = 0;
    for (const r of rows) {
      let pred = 0;
      for (const [j, c] of r.coef) pred += c * x[j];
      rss += (pred - r.rhs) ** 2;
    }
    const scale = Math.max(1, rss / Math.max(1, rows.length - P + 1));
    for (let e = 0; e < E; e++) {
      const factor = 1 + x[e];
      const sd = Math.sqrt(Math.max(0, inv.get(e, e) * scale));
      const z = sd > 0 ? x[e] / sd : 0;
      edges.push({ edge: e, factor, relStd: sd / Math.max(1e-12, Math.abs(factor)), z });
      if (Math.abs(z) > 4 && Math.abs(x[e]) > 0.005) flagged.push(`edge ${e} (${edgeA[e]}-${edgeB[e]}) conductance x${factor.toFixed(3)} since calibration (z ${z.toFixed(1)})`);
    }
    for (let i = 0; i < N; i++) {
      const d = x[E + i];
      const sd = Math.sqrt(Math.max(0, inv.get(E + i, E + i) * scale));
      const z = sd > 0 ? d / sd : 0;
      channels.push({ node: i, meanResidual: d, stdError: sd, z });
      if (Math.abs(z) > 4 && Math.abs(d) > 3 * sigmaV / Math.sqrt(volts.length)) flagged.push(`node ${i}: readings off by ${(d * 1000).toFixed(2)} mV (z ${z.toFixed(1)})`);
    }
  }
  const ageHours = (now.getTime() - Date.parse(cal.record.created)) / 3.6e6;
  return { ageHours, edges, channels, flagged };
}
