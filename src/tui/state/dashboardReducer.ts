/**
 * The whole dashboard: each panel's slice reduced by its own reducer. Pure; the result is `state` itself when no
 * slice changed (a view can skip the redraw), otherwise a new object sharing the unchanged slices.
 *
 * One coupling: a `run-state` event reaches the log only when it changes the run's state (so a repeated state, e.g.
 * from re-subscribing to the engine's state stream, is not logged twice).
 */
import { alarmsReducer, initialAlarms } from './alarmsReducer.js';
import { connectionReducer, initialConnection } from './connectionReducer.js';
import { curveReducer, initialCurve } from './curveReducer.js';
import { edgesReducer, initialEdges } from './edgesReducer.js';
import { eigenReducer, initialEigen } from './eigenReducer.js';
import { initialLog, logReducer } from './logReducer.js';
import { initialRun, runReducer } from './runReducer.js';
import type { DashboardEvent, DashboardSetup, DashboardState } from './types.js';
import { initialVoltages, voltagesReducer } from './voltagesReducer.js';

/** The dashboard before any event: every panel's initial slice from the setup. */
export function initialDashboard(setup: DashboardSetup): DashboardState {
  return {
    connection: initialConnection(setup),
    run: initialRun(setup),
    voltages: initialVoltages(setup),
    edges: initialEdges(setup),
    curve: initialCurve(setup),
    alarms: initialAlarms(),
    eigen: initialEigen(),
    log: initialLog(setup),
  };
}

/** Pure: see the file comment. */
export function dashboardReducer(state: DashboardState, event: DashboardEvent): DashboardState {
  const connection = connectionReducer(state.connection, event);
  const run = runReducer(state.run, event);
  const voltages = voltagesReducer(state.voltages, event);
  const edges = edgesReducer(state.edges, event);
  const curve = curveReducer(state.curve, event);
  const alarms = alarmsReducer(state.alarms, event);
  const eigen = eigenReducer(state.eigen, event);
  const log = event.type === 'run-state' && run.state === state.run.state ? state.log : logReducer(state.log, event);
  if (
    connection === state.connection &&
    run === state.run &&
    voltages === state.voltages &&
    edges === state.edges &&
    curve === state.curve &&
    alarms === state.alarms &&
    eigen === state.eigen &&
    log === state.log
  ) {
    return state;
  }
  return { connection, run, voltages, edges, curve, alarms, eigen, log };
}
