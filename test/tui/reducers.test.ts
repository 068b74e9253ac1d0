import { describe, expect, it } from 'vitest';
import type { BoardEvent } from '../../src/device/Board.js';
import type { RunState } from '../../src/pipeline/runControl.js';
import { alarmsReducer, initialAlarms, RECENT_ALARMS } from '../../src/tui/state/alarmsReducer.js';
import { connectionReducer, initialConnection } from '../../src/tui/state/connectionReducer.js';
import { retryCountdown } from '../../src/tui/state/countdown.js';
import { appendDecimated, curveReducer, DEFAULT_CURVE_POINTS, initialCurve, mergedPairs } from '../../src/tui/state/curveReducer.js';
import { dashboardReducer, initialDashboard } from '../../src/tui/state/dashboardReducer.js';
import { edgesReducer, initialEdges } from '../../src/tui/state/edgesReducer.js';
import { eigenReducer, initialEigen } from '../../src/tui/state/eigenReducer.js';
import { linkStatsOf } from '../../src/tui/state/linkStatsOf.js';
import { DEFAULT_LOG_LINES, initialLog, logReducer } from '../../src/tui/state/logReducer.js';
import { initialRun, isActiveRun, runReducer } from '../../src/tui/state/runReducer.js';
import type { DashboardEvent } from '../../src/tui/state/types.js';
import { initialVoltages, voltagesReducer } from '../../src/tui/state/voltagesReducer.js';
import { deepFreeze, identity, setup } from './fixtures.js';

/** Apply `reducer` to a frozen `state` and check the input is unchanged afterwards (deeply, typed arrays too). */
function pure<S>(reducer: (s: S, e: DashboardEvent) => S, state: S, event: DashboardEvent): S {
  const before = structuredClone(state);
  deepFreeze(state);
  const after = reducer(state, event);
  expect(state).toEqual(before);
  return after;
}

/** Fold events through a reducer, checking purity at each one. */
function fold<S>(reducer: (s: S, e: DashboardEvent) => S, state: S, events: DashboardEvent[]): S {
  return events.reduce((s, e) => pure(reducer, s, e), state);
}

const board = (event: BoardEvent, at = 0): DashboardEvent => ({ type: 'board', at, event });
const step = (n: number, at: number, over: Partial<Extract<DashboardEvent, { type: 'step' }>> = {}): DashboardEvent => ({
  type: 'step',
  at,
  step: n,
  cost: 1 / (n + 1),
  free: null,
  clamped: null,
  settings: null,
  ...over,
});
const runState = (state: RunState, at = 0): DashboardEvent => ({ type: 'run-state', at, state });
const quitRequest: DashboardEvent = { type: 'quit-request', at: 0 };
const stats = (o: Partial<{ rttMs: number | null; retries: number; crcErrors: number; resets: number; reconnects: number }> = {}) => ({
  rttMs: null,
  retries: 0,
  crcErrors: 0,
  resets: 0,
  reconnects: 0,
  ...o,
});

