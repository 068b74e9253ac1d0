import { filter, map, NEVER, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { BoardEvent } from '../../src/device/Board.js';
import type { RunState } from '../../src/pipeline/runControl.js';
import { DashboardSession, type DashboardEventInput, type SessionSources, type StepLike } from '../../src/tui/DashboardSession.js';
import type { DashboardEvent, DashboardState, LinkStats } from '../../src/tui/state/types.js';
import { identity, setup } from './fixtures.js';

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A marble with one `x` at each of the given (increasing) frames. */
function marbleAt(frames: number[]): string {
  let out = '';
  let t = 0;
  for (const f of frames) {
    if (f > t) out += ` ${f - t}ms `;
    out += 'x';
    t = f + 1;
  }
  return out;
}

/** Engine streams that never emit, with some of them replaced. */
function engine(over: Partial<NonNullable<SessionSources['engine']>> = {}): NonNullable<SessionSources['engine']> {
  return { state$: NEVER, steps$: NEVER, checks$: NEVER, evaluations$: NEVER, warnings$: NEVER, ...over };
}

/** Step i of a 3-node board: free readings of every node, edge settings [i, i]. */
function stepLike(i: number, settings: Float64Array | null = Float64Array.of(i, i)): StepLike {
  return { step: i, cost: 1 / (i + 1), vf: Float64Array.of(1, 0.5, 0), vc: Float64Array.of(1, 0.6, 0), settingsAfter: settings };
}

/** Collect what `o` emits with the virtual time of each emission. */
function record<T>(ts: TestScheduler, o: Observable<T>): { t: number; v: T }[] {
  const out: { t: number; v: T }[] = [];
  o.subscribe((v) => out.push({ t: ts.now(), v }));
  return out;
}

describe('DashboardSession (virtual time)', () => {
  it('throttles at the source: leading and trailing, unchanged states never emitted', () => {
    const ts = testScheduler();
    ts.run((h) => {
      // log lines at 150, 160, 170; a no-op event (quit-cancel) at 300; a log line at 400
      const ev: Record<string, DashboardEventInput> = {
        l: { type: 'log', level: 'info', text: 'line' },
        q: { type: 'quit-cancel' },
      };
      const events = h.hot('150ms l 9ms l 9ms l 129ms q 99ms l', ev);
      const session = new DashboardSession(setup, { events }, { scheduler: ts, nodes: 3 });
      h.cold('500ms x').subscribe(() => session.dispose());
      // initial frame at 0; 150 drawn at once; 160 and 170 in the frame's trailing edge at 250; none for 300; 400 at once
      h.expectObservable(session.state$.pipe(map((s) => s.log.lines.length))).toBe('a 149ms b 99ms c 149ms d 99ms |', { a: 0, b: 1, c: 3, d: 4 });
    });
  });

  it('with a 1 kHz step stream draws at most 10 frames/s, the last with the last step', () => {
    const ts = testScheduler();
    let frames: { t: number; v: DashboardState }[] = [];
    let session!: DashboardSession;
    ts.run((h) => {
      const steps = h.hot('x'.repeat(1000)).pipe(map((_, i) => stepLike(i)));
      const state$ = h.hot<RunState>('r', { r: 'running' });
      session = new DashboardSession(setup, { engine: engine({ steps$: steps, state$ }) }, { scheduler: ts, nodes: 3 });
      frames = record(ts, session.state$);
    });
    expect(frames.length).toBeLessThanOrEqual(11);
    for (let k = 1; k < frames.length; k++) expect(frames[k].t - frames[k - 1].t).toBeGreaterThanOrEqual(100);
    const last = frames[frames.length - 1].v;
    expect(last.run.step).toBe(1000);
    expect(last.curve.steps[last.curve.steps.length - 1]).toBe(999);
    expect(last.run.rate).toBeCloseTo(1000, 6);
    expect(last).toBe(session.state);
    session.dispose();
  });

  it('stamps events with the scheduler time and maps the engine and board streams', () => {
    const ts = testScheduler();
    let events: { t: number; v: DashboardEvent }[] = [];
    let session!: DashboardSession;
    ts.run((h) => {
      const src: SessionSources = {
        engine: engine({
          state$: h.hot<RunState>('r', { r: 'running' }),
          // a device-stepped step (vf: targets only) at 10
          steps$: h.hot('10ms s', { s: { step: 0, cost: 0.5, vf: Float64Array.of(0.5), settingsAfter: null } }),
          // a check without an alarm (only its residual levels become an event) and one with
          checks$: h.hot('20ms a b', { a: { step: 0, alarm: false, residual: { voltage: 0.2, current: 0.1 } }, b: { step: 1, alarm: true, message: 'KCL off' } }),
          evaluations$: h.hot('30ms e', { e: { step: 2, trainMse: 0.1, testMse: 0.2 } }),
          warnings$: h.hot('40ms w', { w: { step: 3, message: 'unstable' } }),
        }),
        boardEvents: h.hot<BoardEvent>('50ms d', { d: { type: 'disconnected', reason: 'cable' } }),
      };
      session = new DashboardSession(setup, src, { scheduler: ts, nodes: 3 });
      events = record(ts, session.events$);
    });
    expect(events.map(({ t, v }) => [t, v.at, v.type])).toEqual([
      [0, 0, 'run-state'],
      [10, 10, 'step'],
      [20, 20, 'residual'],
      [21, 21, 'alarm'],
      [30, 30, 'evaluation'],
      [40, 40, 'warning'],
      [50, 50, 'board'],
    ]);
    const step = events[1].v as Extract<DashboardEvent, { type: 'step' }>;
    expect(step.free).toBeNull();
    expect(step.clamped).toBeNull();
    const s = session.state;
    expect(s.run.step).toBe(1);
    expect(s.alarms.count).toBe(1);
    expect(s.alarms.residual).toEqual({ step: 0, voltage: 0.2, current: 0.1 });
    expect(s.curve.evals).toEqual([{ step: 2, trainMse: 0.1, testMse: 0.2 }]);
    expect(s.connection.link).toBe('disconnected');
    expect(s.log.lines.map((l) => l.text)).toEqual(['step 1: alarm: KCL off', 'step 3: warning: unstable', 'link lost: cable']);
    session.dispose();
  });

  it('dispatch: `at` defaults to now; events dispatched while one is handled follow it in order', () => {
    const ts = testScheduler();
    ts.run(() => {
      const session = new DashboardSession(setup, {}, { scheduler: ts, nodes: 3 });
      const seen: string[] = [];
      session.events$.subscribe((e) => {
        seen.push(e.type === 'log' ? e.text : e.type);
        if (e.type === 'log' && e.text === 'first') session.dispatch({ type: 'log', level: 'info', text: 'nested' });
      });
      session.dispatch({ type: 'log', level: 'info', text: 'first' });
      session.dispatch({ type: 'log', level: 'info', text: 'second', at: 42 });
      expect(seen).toEqual(['first', 'nested', 'second']);
      expect(session.state.log.lines.map((l) => [l.at, l.text])).toEqual([
        [0, 'first'],
        [0, 'nested'],
        [42, 'second'],
      ]);
      session.dispatch({ type: 'identity', identity: identity() });
      expect(session.state.connection.identity?.model).toBe('penn-gen1');
      session.dispose();
    });
  });

  it('a failing source ends with an error line; the others go on', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const steps$ = h.hot<StepLike>('10ms #', undefined, new Error('engine broke'));
      const boardEvents = h.hot<BoardEvent>('20ms r', { r: { type: 'state-restored' } });
      const session = new DashboardSession(setup, { engine: engine({ steps$ }), boardEvents }, { scheduler: ts, nodes: 3 });
      h.expectObservable(session.events$.pipe(map((e) => (e.type === 'log' ? e.text : e.type))), '^ 30ms !').toBe('10ms a 9ms b', {
        a: 'step stream failed: engine broke',
        b: 'board',
      });
    });
  });

  it('polls the link stats every statsEveryMs from the start (null or a throw: nothing that time)', () => {
    const ts = testScheduler();
    let polls = 0;
    let got: { t: number; v: DashboardEvent }[] = [];
    let session!: DashboardSession;
    const linkStats = (): LinkStats | null => {
      polls++;
      if (polls === 2) return null;
      if (polls === 3) throw new Error('port gone');
      return { rttMs: 1.5, retries: polls, crcErrors: 0, resets: 0, reconnects: 0 };
    };
    ts.run((h) => {
      session = new DashboardSession(setup, { linkStats }, { scheduler: ts, nodes: 3, statsEveryMs: 500 });
      got = record(ts, session.events$.pipe(filter((e) => e.type === 'link-stats')));
      h.cold('2100ms x').subscribe(() => session.dispose());
    });
    expect(polls).toBe(5); // at 0, 500, 1000, 1500, 2000
    expect(got.map(({ t, v }) => [t, (v as Extract<DashboardEvent, { type: 'link-stats' }>).stats.retries])).toEqual([
      [0, 1],
      [1500, 4],
      [2000, 5],
    ]);
    expect(session.state.connection.stats).toEqual({ rttMs: 1.5, retries: 5, crcErrors: 0, resets: 0, reconnects: 0 });
  });

  it('refreshes the eigenvalues at most once per everyMs, only for new settings, the latest in the end', () => {
    const ts = testScheduler();
    // steps every 10 ms from 5 to 2995: settings [i, i] up to step 149 (t = 1495), then [150, 150] unchanged;
    // then at 4000 [7, 7], at 4100 [7, 7] again, at 4200 [150, 150]; at 5500 [151, 151] and at 5600 [150, 150]
    const frames: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < 300; i++) {
      frames.push(5 + 10 * i);
      values.push(Math.min(i, 150));
    }
    frames.push(4000, 4100, 4200, 5500, 5600);
    values.push(7, 7, 150, 151, 150);
    const computed: { t: number; v: number }[] = [];
    let eigenEvents: { t: number; v: DashboardEvent }[] = [];
    let session!: DashboardSession;
    ts.run((h) => {
      const steps$ = h.hot(marbleAt(frames)).pipe(map((_, k) => stepLike(k, Float64Array.of(values[k], values[k]))));
      session = new DashboardSession(setup, { engine: engine({ steps$ }) }, { scheduler: ts, nodes: 3 });
      eigenEvents = record(ts, session.events$.pipe(filter((e) => e.type.startsWith('eigen'))));
      // every 1003 ms rather than 1000, so that no window ends at the very frame of a step
      session.startEigenRefresh((settings) => {
        computed.push({ t: ts.now(), v: settings[0] });
        return { values: [settings[0] * 1e-3], highest: 1 };
      }, 1003);
    });
    expect(computed).toEqual([
      { t: 5, v: 0 }, // leading
      { t: 1008, v: 100 }, // trailing: the latest of the window (the step at 1005)
      { t: 2011, v: 150 },
      // 2011..3014: the settings did not change, nothing computed
      { t: 4000, v: 7 }, // a quiet period over: at once
      { t: 5003, v: 150 }, // [7] again at 4100 is no news; [150] at 4200 is
      // 5500 [151] then 5600 [150]: the window's latest equals the last computed, nothing at 6006
    ]);
    for (let k = 1; k < computed.length; k++) expect(computed[k].t - computed[k - 1].t).toBeGreaterThanOrEqual(1003);
    expect(eigenEvents.slice(0, 2).map(({ t, v }) => [t, v.type])).toEqual([
      [5, 'eigen-start'],
      [5, 'eigen'],
    ]);
    expect(eigenEvents.length).toBe(2 * computed.length);
    const eig = session.state.eigen;
    expect(eig).toMatchObject({ values: [0.15], highest: 1, at: 5003, computing: false, error: null });
    // the settings of the step at 4200 (the 303rd step): 303 steps done
    expect(eig.step).toBe(303);
    session.dispose();
  });

  it('reports a failed eigenvalue computation; the refresher stops when unsubscribed', () => {
    const ts = testScheduler();
    let calls = 0;
    let session!: DashboardSession;
    ts.run((h) => {
      const steps$ = h.hot('10ms x 1999ms x').pipe(map((_, k) => stepLike(k)));
      session = new DashboardSession(setup, { engine: engine({ steps$ }) }, { scheduler: ts, nodes: 3 });
      const sub = session.startEigenRefresh(() => {
        calls++;
        throw new Error('no convergence');
      });
      h.cold('1000ms x').subscribe(() => sub.unsubscribe());
    });
    expect(calls).toBe(1);
    expect(session.state.eigen).toMatchObject({ computing: false, error: 'no convergence', values: null });
    session.dispose();
  });

  it('dispose: no more emissions, sources unsubscribed, timers stopped, dispatch ignored', () => {
    const ts = testScheduler();
    let polls = 0;
    let session!: DashboardSession;
    let computes = 0;
    ts.run((h) => {
      const steps = h.hot('--a--b--c--d', { a: 0, b: 1, c: 2, d: 3 });
      const boardEvents = h.hot<BoardEvent>('-------r', { r: { type: 'state-restored' } });
      session = new DashboardSession(
        setup,
        { engine: engine({ steps$: steps.pipe(map((i) => stepLike(i))) }), boardEvents, linkStats: () => (polls++, null) },
        { scheduler: ts, nodes: 3, frameMs: 1, statsEveryMs: 1 },
      );
      session.startEigenRefresh(() => (computes++, { values: [], highest: null }), 1);
      h.cold('----x').subscribe(() => session.dispose());
      h.cold('-------x').subscribe(() => session.dispatch({ type: 'log', level: 'info', text: 'late' }));
      // the step at 2 is drawn at once; its eigenvalues (computed at 2 too) in the next frame, at 3
      h.expectObservable(session.state$.pipe(map((s) => `${s.run.step}${s.eigen.at === null ? '' : 'e'}`))).toBe('a-bc|', { a: '0', b: '1', c: '1e' });
      h.expectObservable(session.events$.pipe(filter((e) => !e.type.startsWith('eigen')), map((e) => e.type))).toBe('--s-|', { s: 'step' });
      h.expectSubscriptions(steps.subscriptions).toBe('^---!');
      h.expectSubscriptions(boardEvents.subscriptions).toBe('^---!');
    });
    expect(polls).toBe(4); // at 0, 1, 2, 3
    expect(computes).toBe(1);
    expect(session.state.run.step).toBe(1);
    expect(session.state.log.lines).toEqual([]);
    let late = 0;
    let completed = false;
    session.state$.subscribe({ next: () => late++, complete: () => (completed = true) });
    expect([late, completed]).toEqual([1, true]); // a late subscriber: the last frame, then complete
  });
});
