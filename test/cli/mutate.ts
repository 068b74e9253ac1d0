/**
 * fast-check arbitraries that turn a valid JSON document (or a JSON-lines file) into a bad one, the way fuzzing found
 * the failure classes of issue 11: a field replaced by a value of the wrong kind, an extreme number, a huge string or
 * array, a value nested thousands of levels deep, a field removed or added; or the text itself edited (bytes
 * inserted, deleted or replaced, control characters, truncation). Every document stays a few hundred kB at most.
 */
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A value nested `depth` arrays deep, written into the text when the document is serialised. */
class Deep {
  constructor(readonly depth: number) {}
}

type Value = Json | Deep | Value[] | { [key: string]: Value };

/** Values that break rules: wrong kinds, extreme and boundary numbers, huge strings and arrays, deep nesting. */
const badValue: fc.Arbitrary<Value> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(0, -1, 1, 2, 1.5, -0, 1e7, 1e308, -1e308, 5e-324, 2 ** 31, 2 ** 53 + 2, 4096, 4097, 65536, 65537, 1e9 + 1, '', 'x', null, true, [], {}, [[]], [0, 0], ['a']),
  fc.integer({ min: -10, max: 100_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ min: 81, max: 120_000 }).map((n) => 'y'.repeat(n)),
  fc.integer({ min: 60, max: 6000 }).map((d) => new Deep(d)),
  fc.integer({ min: 0, max: 20_000 }).map((n) => new Array<Json>(n).fill(0)),
);

/** Every path (keys and indices) to a value of `doc`, at most `limit` of them (the first ones, breadth first). */
function paths(doc: Json, limit = 4000): (string | number)[][] {
  const out: (string | number)[][] = [];
  const queue: [Json, (string | number)[]][] = [[doc, []]];
  while (queue.length > 0 && out.length < limit) {
    const [v, p] = queue.shift()!;
    out.push(p);
    if (Array.isArray(v)) v.slice(0, 50).forEach((x, i) => queue.push([x, [...p, i]]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) queue.push([x, [...p, k]]);
  }
  return out;
}

type Edit =
  | { kind: 'replace'; value: Value }
  | { kind: 'tweak'; how: number }
  | { kind: 'delete' }
  | { kind: 'add'; key: string; value: Value }
  | { kind: 'duplicate' };

/**
 * A value of the same kind, often still valid: a number moved to a boundary or scaled (so the document gets past the
 * reader to what runs after it), a string lengthened, a boolean negated.
 */
function tweak(v: Value, how: number): Value {
  if (typeof v === 'number') return [0, -v, v + 1, v - 1, v * 2, v * 0.5, v * 10, v * 1e-3, v * (1 + 1e-9), Math.round(v), 1e-300, 1e300][how % 12];
  if (typeof v === 'string') return [v + '1', v.toUpperCase(), v.slice(1), v + '\u0007'][how % 4];
  if (typeof v === 'boolean') return !v;
  return v;
}

const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 6, arbitrary: badValue.map((value): Edit => ({ kind: 'replace', value })) },
  { weight: 4, arbitrary: fc.nat({ max: 1000 }).map((how): Edit => ({ kind: 'tweak', how })) },
  { weight: 1, arbitrary: fc.constant<Edit>({ kind: 'delete' }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('extra', 'Format', 'nodes', 'name', '__proto__', 'constructor', 'x'.repeat(200)), badValue).map(([key, value]): Edit => ({ kind: 'add', key, value })) },
  { weight: 1, arbitrary: fc.constant<Edit>({ kind: 'duplicate' }) },
);

