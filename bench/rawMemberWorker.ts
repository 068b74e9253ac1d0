/**
 * The pool bench's control (bench/ensemblePool.ts): a plain worker thread that runs runMember for the members it is
 * given and posts nothing but its CPU time when done. No pool, no store, no dataset, no messages per member: 1 and 2
 * such threads measure how the member's work itself scales on this machine, the ceiling the pool's scaling can reach.
 *
 * workerData: { spec: EnsembleSpec, indices: number[] }; posts { cpuMs } (this thread's CPU time, ms).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EnsembleSpec } from '../src/ensemble/EnsembleSpec.js';
import { runMember } from '../src/ensemble/runMember.js';

const { spec, indices } = workerData as { spec: EnsembleSpec; indices: number[] };
const c0 = process.cpuUsage();
for (const i of indices) runMember(spec, i);
const c = process.cpuUsage(c0);
parentPort?.postMessage({ cpuMs: (c.user + c.system) / 1000 });
