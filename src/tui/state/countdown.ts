import type { ConnectionState } from './types.js';

/**
 * Whole seconds until the next reconnect attempt (rounded up, never below 0) while the link is `reconnecting` with
 * a known retryAt; null otherwise. `now`: ms on the events' clock (the session's scheduler.now()). Pure.
 */
export function retryCountdown(connection: Pick<ConnectionState, 'link' | 'retryAt'>, now: number): number | null {
  if (connection.link !== 'reconnecting' || connection.retryAt === null) return null;
  return Math.max(0, Math.ceil((connection.retryAt - now) / 1000));
}
