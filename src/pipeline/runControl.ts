/**
 * The control logic of a training run, free of any board: a state machine that runs a sequence of operations
 * (an initial evaluation, steps, evaluations when due, a graceful finish or the safe-state action) one at a time,
 * each an Observable, and obeys control commands between them.
 *
 * States (see {@link transition}): `idle` -> `running`; `pause` -> `pausing` (the operation in flight finishes) ->
 * `paused`; `resume` -> `running`; `stop` -> `stopping` (the step in flight finishes, then the finish operation
 * runs) -> `stopped`; `abort` -> `aborting` (the operation in flight finishes — a board call on the wire cannot be
 * un-sent — then the safe-state action runs once) -> `aborted`. An operation that errors ends the run in `failed`
 * after the safe-state action (best effort), and the event stream errors with the operation's error.
 *
 * Stop conditions: the step count (after each step), the target MSE and the plateau (after each evaluation).
 *
 * Timing belongs to the operations (they are Observables that take as long as they take); the machine only reads
 * the injected scheduler's clock to time-stamp its events. It never schedules anything itself, so with
 * TestScheduler it runs in virtual time, and operations that complete synchronously run in a loop (no recursion,
 * no extra macrotask between steps).
 */
import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { StopConditions } from './TrainingPlan.js';

/**
 * What the user may ask of a running run. `step` runs exactly one step from `paused` and pauses again (ignored in
 * any other state).
 */
export type ControlCommand = 'pause' | 'resume' | 'stop' | 'abort' | 'step';

/** State of a run. `stopped`, `aborted` and `failed` are final. */
export type RunState = 'idle' | 'running' | 'pausing' | 'paused' | 'stopping' | 'stopped' | 'aborting' | 'aborted' | 'failed';

/** Why a run ended: all steps done, stop command, target MSE reached, plateau, abort command, error. */
export type StopReason = 'steps' | 'stop' | 'target' | 'plateau' | 'abort' | 'error';

/** Is `s` a final state? */
export function isFinal(s: RunState): boolean {
  return s === 'stopped' || s === 'aborted' || s === 'failed';
}

/**
 * The state a command leads to (pure). Pause while a step runs only asks (`pausing`); resume cancels that or leaves
 * `paused`; stop and abort override pause. Commands that do not apply leave the state as it is.
 */
export function transition(state: RunState, command: ControlCommand): RunState {
  if (isFinal(state) || state === 'aborting') return state;
  switch (command) {
    case 'pause':
      return state === 'running' ? 'pausing' : state === 'idle' ? 'paused' : state;
    case 'resume':
      return state === 'pausing' || state === 'paused' ? 'running' : state;
    case 'stop':
      return state === 'stopping' ? state : 'stopping';
    case 'abort':
      return 'aborting';
    case 'step':
      // one step, then paused again: shown as `pausing` while that step runs
      return state === 'paused' ? 'pausing' : state;
  }
}

/** The MSEs of an evaluation. */
export interface EvaluationLike {
  trainMse: number;
  testMse: number;
}

/** The metric stop conditions look at: test MSE, or train MSE when there is no test set (NaN test MSE). */
export function stopMetric(e: EvaluationLike): number {
  return Number.isNaN(e.testMse) ? e.trainMse : e.testMse;
}

/**
 * Stop condition after an evaluation (pure): `target` when the latest metric is at or below the target; `plateau`
 * when the best metric of the last `window` evaluations improved on the best before them by no more than
 * `minRelativeImprovement` of the latter (needs more than `window` evaluations). Else null.
 */
export function stopAfterEvaluation(stop: StopConditions | undefined, history: readonly EvaluationLike[]): 'target' | 'plateau' | null {
  if (!stop || history.length === 0) return null;
  const m = history.map(stopMetric);
  const last = m[m.length - 1];
  if (stop.targetTestMse !== undefined && last <= stop.targetTestMse) return 'target';
  const p = stop.plateau;
  if (p && m.length > p.window) {
    let before = Infinity;
    for (let i = 0; i < m.length - p.window; i++) before = Math.min(before, m[i]);
    let recent = Infinity;
    for (let i = m.length - p.window; i < m.length; i++) recent = Math.min(recent, m[i]);
    if (!(before - recent > p.minRelativeImprovement * before)) return 'plateau';
  }
  return null;
}

