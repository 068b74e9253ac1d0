/**
 * A spring ensemble through the built CLI (workers run dist/src/ensemble/memberWorker.js; `npm run build` first):
 * 6 members of an 8 x 8 diluted triangular network, 100 steps. One and two workers write the same dataset bit for bit;
 * the Parquet tables read back by hyparquet and by the Python standard-library reader (examples/python) hold the
 * member files' numbers, in the kind's units; `clln ensemble stats` reports in strain^2 and energy/length^2. Bad spring
 * specs exit 2 with one paragraph.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/ensemble/dataset.js';
import { memberSeeds } from '../../src/ensemble/runMember.js';
import { memberSpringNetwork } from '../../src/ensemble/springMember.js';
import { parseEnsembleSpec, type SpringEnsembleSpec } from '../../src/ensemble/EnsembleSpec.js';
import { CLI, runBuiltCli } from '../emulator/builtCli.js';
import { redisSkip, startRedis } from './queueRedis.js';

const dir = mkdtempSync(join(tmpdir(), 'clln-ens-springs-'));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
const GZIP = { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) };

const doc = {
  format: 'clln.ensemble/1',
  name: 'springs-8x8',
  members: 6,
  seed: 2,
  network: { kind: 'springs', generator: 'triangular', rows: 8, cols: 8, coordination: 4.6, disorder: 0.2 },
  task: { kind: 'strain', source: 'auto', target: 'auto', delta: 0.05, cooperative: true },
  stop: { maxSteps: 100 },
  diagnostics: { modes: 8 },
};
const specPath = join(dir, 'springs.json');
writeFileSync(specPath, JSON.stringify(doc));

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

describe('clln ensemble run on spring networks (built CLI)', () => {
  it('one and two workers write the same dataset, bit for bit', async () => {
    const one = await runBuiltCli(['ensemble', 'run', specPath, '--out', join(dir, 'w1'), '--workers', '1', '--json'], children);
    const two = await runBuiltCli(['ensemble', 'run', specPath, '--out', join(dir, 'w2'), '--workers', '2', '--json'], children);
    expect([one.code, one.err, two.code, two.err]).toEqual([0, '', 0, '']);
    expect(JSON.parse(one.out)).toMatchObject({ members: 6, ran: 6, failed: 0 });
    const a = datasetFiles(join(dir, 'w1'));
    expect(Object.keys(a)).toHaveLength(5 + 6);
    expect(datasetFiles(join(dir, 'w2'))).toEqual(a);
  });

  it('hyparquet reads the tables: spring columns with units, the member files\' numbers, both directions', async () => {
    const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
    const out = join(dir, 'w1');
    const ds = readDataset(out);
    const spec = ds.spec as SpringEnsembleSpec;
    const file = fileOf(join(out, 'members.parquet'));
    const meta = parquetMetadata(file);
    const units = Object.fromEntries(meta.row_groups[0].columns.map((c) => [c.meta_data!.path_in_schema[0], c.meta_data!.key_value_metadata?.find((kv) => kv.key === 'units')?.value]));
    expect(units).toMatchObject({ train_mse: 'strain^2', lambda_low: 'energy/length^2', lambda_high: 'energy/length^2', initial_error: 'strain^2', projection_ab: '1', energy_both_ba: 'energy', t_star_ab: 'energy (k_B = 1)', stiff_alignment: '1' });
    const rows = await parquetReadObjects({ file, compressors: GZIP });
    expect(rows).toHaveLength(6);
    rows.forEach((r, i) => {
      const m = ds.members[i];
      const sp = m.springs!;
      const [ab, ba] = sp.directions;
      expect(r).toEqual({
        index: BigInt(i), seed_network: BigInt(m.seeds.network), seed_task: BigInt(m.seeds.task), seed_order: BigInt(m.seeds.order), steps: 100n, converged: false,
        train_mse: m.trainMse, test_mse: null, lambda_low: m.lambdaLow, lambda_high: m.lambdaHigh, stiff_alignment: m.stiffAlignment, edges: BigInt(m.edges), nodes: 64n,
        source_a: BigInt(sp.source[0]), source_b: BigInt(sp.source[1]), target_a: BigInt(sp.target[0]), target_b: BigInt(sp.target[1]),
        initial_error: sp.initialError, rigid_modes: 3n, floppy_modes: 0n, thermal_route: 'dense-modes',
        target_strain_ab: ab.targetStrain, projection_ab: ab.projection, energy_source_ab: ab.energySource, energy_target_ab: ab.energyTarget, energy_both_ab: ab.energyBoth, t_star_ab: ab.tStar, t_star_reason_ab: ab.tStarReason,
        target_strain_ba: ba.targetStrain, projection_ba: ba.projection, energy_source_ba: ba.energySource, energy_target_ba: ba.energyTarget, energy_both_ba: ba.energyBoth, t_star_ba: ba.tStar, t_star_reason_ba: ba.tStarReason,
        status: 'ok', error: null,
      });
      // the pairs in the rows are the member's own, picked from its task seed, and the directions are A -> B, B -> A
      expect(ba.source).toEqual(sp.target);
      expect(m.trainMse).toBeLessThan(sp.initialError);
    });
    const edges = await parquetReadObjects({ file: fileOf(join(out, 'arrays/edges.parquet')), compressors: GZIP });
    expect(edges).toHaveLength(ds.members.reduce((s, m) => s + m.edges, 0));
    const net0 = memberSpringNetwork(spec, memberSeeds(spec, 0).network);
    for (const r of edges) {
      const m = ds.members[Number(r.member)];
      expect(r.stiffness).toBe(m.conductance[Number(r.edge)]);
      expect(r.boundary_frequency).toBe(m.boundaryFrequency![Number(r.edge)]);
      if (r.member === 0n) expect([r.node_a, r.node_b]).toEqual([BigInt(net0.edgeA[Number(r.edge)]), BigInt(net0.edgeB[Number(r.edge)])]);
    }
    const nodes = await parquetReadObjects({ file: fileOf(join(out, 'arrays/nodes.parquet')), compressors: GZIP });
    expect(nodes).toHaveLength(6 * 64);
    expect(nodes[7]).toEqual({ member: 0n, node: 7n, x: net0.positions[14], y: net0.positions[15] });
  });

  it('the Python standard-library reader reads the same members table and units', () => {
    const out = join(dir, 'w1');
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(resolve(__dirname, '../../examples/python'))})
from clln_records import read_parquet
pq = read_parquet(${JSON.stringify(join(out, 'members.parquet'))})
cols = pq["columns"]
print(json.dumps({"units": pq["units"], "energy_target_ab": cols["energy_target_ab"], "t_star_ba": cols["t_star_ba"], "source_a": cols["source_a"], "test_mse": cols["test_mse"]}))
`;
    const r = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout) as { units: Record<string, string>; energy_target_ab: number[]; t_star_ba: number[]; source_a: number[]; test_mse: unknown[] };
    const ds = readDataset(out);
    expect(got.energy_target_ab).toEqual(ds.members.map((m) => m.springs!.directions[0].energyTarget));
    expect(got.t_star_ba).toEqual(ds.members.map((m) => m.springs!.directions[1].tStar));
    expect(got.source_a).toEqual(ds.members.map((m) => m.springs!.source[0]));
    expect(got.test_mse).toEqual([null, null, null, null, null, null]);
    expect(got.units).toMatchObject({ train_mse: 'strain^2', energy_source_ab: 'energy', lambda_low: 'energy/length^2' });
  });

  it('clln ensemble stats reports the error in strain^2 and the stiffness-matrix eigenvalues in energy/length^2', async () => {
    const out = join(dir, 'w1');
    const ds = readDataset(out);
    const r = await runBuiltCli(['ensemble', 'stats', out, '--json', '--resamples', '200'], children);
    expect([r.code, r.err]).toEqual([0, '']);
    const j = JSON.parse(r.out);
    expect(j.threshold).toMatchObject({ test_mse: (0.05 / 10) ** 2, unit: 'strain^2' });
    const k = ds.members.filter((m) => m.trainMse <= (0.05 / 10) ** 2).length;
    expect(j.success).toMatchObject({ k, n: 6 });
    expect(j.train_mse).toMatchObject({ unit: 'strain^2', n: 6 });
    expect(j.lambda_low).toMatchObject({ unit: 'energy/length^2', n: 6, min: Math.min(...ds.members.map((m) => m.lambdaLow)) });
    expect(j.test_mse).toMatchObject({ n: 0, missing: 6 });
    // the spring measures per direction: medians (type 7: the mean of the middle two of 6) of the members' own numbers
    const median6 = (xs: number[]): number => {
      const t = [...xs].sort((a, b) => a - b);
      return (t[2] + t[3]) / 2;
    };
    for (const [k, d] of [['ab', 0], ['ba', 1]] as const) {
      const dirs = ds.members.map((m) => m.springs!.directions[d]);
      expect(j.springs[k].projection.median).toBeCloseTo(median6(dirs.map((x) => x.projection)), 14);
      expect(j.springs[k].energy_target).toMatchObject({ unit: 'energy', n: 6, max: Math.max(...dirs.map((x) => x.energyTarget)) });
      expect(j.springs[k].energy_after_source.min).toBe(Math.min(...dirs.map((x) => x.energyBoth - x.energySource)));
      expect(j.springs[k].t_star.median).toBeCloseTo(median6(dirs.map((x) => x.tStar)), 14);
    }
    // over the successful members only: a threshold between the members' errors splits them (the median of 6
    // distinct errors keeps 3), and the measures are those of exactly the members under it
    const errs = ds.members.map((m) => m.trainMse).sort((a, b) => a - b);
    expect(new Set(errs).size).toBe(6);
    const cut = errs[2];
    const split = JSON.parse((await runBuiltCli(['ensemble', 'stats', out, '--json', '--resamples', '200', '--threshold', String(cut)], children)).out);
    const kept = ds.members.filter((m) => m.trainMse <= cut);
    expect(kept.length).toBe(3);
    expect(split.springs.successful.members).toBe(3);
    for (const [k, d] of [['ab', 0], ['ba', 1]] as const) {
      const dirs = kept.map((m) => m.springs!.directions[d]);
      expect(split.springs.successful[k].t_star).toMatchObject({ n: 3, min: Math.min(...dirs.map((x) => x.tStar)), max: Math.max(...dirs.map((x) => x.tStar)) });
      expect(split.springs.successful[k].projection.median).toBe([...dirs.map((x) => x.projection)].sort((a, b) => a - b)[1]);
      expect(split.springs[k].t_star.n).toBe(6);
    }
    const none = JSON.parse((await runBuiltCli(['ensemble', 'stats', out, '--json', '--resamples', '200', '--threshold', String(errs[0] / 2)], children)).out);
    expect(none.springs.successful).toEqual({ members: 0 });
    const text = await runBuiltCli(['ensemble', 'stats', out, '--threshold', '1e-4', '--resamples', '200'], children);
    expect(text.out).toMatch(/success \(error <= 1e-4 strain\^2: given with --threshold\): \d\/6 = [^;]*\n/);
    expect(text.out).toMatch(/lowest stiffness-matrix eigenvalue \(energy\/length\^2\)/);
    expect(text.out).toMatch(/spring measures, direction B -> A/);
    expect(text.out).toMatch(/spring measures over the \d successful members \(error <= 1e-4 strain\^2\), direction B -> A:|spring measures over the successful members: none succeeded/);
  });
});

describe.skipIf(redisSkip !== '')(`spring members on the queue (a real redis-server)${redisSkip ? ` — skipped: ${redisSkip}` : ''}`, () => {
  it('a coordinator and one worker write the same dataset as the local pool, byte for byte', async () => {
    const local = join(dir, 'qlocal');
    const l = await runBuiltCli(['ensemble', 'run', specPath, '--out', local, '--workers', '2', '--json'], children);
    expect(l.code, l.err).toBe(0);
    const redis = await startRedis();
    try {
      const url = `redis://127.0.0.1:${redis.port}/springs`;
      const worker = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--workers', '1', '--json'], { stdio: 'ignore' });
      children.push(worker);
      const out = join(dir, 'queued');
      const q = await runBuiltCli(['ensemble', 'run', specPath, '--queue', url, '--out', out, '--json'], children);
      expect([q.code, q.err]).toEqual([0, '']);
      expect(JSON.parse(q.out)).toMatchObject({ members: 6, storedNow: 6 });
      expect(datasetFiles(out)).toEqual(datasetFiles(local));
    } finally {
      await redis.stop();
    }
  }, 120_000);
});

describe('spring specs: bad input exits 2 with one paragraph', () => {
  const cases: [string, unknown, RegExp][] = [
    ['strain task on a lattice', { ...doc, network: { kind: 'lattice', rows: 4, cols: 4 } }, /task\.kind: is strain, but a lattice network is a resistor network/],
    ['linear task on springs', { ...doc, task: { kind: 'linear', matrix: [[1]], sources: [0], targets: [1] } }, /task\.kind: is linear, but a spring network learns a strain task/],
    ['ep rule', { ...doc, training: { rule: 'ep' } }, /training\.rule: is "ep", but spring networks learn with cl or gradient/],
    ['stop on test', { ...doc, stop: { on: 'test' } }, /stop\.on: is test, but a strain task has no test set/],
    ['pair beyond the lattice', { ...doc, task: { ...doc.task, source: [3, 64] } }, /task\.source: node 64 is used but the 8x8 triangular network has nodes 0\.\.63/],
    ['unknown generator', { ...doc, network: { kind: 'springs', generator: 'square', rows: 4, cols: 4 } }, /network\.generator: .*triangular or jammed, got "square"/],
    ['coordination out of reach', { ...doc, network: { ...doc.network, coordination: 3 } }, /coordination/],
  ];
  for (const [name, d, re] of cases) {
    it(name, async () => {
      const path = join(dir, `${name.replace(/ /g, '-')}.json`);
      writeFileSync(path, JSON.stringify(d));
      const r = await runBuiltCli(['ensemble', 'run', path, '--out', join(dir, `out-${name.replace(/ /g, '-')}`)], children);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(re);
    });
  }

  it('the resolved spring spec has the springs defaults and reads back to itself', () => {
    const s = parseEnsembleSpec({ ...doc, network: { kind: 'springs', generator: 'jammed', disks: 64 } }, 'x.json') as SpringEnsembleSpec;
    expect(s.network).toEqual({ kind: 'springs', generator: 'jammed', disks: 64, phi: 0.9, stiffness: 1, bounds: [1e-3, 1e3] });
    expect(s.training).toEqual({ rule: 'cl', eta: 0.1, alpha: 30 });
    expect(s.stop).toEqual({ maxSteps: 100, targetMse: null, checkEvery: 100, on: 'train' });
    expect(s.task).toEqual({ kind: 'strain', source: 'auto', target: 'auto', delta: 0.05, sourceStrain: 1, cooperative: true, lambda: 0 });
    const example = JSON.parse(readFileSync(resolve(__dirname, '../../examples/ensembles/springs-allostery.json'), 'utf8'));
    expect(parseEnsembleSpec(example, 'springs-allostery.json').network.kind).toBe('springs');
  });
});
