/** Exponential backoff, shared by command retries and reconnect attempts. */
export interface BackoffPolicy {
  /** Delay before the first retry, ms. */
  baseMs: number;
  /** Upper bound of any delay, ms. */
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (1 = first retry): `baseMs * 2^(attempt-1)`, capped at `maxMs`.
 * Deterministic on purpose (no jitter): one host talks to one board, so there is no herd to spread out, and
 * tests can assert the exact schedule.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`backoff attempt must be an integer >= 1, got ${attempt}`);
  // 2^30 already exceeds any sensible cap; clamping the exponent keeps the product finite
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt - 1, 30));
}

/** The delays of attempts 1..n, for messages and tests. */
export function backoffSchedule(n: number, policy: BackoffPolicy): number[] {
  return Array.from({ length: n }, (_, i) => backoffDelay(i + 1, policy));
}
