/** Run records: writing, reading, listing and exporting runs (see README.md). */
export * from './documents.js';
export { RunWriter, MAX_FSYNC_INTERVAL_MS, type RunWriterOptions, type ResumedRun } from './RunWriter.js';
export { readRun, parseRun, type ParsedRun } from './readRun.js';
export { listRuns, DEFAULT_RUNS_DIR, type RunSummary } from './listRuns.js';
export { flattenRun, type FlatTable, type FlatColumn, type ColumnKind } from './flatten.js';
export { eventProblems, descriptorProblems } from './eventProblems.js';
export { exportCsv, runToCsv, tableToCsv, csvField } from './exportCsv.js';
export { exportParquet, runToParquet } from './parquet/exportParquet.js';
export { encodeParquet, type ParquetColumn, type ParquetColumnType, type ParquetOptions } from './parquet/writeParquet.js';
