/**
 * The dataset assembled as a stream (src/ensemble/dataset.ts, src/store/parquet/writeParquet.ts ParquetFileWriter):
 * member files written here by hand in the documented shape (src/ensemble/README.md), with values given by formulas,
 * so that the expected rows come from the formulas and not from clln. Read back by two independent readers: hyparquet
 * (npm) and the standard-library Python reader of examples/python/clln_records.py.
 *
 * The memory test runs the built CLI (`npm run build` first; `npm test` does) in a child with a 96 MB V8 heap on a
 * dataset whose columns alone, held in memory as one page per column, would need more than that.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDatasetDir, assembleDataset, readDataset } from '../../src/ensemble/dataset.js';
import { parseEnsembleSpec, specDigest, type EnsembleSpec } from '../../src/ensemble/EnsembleSpec.js';
import { memberNetwork } from '../../src/ensemble/runMember.js';
import { DEFAULT_ROW_GROUP_ROWS } from '../../src/store/parquet/writeParquet.js';
import { CLI } from '../emulator/builtCli.js';

const root = mkdtempSync(join(tmpdir(), 'clln-ens-scale-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
const GZIP = { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) };
const fileOf = (path: string): ArrayBuffer => {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

function latticeSpec(name: string, members: number, rows: number, cols: number, diagonals: boolean): EnsembleSpec {
  const n = rows * cols;
  return parseEnsembleSpec(
    {
      format: 'clln.ensemble/1', name, members, seed: 2,
      network: { kind: 'lattice', rows, cols, diagonals },
      task: { kind: 'linear', matrix: [[0.2]], sources: [0], targets: [Math.floor(n / 2)], ground: [n - 1] },
      stop: { maxSteps: 10 },
    },
    `${name}.json`,
  );
}

/** Synthetic member values, exact in binary: conductance i + e/32 S, f_e (e mod 64)/64. */
const conductance = (i: number, e: number): number => i + e / 32;
const frequency = (e: number): number => (e % 64) / 64;
const seeds = (i: number) => ({ network: 3 * i + 1, task: 4294967295 - i, order: i * i });

/**
 * Write member i's file as the README documents it. Member `failedIndex` is a failed member; every fifth has no
 * f_e (null); member 11 has a NaN train MSE (JSON: the string "NaN").
 */
function writeMember(dir: string, digest: string, i: number, edges: number, nodes: number, failedIndex: number): void {
  const path = join(dir, 'members', `${String(i).padStart(6, '0')}.json`);
  if (i === failedIndex) {
    writeFileSync(path, JSON.stringify({ format: 'clln.ensemble-member/1', specDigest: digest, status: 'failed', failure: { index: i, seeds: seeds(i), error: 'Error: boom' } }) + '\n');
    return;
  }
  const k: number[] = [];
  const f: number[] = [];
  for (let e = 0; e < edges; e++) {
    k.push(conductance(i, e));
    f.push(frequency(e));
  }
  const result = {
    index: i, seeds: seeds(i), steps: 10 + i, converged: i % 2 === 0, trainMse: i === 11 ? 'NaN' : i / 1024, testMse: i / 512,
    lambdaLow: 1 / 8, lambdaHigh: 8, stiffAlignment: i % 3 === 0 ? null : 0.5,
    conductance: k, boundaryFrequency: i % 5 === 0 ? null : f, edges, nodes,
  };
  writeFileSync(path, JSON.stringify({ format: 'clln.ensemble-member/1', specDigest: digest, result }) + '\n');
}

function writeMembers(dir: string, spec: EnsembleSpec, edges: number, nodes: number, failedIndex: number): void {
  openDatasetDir(dir, spec);
  mkdirSync(join(dir, 'members'), { recursive: true });
  const digest = specDigest(spec);
  for (let i = 0; i < spec.members; i++) writeMember(dir, digest, i, edges, nodes, failedIndex);
}

