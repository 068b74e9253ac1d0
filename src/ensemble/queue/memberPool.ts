/**
 * N threads running members of one spec, for the queue worker. The threads are the local pool's (memberWorker.ts,
 * found by workerScript()), so a member runs the same code whichever way the ensemble is run. One member per thread
 * at a time; BullMQ's concurrency equals N, so the pool is never asked for more than it has. A member whose
 * computation throws resolves with its error (the worker returns it as the job's value, and the coordinator stores
 * the member as failed, as the local pool does: the throw is deterministic, a retry would throw again). A thread that
 * dies rejects its member instead: the job fails and BullMQ retries it (attempts), and the dead thread is replaced so
 * that the pool keeps its size.
 */
import { Worker } from 'node:worker_threads';
import { type FromWorker, type MemberResult, type ToWorker, workerScript } from './backend.js';

/** How a member ended on its thread: its result, or the error its computation threw (name and message). */
export type MemberOutcome = { kind: 'result'; result: MemberResult } | { kind: 'error'; name: string; message: string };

interface Pending {
  resolve: (r: MemberOutcome) => void;
  reject: (e: Error) => void;
  onProgress?: (done: number, steps: number) => void;
}

export class MemberPool {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private closing = false;
  /** The member each busy thread runs, and who waits for it. */
  private readonly busy = new Map<Worker, Pending>();
  private readonly script = workerScript();

  /** @param specDocument the spec as a clln.ensemble/1 document (specDocument(spec)): each thread parses it once */
  constructor(
    private readonly specDocument: unknown,
    threads: number,
  ) {
    for (let i = 0; i < threads; i++) this.idle.push(this.spawn());
  }

  private spawn(): Worker {
    const w = new Worker(this.script, { workerData: { spec: this.specDocument } });
    w.on('message', (m: FromWorker) => {
      const p = this.busy.get(w);
      if (!p) return;
      if (m.kind === 'progress') return p.onProgress?.(m.done, m.steps);
      this.busy.delete(w);
      this.idle.push(w);
      if (m.kind === 'error') p.resolve({ kind: 'error', name: m.name, message: m.message });
      else p.resolve({ kind: 'result', result: m.result });
    });
    // a thread that dies (out of memory in a member) fails its member, which BullMQ retries (attempts), and is
    // replaced, so that the pool keeps its size
    w.on('error', (e) => this.lost(w, e));
    w.on('exit', (code) => this.lost(w, new Error(`member thread exited with code ${code}`)));
    this.all.add(w);
    return w;
  }

  private lost(w: Worker, e: Error): void {
    if (this.closing || !this.all.delete(w)) return;
    const p = this.busy.get(w);
    this.busy.delete(w);
    const at = this.idle.indexOf(w);
    if (at >= 0) this.idle.splice(at, 1);
    this.idle.push(this.spawn());
    p?.reject(e);
  }

  /** @param attempt 1 for a member's first run (the test-only fault hook of memberWorker.ts reads it) */
  run(index: number, attempt: number, onProgress?: (done: number, steps: number) => void): Promise<MemberOutcome> {
    const w = this.idle.pop();
    if (!w) return Promise.reject(new Error('member pool: no idle thread (concurrency above the pool size)'));
    return new Promise((resolve, reject) => {
      this.busy.set(w, { resolve, reject, onProgress });
      w.postMessage({ index, attempt } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.all].map((w) => w.terminate()));
  }
}
