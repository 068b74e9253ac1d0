/**
 * How wide an export of a run would be, and leaving data keys out of it. A simulated run of a large network records
 * one conductance per edge in its snapshot events: exported as is, that is one column per edge (65,000 for a
 * 16,384-node lattice), which `clln export` does not write without being asked (`--columns N` or `--omit KEY`).
 */
import type { RunRecord } from './documents.js';

/** Columns `clln export` writes without `--columns`: wider tables must be asked for, or keys left out. */
export const DEFAULT_MAX_EXPORT_COLUMNS = 1000;

/**
 * Columns per data key of the descriptor (an array of shape [n] flattens to n columns, [n, m] to n x m; a scalar to
 * 1), plus `seq_num` and `time`. Nested objects are not declared by shape and count 1 each.
 */
export function exportWidth(run: RunRecord): { total: number; perKey: { key: string; columns: number }[] } {
  const perKey = Object.entries(run.descriptor.data_keys).map(([key, dk]) => {
    const shape = Array.isArray(dk?.shape) ? dk.shape : [];
    return { key, columns: shape.reduce((a, n) => a * (typeof n === 'number' && n > 0 ? n : 1), 1) };
  });
  return { total: 2 + perKey.reduce((a, k) => a + k.columns, 0), perKey };
}

/** The run without the given data keys, in its descriptor and in every event (for an export). */
export function omitKeys(run: RunRecord, keys: readonly string[]): RunRecord {
  if (keys.length === 0) return run;
  const drop = new Set(keys);
  const keep = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).filter(([k]) => !drop.has(k)));
  return {
    ...run,
    descriptor: { ...run.descriptor, data_keys: keep(run.descriptor.data_keys) },
    events: run.events.map((ev) => ({ ...ev, data: keep(ev.data), timestamps: keep(ev.timestamps) })),
  };
}
