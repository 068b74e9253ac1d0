import type { BoardIdentity } from '../device/Board.js';
import { Calibration } from '../calibration/Calibration.js';
import { readCalibrationFile } from '../calibration/recordFile.js';
import { nominalEdgeLaw } from './boardModels.js';

/**
 * Read a calibration record (`clln.calibration/1`) for a board and check it belongs to it: an error when it does not,
 * a warning (`path: what`, e.g. another firmware) through `warn` when it may not.
 */
export function loadBoardCalibration(path: string, id: BoardIdentity, warn: (message: string) => void = () => {}): Calibration {
  const cal = readCalibration(path);
  for (const w of cal.checkBoard(id, path)) warn(`${path}: ${w}`);
  return cal;
}

/** Read a calibration record, judged plausible against the nominal law of its board's model when that is shipped. */
export function readCalibration(path: string): Calibration {
  return new Calibration(readCalibrationFile(path, nominalEdgeLaw), path);
}
