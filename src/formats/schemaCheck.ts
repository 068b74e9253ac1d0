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
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
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
