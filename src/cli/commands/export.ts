import { InvalidInputError } from '../../errors.js';
import { tableToCsv } from '../../store/exportCsv.js';
import { writeFileAtomic } from '../../store/atomicWrite.js';
import { flattenRun } from '../../store/flatten.js';
import { exportParquet } from '../../store/parquet/exportParquet.js';
import { readRun } from '../../store/readRun.js';
import { StepRecordLayout } from '../../pipeline/StepRecordLayout.js';
import { int, parse, positionals, str } from '../args.js';
import { DEFAULT_MAX_EXPORT_COLUMNS, exportWidth, omitKeys } from '../../store/exportColumns.js';
import type { Io } from '../Io.js';
import { exportSpice, exportSpiceHelp } from './spice.js';

export const exportHelp = `clln export RUN (--csv OUT | --parquet OUT) [--omit KEY,...] [--columns N]
  Write the events of a run file as a table: one row per step; columns seq_num, time (epoch seconds), then every
  data key of the run's descriptor, arrays flattened to KEY_0, KEY_1, ...; readings are labelled by node (vf_9,
  vf_10: the free-state readings of nodes 9 and 10), settings by edge. A missing value is empty (CSV) or null
  (Parquet). An interrupted run exports the steps recorded; a torn last line is left out.
  --csv OUT       RFC 4180 CSV, CRLF line ends ('-' writes to standard output)
  --parquet OUT   Parquet file (one row group, uncompressed, PLAIN encoding); the start, descriptor and stop
                  documents are kept as JSON in its key-value metadata (clln.start, clln.descriptor, clln.stop)
  --omit KEY,...  leave these data keys out (e.g. --omit conductance: a simulated run's snapshots, one column per edge)
  --columns N     write up to N columns (default ${DEFAULT_MAX_EXPORT_COLUMNS}); a wider table is refused, naming its widest keys

${exportSpiceHelp}`;

export function exportRun(argv: string[], io: Io): number {
  // `clln export spice NETWORK ...` writes a netlist (spice.ts); everything else exports a run
  if (argv[0] === 'spice') return exportSpice(argv.slice(1), io);
  const p = parse('export', argv, { csv: { type: 'string' }, parquet: { type: 'string' }, omit: { type: 'string' }, columns: { type: 'string' } });
  const [runPath] = positionals(p, 'export', ['RUN']);
  const csv = str(p, 'csv');
  const parquet = str(p, 'parquet');
  if (csv === undefined && parquet === undefined) {
    throw new InvalidInputError({ source: 'clln export' }, 'no output given', 'add --csv OUT or --parquet OUT');
  }
  if (parquet === '-') throw new InvalidInputError({ source: '--parquet' }, 'Parquet cannot be written to standard output', 'give a file name');
  // a record of clln 0.1.0 gets the descriptor of what its events hold (StepRecordLayout.describedRun)
  const maxColumns = int(p, 'columns', 1) ?? DEFAULT_MAX_EXPORT_COLUMNS;
  const omit = (str(p, 'omit') ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '');
  const described = StepRecordLayout.describedRun(readRun(runPath));
  for (const k of omit) {
    if (!(k in described.descriptor.data_keys)) {
      throw new InvalidInputError({ source: '--omit' }, `${runPath} has no data key ${k} (its keys: ${Object.keys(described.descriptor.data_keys).join(', ')})`, 'name keys of the run');
    }
  }
  const run = omitKeys(described, omit);
  // refuse a table wider than asked for before building it (from the descriptor's shapes)
  const width = exportWidth(run);
  if (width.total > maxColumns) {
    const widest = [...width.perKey].sort((a, b) => b.columns - a.columns).slice(0, 3).filter((k) => k.columns > 1);
    throw new InvalidInputError(
      { source: runPath },
      `would export ${width.total} columns (${widest.map((k) => `${k.key}: ${k.columns}`).join(', ')}), more than the limit of ${maxColumns}`,
      `leave keys out with --omit ${widest[0]?.key ?? 'KEY'}, or allow the width with --columns ${width.total}`,
    );
  }
  const table = flattenRun(run);
  const notes: string[] = [];
  const what = `${table.rows} step${table.rows === 1 ? '' : 's'} x ${table.columns.length} columns`;
  if (csv !== undefined) {
    const text = tableToCsv(table);
    if (csv === '-') io.stdout.write(text);
    else {
      writeFileAtomic(csv, text);
      notes.push(`wrote ${what} to ${csv} (CSV)`);
    }
  }
  if (parquet !== undefined) {
    exportParquet(run, parquet, table);
    notes.push(`wrote ${what} to ${parquet} (Parquet)`);
  }
  if (run.status !== 'complete') notes.push(`note: the run is ${run.status}${run.torn ? '; a torn last line was left out' : ''}`);
  // keep standard output clean when it carries the CSV
  const sink = csv === '-' ? io.stderr : io.stdout;
  if (notes.length > 0) sink.write(notes.join('\n') + '\n');
  return 0;
}