describe('connectionReducer', () => {
  it('starts connecting at the setup port; the identity marks the link connected', () => {
    const s0 = initialConnection(setup);
    expect(s0).toMatchObject({ port: 'pty', link: 'connecting', identity: null, stats: stats() });
    const s1 = pure(connectionReducer, s0, { type: 'identity', at: 1, identity: identity() });
    expect(s1.link).toBe('connected');
    expect(s1.identity).toEqual({ model: 'penn-gen1', firmware: '1.2.3', uid: 'abcd', protocol: '1.1', nodes: 3, edges: 2 });
    expect(pure(connectionReducer, s1, { type: 'identity', at: 2, identity: identity() })).toBe(s1);
  });

  it('follows a disconnect, the reconnect attempts (retryAt = at + delayMs) and the reconnect', () => {
    let s = fold(connectionReducer, initialConnection(setup), [board({ type: 'connected', identity: identity() })]);
    expect(s.stats.reconnects).toBe(0);
    s = pure(connectionReducer, s, board({ type: 'disconnected', reason: 'port closed' }, 100));
    expect(s).toMatchObject({ link: 'disconnected', reason: 'port closed', attempt: null, retryAt: null });
    s = pure(connectionReducer, s, board({ type: 'reconnecting', attempt: 2, delayMs: 1500 }, 200));
    expect(s).toMatchObject({ link: 'reconnecting', reason: 'port closed', attempt: 2, retryAt: 1700 });
    s = pure(connectionReducer, s, board({ type: 'connected', identity: identity({ firmware: '1.2.4' }) }, 1800));
    expect(s).toMatchObject({ link: 'connected', reason: null, attempt: null, retryAt: null });
    expect(s.identity?.firmware).toBe('1.2.4');
    expect(s.stats.reconnects).toBe(1);
  });

  it('counts resets, retries and CRC errors from events; state-restored and other link errors change nothing', () => {
    const s0 = initialConnection(setup);
    const s = fold(connectionReducer, s0, [
      board({ type: 'reset-detected', previousBoot: 1, bootCount: 2 }),
      board({ type: 'retry', verb: 'MEAS', attempt: 1, reason: 'timeout' }),
      board({ type: 'retry', verb: 'MEAS', attempt: 2, reason: 'timeout' }),
      board({ type: 'link-error', kind: 'crc' }),
    ]);
    expect(s.stats).toEqual(stats({ resets: 1, retries: 2, crcErrors: 1 }));
    expect(pure(connectionReducer, s, board({ type: 'state-restored' }))).toBe(s);
    expect(pure(connectionReducer, s, board({ type: 'link-error', kind: 'garbage' }))).toBe(s);
    expect(pure(connectionReducer, s, quitRequest)).toBe(s);
  });

  it('takes polled link stats (counters never go back) and keeps the same object for equal numbers', () => {
    const counted = fold(connectionReducer, initialConnection(setup), [
      board({ type: 'retry', verb: 'MEAS', attempt: 1, reason: 'timeout' }),
      board({ type: 'retry', verb: 'MEAS', attempt: 2, reason: 'timeout' }),
    ]);
    const polled = pure(connectionReducer, counted, { type: 'link-stats', at: 5, stats: stats({ rttMs: 2.5, retries: 1, crcErrors: 4 }) });
    expect(polled.stats).toEqual(stats({ rttMs: 2.5, retries: 2, crcErrors: 4 }));
    expect(pure(connectionReducer, polled, { type: 'link-stats', at: 6, stats: stats({ rttMs: 2.5, retries: 2, crcErrors: 4 }) })).toBe(polled);
  });

  it('linkStatsOf maps a serial board\'s counters', () => {
    expect(linkStatsOf({ rttMs: 3, retries: 4, linkErrors: { crc: 5, garbage: 9, overlong: 9 }, resetsDetected: 6, reconnects: 7 })).toEqual({
      rttMs: 3,
      retries: 4,
      crcErrors: 5,
      resets: 6,
      reconnects: 7,
    });
  });
});

describe('retryCountdown', () => {
  it('counts whole seconds (rounded up) to the next attempt, only while reconnecting', () => {
    const s = connectionReducer(initialConnection(setup), board({ type: 'reconnecting', attempt: 1, delayMs: 2500 }, 1000));
    expect(retryCountdown(s, 1000)).toBe(3);
    expect(retryCountdown(s, 2500)).toBe(1);
    expect(retryCountdown(s, 2501)).toBe(1);
    expect(retryCountdown(s, 3499)).toBe(1);
    expect(retryCountdown(s, 3500)).toBe(0);
    expect(retryCountdown(s, 9000)).toBe(0);
    expect(retryCountdown(initialConnection(setup), 0)).toBeNull();
    expect(retryCountdown({ link: 'reconnecting', retryAt: null }, 0)).toBeNull();
    expect(retryCountdown({ link: 'connected', retryAt: 5000 }, 0)).toBeNull();
  });
});