/** Apply `edits` (each at its path) to a deep copy of `doc`; an edit whose path no longer exists is skipped. */
function applyEdits(doc: Json, edits: [(string | number)[], Edit][]): Value {
  const box: Record<string, Value> = { root: structuredClone(doc) as Value };
  for (const [path, e] of edits) {
    const full: (string | number)[] = ['root', ...path];
    let parent = box as Record<string | number, Value>;
    let ok = true;
    for (const k of full.slice(0, -1)) {
      const next = parent[k];
      if (next === null || typeof next !== 'object' || next instanceof Deep) {
        ok = false;
        break;
      }
      parent = next as Record<string | number, Value>;
    }
    const last = full[full.length - 1];
    if (!ok || !Object.hasOwn(parent, last)) continue;
    const target = parent[last];
    switch (e.kind) {
      case 'replace':
        parent[last] = e.value;
        break;
      case 'tweak':
        parent[last] = tweak(target, e.how);
        break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(last as number, 1);
        else if (last === 'root') parent[last] = null;
        else delete parent[last];
        break;
      case 'add':
        if (target !== null && typeof target === 'object' && !Array.isArray(target) && !(target instanceof Deep)) {
          Object.defineProperty(target, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
        } else parent[last] = { [e.key]: e.value } as Value;
        break;
      case 'duplicate':
        if (target instanceof Deep) break;
        if (Array.isArray(parent)) parent.splice(last as number, 0, structuredClone(target));
        else if (Array.isArray(target) && target.length > 0 && !(target[0] instanceof Deep)) (target as Value[]).push(structuredClone(target[0]) as Value);
        break;
    }
  }
  return box.root;
}

/** JSON text of a value that may hold {@link Deep} markers (written as raw nested brackets). */
export function serialise(v: Value): string {
  const deep: number[] = [];
  const text = JSON.stringify(v, (_k, x: unknown) => {
    if (x instanceof Deep) {
      deep.push(x.depth);
      return `\u0000DEEP${deep.length - 1}\u0000`;
    }
    return x;
  });
  return (text ?? 'null').replace(/"\\u0000DEEP(\d+)\\u0000"/g, (_m, i: string) => '['.repeat(deep[Number(i)]) + ']'.repeat(deep[Number(i)]));
}

/** Pieces inserted by text edits: JSON punctuation, control and invisible characters, non-JSON spellings. */
const piece = fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '\u0000', '\u0001', '\u001b[31m', '\n', '\r\n', 'e', '-', '0', '9', '.', 'NaN', 'Infinity', '\ufeff', '\u2028', "'", '//', 'true', 'nul', '\ud800', '[[[[[[[[', 'x'.repeat(300));

/** Text edits: insert, delete or replace a piece at a position (a fraction of the length), or truncate there. */
const textEdit = fc.tuple(fc.constantFrom('insert', 'delete', 'replace', 'truncate'), fc.double({ min: 0, max: 1, noNaN: true }), piece, fc.integer({ min: 1, max: 8 }));

function applyTextEdits(text: string, edits: [string, number, string, number][]): string {
  let t = text;
  for (const [kind, at, p, n] of edits) {
    const i = Math.min(t.length, Math.floor(at * t.length));
    if (kind === 'insert') t = t.slice(0, i) + p + t.slice(i);
    else if (kind === 'delete') t = t.slice(0, i) + t.slice(i + n);
    else if (kind === 'replace') t = t.slice(0, i) + p + t.slice(i + n);
    else t = t.slice(0, i);
  }
  return t;
}

/**
 * Bad versions of the JSON document `doc`: one to three structural edits at random places, or text edits of its
 * serialisation, or a random document, or random bytes' worth of text.
 */
export function mutatedDocument(doc: Json): fc.Arbitrary<string> {
  const all = paths(doc);
  const structural = fc
    .array(fc.tuple(fc.nat({ max: all.length - 1 }), edit), { minLength: 1, maxLength: 3 })
    .map((edits) => serialise(applyEdits(doc, edits.map(([i, e]) => [all[i], e]))));
  const textual = fc.array(textEdit, { minLength: 1, maxLength: 4 }).map((edits) => applyTextEdits(JSON.stringify(doc, null, 1), edits));
  const random = fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ format: (doc as Record<string, Json>).format ?? 'x', v })));
  return fc.oneof({ weight: 6, arbitrary: structural }, { weight: 3, arbitrary: textual }, { weight: 1, arbitrary: random });
}

/**
 * Bad versions of a JSON-lines file (`lines`, each a JSON document): structural edits of one line's document, text
 * edits of the whole file, a line dropped, duplicated or swapped, or random lines.
 */
export function mutatedLines(lines: string[]): fc.Arbitrary<string> {
  const join = (ls: string[]): string => ls.join('\n') + '\n';
  const oneLine = fc.nat({ max: lines.length - 1 }).chain((i) =>
    mutatedDocument(JSON.parse(lines[i]) as Json).map((text) => join([...lines.slice(0, i), text, ...lines.slice(i + 1)])),
  );
  const textual = fc.array(textEdit, { minLength: 1, maxLength: 4 }).map((edits) => applyTextEdits(join(lines), edits));
  const reorder = fc.tuple(fc.nat({ max: lines.length - 1 }), fc.nat({ max: lines.length - 1 }), fc.constantFrom('drop', 'duplicate', 'swap')).map(([i, j, kind]) => {
    const ls = [...lines];
    if (kind === 'drop') ls.splice(i, 1);
    else if (kind === 'duplicate') ls.splice(i, 0, ls[i]);
    else [ls[i], ls[j]] = [ls[j], ls[i]];
    return join(ls);
  });
  const random = fc.array(fc.json({ maxDepth: 3 }), { maxLength: 5 }).map(join);
  return fc.oneof({ weight: 6, arbitrary: oneLine }, { weight: 3, arbitrary: textual }, { weight: 2, arbitrary: reorder }, { weight: 1, arbitrary: random });
}
