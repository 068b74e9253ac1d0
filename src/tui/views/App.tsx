/**
 * The dashboard app: draws the latest DashboardState of `state$` (throttled at the source, so every emission is
 * drawn), sized to the terminal (followed through its 'resize' events), and turns the keys into commands for the
 * session. While the link is reconnecting it redraws once a second so that the retry countdown moves.
 */
import { Box, Text, useStdout } from 'ink';
import { useEffect, useState, type ReactNode } from 'react';
import type { Observable } from 'rxjs';
import { actionsEnabled, spaceResumes, useActionKeys, useRunKeys } from '../input/useDashboardKeys.js';
import type { DashboardState } from '../state/types.js';
import { Dashboard } from './Dashboard.js';

/** What the keys ask the session to do. */
export type DashboardCommand =
  | 'pause'
  | 'resume'
  | 'step'
  | 'abort-request'
  | 'abort-confirm'
  | 'abort-cancel'
  | 'quit-request'
  | 'quit-confirm'
  | 'quit-cancel'
  | 'calibrate'
  | 'diagnose';

export interface AppProps {
  state$: Observable<DashboardState>;
  onCommand(cmd: DashboardCommand): void;
  /** Clock of the state's times (ms); default Date.now. */
  now?: () => number;
  /** Fixed terminal size, overriding the stdout's (e.g. for tests). */
  columns?: number;
  rows?: number;
}

interface Size {
  columns: number;
  rows: number;
}

function sizeOf(stdout: NodeJS.WriteStream): Size {
  return { columns: stdout.columns || 80, rows: stdout.rows || 24 };
}

/** The terminal's size, updated on 'resize'. */
function useTerminalSize(): Size {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = (): void => setSize(sizeOf(stdout));
    onResize();
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

/** The latest value of `source$` (null before the first). */
function useLatest<T>(source$: Observable<T>): T | null {
  const [value, setValue] = useState<T | null>(null);
  useEffect(() => {
    const sub = source$.subscribe({ next: (v) => setValue(() => v) });
    return () => sub.unsubscribe();
  }, [source$]);
  return value;
}

/** Re-render every `ms` while `active`. */
function useTicker(active: boolean, ms: number): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setTick((k) => k + 1), ms);
    return () => clearInterval(t);
  }, [active, ms]);
}

/** The dashboard app. */
export function App({ state$, onCommand, now = Date.now, columns, rows }: AppProps): ReactNode {
  const state = useLatest(state$);
  const size = useTerminalSize();
  useTicker(state?.connection.link === 'reconnecting', 1000);
  const run = state?.run;
  const runState = run?.state ?? 'idle';
  useRunKeys({
    state: runState,
    confirmQuit: run?.confirmQuit ?? false,
    confirmAbort: run?.confirmAbort ?? false,
    onPauseResume: () => onCommand(spaceResumes(runState) ? 'resume' : 'pause'),
    onStep: () => onCommand('step'),
    onAbortRequest: () => onCommand('abort-request'),
    onAbortConfirm: () => onCommand('abort-confirm'),
    onAbortCancel: () => onCommand('abort-cancel'),
    onQuitRequest: () => onCommand('quit-request'),
    onQuitConfirm: () => onCommand('quit-confirm'),
    onQuitCancel: () => onCommand('quit-cancel'),
  });
  useActionKeys({
    enabled: state !== null && actionsEnabled({ busy: run?.busy ?? null, confirmQuit: run?.confirmQuit ?? false, confirmAbort: run?.confirmAbort ?? false }),
    onCalibrate: () => onCommand('calibrate'),
    onDiagnose: () => onCommand('diagnose'),
  });
  if (!state)
    return (
      <Box>
        <Text dimColor>clln: waiting for the dashboard state… (q quits)</Text>
      </Box>
    );
  return <Dashboard state={state} columns={columns ?? size.columns} rows={rows ?? size.rows} now={now()} />;
}
