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

export interface CalibrateOptions {
  /** The plan; default the board model's default plan (calibration/plans/MODEL.json, or one generated for it). */
  plan?: CalibrationPlan;
  /** Where the plan came from, for error messages. */
  planSource?: string;
  /** The board model's nominal conductance law (start of the fit, nominal-mean reference). */
  nominal: EdgeLaw;
  /** ADC noise per sample (V rms), if known (for the reported chi2 / dof). */
  noiseRms?: number;
  signal?: AbortSignal;
  onProgress?: (p: AcquireProgress) => void;
  /** Each Levenberg-Marquardt iteration of the fit. */
  onFitIteration?: (iteration: number, cost: number) => void;
}

/** Acquire and fit. Rejects with InvalidInputError (bad plan) before anything is sent to the board. */
export async function calibrateBoard(board: Board, opts: CalibrateOptions): Promise<CalibrationFit> {
  const id = await board.identify();
  const plan = opts.plan ?? defaultPlan(id);
  const expanded = expandPlan(plan, id, opts.planSource);
  const data = await acquireCalibration(board, expanded, { signal: opts.signal, onProgress: opts.onProgress });
  return fitCalibration({ id, plan, expanded, data, nominal: opts.nominal, noiseRms: opts.noiseRms, signal: opts.signal, onIteration: opts.onFitIteration });
}
