/**
 * What the dashboard costs under a 1 kHz step stream (issue 7, point 3): the same synthetic stream of steps
 * (penn-gen1 layout, 16 nodes, 33 edges) fed for a few seconds of real time to (a) nothing (the feed's own cost, the
 * baseline), (b) the session throttled at the source as `clln tui` runs it (at most 10 frames/s) with the ink App
 * rendering into a discarding terminal of 150 x 45, (c) the same with a 1 ms frame, i.e. every step drawn.
 * Reports CPU time per second of wall time (process.cpuUsage), the states delivered to the view (each one a React
 * render) and the writes to the terminal (ink itself also caps those at 30 per second and skips unchanged output).
 */
import { Writable } from 'node:stream';
import { createElement } from 'react';
import { render } from 'ink';
import { BehaviorSubject, Subject } from 'rxjs';
import type { RunState } from '../src/pipeline/runControl.js';
import { DashboardSession, type StepLike } from '../src/tui/DashboardSession.js';
import type { DashboardSetup } from '../src/tui/state/types.js';
import { App } from '../src/tui/views/App.js';
import { boardNetwork } from '../twins/boardNetwork.js';
import { loadBoardModel } from '../twins/BoardModel.js';

export interface DashboardBenchRow {
  name: string;
  seconds: number;
  steps: number;
  frames: number;
  /** States the session delivered to the view (React renders). */
  states: number;
  /** CPU seconds per wall second (1 = one core busy). */
  cpu: number;
}

export interface DashboardBenchResult {
  rows: DashboardBenchRow[];
  /** CPU of the throttled dashboard over the feed alone, and of every-step drawing over throttled. */
  throttledOverFeed: number;
  unthrottledOverThrottled: number;
}

function terminal(): Writable & { columns: number; rows: number; frames: number } {
  const w = new Writable({
    write(_chunk, _enc, cb) {
      w.frames++;
      cb();
    },
  }) as Writable & { columns: number; rows: number; frames: number; isTTY: boolean };
  w.columns = 150;
  w.rows = 45;
  w.frames = 0;
  w.isTTY = true;
  return w;
}

async function feed(ms: number, onStep: (s: StepLike) => void): Promise<number> {
  const n = 16;
  let step = 0;
  const t0 = performance.now();
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      // one timer tick is >= 1 ms: send the steps a 1 kHz stream owes by now
      const due = Math.floor(performance.now() - t0);
      while (step < due) {
        const vf = Float64Array.from({ length: n }, (_, i) => 0.5 + 0.4 * Math.sin(i + step / 100));
        onStep({ step, cost: 1e-3 * (1 + Math.sin(step / 50)), vf, vc: vf, settingsAfter: Float64Array.from({ length: 33 }, (_, e) => (e * 7 + step) % 100) });
        step++;
      }
      if (performance.now() - t0 >= ms) {
        clearInterval(timer);
        done();
      }
    }, 1);
  });
  return step;
}

async function measure(name: string, ms: number, frameMs: number | null): Promise<DashboardBenchRow> {
  const model = loadBoardModel('penn-gen1');
  const net = boardNetwork(model);
  const setup: DashboardSetup = {
    port: 'bench',
    title: 'bench',
    steps: 1_000_000,
    edgeKind: 'tap',
    settingRange: [0, 99],
    edgeA: net.edgeA,
    edgeB: net.edgeB,
    sources: [0, 3],
    ground: [15],
    targets: [9, 10],
    positions: net.positions ?? null,
  };
  const steps$ = new Subject<StepLike>();
  const state$ = new BehaviorSubject<RunState>('running');
  let session: DashboardSession | undefined;
  let app: ReturnType<typeof render> | undefined;
  const term = terminal();
  let states = 0;
  if (frameMs !== null) {
    session = new DashboardSession(setup, { engine: { state$, steps$, checks$: new Subject(), evaluations$: new Subject(), warnings$: new Subject() } }, { nodes: 16, frameMs });
    session.state$.subscribe(() => states++);
    app = render(createElement(App, { state$: session.state$, onCommand: () => undefined }), { stdout: term as unknown as NodeJS.WriteStream, exitOnCtrlC: false, patchConsole: false });
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const steps = await feed(ms, (s) => steps$.next(s));
  await new Promise((r) => setTimeout(r, 150)); // the trailing frame
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  app?.unmount();
  session?.dispose();
  return { name, seconds: wall, steps, frames: term.frames, states, cpu: (c.user + c.system) / 1e6 / wall };
}

export async function runDashboardBench(log: (s: string) => void = () => undefined, ms = 3000): Promise<DashboardBenchResult> {
  const rows: DashboardBenchRow[] = [];
  for (const [name, frame] of [['feed alone (baseline)', null], ['dashboard, <= 10 frames/s (as clln tui)', 100], ['dashboard, every step drawn (1 ms frames)', 1]] as const) {
    log(`bench: dashboard ${name} ...`);
    rows.push(await measure(name, ms, frame));
  }
  return { rows, throttledOverFeed: rows[1].cpu / rows[0].cpu, unthrottledOverThrottled: rows[2].cpu / rows[1].cpu };
}

export function printDashboard(r: DashboardBenchResult): string {
  const lines = ['case                                          steps   states drawn   terminal writes   CPU s per s'];
  for (const row of r.rows) lines.push(`${row.name.padEnd(44)} ${String(row.steps).padStart(6)}   ${String(row.states).padStart(12)}   ${String(row.frames).padStart(15)}   ${row.cpu.toFixed(3).padStart(11)}`);
  lines.push(`throttled dashboard / feed alone: ${r.throttledOverFeed.toFixed(2)}x;  every step drawn / throttled: ${r.unthrottledOverThrottled.toFixed(2)}x`);
  return lines.join('\n') + '\n';
}