/** What the machine runs. R: step result; V: evaluation; F: result of the finish operation. */
export interface RunControlSpec<R, V extends EvaluationLike, F> {
  /** First step (0 for a new run, later for a resumed one). */
  startStep: number;
  /** Steps run while step < endStep. */
  endStep: number;
  /** Evaluate after every step s with (s + 1) % evalEvery === 0, except after the last; 0: never in between. */
  evalEvery: number;
  /** Step `s`: emits its result, then completes. */
  executeStep(step: number): Observable<R>;
  /** Evaluation after `stepsDone` steps (also once before the first step); omit for none. */
  evaluate?(stepsDone: number): Observable<V>;
  /** Graceful end (all steps, stop command, stop condition): e.g. release clamps, read settings, final MSE. */
  finish(stepsDone: number): Observable<F>;
  /** Leave the board safe (abort, failure); runs at most once. */
  safeState(): Observable<unknown>;
  stop?: StopConditions;
  /** Clock of the event time stamps; default asyncScheduler. */
  scheduler?: SchedulerLike;
}

/** What the machine reports, in order. The stream completes after `end` (errors after it on failure). */
export type ControlEvent<R, V, F> =
  | { type: 'state'; state: RunState; at: number }
  | { type: 'step'; step: number; result: R; at: number }
  | { type: 'evaluation'; stepsDone: number; value: V; at: number }
  | { type: 'finished'; stepsDone: number; value: F | undefined; at: number }
  | { type: 'end'; reason: StopReason; stepsDone: number; at: number; error?: unknown };

type Phase = 'init' | 'steps' | 'finished' | 'done';

interface Op {
  source: Observable<unknown>;
  done(value: unknown, has: boolean): void;
  /** Errors of the safe-state action end the run at once. */
  safe?: boolean;
}

/**
 * Run `spec` under `commands` (subscribed first, so commands it emits synchronously apply before the first
 * operation). Each subscription is one run.
 */
