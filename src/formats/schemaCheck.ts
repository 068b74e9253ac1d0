/**
 * Structural validation of clln's JSON documents against the JSON Schemas the package ships
 * (`src/formats/schemas/*.schema.json`), with ajv. The schema is the one statement of a format's structure (types,
 * required and allowed fields, counts and ranges); readers call {@link checkAgainstSchema} once and then check only
 * what a schema cannot say (node ids below the network's node count, one entry per edge, no duplicate edge, ...).
 *
 * Errors become one {@link InvalidInputError} naming the file, the JSON path in clln's style (`edges[3][1]`,
 * `train[0].in`), the rule broken with the value found, and a fix. The rule is the schema node's `rule` annotation
 * when it has one ("must be a positive integer, at most 200000 (the limit of the format), got 2.5"), else said from
 * the keyword that failed; the fix is its `fix` annotation, else its description. (`rule` and `fix` are clln
 * keywords, declared to ajv; other validators ignore them as unknown annotations.) ajv stops at the first error (`allErrors: false`), so a document with a million bad entries costs
 * no more than one with a single bad entry, and every quoted value is bounded by `show()`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { InvalidInputError, show } from '../errors.js';
import { packagePath } from '../packageFiles.js';
import { child, closest, kind } from './jsonChecks.js';

/** The shipped schemas, by the `format` string of the documents they describe. */
export const SCHEMA_FILES = {
  'clln.network/1': 'clln.network-1.schema.json',
  'clln.task/1': 'clln.task-1.schema.json',
  'clln.board/1': 'clln.board-1.schema.json',
  'clln.calibration-plan/1': 'clln.calibration-plan-1.schema.json',
  'clln.calibration/1': 'clln.calibration-1.schema.json',
  'clln.ensemble/1': 'clln.ensemble-1.schema.json',
  'clln.springs/1': 'clln.springs-1.schema.json',
  'clln.strain-task/1': 'clln.strain-task-1.schema.json',
} as const;

/** A format clln ships a schema for. */
export type SchemaFormat = keyof typeof SCHEMA_FILES;

/** Where the shipped schemas are (inside the installed package; found from this file, in the sources or in dist/). */
export function schemasDir(): string {
  return packagePath('src', 'formats', 'schemas');
}

