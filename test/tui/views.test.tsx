import { render } from 'ink-testing-library';
import { BehaviorSubject } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { initialDashboard } from '../../src/tui/state/dashboardReducer.js';
import type { DashboardState } from '../../src/tui/state/types.js';
import {
  actionKeyAction,
  actionsEnabled,
  canCalibrate,
  runKeyAction,
  type KeyLike,
} from '../../src/tui/input/useDashboardKeys.js';
import { AlarmsPanel } from '../../src/tui/views/AlarmsPanel.js';
import { App, type DashboardCommand } from '../../src/tui/views/App.js';
import { ConnectionPanel } from '../../src/tui/views/ConnectionPanel.js';
import { braillePlot, CurvePanel } from '../../src/tui/views/CurvePanel.js';
import { allocate, Dashboard } from '../../src/tui/views/Dashboard.js';
import { EDGE_BLOCKS, EdgesPanel } from '../../src/tui/views/EdgesPanel.js';
import { EigenPanel } from '../../src/tui/views/EigenPanel.js';
import { Footer } from '../../src/tui/views/Footer.js';
import { LogPanel } from '../../src/tui/views/LogPanel.js';
import { nodeGrid, VoltagesPanel } from '../../src/tui/views/VoltagesPanel.js';

afterEach(() => cleanup());

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;]*m/g;

/** The last frame without colour codes. */
function frameOf(r: { lastFrame(): string | undefined }): string {
  return (r.lastFrame() ?? '').replace(ANSI, '');
}

/** Let React commit and Ink write (effects, subscriptions, input): a few turns of the event loop, no timeouts. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((res) => setImmediate(res));
}

/** A 4 x 4 lattice with 24 edges, sources 0 and 3, ground 15, targets 5 and 10, mid-run. */
function lattice(): DashboardState {
  const n = 16;
  const positions = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    positions[2 * i] = i % 4;
    positions[2 * i + 1] = Math.floor(i / 4);
  }
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 4 < 3) (a.push(i), b.push(i + 1));
    if (i < 12) (a.push(i), b.push(i + 4));
  }
  const free = Float64Array.from({ length: n }, (_, i) => 0.05 + i * 0.06); // 0.05 … 0.95
  const clamped = Float64Array.from(free, (v) => v * 0.9);
  const settings = Float64Array.from({ length: a.length }, (_, e) => (e * 63) / (a.length - 1));
  return {
    connection: {
      port: 'serial:/dev/ttyACM0',
      identity: { model: 'penn-gen1', firmware: '1.4.2', uid: '0xC0FFEE', protocol: '3.0', nodes: n, edges: a.length },
      link: 'connected',
      reason: null,
      attempt: null,
      retryAt: null,
      stats: { rttMs: 3.25, retries: 2, crcErrors: 1, resets: 0, reconnects: 0 },
    },
    run: {
      state: 'running',
      step: 120,
      steps: 1000,
      rate: 4.5,
      lastStepAt: 1000,
      confirmQuit: false,
      busy: null,
      title: 'xor-4x4',
    },
    voltages: { step: 120, free, clamped, sources: [0, 3], ground: [15], targets: [5, 10], positions },
    edges: { settings, kind: 'tap', range: [0, 63], edgeA: Int32Array.from(a), edgeB: Int32Array.from(b) },
    curve: {
      steps: Array.from({ length: 121 }, (_, i) => i),
      cost: Array.from({ length: 121 }, (_, i) => 0.01 * Math.exp(-i / 40)),
      evals: [
        { step: 0, trainMse: 0.012, testMse: 0.013 },
        { step: 60, trainMse: 0.0021, testMse: 0.0025 },
        { step: 120, trainMse: 0.000341, testMse: 0.000512 },
      ],
      maxPoints: 500,
    },
    alarms: {
      count: 2,
      recent: [
        { step: 40, kind: 'alarm', message: 'node 7 reads 0.9 V off the model' },
        { step: 77, kind: 'warning', message: 'edge 12 saturated at tap 63' },
        { step: 110, kind: 'alarm', message: 'Kirchhoff residual 12 mA at node 3' },
      ],
    },
    eigen: { values: [1.5e-6, 3.2e-5, 4.4e-4], highest: 0.82, at: 5000, step: 100, computing: false, error: null },
    log: {
      lines: [
        { at: 1, level: 'info', text: 'connected to penn-gen1' },
        { at: 2, level: 'warn', text: 'slow link' },
        { at: 3, level: 'error', text: 'read timed out, retrying' },
      ],
      max: 200,
    },
  };
}