describe('ensemble dataset assembled in row groups', () => {
  // 3 x 4 lattice: 17 edges, 12 nodes; 150 members, member 7 failed: 149 x 17 = 2533 edge rows
  const spec = latticeSpec('many', 150, 3, 4, false);
  const dir = join(root, 'many');
  const FAILED = 7;
  const ok = Array.from({ length: spec.members }, (_, i) => i).filter((i) => i !== FAILED);
  const net = memberNetwork(spec, 0); // a lattice: every member has the same edges
  expect([net.edgeA.length, net.nodes]).toEqual([17, 12]);
  writeMembers(dir, spec, 17, 12, FAILED);
  const meta = assembleDataset(dir, spec, { rowGroupRows: 64 });

  const expectedEdges = ok.flatMap((i) => Array.from({ length: 17 }, (_, e) => ({ member: i, edge: e, node_a: net.edgeA[e], node_b: net.edgeB[e], conductance: conductance(i, e), boundary_frequency: i % 5 === 0 ? null : frequency(e) })));
  // lattice.ts: node r * cols + c at x = c, y = r (lattice spacings)
  const expectedNodes = ok.flatMap((i) => Array.from({ length: 12 }, (_, k) => ({ member: i, node: k, x: k % 4, y: Math.floor(k / 4) })));
  const expectedMembers = Array.from({ length: spec.members }, (_, i) =>
    i === FAILED
      ? { index: i, seed_network: seeds(i).network, seed_task: seeds(i).task, seed_order: seeds(i).order, steps: null, converged: null, train_mse: null, test_mse: null, lambda_low: null, lambda_high: null, stiff_alignment: null, edges: null, nodes: null, status: 'failed', error: 'Error: boom' }
      : { index: i, seed_network: seeds(i).network, seed_task: seeds(i).task, seed_order: seeds(i).order, steps: 10 + i, converged: i % 2 === 0, train_mse: i === 11 ? null : i / 1024, test_mse: i / 512, lambda_low: 1 / 8, lambda_high: 8, stiff_alignment: i % 3 === 0 ? null : 0.5, edges: 17, nodes: 12, status: 'ok', error: null },
  );
  /** hyparquet gives INT64 as bigint: compare as numbers. */
  const numbers = (rows: Record<string, unknown>[]): Record<string, unknown>[] => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));

  it('hyparquet reads every row exactly once, in (member, edge) and (member, node) order, from several row groups', async () => {
    expect(meta).toMatchObject({ members: 150, failed: 1 });
    const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
    const tables: [string, Record<string, unknown>[], number][] = [
      ['members.parquet', expectedMembers, Math.ceil(150 / 64)],
      ['arrays/edges.parquet', expectedEdges, Math.ceil(2533 / 64)],
      ['arrays/nodes.parquet', expectedNodes, Math.ceil(149 * 12 / 64)],
    ];
    for (const [name, expected, groups] of tables) {
      const file = fileOf(join(dir, name));
      const md = parquetMetadata(file);
      expect(md.row_groups.length, name).toBe(groups);
      expect(md.row_groups.map((g) => Number(g.num_rows)).reduce((a, b) => a + b), name).toBe(expected.length);
      expect(Number(md.num_rows), name).toBe(expected.length);
      expect(numbers(await parquetReadObjects({ file, compressors: GZIP })), name).toEqual(expected);
    }
  });

  it('the Python standard-library reader of examples/python reads the same rows, units and column types', () => {
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(resolve(__dirname, '../../examples/python'))})
from clln_records import read_parquet
out = {}
for name in ["members.parquet", "arrays/edges.parquet", "arrays/nodes.parquet"]:
    pq = read_parquet(${JSON.stringify(dir)} + "/" + name)
    cols = pq["columns"]
    names = list(cols)
    rows = [dict(zip(names, vals)) for vals in zip(*[cols[n] for n in names])]
    out[name] = {"rows": rows, "units": pq["units"], "optional": {n: s["optional"] for n, s in pq["schema"].items()}}
