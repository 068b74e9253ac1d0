/**
 * The dashboard's keys, one input hook per concern, each taking callbacks. The decisions (which key does what in
 * which state) are pure functions, exported on their own so that they can be tested without a terminal and so that
 * the footer greys out exactly the keys these functions would ignore.
 *
 * Run keys: space pauses or resumes, `s` runs one step while paused, `a` aborts an active run after asking (`y`
 * aborts, `n` or Escape keeps running: an abort skips the final evaluation, so a stray key must not cost the run's
 * result), `q` (or Ctrl-C) quits — at once when no run is active, else it asks and then `y` confirms and `n` (or
 * Escape) cancels; while either question is open, every other key is ignored.
 *
 * Action keys: `c` calibrates, `d` runs the diagnostics; both are ignored while another long action is busy or while
 * the quit question is open. The footer shows `c` as applicable only while paused or after the run; pressed at
 * other times it is still passed on, so that the session can say why it will not calibrate now.
 */
import { useInput, type Key } from 'ink';
import { useCallback, useLayoutEffect, useRef } from 'react';
import { isFinal, type RunState } from '../../pipeline/runControl.js';

/** What a run key asks for. */
export type RunKeyAction =
  | 'pause-resume'
  | 'step'
  | 'abort-request'
  | 'abort-confirm'
  | 'abort-cancel'
  | 'quit-request'
  | 'quit-confirm'
  | 'quit-cancel';

/** What an action key asks for. */
export type ActionKeyAction = 'calibrate' | 'diagnose';

/** The part of a key event the decisions look at (ink's Key has more). */
export type KeyLike = Pick<Key, 'ctrl' | 'meta' | 'escape'>;

/** The run as the run keys see it. */
export interface RunKeyContext {
  state: RunState;
  confirmQuit: boolean;
  /** The abort question is open (absent: false). */
  confirmAbort?: boolean;
}

/** The run as the footer sees it, to know which keys apply. */
export interface KeyContext extends RunKeyContext {
  /** A long action in progress (e.g. 'calibrating'), or null. */
  busy: string | null;
}

/** Is a run in progress, i.e. would quitting interrupt something (started and not over)? */
export function isRunActive(state: RunState): boolean {
  return state !== 'idle' && !isFinal(state);
}

/** Does space apply (pause an idle or running run, resume a paused or pausing one)? */
export function canPauseResume(state: RunState): boolean {
  return state === 'idle' || state === 'running' || state === 'pausing' || state === 'paused';
}

/** Would space resume (rather than pause)? */
export function spaceResumes(state: RunState): boolean {
  return state === 'paused' || state === 'pausing';
}

/** Does `s` apply (one step, only from paused)? */
export function canStep(state: RunState): boolean {
  return state === 'paused';
}

/** Does `a` apply (a run that is neither over nor already aborting)? */
export function canAbort(state: RunState): boolean {
  return !isFinal(state) && state !== 'aborting';
}

/** Do the action keys (c, d) apply at all: nothing busy, no open quit question? */
export function actionsEnabled(ctx: Pick<KeyContext, 'busy' | 'confirmQuit' | 'confirmAbort'>): boolean {
  return !ctx.confirmQuit && !ctx.confirmAbort && ctx.busy === null;
}

/** Does `c` apply: actions enabled, and the run paused or over? */
export function canCalibrate(ctx: KeyContext): boolean {
  return actionsEnabled(ctx) && (ctx.state === 'paused' || isFinal(ctx.state));
}

/**
 * The run key decision (pure): what `input` (with modifiers `key`) asks for in `ctx`, or null when it does not
 * apply. Ctrl-C counts as `q`; other Ctrl/Meta chords are ignored.
 */
export function runKeyAction(input: string, key: KeyLike, ctx: RunKeyContext): RunKeyAction | null {
  const quit = input === 'q' || (key.ctrl && input === 'c');
  if (ctx.confirmAbort) {
    if (key.escape) return 'abort-cancel';
    if (key.ctrl || key.meta) return null;
    if (input === 'y' || input === 'Y') return 'abort-confirm';
    if (input === 'n' || input === 'N') return 'abort-cancel';
    return null;
  }
  if (ctx.confirmQuit) {
    if (quit) return null;
    if (key.escape) return 'quit-cancel';
    if (key.ctrl || key.meta) return null;
    if (input === 'y' || input === 'Y') return 'quit-confirm';
    if (input === 'n' || input === 'N') return 'quit-cancel';
    return null;
  }
  if (quit) return isRunActive(ctx.state) ? 'quit-request' : 'quit-confirm';
  if (key.ctrl || key.meta) return null;
  switch (input) {
    case ' ':
      return canPauseResume(ctx.state) ? 'pause-resume' : null;
    case 's':
      return canStep(ctx.state) ? 'step' : null;
    case 'a':
      return canAbort(ctx.state) ? 'abort-request' : null;
    default:
      return null;
  }
}

/** The action key decision (pure): `c` or `d` when `enabled`, else null. Ctrl/Meta chords are ignored. */
export function actionKeyAction(input: string, key: KeyLike, ctx: { enabled: boolean }): ActionKeyAction | null {
  if (!ctx.enabled || key.ctrl || key.meta) return null;
  if (input === 'c') return 'calibrate';
  if (input === 'd') return 'diagnose';
  return null;
}

export interface RunKeysOptions extends RunKeyContext {
  onPauseResume(): void;
  onStep(): void;
  /** `a`: ask whether to abort. */
  onAbortRequest(): void;
  /** `y` to the abort question. */
  onAbortConfirm(): void;
  onAbortCancel(): void;
  /** `q` while a run is active: ask. */
  onQuitRequest(): void;
  /** `y` to the question, or `q` when no run is active. */
  onQuitConfirm(): void;
  onQuitCancel(): void;
}

/**
 * The latest value of `value`, for a key handler to read when a key arrives. ink subscribes a new handler in a
 * passive effect, which React runs after the render that drew the new state, so a handler that closed over the
 * render's values would judge a key typed at the new screen by the state before it (on a busy machine: a key lost).
 * The ref is updated in a layout effect, in the same task as the render and its output.
 */
function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}

/** Space, s, a, q and y/n: see {@link runKeyAction}. */
export function useRunKeys(options: RunKeysOptions): void {
  const latest = useLatest(options);
  const onKey = useCallback((input: string, key: Key) => {
    const o = latest.current;
    switch (runKeyAction(input, key, o)) {
      case 'pause-resume':
        return o.onPauseResume();
      case 'step':
        return o.onStep();
      case 'abort-request':
        return o.onAbortRequest();
      case 'abort-confirm':
        return o.onAbortConfirm();
      case 'abort-cancel':
        return o.onAbortCancel();
      case 'quit-request':
        return o.onQuitRequest();
      case 'quit-confirm':
        return o.onQuitConfirm();
      case 'quit-cancel':
        return o.onQuitCancel();
      case null:
        return;
    }
  }, [latest]);
  useInput(onKey);
}

export interface ActionKeysOptions {
  /** Whether c and d apply now: see {@link actionsEnabled}. */
  enabled: boolean;
  onCalibrate(): void;
  onDiagnose(): void;
}

/** c and d: see {@link actionKeyAction}. */
export function useActionKeys(options: ActionKeysOptions): void {
  const latest = useLatest(options);
  const onKey = useCallback((input: string, key: Key) => {
    const o = latest.current;
    const a = actionKeyAction(input, key, o);
    if (a === 'calibrate') o.onCalibrate();
    else if (a === 'diagnose') o.onDiagnose();
  }, [latest]);
  useInput(onKey);
}
