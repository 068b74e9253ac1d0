/**
 * Where `c` (calibrate, in the dashboard) writes its records: the folder `calibrations/` in the working directory,
 * which the repository's .gitignore ignores (records are per board and per day: lab data, not source). Each record
 * gets the name `clln calibrate` gives by default, calibration-MODEL-UID-YYYYMMDD-HHMMSS.json; a second one in the
 * same second gets `-2`, `-3`, ... so that a record is never overwritten. Pass it to `--calibration` later.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BoardIdentity } from '../device/Board.js';
import { fileStamp } from '../pipeline/newRunPath.js';

/** The folder, relative to the working directory. */
export const CALIBRATIONS_DIR = 'calibrations';

/** A new record path in `dir` (created if missing) for board `id` at time `now`: never an existing file. */
export function dashboardCalibrationPath(id: Pick<BoardIdentity, 'model' | 'uid'>, dir = CALIBRATIONS_DIR, now = new Date()): string {
  mkdirSync(dir, { recursive: true });
  const base = `calibration-${id.model}-${id.uid}-${fileStamp(now)}`;
  let path = join(dir, `${base}.json`);
  for (let k = 2; existsSync(path); k++) path = join(dir, `${base}-${k}.json`);
  return path;
}
