import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readParquet } from './parquetReader.js';
import { CLI, populate, tempDir } from './helpers.js';

// The built CLI, as a user runs it (`npm test` builds before running vitest).
const home = tempDir('clln-store-cli-');

/** Run the CLI in `cwd` (asynchronously, so that a test can run several at once). */
function clln(args: string[], cwd = home): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx tsc -p tsconfig.json)`);
  await populate(join(home, 'runs'));
});

describe('clln runs', () => {
  it('lists runs/ of the working directory as a table', async () => {
    const r = await clln(['runs']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^file\s+started \(UTC\)\s+plan\s+steps\s+status\s+last cost$/);
    expect(lines[2]).toMatch(/^b-aborted\.jsonl\s+2023-11-14 22:15:00\s+train\s+3\s+aborted\s+3\.333e-1$/);
    expect(lines[3]).toMatch(/d-interrupted\.jsonl .* 7\s+interrupted \(torn line\)/);
    expect(lines[4]).toMatch(/a-complete\.jsonl .*train_board\s+12\s+complete/);
    expect(lines[6]).toMatch(/e-garbage\.jsonl\s+—\s+—\s+0\s+invalid\s+—/);
    expect(r.stdout).toMatch(/e-garbage\.jsonl: .*line 1/);
  });

  it('--json, and an explicit DIR', async () => {
    const r = await clln(['runs', join(home, 'runs'), '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout);
    expect(list.map((x: { status: string }) => x.status)).toEqual(['aborted', 'interrupted', 'complete', 'failed', 'invalid']);
  });

  it('exit 2 for a missing DIR or a stray argument; 0 and an empty list when runs/ does not exist yet', async () => {
    const [r, extra, empty] = await Promise.all([clln(['runs', 'no-such-dir']), clln(['runs', 'a', 'b']), clln(['runs', '--json'], tempDir())]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no-such-dir: cannot list runs: no such directory/);
    expect(extra.code).toBe(2);
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual([]);
  });
});

describe('clln export', () => {
  it('--csv OUT and --parquet OUT', async () => {
    const csv = join(home, 'a.csv');
    const pq = join(home, 'a.parquet');
    const r = await clln(['export', 'runs/a-complete.jsonl', '--csv', csv, '--parquet', pq]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote 12 steps x 84 columns to .*a\.csv \(CSV\)/);
    const rows = readFileSync(csv, 'utf8').split('\r\n');
    expect(rows).toHaveLength(14);
    expect(rows[0].startsWith('seq_num,time,step,example,inputs_0,inputs_1,vf_0,')).toBe(true);
    const p = readParquet(new Uint8Array(readFileSync(pq)));
    expect(p.numRows).toBe(12);
    expect(p.columns.map((c) => c.name).join(',')).toBe(rows[0]);
  });

  it('--csv - writes to stdout; notes go to stderr', async () => {
    const r = await clln(['export', 'runs/d-interrupted.jsonl', '--csv', '-']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\r\n')).toHaveLength(9);
    expect(r.stderr).toMatch(/interrupted; a torn last line was left out/);
  });

  it('exit 2 for a missing run file, a bad run file, or no output', async () => {
    const [missing, bad, none] = await Promise.all([
      clln(['export', 'runs/nope.jsonl', '--csv', 'x.csv']),
      clln(['export', 'runs/e-garbage.jsonl', '--parquet', 'x.parquet']),
      clln(['export', 'runs/a-complete.jsonl']),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.jsonl: cannot read the run file: no such file/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/line 1/);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/add --csv OUT or --parquet OUT/);
    expect(existsSync(join(home, 'x.csv'))).toBe(false);
    expect(existsSync(join(home, 'x.parquet'))).toBe(false);
  });
});
