/**
 * The worker thread of the local pool (pool.ts): receives the spec document once (workerData), then member indices
 * one at a time; answers each with its result, or the error that stopped it. Progress within a member is posted as
 * it comes (every ~1 % of its steps).
 *
 * Test-only fault injection (not part of the API; used by test/ensemble/poolFailure.test.ts): the environment variable
 * CLLN_TEST_ENSEMBLE_FAULTS, read once when the thread starts, holds JSON {"throw": [i...], "exit": {"i": n},
 * "crash": {"i": n}}: member i throws as if its computation failed (every attempt), the thread calls process.exit(70)
 * when it starts member i, or throws an uncaught exception (the thread dies with an 'error'), on attempts 1..n of
 * member i. Unset, nothing changes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseEnsembleSpec } from './EnsembleSpec.js';
import { runMember } from './runMember.js';

/** `attempt`: 1 for the first run of a member, 2.. when it is redone after its thread died (pool.ts). */
export type ToWorker = { index: number; attempt?: number } | { stop: true };
export type FromWorker =
  | { kind: 'progress'; index: number; done: number; steps: number }
  | { kind: 'result'; index: number; result: import('./runMember.js').MemberResult }
  | { kind: 'error'; index: number; message: string; name: string };

interface Faults {
  throw?: number[];
  exit?: Record<string, number>;
  crash?: Record<string, number>;
}

function faults(): Faults | null {
  const raw = process.env.CLLN_TEST_ENSEMBLE_FAULTS;
  return raw ? (JSON.parse(raw) as Faults) : null;
}

if (parentPort) {
  const port = parentPort;
  const spec = parseEnsembleSpec((workerData as { spec: unknown }).spec, 'spec.json');
  const inject = faults();
  port.on('message', (m: ToWorker) => {
    if ('stop' in m) {
      port.close();
      return;
    }
    const attempt = m.attempt ?? 1;
    if (inject && attempt <= (inject.exit?.[m.index] ?? 0)) process.exit(70);
    if (inject && attempt <= (inject.crash?.[m.index] ?? 0)) {
      // outside the try below: an uncaught exception ends the thread ('error' on the Worker, then 'exit')
      setImmediate(() => {
        throw new Error(`injected crash of the thread running member ${m.index} (CLLN_TEST_ENSEMBLE_FAULTS)`);
      });
      return;
    }
    try {
      if (inject?.throw?.includes(m.index)) throw new Error(`injected failure of member ${m.index} (CLLN_TEST_ENSEMBLE_FAULTS): the solver did not converge`);
      const result = runMember(spec, m.index, (done, steps) => port.postMessage({ kind: 'progress', index: m.index, done, steps } satisfies FromWorker));
      port.postMessage({ kind: 'result', index: m.index, result } satisfies FromWorker);
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      port.postMessage({ kind: 'error', index: m.index, message: err.message, name: err.name } satisfies FromWorker);
    }
  });
}
