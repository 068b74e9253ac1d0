/**
 * Small checks for reading user JSON documents field by field. Each check either returns the value with a
 * narrower type or throws an {@link InvalidInputError} that names the file (`source`), the JSON path
 * (`field`), the rule, the offending value and the fix. Pure: no I/O.
 */
import { InvalidInputError, show } from '../errors.js';

/** Throw an {@link InvalidInputError} at `source`/`field`. */
export function fail(source: string, field: string | undefined, problem: string, fix: string): never {
  throw new InvalidInputError({ source, field }, problem, fix);
}

/** JSON path of a key or an index below `parent` (`edges` + 3 -> `edges[3]`, `train[0]` + `in` -> `train[0].in`). */
export function child(parent: string | undefined, key: string | number): string {
  if (typeof key === 'number') return `${parent ?? ''}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/** The value must be a plain JSON object (not an array, not null). */
export function expectObject(
  value: unknown,
  source: string,
  field: string | undefined,
  what: string,
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(source, field, `${what} must be a JSON object, got ${kind(value)} ${show(value)}`, `write it as {"key": value, ...}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Reject keys that are not in `allowed` (usually a typo, which would otherwise be silently ignored).
 * Suggests the closest allowed key.
 */
export function expectKnownKeys(
  obj: Record<string, unknown>,
  allowed: readonly string[],
  source: string,
  parent: string | undefined,
): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const near = closest(key, allowed);
    fail(
      source,
      child(parent, key),
      `unknown field ${show(key)}; allowed fields are ${allowed.map((k) => show(k)).join(', ')}`,
      near ? `did you mean ${show(near)}? Otherwise remove it` : 'remove it',
    );
  }
}

/** The key must be present. */
export function expectPresent(
  obj: Record<string, unknown>,
  key: string,
  source: string,
  parent: string | undefined,
  fix: string,
): unknown {
  if (!(key in obj) || obj[key] === undefined) {
    fail(source, child(parent, key), `required field ${show(key)} is missing`, fix);
  }
  return obj[key];
}

/** The value must be a JSON array. */
export function expectArray(value: unknown, source: string, field: string, fix: string): unknown[] {
  if (!Array.isArray(value)) fail(source, field, `must be an array, got ${kind(value)} ${show(value)}`, fix);
  return value;
}

/** The value must be an array of exactly `length` entries. */
export function expectLength(arr: unknown[], length: number, source: string, field: string, rule: string, fix: string): void {
  if (arr.length !== length) {
    fail(source, field, `must have ${entries(length)} (${rule}), got ${arr.length}`, fix);
  }
}

/** The value must be a finite number. */
export function expectFinite(value: unknown, source: string, field: string, fix: string): number {
  if (typeof value !== 'number') fail(source, field, `must be a number, got ${kind(value)} ${show(value)}`, fix);
  if (!Number.isFinite(value)) fail(source, field, `must be a finite number, got ${show(value)}`, fix);
  return value;
}

/** The value must be a finite number > 0. */
export function expectPositive(value: unknown, source: string, field: string, unit: string, fix: string): number {
  const x = expectFinite(value, source, field, fix);
  if (!(x > 0)) fail(source, field, `must be positive (> 0 ${unit}), got ${show(x)}`, fix);
  return x;
}

/**
 * The value must be an integer node id in 0..nodes-1, where `nodes` is the network's node count N. With
 * `nodes` undefined (no network at hand) only "integer >= 0" is checked.
 */
export function expectNodeId(
  value: unknown,
  nodes: number | undefined,
  source: string,
  field: string,
  networkName?: string,
): number {
  const range = nodes === undefined ? '0, 1, 2, ...' : `0..${nodes - 1}`;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    fail(source, field, `node id must be an integer in ${range}, got ${kind(value)} ${show(value)}`, `use an integer node id in ${range}`);
  }
  if (nodes !== undefined && value >= nodes) {
    fail(
      source,
      field,
      `unknown node ${value}: ${networkName ?? 'the network'} has ${nodes} nodes, so node ids run ${range}`,
      `use a node id in ${range}`,
    );
  }
  return value;
}

/** `1 entry`, `3 entries`. */
export function entries(n: number): string {
  return `${n} ${n === 1 ? 'entry' : 'entries'}`;
}

/** A short name for the JSON type of a value, for messages. */
export function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return 'the number';
  if (typeof value === 'string') return 'the string';
  if (typeof value === 'boolean') return 'the boolean';
  return typeof value;
}

/** The allowed key nearest to `key` by edit distance, if it is close (at most 2 edits, or a case change). */
export function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const a of allowed) {
    const d = a.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, a);
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return bestD <= 2 ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** Known clln document formats, to say what a file looks like when its `format` is the wrong one. */
const KNOWN_FORMATS: Record<string, string> = {
  'clln.network/1': 'a network file',
  'clln.task/1': 'a task file',
};

/** The document's `format` field must equal `expected` (e.g. `clln.network/1`). */
export function expectFormat(obj: Record<string, unknown>, expected: string, source: string): void {
  const fix = `set "format": ${show(expected)}`;
  if (!('format' in obj)) {
    fail(source, 'format', `required field "format" is missing; this reader expects ${show(expected)}`, fix);
  }
  const got = obj.format;
  if (got === expected) return;
  let note = '';
  if (typeof got === 'string' && KNOWN_FORMATS[got]) note = ` (that is ${KNOWN_FORMATS[got]}; was the wrong file passed?)`;
  else if (typeof got === 'string' && got.split('/')[0] === expected.split('/')[0]) {
    note = ` (this version of clln reads only ${show(expected)})`;
  }
  fail(source, 'format', `must be ${show(expected)}, got ${show(got)}${note}`, fix);
}
