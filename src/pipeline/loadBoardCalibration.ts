import type { BoardIdentity } from '../device/Board.js';
import { Calibration } from '../calibration/Calibration.js';
import { readCalibrationFile } from '../calibration/recordFile.js';
import { knownEdgeLaw } from './boardEdgeLaw.js';

/**
 * Read a calibration record (`clln.calibration/1`) for a board and check it belongs to it: an error when it does not,
 * a warning (`path: what`, e.g. another firmware) through `warn` when it may not.
 */
export function loadBoardCalibration(path: string, id: BoardIdentity, warn: (message: string) => void = () => {}): Calibration {
  // judged plausible against the board's own nominal law (its ID's or board file's) when the record is of this model
  const cal = new Calibration(readCalibrationFile(path, (model) => (model === id.model ? knownEdgeLaw(id) : undefined)), path);
  for (const w of cal.checkBoard(id, path)) warn(`${path}: ${w}`);
  return cal;
}

/** Read a calibration record without a board at hand (checked against its own board description only). */
export function readCalibration(path: string): Calibration {
  return new Calibration(readCalibrationFile(path), path);
}
