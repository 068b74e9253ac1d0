/**
 * `clln ensemble stats` streams the dataset (src/ensemble/stats/loadDataset.ts, ensembleStatistics.ts
 * EnsembleAccumulator): 1000 members of a 64 x 64 lattice with diagonals (16002 edges each), one of them failed, in
 * a child running the built CLI (`npm run build` first; `npm test` does) under a 96 MB V8 heap. The member files are
 * written here by hand in the documented shape (src/ensemble/README.md) with values given by formulas, so that the
 * expected statistics come from the formulas, not from clln.
 *
 * The memory bound: the child's peak resident set must stay below the size of the members' arrays alone
 * (999 x 16002 x 2 doubles = 256 MB), which reading the dataset whole (readDataset) holds at once, outside the V8
 * heap (Float64Arrays), so the heap cap alone would not catch it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDatasetDir } from '../../src/ensemble/dataset.js';
import { parseEnsembleSpec, specDigest } from '../../src/ensemble/EnsembleSpec.js';
import { memberNetwork } from '../../src/ensemble/runMember.js';
import { CLI } from '../emulator/builtCli.js';

const root = mkdtempSync(join(tmpdir(), 'clln-ens-stats-scale-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const MEMBERS = 1000;
const FAILED = 7;
/** Final test MSE of member i (V^2): success at the default 1e-4 V^2 iff i mod 20 <= 10. */
const testMse = (i: number): number => (i % 20) * 1e-5;
/** f_e of every finished member: exact in binary, so the ensemble mean is too. */
const frequency = (e: number): number => (e % 64) / 64;

describe.skipIf(!existsSync(CLI))('ensemble stats in bounded memory', () => {
  it('1000 members of a 64 x 64 lattice with diagonals (one failed): the statistics of the formulas, under a 96 MB heap, peak RSS below the members\' arrays', async () => {
    const spec = parseEnsembleSpec(
      {
        format: 'clln.ensemble/1', name: 'stats-big', members: MEMBERS, seed: 3,
        network: { kind: 'lattice', rows: 64, cols: 64, diagonals: true },
        task: { kind: 'linear', matrix: [[0.2]], sources: [0], targets: [2048], ground: [4095] },
        stop: { maxSteps: 10 },
      },
      'stats-big.json',
    );
    const dir = join(root, 'big');
    openDatasetDir(dir, spec);
    const digest = specDigest(spec);
    const E = memberNetwork(spec, 0).edgeA.length;
    expect(E).toBe(16002);
    // the arrays' JSON once (every member has the same), the scalars per member
    const k = JSON.stringify(Array.from({ length: E }, (_, e) => 0.5 + (e % 7) / 8));
    const f = JSON.stringify(Array.from({ length: E }, (_, e) => frequency(e)));
    for (let i = 0; i < MEMBERS; i++) {
      const path = join(dir, 'members', `${String(i).padStart(6, '0')}.json`);
      const seeds = { network: i, task: i + 1, order: i + 2 };
      if (i === FAILED) {
        writeFileSync(path, JSON.stringify({ format: 'clln.ensemble-member/1', specDigest: digest, status: 'failed', failure: { index: i, seeds, error: 'Error: boom' } }) + '\n');
        continue;
      }
      const scalars = JSON.stringify({ index: i, seeds, steps: 10, converged: i % 2 === 0, trainMse: testMse(i) / 2, testMse: testMse(i), lambdaLow: 0.125, lambdaHigh: 8, stiffAlignment: 0.5, edges: E, nodes: 4096 });
      writeFileSync(path, `{"format":"clln.ensemble-member/1","specDigest":"${digest}","result":${scalars.slice(0, -1)},"conductance":${k},"boundaryFrequency":${f}}}\n`);
    }
    // meta.json as assembly writes it (the Parquet tables are not read by the statistics)
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ format: 'clln.ensemble-dataset/1', software: { name: 'clln', version: '0' }, specDigest: digest, members: MEMBERS, failed: 1 }));

    const arraysBytes = (MEMBERS - 1) * E * 2 * 8;
    // the child reports its peak RSS (kB) on exit
    const report = "data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss '+process.resourceUsage().maxRSS+'\\n'))";
    const child = spawn(process.execPath, ['--max-old-space-size=96', '--import', report, CLI, 'ensemble', 'stats', dir, '--json', '--resamples', '1000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code, err).toBe(0);
    const maxRss = Number(/maxrss (\d+)/.exec(err)?.[1]) * 1024;
    console.log(`ensemble stats on ${MEMBERS} x ${E} edges: peak RSS ${(maxRss / 2 ** 20).toFixed(0)} MB (members' arrays ${(arraysBytes / 2 ** 20).toFixed(0)} MB)`);
    expect(maxRss).toBeGreaterThan(0);
    expect(maxRss).toBeLessThan(arraysBytes);

    const j = JSON.parse(out);
    expect(j.total).toBe(MEMBERS);
    expect(j.members).toBe(MEMBERS - 1);
    expect(j.failed).toEqual({ count: 1, first: [{ index: FAILED, error: 'Error: boom' }], distinct_errors: 1, distinct_capped: false });
    // successes by formula: i mod 20 <= 10, member 7 (a would-be success) failed and counts as unsuccessful
    let wins = 0;
    for (let i = 0; i < MEMBERS; i++) if (i !== FAILED && i % 20 <= 10) wins++;
    expect(wins).toBe(549);
    expect(j.success).toMatchObject({ k: wins, n: MEMBERS, finished: { k: wins, n: MEMBERS - 1 } });
    expect(j.converged).toMatchObject({ k: 500, n: MEMBERS }); // even i converged; 7 is odd
    expect(j.lambda_high).toMatchObject({ n: MEMBERS - 1, mean: 8, median: 8 });
    // f_e: every finished member has the same, so its mean and every resample's mean are it, exactly
    const b = j.boundary_frequency;
    expect(b).toMatchObject({ members: MEMBERS - 1, edges: E, drawn: true });
    for (const e of [0, 1, 63, 64, 777, E - 1]) {
      expect(b.mean[e]).toBe(frequency(e));
      expect([b.ci95_lo[e], b.ci95_hi[e]]).toEqual([frequency(e), frequency(e)]);
    }
  }, 180_000);
});
