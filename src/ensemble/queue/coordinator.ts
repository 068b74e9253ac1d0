/**
 * `clln ensemble run SPEC --queue URL --out DIR`: the coordinator. It publishes the spec on the queue, enqueues one
 * job per member not yet in DIR, and stores each result in DIR as its job completes; when every member is stored it
 * assembles the dataset, exactly as the local pool does.
 *
 * Where results live. A worker returns the MemberResult as its job's return value (JSON in Redis), and only the
 * coordinator writes the dataset folder, with storeMember, which refuses a member already stored. The order is:
 * store in DIR, then record the index in clln's `stored` set, then remove the job. A coordinator that dies between
 * these steps finds the completed job again when restarted, and storeMember refuses the second copy. So Redis holds a
 * result only until it is on disk in DIR, never the only lasting copy, and workers need no shared folder.
 *
 * Job ids are `m<index>`: BullMQ ignores an add whose id exists, so a restarted coordinator re-enqueues only what is
 * missing.
 *
 * Failures, as in the local pool (pool.ts). A member whose computation throws completes its job with the error
 * (worker.ts): the coordinator stores it once as failed (storeFailedMember: seeds and `Name: message`, the member
 * file a local run writes) and goes on; an InvalidInputError from a member is the spec's fault and stops the run
 * (exit 2), nothing stored. A job that fails (its member's thread or worker died) is retried by BullMQ, ATTEMPTS
 * times; one that fails for good ends the coordinator with exit 1 naming the members once nothing is left to wait
 * for, and is retried once more when the coordinator is run again.
 */
import { Queue, QueueEvents, type Job } from 'bullmq';
import { CllnError, InvalidInputError } from '../../errors.js';
import { assembleDataset, type EnsembleSpec, memberCount, memberSeeds, openDatasetDir, specDigest, specDocument, storedMembers, storeFailedMember, storeMember } from './backend.js';
import { decodeResult, type EncodedResult } from './codec.js';
import { connectChecked, redisOptions } from './connection.js';
import { type PublishedSpec, specKey, storedKey } from './keys.js';
import type { QueueUrl } from './queueUrl.js';
import type { JobData } from './worker.js';

/** Tries per member before its job fails for good (a thrown error; a stall is counted apart: MAX_STALLED). */
export const ATTEMPTS = 3;
/** Completed jobs collected per round trip. */
const BATCH = 200;
/** The coordinator wakes on each 'completed' event; this poll is the fallback if an event is missed (ms). */
const POLL_MS = 1000;

export interface CoordinatorProgress {
  stored: number;
  members: number;
  /** Stored by this run (the rest were in DIR already). */
  storedNow: number;
}

export interface CoordinatorSummary {
  queue: string;
  digest: string;
  members: number;
  enqueued: number;
  storedBefore: number;
  storedNow: number;
  /** Members stored as failed by this run (their computation threw; status `failed`, no results). */
  failed: number;
  /** Failed members in the dataset, this run's and earlier ones'. */
  failedTotal: number;
  duplicatesRefused: number;
  dir: string;
}

export class EnsembleFailedError extends CllnError {
  constructor(message: string) {
    super(message);
    this.name = 'EnsembleFailedError';
  }
}

