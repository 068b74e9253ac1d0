/**
 * The local pool through the built CLI (workers run the compiled dist/src/ensemble/memberWorker.js; `npm test` builds
 * first): datasets equal bit for bit whatever the worker count, read back by an independent Parquet reader
 * (hyparquet), and resumed after a SIGKILL with every member stored exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readDataset } from '../../src/ensemble/dataset.js';
import { CLI, runBuiltCli } from '../emulator/builtCli.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-ens-pool-'));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const GZIP = { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) };
const task = { kind: 'linear', matrix: [[0.15, 0.3], [0.2, 0.1]], sources: [0, 3], targets: [9, 10], ground: [15], count: 20, test: 10 };

function writeSpec(name: string, members: number, maxSteps: number): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ format: 'clln.ensemble/1', name, members, seed: 3, network: { kind: 'lattice', rows: 4, cols: 4, conductance: [0.5, 1.5] }, task, stop: { maxSteps }, diagnostics: { modes: 6 } }));
  return path;
}

/** Every file of a dataset folder that the run writes on purpose (temporary files of a killed write excluded), by content. */
function datasetFiles(out: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of ['spec.json', 'meta.json', 'members.parquet', 'arrays/edges.parquet', 'arrays/nodes.parquet']) files[f] = readFileSync(join(out, f)).toString('hex');
  for (const f of readdirSync(join(out, 'members')).filter((n) => /^\d{6}\.json$/.test(n))) files[`members/${f}`] = readFileSync(join(out, 'members', f)).toString('hex');
  return files;
}

