import { writeFileAtomic } from '../atomicWrite.js';
import type { RunRecord } from '../documents.js';
import { flattenRun, type FlatTable } from '../flatten.js';
import { encodeParquet } from './writeParquet.js';

/**
 * The Parquet bytes of a run: the same flattened columns as the CSV export (seq_num INT64, time DOUBLE, data keys
 * as DOUBLE, INT64 for integer keys, BOOLEAN, or UTF8 strings). The start and descriptor documents are kept as
 * JSON in the file's key-value metadata (`clln.start`, `clln.descriptor`, and `clln.stop` when the run ended).
 */
export function runToParquet(run: RunRecord, createdBy = defaultCreatedBy(run), table: FlatTable = flattenRun(run)): { bytes: Uint8Array; table: FlatTable } {
  const metadata: Record<string, string> = {
    'clln.start': JSON.stringify(run.start),
    'clln.descriptor': JSON.stringify(run.descriptor),
  };
  if (run.stop) metadata['clln.stop'] = JSON.stringify(run.stop);
  const bytes = encodeParquet(
    table.columns.map((c) => ({ name: c.name, type: c.kind, values: c.values })),
    { createdBy, metadata },
  );
  return { bytes, table };
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
