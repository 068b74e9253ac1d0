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
 * `clln.units`); readDataset reads the member files, which hold the same numbers exactly.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../errors.js';
import { formatJson, writeJsonFile } from '../formats/jsonFile.js';
import { writeFileAtomic } from '../store/atomicWrite.js';
import { encodeParquet, type ParquetColumn } from '../store/parquet/writeParquet.js';
import { VERSION } from '../version.js';
import { parseEnsembleSpec, specDigest, specDocument, type EnsembleSpec } from './EnsembleSpec.js';
import { readMember, storedMembers } from './memberStore.js';
import { memberNetwork, type MemberResult } from './runMember.js';

export const DATASET_FORMAT = 'clln.ensemble-dataset/1';

/** DIR/meta.json. */
export interface DatasetMeta {
  format: typeof DATASET_FORMAT;
  software: { name: 'clln'; version: string };
  specDigest: string;
  members: number;
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

/** Write the Parquet tables and meta.json once every member is stored; throws if one is missing. */
export function assembleDataset(dir: string, spec: EnsembleSpec): void {
  const digest = specDigest(spec);
  const stored = storedMembers(dir);
  const missing: number[] = [];
  for (let i = 0; i < spec.members && missing.length < 5; i++) if (!stored.has(i)) missing.push(i);
  if (missing.length > 0) {
    throw new InvalidInputError({ source: dir }, `members ${missing.join(', ')}${missing.length === 5 ? ', ...' : ''} are not stored yet`, 'run the ensemble to its end first');
  }
  const members: MemberResult[] = [];
  for (let i = 0; i < spec.members; i++) members.push(readMember(dir, i, digest));
  const meta: DatasetMeta = { format: DATASET_FORMAT, software: { name: 'clln', version: VERSION }, specDigest: digest, members: spec.members };
  const createdBy = `clln version ${VERSION}`;
  const metadata = (cols: ParquetColumn[]): Record<string, string> => {
    const units: Record<string, string> = {};
    for (const c of cols) if (c.units !== undefined) units[c.name] = c.units;
    return { 'clln.units': JSON.stringify(units), 'clln.specDigest': digest, 'clln.spec': JSON.stringify(spec) };
  };

  const col = (name: string, type: ParquetColumn['type'], values: ParquetColumn['values'], units?: string): ParquetColumn => ({ name, type, values, ...(units ? { units } : {}) });
  const table = [
    col('index', 'int64', members.map((m) => m.index)),
    col('seed_network', 'int64', members.map((m) => m.seeds.network)),
    col('seed_task', 'int64', members.map((m) => m.seeds.task)),
    col('seed_order', 'int64', members.map((m) => m.seeds.order)),
    col('steps', 'int64', members.map((m) => m.steps)),
    col('converged', 'boolean', members.map((m) => m.converged)),
    col('train_mse', 'double', members.map((m) => nullable(m.trainMse)), 'V^2'),
    col('test_mse', 'double', members.map((m) => nullable(m.testMse)), 'V^2'),
    col('lambda_low', 'double', members.map((m) => nullable(m.lambdaLow)), 'S'),
    col('lambda_high', 'double', members.map((m) => nullable(m.lambdaHigh)), 'S'),
    col('stiff_alignment', 'double', members.map((m) => nullable(m.stiffAlignment)), '1'),
    col('edges', 'int64', members.map((m) => m.edges)),
    col('nodes', 'int64', members.map((m) => m.nodes)),
  ];
  writeFileAtomic(join(dir, 'members.parquet'), encodeParquet(table, { createdBy, metadata: metadata(table) }));

  // long tables: members may differ in edge and node counts (random graphs)
  const e = { member: [] as number[], edge: [] as number[], a: [] as number[], b: [] as number[], k: [] as number[], f: [] as (number | null)[] };
  const n = { member: [] as number[], node: [] as number[], x: [] as (number | null)[], y: [] as (number | null)[] };
  for (const m of members) {
    const net = memberNetwork(spec, m.index);
    for (let j = 0; j < m.edges; j++) {
      e.member.push(m.index);
      e.edge.push(j);
      e.a.push(net.edgeA[j]);
      e.b.push(net.edgeB[j]);
      e.k.push(m.conductance[j]);
      e.f.push(m.boundaryFrequency ? m.boundaryFrequency[j] : null);
    }
    for (let i = 0; i < m.nodes; i++) {
      n.member.push(m.index);
      n.node.push(i);
      n.x.push(net.positions ? net.positions[2 * i] : null);
      n.y.push(net.positions ? net.positions[2 * i + 1] : null);
    }
  }
  mkdirSync(join(dir, 'arrays'), { recursive: true });
  const edges = [
    col('member', 'int64', e.member),
    col('edge', 'int64', e.edge),
    col('node_a', 'int64', e.a),
    col('node_b', 'int64', e.b),
    col('conductance', 'double', e.k, 'S'),
    col('boundary_frequency', 'double', e.f, '1'),
  ];
  writeFileAtomic(join(dir, 'arrays', 'edges.parquet'), encodeParquet(edges, { createdBy, metadata: metadata(edges) }));
  const nodes = [col('member', 'int64', n.member), col('node', 'int64', n.node), col('x', 'double', n.x, 'position'), col('y', 'double', n.y, 'position')];
  writeFileAtomic(join(dir, 'arrays', 'nodes.parquet'), encodeParquet(nodes, { createdBy, metadata: metadata(nodes) }));
  writeFileAtomic(join(dir, 'meta.json'), formatJson(meta) + '\n');
}

/** Read an assembled dataset: its spec, meta and every member's result (from the member files, exactly). */
export function readDataset(dir: string): { spec: EnsembleSpec; meta: DatasetMeta; members: MemberResult[] } {
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) throw new InvalidInputError({ source: dir }, 'has no meta.json: it is not an assembled ensemble dataset', "run 'clln ensemble run SPEC --out DIR' to its end");
  const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as DatasetMeta;
  if (meta.format !== DATASET_FORMAT) throw new InvalidInputError({ source: metaPath, field: 'format' }, `must be ${DATASET_FORMAT}`, 'point at an ensemble dataset folder');
  const specPath = join(dir, 'spec.json');
  const spec = parseEnsembleSpec(JSON.parse(readFileSync(specPath, 'utf8')), specPath);
  if (specDigest(spec) !== meta.specDigest) throw new InvalidInputError({ source: specPath }, 'does not match meta.json specDigest', 'the folder was changed by hand; run the ensemble again into a new folder');
  const members: MemberResult[] = [];
  for (let i = 0; i < meta.members; i++) members.push(readMember(dir, i, meta.specDigest));
  return { spec, meta, members };
}
