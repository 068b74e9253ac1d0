import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { DEFAULT_RUNS_DIR } from '../store/listRuns.js';

/** UTC time as YYYYMMDD-HHMMSS, for the names of the files clln makes (runs, calibration records). */
export function fileStamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** A fresh run file name in the default runs directory: runs/run-YYYYMMDD-HHMMSS-xxxx.jsonl. */
export function newRunPath(now = new Date()): string {
  return join(DEFAULT_RUNS_DIR, `run-${fileStamp(now)}-${randomUUID().slice(0, 4)}.jsonl`);
}

/**
 * Where a new run is recorded: `record` itself, a fresh {@link newRunPath} when undefined, or null (not recorded).
 * A file that exists is refused (InvalidInputError naming `--record`): a run record is never overwritten.
 */
export function newRecordPath(record: string | null | undefined): string | null {
  const path = record === null ? null : (record ?? newRunPath());
  if (path && existsSync(path)) {
    throw new InvalidInputError({ source: '--record' }, `${path} exists; a run record is never overwritten`, `choose a new file, or continue that run with 'clln resume ${path}'`);
  }
  return path;
}
