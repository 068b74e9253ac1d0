// Load a run record (a JSON-lines file written by `clln train --record` or any recorded run) and export its steps
// as CSV and Parquet beside it.
//
//   node examples/export-run.mjs RUN.jsonl
import { exportCsv, exportParquet, readRun } from 'clln';

const path = process.argv[2];
if (!path) {
  console.error('usage: node examples/export-run.mjs RUN.jsonl');
  process.exit(2);
}
const run = readRun(path);
console.log(`${path}: ${run.status}, ${run.events.length} steps, started ${new Date(run.start.time * 1000).toISOString()}`);
const table = exportCsv(run, path.replace(/\.jsonl$/, '') + '.csv');
exportParquet(run, path.replace(/\.jsonl$/, '') + '.parquet', table);
console.log(`wrote ${table.rows} rows x ${table.columns.length} columns to .csv and .parquet`);
