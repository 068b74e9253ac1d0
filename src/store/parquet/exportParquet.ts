import { InvalidInputError } from '../../errors.js';
import { writeFileAtomic } from '../atomicWrite.js';
import type { RunRecord } from '../documents.js';
import { flattenRun, type FlatTable } from '../flatten.js';
import { encodeParquet } from './writeParquet.js';

/**
 * The Parquet bytes of a run (issue 15, contract B): the same flattened columns as the CSV export — seq_num INT64,
 * time an INT64 TIMESTAMP (microseconds since the Unix epoch, UTC), data keys as DOUBLE, INT64 for integer keys and
 * the elements of `<i8` arrays (tap settings), BOOLEAN, or UTF8 strings — GZIP-compressed. Each column with units
 * has them in its column metadata (`units`); the file's key-value metadata has `clln.units` ({column: units}, JSON)
 * and the start and descriptor documents as JSON (`clln.start`, `clln.descriptor`, and `clln.stop` when the run ended).
 */
export function runToParquet(run: RunRecord, createdBy = defaultCreatedBy(run), table: FlatTable = flattenRun(run)): { bytes: Uint8Array; table: FlatTable } {
  const metadata: Record<string, string> = {
    'clln.start': JSON.stringify(run.start),
    'clln.descriptor': JSON.stringify(run.descriptor),
  };
  if (run.stop) metadata['clln.stop'] = JSON.stringify(run.stop);
  const units: Record<string, string> = {};
  for (const c of table.columns) if (c.units !== undefined) units[c.name] = c.units;
  metadata['clln.units'] = JSON.stringify(units);
  const bytes = encodeParquet(
    table.columns.map((c) => ({
      name: c.name,
      type: c.kind,
      // epoch seconds (a double, to the microsecond the clock gives) -> integer microseconds
      values: c.kind === 'timestamp' ? c.values.map((v, row) => (typeof v === 'number' ? micros(run, v, row) : v)) : c.values,
      ...(c.units !== undefined ? { units: c.units } : {}),
    })),
    { createdBy, metadata },
  );
  return { bytes, table };
}

/**
 * Epoch seconds -> integer microseconds; a time a Parquet timestamp cannot hold exactly (beyond 2^53 us, about 285
 * years from 1970) is bad input, named by its event.
 */
function micros(run: RunRecord, seconds: number, row: number): number {
  const us = Math.round(seconds * 1e6);
  if (!Number.isSafeInteger(us)) {
    const ev = run.events[row];
    throw new InvalidInputError(
      { source: run.path, field: `${run.descriptor.name} event ${ev?.seq_num ?? row + 1}: time` },
      `is ${seconds} epoch seconds, outside what a timestamp in microseconds holds exactly (about 285 years either side of 1970)`,
      'the record was changed after it was written: correct the time, or export it as CSV',
    );
  }
  return us;
}

/** Write a run as a Parquet file to `out` (atomically); `table` is its flattened form when already at hand. Returns the table written. */
export function exportParquet(run: RunRecord, out: string, table?: FlatTable): FlatTable {
  const { bytes } = runToParquet(run, undefined, (table ??= flattenRun(run)));
  writeFileAtomic(out, bytes);
  return table;
}

/** `clln version X` from the start document's software block (the version that recorded the run), else `clln`. */
function defaultCreatedBy(run: RunRecord): string {
  const sw = run.start.software as { version?: unknown } | undefined;
  return typeof sw?.version === 'string' ? `clln version ${sw.version}` : 'clln';
}
