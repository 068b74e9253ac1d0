import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DEFAULT_RUNS_DIR } from '../store/listRuns.js';

/** UTC time as YYYYMMDD-HHMMSS, for the names of the files clln makes (runs, calibration records). */
export function fileStamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** A fresh run file name in the default runs directory: runs/run-YYYYMMDD-HHMMSS-xxxx.jsonl. */
export function newRunPath(now = new Date()): string {
  return join(DEFAULT_RUNS_DIR, `run-${fileStamp(now)}-${randomUUID().slice(0, 4)}.jsonl`);
}