describe('runReducer', () => {
  it('starts idle at the start step, with the setup title and step count', () => {
    expect(initialRun({ ...setup, startStep: 40 })).toMatchObject({ state: 'idle', step: 40, steps: 100, rate: 0, confirmQuit: false, busy: null, title: 'test run' });
  });

  it('takes run states (same object for a repeat) and counts steps done', () => {
    const s1 = pure(runReducer, initialRun(setup), runState('running'));
    expect(s1.state).toBe('running');
    expect(pure(runReducer, s1, runState('running'))).toBe(s1);
    const s2 = pure(runReducer, s1, step(0, 10));
    expect(s2.step).toBe(1);
    expect(pure(runReducer, s2, step(41, 20)).step).toBe(42);
  });

  it('smooths the rate from `at`: steady stepping gives its rate exactly, a change of pace shows', () => {
    let s = pure(runReducer, initialRun(setup), runState('running'));
    for (let i = 0; i < 50; i++) s = runReducer(s, step(i, 1000 + 10 * i));
    expect(s.rate).toBeCloseTo(100, 9);
    for (let i = 50; i < 500; i++) s = runReducer(s, step(i, s.lastStepAt! + 20));
    expect(s.rate).toBeGreaterThan(50);
    expect(s.rate).toBeLessThan(52);
    // several steps in one ms (a coarse clock) still count
    let b = runReducer(initialRun(setup), runState('running'));
    for (let i = 0; i <= 96; i++) b = runReducer(b, step(i, Math.floor(i / 4)));
    // 96 steps after the first in 24 ms
    expect(Math.abs(b.rate / 4000 - 1)).toBeLessThan(0.01);
  });

  it('a pause sets the rate to 0 and is not counted as slow stepping after the resume', () => {
    let s = runReducer(initialRun(setup), runState('running'));
    for (let i = 0; i < 20; i++) s = runReducer(s, step(i, 10 * i));
    s = pure(runReducer, s, runState('pausing'));
    expect(s.rate).toBeCloseTo(100, 9);
    s = pure(runReducer, s, runState('paused'));
    expect(s.rate).toBe(0);
    s = runReducer(s, runState('running'));
    for (let i = 20; i < 25; i++) s = runReducer(s, step(i, 100_000 + 10 * i));
    expect(s.rate).toBeCloseTo(100, 9);
  });

  it('asks for quit confirmation only while the run is active; quit-cancel and the run\'s end drop it', () => {
    const all: RunState[] = ['idle', 'running', 'pausing', 'paused', 'stopping', 'stopped', 'aborting', 'aborted', 'failed'];
    for (const st of all) {
      const s = runReducer(initialRun(setup), runState(st));
      const q = pure(runReducer, s, quitRequest);
      const active = ['running', 'pausing', 'paused', 'stopping', 'aborting'].includes(st);
      expect(isActiveRun(st)).toBe(active);
      expect(q.confirmQuit).toBe(active);
      if (!active) expect(q).toBe(s);
    }
    const asked = runReducer(runReducer(initialRun(setup), runState('running')), quitRequest);
    expect(pure(runReducer, asked, quitRequest)).toBe(asked);
    expect(pure(runReducer, asked, { type: 'quit-cancel', at: 0 }).confirmQuit).toBe(false);
    expect(pure(runReducer, asked, runState('paused')).confirmQuit).toBe(true);
    expect(pure(runReducer, asked, runState('stopped')).confirmQuit).toBe(false);
    const notAsked = initialRun(setup);
    expect(pure(runReducer, notAsked, { type: 'quit-cancel', at: 0 })).toBe(notAsked);
  });

  it('asks for abort confirmation only while the run can be aborted; abort-cancel, aborting and the end drop it', () => {
    const abortRequest: DashboardEvent = { type: 'abort-request', at: 0 };
    const all: RunState[] = ['idle', 'running', 'pausing', 'paused', 'stopping', 'stopped', 'aborting', 'aborted', 'failed'];
    for (const st of all) {
      const s = runReducer(initialRun(setup), runState(st));
      const q = pure(runReducer, s, abortRequest);
      const abortable = ['running', 'pausing', 'paused', 'stopping'].includes(st);
      expect(q.confirmAbort ?? false).toBe(abortable);
      if (!abortable) expect(q).toBe(s);
    }
    const asked = runReducer(runReducer(initialRun(setup), runState('running')), abortRequest);
    expect(pure(runReducer, asked, abortRequest)).toBe(asked);
    expect(pure(runReducer, asked, { type: 'abort-cancel', at: 0 }).confirmAbort).toBe(false);
    expect(pure(runReducer, asked, runState('paused')).confirmAbort).toBe(true);
    expect(pure(runReducer, asked, runState('aborting')).confirmAbort).toBe(false);
    expect(pure(runReducer, asked, runState('stopped')).confirmAbort).toBe(false);
    // one question at a time: no abort question over an open quit question
    const quitAsked = runReducer(runReducer(initialRun(setup), runState('running')), quitRequest);
    expect(pure(runReducer, quitAsked, abortRequest)).toBe(quitAsked);
  });

  it('takes the busy action', () => {
    const s = pure(runReducer, initialRun(setup), { type: 'busy', at: 0, what: 'calibrating' });
    expect(s.busy).toBe('calibrating');
    expect(pure(runReducer, s, { type: 'busy', at: 1, what: 'calibrating' })).toBe(s);
    expect(pure(runReducer, s, { type: 'busy', at: 2, what: null }).busy).toBeNull();
  });
});

