/**
 * The local pool: an ensemble's members on `node:worker_threads`, one worker per core by default. Each worker runs
 * one member at a time (runMember, synchronous) and the main thread stores each result as it arrives
 * (memberStore.ts), so a killed run loses only the members in flight; running again skips every stored member
 * (resume). When every member is stored, the dataset is assembled (dataset.ts).
 *
 * Failures. A member whose computation throws (a solver that fails on its network) is stored once as a failed
 * member (memberStore.storeFailedMember: seeds and error, no results) and the run goes on: the throw is deterministic,
 * so running it again would throw again, and one bad member must not keep a study of 1,000 from completing; the
 * dataset marks it (status, error) and the statistics leave it out. An InvalidInputError from a member is the spec's
 * fault and stops the run (exit 2). A worker thread that dies (out of memory, process.exit, an uncaught exception)
 * is replaced and its member redone, at most MAX_MEMBER_ATTEMPTS times per member; then the run stops naming the
 * member. Only the main thread stores, each member once (storeMember refuses a second copy), so no death loses or
 * doubles a stored member.
 *
 * The worker script is the compiled memberWorker.js beside this module (dist/src/ensemble/ when run from the build);
 * from the TypeScript sources (vitest) it is the built copy in dist/, which `npm run build` writes: Node runs workers
 * from JavaScript files only.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CllnError, InvalidInputError } from '../errors.js';
import { packagePath } from '../packageFiles.js';
import { specDocument, type EnsembleSpec } from './EnsembleSpec.js';
import { assembleDataset, openDatasetDir } from './dataset.js';
import { storedMembers, storeFailedMember, storeMember } from './memberStore.js';
import { memberSeeds } from './runMember.js';
import type { FromWorker, ToWorker } from './memberWorker.js';

/** Where the pool stands, after every stored member and at each member's progress message. */
export interface PoolProgress {
  /** Members stored in all (this run and earlier ones). */
  stored: number;
  total: number;
  /** Members stored before this run started (resumed). */
  skipped: number;
  /** Members finished in this run plus the fractions of the ones in flight: the work done so far, in members. */
  work: number;
  /** Members left to run when this run started. */
  todo: number;
}

export interface PoolOptions {
  /** Worker threads, integer >= 1. Default: the cores (os.availableParallelism()), at most the members left. */
  workers?: number;
  onProgress?: (p: PoolProgress) => void;
}

export interface PoolSummary {
  members: number;
  /** Members run and stored by this run (finished or failed). */
  ran: number;
  /** Members of this run whose computation threw, stored as failed (status `failed`, no results). */
  failed: number;
  /** Failed members in the dataset, this run's and earlier ones'. */
  failedTotal: number;
  /** Worker threads that died with a member in flight and were replaced (the member redone). */
  restarts: number;
  /** Members found stored (run earlier) and not run again. */
  skipped: number;
  workers: number;
  seconds: number;
}

