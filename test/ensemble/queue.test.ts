/**
 * Issue 16, point 3: the ensemble on a BullMQ queue in a real redis-server, with the built CLI as coordinator and two
 * worker processes, one of them killed with SIGKILL in the middle of a member.
 *
 * Truth: each member computed here in this process with runMember (the stand-in of src/ensemble/queue/backend.ts
 * until E1's runMember lands; then the same call gives E1's physics, and this equals a local-pool run because that
 * pool stores exactly runMember's result). Nothing is compared with the queue's own earlier output.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseEnsembleSpec, readMember, runMember } from '../../src/ensemble/queue/backend.js';
import { CLI, runBuiltCli } from '../emulator/builtCli.js';
import { redisSkip, type RedisServer, startRedis } from './queueRedis.js';

const cliBuilt = existsSync(CLI) && existsSync(join(CLI, '../commands/worker.js'));
const skip = redisSkip || (cliBuilt ? '' : "the CLI is not built ('npx tsc -p tsconfig.json')");

/** 8 members of about 0.8 s each (the stand-in's busy loop, 80 ns a step): long enough that a SIGKILL lands inside one. */
const SPEC = { format: 'clln.ensemble/1', members: 8, steps: 10_000_000, seed: 7 };
/** The workers' lock (ms): a killed worker's member is back in the queue within 2 LOCK_MS. */
const LOCK_MS = 1500;

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
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('two workers, one killed with SIGKILL mid-member: every member stored exactly once and equal to runMember', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-queue-'));
    const specPath = join(dir, 'spec.json');
    writeFileSync(specPath, JSON.stringify(SPEC));
    const out = join(dir, 'dataset');
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

    // exactly one file per member, and each equal to the member computed here
    const files = readdirSync(join(out, 'members')).sort();
    expect(files).toEqual(Array.from({ length: SPEC.members }, (_, i) => `${String(i).padStart(6, '0')}.json`));
    const spec = parseEnsembleSpec(SPEC, 'test spec');
    for (let i = 0; i < SPEC.members; i++) {
      const stored = readMember(out, i) as unknown as Record<string, unknown>;
      delete stored.specDigest;
      expect(stored, `member ${i}`).toEqual(runMember(spec, i));
    }
    expect(JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')).members).toBe(SPEC.members);

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

  it('a coordinator killed with SIGKILL and run again: the results completed meanwhile are stored once, none lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-queue-'));
    const specPath = join(dir, 'spec.json');
    const spec = { ...SPEC, members: 10, steps: 3_000_000 };
    writeFileSync(specPath, JSON.stringify(spec));
    const out = join(dir, 'dataset');
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
    expect(s.storedBefore + s.storedNow).toBe(spec.members);
    const files = readdirSync(join(out, 'members')).filter((f) => /^\d{6}\.json$/.test(f)).sort();
    expect(files).toEqual(Array.from({ length: spec.members }, (_, i) => `${String(i).padStart(6, '0')}.json`));
    const parsed = parseEnsembleSpec(spec, 'test spec');
    for (let i = 0; i < spec.members; i++) {
      const stored = readMember(out, i) as unknown as Record<string, unknown>;
      delete stored.specDigest;
      expect(stored, `member ${i}`).toEqual(runMember(parsed, i));
    }
  }, 120_000);

  it('a queue that holds another ensemble is refused (exit 2), naming the queue', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'clln-queue-'));
    const specPath = join(dir, 'other.json');
    writeFileSync(specPath, JSON.stringify({ ...SPEC, seed: 8 }));
    const r = await runBuiltCli(['ensemble', 'run', specPath, '--queue', `redis://127.0.0.1:${redis.port}/kill9`, '--out', join(dir, 'd')], children);
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
