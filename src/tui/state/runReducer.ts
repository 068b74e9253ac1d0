/**
 * The run panel's slice: run state, steps done, the step rate, the quit confirmation and the busy action.
 *
 * - `run-state`: the state. Leaving the active states (see {@link isActiveRun}) drops a pending quit confirmation.
 *   Entering a state in which no steps run (idle, paused, stopped, aborted, failed) sets the rate to 0, and every
 *   change of state restarts the rate estimator, so that a pause never counts as slow stepping.
 * - `step`: steps done = the step's number + 1 (step numbers are 0-based); the rate is updated from the events'
 *   `at` (below).
 * - `busy`: the long action in progress, or null.
 * - `quit-request`: asks for confirmation only while the run is active; otherwise nothing changes (the controller
 *   quits at once). `quit-cancel`: no confirmation pending.
 * - `abort-request`: asks for confirmation while the run can be aborted (active and not already aborting) and no
 *   quit question is open; `abort-cancel`: no abort confirmation pending. A change of state to one that cannot be
 *   aborted (over, or aborting) drops a pending abort question.
 *
 * Rate (steps/s): a ratio of exponentially weighted sums. For each step after the first since the estimator
 * (re)started, with n the steps done since the previous one (at least 1) and dt >= 0 the ms between them:
 * rateSteps = rateSteps * q + n and rateMs = rateMs * q + dt with q = exp(-dt / RATE_TAU_MS), and
 * rate = 1000 * rateSteps / rateMs (unchanged while rateMs is 0, i.e. every step so far came in the same ms).
 * Steady stepping at one step per d ms gives exactly 1000 / d; a change of pace shows within a few RATE_TAU_MS;
 * several steps within one ms (a coarse clock) are fine.
 */
import type { RunState } from '../../pipeline/runControl.js';
import type { DashboardEvent, DashboardSetup, RunPanelState } from './types.js';

/** Time constant of the step rate's smoothing (ms). */
export const RATE_TAU_MS = 2000;

/** States in which a run is under way (quitting then needs confirmation): running, pausing, paused, stopping, aborting. */
export function isActiveRun(s: RunState): boolean {
  return s === 'running' || s === 'pausing' || s === 'paused' || s === 'stopping' || s === 'aborting';
}

/** States in which steps are being run: running, pausing and stopping (the step in flight), aborting. */
function isStepping(s: RunState): boolean {
  return s === 'running' || s === 'pausing' || s === 'stopping' || s === 'aborting';
}

/** Idle, at the setup's start step (default 0), rate 0. */
export function initialRun(setup: Pick<DashboardSetup, 'title' | 'steps' | 'startStep'>): RunPanelState {
  return {
    state: 'idle',
    step: setup.startStep ?? 0,
    steps: setup.steps,
    rate: 0,
    lastStepAt: null,
    rateSteps: 0,
    rateMs: 0,
    confirmQuit: false,
    confirmAbort: false,
    busy: null,
    title: setup.title,
  };
}

/** Pure: see the file comment. Returns `state` itself when the event changes nothing. */
export function runReducer(state: RunPanelState, event: DashboardEvent): RunPanelState {
  switch (event.type) {
    case 'run-state': {
      const s = event.state;
      if (s === state.state) return state;
      return {
        ...state,
        state: s,
        confirmQuit: state.confirmQuit && isActiveRun(s),
        confirmAbort: (state.confirmAbort ?? false) && isActiveRun(s) && s !== 'aborting',
        rate: isStepping(s) ? state.rate : 0,
        lastStepAt: null,
        rateSteps: 0,
        rateMs: 0,
      };
    }
    case 'step': {
      const done = event.step + 1;
      const at = event.at;
      if (state.lastStepAt === null) return { ...state, step: done, lastStepAt: at, rateSteps: 0, rateMs: 0 };
      const n = Math.max(1, done - state.step);
      const dt = Math.max(0, at - state.lastStepAt);
      const q = Math.exp(-dt / RATE_TAU_MS);
      const rateSteps = (state.rateSteps ?? 0) * q + n;
      const rateMs = (state.rateMs ?? 0) * q + dt;
      const rate = rateMs > 0 ? (1000 * rateSteps) / rateMs : state.rate;
      return { ...state, step: done, lastStepAt: at, rateSteps, rateMs, rate };
    }
    case 'busy':
      return event.what === state.busy ? state : { ...state, busy: event.what };
    case 'quit-request':
      return state.confirmQuit || !isActiveRun(state.state) ? state : { ...state, confirmQuit: true };
    case 'quit-cancel':
      return state.confirmQuit ? { ...state, confirmQuit: false } : state;
    case 'abort-request':
      return state.confirmAbort || state.confirmQuit || !isActiveRun(state.state) || state.state === 'aborting' ? state : { ...state, confirmAbort: true };
    case 'abort-cancel':
      return state.confirmAbort ? { ...state, confirmAbort: false } : state;
    default:
      return state;
  }
}
