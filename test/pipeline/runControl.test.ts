import { map, Observable, of, timer } from 'rxjs';
import { TestScheduler, type RunHelpers } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  runControl,
  stopAfterEvaluation,
  transition,
  type ControlCommand,
  type ControlEvent,
  type EvaluationLike,
  type RunControlSpec,
} from '../../src/pipeline/runControl.js';

// One character per event, so that a run reads as a marble diagram:
//   states  R running, p pausing, P paused, s stopping, S stopped, a aborting, A aborted, F failed
//   0-9     step done,  e evaluation,  f finish done
//   end     x all steps, y stop command, t target MSE, l plateau, k abort, E error
const STATE: Record<string, string> = { running: 'R', pausing: 'p', paused: 'P', stopping: 's', stopped: 'S', aborting: 'a', aborted: 'A', failed: 'F' };
const END: Record<string, string> = { steps: 'x', stop: 'y', target: 't', plateau: 'l', abort: 'k', error: 'E' };
function char(ev: ControlEvent<unknown, EvaluationLike, unknown>): string {
  switch (ev.type) {
    case 'state':
      return STATE[ev.state];
    case 'step':
      return String(ev.step % 10);
    case 'evaluation':
      return 'e';
    case 'finished':
      return 'f';
    case 'end':
      return END[ev.reason];
  }
}

const COMMANDS: Record<string, ControlCommand> = { p: 'pause', r: 'resume', s: 'stop', a: 'abort', n: 'step' };

function testScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('runControl (marble tests, virtual time)', () => {
  // every operation takes 4 frames
  const OP = '----(v|)';

  function spec(
    helpers: RunHelpers,
    sched: TestScheduler,
    over: Partial<RunControlSpec<unknown, EvaluationLike, unknown>> = {},
  ): RunControlSpec<unknown, EvaluationLike, unknown> {
    const step$ = helpers.cold(OP, { v: 'r' });
    const finish$ = helpers.cold(OP, { v: 'f' });
    const safe$ = helpers.cold(OP, { v: 'z' });
    return {
      startStep: 0,
      endStep: 3,
      evalEvery: 0,
      executeStep: () => step$,
      finish: () => finish$,
      safeState: () => safe$,
      scheduler: sched,
      ...over,
    };
  }

  it('runs the initial evaluation, every step, then the finish; ends stopped after the step count', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot<ControlCommand>('-');
      const ev = (): Observable<EvaluationLike> => timer(4).pipe(map(() => ({ trainMse: 1, testMse: 1 })));
      const run = runControl(commands, spec(h, ts, { evaluate: ev }));
      h.expectObservable(run.pipe(map(char))).toBe('R---e---0---1---(2s)(fSx|)');
    });
  });

  it('pause during a step finishes that step, then pauses; resume continues with the next step', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot('-----p--------r', COMMANDS);
      const run = runControl(commands, spec(h, ts, { endStep: 4 }));
      h.expectObservable(run.pipe(map(char))).toBe('R---0p--(1P)--R---2---(3s)(fSx|)');
    });
  });

  it('step from paused runs exactly one step and pauses again; resume then continues', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot('-----p------n-----------r', COMMANDS);
      const run = runControl(commands, spec(h, ts, { endStep: 4 }));
      h.expectObservable(run.pipe(map(char))).toBe('R---0p--(1P)p---(2P)----R---(3s)(fSx|)');
    });
  });

  it('step while running or pausing changes nothing', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot('--n--pn', COMMANDS);
      const run = runControl(commands, spec(h, ts, { endStep: 3 }));
      h.expectObservable(run.pipe(map(char))).toBe('R---0p--(1P)');
    });
  });

  it('resume before the step in flight ends cancels the pause', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot('-----pr', COMMANDS);
      const run = runControl(commands, spec(h, ts));
      h.expectObservable(run.pipe(map(char))).toBe('R---0pR-1---(2s)(fSx|)');
    });
  });

  it('stop during a step finishes that step, then runs the finish and ends stopped', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot('-----s', COMMANDS);
      const run = runControl(commands, spec(h, ts, { endStep: 10 }));
      h.expectObservable(run.pipe(map(char))).toBe('R---0s--1---(fSy|)');
    });
  });

  it('stop while paused runs the finish at once', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot('-----p--------s', COMMANDS);
      const run = runControl(commands, spec(h, ts, { endStep: 10 }));
      h.expectObservable(run.pipe(map(char))).toBe('R---0p--(1P)--s---(fSy|)');
    });
  });

  it('abort during a step: the step completes, then the safe-state action runs once, no finish', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot('-----a--a', COMMANDS);
      const safe$ = h.cold('----(z|)');
      const finish$ = h.cold('----(f|)');
      const run = runControl(commands, spec(h, ts, { endStep: 10, safeState: () => safe$, finish: () => finish$ }));
      h.expectObservable(run.pipe(map(char))).toBe('R---0a--1---(Ak|)');
      h.expectSubscriptions(safe$.subscriptions).toBe('--------^---!');
      h.expectSubscriptions(finish$.subscriptions).toBe([]);
    });
  });

  it('abort while paused runs the safe-state action at once', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot('-----p--------a', COMMANDS);
      const run = runControl(commands, spec(h, ts, { endStep: 10 }));
      h.expectObservable(run.pipe(map(char))).toBe('R---0p--(1P)--a---(Ak|)');
    });
  });

  it('abort during the finish: the finish completes, then the safe-state action', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot('-----------------a', COMMANDS);
      const finish$ = h.cold('--------(f|)');
      const run = runControl(commands, spec(h, ts, { finish: () => finish$ }));
      h.expectObservable(run.pipe(map(char))).toBe('R---0---1---(2s)-a--f---(Ak|)');
    });
  });

  it('stops when an evaluation reaches the target MSE', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot<ControlCommand>('-');
      // test MSE after k steps: 1 / (1 + k); target 0.2 is reached after step 4
      const evaluate = (k: number): Observable<EvaluationLike> => timer(4).pipe(map(() => ({ trainMse: 1, testMse: 1 / (1 + k) })));
      const run = runControl(commands, spec(h, ts, { endStep: 10, evalEvery: 2, evaluate, stop: { targetTestMse: 0.2 } }));
      h.expectObservable(run.pipe(map(char))).toBe('R---e---0---1---e---2---3---(es)(fSt|)');
    });
  });

  it('stops on a plateau of the evaluated MSE', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot<ControlCommand>('-');
      const mse: Record<number, number> = { 0: 1, 2: 0.5, 4: 0.49, 6: 0.485, 8: 0.48 };
      const evaluate = (k: number): Observable<EvaluationLike> => timer(4).pipe(map(() => ({ trainMse: 1, testMse: mse[k] })));
      const run = runControl(commands, spec(h, ts, { endStep: 20, evalEvery: 2, evaluate, stop: { plateau: { window: 2, minRelativeImprovement: 0.05 } } }));
      h.expectObservable(run.pipe(map(char))).toBe('R---e---0---1---e---2---3---e---4---5---(es)(fSl|)');
    });
  });

  it('a step that fails makes the board safe, ends failed and errors the stream', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot<ControlCommand>('-');
      const ok$ = h.cold('----(v|)');
      const bad$ = h.cold('--#', undefined, 'board on fire');
      const safe$ = h.cold('----(z|)');
      const run = runControl(commands, spec(h, ts, { endStep: 5, executeStep: (s) => (s === 1 ? bad$ : ok$), safeState: () => safe$ }));
      h.expectObservable(run.pipe(map(char))).toBe('R---0-----(FE#)', undefined, 'board on fire');
      h.expectSubscriptions(safe$.subscriptions).toBe('------^---!');
    });
  });

  it('commands given before the start apply first: pause, then resume later', () => {
    const ts = testScheduler();
    ts.run((h) => {
      const commands = h.hot('^------r', COMMANDS).pipe((src) => new Observable<ControlCommand>((sub) => {
        sub.next('pause');
        return src.subscribe(sub);
      }));
      const run = runControl(commands, spec(h, ts, { endStep: 1 }));
      h.expectObservable(run.pipe(map(char))).toBe('P------R---(0s)(fSx|)');
    });
  });

  it('runs operations that complete synchronously in a loop (no recursion)', () => {
    const events: string[] = [];
    runControl(of<ControlCommand>(), {
      startStep: 0,
      endStep: 100_000,
      evalEvery: 0,
      executeStep: (s) => of(s),
      finish: () => of('f'),
      safeState: () => of(0),
    }).subscribe((e) => {
      if (e.type !== 'step') events.push(char(e));
    });
    expect(events.join('')).toBe('RsfSx');
  });
});

