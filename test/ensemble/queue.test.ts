/**
 * Issue 16, point 3: the ensemble on a BullMQ queue in a real redis-server, with the built CLI as coordinator and
 * worker processes, one of them killed with SIGKILL in the middle of a member, and a coordinator killed likewise.
 *
 * Truth: a local-pool run of the same spec (`clln ensemble run SPEC --out DIR` of the built CLI: E1's thread pool,
 * which stores each runMember result as it arrives, no Redis, no codec). The queue's dataset folder must equal it
 * file for file: every members/NNNNNN.json, spec.json, meta.json and the Parquet tables byte for byte (the writer is
 * deterministic: no timestamps), and readDataset's result. Nothing is compared with the queue's own earlier output.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/ensemble/dataset.js';
import { CLI, runBuiltCli } from '../emulator/builtCli.js';
import { redisSkip, type RedisServer, startRedis } from './queueRedis.js';

const cliBuilt = existsSync(CLI) && existsSync(join(CLI, '../commands/worker.js')) && existsSync(join(CLI, '../../ensemble/memberWorker.js'));
const skip = redisSkip || (cliBuilt ? '' : "the CLI is not built ('npm run build')");

/**
 * examples/ensembles/lattice-4x4.json with 8 members and no target MSE, so that every member trains its 40,000 steps:
 * about 0.3-0.6 s a member here (7 us a CL step on 16 nodes, plus the diagnostics), long enough that a SIGKILL sent on
 * a member's start event lands inside it, short enough for the whole suite to take seconds.
 */
const SPEC = {
  format: 'clln.ensemble/1',
  name: 'queue-test',
  members: 8,
  seed: 7,
  network: { kind: 'lattice', rows: 4, cols: 4, conductance: [0.5, 1.5] },
  task: { kind: 'linear', matrix: [[0.15, 0.3], [0.2, 0.1]], sources: [0, 3], targets: [9, 10], ground: [15], count: 40, test: 20 },
  training: { rule: 'cl', eta: 0.1, alpha: 0.5 },
  stop: { maxSteps: 40_000, checkEvery: 1000 },
  diagnostics: { alignment: true, boundaryFrequency: true, modes: 10 },
};
/** The workers' lock (ms): a killed worker's member is back in the queue within 2 LOCK_MS. */
const LOCK_MS = 1500;

/** Every file of a dataset folder, relative to it, sorted (temporary files of cut-off writes included: there must be none). */
function filesOf(dir: string, sub = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesOf(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

/** The queue-built folder equals the local-pool one file for file, byte for byte, and through readDataset. */
function expectSameDataset(queued: string, local: string): void {
  const files = filesOf(local);
  expect(files).toEqual(expect.arrayContaining(['spec.json', 'meta.json', 'members.parquet', 'arrays/edges.parquet', 'arrays/nodes.parquet']));
  expect(files.filter((f) => f.startsWith('members/'))).toEqual(Array.from({ length: SPEC.members }, (_, i) => `members/${String(i).padStart(6, '0')}.json`));
  // a coordinator killed mid-write may leave a NNNNNN.json.tmp-* file, which storedMembers ignores by design
  expect(filesOf(queued).filter((f) => !/\.tmp-/.test(f))).toEqual(files);
  for (const f of files) expect(readFileSync(join(queued, f)).equals(readFileSync(join(local, f))), f).toBe(true);
  expect(readDataset(queued)).toEqual(readDataset(local));
}

interface Ev {
  kind: string;
  index?: number;
  attempt?: number;
}

/** A `clln worker --json` child and the events it has printed so far; `waitFor` resolves on the first match. */
function startWorker(url: string, children: ChildProcess[]) {
  const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--workers', '1', '--lock-ms', String(LOCK_MS), '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const events: Ev[] = [];
  const waiters: { match: (e: Ev) => boolean; resolve: (e: Ev) => void }[] = [];
  let buf = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let e: Ev;
      try {
        e = JSON.parse(line) as Ev;
      } catch {
        err += line + '\n';
        continue;
      }
      events.push(e);
      for (const w of waiters.splice(0)) if (w.match(e)) w.resolve(e);
      else waiters.push(w);
    }
  });
  return {
    child,
    events,
    stderr: () => err,
    waitFor: (match: (e: Ev) => boolean): Promise<Ev> =>
      new Promise((resolve) => {
        const seen = events.find(match);
        if (seen) resolve(seen);
        else waiters.push({ match, resolve });
      }),
  };
}

