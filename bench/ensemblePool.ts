/**
 * Local pool benchmark (issue 16, point 5, first bullet): members per second of E1's pool (runEnsembleLocal,
 * `clln ensemble run SPEC --out DIR --workers N`) with 1 and 2 worker threads on the same spec, each into a fresh
 * temporary dataset folder; target: 2 workers >= 1.8x the members/s of 1 worker on this 2-core machine.
 *
 * Baseline in the same run: runMember in a plain loop on the bench's main thread (no thread, no store, no dataset),
 * so the pool's own cost (thread start-up and module loading, storing each member's JSON, assembling the Parquet
 * tables) shows as pool(1 worker) / loop. The three configurations alternate within each round, so a change of the
 * machine's load during the run falls on all of them; figures are medians over the rounds.
 *
 * Control in the same round: the member's work in 1 and 2 plain worker threads (bench/rawMemberWorker.ts: runMember
 * on a fixed share of the members, no pool, no store, no dataset). Its 2 / 1 ratio is what a second thread gives the
 * work itself on this machine at that moment, the ceiling the pool's scaling is printed against.
 *
 * The member (a 12 x 12 lattice, 264 edges, 40 training examples, 20,000 CL steps of ~0.1 ms, then the default
 * diagnostics, ~0.3 s: about 2 s in all) is long against a thread's start-up (~0.2 s unloaded) so that the ratio
 * measures the scaling of the work, not of the start-up; the pool's fixed cost is measured apart on a trivial
 * one-member ensemble. `npm run bench -- ensemble [ROUNDS] [STEPS] [MEMBERS]` (defaults 3, 20000, 16).
 *
 * Also per run: the process's CPU time (process.cpuUsage counts every thread of the process) over the wall time,
 * i.e. the cores the run actually got, and the 1-minute load average before and after: 2 workers on 2 cores shared
 * with other jobs cannot reach 2x, and these say by how much the machine was shared.
 *
 * The pool runs its worker script from the compiled tree (dist/src/ensemble/memberWorker.js beside the compiled
 * pool.js): `npm run bench` builds first; run as `node dist/bench/run.js ensemble` the bench checks that no source
 * under src/ is newer than its compiled file and says so when dist is stale.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseEnsembleSpec, type EnsembleSpec } from '../src/ensemble/EnsembleSpec.js';
import { readMember } from '../src/ensemble/memberStore.js';
import { runEnsembleLocal, workerScript } from '../src/ensemble/pool.js';
import { runMember, type MemberResult } from '../src/ensemble/runMember.js';
import { ms, ratio, table } from './timing.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface PoolRun {
  /** raw 1 / raw 2: the control, runMember in 1 or 2 plain threads (bench/rawMemberWorker.ts), no pool. */
  config: 'loop' | 'pool 1' | 'pool 2' | 'raw 1' | 'raw 2';
  round: number;
  ms: number;
  membersPerS: number;
  /** CPU seconds of the whole process (all threads) per wall second: the cores this run got. */
  cores: number;
  loadBefore: number;
  loadAfter: number;
}

export interface EnsemblePoolBench {
  members: number;
  network: string;
  steps: number;
  rounds: number;
  worker: string;
  /** Sources under src/ newer than their compiled .js in dist/ (empty: dist is current). */
  staleSources: string[];
  runs: PoolRun[];
  /** Medians over the rounds. */
  loopMembersPerS: number;
  pool1MembersPerS: number;
  pool2MembersPerS: number;
  /** pool 2 / pool 1 members per second; target >= 1.8. */
  scaling: number;
  target: number;
  /**
   * The control: members/s of `rawMembers` members in 2 plain threads over 1 (medians), no pool. What the member's
   * work itself gets from a second thread on this machine in this run: the ceiling for `scaling`.
   */
  rawScaling: number;
  rawMembers: number;
  /** pool 1 wall time / loop wall time: the pool's own cost on top of the work. */
  poolOverLoop: number;
  /** Median wall time of a trivial one-member ensemble through the pool (thread start-up, store, assembly), ms. */
  fixedMs: { workers1: number; workers2: number };
  /** Results of both pool runs equal the loop's bit for bit (trainMse and every conductance). */
  identical: boolean;
  uptimeStart: string;
  uptimeEnd: string;
}

/** Sources under ROOT/src whose compiled dist/src/*.js is missing or older. */
function staleSources(root: string): string[] {
  const stale: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) {
        const rel = relative(root, p);
        const out = join(root, 'dist', rel.replace(/\.tsx?$/, '.js'));
        if (!existsSync(out) || statSync(out).mtimeMs < statSync(p).mtimeMs) stale.push(rel);
      }
    }
  };
  walk(join(root, 'src'));
  return stale;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

function uptime(): string {
  return spawnSync('uptime', { encoding: 'utf8' }).stdout?.trim() ?? '';
}

