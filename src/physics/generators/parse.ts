/**
 * Parsers for the compact text forms that generator options take on the command line. Each throws an
 * {@link InvalidInputError} whose `source` is the option (e.g. `--matrix`) and whose message names the
 * offending piece of text and the expected form.
 */
import { InvalidInputError, show } from '../../errors.js';

/** A plain decimal number: optional sign, digits with optional fraction, optional exponent. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** Largest node id (ids are stored in an Int32Array). */
const MAX_ID = 2 ** 31 - 2;
/** Longest range `lo-hi` accepted in an id list. */
const MAX_RANGE = 10_000_000;
/** A non-negative integer. */
const NATURAL = /^\d+$/;

/**
 * Parse a matrix written row by row: rows separated by `;`, entries by `,`, spaces ignored.
 * `"0.15,0.3;0.2,0.1"` -> `[[0.15, 0.3], [0.2, 0.1]]`. All rows must have the same number of entries.
 * @param source the option name for messages (default `--matrix`)
 */
export function parseMatrix(text: string, source = '--matrix'): number[][] {
  const form = 'rows separated by ";", entries by ",", e.g. "0.15,0.3;0.2,0.1"';
  if (text.trim() === '') throw new InvalidInputError({ source }, 'is empty; expected a matrix', `write it as ${form}`);
  const rows = text.split(';').map((row, i) =>
    row.split(',').map((entry, j) => {
      const t = entry.trim();
      if (!DECIMAL.test(t)) {
        throw new InvalidInputError(
          { source, field: `matrix[${i}][${j}]` },
          `row ${i + 1}, entry ${j + 1} is ${show(t)}, not a number (in ${show(text)})`,
          `write plain decimal numbers, ${form}`,
        );
      }
      const x = Number(t);
      if (!Number.isFinite(x)) {
        throw new InvalidInputError({ source, field: `matrix[${i}][${j}]` }, `row ${i + 1}, entry ${j + 1} is ${show(t)}, which is not finite`, 'use a finite number');
      }
      return x;
    }),
  );
  const width = rows[0].length;
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].length !== width) {
      throw new InvalidInputError(
        { source, field: `matrix[${i}]` },
        `row ${i + 1} has ${rows[i].length} ${rows[i].length === 1 ? 'entry' : 'entries'} but row 1 has ${width}; all rows must have the same length (in ${show(text)})`,
        `give every row one entry per source, ${form}`,
      );
    }
  }
  return rows;
}

/**
 * Parse a list of node ids: `"0,3"` -> `[0, 3]`; ranges are inclusive, `"0-3,7"` -> `[0, 1, 2, 3, 7]`;
 * `""` -> `[]`. Ids are integers >= 0 and may appear only once.
 * @param source the option name for messages (e.g. `--sources`)
 */
export function parseIdList(text: string, source = '--ids'): number[] {
  const form = 'comma-separated node ids or ranges, e.g. "0,3" or "0-3,7"';
  if (text.trim() === '') return [];
  const ids: number[] = [];
  const seen = new Set<number>();
  for (const piece of text.split(',')) {
    const t = piece.trim();
    const m = /^(\d+)\s*-\s*(\d+)$/.exec(t);
    let lo: number;
    let hi: number;
    if (m) {
      lo = Number(m[1]);
      hi = Number(m[2]);
      if (lo > hi) throw new InvalidInputError({ source }, `range ${show(t)} runs backwards`, `write it as ${hi}-${lo}`);
    } else if (NATURAL.test(t)) {
      lo = hi = Number(t);
    } else {
      throw new InvalidInputError({ source }, `${show(t)} is not a node id (an integer >= 0) in ${show(text)}`, `write ${form}`);
    }
    if (hi > MAX_ID) throw new InvalidInputError({ source }, `${show(t)}: node ids must be at most ${MAX_ID}`, `write ${form}`);
    if (hi - lo >= MAX_RANGE) {
      throw new InvalidInputError({ source }, `range ${show(t)} has ${hi - lo + 1} ids, more than ${MAX_RANGE}`, 'use a shorter range');
    }
    for (let id = lo; id <= hi; id++) {
      if (seen.has(id)) throw new InvalidInputError({ source }, `node ${id} is listed twice in ${show(text)}`, 'list each node once');
      seen.add(id);
      ids.push(id);
    }
  }
  return ids;
}

/**
 * Parse a lattice size `ROWSxCOLS` (also `ROWS×COLS`, or a single `N` for N x N): `"4x4"` -> `{rows: 4, cols: 4}`.
 * Both must be integers >= 1.
 * @param source the argument name for messages (default `ROWSxCOLS`)
 */
export function parseLatticeSize(text: string, source = 'ROWSxCOLS'): { rows: number; cols: number } {
  const m = /^\s*(\d+)\s*(?:[xX×*]\s*(\d+))?\s*$/.exec(text);
  const rows = m ? Number(m[1]) : NaN;
  const cols = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || !(rows >= 1) || !(cols >= 1) || !Number.isSafeInteger(rows) || !Number.isSafeInteger(cols)) {
    throw new InvalidInputError(
      { source },
      `expected ROWSxCOLS with integers >= 1, got ${show(text)}`,
      'write the size as e.g. 4x4 (rows x columns)',
    );
  }
  return { rows, cols };
}
