import type { Board, BoardIdentity } from '../device/Board.js';
import type { Calibration } from '../calibration/Calibration.js';
import { adcLsb } from '../diagnostics/measurementNoise.js';
import { BoardStepChecker } from './BoardStepChecker.js';
import { knownEdgeLaw } from './boardEdgeLaw.js';
import type { BoardNominals } from './boardModels.js';

/**
 * The live check of every measured state of a run against the board's Laplacian, at the board's present settings.
 * Calibrated: the calibration's converters and per-edge law, with its own uncertainty (ADC noise from `nominals`
 * when known, else 0 V). Otherwise: the board's nominal law (its ID's or board file's, boardEdgeLaw.ts), with the
 * converter noise, spreads and per-edge tolerance of `nominals` (a board file, or the shipped model of the board's
 * name: ID does not report them) counted as uncertainty. Undefined when either is unknown (nothing to check against
 * with a known uncertainty). `samples`: ADC samples averaged per measurement.
 */
export async function liveStepChecker(board: Board, id: BoardIdentity, samples: number, cal?: Calibration, nominals?: BoardNominals): Promise<BoardStepChecker | undefined> {
  const model = nominals;
  const common = { adcLsb: adcLsb(id.adc), samples, adcRange: { lo: id.adc.lo, hi: id.adc.hi } };
  if (cal) {
    return new BoardStepChecker(id, cal, await board.readEdges(), {
      ...common,
      noiseRms: model ? model.adcNoise : 0,
      modelUncertainty: Float64Array.from(cal.conductanceUncertainty(), (u) => (Number.isFinite(u) ? u : 1)),
      dacUncertainty: cal.dacUncertainty(),
    });
  }
  const law = knownEdgeLaw(id);
  if (!model || !law) return undefined;
  return new BoardStepChecker(id, law, await board.readEdges(), {
    ...common,
    noiseRms: model.adcNoise,
    modelUncertainty: model.edge.tolerance,
    dacUncertainty: { gain: model.dacGainSpread, offset: model.dacOffsetSpread },
  });
}
