/**
 * The worker thread of the local pool (pool.ts): receives the spec document once (workerData), then member indices
 * one at a time; answers each with its result, or the error that stopped it. Progress within a member is posted as
 * it comes (every ~1 % of its steps).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseEnsembleSpec } from './EnsembleSpec.js';
import { runMember } from './runMember.js';

export type ToWorker = { index: number } | { stop: true };
export type FromWorker =
  | { kind: 'progress'; index: number; done: number; steps: number }
  | { kind: 'result'; index: number; result: import('./runMember.js').MemberResult }
  | { kind: 'error'; index: number; message: string; name: string };

if (parentPort) {
  const port = parentPort;
  const spec = parseEnsembleSpec((workerData as { spec: unknown }).spec, 'spec.json');
  port.on('message', (m: ToWorker) => {
    if ('stop' in m) {
      port.close();
      return;
    }
    try {
      const result = runMember(spec, m.index, (done, steps) => port.postMessage({ kind: 'progress', index: m.index, done, steps } satisfies FromWorker));
      port.postMessage({ kind: 'result', index: m.index, result } satisfies FromWorker);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      port.postMessage({ kind: 'error', index: m.index, message: err.message, name: err.name } satisfies FromWorker);
    }
  });
}