print(json.dumps(out))
`;
    const r = spawnSync('python3', ['-c', script], { encoding: 'utf8', maxBuffer: 1 << 28 });
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout) as Record<string, { rows: unknown[]; units: Record<string, string>; optional: Record<string, boolean> }>;
    expect(got['members.parquet'].rows).toEqual(expectedMembers);
    expect(got['arrays/edges.parquet'].rows).toEqual(expectedEdges);
    expect(got['arrays/nodes.parquet'].rows).toEqual(expectedNodes);
    expect(got['members.parquet'].units).toEqual({ train_mse: 'V^2', test_mse: 'V^2', lambda_low: 'S', lambda_high: 'S', stiff_alignment: '1' });
    expect(got['arrays/edges.parquet'].units).toEqual({ conductance: 'S', boundary_frequency: '1' });
    // the schema is the format's: OPTIONAL exactly where a null can occur
    expect(got['arrays/edges.parquet'].optional).toEqual({ member: false, edge: false, node_a: false, node_b: false, conductance: false, boundary_frequency: true });
    expect(got['members.parquet'].optional).toMatchObject({ index: false, status: false, error: true, steps: true, train_mse: true });
  });

  it('readDataset gives the finished members from their files and the failed one apart', () => {
    const ds = readDataset(dir);
    expect(ds.members.map((m) => m.index)).toEqual(ok);
    expect(ds.failed).toEqual([{ index: FAILED, seeds: seeds(FAILED), error: 'Error: boom' }]);
    expect(Array.from(ds.members[20].conductance.subarray(0, 3))).toEqual([conductance(21, 0), conductance(21, 1), conductance(21, 2)]);
  });

  it('a member file that does not fit the network stops the assembly and leaves the tables as they were', () => {
    const bad = join(root, 'bad');
    const small = latticeSpec('bad', 3, 3, 4, false);
    writeMembers(bad, small, 17, 12, -1);
    writeMember(bad, specDigest(small), 1, 16, 12, -1); // one edge short
    expect(() => assembleDataset(bad, small)).toThrow(/000001\.json: result\.conductance: has 16 conductances for a network of 17 edges/);
    expect(() => readFileSync(join(bad, 'members.parquet'))).toThrow(/ENOENT/);
    expect(() => readFileSync(join(bad, 'arrays', 'edges.parquet'))).toThrow(/ENOENT/);
  });
});

describe('ensemble dataset assembly in bounded memory', () => {
  it('assembles 200 members of a 64 x 64 lattice with diagonals (3.2 million edge rows) under a 96 MB V8 heap', async () => {
    const HEAP_MB = 96;
    const members = 200;
    const spec = latticeSpec('big', members, 64, 64, true);
    const dir = join(root, 'big');
    const E = memberNetwork(spec, 0).edgeA.length;
    expect(E).toBe(16002);
    const rows = members * E;
    // one page per column held in memory: 6 columns of 8-byte values, before any encoding or copying
    expect(rows * 6 * 8).toBeGreaterThan(HEAP_MB * 2 ** 20);
    writeMembers(dir, spec, E, 4096, -1);
    const specFile = join(dir, 'big.json');
    writeFileSync(specFile, readFileSync(join(dir, 'spec.json')));

    // every member stored: `ensemble run` only assembles
    const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, CLI, 'ensemble', 'run', specFile, '--out', dir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    expect([code, err]).toEqual([0, '']);
    expect(JSON.parse(out)).toMatchObject({ members, ran: 0, skipped: members });

    const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
    const file = fileOf(join(dir, 'arrays', 'edges.parquet'));
    const md = parquetMetadata(file);
    expect(Number(md.num_rows)).toBe(rows);
    expect(md.row_groups.length).toBe(Math.ceil(rows / DEFAULT_ROW_GROUP_ROWS));
    // the first rows, the rows across the first row group boundary, and the last rows
    const net = memberNetwork(spec, 0);
    const expectRows = async (start: number, end: number): Promise<void> => {
      const got = await parquetReadObjects({ file, compressors: GZIP, rowStart: start, rowEnd: end, columns: ['member', 'edge', 'node_a', 'conductance', 'boundary_frequency'] });
      const want = Array.from({ length: end - start }, (_, k) => {
        const r = start + k;
        const i = Math.floor(r / E);
        const e = r % E;
        return { member: BigInt(i), edge: BigInt(e), node_a: BigInt(net.edgeA[e]), conductance: conductance(i, e), boundary_frequency: i % 5 === 0 ? null : frequency(e) };
      });
      expect(got).toEqual(want);
    };
    await expectRows(0, 5);
    await expectRows(DEFAULT_ROW_GROUP_ROWS - 3, DEFAULT_ROW_GROUP_ROWS + 3);
    await expectRows(rows - 5, rows);
  }, 300_000);
});
