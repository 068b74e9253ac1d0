/**
 * Queue benchmark (issue 16, point 5): what the BullMQ/Redis queue costs per member against the local pool, with a
 * trivial member (a 1x3 lattice, one CL step, no alignment or boundary frequency: under 1 ms of work), and the
 * numbers bench/README.md's saturation estimate rests on:
 *   - local: `clln ensemble run SPEC --out DIR --workers 1` as a function (runEnsembleLocal: E1's pool, one worker
 *     thread, each result stored as it arrives, then the dataset assembled);
 *   - queue: `clln ensemble run --queue` (coordinator, in this process) with one `clln worker --workers 1` child
 *     process started beforehand, on a redis-server of our own on a free port; the clock runs from the enqueue to
 *     the assembled dataset, as for local;
 *   - overhead per member = (queue - local) / members;
 *   - Redis round trip (PING, median of 2000), Redis commands per member (INFO commandstats before and after),
 *     the return value's size for the trivial member and for a 64x64 lattice member (8064 edges, conductances and
 *     boundary frequencies), and the coordinator's cost of decoding and storing such a member.
 * Skipped (with the reason) when redis-server is not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { type MemberResult, parseEnsembleSpec, runMember, specDigest, storeMember } from '../src/ensemble/queue/backend.js';
import { runEnsembleLocal } from '../src/ensemble/pool.js';
import { decodeResult, encodeResult } from '../src/ensemble/queue/codec.js';
import { runEnsembleQueue } from '../src/ensemble/queue/coordinator.js';
import { parseQueueUrl } from '../src/ensemble/queue/queueUrl.js';
import { ms, table } from './timing.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(here, '../src/cli/main.js');

export interface EnsembleQueueBench {
  skipped?: string;
  members: number;
  localMs: number;
  queueMs: number;
  overheadMsPerMember: number;
  pingMedianMs: number;
  redisCommandsPerMember: number;
  trivialJobBytes: number;
  latticeJobBytes: number;
  latticeStoreMs: number;
  load: string;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

function commandCalls(info: string): number {
  let n = 0;
  for (const m of info.matchAll(/calls=(\d+)/g)) n += Number(m[1]);
  return n;
}

export async function runEnsembleQueueBench(log: (s: string) => void, members = 500): Promise<EnsembleQueueBench> {
  const load = spawnSync('uptime', { encoding: 'utf8' }).stdout?.trim() ?? '';
  const empty = { members, localMs: NaN, queueMs: NaN, overheadMsPerMember: NaN, pingMedianMs: NaN, redisCommandsPerMember: NaN, trivialJobBytes: NaN, latticeJobBytes: NaN, latticeStoreMs: NaN, load };
  if (spawnSync('redis-server', ['--version']).error) return { ...empty, skipped: 'redis-server is not installed' };
  const work = mkdtempSync(join(tmpdir(), 'clln-bench-queue-'));
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((res) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) res();
    });
  });
  const worker = { child: undefined as ReturnType<typeof spawn> | undefined };
  try {
    const specJson = {
      format: 'clln.ensemble/1',
      members,
      seed: 1,
      network: { kind: 'lattice', rows: 1, cols: 3 },
      task: { kind: 'linear', matrix: [[0.5]], sources: [0], targets: [1], ground: [2], count: 4, test: 0 },
      stop: { maxSteps: 1 },
      diagnostics: { alignment: false, boundaryFrequency: false, modes: 3 },
    };
    const spec = parseEnsembleSpec(specJson, 'bench');
    const digest = specDigest(spec);

    log(`bench: ensemble queue: local pool, ${members} trivial members ...`);
    const localDir = join(work, 'local');
    let t0 = performance.now();
    await runEnsembleLocal(spec, localDir, { workers: 1 });
    const localMs = performance.now() - t0;

    const redis = new Redis({ host: '127.0.0.1', port });
    const pings: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      await redis.ping();
      pings.push(performance.now() - t);
    }
    pings.sort((a, b) => a - b);
    const pingMedianMs = pings[pings.length >> 1];

    log(`bench: ensemble queue: the same through Redis (one clln worker process) ...`);
    const url = `redis://127.0.0.1:${port}/bench`;
    const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--workers', '1', '--json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    worker.child = child;
    await new Promise<void>((res) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('waiting-for-spec')) res();
      });
    });
    const before = commandCalls(await redis.info('commandstats'));
    t0 = performance.now();
    await runEnsembleQueue(spec, parseQueueUrl(url), join(work, 'queue'));
    const queueMs = performance.now() - t0;
    const after = commandCalls(await redis.info('commandstats'));
    await redis.quit();

    // job sizes: the trivial member, and a 64x64 lattice member (2*64*63 edges) with both per-edge arrays
    const trivial = JSON.stringify(encodeResult(digest, runMember(spec, 0))).length;
    const E = 2 * 64 * 63;
    const rnd = (): Float64Array => Float64Array.from({ length: E }, () => Math.random() * 1e-3);
    const lattice: MemberResult = {
      index: 0, seeds: { network: 1, task: 2, order: 3 }, steps: 100_000, converged: true, trainMse: Math.random(), testMse: Math.random(),
      lambdaLow: Math.random(), lambdaHigh: Math.random(), stiffAlignment: Math.random(), conductance: rnd(), boundaryFrequency: rnd(), edges: E, nodes: 4096,
    };
    const latticeText = JSON.stringify(encodeResult(digest, lattice));
    const storeDir = join(work, 'store');
    const reps = 20;
    t0 = performance.now();
    for (let i = 0; i < reps; i++) storeMember(storeDir, digest, { ...decodeResult(JSON.parse(latticeText)), index: i });
    const latticeStoreMs = (performance.now() - t0) / reps;

    return {
      members, localMs, queueMs, overheadMsPerMember: (queueMs - localMs) / members, pingMedianMs,
      redisCommandsPerMember: (after - before) / members, trivialJobBytes: trivial, latticeJobBytes: latticeText.length, latticeStoreMs, load,
    };
  } finally {
    worker.child?.kill('SIGTERM');
    server.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

export function printEnsembleQueue(r: EnsembleQueueBench): string {
  if (r.skipped) return `skipped: ${r.skipped}\n`;
  const rows = [
    ['local pool, 1 thread', ms(r.localMs), ms(r.localMs / r.members)],
    ['queue, 1 worker process', ms(r.queueMs), ms(r.queueMs / r.members)],
  ];
  return (
    table(['path', `total ms (${r.members} members)`, 'ms/member'], rows) +
    `\n\nqueue overhead per member: ${ms(r.overheadMsPerMember)} ms (<= 5 ms: ${r.overheadMsPerMember <= 5 ? 'met' : 'NOT met'})\n` +
    `Redis PING round trip (median): ${ms(r.pingMedianMs)} ms; Redis commands per member: ${r.redisCommandsPerMember.toFixed(1)}\n` +
    `job return value: trivial member ${r.trivialJobBytes} B, 64x64 lattice member ${(r.latticeJobBytes / 1024).toFixed(0)} KiB; ` +
    `coordinator decode + store of a lattice member: ${ms(r.latticeStoreMs)} ms\n` +
    `load: ${r.load}\n`
  );
}