describe('voltagesReducer and edgesReducer', () => {
  it('take the free and clamped readings when a step has them', () => {
    const v0 = initialVoltages(setup);
    expect(v0).toMatchObject({ step: null, free: null, clamped: null, sources: [0], ground: [2], targets: [1], positions: null });
    const free = Float64Array.of(1, 0.5, 0);
    const clamped = Float64Array.of(1, 0.6, 0);
    const v1 = pure(voltagesReducer, v0, step(3, 0, { free, clamped }));
    expect(v1).toMatchObject({ step: 3, free, clamped });
    const free2 = Float64Array.of(1, 0.4, 0);
    const v2 = pure(voltagesReducer, v1, step(4, 0, { free: free2 }));
    expect(v2).toMatchObject({ step: 4, free: free2, clamped });
    expect(pure(voltagesReducer, v2, step(5, 0))).toBe(v2);
    expect(pure(voltagesReducer, v2, quitRequest)).toBe(v2);
  });

  it('take the settings when a step has them', () => {
    const e0 = initialEdges(setup);
    expect(e0).toMatchObject({ settings: null, kind: 'tap', range: [0, 127] });
    const settings = Float64Array.of(3, 4);
    const e1 = pure(edgesReducer, e0, step(0, 0, { settings }));
    expect(e1.settings).toBe(settings);
    expect(pure(edgesReducer, e1, step(1, 0))).toBe(e1);
    expect(pure(edgesReducer, e1, step(1, 0, { settings }))).toBe(e1);
  });
});

describe('curveReducer', () => {
  it('appends step costs and evaluations', () => {
    const c0 = initialCurve();
    expect(c0.maxPoints).toBe(DEFAULT_CURVE_POINTS);
    const c1 = fold(curveReducer, c0, [step(0, 0, { cost: 2 }), step(1, 0, { cost: 1 }), { type: 'evaluation', at: 0, step: 2, trainMse: 0.5, testMse: NaN }]);
    expect(c1.steps).toEqual([0, 1]);
    expect(c1.cost).toEqual([2, 1]);
    expect(c1.evals).toEqual([{ step: 2, trainMse: 0.5, testMse: NaN }]);
    expect(pure(curveReducer, c1, quitRequest)).toBe(c1);
  });

  it('when full, halves the resolution of the older half, keeping the first point exact', () => {
    let c = initialCurve({ curvePoints: 8 });
    for (let i = 0; i < 8; i++) c = curveReducer(c, step(i, 0, { cost: 10 * i }));
    const full = pure(curveReducer, c, step(8, 0, { cost: 80 }));
    // 8 points: pairs (1,2), (3,4) merged; 5..7 kept; the new point appended
    expect(full.steps).toEqual([0, 1.5, 3.5, 5, 6, 7, 8]);
    expect(full.cost).toEqual([0, 15, 35, 50, 60, 70, 80]);
    expect(mergedPairs(8)).toBe(2);
    expect(mergedPairs(500)).toBe(125);
    expect(mergedPairs(3)).toBe(1);
    expect(mergedPairs(2)).toBe(0);
  });

  it('keeps the first and the last point and at most maxPoints, whatever the length', () => {
    for (const max of [2, 3, 4, 7, 50]) {
      let c = initialCurve({ curvePoints: max });
      for (let i = 0; i < 1000; i++) {
        c = curveReducer(c, step(i, 0, { cost: i }));
        expect(c.steps.length).toBeLessThanOrEqual(max);
        expect(c.cost.length).toBe(c.steps.length);
        expect(c.steps[0]).toBe(0);
        expect(c.steps[c.steps.length - 1]).toBe(i);
        expect(c.cost[c.cost.length - 1]).toBe(i);
      }
      // steps stay increasing, and the newest half is at full resolution
      for (let k = 1; k < c.steps.length; k++) expect(c.steps[k]).toBeGreaterThan(c.steps[k - 1]);
      if (max >= 7) expect(c.steps.slice(-2)).toEqual([998, 999]);
    }
  });

  it('decimates evaluations the same way', () => {
    let c = initialCurve({ curvePoints: 4 });
    for (let i = 0; i < 30; i++) c = curveReducer(c, { type: 'evaluation', at: 0, step: 10 * i, trainMse: i, testMse: 2 * i });
    expect(c.evals.length).toBeLessThanOrEqual(4);
    expect(c.evals[0]).toEqual({ step: 0, trainMse: 0, testMse: 0 });
    expect(c.evals[c.evals.length - 1]).toEqual({ step: 290, trainMse: 29, testMse: 58 });
  });

  it('appendDecimated is pure', () => {
    const list = Object.freeze([1, 2, 3]);
    expect(appendDecimated(list, 4, 3, (a, b) => (a + b) / 2)).toEqual([1, 2.5, 4]);
    expect(list).toEqual([1, 2, 3]);
  });
});

