/**
 * The dashboard's controller: a training engine on a board, its streams turned into throttled dashboard states
 * (DashboardSession), the ink App drawing them, and the keys turned into engine commands and actions (calibrate,
 * diagnostics). Resolves with the exit code once the user quits.
 *
 * Contract of the keys: space pauses or resumes (a pause finishes the step in flight), `s` runs one step from
 * paused, `a` aborts after asking (y/n; the board is left safe: sources at 0 V, clamps released; no final
 * evaluation), `c` calibrates (only while paused
 * or after the run: a calibration rewrites the settings and puts them back), `d` computes the diagnostics now,
 * `q` quits — while a run is active it asks first, and a confirmed quit stops the run properly (the step in flight
 * finishes and is recorded, the final evaluation runs) before leaving.
 */
import { render } from 'ink';
import { map, type Observable } from 'rxjs';
import type { Board, BoardIdentity } from '../device/Board.js';
import { physicalSpectrum } from '../diagnostics/physicalSpectrum.js';
import type { Network } from '../physics/Network.js';
import { isFinal, type RunState } from '../pipeline/runControl.js';
import type { TrainingEngine } from '../pipeline/TrainingEngine.js';
import { DashboardSession } from './DashboardSession.js';
import { runEndLine } from './runEndLine.js';
import { noColorRequested, withoutColor } from './noColor.js';
import { formatSI } from '../formatNumber.js';
import type { DashboardSetup, LinkStats } from './state/types.js';
import { App } from './views/App.js';

export interface DashboardRun {
  board: Board;
  id: BoardIdentity;
  engine: TrainingEngine;
  setup: DashboardSetup;
  /** The network (topology and positions) for the eigenvalue panel, and settings -> conductances. */
  net: Pick<Network, 'name' | 'nodes' | 'edgeA' | 'edgeB'>;
  conductances?: (settings: Float64Array) => Float64Array;
  /** Link statistics of a serial board, polled. */
  linkStats?: () => LinkStats | null;
  /** Calibrate the board (only called while the run is paused or over); resolves with a line for the log. */
  calibrate?: () => Promise<string>;
  /** Streams for the terminal (tests inject them). */
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  /** Environment for NO_COLOR (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Called when the engine's run ends (e.g. to stop the run record); its line goes to the log. */
  onRunEnd?: (state: RunState, error?: unknown) => Promise<string>;
}