/** The benchmark's ensemble: `members` members of a 12 x 12 lattice trained `steps` CL steps each (no target MSE, so every member does them all). */
export function poolSpec(members: number, steps: number): EnsembleSpec {
  return parseEnsembleSpec(
    {
      format: 'clln.ensemble/1',
      name: 'bench-pool',
      members,
      seed: 16,
      network: { kind: 'lattice', rows: 12, cols: 12, conductance: [0.5e-3, 1.5e-3], bounds: [1e-5, 1e-2] },
      // sources at the top corners, ground at the bottom right, targets in the middle rows
      task: { kind: 'linear', matrix: [[0.3, 0.2], [0.1, 0.4]], sources: [0, 11], targets: [62, 81], ground: [143], count: 40, test: 20 },
      training: { rule: 'cl' },
      stop: { maxSteps: steps, on: 'train' },
    },
    'bench/ensemblePool.ts',
  );
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<{ ms: number; cores: number; loadBefore: number; loadAfter: number }> {
  const loadBefore = loadavg()[0];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms: wall, cores: (c.user + c.system) / 1000 / wall, loadBefore, loadAfter: loadavg()[0] };
}

/** Runs members 0..members-1 of SPEC split round-robin over THREADS plain worker threads (bench/rawMemberWorker.js). */
async function rawThreads(spec: EnsembleSpec, members: number, threads: number): Promise<void> {
  const script = new URL('./rawMemberWorker.js', import.meta.url);
  await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const indices = Array.from({ length: members }, (_, i) => i).filter((i) => i % threads === t);
      return new Promise<void>((res, rej) => {
        const w = new Worker(script, { workerData: { spec, indices } });
        w.once('message', () => res());
        w.once('error', rej);
        w.once('exit', (code) => (code === 0 ? res() : rej(new Error(`raw member thread exited with code ${code}`))));
      });
    }),
  );
}

function sameResult(a: MemberResult, b: MemberResult): boolean {
  if (a.trainMse !== b.trainMse || a.conductance.length !== b.conductance.length) return false;
  for (let i = 0; i < a.conductance.length; i++) if (a.conductance[i] !== b.conductance[i]) return false;
  return true;
}