/** The worker script: see the file comment. */
export function workerScript(): URL {
  const here = new URL('./memberWorker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = packagePath('dist', 'src', 'ensemble', 'memberWorker.js');
  if (existsSync(built)) return pathToFileURL(built);
  throw new CllnError(`the ensemble pool's worker script is missing (looked for ${fileURLToPath(here)} and ${built}); run 'npm run build'`);
}

/** Run every member of `spec` not yet stored in `dir` on a pool of worker threads, then assemble the dataset. */
export async function runEnsembleLocal(spec: EnsembleSpec, dir: string, opts: PoolOptions = {}): Promise<PoolSummary> {
  const t0 = performance.now();
  if (opts.workers !== undefined && !(Number.isInteger(opts.workers) && opts.workers >= 1)) {
    throw new InvalidInputError({ source: '--workers' }, `must be an integer >= 1, got ${opts.workers}`, 'give the number of worker threads, e.g. 2');
  }
  const digest = openDatasetDir(dir, spec);
  const stored = storedMembers(dir);
  const todo: number[] = [];
  for (let i = 0; i < spec.members; i++) if (!stored.has(i)) todo.push(i);
  const skipped = spec.members - todo.length;
  const count = Math.max(1, Math.min(opts.workers ?? availableParallelism(), todo.length));
  let run = { ran: 0, failed: 0, restarts: 0 };
  if (todo.length > 0) {
    run = await runPool(spec, dir, digest, todo, count, skipped, opts.onProgress);
  }
  const meta = assembleDataset(dir, spec);
  return { members: spec.members, ...run, failedTotal: meta.failed ?? 0, skipped, workers: todo.length > 0 ? count : 0, seconds: (performance.now() - t0) / 1000 };
}

/**
 * A member whose thread died is run again on a fresh thread at most this many times in all; then the run stops
 * (CllnError naming the member). A death is not a member's deterministic failure (that is stored, see
 * {@link runEnsembleLocal}) but the thread's: out of memory, a native crash, process.exit in a dependency. Three
 * attempts tell a passing cause (another process took the memory) from a member that kills every thread it runs on.
 */
export const MAX_MEMBER_ATTEMPTS = 3;

interface Slot {
  worker: Worker;
  /** The member this thread runs, or null (told to stop). */
  member: number | null;
  /** Why the thread died, from its 'error' event (an uncaught exception, out of memory), before 'exit'. */
  error?: string;
}

function runPool(spec: EnsembleSpec, dir: string, digest: string, todo: number[], count: number, skipped: number, onProgress?: (p: PoolProgress) => void): Promise<{ ran: number; failed: number; restarts: number }> {
  const script = workerScript();
  const document = specDocument(spec);
  return new Promise((resolve, reject) => {
    const slots = new Set<Slot>();
    const inFlight = new Map<number, number>(); // member index -> fraction of its steps done
    const attempts = new Map<number, number>();
    const done = new Set<number>(); // stored by this run (finished or failed)
    const redo: number[] = []; // members whose thread died, run before the rest
    let next = 0;
    let failed = 0;
    let restarts = 0;
    let settled = false;
    const report = (): void => {
      if (!onProgress) return;
      let partial = 0;
      for (const f of inFlight.values()) partial += f;
      onProgress({ stored: skipped + done.size, total: spec.members, skipped, work: done.size + partial, todo: todo.length });
    };
    const stopAll = (): void => {
      for (const s of slots) void s.worker.terminate();
    };
    const fail = (e: Error): void => {
      if (settled) return;
      settled = true;
      stopAll();
      reject(e);
    };
    const finish = (): void => {
      if (settled) return;
      settled = true;
      stopAll();
      resolve({ ran: done.size, failed, restarts });
    };
    const take = (): number | undefined => {
      while (redo.length > 0) {
        const i = redo.shift()!;
        if (!done.has(i)) return i;
      }
      return next < todo.length ? todo[next++] : undefined;
    };
    const feed = (s: Slot): void => {
      const index = take();
      if (index === undefined) {
        s.member = null;
        s.worker.postMessage({ stop: true } satisfies ToWorker);
        return;
      }
      const attempt = (attempts.get(index) ?? 0) + 1;
      attempts.set(index, attempt);
      s.member = index;
      inFlight.set(index, 0);
      s.worker.postMessage({ index, attempt } satisfies ToWorker);
    };
    const spawn = (): Slot => {
      const s: Slot = { worker: new Worker(script, { workerData: { spec: document } }), member: null };
      slots.add(s);
      s.worker.on('message', (m: FromWorker) => {
        if (settled) return;
        if (m.kind === 'progress') {
          if (!done.has(m.index)) inFlight.set(m.index, m.steps > 0 ? m.done / m.steps : 0);
          report();
          return;
        }
        // a member already done here was redone after its first thread died having posted its result: the copy is
        // not stored again, the thread gets the next member
        if (!done.has(m.index)) {
          try {
            if (m.kind === 'result') {
              storeMember(dir, digest, m.result);
            } else if (m.name === 'InvalidInputError') {
              // the spec does not fit the member (every member alike, as a rule): bad input, exit 2, nothing stored
              fail(new InvalidInputError({ source: `ensemble member ${m.index}` }, m.message));
              return;
            } else {
              // the member's computation threw: deterministic (its result depends only on spec and index), so it
              // would throw again; stored once as failed, the run goes on
              if (storeFailedMember(dir, digest, { index: m.index, seeds: memberSeeds(spec, m.index), error: `${m.name}: ${m.message}` })) failed++;
            }
          } catch (e) {
            fail(e as Error);
            return;
          }
          inFlight.delete(m.index);
          done.add(m.index);
          report();
        }
        if (done.size === todo.length) finish();
        else feed(s);
      });
      s.worker.on('error', (e) => {
        s.error = e.message;
      });
      s.worker.on('exit', (code) => {
        slots.delete(s);
        if (settled || s.member === null) return; // terminated by us, or told to stop
        // the thread died with a member in flight (its result, if it had posted one, was handled before 'exit')
        const index = s.member;
        inFlight.delete(index);
        const why = s.error !== undefined ? `error: ${s.error}` : `exit code ${code}`;
        if (done.has(index)) {
          // its result arrived and was stored: nothing to redo
        } else if ((attempts.get(index) ?? 0) >= MAX_MEMBER_ATTEMPTS) {
          fail(
            new CllnError(
              `ensemble member ${index}: the worker thread running it died ${attempts.get(index)} times (last: ${why}); the run stops. ` +
                `The ${skipped + done.size} members stored are kept; run the same command again to retry, or look at member ${index} alone`,
            ),
          );
          return;
        } else {
          redo.push(index);
        }
        restarts++;
        report();
        feed(spawn());
      });
      return s;
    };
    for (let k = 0; k < count; k++) feed(spawn());
  });
}
