/**
 * N threads running members of one spec (memberThread.ts). One member per thread at a time; BullMQ's concurrency
 * equals N, so the pool is never asked for more than it has.
 */
import { Worker } from 'node:worker_threads';
import type { MemberResult } from './backend.js';

interface Pending {
  resolve: (r: MemberResult) => void;
  reject: (e: Error) => void;
  onProgress?: (done: number, steps: number) => void;
}

export class MemberPool {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private closing = false;
  private readonly pending = new Map<number, Pending>();
  private readonly busy = new Map<Worker, number>();
  private nextId = 0;

  constructor(
    private readonly spec: unknown,
    threads: number,
  ) {
    for (let i = 0; i < threads; i++) this.idle.push(this.spawn());
  }

  private spawn(): Worker {
    const w = new Worker(new URL('./memberThread.js', import.meta.url), { workerData: { spec: this.spec } });
    w.on('message', (m: { id: number; result?: MemberResult; error?: string; progress?: [number, number] }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.progress) return p.onProgress?.(m.progress[0], m.progress[1]);
      this.pending.delete(m.id);
      this.busy.delete(w);
      this.idle.push(w);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.result!);
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
    const id = this.busy.get(w);
    this.busy.delete(w);
    const at = this.idle.indexOf(w);
    if (at >= 0) this.idle.splice(at, 1);
    this.idle.push(this.spawn());
    const p = id === undefined ? undefined : this.pending.get(id);
    if (p && id !== undefined) {
      this.pending.delete(id);
      p.reject(e);
    }
  }

  run(index: number, onProgress?: (done: number, steps: number) => void): Promise<MemberResult> {
    const w = this.idle.pop();
    if (!w) return Promise.reject(new Error('member pool: no idle thread (concurrency above the pool size)'));
    const id = this.nextId++;
    this.busy.set(w, id);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      w.postMessage({ id, index });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.all].map((w) => w.terminate()));
  }
}
