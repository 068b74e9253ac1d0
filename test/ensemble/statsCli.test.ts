/**
 * Issue 16, point 4: `clln ensemble stats DIR` — text, --json and --svg — on hand-built datasets served by a stand-in
 * for E1's readDataset (the command's one dataset entry point, src/ensemble/stats/loadDataset.ts), and its bad-input
 * errors through the real CLI.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/Io.js';
import { ensembleStats } from '../../src/cli/commands/ensembleStats.js';
import type { DatasetSource } from '../../src/ensemble/stats/loadDataset.js';
import { latticeNetwork } from '../../src/physics/generators/lattice.js';
import { randomGraphNetwork } from '../../src/physics/generators/randomGraph.js';
import { clln, expectOneParagraph } from '../cli/inProcess.js';
import { checkPaperFigure, checkPngFile } from '../figures/figureChecks.js';
import { byClass, parseSvg } from '../figures/svgChecks.js';
import { fixtureEnsemble } from './statsFixtures.js';

async function run(argv: string[], source: DatasetSource): Promise<{ code: number; stdout: string }> {
  const o = new PassThrough();
  let stdout = '';
  o.on('data', (d: Buffer) => (stdout += d.toString()));
  const io: Io = { stdout: o, stderr: new PassThrough() as unknown as NodeJS.WriteStream };
  const code = await ensembleStats(argv, io, source);
  await new Promise((r) => setImmediate(r));
  return { code, stdout };
}

// shaped like E1's resolved spec where the statistics read it: names, the generator, the task's imposed nodes, modes
const spec = { name: 'fixture-lattice', network: { kind: 'lattice', rows: 5, cols: 5 }, task: { kind: 'linear', sources: [0, 4], ground: [24], targets: [12] }, diagnostics: { modes: 10 } };
const meta = { specDigest: 'abcdef0123456789abcdef' };

function latticeSource(n: number, aligned = 0.3): DatasetSource {
  const { members } = fixtureEnsemble({ n, seed: 12, aligned });
  return { readDataset: () => ({ spec, meta, members }), memberNetwork: () => latticeNetwork({ rows: 5, cols: 5 }) };
}

describe('clln ensemble stats', () => {
  it('--json: every section, numbers consistent with the members, per-edge f_e with intervals', async () => {
    const src = latticeSource(120);
    const r = await run(['data', '--json', '--resamples', '1000', '--threshold', '2e-4'], src);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const { members } = await src.readDataset!('data');
    expect(j.members).toBe(120);
    expect(j.ensemble).toBe('fixture-lattice (spec abcdef012345)');
    expect(j.threshold).toEqual({ test_mse: 2e-4, unit: 'V^2', why: 'given with --threshold' });
    expect(j.success.k).toBe(members.filter((m) => m.testMse! <= 2e-4).length);
    expect(j.success.wilson95[0]).toBeLessThan(j.success.rate);
    for (const q of ['train_mse', 'test_mse', 'lambda_low', 'lambda_high', 'steps']) {
      expect(j[q].histogram.counts.reduce((a: number, b: number) => a + b, 0)).toBe(j[q].n);
      expect(j[q].ci95[0]).toBeLessThanOrEqual(j[q].mean);
      expect(j[q].ci95[1]).toBeGreaterThanOrEqual(j[q].mean);
    }
    const mean = members.reduce((s, m) => s + m.lambdaLow, 0) / 120;
    expect(j.lambda_low.mean).toBeCloseTo(mean, 12);
    expect(j.alignment.dimensions).toEqual([40]);
    expect(j.alignment.null.model).toContain('Beta(1/2, (d-1)/2)');
    // K = min(10, diagnostics.modes, free nodes 25 - 3) = 10
    expect(j.alignment.null.k_modes.modes).toBe(10);
    expect(j.alignment.null.one_mode.modes).toBe(1);
    expect(j.boundary_frequency.mean).toHaveLength(40);
    expect(j.boundary_frequency.ci95_lo[0]).toBe(1);
    expect(j.boundary_frequency.drawn).toBe(true);
    expect(j.bootstrap).toEqual({ method: 'percentile', resamples: 1000, seed: 1 });
  });

  it('text by default: success with its interval, the default threshold and why, the null model', async () => {
    const r = await run(['data', '--resamples', '500'], latticeSource(80));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ensemble fixture-lattice (spec abcdef012345): 80 members (lattice, rows 5, cols 5; linear)');
    expect(r.stdout).toMatch(/success \(test MSE <= 1e-4 V\^2: the default: an RMS error of 10 mV.*\): \d+\/80 = .* Wilson 95 %/);
    expect(r.stdout).toContain('null, a random direction (cos^2 ~ Beta(1/2, (d-1)/2) per mode): one mode mean');
    expect(r.stdout).toContain('max over 10 independent modes (conservative)');
    expect(r.stdout).toContain('bootstrap: percentile, 500 resamples, seed 1');
  });

  it("the spec's stop.targetMse is the default threshold when it has one", async () => {
    const { members } = fixtureEnsemble({ n: 50, seed: 14 });
    const src: DatasetSource = { readDataset: () => ({ spec: { ...spec, stop: { targetMse: 3e-4 } }, meta, members }) };
    const j = JSON.parse((await run(['data', '--json', '--resamples', '200'], src)).stdout);
    expect(j.threshold.test_mse).toBe(3e-4);
    expect(j.threshold.why).toContain('stop.targetMse');
    expect(j.success.k).toBe(members.filter((m) => m.testMse! <= 3e-4).length);
    // --threshold still wins
    expect(JSON.parse((await run(['data', '--json', '--resamples', '200', '--threshold', '1e-5'], src)).stdout).threshold.test_mse).toBe(1e-5);
  });

  it('--svg --png: the figures pass the paper checks and name the ensemble, its networks and task', async () => {
    const out = mkdtempSync(join(tmpdir(), 'clln-ens-stats-'));
    const r = await run(['data', '--svg', out, '--png', '--resamples', '500'], latticeSource(60));
    expect(r.code).toBe(0);
    const svgs = readdirSync(out).filter((f) => f.endsWith('.svg')).sort();
    expect(svgs).toEqual(['alignment.svg', 'boundary-frequency.svg', 'eigenvalues.svg', 'mse.svg']);
    // the task's roles marked on the network: sources 0 and 4, ground 24, target 12
    const net = parseSvg(readFileSync(join(out, 'boundary-frequency.svg'), 'utf8'));
    expect(byClass(net, 'roles')[0].children.map((c) => c.attrs.class)).toEqual(['source', 'source', 'ground', 'target']);
    for (const f of svgs) {
      checkPaperFigure(readFileSync(join(out, f), 'utf8'), ['fixture-lattice (spec abcdef012345)', 'lattice, rows 5, cols 5', 'linear']);
      checkPngFile(join(out, f.replace('.svg', '.png')), join(out, f));
    }
  });

  it('random graphs of one size: members do not share edges, so f_e is neither averaged nor drawn, and says why', async () => {
    const { members } = fixtureEnsemble({ n: 30, seed: 13 });
    // same node and edge count as the 5x5 lattice (25 nodes, 40 edges), different edges per member
    const src: DatasetSource = { readDataset: () => ({ spec, meta, members }), memberNetwork: (_s, i) => randomGraphNetwork({ nodes: 25, meanDegree: 3.2, seed: 100 + i }) };
    const out = mkdtempSync(join(tmpdir(), 'clln-ens-stats-rg-'));
    const r = await run(['data', '--json', '--svg', out, '--resamples', '200'], src);
    const j = JSON.parse(r.stdout);
    expect(j.boundary_frequency).toBeNull();
    expect(j.boundary_frequency_skipped).toContain('different edges');
    expect(readdirSync(out).sort()).toEqual(['alignment.svg', 'eigenvalues.svg', 'mse.svg']);
  });

  it('failed members: counted, the first few with their error (bounded), the denominator stated, in text and --json', async () => {
    const { members } = fixtureEnsemble({ n: 40, seed: 15 });
    const failed = Array.from({ length: 8 }, (_, i) => ({ index: 40 + i, seeds: { network: 1, task: 2, order: 3 }, error: `Error: solver did not converge on member ${40 + i}` }));
    const src: DatasetSource = { readDataset: () => ({ spec, meta, members, failed }), memberNetwork: () => latticeNetwork({ rows: 5, cols: 5 }) };
    const k = members.filter((m) => m.testMse! <= 1e-4).length;
    const text = (await run(['data', '--resamples', '200'], src)).stdout;
    expect(text).toContain('ensemble fixture-lattice (spec abcdef012345): 48 members (40 finished, 8 failed)');
    expect(text).toContain('failed: 8 of 48 members (their computation threw; no results; 8 distinct errors), the first 5:');
    expect(text).toContain('  member 40: Error: solver did not converge on member 40');
    expect(text).toContain('  member 44: Error');
    expect(text).not.toContain('member 45: Error');
    expect(text).toContain(`): ${k}/48 = `);
    expect(text).toContain(`over all 48 members, the 8 failed counted as unsuccessful; among the 40 finished: ${k}/40 = `);
    expect(text).toContain('distributions over the 40 finished members');
    const j = JSON.parse((await run(['data', '--json', '--resamples', '200'], src)).stdout);
    expect(j.members).toBe(40);
    expect(j.total).toBe(48);
    expect(j.failed.count).toBe(8);
    expect(j.failed.first).toHaveLength(5);
    expect(j.failed.first[0]).toEqual({ index: 40, error: 'Error: solver did not converge on member 40' });
    expect(j.success).toMatchObject({ k, n: 48, finished: { k, n: 40 } });
    expect(j.success.denominator).toContain('counts as unsuccessful');
    // without failures the denominator says so
    const none = JSON.parse((await run(['data', '--json', '--resamples', '200'], latticeSource(30))).stdout);
    expect(none.failed).toEqual({ count: 0, first: [], distinct_errors: 0, distinct_capped: false });
    expect(none.success.denominator).toBe('every member (none failed)');
    // every member failed: nothing to describe, exit 2 naming the first error
    const allFailed: DatasetSource = { readDataset: () => ({ spec, meta, members: [], failed }) };
    await expect(run(['data'], allFailed)).rejects.toThrow(/every one of its 8 members failed \(member 40: Error: solver/);
  });

  it('bad input exits 2 with one paragraph naming the option', async () => {
    for (const args of [['stats'], ['stats', 'd', '--threshold', '-1'], ['stats', 'd', '--resamples', '10'], ['stats', 'd', '--png'], ['frobnicate']]) {
      const r = await clln('ensemble', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      const line = expectOneParagraph(r.stderr);
      if (args[2] === '--threshold') expect(line).toContain('--threshold');
    }
    const empty: DatasetSource = { readDataset: () => ({ spec, meta, members: [] }) };
    await expect(run(['data'], empty)).rejects.toThrow(/no members/);
  });

  it('on a dataset written by clln ensemble run: the success count and MSE medians agree with members.parquet read by hyparquet', async () => {
    const { parquetReadObjects } = await import('hyparquet');
    const out = join(mkdtempSync(join(tmpdir(), 'clln-ens-real-')), 'ds');
    const spec = join(__dirname, '../../examples/ensembles/lattice-4x4.json');
    // member 5's computation throws (test-only fault hook of the pool's threads): stored as failed, no results
    process.env.CLLN_TEST_ENSEMBLE_FAULTS = JSON.stringify({ throw: [5] });
    let run;
    try {
      run = await clln('ensemble', 'run', spec, '--out', out, '--workers', '2', '--json');
    } finally {
      delete process.env.CLLN_TEST_ENSEMBLE_FAULTS;
    }
    expect(run.code, run.stderr).toBe(0);
    const r = await clln('ensemble', 'stats', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const buf = readFileSync(join(out, 'members.parquet'));
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const { gunzipSync } = await import('node:zlib');
    const compressors = { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) };
    const all = (await parquetReadObjects({ file, compressors })) as { index: bigint; test_mse: number | null; status: string; error: string | null }[];
    expect(all).toHaveLength(16);
    const failed = all.filter((x) => x.status === 'failed');
    expect(failed.map((x) => Number(x.index))).toEqual([5]);
    expect(j.failed).toEqual({ count: 1, first: [{ index: 5, error: failed[0].error }], distinct_errors: 1, distinct_capped: false });
    const rows = all.filter((x) => x.status === 'ok') as { test_mse: number }[];
    // the spec's stop.targetMse (7e-4 V^2) is the default threshold; the failed member counts as unsuccessful
    const ok = rows.filter((x) => x.test_mse <= 7e-4).length;
    expect(j.threshold.test_mse).toBe(7e-4);
    expect(j.success).toMatchObject({ k: ok, n: 16, finished: { k: ok, n: 15 } });
    const sorted = rows.map((x) => x.test_mse).sort((a, b) => a - b);
    // type-7 quantiles of the 15 finished members' values: the median the 8th, the mean over all 15
    expect(j.test_mse.n).toBe(15);
    expect(j.test_mse.median).toBeCloseTo(sorted[7], 15);
    expect(j.test_mse.mean).toBeCloseTo(sorted.reduce((a, b) => a + b, 0) / 15, 15);
    // f_e over the 15 finished members
    expect(j.boundary_frequency.members).toBe(15);
  }, 120_000);
});