describe('transition and stop conditions (pure)', () => {
  it('transition', () => {
    expect(transition('running', 'pause')).toBe('pausing');
    expect(transition('idle', 'pause')).toBe('paused');
    expect(transition('pausing', 'resume')).toBe('running');
    expect(transition('paused', 'resume')).toBe('running');
    expect(transition('paused', 'step')).toBe('pausing');
    expect(transition('running', 'step')).toBe('running');
    expect(transition('stopped', 'step')).toBe('stopped');
    expect(transition('paused', 'stop')).toBe('stopping');
    expect(transition('stopping', 'pause')).toBe('stopping');
    expect(transition('stopping', 'abort')).toBe('aborting');
    expect(transition('aborting', 'stop')).toBe('aborting');
    expect(transition('stopped', 'abort')).toBe('stopped');
    expect(transition('aborted', 'resume')).toBe('aborted');
  });

  it('target and plateau', () => {
    const h = (xs: number[]): EvaluationLike[] => xs.map((x) => ({ trainMse: 9, testMse: x }));
    expect(stopAfterEvaluation({ targetTestMse: 0.1 }, h([1, 0.2]))).toBeNull();
    expect(stopAfterEvaluation({ targetTestMse: 0.1 }, h([1, 0.1]))).toBe('target');
    // no test set: the train MSE counts
    expect(stopAfterEvaluation({ targetTestMse: 0.1 }, [{ trainMse: 0.05, testMse: NaN }])).toBe('target');
    const plateau = { window: 2, minRelativeImprovement: 0.1 };
    expect(stopAfterEvaluation({ plateau }, h([1, 1]))).toBeNull(); // not enough evaluations yet
    expect(stopAfterEvaluation({ plateau }, h([1, 0.95, 0.92]))).toBe('plateau');
    expect(stopAfterEvaluation({ plateau }, h([1, 0.95, 0.85]))).toBeNull();
    expect(stopAfterEvaluation({ plateau }, h([0, 0, 0]))).toBe('plateau');
  });
});
