/**
 * Engine benchmark (issue 4, point 6): what the training engine (src/pipeline: runControl state machine, RxJS
 * streams, link-retry wrapper, per-step bookkeeping) costs per step on top of the board operations themselves.
 *
 * Per case, the same host-stepped coupled-learning steps on an ideal in-process twin (stopped clock, so every run
 * does identical work):
 * - `loop`: a plain `for` loop awaiting `stepOnBoard` (the same step body the engine runs), no RxJS — the baseline;
 * - `engine`: `new TrainingEngine(board, plan).run()` with a subscriber on `steps$`;
 * - `core` (for information): the same step written synchronously against the twin's core (TwinBoardCore), i.e. the
 *   physics called directly, without the async Board layer.
 * Time per step: the median interval between the ends of consecutive steps, over all the intervals of all rounds
 * pooled per side (so the evaluations before and after a run are not counted, and neither are GC pauses or moments
 * when another process had the CPU). Loop and engine run in alternation, many short rounds, so that both see the same
 * machine load; ratio = engine median / loop median. Process CPU time per step is reported too (it counts
 * everything, including GC). Target: engine / loop <= 1.2.
 *
 * The engine's own cost is also measured alone, on a null board (every call resolves at once with fixed values, no
 * physics, no event-loop turn): microseconds per step of the engine over the plain loop, far less noisy than the
 * ratios on a shared machine.
 *
 * Cases: penn-gen1 (16 nodes, 33 tap edges) and a 64 x 64 lattice board (4096 nodes, 12033 tap edges) built here as
 * a BoardModel with penn-gen1's edge pattern (right, down, diagonal down-right) and converters.
 */
import { cpus, loadavg } from 'node:os';
import { EMPTY, NEVER } from 'rxjs';
import type { Board, BoardIdentity } from '../src/device/Board.js';
import { InProcessTwinBoard } from '../src/device/InProcessTwinBoard.js';
import { linearTask } from '../src/physics/generators/linearTask.js';
import type { Task } from '../src/physics/Task.js';
import { cost } from '../src/physics/cost.js';
import { epochCache } from '../src/physics/exampleOrder.js';
import { TrainingEngine } from '../src/pipeline/TrainingEngine.js';
import { planExample, resolvePlan } from '../src/pipeline/TrainingPlan.js';
import { sourceMap, stepOnBoard, type StepContext } from '../src/pipeline/stepOnBoard.js';
import { loadBoardModel, type BoardModel } from '../twins/BoardModel.js';
import { TwinBoardCore } from '../twins/TwinBoardCore.js';
import { ms, ratio, table } from './timing.js';

export interface EngineCase {
  name: string;
  nodes: number;
  edges: number;
  /** Steps per run, and rounds (each one loop run and one engine run). */
  steps: number;
  repetitions: number;
  /** ms per step: median interval between steps over all rounds, and process CPU time per step over all rounds. */
  loop: { wallMs: number; cpuMs: number };
  engine: { wallMs: number; cpuMs: number };
  core: { wallMs: number; cpuMs: number };
  /** engine.wallMs / loop.wallMs (the target's measure). */
  ratio: number;
  /** engine.cpuMs / loop.cpuMs. */
  cpuRatio: number;
}

export interface EngineResults {
  target: number;
  /** Null board: µs per step of the plain loop and of the engine (medians of 5 alternating runs of 100000 steps). */
  nullBoard: { loopUs: number; engineUs: number; overheadUs: number };
  /** os.loadavg() at the start and the end: the figures are only as steady as the machine was. */
  loadavg: { start: number[]; end: number[] };
  cases: EngineCase[];
}

/** A rows x cols lattice board with penn-gen1's edges (right, down, diagonal down-right), every node drivable and clampable. */
export function latticeBoardModel(rows: number, cols: number): BoardModel {
  const base = loadBoardModel('penn-gen1');
  const edges: [number, number][] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const n = r * cols + c;
      if (c + 1 < cols) edges.push([n, n + 1]);
      if (r + 1 < rows) edges.push([n, n + cols]);
      if (r + 1 < rows && c + 1 < cols) edges.push([n, n + cols + 1]);
    }
  }
  const all = Array.from({ length: rows * cols }, (_, i) => i);
  return {
    ...base,
    name: `lattice-${rows}x${cols}`,
    uid: '5e1f4096',
    nodes: rows * cols,
    edges,
    drivable: all,
    clampable: [...all],
    positions: all.map((i) => [i % cols, Math.floor(i / cols)] as [number, number]),
    description: `${rows}x${cols} triangulated lattice (benchmark board)`,
  };
}

interface Case {
  name: string;
  model: BoardModel;
  task: Task;
  steps: number;
  repetitions: number;
}

