/**
 * The dataset folder of an ensemble (layout: src/ensemble/README.md):
 *
 *   DIR/spec.json               the resolved spec (every default filled in)
 *   DIR/meta.json               {format, software {name, version}, specDigest, members}
 *   DIR/members/NNNNNN.json     one file per member (memberStore.ts): the canonical results
 *   DIR/members.parquet         one row per member: seeds, steps, converged, MSEs, eigenvalues, alignment
 *   DIR/arrays/edges.parquet    one row per (member, edge): endpoints, final conductance, boundary frequency
 *   DIR/arrays/nodes.parquet    one row per (member, node): position x, y
 *
 * The Parquet tables are for readers outside clln (GZIP, units in each column's metadata `units` and in the file's
 * `clln.units`; row groups of at most 2^17 rows, written as a stream); readDataset reads the member files, which hold
 * the same numbers exactly.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { formatJson, writeJsonFile } from '../formats/jsonFile.js';
import { writeFileAtomic } from '../store/atomicWrite.js';
import { ParquetFileWriter, type ParquetColumnSpec, type ParquetStreamOptions } from '../store/parquet/writeParquet.js';
import { VERSION } from '../version.js';
import { isSpringSpec, parseEnsembleSpec, specDigest, specDocument, type EnsembleSpec } from './EnsembleSpec.js';
import { type FailedMember, memberPath, readStoredMember, type StoredMember, storedMembers } from './memberStore.js';
import { memberGraph, type MemberResult } from './runMember.js';

export const DATASET_FORMAT = 'clln.ensemble-dataset/1';

/** DIR/meta.json. */
export interface DatasetMeta {
  format: typeof DATASET_FORMAT;
  software: { name: 'clln'; version: string };
  specDigest: string;
  /** Members of the spec, finished or failed. */
  members: number;
  /** Members whose computation failed (status `failed` in members.parquet; no rows in the arrays). Absent in datasets assembled before clln stored failed members: none. */
  failed?: number;
}

/**
 * Prepare `dir` for `spec`: create it, write spec.json, or check that the spec.json already there is the same
 * ensemble (a resumed run). A folder of another ensemble is bad input (exit 2): its members would be mixed.
 */
export function openDatasetDir(dir: string, spec: EnsembleSpec): string {
  const digest = specDigest(spec);
  const specPath = join(dir, 'spec.json');
  if (existsSync(specPath)) {
    const there = parseEnsembleSpec(JSON.parse(readFileSync(specPath, 'utf8')), specPath);
    if (specDigest(there) !== digest) {
      throw new InvalidInputError({ source: dir }, 'holds the dataset of a different ensemble spec (spec.json differs)', 'use a new --out folder, or the spec that folder was made with to resume it');
    }
    return digest;
  }
  mkdirSync(join(dir, 'members'), { recursive: true });
  writeJsonFile(specPath, specDocument(spec));
  return digest;
}

const nullable = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : x);

type Col = ParquetColumnSpec;
const req = (name: string, type: Col['type'], units?: string): Col => ({ name, type, optional: false, ...(units ? { units } : {}) });
const opt = (name: string, type: Col['type'], units?: string): Col => ({ name, type, optional: true, ...(units ? { units } : {}) });

/**
 * The tables' schemas, fixed by the format (not by the data): a column that can hold a null (a failed member, a
 * diagnostic not kept, a non-finite number) is OPTIONAL even when this dataset has none, so the files are written
 * as a stream without looking at every member first, and datasets of different runs have the same schema.
 */
export const MEMBERS_COLUMNS: readonly Col[] = [
  req('index', 'int64'),
  req('seed_network', 'int64'),
  req('seed_task', 'int64'),
  req('seed_order', 'int64'),
  opt('steps', 'int64'),
  opt('converged', 'boolean'),
  opt('train_mse', 'double', 'V^2'),
  opt('test_mse', 'double', 'V^2'),
  opt('lambda_low', 'double', 'S'),
  opt('lambda_high', 'double', 'S'),
  opt('stiff_alignment', 'double', '1'),
  opt('edges', 'int64'),
  opt('nodes', 'int64'),
  req('status', 'string'),
  opt('error', 'string'),
];

