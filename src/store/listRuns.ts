/** Listing the runs recorded in a directory (`*.jsonl` files). */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CllnError, InvalidInputError } from '../errors.js';
import type { RunStatus } from './documents.js';
import { readRun } from './readRun.js';

/** Where runs are recorded by default, relative to the working directory. */
export const DEFAULT_RUNS_DIR = 'runs';

/** One line of a run listing. A file that is not a readable run has status `invalid` and an `error`. */
export interface RunSummary {
  path: string;
  /** File name within the directory. */
  file: string;
  uid: string | null;
  /** Start time, epoch seconds. */
  time: number | null;
  plan_name: string | null;
  /** Events (steps) recorded. */
  steps: number;
  status: RunStatus | 'invalid';
  /** `cost` of the last event, when it recorded one. */
  last_cost: number | null;
  /** Evaluations recorded (the `evaluation` stream; 0 without one). */
  evaluations: number;
  /** `test_mse` of the last evaluation (V^2), when it recorded one. */
  last_test_mse: number | null;
  /** The last line was torn (a crash during a write) and is ignored. */
  torn: boolean;
  /** Why the file could not be read as a run (status `invalid`). */
  error?: string;
}

/**
 * Summaries of the runs in `dir`, oldest start first (unreadable files last, by name). A missing directory is an
 * InvalidInputError.
 */
export function listRuns(dir: string = DEFAULT_RUNS_DIR): RunSummary[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : (e as Error).message;
    throw new InvalidInputError({ source: dir }, `cannot list runs: ${reason}`, 'give the directory the runs were recorded in');
  }
  const out: RunSummary[] = [];
  for (const file of names.filter((n) => n.endsWith('.jsonl')).sort()) {
    const path = join(dir, file);
    try {
      if (!statSync(path).isFile()) continue;
    } catch {
      continue; // removed while listing
    }
    try {
      const r = readRun(path);
      const last = r.events[r.events.length - 1];
      const cost = last?.data.cost;
      out.push({
        path,
        file,
        uid: r.start.uid,
        time: r.start.time,
        plan_name: typeof r.start.plan_name === 'string' ? r.start.plan_name : null,
        steps: r.events.length,
        status: r.status,
        last_cost: typeof cost === 'number' ? cost : null,
        evaluations: r.evaluation?.events.length ?? 0,
        last_test_mse: numberOrNull(r.evaluation?.events[r.evaluation.events.length - 1]?.data.test_mse),
        torn: r.torn,
      });
    } catch (e) {
      // a bad file (InvalidInputError) or one that cannot be read (IoError) is listed, not fatal to the listing
      if (!(e instanceof CllnError)) throw e;
      out.push({ path, file, uid: null, time: null, plan_name: null, steps: 0, status: 'invalid', last_cost: null, evaluations: 0, last_test_mse: null, torn: false, error: (e as Error).message });
    }
  }
  return out.sort((a, b) => (a.time ?? Infinity) - (b.time ?? Infinity) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

function numberOrNull(x: unknown): number | null {
  return typeof x === 'number' ? x : null;
}