describe('alarmsReducer', () => {
  it('counts alarms, keeps the newest 20 alarms and warnings, newest last', () => {
    let s = initialAlarms();
    s = pure(alarmsReducer, s, { type: 'warning', at: 0, step: 1, message: 'unstable' });
    expect(s).toEqual({ count: 0, recent: [{ step: 1, kind: 'warning', message: 'unstable' }] });
    for (let i = 0; i < 30; i++) s = pure(alarmsReducer, s, { type: 'alarm', at: 0, step: 10 + i, message: `m${i}` });
    expect(s.count).toBe(30);
    expect(s.recent.length).toBe(RECENT_ALARMS);
    expect(s.recent[0]).toEqual({ step: 20, kind: 'alarm', message: 'm10' });
    expect(s.recent[RECENT_ALARMS - 1]).toEqual({ step: 39, kind: 'alarm', message: 'm29' });
    expect(pure(alarmsReducer, s, step(1, 0))).toBe(s);
  });

  it('keeps the latest residual levels, without counting them as alarms', () => {
    let s = initialAlarms();
    s = pure(alarmsReducer, s, { type: 'residual', at: 0, step: 4, voltage: 0.2, current: 0.1 });
    s = pure(alarmsReducer, s, { type: 'residual', at: 0, step: 5, voltage: 0.3, current: 0.05 });
    expect(s.residual).toEqual({ step: 5, voltage: 0.3, current: 0.05 });
    expect(s.count).toBe(0);
    expect(s.recent).toEqual([]);
  });
});

describe('eigenReducer', () => {
  it('follows a computation: start, result, error (values kept)', () => {
    const e0 = initialEigen();
    const e1 = pure(eigenReducer, e0, { type: 'eigen-start', at: 5 });
    expect(e1.computing).toBe(true);
    expect(pure(eigenReducer, e1, { type: 'eigen-start', at: 6 })).toBe(e1);
    const e2 = pure(eigenReducer, e1, { type: 'eigen', at: 7, step: 12, values: [1e-3, 2e-3], highest: 0.1 });
    expect(e2).toEqual({ values: [1e-3, 2e-3], highest: 0.1, at: 7, step: 12, computing: false, error: null });
    const e3 = fold(eigenReducer, e2, [{ type: 'eigen-start', at: 8 }, { type: 'eigen-error', at: 9, message: 'no convergence' }]);
    expect(e3).toEqual({ ...e2, error: 'no convergence' });
    expect(pure(eigenReducer, e3, quitRequest)).toBe(e3);
  });
});