/**
 * A spring ensemble's members table: the resistor columns in the kind's units (the task error in strain^2, no test
 * set, eigenvalues of the stiffness matrix in energy/length^2), then the spring measures (src/ensemble/README.md),
 * direction `ab` (A -> B) and `ba` (B -> A, null unless cooperative), then status and error. Resistor datasets keep
 * {@link MEMBERS_COLUMNS} exactly: the schema is fixed by the format and the network kind.
 */
export const SPRING_MEMBERS_COLUMNS: readonly Col[] = (() => {
  const units: Record<string, string> = { train_mse: 'strain^2', test_mse: 'strain^2', lambda_low: 'energy/length^2', lambda_high: 'energy/length^2' };
  const base = MEMBERS_COLUMNS.map((c) => (units[c.name] ? { ...c, units: units[c.name] } : c));
  const at = base.findIndex((c) => c.name === 'status');
  const direction = (d: string): Col[] => [
    opt(`target_strain_${d}`, 'double', '1'),
    opt(`projection_${d}`, 'double', '1'),
    opt(`energy_source_${d}`, 'double', 'energy'),
    opt(`energy_target_${d}`, 'double', 'energy'),
    opt(`energy_both_${d}`, 'double', 'energy'),
    opt(`t_star_${d}`, 'double', 'energy (k_B = 1)'),
    opt(`t_star_reason_${d}`, 'string'),
  ];
  const spring: Col[] = [
    opt('source_a', 'int64'),
    opt('source_b', 'int64'),
    opt('target_a', 'int64'),
    opt('target_b', 'int64'),
    opt('initial_error', 'double', 'strain^2'),
    opt('rigid_modes', 'int64'),
    opt('floppy_modes', 'int64'),
    opt('thermal_route', 'string'),
    ...direction('ab'),
    ...direction('ba'),
  ];
  return [...base.slice(0, at), ...spring, ...base.slice(at)];
})();
export const EDGES_COLUMNS: readonly Col[] = [req('member', 'int64'), req('edge', 'int64'), req('node_a', 'int64'), req('node_b', 'int64'), req('conductance', 'double', 'S'), opt('boundary_frequency', 'double', '1')];
export const NODES_COLUMNS: readonly Col[] = [req('member', 'int64'), req('node', 'int64'), opt('x', 'double', 'position'), opt('y', 'double', 'position')];
/** A spring ensemble's edges (the learning parameter is a stiffness) and nodes (positions in the length unit). */
export const SPRING_EDGES_COLUMNS: readonly Col[] = [req('member', 'int64'), req('edge', 'int64'), req('node_a', 'int64'), req('node_b', 'int64'), req('stiffness', 'double', 'energy/length^2'), opt('boundary_frequency', 'double', '1')];
export const SPRING_NODES_COLUMNS: readonly Col[] = [req('member', 'int64'), req('node', 'int64'), opt('x', 'double', 'length'), opt('y', 'double', 'length')];

/** The tables' columns for a spec's kind of network. */
export function datasetColumns(spec: EnsembleSpec): { members: readonly Col[]; edges: readonly Col[]; nodes: readonly Col[] } {
  return isSpringSpec(spec) ? { members: SPRING_MEMBERS_COLUMNS, edges: SPRING_EDGES_COLUMNS, nodes: SPRING_NODES_COLUMNS } : { members: MEMBERS_COLUMNS, edges: EDGES_COLUMNS, nodes: NODES_COLUMNS };
}

type Cell = number | boolean | string | null;

/** A members row in the table's column order from named values (a column not named is null). */
function rowOf(cols: readonly Col[], values: Record<string, Cell | undefined>): Cell[] {
  return cols.map((c) => values[c.name] ?? null);
}

