/**
 * A MemberResult as a job's return value. BullMQ stores return values with JSON.stringify: typed arrays become
 * arrays of numbers (JSON's shortest round-trip form keeps every finite double exactly), and the non-finite numbers
 * JSON cannot hold (a diverged member's NaN MSE) travel as the strings "NaN", "Infinity", "-Infinity".
 */
import type { MemberResult } from './backend.js';

/**
 * A job's return value: the member's result, or, for a member whose computation threw, its error (`failure`): the job
 * completes either way (a deterministic throw is not retried), and the coordinator stores a failed member from it.
 */
export type EncodedResult = { digest: string; result: Record<string, unknown> } | { digest: string; failure: EncodedFailure };

/** A member's thrown error: its name (InvalidInputError: the spec's fault, the run stops) and message. */
export interface EncodedFailure {
  index: number;
  name: string;
  message: string;
}

const enc = (x: number): number | string => (Number.isFinite(x) ? x : String(x));
const dec = (x: unknown): number => (typeof x === 'string' ? Number(x) : (x as number));

export function encodeResult(digest: string, r: MemberResult): EncodedResult {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    if (v instanceof Float64Array) out[k] = { f64: Array.from(v, enc) };
    else if (typeof v === 'number') out[k] = enc(v);
    else out[k] = v;
  }
  return { digest, result: out };
}

export function encodeFailure(digest: string, failure: EncodedFailure): EncodedResult {
  return { digest, failure: { index: failure.index, name: failure.name, message: failure.message } };
}

export function decodeResult(e: Extract<EncodedResult, { result: unknown }>): MemberResult {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e.result)) {
    if (v !== null && typeof v === 'object' && 'f64' in (v as object)) out[k] = Float64Array.from((v as { f64: unknown[] }).f64, dec);
    else if (typeof v === 'number' || typeof v === 'string') out[k] = typeof v === 'string' && !['NaN', 'Infinity', '-Infinity'].includes(v) ? v : dec(v);
    else out[k] = v;
  }
  return out as unknown as MemberResult;
}
