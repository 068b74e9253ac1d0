/**
 * `clln worker --queue URL`: takes member jobs from the queue and runs them on a local pool of threads. The result
 * goes back as the job's return value; the coordinator stores it in its dataset folder. So a worker needs nothing but
 * Redis: no shared folder, any machine that reaches Redis can help.
 *
 * Losing a worker. A worker killed with SIGKILL (or a machine that loses power) stops renewing its jobs' locks. Any
 * live worker's stalled-job check (every `stalledInterval`) finds an active job whose lock has expired
 * (`lockDuration`) and moves it back to waiting, and it runs again from the start: a member is pure, so the rerun
 * gives the same result. A member is therefore lost for at most lockDuration + stalledInterval (60 s by default),
 * which is small against a member of minutes; `--lock-ms` lowers both for short members and tests. A lock shorter
 * than a Redis round trip under load would have healthy members taken for stalled ones (they would then run twice,
 * harmless but wasteful: the coordinator stores one copy), hence the 1000 ms minimum. maxStalledCount
 * (MAX_STALLED) bounds how often one member may be recovered, so that a member that kills every worker that runs it
 * (out of memory) ends up failed instead of circulating forever.
 *
 * A member whose computation throws is not a failed job: the throw is deterministic (a member depends only on the
 * spec and its index), so a retry would throw again. The job completes with the error as its value
 * (codec.encodeFailure), and the coordinator stores the member once as failed, as the local pool does. A member
 * thread that dies (out of memory, process.exit) fails the job instead, and BullMQ retries it (ATTEMPTS).
 */
import { Worker as BullWorker, type Job, UnrecoverableError } from 'bullmq';
import { CllnError } from '../../errors.js';
import { encodeFailure, encodeResult, type EncodedResult } from './codec.js';
import { connectChecked, redisOptions } from './connection.js';
import { parseEnsembleSpec, specDigest } from './backend.js';
import { type PublishedSpec, specKey } from './keys.js';
import { MemberPool } from './memberPool.js';
import type { QueueUrl } from './queueUrl.js';

export const DEFAULT_LOCK_MS = 30_000;
export const MIN_LOCK_MS = 1000;
export const MAX_STALLED = 3;
/** A member's progress goes to Redis (job.updateProgress) and the log at most this often (ms): a line per member, not per step. */
const PROGRESS_MS = 500;

export interface JobData {
  digest: string;
  index: number;
}

export type WorkerEvent =
  | { kind: 'waiting-for-spec'; queue: string }
  | { kind: 'ready'; queue: string; digest: string; members: number; threads: number }
  | { kind: 'start'; index: number; attempt: number }
  | { kind: 'progress'; index: number; done: number; steps: number }
  | { kind: 'done'; index: number; ms: number }
  | { kind: 'member-failed'; index: number; error: string }
  | { kind: 'failed'; index: number; error: string }
  | { kind: 'warning'; message: string };

export interface WorkerOptions {
  threads: number;
  lockMs?: number;
  onEvent?: (e: WorkerEvent) => void;
  /** Ends the worker: jobs in flight finish first (a second abort would need SIGKILL; the lock then expires). */
  signal: AbortSignal;
  /** How often to look for the spec when the coordinator has not published it yet (ms). */
  specPollMs?: number;
}

/** Runs until `signal` aborts. Throws QueueUnreachableError when Redis cannot be reached at the start. */
export async function runQueueWorker(url: QueueUrl, opts: WorkerOptions): Promise<void> {
  const name = url.name!;
  const redis = await connectChecked(url);
  const emit = opts.onEvent ?? (() => {});
  let published: PublishedSpec | undefined;
  try {
    // the coordinator may start after the workers: wait for its spec
    for (let first = true; !opts.signal.aborted; first = false) {
      const raw = await redis.get(specKey(name));
      if (raw !== null) {
        published = JSON.parse(raw) as PublishedSpec;
        break;
      }
      if (first) emit({ kind: 'waiting-for-spec', queue: name });
      await sleep(opts.specPollMs ?? 1000, opts.signal);
    }
  } finally {
    redis.disconnect();
  }
  if (!published) return;
  const spec = parseEnsembleSpec(published.spec, `${url.display} (the coordinator's spec)`);
  const digest = specDigest(spec);
  if (digest !== published.digest) {
    // a worker of another clln version resolving the spec differently would compute other members: refuse
    throw new CllnError(`the spec on ${url.display} resolves to digest ${digest.slice(0, 12)} here, ${published.digest.slice(0, 12)} at the coordinator: run the same clln version on both`);
  }
  emit({ kind: 'ready', queue: name, digest, members: published.members, threads: opts.threads });
  const pool = new MemberPool(published.spec, opts.threads);
  const lockMs = Math.max(MIN_LOCK_MS, opts.lockMs ?? DEFAULT_LOCK_MS);
  const worker = new BullWorker<JobData, EncodedResult>(
    name,
    async (job: Job<JobData, EncodedResult>) => {
      if (job.data.digest !== digest) throw new UnrecoverableError(`job ${job.id} belongs to ensemble ${job.data.digest.slice(0, 12)}, this worker runs ${digest.slice(0, 12)}`);
      const t0 = performance.now();
      emit({ kind: 'start', index: job.data.index, attempt: job.attemptsStarted });
      // the member thread reports every ~1 % of the steps; Redis and the log hear of it at most every PROGRESS_MS,
      // the first time PROGRESS_MS after the start: a member shorter than that costs no progress round trip
      let last = t0;
      const outcome = await pool.run(job.data.index, Math.max(1, job.attemptsStarted), (done, steps) => {
        const now = performance.now();
        if (now - last < PROGRESS_MS) return;
        last = now;
        emit({ kind: 'progress', index: job.data.index, done, steps });
        void job.updateProgress(done / steps).catch(() => {});
      });
      if (outcome.kind === 'error') {
        // the member's computation threw: the job completes with the error, the coordinator stores it as failed
        emit({ kind: 'member-failed', index: job.data.index, error: `${outcome.name}: ${outcome.message}` });
        return encodeFailure(digest, { index: job.data.index, name: outcome.name, message: outcome.message });
      }
      emit({ kind: 'done', index: job.data.index, ms: performance.now() - t0 });
      return encodeResult(digest, outcome.result);
    },
    {
      connection: redisOptions(url),
      concurrency: opts.threads,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: MAX_STALLED,
      autorun: true,
    },
  );
  worker.on('failed', (job, err) => {
    if (job) emit({ kind: 'failed', index: job.data.index, error: err.message });
  });
  // connection trouble after the start: ioredis reconnects by itself; say so once per distinct message instead of
  // an unhandled 'error' event (which would end the process) or a line per reconnect attempt
  const said = new Set<string>();
  worker.on('error', (err) => {
    if (said.has(err.message)) return;
    said.add(err.message);
    emit({ kind: 'warning', message: `${err.message} (the worker keeps trying to reach ${url.display})` });
  });
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    else opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await worker.close();
  await pool.close();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