/** A member's named values: the columns every kind has, and a spring member's measures. */
function memberValues(m: MemberResult): Record<string, Cell> {
  const v: Record<string, Cell> = {
    index: m.index, seed_network: m.seeds.network, seed_task: m.seeds.task, seed_order: m.seeds.order, steps: m.steps, converged: m.converged,
    train_mse: nullable(m.trainMse), test_mse: nullable(m.testMse), lambda_low: nullable(m.lambdaLow), lambda_high: nullable(m.lambdaHigh), stiff_alignment: nullable(m.stiffAlignment),
    edges: m.edges, nodes: m.nodes, status: 'ok', error: null,
  };
  const sp = m.springs;
  if (sp) {
    Object.assign(v, { source_a: sp.source[0], source_b: sp.source[1], target_a: sp.target[0], target_b: sp.target[1], initial_error: nullable(sp.initialError), rigid_modes: sp.rigidModes, floppy_modes: sp.floppyModes, thermal_route: sp.thermalRoute });
    sp.directions.forEach((d, i) => {
      const k = i === 0 ? 'ab' : 'ba';
      Object.assign(v, {
        [`target_strain_${k}`]: nullable(d.targetStrain), [`projection_${k}`]: nullable(d.projection), [`energy_source_${k}`]: nullable(d.energySource), [`energy_target_${k}`]: nullable(d.energyTarget),
        [`energy_both_${k}`]: nullable(d.energyBoth), [`t_star_${k}`]: nullable(d.tStar), [`t_star_reason_${k}`]: d.tStarReason,
      });
    });
  }
  return v;
}

export interface AssembleOptions {
  /**
   * Rows per Parquet row group (default 2^17 = 131072, about 1 MiB per column chunk): assembly holds one row group
   * per table and one member at a time, whatever the number of members.
   */
  rowGroupRows?: number;
}

/**
 * Write the Parquet tables and meta.json once every member is stored; throws if one is missing. Members are read one
 * at a time, in index order, and their rows streamed into row groups of the three tables (ParquetFileWriter), so the
 * memory used does not grow with the number of members. Each table appears whole or not at all (temporary file,
 * renamed when complete); meta.json is written last.
 */
export function assembleDataset(dir: string, spec: EnsembleSpec, opts: AssembleOptions = {}): DatasetMeta {
  const digest = specDigest(spec);
  const stored = storedMembers(dir);
  const missing: number[] = [];
  for (let i = 0; i < spec.members && missing.length < 5; i++) if (!stored.has(i)) missing.push(i);
  if (missing.length > 0) {
    throw new InvalidInputError({ source: dir }, `members ${missing.join(', ')}${missing.length === 5 ? ', ...' : ''} are not stored yet`, 'run the ensemble to its end first');
  }
  const createdBy = `clln version ${VERSION}`;
  const options = (cols: readonly Col[]): ParquetStreamOptions => {
    const units: Record<string, string> = {};
    for (const c of cols) if (c.units !== undefined) units[c.name] = c.units;
    return { createdBy, rowGroupRows: opts.rowGroupRows, metadata: { 'clln.units': JSON.stringify(units), 'clln.specDigest': digest, 'clln.spec': JSON.stringify(spec) } };
  };
  mkdirSync(join(dir, 'arrays'), { recursive: true });
  const writers: ParquetFileWriter[] = [];
  let failed = 0;
  try {
    const cols = datasetColumns(spec);
    const members = new ParquetFileWriter(join(dir, 'members.parquet'), cols.members, options(cols.members));
    writers.push(members);
    const edges = new ParquetFileWriter(join(dir, 'arrays', 'edges.parquet'), cols.edges, options(cols.edges));
    writers.push(edges);
    const nodes = new ParquetFileWriter(join(dir, 'arrays', 'nodes.parquet'), cols.nodes, options(cols.nodes));
    writers.push(nodes);
    // one scratch row per array table, reused: the writers copy the values
    const erow: (number | null)[] = new Array(cols.edges.length);
    const nrow: (number | null)[] = new Array(cols.nodes.length);
    for (let i = 0; i < spec.members; i++) {
      const s = readStoredMember(dir, i, digest);
      if (s.status === 'failed') {
        // a failed member has a row here (its seeds and error) and none in the arrays
        const f = s.failure;
        failed++;
        members.appendRow(rowOf(cols.members, { index: f.index, seed_network: f.seeds.network, seed_task: f.seeds.task, seed_order: f.seeds.order, status: 'failed', error: f.error }));
        continue;
      }
      const m = s.result;
      const net = memberGraph(spec, m.index);
      if (m.conductance.length !== net.edgeA.length || m.edges !== net.edgeA.length || m.nodes !== net.nodes) {
        throw new InvalidInputError({ source: memberPath(dir, i), field: 'result.conductance' }, `has ${m.conductance.length} conductances for a network of ${net.edgeA.length} edges and ${net.nodes} nodes (edges ${m.edges}, nodes ${m.nodes})`, 'delete it; the member is run again');
      }
      members.appendRow(rowOf(cols.members, memberValues(m)));
      // long tables: members may differ in edge and node counts (random graphs)
      const f = m.boundaryFrequency;
      for (let j = 0; j < m.edges; j++) {
        erow[0] = m.index;
        erow[1] = j;
        erow[2] = net.edgeA[j];
        erow[3] = net.edgeB[j];
        erow[4] = m.conductance[j];
        erow[5] = f ? f[j] : null;
        edges.appendRow(erow);
      }
      const p = net.positions;
      for (let k = 0; k < m.nodes; k++) {
        nrow[0] = m.index;
        nrow[1] = k;
        nrow[2] = p ? p[2 * k] : null;
        nrow[3] = p ? p[2 * k + 1] : null;
        nodes.appendRow(nrow);
      }
    }
    for (const w of writers) w.close();
  } catch (e) {
    for (const w of writers) w.abort();
    throw e;
  }
  const meta: DatasetMeta = { format: DATASET_FORMAT, software: { name: 'clln', version: VERSION }, specDigest: digest, members: spec.members, failed };
  writeFileAtomic(join(dir, 'meta.json'), formatJson(meta) + '\n');
  return meta;
}

