/**
 * The eigenvalue panel's slice (physical Hessian, S).
 * - `eigen-start`: computing (the previous values stay on show; the previous error is kept until a result).
 * - `eigen`: values, highest, when (`at`) and at which step; not computing, no error.
 * - `eigen-error`: not computing, the message; the previous values stay (now stale, `at` tells how old).
 */
import type { DashboardEvent, EigenState } from './types.js';

/** Nothing computed yet. */
export function initialEigen(): EigenState {
  return { values: null, highest: null, at: null, step: null, computing: false, error: null };
}

/** Pure: see the file comment. Returns `state` itself when the event changes nothing. */
export function eigenReducer(state: EigenState, event: DashboardEvent): EigenState {
  switch (event.type) {
    case 'eigen-start':
      return state.computing ? state : { ...state, computing: true };
    case 'eigen':
      return { values: event.values, highest: event.highest, at: event.at, step: event.step, computing: false, error: null };
    case 'eigen-error':
      return { ...state, computing: false, error: event.message };
    default:
      return state;
  }
}
