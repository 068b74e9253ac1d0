/**
 * The voltages panel's slice: the latest node voltages of each state.
 *
 * `step`: its free-state readings replace `free` when the step has them (every node; device-stepped runs read only
 * the targets, so they have none), its clamped-state readings replace `clamped` when it has them (host-stepped),
 * and `step` becomes the step's number. A step with neither leaves the slice as it is (same object). The arrays are
 * kept as given (not copied): whoever emits them must not change them afterwards.
 */
import type { DashboardEvent, DashboardSetup, VoltagesState } from './types.js';

/** No readings yet; node roles and positions from the setup. */
export function initialVoltages(setup: Pick<DashboardSetup, 'sources' | 'ground' | 'targets' | 'positions'>): VoltagesState {
  return { step: null, free: null, clamped: null, sources: setup.sources, ground: setup.ground, targets: setup.targets, positions: setup.positions };
}

/** Pure: see the file comment. Returns `state` itself when the event changes nothing. */
export function voltagesReducer(state: VoltagesState, event: DashboardEvent): VoltagesState {
  if (event.type !== 'step' || (event.free === null && event.clamped === null)) return state;
  return {
    ...state,
    step: event.step,
    free: event.free ?? state.free,
    clamped: event.clamped ?? state.clamped,
  };
}
