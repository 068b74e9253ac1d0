/**
 * The package as a user gets it: `npm pack` the project, install the tarball into a scratch folder outside the
 * repository (so nothing resolves to the checkout's sources or node_modules), and run each script of examples/ there
 * against the installed package only. Also checks that the curated subpath exports load and that internals are
 * closed (a deep import fails with ERR_PACKAGE_PATH_NOT_EXPORTED, as it would for any user).
 *
 * Needs the build (`npm test` builds before vitest) and the npm registry or npm's cache for the dependencies.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'clln-package-'));
const app = join(work, 'app');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The environment without npm's lifecycle variables (npm test sets npm_config_*, which would steer the child npm). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return env;
}

function run(cmd: string, args: string[], cwd = app): { code: number; out: string; err: string } {
  const r = spawnSync(cmd, args, { cwd, env: cleanEnv(), encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function node(...args: string[]): { code: number; out: string; err: string } {
  return run(process.execPath, args);
}

beforeAll(() => {
  expect(existsSync(join(ROOT, 'dist/src/index.js')), 'build first (npm test does)').toBe(true);
  // --ignore-scripts: the build is already fresh (npm test runs tsc first); prepare would only repeat it.
  const packed = execFileSync(NPM, ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
  const tarball = join(work, packed.trim().split('\n').pop()!.trim());
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'clln-user', private: true, type: 'module' }));
  const inst = run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball]);
  expect(inst.code, inst.err).toBe(0);
  mkdirSync(join(app, 'examples'));
  for (const f of readdirSync(join(ROOT, 'examples'))) if (f.endsWith('.mjs')) copyFileSync(join(ROOT, 'examples', f), join(app, 'examples', f));
}, 600_000);

describe('the installed package', () => {
  it('loads every documented entry point, and no internal module', () => {
    const probe = `
      const out = {};
      for (const p of ['clln', 'clln/physics', 'clln/diagnostics', 'clln/device', 'clln/twins']) out[p] = Object.keys(await import(p)).length;
      try { await import('clln/dist/src/diagnostics/physicalSpectrum.js'); out.deep = 'loaded'; } catch (e) { out.deep = e.code; }
      console.log(JSON.stringify(out));`;
    const r = node('--input-type=module', '-e', probe);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as Record<string, number | string>;
    for (const p of ['clln', 'clln/physics', 'clln/diagnostics', 'clln/device', 'clln/twins']) expect(out[p], p).toBeGreaterThan(3);
    expect(out.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('examples/train-on-twin.mjs trains the twin and prints the spectrum of what it learned', () => {
    const r = node('examples/train-on-twin.mjs', '200');
    expect(r.code, r.err).toBe(0);
    const mse = /train MSE (\S+) -> (\S+) V\^2/.exec(r.out);
    expect(mse, r.out).not.toBeNull();
    expect(Number(mse![2])).toBeLessThan(Number(mse![1]));
    const values = /lowest eigenvalues of H_FF \(S\): (.*)/.exec(r.out)![1].split(', ').map(Number);
    expect(values).toHaveLength(5);
    // H_FF of a connected network with imposed nodes is positive definite; ascending order
    for (let i = 0; i < values.length; i++) {
      expect(values[i]).toBeGreaterThan(0);
      if (i > 0) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
    }
    expect(r.out).toMatch(/converged true/);
  });

  it('examples/calibrate-and-check.mjs calibrates the twin and checks it against the record', () => {
    const r = node('examples/calibrate-and-check.mjs', join(work, 'twin.calibration.json'));
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toMatch(/fit converged: true/);
    expect(r.out).toMatch(/check passed: true/);
    const rec = JSON.parse(readFileSync(join(work, 'twin.calibration.json'), 'utf8')) as { format: string };
    expect(rec.format).toBe('clln.calibration/1');
  });

  it('examples/export-run.mjs exports a record written by the installed clln command', () => {
    const bin = join(app, 'node_modules/.bin/clln');
    const net = join(work, 'net.json'), task = join(work, 'task.json'), rec = join(work, 'run.jsonl');
    for (const args of [
      ['network', 'board', 'penn-gen1', '--out', net],
      ['task', 'linear', '--matrix', '0.15,0.3;0.2,0.1', '--sources', '0,3', '--targets', '9,10', '--ground', '15', '--count', '8', '--network', net, '--out', task],
      ['train', net, task, '--board', 'twin', '--steps', '12', '--record', rec, '--json'],
    ]) {
      const r = run(bin, args);
      expect(r.code, `clln ${args.join(' ')}: ${r.err}`).toBe(0);
    }
    const r = node('examples/export-run.mjs', rec);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/complete, 12 steps/);
    const csv = readFileSync(join(work, 'run.csv'), 'utf8').trim().split(/\r?\n/);
    expect(csv).toHaveLength(13); // header + one row per step
    expect(existsSync(join(work, 'run.parquet'))).toBe(true);
    expect(node('examples/export-run.mjs').code).toBe(2);
  });
});
