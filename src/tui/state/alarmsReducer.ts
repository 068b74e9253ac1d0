/**
 * The alarms panel's slice. `alarm` (a consistency check's alarm): one more in `count`, and in `recent`;
 * `warning` (e.g. learning stability): in `recent` only. `residual`: the latest check's residual levels. `recent` keeps the newest {@link RECENT_ALARMS}, newest last.
 */
import type { AlarmsState, DashboardEvent } from './types.js';

/** How many alarms and warnings `recent` keeps. */
export const RECENT_ALARMS = 20;

/** No alarms. */
export function initialAlarms(): AlarmsState {
  return { count: 0, recent: [] };
}

/** Pure: see the file comment. Returns `state` itself when the event changes nothing. */
export function alarmsReducer(state: AlarmsState, event: DashboardEvent): AlarmsState {
  if (event.type === 'residual') return { ...state, residual: { step: event.step, voltage: event.voltage, current: event.current } };
  if (event.type !== 'alarm' && event.type !== 'warning') return state;
  const entry = { step: event.step, kind: event.type, message: event.message };
  const recent = [...state.recent.slice(Math.max(0, state.recent.length - RECENT_ALARMS + 1)), entry];
  return { ...state, count: state.count + (event.type === 'alarm' ? 1 : 0), recent };
}
