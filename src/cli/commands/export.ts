import { InvalidInputError } from '../../errors.js';
import { tableToCsv } from '../../store/exportCsv.js';
import { writeFileAtomic } from '../../store/atomicWrite.js';
import { evaluationPath, evaluationRun, flattenRun } from '../../store/flatten.js';
import type { RunRecord } from '../../store/documents.js';
import { exportParquet } from '../../store/parquet/exportParquet.js';
import { readRun } from '../../store/readRun.js';
import { StepRecordLayout } from '../../pipeline/StepRecordLayout.js';
import { int, parse, positionals, str } from '../args.js';
import { DEFAULT_MAX_EXPORT_COLUMNS, exportWidth, omitKeys } from '../../store/exportColumns.js';
import type { Io } from '../Io.js';
import { exportSpice, exportSpiceHelp } from './spice.js';

export const exportHelp = `clln export RUN (--csv OUT | --parquet OUT) [--omit KEY,...] [--columns N] [--json]
  Write the events of a run file as a table: one row per step; columns seq_num, time, then every data key of the
  run's descriptor, arrays flattened to KEY_0, KEY_1, ...; readings are labelled by node (vf_9, vf_10: the
  free-state readings of nodes 9 and 10), settings by edge. A missing value is empty (CSV) or null (Parquet). An
  interrupted run exports the steps recorded; a torn last line is left out. The run's evaluations (train and test
  MSE, test outputs) go to a second table beside OUT, '.evaluation' before its extension (run.parquet ->
  run.evaluation.parquet; not with --csv -).
  --csv OUT       RFC 4180 CSV, CRLF line ends, time in epoch seconds ('-' writes to standard output)
  --parquet OUT   Parquet file (one row group, GZIP, PLAIN encoding; integers INT64, time a TIMESTAMP in
                  microseconds UTC, units in each column's metadata); the start, descriptor and stop documents are
                  kept as JSON in its key-value metadata (clln.start, clln.descriptor, clln.stop, clln.units)
  --omit KEY,...  leave these data keys out (e.g. --omit conductance: a simulated run's snapshots, one column per edge)
  --columns N     write up to N columns (default ${DEFAULT_MAX_EXPORT_COLUMNS}); a wider table is refused, naming its widest keys
  --json          print one JSON object instead of the notes: {run, status, torn, files: [{path, format (csv|parquet),
                  stream (primary|evaluation), rows, columns}]} (not with --csv -)

${exportSpiceHelp}`;

export function exportRun(argv: string[], io: Io): number {
  // `clln export spice NETWORK ...` writes a netlist (spice.ts); everything else exports a run
  if (argv[0] === 'spice') return exportSpice(argv.slice(1), io);
  const p = parse('export', argv, { csv: { type: 'string' }, parquet: { type: 'string' }, omit: { type: 'string' }, columns: { type: 'string' }, json: { type: 'boolean' } });
  const json = p.values.json === true;
  const [runPath] = positionals(p, 'export', ['RUN']);
  const csv = str(p, 'csv');
  const parquet = str(p, 'parquet');
  if (csv === undefined && parquet === undefined) {
    throw new InvalidInputError({ source: 'clln export' }, 'no output given', 'add --csv OUT or --parquet OUT');
  }
  if (parquet === '-') throw new InvalidInputError({ source: '--parquet' }, 'Parquet cannot be written to standard output', 'give a file name');
  if (json && csv === '-') throw new InvalidInputError({ source: '--json' }, 'standard output cannot carry both the CSV and the JSON summary', 'give --csv a file name, or drop --json');
  // a record of clln 0.1.0 gets the descriptor of what its events hold (StepRecordLayout.describedRun)
  const maxColumns = int(p, 'columns', 1) ?? DEFAULT_MAX_EXPORT_COLUMNS;
  const omit = (str(p, 'omit') ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '');
  const described = StepRecordLayout.describedRun(readRun(runPath));
  const evalRun = evaluationRun(described);
  for (const k of omit) {
    if (!(k in described.descriptor.data_keys) && !(evalRun && k in evalRun.descriptor.data_keys)) {
      const keys = [...Object.keys(described.descriptor.data_keys), ...Object.keys(evalRun?.descriptor.data_keys ?? {})];
      throw new InvalidInputError({ source: '--omit' }, `${runPath} has no data key ${k} (its keys: ${keys.join(', ')})`, 'name keys of the run');
    }
  }
  const without = (r: RunRecord): RunRecord => omitKeys(r, omit.filter((k) => k in r.descriptor.data_keys));
  const run = without(described);
  // the evaluation stream goes to OUT with `.evaluation` before the extension (not with --csv -)
  const streams: { run: RunRecord; label: string; csv?: string; parquet?: string }[] = [{ run, label: 'step', csv, parquet }];
  if (evalRun) {
    const toFile = csv !== undefined && csv !== '-' ? evaluationPath(csv) : undefined;
    if (toFile !== undefined || parquet !== undefined) streams.push({ run: without(evalRun), label: 'evaluation', csv: toFile, parquet: parquet && evaluationPath(parquet) });
  }
  // refuse a table wider than asked for before building it (from the descriptor's shapes)
  for (const st of streams) {
    const width = exportWidth(st.run);
    if (width.total > maxColumns) {
      const widest = [...width.perKey].sort((a, b) => b.columns - a.columns).slice(0, 3).filter((k) => k.columns > 1);
      throw new InvalidInputError(
        { source: runPath },
        `would export ${width.total} columns${st.label === 'evaluation' ? ' of its evaluation stream' : ''} (${widest.map((k) => `${k.key}: ${k.columns}`).join(', ')}), more than the limit of ${maxColumns}`,
        `leave keys out with --omit ${widest[0]?.key ?? 'KEY'}, or allow the width with --columns ${width.total}`,
      );
    }
  }
  const notes: string[] = [];
  const files: { path: string; format: 'csv' | 'parquet'; stream: 'primary' | 'evaluation'; rows: number; columns: number }[] = [];
  for (const st of streams) {
    const stream = st.label === 'evaluation' ? 'evaluation' : 'primary';
    const table = flattenRun(st.run);
    const what = `${table.rows} ${st.label}${table.rows === 1 ? '' : 's'} x ${table.columns.length} columns`;
    if (st.csv !== undefined) {
      const text = tableToCsv(table);
      if (st.csv === '-') io.stdout.write(text);
      else {
        writeFileAtomic(st.csv, text);
        notes.push(`wrote ${what} to ${st.csv} (CSV)`);
        files.push({ path: st.csv, format: 'csv', stream, rows: table.rows, columns: table.columns.length });
      }
    }
    if (st.parquet !== undefined) {
      exportParquet(st.run, st.parquet, table);
      notes.push(`wrote ${what} to ${st.parquet} (Parquet)`);
      files.push({ path: st.parquet, format: 'parquet', stream, rows: table.rows, columns: table.columns.length });
    }
  }
  if (json) {
    io.stdout.write(JSON.stringify({ run: runPath, status: run.status, torn: run.torn, files }) + '\n');
    return 0;
  }
  if (run.status !== 'complete') notes.push(`note: the run is ${run.status}${run.torn ? '; a torn last line was left out' : ''}`);
  // keep standard output clean when it carries the CSV
  const sink = csv === '-' ? io.stderr : io.stdout;
  if (notes.length > 0) sink.write(notes.join('\n') + '\n');
  return 0;
}