function cases(): Case[] {
  const gen1 = loadBoardModel('penn-gen1');
  const small = linearTask({ matrix: [[0.15, 0.3], [0.2, 0.1]], sources: [0, 3], targets: [9, 10], ground: [15], count: 20, test: 0, seed: 1 });
  const big = latticeBoardModel(64, 64);
  const mid = 32 * 64;
  const large = linearTask({
    matrix: [[0.15, 0.3], [0.2, 0.1]],
    sources: [0, 63],
    targets: [mid + 20, mid + 44],
    ground: [4095],
    count: 4,
    test: 0,
    seed: 1,
    nodes: 4096,
  });
  return [
    { name: 'penn-gen1 (16 nodes)', model: gen1, task: small, steps: 200, repetitions: 40 },
    { name: 'lattice 64x64 (4096 nodes)', model: big, task: large, steps: 8, repetitions: 16 },
  ];
}

const board = (model: BoardModel): InProcessTwinBoard => new InProcessTwinBoard(new TwinBoardCore(model, { ideal: true, seed: 1 }));

/** Step-end marks of one run: wall-clock intervals, and the process CPU time from the first step end to the last. */
class StepClock {
  private last = NaN;
  private readonly intervals: number[] = [];
  private cpu0: NodeJS.CpuUsage | undefined;
  private cpuUs = NaN;
  private n = 0;
  constructor(private readonly steps: number) {}
  mark(): void {
    const t = performance.now();
    if (this.n > 0) this.intervals.push(t - this.last);
    this.last = t;
    this.n++;
    if (this.n === 1) this.cpu0 = process.cpuUsage();
    else if (this.n === this.steps) {
      const d = process.cpuUsage(this.cpu0);
      this.cpuUs = d.user + d.system;
    }
  }
  result(): Timing {
    return { intervals: this.intervals, cpuMs: this.cpuUs / 1000, cpuSteps: this.steps - 1 };
  }
}

/** One run: the intervals between its steps (ms), and CPU time (ms) over cpuSteps steps. */
interface Timing {
  intervals: number[];
  cpuMs: number;
  cpuSteps: number;
}

async function loopRun(c: Case): Promise<Timing> {
  const b = board(c.model);
  const plan = resolvePlan({ task: c.task, steps: c.steps, order: 'sequential' });
  const ctx: StepContext = { board: b, id: await b.identify(), task: c.task, update: 'host', eta: plan.eta, amp: plan.amp, samples: plan.samples };
  const cache = epochCache();
  const clock = new StepClock(plan.steps);
  for (let s = 0; s < plan.steps; s++) {
    await stepOnBoard(ctx, s, planExample(plan, s, cache));
    clock.mark();
  }
  await b.close();
  return clock.result();
}

async function engineRun(c: Case): Promise<Timing> {
  const b = board(c.model);
  const engine = new TrainingEngine(b, { task: c.task, steps: c.steps, order: 'sequential' });
  const clock = new StepClock(c.steps);
  engine.steps$.subscribe(() => clock.mark());
  await engine.run();
  await b.close();
  return clock.result();
}

