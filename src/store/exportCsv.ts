/**
 * CSV export of a run (RFC 4180): a header row, then one row per event; columns as in {@link flattenRun}.
 * Records end with CRLF; a field holding a comma, a double quote, CR or LF is quoted, quotes doubled. Numbers
 * are written in JavaScript's shortest round-trip form; null (no value) is an empty field.
 */
import { writeFileAtomic } from './atomicWrite.js';
import type { RunRecord } from './documents.js';
import { flattenRun, type FlatTable } from './flatten.js';

/** The CSV text of a run. */
export function runToCsv(run: RunRecord): string {
  return tableToCsv(flattenRun(run));
}

/** The CSV text of a flat table. */
export function tableToCsv(t: FlatTable): string {
  const out: string[] = [t.columns.map((c) => csvField(c.name)).join(',')];
  for (let r = 0; r < t.rows; r++) {
    out.push(t.columns.map((c) => csvValue(c.values[r])).join(','));
  }
  return out.join('\r\n') + '\r\n';
}

/** Write a run as CSV to `out` (atomically: a temporary file renamed into place). Returns the table written. */
export function exportCsv(run: RunRecord, out: string): FlatTable {
  const t = flattenRun(run);
  writeFileAtomic(out, tableToCsv(t));
  return t;
}

function csvValue(v: number | boolean | string | null): string {
  if (v === null) return '';
  if (typeof v === 'string') return csvField(v);
  return String(v);
}

/** One RFC 4180 field. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