export async function runEnsembleQueue(
  spec: EnsembleSpec,
  url: QueueUrl,
  dir: string,
  opts: { onProgress?: (p: CoordinatorProgress) => void; signal?: AbortSignal } = {},
): Promise<CoordinatorSummary> {
  const name = url.name!;
  // the folder first, as a local run does: spec.json written (or a folder of another ensemble refused, exit 2)
  // before anything is enqueued, so that a queued and a local run of one spec give the same folder
  const digest = openDatasetDir(dir, spec);
  const members = memberCount(spec);
  const redis = await connectChecked(url);
  const queue = new Queue<JobData, EncodedResult, 'member'>(name, { connection: redisOptions(url) });
  const events = new QueueEvents(name, { connection: redisOptions(url) });
  queue.on('error', () => {});
  events.on('error', () => {});
  try {
    // one ensemble per queue name: a second spec would mix members of two ensembles
    // the spec as a document (nulls left out): it reads back to the same spec and digest on the workers
    const published: PublishedSpec = { digest, members, spec: specDocument(spec) };
    const set = await redis.set(specKey(name), JSON.stringify(published), 'NX');
    if (set === null) {
      const other = JSON.parse((await redis.get(specKey(name))) ?? '{}') as Partial<PublishedSpec>;
      if (other.digest !== digest) {
        throw new InvalidInputError(
          { source: url.display },
          `queue ${name} belongs to another ensemble (spec digest ${String(other.digest).slice(0, 12)}, this spec ${digest.slice(0, 12)})`,
          `use another queue name, or finish that ensemble and remove its queue with 'clln ensemble status --queue ${url.display} --remove'`,
        );
      }
    }
    const before = storedMembers(dir);
    if (before.size > 0) await redis.sadd(storedKey(name), ...before);
    // failed for good in an earlier run: give them their attempts again
    for (const job of await queue.getJobs(['failed'], 0, -1)) {
      if (!before.has(job.data.index)) await job.retry('failed');
    }
    const missing: number[] = [];
    for (let i = 0; i < members; i++) if (!before.has(i)) missing.push(i);
    for (let k = 0; k < missing.length; k += 1000) {
      await queue.addBulk(
        missing.slice(k, k + 1000).map((index) => ({
          name: 'member' as const,
          data: { digest, index },
          opts: { jobId: `m${index}`, attempts: ATTEMPTS, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false },
        })),
      );
    }

    let stored = before.size;
    let storedNow = 0;
    let duplicatesRefused = 0;
    let failedNow = 0;
    opts.onProgress?.({ stored, members, storedNow });
    let wake: () => void = () => {};
    events.on('completed', () => wake());
    events.on('failed', () => wake());
    opts.signal?.addEventListener('abort', () => wake(), { once: true });
    while (stored < members) {
      if (opts.signal?.aborted) throw new EnsembleFailedError(`interrupted with ${stored} of ${members} members stored in ${dir}; run the same command again to continue`);
      const jobs = (await queue.getJobs(['completed'], 0, BATCH - 1, true)) as Job<JobData, EncodedResult>[];
      // store every result of the batch first (on disk: the lasting copy), then one SADD, then the removals in
      // parallel: 2 round trips a batch instead of 2 a member
      const indices: number[] = [];
      for (const job of jobs) {
        const rv = job.returnvalue;
        if (!rv || rv.digest !== digest) continue;
        let fresh: boolean;
        if ('failure' in rv) {
          const f = rv.failure;
          // the spec does not fit the member (every member alike, as a rule): bad input, exit 2, nothing stored, as
          // in a local run
          if (f.name === 'InvalidInputError') throw new InvalidInputError({ source: `ensemble member ${f.index}` }, f.message);
          // the member's computation threw (deterministic): stored once as failed, with the error text a local run
          // stores
          fresh = storeFailedMember(dir, digest, { index: f.index, seeds: memberSeeds(spec, f.index), error: `${f.name}: ${f.message}` });
          if (fresh) failedNow++;
        } else fresh = storeMember(dir, digest, decodeResult(rv));
        if (fresh) {
          stored++;
          storedNow++;
        } else duplicatesRefused++;
        indices.push(job.data.index);
      }
      if (indices.length > 0) await redis.sadd(storedKey(name), ...indices);
      await Promise.all(jobs.map((job) => job.remove()));
      if (jobs.length > 0) {
        opts.onProgress?.({ stored, members, storedNow });
        continue;
      }
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed');
      if (c.failed > 0 && c.waiting + c.active + c.delayed + c.prioritized + c['waiting-children'] === 0) {
        const failed = await queue.getJobs(['failed'], 0, 4);
        const why = failed.map((j) => `member ${j.data.index}: ${j.failedReason}`).join('; ');
        throw new EnsembleFailedError(
          `${c.failed} member${c.failed === 1 ? '' : 's'} failed after ${ATTEMPTS} attempts (${why}); ${stored} of ${members} are stored in ${dir}; ` +
            `run the same command again to retry them`,
        );
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, POLL_MS);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = () => {};
    }
    const meta = assembleDataset(dir, spec);
    return { queue: name, digest, members, enqueued: missing.length, storedBefore: before.size, storedNow, failed: failedNow, failedTotal: meta.failed ?? 0, duplicatesRefused, dir };
  } finally {
    await events.close();
    await queue.close();
    redis.disconnect();
  }
}
