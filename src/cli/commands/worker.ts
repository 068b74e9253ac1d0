/**
 * `clln worker --queue URL`: one machine's share of a queued ensemble (src/ensemble/queue/worker.ts).
 */
import { availableParallelism } from 'node:os';
import { parseQueueUrl } from '../../ensemble/queue/queueUrl.js';
import { DEFAULT_LOCK_MS, MIN_LOCK_MS, runQueueWorker, type WorkerEvent } from '../../ensemble/queue/worker.js';
import { InvalidInputError } from '../../errors.js';
import { int, parse, positionals, str } from '../args.js';
import type { Io } from '../Io.js';

export const workerHelp = `clln worker --queue redis://HOST:PORT/NAME [--workers N] [--lock-ms MS] [--json]
  Run the members of the ensemble queued on NAME (by 'clln ensemble run SPEC --queue ...') on N threads (default:
  the cores), until Ctrl-C or SIGTERM (members in flight finish first). Start any number, on any machines that
  reach Redis; they need no access to the dataset folder: results go back through the queue.
  --lock-ms MS  how long a member's job stays locked without a sign of life from its worker (default ${DEFAULT_LOCK_MS},
                at least ${MIN_LOCK_MS}); a worker that dies (SIGKILL, power) has its members run again by another
                worker after MS to 2 MS
  --json        one JSON object a line on stderr per event (ready, start, progress, done, member-failed, failed) instead of text
Exit codes: 0 stopped, 2 bad input, 1 Redis unreachable.`;

export async function worker(argv: string[], io: Io): Promise<number> {
  const p = parse('worker', argv, { queue: { type: 'string' }, workers: { type: 'string' }, 'lock-ms': { type: 'string' }, json: { type: 'boolean' } });
  positionals(p, 'worker', []);
  const queueText = str(p, 'queue');
  if (queueText === undefined) throw new InvalidInputError({ source: 'clln worker' }, '--queue is missing', 'add --queue redis://HOST:PORT/NAME');
  const url = parseQueueUrl(queueText);
  const threads = int(p, 'workers', 1) ?? availableParallelism();
  const lockMs = int(p, 'lock-ms', MIN_LOCK_MS) ?? DEFAULT_LOCK_MS;
  const json = p.values.json === true;
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const say = (e: WorkerEvent): void => {
    if (json) return void io.stderr.write(JSON.stringify(e) + '\n');
    if (e.kind === 'waiting-for-spec') io.stderr.write(`clln worker: waiting for an ensemble on queue ${e.queue}\n`);
    else if (e.kind === 'ready') io.stderr.write(`clln worker: queue ${e.queue}, ensemble ${e.digest.slice(0, 12)} (${e.members} members), ${e.threads} threads\n`);
    else if (e.kind === 'start') io.stderr.write(`member ${e.index} started (attempt ${e.attempt})\n`);
    else if (e.kind === 'done') io.stderr.write(`member ${e.index} done in ${(e.ms / 1000).toFixed(1)} s\n`);
    else if (e.kind === 'member-failed') io.stderr.write(`member ${e.index} threw (stored as a failed member, not retried): ${e.error}\n`);
    else if (e.kind === 'failed') io.stderr.write(`member ${e.index}: job failed (BullMQ retries it): ${e.error}\n`);
    else if (e.kind === 'warning') io.stderr.write(`clln worker: ${e.message}\n`);
  };
  try {
    await runQueueWorker(url, { threads, lockMs, signal: controller.signal, onEvent: say });
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
