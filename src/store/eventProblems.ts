/**
 * Does an event hold exactly what its descriptor says? The event model's contract, checked value by value: every
 * data key of the descriptor is in every event and nothing else is; a value is null only where its key is declared
 * `nullable`; scalars have their dtype; arrays have the declared shape, and elements of the declared `dtype_numpy`.
 * Tests check every event of every kind of run with it; a reader can check a record from elsewhere.
 */
import type { DataKey, JsonValue } from './documents.js';

/** Element kinds of `dtype_numpy` that clln records (JSON has no narrower numeric types). */
const NUMPY_KINDS: Record<string, 'number' | 'integer' | 'boolean'> = { '<f8': 'number', '<i8': 'integer', '|b1': 'boolean' };

/**
 * What is wrong with a descriptor's data keys themselves: an unknown dtype, a shape that is not a list of sizes
 * (scalars `[]`, arrays at least one axis), a `nodes` list that does not match the first axis, an unknown
 * `dtype_numpy`. Empty when they are consistent.
 */
export function descriptorProblems(dataKeys: Record<string, DataKey>): string[] {
  const out: string[] = [];
  for (const [key, k] of Object.entries(dataKeys)) {
    const { dtype, shape } = k;
    if (!['number', 'integer', 'array', 'string', 'boolean'].includes(dtype)) out.push(`${key}: unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n >= 0)) {
      out.push(`${key}: shape must be a list of sizes, got ${JSON.stringify(shape)}`);
      continue;
    }
    if (dtype === 'array' && shape.length === 0) out.push(`${key}: an array needs a shape with at least one axis`);
    if (dtype !== 'array' && shape.length !== 0) out.push(`${key}: a scalar (${dtype}) has shape [], got ${JSON.stringify(shape)}`);
    if (k.dtype_numpy !== undefined && !(k.dtype_numpy in NUMPY_KINDS)) out.push(`${key}: dtype_numpy ${JSON.stringify(k.dtype_numpy)} is not one of ${Object.keys(NUMPY_KINDS).join(', ')}`);
    if (k.nodes !== undefined) {
      if (!Array.isArray(k.nodes) || !k.nodes.every((n) => Number.isInteger(n) && n >= 0)) out.push(`${key}: nodes must be a list of node numbers`);
      else if (k.nodes.length !== shape[0]) out.push(`${key}: nodes lists ${k.nodes.length} nodes for an axis of ${shape[0]}`);
    }
  }
  return out;
}

/**
 * Where an event's `data` disagrees with the descriptor's data keys, one line per problem (key, rule, what was
 * found, at most the first 5 problems of a key's elements); empty when it conforms.
 */
export function eventProblems(dataKeys: Record<string, DataKey>, data: Record<string, JsonValue>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(data)) if (!Object.hasOwn(dataKeys, key)) out.push(`${key}: not declared in the descriptor`);
  for (const [key, k] of Object.entries(dataKeys)) {
    if (!Object.hasOwn(data, key)) {
      out.push(`${key}: missing (every event holds every declared key)`);
      continue;
    }
    const v = data[key];
    if (v === null) {
      if (k.nullable !== true) out.push(`${key}: null, but the key is not declared nullable`);
      continue;
    }
    if (k.dtype !== 'array') {
      if (!isScalar(v, k.dtype)) out.push(`${key}: expected ${k.dtype}, got ${brief(v)}`);
      continue;
    }
    const element = k.dtype_numpy !== undefined ? NUMPY_KINDS[k.dtype_numpy] : undefined;
    const bad: string[] = [];
    checkArray(v, k.shape, 0, key, element, bad);
    out.push(...bad.slice(0, 5));
    if (bad.length > 5) out.push(`${key}: ${bad.length - 5} more problems`);
  }
  return out;
}

function checkArray(v: JsonValue, shape: number[], axis: number, at: string, element: 'number' | 'integer' | 'boolean' | undefined, out: string[]): void {
  if (axis === shape.length) {
    if (element !== undefined && !isScalar(v, element)) out.push(`${at}: expected ${element}, got ${brief(v)}`);
    return;
  }
  if (!Array.isArray(v)) {
    out.push(`${at}: expected an array of ${shape[axis]}, got ${brief(v)}`);
    return;
  }
  if (v.length !== shape[axis]) {
    out.push(`${at}: expected ${shape[axis]} values (shape ${JSON.stringify(shape)}), got ${v.length}`);
    return;
  }
  v.forEach((x, i) => checkArray(x, shape, axis + 1, `${at}[${i}]`, element, out));
}

function isScalar(v: JsonValue, dtype: string): boolean {
  switch (dtype) {
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    default:
      return false;
  }
}

function brief(v: JsonValue): string {
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
