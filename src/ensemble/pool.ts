/**
 * The local pool: an ensemble's members on `node:worker_threads`, one worker per core by default. Each worker runs
 * one member at a time (runMember, synchronous) and the main thread stores each result as it arrives
 * (memberStore.ts), so a killed run loses only the members in flight; running again skips every stored member
 * (resume). When every member is stored, the dataset is assembled (dataset.ts).
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
import { storedMembers, storeMember } from './memberStore.js';
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
  /** Members run and stored by this run. */
  ran: number;
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
  let ran = 0;
  if (todo.length > 0) {
    ran = await runPool(spec, dir, digest, todo, count, skipped, opts.onProgress);
  }
  assembleDataset(dir, spec);
  return { members: spec.members, ran, skipped, workers: todo.length > 0 ? count : 0, seconds: (performance.now() - t0) / 1000 };
}

function runPool(spec: EnsembleSpec, dir: string, digest: string, todo: number[], count: number, skipped: number, onProgress?: (p: PoolProgress) => void): Promise<number> {
  const script = workerScript();
  const document = specDocument(spec);
  return new Promise<number>((resolve, reject) => {
    const workers: Worker[] = [];
    const inFlight = new Map<number, number>(); // member index -> fraction of its steps done
    let next = 0;
    let finished = 0;
    let failed = false;
    const idle = new Set<Worker>(); // told to stop: no member left for them, their exit is expected
    const report = (): void => {
      if (!onProgress) return;
      let partial = 0;
      for (const f of inFlight.values()) partial += f;
      onProgress({ stored: skipped + finished, total: spec.members, skipped, work: finished + partial, todo: todo.length });
    };
    const stopAll = (): void => {
      for (const w of workers) void w.terminate();
    };
    const fail = (e: Error): void => {
      if (failed) return;
      failed = true;
      stopAll();
      reject(e);
    };
    const feed = (w: Worker): void => {
      if (next < todo.length) {
        const index = todo[next++];
        inFlight.set(index, 0);
        w.postMessage({ index } satisfies ToWorker);
      } else {
        idle.add(w);
        w.postMessage({ stop: true } satisfies ToWorker);
      }
    };
    for (let k = 0; k < count; k++) {
      const w = new Worker(script, { workerData: { spec: document } });
      workers.push(w);
      w.on('message', (m: FromWorker) => {
        if (failed) return;
        if (m.kind === 'progress') {
          inFlight.set(m.index, m.steps > 0 ? m.done / m.steps : 0);
          report();
          return;
        }
        if (m.kind === 'error') {
          fail(m.name === 'InvalidInputError' ? new InvalidInputError({ source: `ensemble member ${m.index}` }, m.message) : new CllnError(`ensemble member ${m.index} failed: ${m.message}`));
          return;
        }
        try {
          storeMember(dir, digest, m.result);
        } catch (e) {
          fail(e as Error);
          return;
        }
        inFlight.delete(m.index);
        finished++;
        report();
        if (finished === todo.length) {
          stopAll();
          resolve(finished);
        } else feed(w);
      });
      w.on('error', (e) => fail(new CllnError(`an ensemble worker thread failed: ${e.message}`)));
      // a worker that ends while members are left (killed by the system, out of memory) without an 'error'
      w.on('exit', (code) => {
        if (!failed && !idle.has(w) && finished < todo.length) fail(new CllnError(`an ensemble worker thread exited (code ${code}) with ${todo.length - finished} members left`));
      });
      feed(w);
    }
  });
}
