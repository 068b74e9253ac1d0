/**
 * Reading and writing the JSON documents clln exchanges with users (network, task, board model and calibration
 * files). Reading is bounded: the file's size ({@link MAX_JSON_FILE_BYTES}) is checked before it is read, and its
 * syntax and nesting depth ({@link MAX_JSON_DEPTH}) before it is parsed. Every problem is an
 * {@link InvalidInputError} naming the file (the CLI exits with code 2 and says what to fix), except a failure of
 * the operating system (permission denied, an I/O error), which is an {@link IoError} (exit 1).
 */
import { renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { fileError, InvalidInputError, IoError } from '../errors.js';
import { checkJsonSyntax } from './jsonSyntax.js';
import { MAX_JSON_DEPTH, MAX_JSON_FILE_BYTES } from './limits.js';
import { readInputFile } from './readInputFile.js';

/**
 * Read and parse a JSON file. `what` names the expected content in messages (e.g. `network file`).
 * A leading byte-order mark is ignored.
 * @throws InvalidInputError (missing file, over {@link MAX_JSON_FILE_BYTES}, a syntax error, nested deeper than
 *   {@link MAX_JSON_DEPTH}); IoError (the file could not be read)
 */
export function readJsonFile(path: string, what: string): unknown {
  const text = readInputFile(path, what, MAX_JSON_FILE_BYTES, 'check the path and that the file is readable').toString('utf8');
  return parseJsonText(text, path, what);
}

/**
 * Parse a JSON text from `source` after checking its syntax and depth (see {@link checkJsonSyntax}): a problem is an
 * InvalidInputError `SOURCE: line L, column C: the WHAT is not valid JSON: what was expected and found (fix: ...)`,
 * one line, whatever the text holds. A leading byte-order mark is ignored.
 */
export function parseJsonText(text: string, source: string, what: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Fast path for the usual valid document (a 2.7 MB network parses in a few ms this way; the full check below
  // costs about ten times that): a bracket count bounds the depth first, so that JSON.parse never sees a text
  // nested deeper than the limit, and JSON.parse accepts exactly the valid texts. Anything else goes through the
  // full check, which finds the same first problem it always did and words it.
  if (!bracketsNestDeeperThan(text, MAX_JSON_DEPTH)) {
    try {
      return JSON.parse(text);
    } catch {
      // invalid JSON: the check below says where and why
    }
  }
  const problem = checkJsonSyntax(text, MAX_JSON_DEPTH);
  if (problem) {
    throw new InvalidInputError(
      { source, field: `line ${problem.line}, column ${problem.column}` },
      problem.tooDeep ? `the ${what} is ${problem.problem}` : `the ${what} is not valid JSON: ${problem.problem}`,
      problem.tooDeep
        ? `flatten the document: clln's formats nest a few levels deep (see src/formats/README.md)`
        : 'correct the JSON syntax at that place (common causes: a trailing comma, a missing quote, NaN or Infinity)',
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    // not reached: the check above accepts exactly what JSON.parse does; the engine's message is not shown since it
    // quotes the text
    throw new InvalidInputError({ source }, `the ${what} is not valid JSON`, 'correct the JSON syntax');
  }
}

/**
 * True when the arrays and objects of `text` (brackets outside strings) nest deeper than `maxDepth`. Exact for valid
 * JSON; for other text the answer does not matter (JSON.parse then fails, and {@link checkJsonSyntax} reports).
 */
export function bracketsNestDeeperThan(text: string, maxDepth: number): boolean {
  const n = text.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = closingQuote(text, i + 1);
      if (i < 0) return false; // an unclosed string: not JSON
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** Index of the quote that closes a string whose text starts at `from` (after an odd run of backslashes a quote is escaped); -1 if none. */
function closingQuote(text: string, from: number): number {
  let j = text.indexOf('"', from);
  while (j >= 0) {
    let k = j - 1;
    while (k >= from && text.charCodeAt(k) === 0x5c) k--;
    if ((j - 1 - k) % 2 === 0) return j;
    j = text.indexOf('"', j + 1);
  }
  return -1;
}

/**
 * Write `value` as formatted JSON (see {@link formatJson}) followed by a newline. The file is written to a
 * temporary name first and renamed, so a reader never sees half a file.
 */
export function writeJsonFile(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, formatJson(value) + '\n', 'utf8');
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file was never created
    }
    throw fileError(e, path, 'write the file', 'check that the directory exists');
  }
}

/**
 * JSON text that stays readable for large networks: objects get one key per line, arrays of numbers or
 * strings stay on one line, arrays of arrays or objects get one element per line (so `edges` is one edge
 * per line). Numbers use JavaScript's shortest round-trip form, so reading back gives identical values.
 */
export function formatJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const nested = value.some((v) => typeof v === 'object' && v !== null);
    if (!nested) return '[' + value.map((v) => JSON.stringify(v) ?? 'null').join(', ') + ']';
    const inner = indent + '  ';
    return '[\n' + value.map((v) => inner + formatJson(v, inner)).join(',\n') + '\n' + indent + ']';
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const inner = indent + '  ';
    // Objects nested inside arrays (examples) stay on one line when they are short.
    const flat = '{' + entries.map(([k, v]) => `${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(', ') + '}';
    if (indent.length > 2 && !flat.includes('\n') && flat.length <= 100) return flat;
    return '{\n' + entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(',\n') + '\n' + indent + '}';
  }
  return JSON.stringify(value) ?? 'null';
}