const fileOf = (path: string): ArrayBuffer => {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

describe('clln ensemble run (built CLI, worker threads)', () => {
  const spec = writeSpec('small', 6, 300);

  it('one and two workers write the same dataset, bit for bit; --json says what ran', async () => {
    const one = await runBuiltCli(['ensemble', 'run', spec, '--out', join(dir, 'w1'), '--workers', '1', '--json'], children);
    const two = await runBuiltCli(['ensemble', 'run', spec, '--out', join(dir, 'w2'), '--workers', '2', '--json'], children);
    expect([one.code, one.err, two.code, two.err]).toEqual([0, '', 0, '']);
    expect(JSON.parse(one.out)).toMatchObject({ members: 6, ran: 6, skipped: 0, workers: 1, out: join(dir, 'w1') });
    expect(JSON.parse(two.out)).toMatchObject({ members: 6, ran: 6, skipped: 0, workers: 2 });
    const a = datasetFiles(join(dir, 'w1'));
    expect(Object.keys(a)).toHaveLength(5 + 6);
    expect(datasetFiles(join(dir, 'w2'))).toEqual(a);
    // run again: nothing left to run, nothing rewritten
    const again = await runBuiltCli(['ensemble', 'run', spec, '--out', join(dir, 'w2'), '--json'], children);
    expect(JSON.parse(again.out)).toMatchObject({ ran: 0, skipped: 6, workers: 0 });
    expect(datasetFiles(join(dir, 'w2'))).toEqual(a);
  });

  it('the Parquet tables read back by hyparquet: one row per member, typed columns with units, the same numbers as readDataset', async () => {
    const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
    const out = join(dir, 'w1');
    const ds = readDataset(out);
    expect(ds.meta).toMatchObject({ format: 'clln.ensemble-dataset/1', software: { name: 'clln' }, members: 6 });
    expect(ds.meta.software.version).toBe(JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')).version);

    const file = fileOf(join(out, 'members.parquet'));
    const meta = parquetMetadata(file);
    const types = Object.fromEntries(meta.schema.slice(1).map((s) => [s.name, s.type]));
    expect(types).toEqual({
      index: 'INT64', seed_network: 'INT64', seed_task: 'INT64', seed_order: 'INT64', steps: 'INT64', converged: 'BOOLEAN',
      train_mse: 'DOUBLE', test_mse: 'DOUBLE', lambda_low: 'DOUBLE', lambda_high: 'DOUBLE', stiff_alignment: 'DOUBLE', edges: 'INT64', nodes: 'INT64',
      status: 'BYTE_ARRAY', error: 'BYTE_ARRAY',
    });
    const units = Object.fromEntries(meta.row_groups[0].columns.map((c) => [c.meta_data!.path_in_schema[0], c.meta_data!.key_value_metadata?.find((kv) => kv.key === 'units')?.value]));
    expect(units).toMatchObject({ train_mse: 'V^2', test_mse: 'V^2', lambda_low: 'S', lambda_high: 'S', stiff_alignment: '1', index: undefined });
    const kv = Object.fromEntries((meta.key_value_metadata ?? []).map((x) => [x.key, x.value]));
    expect(kv['clln.specDigest']).toBe(ds.meta.specDigest);
    const rows = await parquetReadObjects({ file, compressors: GZIP });
    expect(rows).toHaveLength(6);
    rows.forEach((r, i) => {
      const m = ds.members[i];
      expect(r).toEqual({
        index: BigInt(i), seed_network: BigInt(m.seeds.network), seed_task: BigInt(m.seeds.task), seed_order: BigInt(m.seeds.order), steps: 300n, converged: false,
        train_mse: m.trainMse, test_mse: m.testMse, lambda_low: m.lambdaLow, lambda_high: m.lambdaHigh, stiff_alignment: m.stiffAlignment, edges: 24n, nodes: 16n,
        status: 'ok', error: null,
      });
    });

    const edges = await parquetReadObjects({ file: fileOf(join(out, 'arrays/edges.parquet')), compressors: GZIP });
    expect(edges).toHaveLength(6 * 24);
    const eunits = parquetMetadata(fileOf(join(out, 'arrays/edges.parquet'))).row_groups[0].columns.map((c) => c.meta_data!.key_value_metadata?.find((x) => x.key === 'units')?.value);
    expect(eunits).toEqual([undefined, undefined, undefined, undefined, 'S', '1']);
    for (const r of edges) {
      const m = ds.members[Number(r.member)];
      expect(r.conductance).toBe(m.conductance[Number(r.edge)]);
      expect(r.boundary_frequency).toBe(m.boundaryFrequency![Number(r.edge)]);
    }
    // edge 0 of a 4x4 lattice joins nodes 0 and 1 (lattice.ts edge order)
    expect([edges[0].node_a, edges[0].node_b]).toEqual([0n, 1n]);
    const nodes = await parquetReadObjects({ file: fileOf(join(out, 'arrays/nodes.parquet')), compressors: GZIP });
    expect(nodes).toHaveLength(6 * 16);
    expect(nodes[5]).toEqual({ member: 0n, node: 5n, x: 1, y: 1 });
  });

  it('resumes after SIGKILL: stored members are not run or written again, cut-off ones are redone, the dataset equals an uninterrupted run', async () => {
    const slow = writeSpec('slow', 10, 4000);
    const whole = await runBuiltCli(['ensemble', 'run', slow, '--out', join(dir, 'whole'), '--json'], children);
    expect(whole.code).toBe(0);

    const out = join(dir, 'killed');
    const child = spawn(process.execPath, [CLI, 'ensemble', 'run', slow, '--out', out, '--workers', '1'], { stdio: 'ignore' });
    children.push(child);
    const closed = once(child, 'close');
    // wait for the first member file (a condition, not a time), then kill without warning
    const members = join(out, 'members');
    const stored = (): string[] => {
      try {
        return readdirSync(members).filter((n) => /^\d{6}\.json$/.test(n));
      } catch {
        return [];
      }
    };
    while (stored().length === 0 && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await closed;
    const before = stored();
    expect(before.length).toBeGreaterThan(0);
    expect(before.length, 'killed mid-ensemble').toBeLessThan(10);
    const stats = Object.fromEntries(before.map((f) => [f, statSync(join(members, f))]));

    const resumed = await runBuiltCli(['ensemble', 'run', slow, '--out', out, '--json'], children);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.out)).toMatchObject({ members: 10, skipped: before.length, ran: 10 - before.length });
    for (const f of before) {
      const s = statSync(join(members, f));
      expect([s.ino, s.mtimeMs], `${f} not written again`).toEqual([stats[f].ino, stats[f].mtimeMs]);
    }
    expect(stored()).toHaveLength(10);
    expect(datasetFiles(out)).toEqual(datasetFiles(join(dir, 'whole')));
  });

  it('a terminal gets a progress bar with an ETA on stderr; stdout the summary', async () => {
    const err = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
    const o = new PassThrough();
    let stderr = '';
    let stdout = '';
    err.on('data', (d: Buffer) => (stderr += d.toString()));
    o.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await main(['ensemble', 'run', writeSpec('tty', 3, 200), '--out', join(dir, 'tty'), '--workers', '2'], { stdout: o, stderr: err as unknown as NodeJS.WriteStream });
    await new Promise((r) => setImmediate(r));
    expect(code).toBe(0);
    expect(stderr).toMatch(/ensemble tty \[#+\] 3\/3 ETA \d+s/);
    expect(stdout).toMatch(/^ensemble tty: 3 members, 3 run on 2 workers in [\d.]+ s; dataset in /);
  });
});
