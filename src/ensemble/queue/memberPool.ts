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
  private readonly all: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly busy = new Map<Worker, number>();
  private nextId = 0;

  constructor(spec: unknown, threads: number) {
    const entry = new URL('./memberThread.js', import.meta.url);
    for (let i = 0; i < threads; i++) {
      const w = new Worker(entry, { workerData: { spec } });
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
      // a thread that dies (out of memory) fails its member; BullMQ retries it (attempts)
      w.on('error', (e) => {
        const id = this.busy.get(w);
        const p = id === undefined ? undefined : this.pending.get(id);
        if (p && id !== undefined) {
          this.pending.delete(id);
          p.reject(e);
        }
      });
      this.all.push(w);
      this.idle.push(w);
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
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}
