/**
 * A run's events as a flat table, shared by the CSV and Parquet exports: one row per event; columns `seq_num`,
 * `time`, then every data key in descriptor order, arrays flattened to `key_0, key_1, ...` (nested arrays to
 * `key_0_1`, objects to `key.field`). An array whose data key lists the node of each element (`nodes`) is labelled
 * by node instead: `vf_9, vf_10` for the readings of nodes 9 and 10. A value absent from an event (a shorter array, a
 * missing key) is null.
 */
import { InvalidInputError } from '../errors.js';
import type { DataKey, JsonValue, RunRecord } from './documents.js';

/** Kind of a flat column; `timestamp`: epoch seconds (the event's `time`), a timestamp in Parquet. */
export type ColumnKind = 'int64' | 'double' | 'timestamp' | 'boolean' | 'string';

export interface FlatColumn {
  name: string;
  kind: ColumnKind;
  /** The data key's units (every element of an array key has the key's units). */
  units?: string;
  /** One value per row; null where the event had no value (or a non-finite number, which JSON records as null). */
  values: (number | boolean | string | null)[];
}

export interface FlatTable {
  rows: number;
  columns: FlatColumn[];
}

/** Flatten a run's events into columns. */
export function flattenRun(run: RunRecord): FlatTable {
  const rows = run.events.length;
  const keys = Object.keys(run.descriptor.data_keys);
  for (const ev of run.events) for (const k of Object.keys(ev.data)) if (!keys.includes(k)) keys.push(k);

  // Column names in order of first appearance within each key's group (arrays grow at the end).
  const cols = new Map<string, (JsonValue | undefined)[]>();
  const groups = keys.map(() => [] as string[]);
  const labels = keys.map((key) => nodeLabels(run.descriptor.data_keys[key]));
  run.events.forEach((ev, row) => {
    keys.forEach((key, g) => {
      if (!(key in ev.data)) return;
      // a null array (a nullable array key without a value at this step, e.g. a simulated run's conductance between
      // snapshots) leaves its element columns null; it is not a column of its own
      if (ev.data[key] === null && run.descriptor.data_keys[key]?.dtype === 'array') return;
      leaves(key, ev.data[key], labels[g], (name, v) => {
        let c = cols.get(name);
        if (!c) {
          c = new Array(rows);
          cols.set(name, c);
          groups[g].push(name);
        }
        c[row] = v;
      });
    });
  });

  const columns: FlatColumn[] = [
    { name: 'seq_num', kind: 'int64', values: run.events.map((e) => e.seq_num) },
    { name: 'time', kind: 'timestamp', values: run.events.map((e) => e.time) },
  ];
  const seen = new Set(['seq_num', 'time']);
  keys.forEach((key, g) => {
    const dk = run.descriptor.data_keys[key];
    const integer = dk?.dtype === 'integer' || (dk?.dtype === 'array' && dk.dtype_numpy === '<i8');
    for (const name of groups[g]) {
      if (seen.has(name)) {
        throw new InvalidInputError({ source: run.path, field: `data key ${key}` }, `flattens to a column named ${name}, which another column has already`, 'rename the data key');
      }
      seen.add(name);
      const c = column(name, cols.get(name)!, rows, integer);
      if (typeof dk?.units === 'string') c.units = dk.units;
      columns.push(c);
    }
  });
  return { rows, columns };
}

/** The labels of a data key's first axis: its `nodes` when it lists one per element, else none (indices). */
function nodeLabels(dk: DataKey | undefined): number[] | undefined {
  const nodes = dk?.nodes;
  return Array.isArray(nodes) && dk?.dtype === 'array' && nodes.length === dk.shape?.[0] ? nodes : undefined;
}

/**
 * Call `emit` for every scalar inside `v` with its flattened name; the outer array's elements are named by `labels`
 * where given (an element beyond them by its index). An empty array or object yields no column.
 */
function leaves(name: string, v: JsonValue | undefined, labels: number[] | undefined, emit: (name: string, v: JsonValue) => void): void {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(`${name}_${labels && i < labels.length ? labels[i] : i}`, x, undefined, emit));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(`${name}.${k}`, x, undefined, emit);
  else if (v !== undefined) emit(name, v);
}

/**
 * Type a column from its values: all booleans -> boolean; all numbers -> int64 when the key's dtype is integer
 * and every value is a safe integer, else double; anything else -> string (non-strings as JSON).
 */
function column(name: string, raw: (JsonValue | undefined)[], rows: number, integer: boolean): FlatColumn {
  const values: (number | boolean | string | null)[] = new Array(rows);
  let nums = 0;
  let ints = 0;
  let bools = 0;
  let present = 0;
  for (let i = 0; i < rows; i++) {
    const v = raw[i];
    if (v === undefined || v === null) continue;
    present++;
    if (typeof v === 'number') {
      nums++;
      if (Number.isSafeInteger(v)) ints++;
    } else if (typeof v === 'boolean') bools++;
  }
  const kind: ColumnKind = present > 0 && bools === present ? 'boolean' : nums === present ? (integer && ints === present ? 'int64' : 'double') : 'string';
  for (let i = 0; i < rows; i++) {
    const v = raw[i];
    if (v === undefined || v === null) values[i] = null;
    else if (kind === 'string') values[i] = typeof v === 'string' ? v : JSON.stringify(v);
    else values[i] = v as number | boolean;
  }
  return { name, kind, values };
}

/**
 * The evaluation stream of a run as a run of its own (its descriptor and events in place of the primary stream's),
 * for the exports; undefined when the run has no evaluations.
 */
export function evaluationRun(run: RunRecord): RunRecord | undefined {
  if (!run.evaluation) return undefined;
  const { evaluation: _e, ...rest } = run;
  return { ...rest, descriptor: run.evaluation.descriptor, events: run.evaluation.events };
}

/** `run.parquet` -> `run.evaluation.parquet` (before the last extension, or at the end when there is none). */
export function evaluationPath(out: string): string {
  const slash = Math.max(out.lastIndexOf('/'), out.lastIndexOf('\\'));
  const dot = out.lastIndexOf('.');
  return dot > slash + 1 ? `${out.slice(0, dot)}.evaluation${out.slice(dot)}` : `${out}.evaluation`;
}
