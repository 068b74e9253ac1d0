/**
 * Failures inside the local pool (src/ensemble/pool.ts, "Failures"), injected through the test-only environment
 * variable CLLN_TEST_ENSEMBLE_FAULTS that memberWorker.ts reads when a thread starts (workers copy process.env when
 * created). The workers are the built dist/src/ensemble/memberWorker.js: `npm run build` first (`npm test` does).
 * No clocks: every fault fires at a given member and attempt.
 *
 * The truth each run is checked against is a clean run of the same spec: a member's result depends only on the spec
 * and its index, so a failure elsewhere, or a thread dying under it, must not change a stored byte.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readEnsembleSpec } from '../../src/ensemble/EnsembleSpec.js';
import { readDataset } from '../../src/ensemble/dataset.js';
import { memberPath, readMember } from '../../src/ensemble/memberStore.js';
import { MAX_MEMBER_ATTEMPTS, runEnsembleLocal } from '../../src/ensemble/pool.js';
import { CllnError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-ens-fail-'));
const GZIP = { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) };
const FAULTS = 'CLLN_TEST_ENSEMBLE_FAULTS';
afterEach(() => {
  delete process.env[FAULTS];
});

const specPath = join(dir, 'six.json');
writeFileSync(
  specPath,
  JSON.stringify({
    format: 'clln.ensemble/1', name: 'six', members: 6, seed: 11,
    network: { kind: 'lattice', rows: 4, cols: 4, conductance: [0.5, 1.5] },
    task: { kind: 'linear', matrix: [[0.15, 0.3], [0.2, 0.1]], sources: [0, 3], targets: [9, 10], ground: [15], count: 20, test: 10 },
    stop: { maxSteps: 200 },
    diagnostics: { modes: 6 },
  }),
);
const spec = readEnsembleSpec(specPath);
const clean = join(dir, 'clean');

/** The member files a run stored, by name, as bytes (hex). */
function memberFiles(out: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const f of readdirSync(join(out, 'members')).filter((n) => /^\d{6}\.json$/.test(n))) files[f] = readFileSync(join(out, 'members', f)).toString('hex');
  return files;
}
const datasetFiles = (out: string): Record<string, string> => {
  const files = memberFiles(out);
  for (const f of ['spec.json', 'meta.json', 'members.parquet', 'arrays/edges.parquet', 'arrays/nodes.parquet']) files[f] = readFileSync(join(out, f)).toString('hex');
  return files;
};
const fileOf = (path: string): ArrayBuffer => {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

beforeAll(async () => {
  const s = await runEnsembleLocal(spec, clean, { workers: 2 });
  expect(s).toMatchObject({ ran: 6, failed: 0, failedTotal: 0, restarts: 0 });
});

describe('ensemble pool: a member whose computation throws', () => {
  it('is stored once as failed (seeds and error, no results); the run completes; the other members are those of a clean run', async () => {
    process.env[FAULTS] = JSON.stringify({ throw: [2] });
    const out = join(dir, 'throws');
    const s = await runEnsembleLocal(spec, out, { workers: 2 });
    expect(s).toMatchObject({ members: 6, ran: 6, failed: 1, failedTotal: 1, restarts: 0, skipped: 0 });

    const doc = JSON.parse(readFileSync(memberPath(out, 2), 'utf8'));
    const cleanSeeds = readMember(clean, 2).seeds;
    expect(doc).toEqual({ format: 'clln.ensemble-member/1', specDigest: expect.any(String), status: 'failed', failure: { index: 2, seeds: cleanSeeds, error: expect.stringMatching(/^Error: injected failure of member 2 .*did not converge$/) } });
    const mine = memberFiles(out);
    const theirs = memberFiles(clean);
    delete theirs['000002.json'];
    delete mine['000002.json'];
    expect(mine).toEqual(theirs);
    expect(() => readMember(out, 2)).toThrow(/ensemble member 2 failed when it ran \(Error: injected failure/);

    // the dataset: readDataset leaves it out of members and lists it as failed; meta.json counts it
    const ds = readDataset(out);
    expect(ds.members.map((m) => m.index)).toEqual([0, 1, 3, 4, 5]);
    expect(ds.failed).toEqual([{ index: 2, seeds: cleanSeeds, error: doc.failure.error }]);
    expect(ds.meta.failed).toBe(1);

    // the tables, read by hyparquet: a row for it with status and error and nulls; no rows in the arrays
    const { parquetReadObjects } = await import('hyparquet');
    const rows = await parquetReadObjects({ file: fileOf(join(out, 'members.parquet')), compressors: GZIP });
    const cleanRows = await parquetReadObjects({ file: fileOf(join(clean, 'members.parquet')), compressors: GZIP });
    expect(rows).toHaveLength(6);
    expect(rows[2]).toEqual({
      index: 2n, seed_network: BigInt(cleanSeeds.network), seed_task: BigInt(cleanSeeds.task), seed_order: BigInt(cleanSeeds.order),
      steps: null, converged: null, train_mse: null, test_mse: null, lambda_low: null, lambda_high: null, stiff_alignment: null, edges: null, nodes: null,
      status: 'failed', error: doc.failure.error,
    });
    for (const i of [0, 1, 3, 4, 5]) expect(rows[i]).toEqual({ ...cleanRows[i], status: 'ok', error: null });
    const edges = await parquetReadObjects({ file: fileOf(join(out, 'arrays/edges.parquet')), compressors: GZIP });
    const cleanEdges = await parquetReadObjects({ file: fileOf(join(clean, 'arrays/edges.parquet')), compressors: GZIP });
    expect(edges).toEqual(cleanEdges.filter((r) => r.member !== 2n));
    expect(edges).toHaveLength(5 * 24);

    // run again (no fault): a failed member is stored, so it is not run again
    delete process.env[FAULTS];
    const before = statSync(memberPath(out, 2));
    const again = await runEnsembleLocal(spec, out);
    expect(again).toMatchObject({ ran: 0, skipped: 6, failed: 0, failedTotal: 1 });
    expect(statSync(memberPath(out, 2)).mtimeMs).toBe(before.mtimeMs);
  });

  it('the CLI says how many failed and exits 0 (the dataset is complete)', async () => {
    process.env[FAULTS] = JSON.stringify({ throw: [0, 5] });
    const o = new PassThrough();
    const e = new PassThrough();
    let stdout = '';
    o.on('data', (d: Buffer) => (stdout += d.toString()));
    const code = await main(['ensemble', 'run', specPath, '--out', join(dir, 'cli-throws'), '--workers', '2'], { stdout: o, stderr: e as unknown as NodeJS.WriteStream });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ensemble six: 6 members, 6 run on 2 workers in [\d.]+ s; 2 failed \(status and error in members.parquet\); dataset in /);
  });
});

describe('ensemble pool: a worker thread that dies', () => {
  it('is replaced and its member redone: process.exit on a first attempt and an uncaught exception on two give the clean dataset, bit for bit', async () => {
    process.env[FAULTS] = JSON.stringify({ exit: { 3: 1 }, crash: { 1: 2 } });
    const out = join(dir, 'dies');
    const s = await runEnsembleLocal(spec, out, { workers: 2 });
    expect(s).toMatchObject({ ran: 6, failed: 0, restarts: 3 });
    expect(datasetFiles(out)).toEqual(datasetFiles(clean));
  });

  it(`stops the run after ${MAX_MEMBER_ATTEMPTS} deaths on one member, naming it; stored members are kept, and a second run completes them without storing any twice`, async () => {
    process.env[FAULTS] = JSON.stringify({ exit: { 4: 99 } });
    const out = join(dir, 'stops');
    // one worker: members 0..3 are stored before member 4 kills its threads, and 5 is never started
    const err = await runEnsembleLocal(spec, out, { workers: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CllnError);
    expect((err as Error).message).toMatch(new RegExp(`^ensemble member 4: the worker thread running it died ${MAX_MEMBER_ATTEMPTS} times \\(last: exit code 70\\); the run stops\\. The 4 members stored are kept`));
    const stored = memberFiles(out);
    const cleanFiles = memberFiles(clean);
    expect(Object.keys(stored).sort()).toEqual(['000000.json', '000001.json', '000002.json', '000003.json']);
    for (const f of Object.keys(stored)) expect(stored[f], f).toBe(cleanFiles[f]);
    expect(() => readFileSync(join(out, 'meta.json'))).toThrow(/ENOENT/); // not assembled

    // the CLI: exit 1 and one paragraph naming the member
    const e = new PassThrough();
    let stderr = '';
    e.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await main(['ensemble', 'run', specPath, '--out', out, '--workers', '1'], { stdout: new PassThrough(), stderr: e as unknown as NodeJS.WriteStream });
    expect(code).toBe(1);
    expect(stderr).toMatch(/ensemble member 4: the worker thread running it died 3 times/);

    delete process.env[FAULTS];
    const inodes = Object.fromEntries(Object.keys(stored).map((f) => [f, statSync(join(out, 'members', f)).ino]));
    const resumed = await runEnsembleLocal(spec, out, { workers: 2 });
    expect(resumed).toMatchObject({ ran: 2, skipped: 4, failed: 0, restarts: 0 });
    for (const f of Object.keys(stored)) expect(statSync(join(out, 'members', f)).ino, `${f} not written again`).toBe(inodes[f]);
    expect(datasetFiles(out)).toEqual(datasetFiles(clean));
  });
});