export async function runDashboard(r: DashboardRun): Promise<number> {
  const { engine } = r;
  const session = new DashboardSession(r.setup, {
    engine: {
      state$: engine.state$,
      steps$: engine.steps$,
      checks$: mapChecks(engine),
      evaluations$: engine.evaluations$,
      warnings$: engine.warnings$,
    },
    boardEvents: r.board.events,
    linkStats: r.linkStats,
  }, { nodes: r.id.nodes });
  session.dispatch({ type: 'identity', identity: r.id });
  session.dispatch({ type: 'log', level: 'info', text: `connected to ${r.id.model} uid ${r.id.uid} (firmware ${r.id.firmware}) on ${r.setup.port}` });
  const eigenOf = (settings: Float64Array): { values: number[]; highest: number | null } => {
    const k = r.conductances!(settings);
    const imposed = [...r.setup.sources, ...r.setup.ground];
    const n = { ...r.net, conductance: k };
    const lo = physicalSpectrum(n, { imposed, which: 'lowest', k: Math.min(6, r.id.nodes - imposed.length) });
    const hi = physicalSpectrum(n, { imposed, which: 'highest', k: 1 });
    return { values: Array.from(lo.values), highest: hi.values[hi.values.length - 1] ?? null };
  };
  const eigenSub = r.conductances ? session.startEigenRefresh(eigenOf, 1000) : undefined;

  let state: RunState = 'idle';
  engine.state$.subscribe((s) => (state = s));
  let runEnded = false;
  let quitting = false;
  let resolveQuit!: (code: number) => void;
  const quit = new Promise<number>((res) => (resolveQuit = res));
  let exitCode = 0;

  const runDone = engine.run().then(
    async (summary) => {
      runEnded = true;
      const line = r.onRunEnd ? await r.onRunEnd(summary.state) : '';
      session.dispatch({ type: 'log', level: 'info', text: runEndLine(summary, line) });
      if (summary.state === 'aborted') exitCode = 1;
      if (quitting) resolveQuit(exitCode);
    },
    async (e: unknown) => {
      runEnded = true;
      exitCode = 1;
      const line = r.onRunEnd ? await r.onRunEnd('failed', e).catch(() => '') : '';
      session.dispatch({ type: 'log', level: 'error', text: `run failed: ${e instanceof Error ? e.message : String(e)}${line ? `; ${line}` : ''}` });
      if (quitting) resolveQuit(exitCode);
    },
  );

  const act = async (what: string, fn: () => Promise<string>): Promise<void> => {
    session.dispatch({ type: 'busy', what });
    try {
      session.dispatch({ type: 'log', level: 'info', text: await fn() });
    } catch (e) {
      session.dispatch({ type: 'log', level: 'error', text: `${what} failed: ${e instanceof Error ? e.message : String(e)}` });
    } finally {
      session.dispatch({ type: 'busy', what: null });
    }
  };

  const onCommand = (cmd: string): void => {
    const busy = session.state.run.busy;
    switch (cmd) {
      case 'pause':
        engine.pause();
        break;
      case 'resume':
        if (!busy) engine.resume();
        break;
      case 'step':
        if (!busy) engine.step();
        break;
      case 'abort-request':
        if (!(runEnded || isFinal(state))) session.dispatch({ type: 'abort-request' });
        break;
      case 'abort-cancel':
        session.dispatch({ type: 'abort-cancel' });
        break;
      case 'abort-confirm':
        session.dispatch({ type: 'abort-cancel' });
        if (!(runEnded || isFinal(state))) {
          session.dispatch({ type: 'log', level: 'info', text: 'aborting: sources to 0 V, clamps released; no final evaluation' });
          engine.abort();
        }
        break;
      case 'quit-request':
        if (runEnded || isFinal(state)) {
          quitting = true;
          resolveQuit(exitCode);
        } else session.dispatch({ type: 'quit-request' });
        break;
      case 'quit-cancel':
        session.dispatch({ type: 'quit-cancel' });
        break;
      case 'quit-confirm':
        session.dispatch({ type: 'quit-cancel' });
        quitting = true;
        if (runEnded || isFinal(state)) resolveQuit(exitCode);
        else {
          session.dispatch({ type: 'log', level: 'info', text: 'stopping the run (the step in flight finishes and is recorded)...' });
          engine.stop();
        }
        break;
      case 'calibrate':
        if (busy) break;
        if (!r.calibrate) session.dispatch({ type: 'log', level: 'warn', text: 'calibration needs a board of a known model' });
        else if (!(state === 'paused' || runEnded)) session.dispatch({ type: 'log', level: 'warn', text: 'pause the run first (space): calibrating rewrites the edge settings for a while' });
        else void act('calibrating', r.calibrate);
        break;
      case 'diagnose':
        if (busy) break;
        if (!r.conductances) session.dispatch({ type: 'log', level: 'warn', text: 'diagnostics need the board\'s edge law (a known model or a calibration)' });
        else
          void act('diagnosing', async () => {
            const settings = await r.board.readEdges();
            const e = eigenOf(settings);
            session.dispatch({ type: 'eigen', step: session.state.run.step, values: e.values, highest: e.highest });
            return `physical Hessian now: lowest ${e.values.slice(0, 3).map((x) => formatSI(x, 'S', 4)).join(', ')}, highest ${e.highest === null ? '-' : formatSI(e.highest, 'S', 4)}`;
          });
        break;
    }
  };

  // NO_COLOR: the same frames without colour codes (noColor.ts)
  const stdout = noColorRequested(r.env ?? process.env) ? withoutColor(r.stdout ?? process.stdout) : r.stdout;
  const app = render(<App state$={session.state$} onCommand={onCommand} />, {
    ...(stdout ? { stdout } : {}),
    ...(r.stdin ? { stdin: r.stdin } : {}),
    exitOnCtrlC: false,
  });
  // Ctrl-C behaves like q
  const onSigint = (): void => onCommand('quit-request');
  process.on('SIGINT', onSigint);
  try {
    const code = await quit;
    await runDone;
    return code;
  } finally {
    process.off('SIGINT', onSigint);
    eigenSub?.unsubscribe();
    app.unmount();
    session.dispose();
  }
}

type CheckLike = { summary?: string; alarm?: boolean; maxVoltageResidual?: number; maxCurrentResidual?: number };

/** Each check as the alarms panel wants it: the alarm's summary, and the residual levels (fractions of the thresholds). */
function mapChecks(engine: TrainingEngine): Observable<{ step: number; alarm: boolean; message?: string; residual?: { voltage: number; current: number } }> {
  return engine.checks$.pipe(
    map((c) => {
      const res = c.result as { free?: CheckLike; clamped?: CheckLike } | undefined;
      const parts = [res?.free, res?.clamped].filter((x): x is CheckLike => x !== undefined);
      const alarmed = parts.find((x) => x.alarm) ?? parts[0];
      const level = (k: 'maxVoltageResidual' | 'maxCurrentResidual'): number => Math.max(0, ...parts.map((x) => (Number.isFinite(x[k]) ? (x[k] as number) : 0)));
      return {
        step: c.step,
        alarm: c.alarm,
        message: alarmed?.summary,
        ...(parts.length ? { residual: { voltage: level('maxVoltageResidual'), current: level('maxCurrentResidual') } } : {}),
      };
    }),
  );
}
