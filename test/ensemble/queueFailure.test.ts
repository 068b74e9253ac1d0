/**
 * Issue 16: a member whose computation throws, through the queue (src/ensemble/queue), is handled as the local pool
 * handles it (src/ensemble/pool.ts, "Failures"): stored once as a failed member (seeds and error), not retried, and
 * the run completes. A member thread that dies under a worker is retried (BullMQ attempts) and stored once.
 *
 * Faults are injected with the test-only CLLN_TEST_ENSEMBLE_FAULTS (src/ensemble/memberWorker.ts), which reaches the
 * member threads of a `clln worker` process through its environment, exactly as it reaches the local pool's.
 *
 * Truth: a local-pool run of the same spec with the same faults (built CLI, no Redis, no codec). The queue's dataset
 * folder must equal it byte for byte; the failed member's file is also checked against what the README documents.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/ensemble/dataset.js';
import { readEnsembleSpec } from '../../src/ensemble/EnsembleSpec.js';
import { memberSeeds } from '../../src/ensemble/runMember.js';
import { CLI, runBuiltCli } from '../emulator/builtCli.js';
import { redisSkip, type RedisServer, startRedis } from './queueRedis.js';

const cliBuilt = existsSync(CLI) && existsSync(join(CLI, '../commands/worker.js')) && existsSync(join(CLI, '../../ensemble/memberWorker.js'));
const skip = redisSkip || (cliBuilt ? '' : "the CLI is not built ('npm run build')");

const SPEC = {
  format: 'clln.ensemble/1',
  name: 'queue-failure',
  members: 6,
  seed: 13,
  network: { kind: 'lattice', rows: 4, cols: 4, conductance: [0.5, 1.5] },
  task: { kind: 'linear', matrix: [[0.15, 0.3], [0.2, 0.1]], sources: [0, 3], targets: [9, 10], ground: [15], count: 20, test: 10 },
  stop: { maxSteps: 300 },
  diagnostics: { modes: 6 },
};
/** Member 3 throws (every attempt); the thread running member 1 exits on its first attempt (a death, not a throw). */
const FAULTS = JSON.stringify({ throw: [3], exit: { '1': 1 } });
const env = { ...process.env, CLLN_TEST_ENSEMBLE_FAULTS: FAULTS };

function filesOf(dir: string, sub = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesOf(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

interface Ev {
  kind: string;
  index?: number;
  attempt?: number;
  error?: string;
}

describe.skipIf(skip !== '')(`a failing member through the queue${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let redis: RedisServer;
  const children: ChildProcess[] = [];
  const work = mkdtempSync(join(tmpdir(), 'clln-queue-fail-'));
  const specPath = join(work, 'queue-failure.json');
  const local = join(work, 'local');
  beforeAll(async () => {
    writeFileSync(specPath, JSON.stringify(SPEC));
    const [r, server] = await Promise.all([runBuiltCli(['ensemble', 'run', specPath, '--out', local, '--workers', '2', '--json'], children, env), startRedis()]);
    redis = server;
    expect(r.code, r.err).toBe(0);
    // the local pool's handling, the reference: one failed member, one thread restart
    expect(JSON.parse(r.out)).toMatchObject({ members: 6, ran: 6, failed: 1, failedTotal: 1, restarts: 1 });
  }, 120_000);
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('the throwing member is stored once as failed and not retried; the dead thread\'s member is retried; the dataset equals the local pool\'s byte for byte', async () => {
    const out = join(work, 'queued');
    const url = `redis://127.0.0.1:${redis.port}/fail`;
    const worker = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--workers', '2', '--lock-ms', '1500', '--json'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(worker);
    const events: Ev[] = [];
    let buf = '';
    worker.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          events.push(JSON.parse(line) as Ev);
        } catch {
          // not an event
        }
      }
    });
    const res = await runBuiltCli(['ensemble', 'run', specPath, '--queue', url, '--out', out, '--json'], children);
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out)).toMatchObject({ members: 6, enqueued: 6, storedNow: 6, failed: 1, failedTotal: 1, duplicatesRefused: 0 });
    const exited = once(worker, 'exit');
    worker.kill('SIGTERM');
    await exited;

    // member 3 ran once: its throw completed the job (no BullMQ retry), reported as a member failure
    expect(events.filter((e) => e.kind === 'start' && e.index === 3)).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'member-failed').map((e) => e.index)).toEqual([3]);
    // member 1's thread died on attempt 1: the job failed, BullMQ ran it again (attempt 2), and it finished
    expect(events.filter((e) => e.kind === 'failed').map((e) => e.index)).toEqual([1]);
    expect(events.filter((e) => e.kind === 'start' && e.index === 1).map((e) => e.attempt)).toEqual([1, 2]);
    expect(events.some((e) => e.kind === 'done' && e.index === 1)).toBe(true);

    // the failed member's file as documented: seeds of member 3, the error's name and message
    const doc = JSON.parse(readFileSync(join(out, 'members', '000003.json'), 'utf8'));
    expect(doc).toEqual({
      format: 'clln.ensemble-member/1',
      specDigest: expect.any(String),
      status: 'failed',
      failure: { index: 3, seeds: memberSeeds(readEnsembleSpec(specPath), 3), error: expect.stringMatching(/^Error: injected failure of member 3 .*did not converge$/) },
    });

    // the whole folder equals the local pool's, byte for byte, and through readDataset
    const files = filesOf(local);
    expect(files.filter((f) => f.startsWith('members/'))).toHaveLength(6);
    expect(filesOf(out)).toEqual(files);
    for (const f of files) expect(readFileSync(join(out, f)).equals(readFileSync(join(local, f))), f).toBe(true);
    const ds = readDataset(out);
    expect(ds.meta).toMatchObject({ members: 6, failed: 1 });
    expect(ds.failed.map((f) => f.index)).toEqual([3]);
    expect(ds.members.map((m) => m.index)).toEqual([0, 1, 2, 4, 5]);
    expect(ds).toEqual(readDataset(local));

    // status: nothing failed or waiting in the queue; every member (the failed one too) stored
    const st = await runBuiltCli(['ensemble', 'status', '--queue', url, '--json'], children);
    expect(JSON.parse(st.out)).toEqual([expect.objectContaining({ queue: 'fail', waiting: 0, active: 0, completed: 0, failed: 0, stored: 6 })]);
  }, 120_000);
});
