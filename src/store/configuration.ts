/**
 * Descriptor `configuration` entries (Bluesky event model): for each object, the readings that interpret a stream's
 * data without changing during it — `{data, timestamps, data_keys}` — e.g. the board's identity, the calibration in
 * force, the rule's parameters. Lab tools (databroker, the best-effort callback) show them beside the data.
 */
import type { DataKey, JsonValue } from './documents.js';

/** One object's configuration: its values (undefined ones left out), each stamped `time` and described by dtype. */
export interface ConfigurationEntry {
  data: Record<string, JsonValue>;
  timestamps: Record<string, number>;
  data_keys: Record<string, DataKey>;
}

/**
 * The configuration of one object from plain values: numbers are `integer` or `number`, arrays of numbers `array`
 * (with `dtype_numpy`), strings and booleans as they are; `units` names the units of the keys that have some.
 */
export function configurationEntry(values: Record<string, JsonValue | undefined>, source: string, time: number, units: Record<string, string> = {}): ConfigurationEntry {
  const entry: ConfigurationEntry = { data: {}, timestamps: {}, data_keys: {} };
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined || v === null) continue;
    const dk = describe(v, source);
    if (!dk) continue;
    if (units[k] !== undefined) dk.units = units[k];
    entry.data[k] = v;
    entry.timestamps[k] = time;
    entry.data_keys[k] = dk;
  }
  return entry;
}

function describe(v: JsonValue, source: string): DataKey | undefined {
  if (typeof v === 'number') return { dtype: Number.isInteger(v) ? 'integer' : 'number', shape: [], source };
  if (typeof v === 'string') return { dtype: 'string', shape: [], source };
  if (typeof v === 'boolean') return { dtype: 'boolean', shape: [], source };
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) {
    return { dtype: 'array', shape: [v.length], source, dtype_numpy: (v as number[]).every(Number.isInteger) ? '<i8' : '<f8' };
  }
  return undefined; // nested objects stay in the start document only
}