export async function runEnsemblePoolBench(log: (s: string) => void, opts: { members?: number; steps?: number; rounds?: number } = {}): Promise<EnsemblePoolBench> {
  const members = opts.members ?? 16;
  const steps = opts.steps ?? 20_000;
  const rounds = opts.rounds ?? 3;
  const root = resolve(here, '../..');
  const stale = staleSources(root);
  const worker = fileURLToPath(workerScript());
  if (stale.length > 0) log(`bench: ensemble pool: dist is STALE: ${stale.length} sources newer than their build (e.g. ${stale.slice(0, 3).join(', ')}); run 'npm run build' (npm run bench does)`);
  else log(`bench: ensemble pool: dist is current; worker ${relative(root, worker)}`);
  const uptimeStart = uptime();
  log(`bench: ensemble pool: ${uptimeStart}`);

  const spec = poolSpec(members, steps);
  const rawMembers = Math.max(2, 2 * Math.floor(members / 4));
  const work = mkdtempSync(join(tmpdir(), 'clln-bench-pool-'));
  const runs: PoolRun[] = [];
  let identical = true;
  const fixed = { workers1: [] as number[], workers2: [] as number[] };
  try {
    // the pool's fixed cost: one trivial member (1x3 lattice, one step, no diagnostics), start to assembled dataset
    const trivial = parseEnsembleSpec(
      {
        format: 'clln.ensemble/1', members: 1, seed: 1, network: { kind: 'lattice', rows: 1, cols: 3 },
        task: { kind: 'linear', matrix: [[0.5]], sources: [0], targets: [1], ground: [2], count: 4, test: 0 },
        stop: { maxSteps: 1 }, diagnostics: { alignment: false, boundaryFrequency: false, modes: 3 },
      },
      'bench',
    );
    for (let r = 0; r < 3; r++) {
      for (const w of [1, 2] as const) {
        const t0 = performance.now();
        // two members for 2 workers, so that both threads start
        await runEnsembleLocal({ ...trivial, members: w }, join(work, `fixed-${w}-${r}`), { workers: w });
        (w === 1 ? fixed.workers1 : fixed.workers2).push(performance.now() - t0);
      }
    }

    let reference: MemberResult[] | undefined;
    for (let r = 0; r < rounds; r++) {
      log(`bench: ensemble pool: round ${r + 1}/${rounds}: loop on the main thread, ${members} members x ${steps} steps ...`);
      const results: MemberResult[] = [];
      const t = await timed(() => {
        for (let i = 0; i < members; i++) results.push(runMember(spec, i));
      });
      reference ??= results;
      runs.push({ config: 'loop', round: r, ...t, membersPerS: members / (t.ms / 1000) });
      for (const w of [1, 2] as const) {
        log(`bench: ensemble pool: round ${r + 1}/${rounds}: pool, ${w} worker${w > 1 ? 's' : ''} ...`);
        const dir = join(work, `pool-${w}-${r}`);
        const tp = await timed(() => runEnsembleLocal(spec, dir, { workers: w }));
        runs.push({ config: w === 1 ? 'pool 1' : 'pool 2', round: r, ...tp, membersPerS: members / (tp.ms / 1000) });
        for (let i = 0; i < members; i++) if (!sameResult(readMember(dir, i), reference[i])) identical = false;
      }
      // the control: the same members' work in plain threads (half as many members, an even count, to keep the round short)
      for (const w of [1, 2] as const) {
        log(`bench: ensemble pool: round ${r + 1}/${rounds}: control, ${rawMembers} members in ${w} plain thread${w > 1 ? 's' : ''} ...`);
        const tr = await timed(() => rawThreads(spec, rawMembers, w));
        runs.push({ config: w === 1 ? 'raw 1' : 'raw 2', round: r, ...tr, membersPerS: rawMembers / (tr.ms / 1000) });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const med = (c: PoolRun['config']): number => median(runs.filter((x) => x.config === c).map((x) => x.membersPerS));
  const loop = med('loop');
  const p1 = med('pool 1');
  const p2 = med('pool 2');
  return {
    members, network: 'lattice 12x12 (264 edges)', steps, rounds, worker: relative(root, worker), staleSources: stale, runs,
    loopMembersPerS: loop, pool1MembersPerS: p1, pool2MembersPerS: p2, scaling: p2 / p1, target: 1.8, rawScaling: med('raw 2') / med('raw 1'), rawMembers, poolOverLoop: loop / p1,
    fixedMs: { workers1: median(fixed.workers1), workers2: median(fixed.workers2) }, identical, uptimeStart, uptimeEnd: uptime(),
  };
}

export function printEnsemblePool(b: EnsemblePoolBench): string {
  const rows = b.runs.map((r) => [
    r.config, String(r.round + 1), ms(r.ms), r.membersPerS.toFixed(3), r.cores.toFixed(2), (r.membersPerS / r.cores).toFixed(3), r.loadBefore.toFixed(2), r.loadAfter.toFixed(2),
  ]);
  // members per CPU second: what the run did with the CPU it got; 2 workers holding only ~1 core of it means the
  // machine (other jobs) and not the pool limited the scaling; the raw rows are the control (plain threads, no pool)
  const perCpu = (c: PoolRun['config']): number => median(b.runs.filter((x) => x.config === c).map((x) => x.membersPerS / x.cores));
  const lines = [
    `${b.members} members of a ${b.network}, ${b.steps} CL steps each; worker ${b.worker}${b.staleSources.length ? ` (dist STALE: ${b.staleSources.length} sources newer than their build)` : ' (dist current)'}`,
    '',
    table(['config', 'round', 'wall ms', 'members/s', 'cores used', 'members/CPU s', 'load 1 min before', 'after'], rows),
    '',
    `members/s (median of ${b.rounds}): loop on the main thread ${b.loopMembersPerS.toFixed(3)}, pool 1 worker ${b.pool1MembersPerS.toFixed(3)}, pool 2 workers ${b.pool2MembersPerS.toFixed(3)}`,
    `scaling 2 workers / 1 worker: ${ratio(b.scaling)} (target >= ${b.target.toFixed(1)}x: ${b.scaling >= b.target ? 'met' : 'NOT met'})`,
    `control, ${b.rawMembers} members in plain threads without the pool: 2 threads / 1 thread = ${ratio(b.rawScaling)}: what the member's work itself gains from a second thread on this machine now; the pool reaches ${(100 * b.scaling / b.rawScaling).toFixed(0)} % of it`,
    `members per CPU second (median): loop ${perCpu('loop').toFixed(3)}, pool 1 worker ${perCpu('pool 1').toFixed(3)}, pool 2 workers ${perCpu('pool 2').toFixed(3)}; cores used by 2 workers (median) ${median(b.runs.filter((x) => x.config === 'pool 2').map((x) => x.cores)).toFixed(2)} of 2`,
    `pool's own cost: loop / pool 1 worker = ${ratio(b.poolOverLoop)}; a trivial one-member ensemble through the pool takes ${ms(b.fixedMs.workers1)} ms (1 worker), ${ms(b.fixedMs.workers2)} ms (2 workers, 2 members)`,
    `results of both pools equal the loop's bit for bit: ${b.identical ? 'yes' : 'NO'}`,
    `uptime at start: ${b.uptimeStart}`,
    `uptime at end:   ${b.uptimeEnd}`,
  ];
  return lines.join('\n') + '\n';
}
