/**
 * A member-running thread of the queue worker's pool: parses the spec once (workerData), then runs runMember for each
 * index it is sent. The work is synchronous and long (minutes for a 64x64 lattice), which is why it runs here and
 * not on the worker's main thread: there BullMQ renews the job's lock every lockDuration/2, and a blocked event loop
 * would lose the lock and have a healthy member taken for a stalled one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseEnsembleSpec, runMember } from './backend.js';

const spec = parseEnsembleSpec(workerData.spec, 'queue spec');
/** Progress messages at most this often (ms): a line per member, not per step. */
const PROGRESS_MS = 500;

parentPort!.on('message', (msg: { id: number; index: number }) => {
  let last = 0;
  try {
    const result = runMember(spec, msg.index, (done, steps) => {
      const now = Date.now();
      if (now - last < PROGRESS_MS) return;
      last = now;
      parentPort!.postMessage({ id: msg.id, progress: [done, steps] });
    });
    parentPort!.postMessage({ id: msg.id, result });
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