export function runControl<R, V extends EvaluationLike, F>(
  commands: Observable<ControlCommand>,
  spec: RunControlSpec<R, V, F>,
): Observable<ControlEvent<R, V, F>> {
  return new Observable<ControlEvent<R, V, F>>((subscriber) => {
    const sched = spec.scheduler ?? asyncScheduler;
    let state: RunState = 'idle';
    let phase: Phase = 'init';
    let next = spec.startStep;
    let evalPending = false;
    /** A `step` command from paused: let exactly one step run before pausing again. */
    let singleStep = false;
    let reason: StopReason | null = null;
    let failure: { error: unknown } | null = null;
    let safeDone = false;
    const history: V[] = [];
    let busy = false;
    let driving = false;
    let result: { op: Op; value: unknown; has: boolean; error?: { e: unknown } } | null = null;
    let inflight: Subscription | null = null;
    let commandSub: Subscription | null = null;

    const setState = (s: RunState): void => {
      if (s === state) return;
      state = s;
      subscriber.next({ type: 'state', state: s, at: sched.now() });
    };

    const end = (final: 'stopped' | 'aborted' | 'failed'): void => {
      phase = 'done';
      commandSub?.unsubscribe();
      setState(final);
      const r: StopReason = final === 'failed' ? 'error' : final === 'aborted' ? 'abort' : (reason ?? 'steps');
      subscriber.next({ type: 'end', reason: r, stepsDone: next, at: sched.now(), ...(failure ? { error: failure.error } : {}) });
      if (failure) subscriber.error(failure.error);
      else subscriber.complete();
    };

    const requestStop = (why: StopReason): void => {
      reason ??= why;
      setState(transition(state, 'stop'));
    };

    const afterEvaluation = (value: V): void => {
      history.push(value);
      subscriber.next({ type: 'evaluation', stepsDone: next, value, at: sched.now() });
      const why = stopAfterEvaluation(spec.stop, history);
      if (why && state !== 'aborting') requestStop(why);
    };

    const evaluationOp = (): Op => ({
      source: spec.evaluate!(next),
      done: (v, has) => {
        if (!has) throw new Error('evaluate() completed without a value');
        afterEvaluation(v as V);
      },
    });

    const finishOp = (): Op => {
      phase = 'finished';
      return {
        source: spec.finish(next),
        done: (v, has) => subscriber.next({ type: 'finished', stepsDone: next, value: has ? (v as F) : undefined, at: sched.now() }),
      };
    };

    const safeOp = (): Op => {
      safeDone = true;
      return { source: spec.safeState(), done: () => undefined, safe: true };
    };

    /** The next operation for the present state, or null to wait (paused) or because the run is over. */
    const nextOp = (): Op | null => {
      if (phase === 'done') return null;
      if (failure) {
        if (!safeDone) return safeOp();
        end('failed');
        return null;
      }
      if (state === 'aborting') {
        if (!safeDone) return safeOp();
        end('aborted');
        return null;
      }
      if (phase === 'finished') {
        end('stopped');
        return null;
      }
      if (state === 'idle') setState('running');
      if (phase === 'init') {
        if (state === 'paused') return null;
        phase = 'steps';
        if (state !== 'stopping' && spec.evaluate) return evaluationOp();
      }
      // phase 'steps'
      if (state === 'stopping') return finishOp();
      if (evalPending) {
        evalPending = false;
        return evaluationOp();
      }
      if (next >= spec.endStep) {
        requestStop('steps');
        return finishOp();
      }
      if (state === 'pausing' && singleStep) singleStep = false;
      else if (state === 'pausing') setState('paused');
      if (state === 'paused') return null;
      const s = next;
      return {
        source: spec.executeStep(s),
        done: (v, has) => {
          if (!has) throw new Error(`executeStep(${s}) completed without a result`);
          next = s + 1;
          if (spec.evaluate && spec.evalEvery > 0 && next % spec.evalEvery === 0 && next < spec.endStep) evalPending = true;
          subscriber.next({ type: 'step', step: s, result: v as R, at: sched.now() });
        },
      };
    };

    const drive = (): void => {
      if (driving) return;
      driving = true;
      try {
        for (;;) {
          if (result) {
            const r = result;
            result = null;
            if (r.error) {
              if (r.op.safe) {
                failure ??= { error: r.error.e };
              } else {
                failure = { error: r.error.e };
              }
            } else {
              try {
                r.op.done(r.value, r.has);
              } catch (e) {
                failure ??= { error: e };
              }
            }
            continue;
          }
          if (busy || phase === 'done' || subscriber.closed) break;
          const op = nextOp();
          if (!op) break;
          busy = true;
          let value: unknown;
          let has = false;
          const settle = (error?: { e: unknown }): void => {
            busy = false;
            inflight = null;
            result = { op, value, has, error };
            drive();
          };
          try {
            const sub = op.source.subscribe({
              next: (v) => {
                value = v;
                has = true;
              },
              error: (e: unknown) => settle({ e }),
              complete: () => settle(),
            });
            if (busy) inflight = sub;
          } catch (e) {
            settle({ e });
          }
        }
      } finally {
        driving = false;
      }
    };

    commandSub = commands.subscribe({
      next: (c) => {
        if (phase === 'done') return;
        if (c === 'stop') requestStop('stop');
        else {
          // a single step from paused: the next step runs, then the `pausing` it leaves in becomes `paused`
          if (c === 'step' && state === 'paused' && !busy) singleStep = true;
          setState(transition(state, c));
        }
        drive();
      },
      error: (e: unknown) => {
        failure ??= { error: e };
        drive();
      },
    });
    if ((phase as Phase) === 'done') commandSub.unsubscribe();
    else drive();
    return () => {
      inflight?.unsubscribe();
      commandSub?.unsubscribe();
    };
  });
}
