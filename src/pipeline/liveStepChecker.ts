import type { Board, BoardIdentity } from '../device/Board.js';
import type { Calibration } from '../calibration/Calibration.js';
import { adcLsb } from '../diagnostics/measurementNoise.js';
import { BoardStepChecker } from './BoardStepChecker.js';
import { shippedNominals } from './boardModels.js';

/**
 * The live check of every measured state of a run against the board's Laplacian, at the board's present settings.
 * Calibrated: the calibration's converters and per-edge law, with its own uncertainty (ADC noise from the board
 * model when shipped, else 0 V). Otherwise, for boards of a shipped model: their nominal conductance law, the
 * per-edge tolerance counted as model uncertainty. Undefined when neither is known (nothing to check against).
 * `samples`: ADC samples averaged per measurement.
 */
export async function liveStepChecker(board: Board, id: BoardIdentity, samples: number, cal?: Calibration): Promise<BoardStepChecker | undefined> {
  const model = shippedNominals(id.model);
  const common = { adcLsb: adcLsb(id.adc), samples, adcRange: { lo: id.adc.lo, hi: id.adc.hi } };
  if (cal) {
    return new BoardStepChecker(id, cal, await board.readEdges(), {
      ...common,
      noiseRms: model ? model.adcNoise : 0,
      modelUncertainty: Float64Array.from(cal.conductanceUncertainty(), (u) => (Number.isFinite(u) ? u : 1)),
      dacUncertainty: cal.dacUncertainty(),
    });
  }
  if (!model) return undefined;
  return new BoardStepChecker(id, model.edge, await board.readEdges(), {
    ...common,
    noiseRms: model.adcNoise,
    modelUncertainty: model.edge.tolerance,
    dacUncertainty: { gain: model.dacGainSpread, offset: model.dacOffsetSpread },
  });
}
