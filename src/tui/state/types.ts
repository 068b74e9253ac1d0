/**
 * The dashboard's state and the events that change it. Each panel has its own slice and a pure reducer
 * (src/tui/state/*Reducer.ts); dashboardReducer combines them. Everything here is plain data: the session
 * (src/tui/DashboardSession.ts) turns the engine's and the board's streams into DashboardEvents, and the views only
 * draw a DashboardState.
 */
import type { BoardEvent, BoardIdentity } from '../../device/Board.js';
import type { RunState } from '../../pipeline/runControl.js';

/** Link statistics of a serial board (null fields: not known, e.g. the in-process twin has no link). */
export interface LinkStats {
  /** Smoothed command round-trip time (ms). */
  rttMs: number | null;
  retries: number;
  crcErrors: number;
  /** Device resets detected. */
  resets: number;
  reconnects: number;
}

export interface ConnectionState {
  /** Where the board is: the --board spec, e.g. `pty`, `serial:/dev/ttyACM0`, `twin`. */
  port: string;
  identity: Pick<BoardIdentity, 'model' | 'firmware' | 'uid' | 'protocol' | 'nodes'> & { edges: number } | null;
  link: 'connecting' | 'connected' | 'disconnected' | 'reconnecting';
  /** Why the link is down (disconnected / reconnecting). */
  reason: string | null;
  /** Reconnecting: attempt number and when the next attempt is due (ms, same clock as the events' `at`). */
  attempt: number | null;
  retryAt: number | null;
  stats: LinkStats;
}

export interface RunPanelState {
  state: RunState;
  /** Steps done (absolute) and the run's total. */
  step: number;
  steps: number;
  /** Steps per second, smoothed. */
  rate: number;
  /** Time (ms) of the last step, for the rate. */
  lastStepAt: number | null;
  /**
   * The rate estimator's exponentially weighted sums (see runReducer): steps and elapsed ms since the estimator
   * (re)started, each older interval weighted down by exp(-age / RATE_TAU_MS). rate = 1000 * rateSteps / rateMs.
   * Internal to runReducer; absent is the same as 0.
   */
  rateSteps?: number;
  rateMs?: number;
  /** `q` pressed while a run is active: waiting for y/n. */
  confirmQuit: boolean;
  /** `a` pressed while the run can be aborted: waiting for y/n (absent is false). */
  confirmAbort?: boolean;
  /** A long action in progress that blocks the others (e.g. 'calibrating', 'diagnosing'), or null. */
  busy: string | null;
  /** Name of the plan / task, for the title. */
  title: string;
}

export interface VoltagesState {
  /** Step the voltages belong to, or null before the first. */
  step: number | null;
  /** Free-state node voltages (V), every node; null until known. */
  free: Float64Array | null;
  /** Clamped-state node voltages (V), every node (host-stepped runs), else null. */
  clamped: Float64Array | null;
  /** Node roles, for marking them. */
  sources: number[];
  ground: number[];
  targets: number[];
  /** Node positions (x, y interleaved) for the layout; null: draw in a grid by index. */
  positions: Float64Array | null;
}

export interface EdgesState {
  /** Edge settings (taps or gate volts), null until read. */
  settings: Float64Array | null;
  kind: 'tap' | 'gate';
  /** Range of a setting: [0, taps - 1] or the gate range (V). */
  range: [number, number];
  /** Edge list (for the layout) and positions as in VoltagesState. */
  edgeA: Int32Array;
  edgeB: Int32Array;
  /** Node positions (x, y interleaved; y down) for the layout; null or absent: nodes in a grid by index. */
  positions?: Float64Array | null;
}

export interface CurveState {
  /** Per step: the step number and its free-state cost (V^2); decimated to at most `maxPoints` (oldest merged). */
  steps: number[];
  cost: number[];
  /** Evaluations: MSE on the train and test sets (V^2; NaN when a set is empty). */
  evals: { step: number; trainMse: number; testMse: number }[];
  maxPoints: number;
}

export interface AlarmsState {
  /** Consistency-check alarms so far. */
  count: number;
  /** The latest alarms and warnings (newest last, at most 20). */
  recent: { step: number; kind: 'alarm' | 'warning'; message: string }[];
  /**
   * The latest check's largest residuals as a fraction of their alarm thresholds (voltage and Kirchhoff current;
   * > 1 is an alarm), or null before the first check.
   */
  residual?: { step: number; voltage: number; current: number } | null;
}

export interface EigenState {
  /** Lowest eigenvalues of the physical Hessian (S), ascending, or null. */
  values: number[] | null;
  /** Largest (S), if computed. */
  highest: number | null;
  /** When they were computed (ms) and at which step. */
  at: number | null;
  step: number | null;
  computing: boolean;
  error: string | null;
}

export interface LogState {
  /** Newest last, at most `max`. */
  lines: { at: number; level: 'info' | 'warn' | 'error'; text: string }[];
  max: number;
}

export interface DashboardState {
  connection: ConnectionState;
  run: RunPanelState;
  voltages: VoltagesState;
  edges: EdgesState;
  curve: CurveState;
  alarms: AlarmsState;
  eigen: EigenState;
  log: LogState;
}

/** Everything that changes the dashboard; `at` is the time in ms (the session's scheduler clock). */
export type DashboardEvent =
  | { type: 'identity'; at: number; identity: BoardIdentity }
  | { type: 'board'; at: number; event: BoardEvent }
  | { type: 'link-stats'; at: number; stats: LinkStats }
  | { type: 'run-state'; at: number; state: RunState }
  | {
      type: 'step';
      at: number;
      step: number;
      cost: number;
      /** Free and clamped readings of every node (clamped null device-stepped; free null when only targets were read). */
      free: Float64Array | null;
      clamped: Float64Array | null;
      settings: Float64Array | null;
    }
  | { type: 'evaluation'; at: number; step: number; trainMse: number; testMse: number }
  | { type: 'alarm'; at: number; step: number; message: string }
  | { type: 'residual'; at: number; step: number; voltage: number; current: number }
  | { type: 'warning'; at: number; step: number; message: string }
  | { type: 'eigen-start'; at: number }
  | { type: 'eigen'; at: number; step: number | null; values: number[]; highest: number | null }
  | { type: 'eigen-error'; at: number; message: string }
  | { type: 'log'; at: number; level: 'info' | 'warn' | 'error'; text: string }
  | { type: 'busy'; at: number; what: string | null }
  | { type: 'quit-request'; at: number }
  | { type: 'quit-cancel'; at: number }
  | { type: 'abort-request'; at: number }
  | { type: 'abort-cancel'; at: number };

/** What the dashboard starts from (passed to initialDashboard). */
export interface DashboardSetup {
  port: string;
  title: string;
  steps: number;
  startStep?: number;
  edgeKind: 'tap' | 'gate';
  settingRange: [number, number];
  edgeA: Int32Array;
  edgeB: Int32Array;
  sources: number[];
  ground: number[];
  targets: number[];
  positions: Float64Array | null;
  /** Learning-curve points kept (CurveState.maxPoints, at least 2); default DEFAULT_CURVE_POINTS (curveReducer). */
  curvePoints?: number;
  /** Log lines kept (LogState.max, at least 1); default DEFAULT_LOG_LINES (logReducer). */
  logLines?: number;
}