/** One ajv instance for every schema: strict (a typo in a schema is an error), first error only, verbose (the failing schema node and value). */
function newAjv(): Ajv2020 {
  // ajv is loaded on first use (a CommonJS module, so synchronously through require): loading it and compiling a
  // schema take longer than reading a large network file, and a valid document usually never needs it (see
  // checkAgainstSchema).
  const { Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv2020({ strict: true, allErrors: false, verbose: true, discriminator: true });
  // clln's annotations: what a value here must be, in words ("a positive integer, at most 200000"), and the fix a
  // user should apply when it is not. Other validators ignore them as unknown annotations.
  ajv.addKeyword({ keyword: 'rule', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'fix', schemaType: 'string' });
  // every shipped schema under its file name (its $id where it has one), so that one can refer to another: a
  // calibration record holds its plan, a clln.calibration-plan/1 document
  for (const [format, file] of Object.entries(SCHEMA_FILES) as [SchemaFormat, string][]) {
    const schema = JSON.parse(readFileSync(join(schemasDir(), file), 'utf8')) as object;
    shipped.set(format, schema);
    ajv.addSchema(schema, file);
  }
  return ajv;
}

let ajv: Ajv2020 | undefined;
/** The shipped schemas as parsed (ajv keeps these very objects), to tell in which one a failing schema node sits. */
const shipped = new Map<SchemaFormat, object>();

/** The compiled validator of a shipped schema (compiled by ajv on first use, then cached). */
export function schemaValidator(format: SchemaFormat): ValidateFunction {
  ajv ??= newAjv();
  const v = ajv.getSchema(SCHEMA_FILES[format]);
  if (!v) throw new Error(`no schema ${SCHEMA_FILES[format]}`);
  return v;
}

/**
 * Check `doc` against the shipped schema of `format`.
 * @param doc the value from `JSON.parse` (or a document built in memory)
 * @param source where it came from (a file name), for the message
 * @param parent JSON path of the document inside an enclosing one (e.g. `plan` in a calibration record), for messages
 * @throws InvalidInputError at the first place the document breaks the schema
 */
export function checkAgainstSchema(doc: unknown, format: SchemaFormat, source: string, parent?: string): void {
  // Most documents are valid, and the common keywords can be checked directly against the schema's own text; ajv
  // (loaded and compiled on first use) is needed only where that cannot tell, and it is what words every error.
  const schema = shippedSchema(format);
  if (provenValid(schema, schema, doc)) return;
  const validate = schemaValidator(format);
  if (validate(doc)) return;
  // ajv (first error only) lists, for a oneOf that failed, each form's first error and then the oneOf's own, last
  const errors = validate.errors ?? [];
  let err = errors[errors.length - 1]?.keyword === 'oneOf' ? errors[errors.length - 1] : errors[0];
  if (!err) throw new InvalidInputError({ source, field: parent }, `does not match the ${format} schema`, `see ${SCHEMA_FILES[format]}`);
  // A value that matches none of a oneOf's forms: report the first error of the form it evidently means, which says
  // far more than "must match exactly one schema in oneOf".
  let owner = ownerOf(err, format);
  for (let depth = 0; err.keyword === 'oneOf' && depth < 8; depth++) {
    const inner = branchError(err, SCHEMA_FILES[owner]);
    if (!inner) break;
    err = inner;
    owner = ownerOf(err, owner);
  }
  throw schemaError(err, source, owner, parent);
}

const parsedSchemas = new Map<SchemaFormat, SchemaObject>();

/** The shipped schema of `format` as parsed from its file (read once). */
function shippedSchema(format: SchemaFormat): SchemaObject {
  let schema = parsedSchemas.get(format);
  if (!schema) {
    schema = JSON.parse(readFileSync(join(schemasDir(), SCHEMA_FILES[format]), 'utf8')) as SchemaObject;
    parsedSchemas.set(format, schema);
  }
  return schema;
}

type SchemaObject = Record<string, unknown>;

/** Keywords that say nothing about validity (annotations, clln's `rule` and `fix`, definitions used through $ref). */
const ANNOTATIONS = new Set(['$schema', '$id', '$comment', '$defs', 'title', 'description', 'rule', 'fix', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly']);

/**
 * True when `value` certainly satisfies `schema` (a node of the document `root`), judged from the keywords whose
 * meaning is plain (type, const, enum, required, properties, additionalProperties, items, prefixItems, min/maxItems,
 * uniqueItems over numbers and strings, the numeric bounds, min/maxLength, a `#/$defs/...` $ref); false when it does
 * not, or when the schema uses anything else there (oneOf, patterns, ...) or the value is unusual (not a plain JSON
 * value). False is no verdict: the caller then asks ajv. True must never be said where ajv would refuse the value;
 * test/formats/schemaCheck.test.ts compares the two on many valid and broken documents.
 *
 * Each schema node is turned once into a small function of the value (cached), so that a list of a million edges
 * costs a loop over them and not a walk of the schema per entry.
 */
export function provenValid(schema: unknown, root: SchemaObject, value: unknown): boolean {
  return checkerOf(schema, root)(value);
}

type Check = (value: unknown) => boolean;

/** The compiled check of each schema node (nodes belong to one root each: the shipped schemas are separate objects). */
const checkers = new WeakMap<object, Check>();
const never: Check = () => false;
const always: Check = (v) => v !== undefined;

function checkerOf(schema: unknown, root: SchemaObject): Check {
  if (schema === true) return always;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return never;
  let check = checkers.get(schema);
  if (!check) {
    // a placeholder first, so that a schema that refers to itself compiles (the reference is resolved when called)
    checkers.set(schema, (v) => checkers.get(schema)!(v));
    check = compileNode(schema as SchemaObject, root);
    checkers.set(schema, check);
  }
  return check;
}

function compileNode(node: SchemaObject, root: SchemaObject): Check {
  if (!Object.keys(node).every((key) => ANNOTATIONS.has(key) || KNOWN_KEYWORDS.has(key))) return never;
  const checks: Check[] = [];
  if (node.$ref !== undefined) {
    const ref = node.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/$defs/')) return never;
    const defs = root.$defs as SchemaObject | undefined;
    const name = ref.slice('#/$defs/'.length);
    if (!defs || !Object.hasOwn(defs, name)) return never;
    const target = defs[name];
    checks.push((v) => checkerOf(target, root)(v));
  }
  if (node.type !== undefined) {
    const type = node.type;
    checks.push((v) => hasType(type, v));
  }
  if (node.const !== undefined) {
    const c = node.const;
    if (!isPrimitive(c)) return never;
    checks.push((v) => v === c);
  }
  if (node.enum !== undefined) {
    const values = node.enum;
    if (!Array.isArray(values) || !values.every(isPrimitive)) return never;
    checks.push((v) => values.includes(v as never));
  }
  const numeric = numberCheck(node);
  if (numeric === null) return never;
  const strings = stringCheck(node);
  if (strings === null) return never;
  const arrays = arrayCheck(node, root);
  if (arrays === null) return never;
  const objects = objectCheck(node, root);
  if (objects === null) return never;
  checks.push((v) => {
    if (v === undefined) return false;
    if (typeof v === 'number') return numeric(v);
    if (typeof v === 'string') return strings(v);
    if (Array.isArray(v)) return arrays(v);
    if (typeof v === 'object' && v !== null) return objects(v as SchemaObject);
    return true;
  });
  if (checks.length === 1) return checks[0];
  return (v) => {
    for (let i = 0; i < checks.length; i++) if (!checks[i](v)) return false;
    return true;
  };
}

/** Bounds of a number (and finiteness: ajv's number types refuse Infinity, and a bare one proves nothing). */
function numberCheck(node: SchemaObject): ((v: number) => boolean) | null {
  const bound = (k: string): number | null | undefined => (node[k] === undefined ? undefined : typeof node[k] === 'number' ? (node[k] as number) : null);
  const min = bound('minimum');
  const max = bound('maximum');
  const xmin = bound('exclusiveMinimum');
  const xmax = bound('exclusiveMaximum');
  if (min === null || max === null || xmin === null || xmax === null) return null;
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  const xlo = xmin ?? -Infinity;
  const xhi = xmax ?? Infinity;
  return (v) => Number.isFinite(v) && v >= lo && v <= hi && (xmin === undefined || v > xlo) && (xmax === undefined || v < xhi);
}

/** Lengths count code points; value.length (UTF-16 units) is at least that, so it proves a maximum. */
function stringCheck(node: SchemaObject): ((v: string) => boolean) | null {
  const maxLength = node.maxLength;
  const minLength = node.minLength;
  if ((maxLength !== undefined && typeof maxLength !== 'number') || (minLength !== undefined && typeof minLength !== 'number')) return null;
  return (v) => (maxLength === undefined || v.length <= maxLength) && (minLength === undefined || [...v].length >= minLength);
}

function arrayCheck(node: SchemaObject, root: SchemaObject): ((v: unknown[]) => boolean) | null {
  const { minItems, maxItems, prefixItems, items, uniqueItems } = node;
  if ((minItems !== undefined && typeof minItems !== 'number') || (maxItems !== undefined && typeof maxItems !== 'number')) return null;
  if (prefixItems !== undefined && !Array.isArray(prefixItems)) return null;
  if (uniqueItems !== undefined && typeof uniqueItems !== 'boolean') return null;
  const prefix = prefixItems === undefined ? [] : (prefixItems as unknown[]).map((p) => checkerOf(p, root));
  const rest = items === undefined || items === true ? null : items === false ? never : checkerOf(items, root);
  return (v) => {
    const n = v.length;
    if ((minItems !== undefined && n < minItems) || (maxItems !== undefined && n > maxItems)) return false;
    const from = Math.min(n, prefix.length);
    for (let i = 0; i < from; i++) if (!prefix[i](v[i])) return false;
    if (rest !== null) for (let i = from; i < n; i++) if (!rest(v[i])) return false;
    if (uniqueItems === true) {
      // equal numbers or strings only (ajv compares deeply; 0 and -0 count as equal by both)
      const seen = new Set<unknown>();
      for (let i = 0; i < n; i++) {
        const x = v[i];
        if ((typeof x !== 'number' && typeof x !== 'string') || seen.has(x)) return false;
        seen.add(x);
      }
    }
    return true;
  };
}

function objectCheck(node: SchemaObject, root: SchemaObject): ((v: SchemaObject) => boolean) | null {
  const { required, properties, additionalProperties } = node;
  if (required !== undefined && !(Array.isArray(required) && required.every((k) => typeof k === 'string'))) return null;
  if (properties !== undefined && (typeof properties !== 'object' || properties === null || Array.isArray(properties))) return null;
  const props = new Map<string, Check>();
  for (const [k, p] of Object.entries((properties ?? {}) as SchemaObject)) props.set(k, checkerOf(p, root));
  const extra = additionalProperties === undefined || additionalProperties === true ? null : additionalProperties === false ? never : checkerOf(additionalProperties, root);
  const req = (required ?? []) as string[];
  return (v) => {
    // a plain object as JSON.parse makes it: no inherited fields for ajv's `for ... in` to meet
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return false;
    for (const k of req) if (!Object.hasOwn(v, k) || v[k] === undefined) return false;
    for (const k of Object.keys(v)) {
      const x = v[k];
      if (x === undefined) return false;
      const p = props.get(k);
      if (p !== undefined) {
        if (!p(x)) return false;
      } else if (extra !== null && !extra(x)) {
        return false;
      }
    }
    return true;
  };
}

const KNOWN_KEYWORDS = new Set([
  '$ref', 'type', 'const', 'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength',
  'items', 'prefixItems', 'minItems', 'maxItems', 'uniqueItems', 'required', 'properties', 'additionalProperties',
]);

function isPrimitive(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** JSON Schema's types, as ajv checks them (numbers finite; integer: a finite number without fraction). */
function hasType(type: unknown, value: unknown): boolean {
  if (Array.isArray(type)) return type.some((t) => hasType(t, value));
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      return false;
  }
}

/**
 * The shipped schema in which an error's schema node (its parentSchema) sits, found at the error's schemaPath: an
 * error inside a schema that another refers to (the plan inside a calibration record) has its path within that one.
 * `fallback` when none holds it there (a path within a oneOf form compiled on its own: the schema of that oneOf).
 */
function ownerOf(err: ErrorObject, fallback: SchemaFormat): SchemaFormat {
  const keys = (err.schemaPath.split('#')[1] ?? '').split('/').slice(1, -1).map((k) => decodeURIComponent(k).replace(/~1/g, '/').replace(/~0/g, '~'));
  for (const [format, schema] of shipped) {
    let node: unknown = schema;
    for (const k of keys) node = (node as Record<string, unknown> | undefined)?.[k];
    if (node === err.parentSchema) return format;
  }
  return fallback;
}

/**
 * For a failed oneOf: the form the value means — for an object, the form whose fields it shares most (fewest unknown
 * fields, then most required ones present); otherwise the first form of its JSON type — and that form's first error,
 * its path below the oneOf's. Undefined when no form can be told.
 */
function branchError(err: ErrorObject, rootId: string): ErrorObject | undefined {
  const forms = (err.parentSchema as { oneOf?: object[] } | undefined)?.oneOf;
  if (!forms || !ajv) return undefined;
  const data: unknown = err.data;
  let best: { v: ValidateFunction; score: number[] } | undefined;
  let objectForms = 0;
  forms.forEach((form, i) => {
    const v = ajv!.getSchema(`${rootId}#${err.schemaPath.split('#')[1]}/${i}`);
    if (!v) return;
    const f = resolved(form, rootId);
    const isObject = f.type === 'object' || f.properties !== undefined;
    if (isObject) objectForms++;
    // scores compared in order: fewest unknown fields (a near miss of one of its own is a typo, not unknown), most
    // near misses, most fields equal to the form's constant (a "kind"), largest share of its required fields present,
    // fewest fields
    let score: number[];
    const objectScore = (o: object, g: FormSchema): number[] => {
      const keys = Object.keys(o);
      const known = Object.keys(g.properties ?? {});
      const required = g.required ?? [];
      const unknown = keys.filter((k) => !known.includes(k));
      // an unknown field close to one of this form's (a typo) counts for the form
      const near = unknown.filter((k) => closest(k, known) !== undefined).length;
      const consts = known.filter((k) => {
        const c = (g.properties?.[k] as { const?: unknown }).const;
        return c !== undefined && c === (o as Record<string, unknown>)[k];
      }).length;
      return [-(unknown.length - near), near, consts, required.length ? required.filter((k) => keys.includes(k)).length / required.length : 0, -known.length];
    };
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
      if (!isObject) return;
      score = objectScore(data, f);
    } else if (Array.isArray(data)) {
      if (f.type !== 'array') return;
      // a list of objects: the form whose entries the first entry resembles
      const first: unknown = data[0];
      const items = f.items && typeof f.items === 'object' ? resolved(f.items, rootId) : undefined;
      score = typeof first === 'object' && first !== null && !Array.isArray(first) && items?.properties ? objectScore(first, items) : [0];
    } else if (typeof data === 'string') {
      if (!(typeof f.const === 'string' || f.type === 'string')) return;
      score = [0];
    } else return;
    const better = (a: number[], b: number[]): boolean => {
      for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return a[k] > b[k];
      return false;
    };
    if (!best || better(score, best.score)) best = { v, score };
  });
  if (!best && objectForms === forms.length) {
    // every form is an object and the value is not one: say that
    return { ...err, keyword: 'type', params: { type: 'object' } };
  }
  if (!best) {
    // no form of the value's JSON type: name the forms there are
    const kinds = forms.map((form) => {
      const f = resolved(form, rootId);
      return f.const !== undefined ? show(f.const) : f.type === 'array' ? 'an array' : f.type === 'string' ? 'a string' : 'an object';
    });
    return { ...err, keyword: 'forms', params: { forms: [...new Set(kinds)] } };
  }
  if (!best) return undefined;
  const chosen = best as { v: ValidateFunction };
  chosen.v(data);
  const e = chosen.v.errors?.[0];
  return e ? { ...e, instancePath: err.instancePath + e.instancePath } : undefined;
}

interface FormSchema {
  $ref?: string;
  items?: object | boolean;
  type?: string;
  const?: unknown;
  properties?: Record<string, unknown>;
  required?: string[];
}

/** A oneOf form with its local `$ref` followed (the forms here are `#/$defs/...` references or inline). */
function resolved(form: object, rootId: string): FormSchema {
  let f = form as FormSchema;
  for (let i = 0; i < 4 && f.$ref; i++) {
    const [file, ptr] = f.$ref.split('#');
    const target = ajv?.getSchema(`${file || rootId}#${ptr}`)?.schema as FormSchema | undefined;
    if (!target) break;
    f = target;
  }
  return f;
}

/** The JSON path of an ajv instancePath (`/edges/3/1` -> `edges[3][1]`), in clln's style. */
export function jsonPath(instancePath: string, parent?: string): string | undefined {
  if (instancePath === '') return parent;
  let path: string | undefined = parent;
  for (const raw of instancePath.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = /^(0|[1-9][0-9]*)$/.test(key) ? child(path, Number(key)) : child(path, key);
  }
  return path;
}

interface SchemaNode {
  additionalProperties?: unknown;
  rule?: string;
  fix?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
}

function fixOf(node: SchemaNode | undefined, format: SchemaFormat): string {
  if (node?.fix) return node.fix;
  if (node?.description) return `the ${format} format says: ${node.description}`;
  return `see the ${format} schema (${SCHEMA_FILES[format]})`;
}

/** The value found, for a message: `the number 2.5`, `the string "4"`, `null`, `an array [1, 2]`. */
function found(data: unknown): string {
  return data === null ? 'null' : `${kind(data)} ${show(data)}`;
}

function entriesText(n: number): string {
  return n === 1 ? '1 entry' : `${n} entries`;
}

function schemaError(err: ErrorObject, source: string, format: SchemaFormat, within?: string): InvalidInputError {
  const at = jsonPath(err.instancePath, within);
  const parent = err.parentSchema as SchemaNode | undefined;
  const data: unknown = err.data;
  const p = err.params as Record<string, unknown>;
  const fail = (field: string | undefined, problem: string, fix: string): InvalidInputError =>
    new InvalidInputError({ source, field }, problem, fix);
  // A value that breaks a node with a stated rule is told that rule, whichever keyword caught it.
  if (parent?.rule && err.keyword !== 'required' && err.keyword !== 'additionalProperties') {
    return fail(at, `must be ${parent.rule}, got ${found(data)}`, fixOf(parent, format));
  }
  switch (err.keyword) {
    case 'required': {
      const key = String(p.missingProperty);
      // A required field is most often missing because it is misspelt: an unknown field beside it is named instead
      // (where the node allows only its own fields; a node that only picks a form, by "kind", knows not all of them).
      if (typeof data === 'object' && data !== null && parent?.additionalProperties === false) {
        const known = Object.keys(parent?.properties ?? {});
        const typo = Object.keys(data).find((k) => !known.includes(k));
        if (typo !== undefined) {
          const near = closest(typo, known);
          return fail(
            child(at, typo),
            `unknown field ${show(typo)}; allowed fields are ${known.map((k) => show(k)).join(', ')}`,
            near ? `did you mean ${show(near)}?` : `rename it to the missing required field ${show(key)}, or remove it`,
          );
        }
      }
      return fail(child(at, key), `required field ${show(key)} is missing`, fixOf(parent?.properties?.[key], format));
    }
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = Object.keys(parent?.properties ?? {});
      const near = closest(key, allowed);
      return fail(
        child(at, key),
        `unknown field ${show(key)}; allowed fields are ${allowed.map((k) => show(k)).join(', ')}`,
        near ? `did you mean ${show(near)}? Otherwise remove it` : (parent?.fix ?? 'remove it'),
      );
    }
    case 'type': {
      const want = String(p.type).split(',').map((t) => (t === 'integer' ? 'an integer' : t === 'array' || t === 'object' ? `an ${t}` : `a ${t}`));
      return fail(at, `must be ${want.join(' or ')}, got ${found(data)}`, fixOf(parent, format));
    }
    case 'forms':
      return fail(at, `must be ${(p.forms as string[]).join(' or ')}, got ${found(data)}`, fixOf(parent, format));
    case 'const':
      return fail(at, `must be ${show(p.allowedValue)}, got ${show(data)}`, fixOf(parent, format));
    case 'enum':
      return fail(at, `must be one of ${(p.allowedValues as unknown[]).map((v) => show(v)).join(', ')}; got ${show(data)}`, fixOf(parent, format));
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return fail(at, `must be ${String(p.comparison)} ${String(p.limit)}, got ${show(data)}`, fixOf(parent, format));
    case 'minItems':
      return fail(at, `must have at least ${entriesText(Number(p.limit))}, got ${Array.isArray(data) ? data.length : show(data)}`, fixOf(parent, format));
    case 'maxItems':
      return fail(at, `must have at most ${entriesText(Number(p.limit))} (the limit of the format), got ${Array.isArray(data) ? data.length : show(data)}`, fixOf(parent, format));
    case 'items':
      return fail(at, `must have at most ${entriesText(Number(p.limit))}, got ${Array.isArray(data) ? data.length : show(data)}`, fixOf(parent, format));
    case 'minLength':
      return fail(at, `must be at least ${String(p.limit)} characters long, got ${typeof data === 'string' ? data.length : show(data)}`, fixOf(parent, format));
    case 'maxLength':
      return fail(at, `must be at most ${String(p.limit)} characters long, got ${typeof data === 'string' ? data.length : show(data)}`, fixOf(parent, format));
    case 'uniqueItems': {
      // ajv names the two equal entries; point at the later one, as a reader scanning the list meets it.
      const [first, again] = [Number(p.j), Number(p.i)].sort((x, y) => x - y);
      return fail(
        child(at, again),
        `${show((data as unknown[])[again])} is listed twice (also at ${child(at, first)}); each entry may appear once`,
        fixOf(parent, format),
      );
    }
    case 'pattern':
      return fail(at, `must match ${show(p.pattern)}, got ${show(data)}`, fixOf(parent, format));
    case 'multipleOf':
      return fail(at, `must be a multiple of ${String(p.multipleOf)}, got ${show(data)}`, fixOf(parent, format));
    default:
      // oneOf/anyOf/if-then and the rest: ajv's own wording, still located and bounded.
      return fail(at, `${err.message ?? 'does not match the schema'} (${err.keyword}), got ${show(data)}`, fixOf(parent, format));
  }
}