const noKey: KeyLike = { ctrl: false, meta: false, escape: false };

describe('ConnectionPanel', () => {
  it('shows port, identity, link statistics and a green link', () => {
    const s = lattice();
    const f = frameOf(render(<ConnectionPanel connection={s.connection} now={0} width={90} height={4} />));
    for (const t of ['serial:/dev/ttyACM0', 'penn-gen1', '0xC0FFEE', '1.4.2', 'protocol 3', '16 nodes', '24 edges', 'connected'])
      expect(f).toContain(t);
    expect(f).toMatch(/rtt 3\.3 ms|rtt 3\.2 ms/);
    expect(f).toContain('retries 2');
    expect(f).toContain('crc 1');
    expect(f).toContain('resets 0');
    expect(f).toContain('reconnects 0');
  });

  it('counts down to the next attempt while reconnecting, and shows the reason', () => {
    const c = { ...lattice().connection, link: 'reconnecting' as const, reason: 'port vanished', attempt: 3, retryAt: 10_000 };
    const f = frameOf(render(<ConnectionPanel connection={c} now={7_200} width={90} height={4} />));
    expect(f).toContain('retry in 3s (attempt 3)');
    expect(f).toContain('port vanished');
  });

  it('shows the reason of a disconnection', () => {
    const c = { ...lattice().connection, link: 'disconnected' as const, reason: 'EIO on read' };
    const f = frameOf(render(<ConnectionPanel connection={c} now={0} width={90} height={4} />));
    expect(f).toContain('disconnected');
    expect(f).toContain('EIO on read');
  });

  it('never draws more lines than it is given', () => {
    const c = { ...lattice().connection, link: 'disconnected' as const, reason: 'EIO on read' };
    expect(frameOf(render(<ConnectionPanel connection={c} now={0} width={90} height={2} />)).split('\n')).toHaveLength(2);
  });
});

describe('VoltagesPanel', () => {
  it('draws the 16 voltages of a 4 x 4 layout as a 4 x 4 grid with roles marked', () => {
    const s = lattice();
    const f = frameOf(render(<VoltagesPanel voltages={{ ...s.voltages, clamped: null }} width={60} height={5} />));
    const lines = f.split('\n');
    expect(lines).toHaveLength(5);
    for (let i = 0; i < 16; i++) expect(f).toContain(s.voltages.free![i].toFixed(2));
    // row 0 holds nodes 0..3: source 0, 1, 2, source 3
    expect(lines[1]).toMatch(/S\s*0\.05\s+0\.11\s+0\.17\s+S\s*0\.23/);
    expect(lines[2]).toMatch(/T\s*0\.35/); // node 5
    expect(lines[4]).toMatch(/G\s*0\.95/); // node 15
  });

  it('shows the clamped voltages below the free ones when there is room', () => {
    const s = lattice();
    const f = frameOf(render(<VoltagesPanel voltages={s.voltages} width={60} height={9} />));
    expect(f.split('\n')).toHaveLength(9);
    expect(f).toContain((0.95 * 0.9).toFixed(2));
    expect(f).toContain('0.95');
  });

  it('lays out nodes without positions in a grid by index', () => {
    const g = nodeGrid(16, null, 10, 10)!;
    expect([g.cols, g.rows]).toEqual([4, 4]);
    expect(Array.from(g.cell.slice(10, 12))).toEqual([1, 1]); // node 5
  });

  it('places every node on its own cell', () => {
    const pos = Float64Array.from({ length: 40 }, (_, i) => Math.sin(i * 12.9898) * 0.5 + 0.5);
    const g = nodeGrid(20, pos, 6, 5)!;
    const cells = new Set<number>();
    for (let i = 0; i < 20; i++) cells.add(g.cell[2 * i + 1] * g.cols + g.cell[2 * i]);
    expect(cells.size).toBe(20);
    expect(g.cols).toBeLessThanOrEqual(6);
    expect(g.rows).toBeLessThanOrEqual(5);
  });

  it('summarises a large network', () => {
    const n = 400;
    const free = Float64Array.from({ length: n }, (_, i) => i / (n - 1));
    const v = { step: 3, free, clamped: null, sources: [0], ground: [1], targets: [200, 399], positions: null };
    const f = frameOf(render(<VoltagesPanel voltages={v} width={70} height={10} />));
    expect(f).toContain('400 nodes');
    expect(f).toContain('min 0.00');
    expect(f).toContain('mean 0.50');
    expect(f).toContain('max 1.00');
    expect(f).toContain('200: 0.50');
    expect(f).toContain('399: 1.00');
  });
});

