/**
 * The log panel's slice: newest last, at most `max` lines (the oldest dropped).
 *
 * Lines come from `log` events as they are, and from these notable events (level in brackets):
 * - board `connected` [info] `board connected: MODEL uid UID, firmware FW`
 * - board `disconnected` [warn] `link lost: REASON`
 * - board `reconnecting` [warn] `reconnecting: attempt N in X.X s`
 * - board `reset-detected` [warn] `board reset detected (boot counter P -> B); restoring its state`
 * - board `state-restored` [info] `board state restored`
 * - `run-state` paused [info] `run paused`, stopped [info] `run stopped`, aborted [warn] `run aborted (board left
 *   safe)`, failed [error] `run failed` (dashboardReducer passes run-state events only when the state changed)
 * - `alarm` [warn] `step S: alarm: MESSAGE`, `warning` [warn] `step S: warning: MESSAGE`
 * Not logged: retries and link errors (counted in the connection panel), steps, evaluations, eigenvalues, busy and
 * quit events. Every line carries its event's `at`.
 */
import type { BoardEvent } from '../../device/Board.js';
import type { DashboardEvent, DashboardSetup, LogState } from './types.js';

/** Default LogState.max. */
export const DEFAULT_LOG_LINES = 200;

type Line = LogState['lines'][number];

/** Empty log keeping at most setup.logLines (at least 1; default {@link DEFAULT_LOG_LINES}) lines. */
export function initialLog(setup: Pick<DashboardSetup, 'logLines'> = {}): LogState {
  return { lines: [], max: Math.max(1, Math.floor(setup.logLines ?? DEFAULT_LOG_LINES)) };
}

function boardLine(e: BoardEvent): Omit<Line, 'at'> | null {
  switch (e.type) {
    case 'connected':
      return { level: 'info', text: `board connected: ${e.identity.model} uid ${e.identity.uid}, firmware ${e.identity.firmware}` };
    case 'disconnected':
      return { level: 'warn', text: `link lost: ${e.reason}` };
    case 'reconnecting':
      return { level: 'warn', text: `reconnecting: attempt ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s` };
    case 'reset-detected':
      return { level: 'warn', text: `board reset detected (boot counter ${e.previousBoot} -> ${e.bootCount}); restoring its state` };
    case 'state-restored':
      return { level: 'info', text: 'board state restored' };
    default:
      return null;
  }
}

/** The line an event adds, or null. */
export function logLineOf(event: DashboardEvent): Line | null {
  let line: Omit<Line, 'at'> | null = null;
  switch (event.type) {
    case 'log':
      line = { level: event.level, text: event.text };
      break;
    case 'board':
      line = boardLine(event.event);
      break;
    case 'run-state':
      switch (event.state) {
        case 'paused':
          line = { level: 'info', text: 'run paused' };
          break;
        case 'stopped':
          line = { level: 'info', text: 'run stopped' };
          break;
        case 'aborted':
          line = { level: 'warn', text: 'run aborted (board left safe)' };
          break;
        case 'failed':
          line = { level: 'error', text: 'run failed' };
          break;
      }
      break;
    case 'alarm':
      line = { level: 'warn', text: `step ${event.step}: alarm: ${event.message}` };
      break;
    case 'warning':
      line = { level: 'warn', text: `step ${event.step}: warning: ${event.message}` };
      break;
  }
  return line && { at: event.at, ...line };
}

/** Pure: see the file comment. Returns `state` itself when the event adds no line. */
export function logReducer(state: LogState, event: DashboardEvent): LogState {
  const line = logLineOf(event);
  if (!line) return state;
  const keep = state.lines.length >= state.max ? state.lines.slice(state.lines.length - state.max + 1) : state.lines;
  return { ...state, lines: [...keep, line] };
}