describe.skipIf(skip !== '')(`clln ensemble run --queue and clln worker on a real redis-server${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let redis: RedisServer;
  const children: ChildProcess[] = [];
  const work = mkdtempSync(join(tmpdir(), 'clln-queue-'));
  const specPath = join(work, 'queue-test.json');
  /** The local-pool run of SPEC: the truth both queue runs are compared with. */
  const local = join(work, 'local');
  beforeAll(async () => {
    writeFileSync(specPath, JSON.stringify(SPEC));
    const [r, server] = await Promise.all([runBuiltCli(['ensemble', 'run', specPath, '--out', local, '--workers', '2', '--json'], children), startRedis()]);
    redis = server;
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ members: SPEC.members, ran: SPEC.members });
  }, 120_000);
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('two workers, one killed with SIGKILL mid-member: every member stored exactly once; the dataset equals the local run\'s', async () => {
    const out = join(work, 'kill9');
    const url = `redis://127.0.0.1:${redis.port}/kill9`;

    // workers first: they wait for the coordinator's spec
    const a = startWorker(url, children);
    const b = startWorker(url, children);
    await Promise.all([a.waitFor((e) => e.kind === 'waiting-for-spec'), b.waitFor((e) => e.kind === 'waiting-for-spec')]);
    const coordinator = runBuiltCli(['ensemble', 'run', specPath, '--queue', url, '--out', out, '--json'], children);

    // A starts a member: kill it there, before it can finish (a member takes ~0.8 s; the kill lands in microseconds)
    const started = await a.waitFor((e) => e.kind === 'start');
    const aExit = once(a.child, 'exit');
    a.child.kill('SIGKILL');
    await aExit;
    expect(a.events.some((e) => e.kind === 'done' && e.index === started.index)).toBe(false);

    const res = await coordinator;
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    const summary = JSON.parse(res.out) as { members: number; storedNow: number; duplicatesRefused: number; enqueued: number };
    expect(summary).toMatchObject({ members: SPEC.members, enqueued: SPEC.members, storedNow: SPEC.members, duplicatesRefused: 0 });

    // the killed member was taken up again by B after its lock expired: a second attempt, finished there
    const retried = b.events.filter((e) => e.kind === 'start' && e.index === started.index);
    expect(retried.length).toBe(1);
    expect(retried[0].attempt).toBeGreaterThanOrEqual(2);
    expect(b.events.some((e) => e.kind === 'done' && e.index === started.index)).toBe(true);

    // exactly one file per member, and the whole folder equal to the local pool's
    expectSameDataset(out, local);

    // status: nothing left in the queue, every member stored
    const st = await runBuiltCli(['ensemble', 'status', '--queue', `redis://127.0.0.1:${redis.port}`, '--json'], children);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.out)).toEqual([
      expect.objectContaining({ queue: 'kill9', members: SPEC.members, waiting: 0, active: 0, completed: 0, failed: 0, stored: SPEC.members }),
    ]);

    // B stops on SIGTERM with exit 0
    const bExit = once(b.child, 'exit');
    b.child.kill('SIGTERM');
    const [code] = (await bExit) as [number | null];
    expect(code, b.stderr()).toBe(0);

    // run again: nothing to enqueue, nothing stored twice
    const again = await runBuiltCli(['ensemble', 'run', specPath, '--queue', url, '--out', out, '--json'], children);
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ enqueued: 0, storedBefore: SPEC.members, storedNow: 0 });
  }, 120_000);

  it('a coordinator killed with SIGKILL and run again: the results completed meanwhile are stored once, none lost; the dataset equals the local run\'s', async () => {
    const out = join(work, 'coordkill');
    const url = `redis://127.0.0.1:${redis.port}/coordkill`;
    const w = startWorker(url, children);
    const first = spawn(process.execPath, [CLI, 'ensemble', 'run', specPath, '--queue', url, '--out', out, '--json'], { stdio: 'ignore' });
    children.push(first);
    // kill the coordinator once it has stored two members; the worker goes on completing jobs meanwhile
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (existsSync(join(out, 'members')) && readdirSync(join(out, 'members')).filter((f) => f.endsWith('.json')).length >= 2) {
          clearInterval(t);
          resolve();
        }
      }, 20);
    });
    const firstExit = once(first, 'exit');
    first.kill('SIGKILL');
    await firstExit;
    // wait until the worker has finished a member the dead coordinator never saw: a completed job waits in Redis
    const storedAtKill = readdirSync(join(out, 'members')).filter((f) => f.endsWith('.json')).length;
    await w.waitFor((e) => e.kind === 'done' && e.index !== undefined && e.index >= storedAtKill);
    const again = await runBuiltCli(['ensemble', 'run', specPath, '--queue', url, '--out', out, '--json'], children);
    expect(again.code, again.err).toBe(0);
    const s = JSON.parse(again.out) as { storedBefore: number; storedNow: number; duplicatesRefused: number };
    expect(s.storedBefore + s.storedNow).toBe(SPEC.members);
    expectSameDataset(out, local);
  }, 120_000);

  it('a queue that holds another ensemble is refused (exit 2), naming the queue', async () => {
    const other = join(work, 'other.json');
    writeFileSync(other, JSON.stringify({ ...SPEC, seed: 8 }));
    const r = await runBuiltCli(['ensemble', 'run', other, '--queue', `redis://127.0.0.1:${redis.port}/kill9`, '--out', join(work, 'other')], children);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/queue kill9 belongs to another ensemble/);
  });

  it('Redis down: exit 1 with one paragraph naming the URL and the fix; a bad URL: exit 2', async () => {
    const { freePort } = await import('./queueRedis.js');
    const port = await freePort();
    const down = await runBuiltCli(['worker', '--queue', `redis://127.0.0.1:${port}/x`], children);
    expect(down.code).toBe(1);
    expect(down.err.trim().split('\n')).toHaveLength(1);
    expect(down.err).toContain(`redis://127.0.0.1:${port}/x`);
    expect(down.err).toMatch(/ECONNREFUSED.*fix: start Redis there/);
    const bad = await runBuiltCli(['ensemble', 'status', '--queue', 'redis://127.0.0.1:1/no spaces'], children);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/queue name .* is not 1 to 64 letters/);
  });
});