describe('EdgesPanel', () => {
  it('falls back to one block per edge in edge order, wrapped, with a legend, when the layout does not fit', () => {
    const s = lattice();
    const wide = frameOf(render(<EdgesPanel edges={s.edges} width={60} height={6} />));
    expect(wide.split('\n')[0]).toContain('24 taps 0…63');
    expect(wide.split('\n')[0]).toMatch(/▁ low █ high/);
    expect([...wide.split('\n')[1]].filter((ch) => EDGE_BLOCKS.includes(ch))).toHaveLength(24);
    const f = frameOf(render(<EdgesPanel edges={s.edges} width={10} height={4} />));
    const body = f.split('\n').slice(1);
    const blocks = [...body.join('')].filter((ch) => EDGE_BLOCKS.includes(ch));
    expect(blocks).toHaveLength(24);
    expect(body).toHaveLength(3); // 10 + 10 + 4
    expect(blocks[0]).toBe('▁');
    expect(blocks[23]).toBe('█');
  });

  it('merges edges into blocks when they do not fit', () => {
    const s = lattice();
    expect(frameOf(render(<EdgesPanel edges={s.edges} width={30} height={2} />))).not.toContain('mean of');
    expect(frameOf(render(<EdgesPanel edges={{ ...s.edges, settings: new Float64Array(100) }} width={60} height={2} />))).toContain('mean of 2');
    const f = frameOf(render(<EdgesPanel edges={s.edges} width={10} height={2} />));
    expect([...f.split('\n')[1]].filter((ch) => EDGE_BLOCKS.includes(ch))).toHaveLength(8);
  });
});

describe('CurvePanel', () => {
  it('plots on a log scale and shows the latest values', () => {
    const s = lattice();
    const f = frameOf(render(<CurvePanel curve={s.curve} width={60} height={10} />));
    const lines = f.split('\n');
    expect(lines).toHaveLength(10);
    expect(f).toContain('train 3.41e-4');
    expect(f).toContain('test 5.12e-4');
    expect(f).toContain('cost 4.98e-4');
    expect(f).toMatch(/[\u2801-\u28ff]/);
  });

  it('puts higher values higher', () => {
    const p = braillePlot([{ xs: [0, 1], ys: [100, 1], color: 'red' }], 2, 2)!;
    expect(p.rows[0][0]).not.toBe(' ');
    expect(p.rows[1][0]).toBe(' ');
    expect(p.rows[1][1]).not.toBe(' ');
    expect(p.logHi).toBeCloseTo(2);
    expect(p.logLo).toBeCloseTo(0);
  });
});