describe('logReducer', () => {
  it('logs log events and the notable events, each with its time', () => {
    const events: DashboardEvent[] = [
      { type: 'log', at: 1, level: 'info', text: 'hello' },
      board({ type: 'connected', identity: identity() }, 2),
      board({ type: 'disconnected', reason: 'cable' }, 3),
      board({ type: 'reconnecting', attempt: 1, delayMs: 2000 }, 4),
      board({ type: 'reset-detected', previousBoot: 1, bootCount: 2 }, 5),
      board({ type: 'state-restored' }, 6),
      runState('paused', 7),
      runState('stopped', 8),
      runState('aborted', 9),
      runState('failed', 10),
      { type: 'alarm', at: 11, step: 4, message: 'KCL off' },
      { type: 'warning', at: 12, step: 5, message: 'unstable' },
    ];
    const s = fold(logReducer, initialLog(), events);
    expect(s.lines.map((l) => [l.at, l.level, l.text])).toEqual([
      [1, 'info', 'hello'],
      [2, 'info', 'board connected: penn-gen1 uid abcd, firmware 1.2.3'],
      [3, 'warn', 'link lost: cable'],
      [4, 'warn', 'reconnecting: attempt 1 in 2.0 s'],
      [5, 'warn', 'board reset detected (boot counter 1 -> 2); restoring its state'],
      [6, 'info', 'board state restored'],
      [7, 'info', 'run paused'],
      [8, 'info', 'run stopped'],
      [9, 'warn', 'run aborted (board left safe)'],
      [10, 'error', 'run failed'],
      [11, 'warn', 'step 4: alarm: KCL off'],
      [12, 'warn', 'step 5: warning: unstable'],
    ]);
  });

  it('leaves out the rest (same object)', () => {
    const s = initialLog();
    const quiet: DashboardEvent[] = [
      runState('running'),
      runState('pausing'),
      step(1, 0),
      board({ type: 'retry', verb: 'MEAS', attempt: 1, reason: 'x' }),
      board({ type: 'link-error', kind: 'crc' }),
      { type: 'busy', at: 0, what: 'x' },
      { type: 'eigen-start', at: 0 },
      quitRequest,
      { type: 'link-stats', at: 0, stats: stats() },
    ];
    for (const e of quiet) expect(pure(logReducer, s, e)).toBe(s);
  });

  it('keeps at most max lines (default 200), the newest', () => {
    expect(initialLog().max).toBe(DEFAULT_LOG_LINES);
    expect(DEFAULT_LOG_LINES).toBe(200);
    let s = initialLog({ logLines: 5 });
    for (let i = 0; i < 12; i++) s = pure(logReducer, s, { type: 'log', at: i, level: 'info', text: `l${i}` });
    expect(s.lines.map((l) => l.text)).toEqual(['l7', 'l8', 'l9', 'l10', 'l11']);
  });
});

describe('dashboardReducer', () => {
  it('starts from the setup', () => {
    const d = initialDashboard(setup);
    expect(d.connection.port).toBe('pty');
    expect(d.run).toMatchObject({ state: 'idle', steps: 100, title: 'test run' });
    expect(d.edges.edgeA).toBe(setup.edgeA);
    expect(d.log.lines).toEqual([]);
  });

  it('returns the same object when no slice changes, else a new one sharing the unchanged slices', () => {
    const d0 = initialDashboard(setup);
    for (const e of [quitRequest, { type: 'quit-cancel', at: 0 } as DashboardEvent, board({ type: 'link-error', kind: 'garbage' })]) {
      expect(pure(dashboardReducer, d0, e)).toBe(d0);
    }
    const d1 = pure(dashboardReducer, d0, step(0, 0, { settings: Float64Array.of(1, 2) }));
    expect(d1).not.toBe(d0);
    expect(d1.run.step).toBe(1);
    expect(d1.edges.settings).toEqual(Float64Array.of(1, 2));
    expect(d1.connection).toBe(d0.connection);
    expect(d1.alarms).toBe(d0.alarms);
    expect(d1.log).toBe(d0.log);
  });

  it('logs a run-state only when it changes the run\'s state', () => {
    let d = initialDashboard(setup);
    d = dashboardReducer(d, runState('paused', 1));
    const again = pure(dashboardReducer, d, runState('paused', 2));
    expect(again).toBe(d);
    expect(d.log.lines.map((l) => l.text)).toEqual(['run paused']);
  });

  it('routes an alarm to the alarms and the log', () => {
    const d = pure(dashboardReducer, initialDashboard(setup), { type: 'alarm', at: 3, step: 7, message: 'KCL off' });
    expect(d.alarms.count).toBe(1);
    expect(d.log.lines).toEqual([{ at: 3, level: 'warn', text: 'step 7: alarm: KCL off' }]);
  });
});