/** The host step written synchronously against the core (the physics without the async Board layer). */
function coreRun(c: Case): Timing {
  const core = new TwinBoardCore(c.model, { ideal: true, seed: 1 });
  const id = core.identity();
  const plan = resolvePlan({ task: c.task, steps: c.steps, order: 'sequential' });
  const task = c.task;
  const cache = epochCache();
  const clock = new StepClock(plan.steps);
  for (let s = 0; s < plan.steps; s++) {
    const ex = task.train[planExample(plan, s, cache)];
    core.setClamps([]);
    core.setSources([...sourceMap(task, ex)]);
    const vf = core.measure(plan.samples);
    const clamps: [number, number][] = [];
    task.targets.forEach((n, i) => clamps.push([n, Math.min(id.dac.hi, Math.max(id.dac.lo, vf[n] + plan.eta * (ex.out[i] - vf[n])))]));
    core.setClamps(clamps);
    const vc = core.measure(plan.samples);
    core.setClamps([]);
    const settings = core.edgeSettings();
    const next: [number, number][] = [];
    const taps = id.edge.kind === 'tap' ? id.edge.taps : 0;
    for (let e = 0; e < id.edges.length; e++) {
      const [a, b] = id.edges[e];
      const d = (vf[b] - vf[a]) ** 2 - (vc[b] - vc[a]) ** 2;
      const tap = Math.min(taps - 1, Math.max(0, settings[e] + Math.sign(d)));
      if (tap !== settings[e]) next.push([e, tap]);
    }
    if (next.length) core.setEdges(next);
    cost(vf, task.targets, ex.out);
    clock.mark();
  }
  return clock.result();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A board whose calls cost nothing (penn-gen1's identity, fixed readings): what remains is the host's own work. */
function nullBoard(id: BoardIdentity): Board {
  const v = new Float64Array(id.nodes);
  const settings = new Float64Array(id.edges.length).fill(50);
  return {
    identify: async () => id,
    setSources: async () => undefined,
    setClamps: async () => undefined,
    measure: async () => v,
    readEdges: async () => settings,
    writeEdges: async () => undefined,
    deviceStep: async () => ({ freeTargets: new Float64Array(2), changed: 0, settings: new Float64Array(33) }),
    runSchedule: () => EMPTY,
    reset: async () => undefined,
    events: NEVER,
    close: async () => undefined,
  };
}

async function nullBoardOverhead(task: Task): Promise<EngineResults['nullBoard']> {
  const id = new TwinBoardCore(loadBoardModel('penn-gen1')).identity();
  const steps = 100_000;
  const loop = async (): Promise<number> => {
    const ctx: StepContext = { board: nullBoard(id), id, task, update: 'host', eta: 0.1, amp: 0.5, samples: 16 };
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) await stepOnBoard(ctx, s, s % task.train.length);
    return ((performance.now() - t0) / steps) * 1000;
  };
  const engine = async (): Promise<number> => {
    const e = new TrainingEngine(nullBoard(id), { task, steps, order: 'sequential' });
    let t0 = 0;
    let t1 = 0;
    e.steps$.subscribe((r) => {
      if (r.step === 0) t0 = performance.now();
      else if (r.step === steps - 1) t1 = performance.now();
    });
    await e.run();
    return ((t1 - t0) / (steps - 1)) * 1000;
  };
  const l: number[] = [];
  const e: number[] = [];
  for (let r = 0; r < 5; r++) {
    l.push(await loop());
    e.push(await engine());
  }
  const loopUs = median(l);
  const engineUs = median(e);
  return { loopUs, engineUs, overheadUs: engineUs - loopUs };
}

/** Run both cases; `log` gets progress lines. */
export async function runEngineBench(log: (s: string) => void = () => undefined): Promise<EngineResults> {
  const out: EngineCase[] = [];
  const start = loadavg();
  for (const c of cases()) {
    log(`bench: engine, ${c.name} ...`);
    // warm-up (JIT, factorisation caches of a fresh process)
    await loopRun({ ...c, steps: Math.min(c.steps, 200) });
    await engineRun({ ...c, steps: Math.min(c.steps, 200) });
    const loop: Timing[] = [];
    const engine: Timing[] = [];
    const core: Timing[] = [];
    for (let r = 0; r < c.repetitions; r++) {
      // alternate the order, so that neither side always runs first
      if (r % 2 === 0) {
        loop.push(await loopRun(c));
        engine.push(await engineRun(c));
      } else {
        engine.push(await engineRun(c));
        loop.push(await loopRun(c));
      }
      core.push(coreRun(c));
    }
    const side = (xs: Timing[]): { wallMs: number; cpuMs: number } => ({
      wallMs: median(xs.flatMap((x) => x.intervals)),
      cpuMs: xs.reduce((a, x) => a + x.cpuMs, 0) / xs.reduce((a, x) => a + x.cpuSteps, 0),
    });
    const l = side(loop);
    const e = side(engine);
    out.push({
      name: c.name,
      nodes: c.model.nodes,
      edges: c.model.edges.length,
      steps: c.steps,
      repetitions: c.repetitions,
      loop: l,
      engine: e,
      core: side(core),
      ratio: e.wallMs / l.wallMs,
      cpuRatio: e.cpuMs / l.cpuMs,
    });
  }
  log('bench: engine, null board ...');
  const nb = await nullBoardOverhead(cases()[0].task);
  return { target: 1.2, nullBoard: nb, loadavg: { start, end: loadavg() }, cases: out };
}

/** The results as a table with a verdict line. */
export function printEngine(r: EngineResults): string {
  const rows = r.cases.map((c) => [
    c.name,
    String(c.nodes),
    String(c.edges),
    `${c.repetitions}x${c.steps}`,
    ms(c.core.wallMs),
    ms(c.loop.wallMs),
    ms(c.engine.wallMs),
    ratio(c.ratio),
    ms(c.loop.cpuMs),
    ms(c.engine.cpuMs),
    ratio(c.cpuRatio),
  ]);
  const met = r.cases.every((c) => c.ratio <= r.target);
  return (
    table(['case', 'N', 'E', 'rounds x steps', 'core', 'loop', 'engine', 'engine/loop', 'loop cpu', 'engine cpu', 'cpu ratio'], rows) +
    `\n\nms per step: median interval between steps (core, loop, engine), process CPU time per step (cpu). ` +
    `Target engine/loop <= ${r.target}: ${met ? 'met' : 'NOT met'}. core = the step synchronously on the twin's core, for information; ` +
    `load average ${r.loadavg.start[0].toFixed(1)} -> ${r.loadavg.end[0].toFixed(1)} on ${cpus().length} CPUs.\n` +
    `Null board (no physics, no event-loop turn): loop ${r.nullBoard.loopUs.toFixed(2)} us/step, engine ${r.nullBoard.engineUs.toFixed(2)} us/step: ` +
    `the engine's own cost is ${r.nullBoard.overheadUs.toFixed(2)} us per step.\n`
  );
}