/** An assembled dataset opened for reading: its spec and meta, and its members one at a time. */
export interface DatasetStream {
  spec: EnsembleSpec;
  meta: DatasetMeta;
  /** Every member, finished or failed (meta.members): what {@link DatasetStream.members} yields. */
  total: number;
  /**
   * The stored members in index order, each read from its file when asked for and not kept: memory holds one member
   * at a time whatever the ensemble's size.
   */
  members(): Generator<StoredMember>;
}

/**
 * Open an assembled dataset: meta.json and spec.json read and checked against each other; the members are read
 * lazily, one file at a time (`members()`), each checked against the spec digest.
 */
export function openDataset(dir: string): DatasetStream {
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) throw new InvalidInputError({ source: dir }, 'has no meta.json: it is not an assembled ensemble dataset', "run 'clln ensemble run SPEC --out DIR' to its end");
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as DatasetMeta;
  if (meta.format !== DATASET_FORMAT) throw new InvalidInputError({ source: metaPath, field: 'format' }, `must be ${DATASET_FORMAT}`, 'point at an ensemble dataset folder');
  const specPath = join(dir, 'spec.json');
  const spec = parseEnsembleSpec(JSON.parse(readFileSync(specPath, 'utf8')), specPath);
  if (specDigest(spec) !== meta.specDigest) throw new InvalidInputError({ source: specPath }, 'does not match meta.json specDigest', 'the folder was changed by hand; run the ensemble again into a new folder');
  return {
    spec,
    meta,
    total: meta.members,
    *members() {
      for (let i = 0; i < meta.members; i++) yield readStoredMember(dir, i, meta.specDigest);
    },
  };
}

/**
 * Read an assembled dataset whole: its spec, meta, every finished member's result (from the member files, exactly)
 * in index order, and the failed members (index, seeds, error), which `members` leaves out. Holds every member in
 * memory: for large ensembles stream with {@link openDataset} (as `clln ensemble stats` does).
 */
export function readDataset(dir: string): { spec: EnsembleSpec; meta: DatasetMeta; members: MemberResult[]; failed: FailedMember[] } {
  const { spec, meta, members: all } = openDataset(dir);
  const members: MemberResult[] = [];
  const failed: FailedMember[] = [];
  for (const s of all()) {
    if (s.status === 'ok') members.push(s.result);
    else failed.push(s.failure);
  }
  return { spec, meta, members, failed };
}
