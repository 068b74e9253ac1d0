/**
 * Reading the published gen-2 small-network measurements (arXiv 2505.22887, data MIT-licensed, copied under
 * calibration/labdata/): numeric CSV files of a few hundred rows. Parsing is separate from reading, so tests can feed
 * text. Bad content is an InvalidInputError naming the file, the line and the rule.
 */
import { InvalidInputError } from '../errors.js';
import { readInputFile } from './readInputFile.js';

/** Largest measurement file accepted (bytes); the published ones are under 20 kB. */
export const MAX_GATE_SERIES_BYTES = 4 * 1024 * 1024;

/** A drift test: learning time (s) and the two gates (V) per sample. */
export interface DriftTestSeries {
  time: Float64Array;
  gMinus: Float64Array;
  gPlus: Float64Array;
}

function numbers(line: string, source: string, lineNo: number, expected: number | null): number[] {
  const cells = line.split(',').map((c) => c.trim());
  if (expected !== null && cells.length !== expected) {
    throw new InvalidInputError({ source, field: `line ${lineNo}` }, `expected ${expected} comma-separated numbers, got ${cells.length}`, 'keep the published column layout');
  }
  return cells.map((c) => {
    const v = Number(c);
    if (c === '' || !Number.isFinite(v)) {
      throw new InvalidInputError({ source, field: `line ${lineNo}` }, `"${c.slice(0, 40)}" is not a finite number`, 'keep the published numbers');
    }
    return v;
  });
}

function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => l.trim() !== '');
}

/** Parse a drift-test CSV: header `time_s,g_minus_V,g_plus_V`, then rows with increasing time. */
export function parseDriftTestCsv(text: string, source = 'drift test'): DriftTestSeries {
  const rows = lines(text);
  if (rows.length < 3 || rows[0].replace(/\s/g, '') !== 'time_s,g_minus_V,g_plus_V') {
    throw new InvalidInputError({ source, field: 'header' }, 'expected the header time_s,g_minus_V,g_plus_V and at least two rows', 'use the converted drift-test files');
  }
  const n = rows.length - 1;
  const out = { time: new Float64Array(n), gMinus: new Float64Array(n), gPlus: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const [t, gm, gp] = numbers(rows[i + 1], source, i + 2, 3);
    if (i > 0 && !(t > out.time[i - 1])) {
      throw new InvalidInputError({ source, field: `line ${i + 2}` }, `time ${t} s does not increase`, 'keep the rows in time order');
    }
    out.time[i] = t;
    out.gMinus[i] = gm;
    out.gPlus[i] = gp;
  }
  return out;
}

/** Parse a two-column numeric CSV without header (the tau sweeps: tau in s, value). */
export function parseTwoColumnCsv(text: string, source = 'sweep'): { x: Float64Array; y: Float64Array } {
  const rows = lines(text);
  const x = new Float64Array(rows.length);
  const y = new Float64Array(rows.length);
  rows.forEach((r, i) => {
    [x[i], y[i]] = numbers(r, source, i + 1, 2);
  });
  return { x, y };
}

/** Parse a bowtie CSV: two rows of equal length, G- then G+ over one period (V). */
export function parseBowtieCsv(text: string, source = 'bowtie'): { gMinus: Float64Array; gPlus: Float64Array } {
  const rows = lines(text);
  if (rows.length !== 2) throw new InvalidInputError({ source }, `expected two rows (G-, G+), got ${rows.length}`, 'use the published bowtie files');
  const a = numbers(rows[0], source, 1, null);
  const b = numbers(rows[1], source, 2, a.length);
  return { gMinus: Float64Array.from(a), gPlus: Float64Array.from(b) };
}

/** Read and parse a drift-test CSV file. */
export function readDriftTestCsv(path: string): DriftTestSeries {
  return parseDriftTestCsv(readInputFile(path, 'drift-test CSV', MAX_GATE_SERIES_BYTES).toString('utf8'), path);
}

/** Read and parse a two-column sweep CSV file (tau s, value). */
export function readTwoColumnCsv(path: string): { x: Float64Array; y: Float64Array } {
  return parseTwoColumnCsv(readInputFile(path, 'sweep CSV', MAX_GATE_SERIES_BYTES).toString('utf8'), path);
}

/** Read and parse a bowtie CSV file. */
export function readBowtieCsv(path: string): { gMinus: Float64Array; gPlus: Float64Array } {
  return parseBowtieCsv(readInputFile(path, 'bowtie CSV', MAX_GATE_SERIES_BYTES).toString('utf8'), path);
}
