/**
 * The edges panel's slice: the edge settings after the latest step that has them (`step` with non-null settings;
 * a device-stepped run without read-back has none, and the slice stays as it is). The array is kept as given.
 */
import type { DashboardEvent, DashboardSetup, EdgesState } from './types.js';

/** No settings yet; kind, range, edge list and node positions from the setup. */
export function initialEdges(setup: Pick<DashboardSetup, 'edgeKind' | 'settingRange' | 'edgeA' | 'edgeB'> & Partial<Pick<DashboardSetup, 'positions'>>): EdgesState {
  return { settings: null, kind: setup.edgeKind, range: setup.settingRange, edgeA: setup.edgeA, edgeB: setup.edgeB, positions: setup.positions ?? null };
}

/** Pure: see the file comment. Returns `state` itself when the event changes nothing. */
export function edgesReducer(state: EdgesState, event: DashboardEvent): EdgesState {
  if (event.type !== 'step' || event.settings === null || event.settings === state.settings) return state;
  return { ...state, settings: event.settings };
}