describe('AlarmsPanel', () => {
  it('shows the count and the latest alarms, newest first', () => {
    const s = lattice();
    const f = frameOf(render(<AlarmsPanel alarms={s.alarms} width={50} height={5} />));
    const lines = f.split('\n');
    expect(lines[0]).toContain('Alarms 2');
    expect(lines[1]).toContain('Kirchhoff residual');
    expect(lines[2]).toContain('edge 12 saturated');
    expect(lines[3]).toContain('node 7 reads');
    expect(lines.every((l) => l.length <= 50)).toBe(true);
  });

  it('shows the latest residual levels as fractions of the alarm thresholds', () => {
    const s = lattice();
    const f = frameOf(render(<AlarmsPanel alarms={{ ...s.alarms, residual: { step: 42, voltage: 0.31, current: 0.07 } }} width={90} height={5} />));
    expect(f.split('\n')[0]).toMatch(/residuals V 0\.31 I 0\.07 of threshold \(#42\)/);
  });
});

describe('EigenPanel', () => {
  it('shows the eigenvalues, the largest and when they were computed', () => {
    const s = lattice();
    const f = frameOf(render(<EigenPanel eigen={s.eigen} now={8000} width={60} height={6} />));
    for (const t of ['1.50e-6', '3.20e-5', '4.40e-4', '8.20e-1', 'λmax', 'step 100', '3 s ago']) expect(f).toContain(t);
    expect(f).toContain('█');
  });

  it('says when it is computing or failed', () => {
    const e = { values: null, highest: null, at: null, step: null, computing: true, error: 'singular matrix' };
    const f = frameOf(render(<EigenPanel eigen={e} width={60} height={5} />));
    expect(f).toContain('computing…');
    expect(f).toContain('singular matrix');
  });
});

describe('LogPanel', () => {
  it('shows the last lines that fit', () => {
    const s = lattice();
    const f = frameOf(render(<LogPanel log={s.log} width={60} height={3} />));
    expect(f).not.toContain('connected to penn-gen1');
    expect(f).toContain('warn: slow link');
    expect(f).toContain('error: read timed out');
    expect(f.split('\n')).toHaveLength(3);
  });
});

describe('Footer', () => {
  it('lists the keys with the run state, progress and speed', () => {
    const f = frameOf(render(<Footer run={lattice().run} width={160} />));
    for (const t of ['space pause', 's step', 'a abort', 'c calibrate', 'd diagnostics', 'q quit', 'running', 'step 120/1000', '4.5 steps/s'])
      expect(f).toContain(t);
    expect(f.split('\n')).toHaveLength(1);
  });

  it('offers resume when paused, and takes two lines when narrow', () => {
    const f = frameOf(render(<Footer run={{ ...lattice().run, state: 'paused' }} width={80} />));
    expect(f).toContain('space resume');
    expect(f.split('\n')).toHaveLength(2);
  });

  it('asks for confirmation instead of the keys', () => {
    const f = frameOf(render(<Footer run={{ ...lattice().run, confirmQuit: true }} width={100} />));
    expect(f).toContain('Quit while the run is active? y: stop the run and quit, n: keep running');
    expect(f).not.toContain('d diagnostics');
  });
});

describe('Dashboard', () => {
  for (const [columns, rows] of [
    [80, 24],
    [160, 48],
    [100, 20],
    [60, 12],
    [40, 6],
  ] as const) {
    it(`fits ${columns} x ${rows}`, () => {
      const f = frameOf(render(<Dashboard state={lattice()} columns={columns} rows={rows} now={8000} />));
      const lines = f.split('\n');
      expect(lines.length).toBeLessThan(rows);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(columns);
    });
  }

  it('draws the initial dashboard of a setup', () => {
    const state = initialDashboard({
      port: 'pty',
      title: 'demo',
      steps: 10,
      edgeKind: 'gate',
      settingRange: [0, 3.3],
      edgeA: new Int32Array([0, 1]),
      edgeB: new Int32Array([1, 2]),
      sources: [0],
      ground: [2],
      targets: [1],
      positions: null,
    });
    const f = frameOf(render(<Dashboard state={state} columns={100} rows={30} now={0} />));
    expect(f.split('\n').length).toBeLessThan(30);
    for (const t of ['demo', 'pty', 'step 0/10', 'q quit']) expect(f).toContain(t);
  });

  it('shows every panel on a large terminal', () => {
    const f = frameOf(render(<Dashboard state={lattice()} columns={160} rows={48} now={8000} />));
    for (const t of ['xor-4x4', 'Connection', 'Voltages', 'Edges', 'Learning curve', 'Hessian eigenvalues', 'Alarms', 'Log', 'q quit'])
      expect(f).toContain(t);
    expect(f).toContain('0.95');
    expect(f).toContain('test 5.12e-4');
  });

  it('drops the eigenvalues, then the edges, on a small terminal', () => {
    const f = frameOf(render(<Dashboard state={lattice()} columns={80} rows={24} now={8000} />));
    expect(f).not.toContain('Hessian eigenvalues');
    expect(f).not.toContain('Edges');
    for (const t of ['Connection', 'Voltages', 'Learning curve', 'Alarms', 'q quit']) expect(f).toContain(t);
  });

  it('allocates heights within the space, the curve taking the rest', () => {
    const a = allocate(
      [
        { id: 'connection', min: 2, comfy: 4, want: 3, priority: 1 },
        { id: 'curve', min: 4, comfy: 8, want: Infinity, priority: 2 },
        { id: 'eigen', min: 3, comfy: 5, want: 6, priority: 7, optional: true },
      ],
      20,
    );
    expect(a).toEqual([
      { id: 'connection', height: 3 },
      { id: 'curve', height: 11 },
      { id: 'eigen', height: 6 },
    ]);
    const b = allocate(
      [
        { id: 'connection', min: 2, comfy: 4, want: 3, priority: 1 },
        { id: 'curve', min: 4, comfy: 8, want: Infinity, priority: 2 },
        { id: 'eigen', min: 3, comfy: 5, want: 6, priority: 7, optional: true },
      ],
      10,
    );
    expect(b).toEqual([
      { id: 'connection', height: 3 },
      { id: 'curve', height: 7 },
    ]);
  });
});

describe('App', () => {
  it('redraws when state$ emits', async () => {
    const state$ = new BehaviorSubject(lattice());
    const r = render(<App state$={state$} onCommand={() => {}} columns={120} rows={40} />);
    await settle();
    expect(frameOf(r)).toContain('step 120/1000');
    state$.next({ ...lattice(), run: { ...lattice().run, step: 121 } });
    await settle();
    expect(frameOf(r)).toContain('step 121/1000');
  });

  it('follows the terminal size', async () => {
    const r = render(<App state$={new BehaviorSubject(lattice())} onCommand={() => {}} />);
    await settle();
    expect(frameOf(r).split('\n').length).toBeLessThan(24); // ink-testing-library's stdout has no rows: 24 assumed
    Object.defineProperty(r.stdout, 'rows', { value: 12, configurable: true });
    r.stdout.emit('resize');
    await settle();
    expect(frameOf(r).split('\n').length).toBeLessThan(12);
  });

  it('turns keys into commands', async () => {
    const state$ = new BehaviorSubject(lattice());
    const cmds: DashboardCommand[] = [];
    const onCommand = vi.fn((c: DashboardCommand) => void cmds.push(c));
    const r = render(<App state$={state$} onCommand={onCommand} columns={120} rows={40} />);
    await settle();
    const press = async (k: string): Promise<void> => {
      r.stdin.write(k);
      await settle();
    };
    await press(' ');
    await press('s'); // not paused: ignored
    await press('a');
    await press('d');
    await press('c'); // passed on; the session explains why not now
    await press('q');
    expect(cmds).toEqual(['pause', 'abort-request', 'diagnose', 'calibrate', 'quit-request']);

    // a asks first, like q: while the abort question is open, y aborts, n keeps running, other keys do nothing
    cmds.length = 0;
    state$.next({ ...lattice(), run: { ...lattice().run, confirmAbort: true } });
    await settle();
    expect(frameOf(r)).toContain('Abort the run? y: abort now');
    await press('d');
    await press('a');
    await press('q');
    await press('n');
    await press('y');
    expect(cmds).toEqual(['abort-cancel', 'abort-confirm']);

    cmds.length = 0;
    state$.next({ ...lattice(), run: { ...lattice().run, confirmQuit: true } });
    await settle();
    expect(frameOf(r)).toContain('Quit while the run is active?');
    await press('d'); // ignored while asking
    await press('n');
    await press('y');
    expect(cmds).toEqual(['quit-cancel', 'quit-confirm']);

    cmds.length = 0;
    state$.next({ ...lattice(), run: { ...lattice().run, state: 'paused' } });
    await settle();
    await press(' ');
    await press('s');
    await press('c');
    expect(cmds).toEqual(['resume', 'step', 'calibrate']);

    cmds.length = 0;
    state$.next({ ...lattice(), run: { ...lattice().run, state: 'stopped' } });
    await settle();
    await press('q');
    expect(cmds).toEqual(['quit-confirm']);
  });

  it('judges a key by the state drawn last, even when it comes before React has run its effects', async () => {
    // ink re-subscribes a key handler in a passive effect, which React runs in a later task than the render that drew
    // the new state: on a busy machine a key typed at the new screen can come first, and must not be judged against
    // the state before
    const state$ = new BehaviorSubject<ReturnType<typeof lattice>>({ ...lattice(), run: { ...lattice().run, state: 'pausing' } });
    const cmds: DashboardCommand[] = [];
    const r = render(<App state$={state$} onCommand={(c) => void cmds.push(c)} columns={120} rows={40} />);
    await settle();
    // one event-loop turn at a time until the new state is on the screen; the key goes in at once (as a user's
    // would in the same turn on a loaded machine), before the turn in which React runs the effects
    const drawn = async (re: RegExp): Promise<void> => {
      while (!re.test(frameOf(r))) await new Promise<void>((res) => setImmediate(res));
    };
    state$.next({ ...lattice(), run: { ...lattice().run, state: 'paused' } });
    await drawn(/paused\s+step/);
    r.stdin.write('s');
    state$.next({ ...lattice(), run: { ...lattice().run, state: 'running', confirmQuit: true } });
    await drawn(/Quit while the run is active\?/);
    r.stdin.write('y');
    await settle();
    expect(cmds).toEqual(['step', 'quit-confirm']);
  });
});

describe('key decisions', () => {
  const ctx = (state: DashboardState['run']['state'], confirmQuit = false) => ({ state, confirmQuit });

  it('space pauses or resumes where that applies', () => {
    expect(runKeyAction(' ', noKey, ctx('running'))).toBe('pause-resume');
    expect(runKeyAction(' ', noKey, ctx('paused'))).toBe('pause-resume');
    expect(runKeyAction(' ', noKey, ctx('idle'))).toBe('pause-resume');
    expect(runKeyAction(' ', noKey, ctx('stopped'))).toBeNull();
    expect(runKeyAction(' ', noKey, ctx('aborting'))).toBeNull();
  });

  it('s only steps when paused, a aborts an active run', () => {
    expect(runKeyAction('s', noKey, ctx('paused'))).toBe('step');
    expect(runKeyAction('s', noKey, ctx('running'))).toBeNull();
    expect(runKeyAction('a', noKey, ctx('running'))).toBe('abort-request');
    expect(runKeyAction('a', noKey, ctx('paused'))).toBe('abort-request');
    expect(runKeyAction('a', noKey, ctx('aborting'))).toBeNull();
    expect(runKeyAction('a', noKey, ctx('failed'))).toBeNull();
  });

  it('the abort question: y aborts, n or Escape keeps running, every other key is ignored', () => {
    const asking = { state: 'running' as const, confirmQuit: false, confirmAbort: true };
    expect(runKeyAction('y', noKey, asking)).toBe('abort-confirm');
    expect(runKeyAction('Y', noKey, asking)).toBe('abort-confirm');
    expect(runKeyAction('n', noKey, asking)).toBe('abort-cancel');
    expect(runKeyAction('', { ...noKey, escape: true }, asking)).toBe('abort-cancel');
    for (const k of ['a', 'q', ' ', 's']) expect(runKeyAction(k, noKey, asking)).toBeNull();
    expect(actionsEnabled({ busy: null, confirmQuit: false, confirmAbort: true })).toBe(false);
  });

  it('q asks while a run is active, else quits at once; Ctrl-C is q', () => {
    expect(runKeyAction('q', noKey, ctx('running'))).toBe('quit-request');
    expect(runKeyAction('q', noKey, ctx('paused'))).toBe('quit-request');
    expect(runKeyAction('q', noKey, ctx('stopped'))).toBe('quit-confirm');
    expect(runKeyAction('q', noKey, ctx('idle'))).toBe('quit-confirm');
    expect(runKeyAction('c', { ...noKey, ctrl: true }, ctx('running'))).toBe('quit-request');
  });

  it('while asking, only y, n and Escape count', () => {
    expect(runKeyAction('y', noKey, ctx('running', true))).toBe('quit-confirm');
    expect(runKeyAction('n', noKey, ctx('running', true))).toBe('quit-cancel');
    expect(runKeyAction('', { ...noKey, escape: true }, ctx('running', true))).toBe('quit-cancel');
    expect(runKeyAction(' ', noKey, ctx('running', true))).toBeNull();
    expect(runKeyAction('a', noKey, ctx('running', true))).toBeNull();
    expect(runKeyAction('q', noKey, ctx('running', true))).toBeNull();
    expect(runKeyAction('y', noKey, ctx('running'))).toBeNull();
  });

  it('action keys only when enabled, and not as Ctrl chords', () => {
    expect(actionKeyAction('c', noKey, { enabled: true })).toBe('calibrate');
    expect(actionKeyAction('d', noKey, { enabled: true })).toBe('diagnose');
    expect(actionKeyAction('d', noKey, { enabled: false })).toBeNull();
    expect(actionKeyAction('c', { ...noKey, ctrl: true }, { enabled: true })).toBeNull();
    expect(actionKeyAction('x', noKey, { enabled: true })).toBeNull();
    expect(actionsEnabled({ busy: 'calibrating', confirmQuit: false })).toBe(false);
    expect(actionsEnabled({ busy: null, confirmQuit: true })).toBe(false);
    expect(canCalibrate({ state: 'paused', busy: null, confirmQuit: false })).toBe(true);
    expect(canCalibrate({ state: 'stopped', busy: null, confirmQuit: false })).toBe(true);
    expect(canCalibrate({ state: 'running', busy: null, confirmQuit: false })).toBe(false);
  });
});
