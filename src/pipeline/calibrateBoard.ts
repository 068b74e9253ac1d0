/**
 * Calibrate a board: expand the plan against the board's identity (the model's default plan when none is given),
 * acquire every measurement, fit. The fit's record is what `clln calibrate --out` writes.
 */
import type { Board } from '../device/Board.js';
import type { EdgeLaw } from '../physics/edgeLaws.js';
import { type CalibrationFit, fitCalibration } from '../calibration/fitCalibration.js';
import { defaultPlan, expandPlan } from '../calibration/planFile.js';
import type { CalibrationPlan } from '../calibration/types.js';
import { type AcquireProgress, acquireCalibration } from './acquireCalibration.js';
import { type BoardFile, boardEdgeLaw, identityWithLaw } from './boardEdgeLaw.js';
import { shippedNominals } from './boardModels.js';

export interface CalibrateOptions {
  /** The plan; default the board model's default plan (calibration/plans/MODEL.json, or one generated for it). */
  plan?: CalibrationPlan;
  /** Where the plan came from, for error messages. */
  planSource?: string;
  /**
   * The board's nominal conductance law (start of the fit, nominal-mean reference). Default: the law the board
   * reports in ID, or `boardFile`'s (boardEdgeLaw.ts); InvalidInputError when neither gives it.
   */
  nominal?: EdgeLaw;
  /** A board description (`clln.board/1`) of this board: supplies or overrides its law, and its ADC noise. */
  boardFile?: BoardFile;
  /**
   * ADC noise per sample (V rms), for the reported chi2 / dof. Default: the board file's, else the shipped model's of
   * the board's name, else 0 (quantisation only).
   */
  noiseRms?: number;
  signal?: AbortSignal;
  onProgress?: (p: AcquireProgress) => void;
  /** Each Levenberg-Marquardt iteration of the fit. */
  onFitIteration?: (iteration: number, cost: number) => void;
}

/** Acquire and fit. Rejects with InvalidInputError (bad plan) before anything is sent to the board. */
export async function calibrateBoard(board: Board, opts: CalibrateOptions = {}): Promise<CalibrationFit> {
  const id = identityWithLaw(await board.identify(), opts.boardFile);
  const nominal = opts.nominal ?? boardEdgeLaw(id);
  const noiseRms = opts.noiseRms ?? (opts.boardFile ? opts.boardFile.model.adc.noise : (shippedNominals(id.model)?.adcNoise ?? 0));
  const plan = opts.plan ?? defaultPlan(id);
  const expanded = expandPlan(plan, id, opts.planSource);
  const data = await acquireCalibration(board, expanded, { signal: opts.signal, onProgress: opts.onProgress });
  return fitCalibration({ id, plan, expanded, data, nominal, noiseRms, signal: opts.signal, onIteration: opts.onFitIteration });
}
