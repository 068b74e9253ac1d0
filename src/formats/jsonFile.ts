/**
 * Reading and writing the JSON documents clln exchanges with users (network and task files).
 * Read errors (missing file, syntax error) are {@link InvalidInputError}s naming the file, so the CLI
 * exits with code 2 and says what to fix.
 */
import { readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { InvalidInputError } from '../errors.js';

/**
 * Read and parse a JSON file. `what` names the expected content in messages (e.g. `network file`).
 * A leading byte-order mark is ignored.
 */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw new InvalidInputError(
      { source: path },
      `cannot read the ${what}: ${reason}`,
      'check the path and that the file is readable',
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError(
      { source: path },
      `the ${what} is not valid JSON: ${describeSyntaxError((e as Error).message, text)}`,
      'correct the JSON syntax at that place (common causes: a trailing comma, a missing quote, NaN or Infinity)',
    );
  }
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
    throw e;
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

/** Add line and column to a JSON.parse message that only gives a character position. */
function describeSyntaxError(message: string, text: string): string {
  const m = /at position (\d+)/.exec(message);
  if (!m || /line \d+/.test(message)) return message;
  const pos = Number(m[1]);
  let line = 1;
  let col = 1;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else {
      col++;
    }
  }
  return `${message} (line ${line}, column ${col})`;
}
