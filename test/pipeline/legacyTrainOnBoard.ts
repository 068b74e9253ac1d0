// The training loop as it was before the engine (commit 20bbf21, src/pipeline/trainOnBoard.ts), kept as the
// reference the engine must reproduce step for step. Test-only.
import { BoardDisconnectedError, BoardTimeoutError, InvalidInputError, show } from '../../src/errors.js';
import type { Board, BoardIdentity } from '../../src/device/Board.js';
import { exampleIndex, epochCache, type ExampleOrder } from '../../src/physics/exampleOrder.js';
import { squaredError, cost } from '../../src/physics/cost.js';
import type { Example, Task } from '../../src/physics/Task.js';

/** Where the contrast update is computed. */
export type UpdateSite = 'host' | 'device';

/** Options of a training run on a board (hardware or twin). */
export interface BoardTrainOptions {
  /** 'host': measure free and clamped states, compute the update on the host, write absolute settings; 'device': the board's own STEP. Default 'host'. */
  update?: UpdateSite;
  /** Clamping strength, (0, 1]; default 0.1. */
  eta?: number;
  /** Gate boards: update gain in V/V^2 (gate volts per squared-volt difference); default 0.5. */
  amp?: number;
  /** Number of steps; default 1000. */
  steps?: number;
  order?: ExampleOrder;
  seed?: number;
  /** ADC samples averaged per measurement; default 16. */
  samples?: number;
  /** How many times one step is retried after the link failed under it; default 5. */
  stepRetries?: number;
  /** Called after each step. */
  onStep?: (r: BoardStepRecord) => void;
  signal?: AbortSignal;
}

/** One recorded step. */
export interface BoardStepRecord {
  step: number;
  example: number;
  /** Cost of the measured free state, V^2. */
  cost: number;
  changed: number;
  /** Attempts it took (1 = no link trouble). */
  attempts: number;
}

export interface BoardTrainResult {
  steps: number;
  /** Final edge settings (taps or gate volts). */
  settings: Float64Array;
  trainMse: number;
  testMse: number;
  initialTrainMse: number;
  initialTestMse: number;
  /** Steps that had to be redone after link trouble. */
  redoneSteps: number;
}

interface Resolved {
  update: UpdateSite;
  eta: number;
  amp: number;
  steps: number;
  order: ExampleOrder;
  seed: number;
  samples: number;
  stepRetries: number;
}

function resolve(o: BoardTrainOptions): Resolved {
  const r: Resolved = {
    update: o.update ?? 'host',
    eta: o.eta ?? 0.1,
    amp: o.amp ?? 0.5,
    steps: o.steps ?? 1000,
    order: o.order ?? 'shuffle',
    seed: o.seed ?? 0,
    samples: o.samples ?? 16,
    stepRetries: o.stepRetries ?? 5,
  };
  const bad = (field: string, rule: string, v: unknown): never => {
    throw new InvalidInputError({ field }, `${field} ${rule}, got ${show(v)}`);
  };
  if (r.update !== 'host' && r.update !== 'device') bad('update', 'must be host or device', r.update);
  if (!(r.eta > 0 && r.eta <= 1)) bad('eta', 'must be a number in (0, 1]', r.eta);
  if (!(Number.isFinite(r.amp) && r.amp > 0)) bad('amp', 'must be a finite number > 0', r.amp);
  if (!(Number.isInteger(r.steps) && r.steps >= 0)) bad('steps', 'must be an integer >= 0', r.steps);
  if (!(Number.isInteger(r.samples) && r.samples >= 1 && r.samples <= 1024)) bad('samples', 'must be an integer in 1..1024', r.samples);
  return r;
}

/** Check that the task's node roles are possible on this board. */
export function checkTaskOnBoard(task: Task, id: BoardIdentity, source = 'task'): void {
  for (const [field, nodes, allowed, what] of [
    ['sources', task.sources, id.drivable, 'drivable'],
    ['ground', task.ground, id.drivable, 'drivable'],
    ['targets', task.targets, id.clampable, 'clampable'],
  ] as const) {
    nodes.forEach((n, i) => {
      if (n >= id.nodes || !allowed.includes(n)) {
        throw new InvalidInputError(
          { source, field: `${field}[${i}]` },
          `node ${n} is not ${what} on board ${id.model} (${what} nodes: ${allowed.join(',')})`,
          `choose ${field} among the board's ${what} nodes`,
        );
      }
    });
  }
}

/**
 * Online coupled learning on a board, one example per step, in the same order as the in-process Trainer.
 * A step that fails because the link dropped or timed out is redone from the start: the board layer has already
 * restored the last acknowledged state, and every write is absolute, so nothing is applied twice.
 */
export async function legacyTrainOnBoard(board: Board, task: Task, options: BoardTrainOptions = {}): Promise<BoardTrainResult> {
  const cfg = resolve(options);
  const id = await board.identify();
  checkTaskOnBoard(task, id);
  const cache = epochCache();
  const initialTrainMse = (await withLinkRetry(() => boardMse(board, task, task.train, cfg.samples), cfg.stepRetries)).value;
  const initialTestMse = (await withLinkRetry(() => boardMse(board, task, task.test, cfg.samples), cfg.stepRetries)).value;
  let redone = 0;
  for (let s = 0; s < cfg.steps; s++) {
    options.signal?.throwIfAborted();
    const idx = exampleIndex(cfg.order, s, task.train.length, cfg.seed, cache);
    const ex = task.train[idx];
    const { value: r, attempts } = await withLinkRetry(
      () => (cfg.update === 'host' ? hostStep(board, id, task, ex, cfg) : deviceStep(board, task, ex, cfg)),
      cfg.stepRetries,
    );
    redone += attempts - 1;
    options.onStep?.({ step: s, example: idx, cost: r.cost, changed: r.changed, attempts });
  }
  const final = await withLinkRetry(async () => {
    await board.setClamps(new Map());
    return {
      settings: await board.readEdges(),
      trainMse: await boardMse(board, task, task.train, cfg.samples),
      testMse: await boardMse(board, task, task.test, cfg.samples),
    };
  }, cfg.stepRetries);
  return { steps: cfg.steps, ...final.value, initialTrainMse, initialTestMse, redoneSteps: redone };
}

/**
 * Run `fn`, redoing it from the start when the link drops or times out under it (the board layer restores the
 * last acknowledged state before the redo). Other errors pass through.
 */
export async function withLinkRetry<T>(fn: () => Promise<T>, retries: number): Promise<{ value: T; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await fn(), attempts: attempt };
    } catch (err) {
      const linkTrouble = err instanceof BoardDisconnectedError || err instanceof BoardTimeoutError;
      if (!linkTrouble || attempt > retries) throw err;
    }
  }
}

function sourceMap(task: Task, ex: Example): Map<number, number> {
  const m = new Map<number, number>();
  task.sources.forEach((n, i) => m.set(n, ex.in[i]));
  task.ground.forEach((n) => m.set(n, 0));
  return m;
}

async function hostStep(board: Board, id: BoardIdentity, task: Task, ex: Example, cfg: Resolved): Promise<{ cost: number; changed: number }> {
  // Start from a known state: clamps released (a redo may follow a restore that re-applied them).
  await board.setClamps(new Map());
  await board.setSources(sourceMap(task, ex));
  const vf = await board.measure(cfg.samples);
  const clamps = new Map<number, number>();
  task.targets.forEach((n, i) => clamps.set(n, vf[n] + cfg.eta * (ex.out[i] - vf[n])));
  await board.setClamps(clampToDac(clamps, id));
  const vc = await board.measure(cfg.samples);
  await board.setClamps(new Map());
  const settings = await currentSettings(board);
  const next = new Map<number, number>();
  id.edges.forEach(([a, b], e) => {
    const df = vf[b] - vf[a];
    const dc = vc[b] - vc[a];
    const d = df * df - dc * dc;
    if (id.edge.kind === 'tap') {
      const t = Math.min(id.edge.taps - 1, Math.max(0, settings[e] + (d > 0 ? 1 : d < 0 ? -1 : 0)));
      if (t !== settings[e]) next.set(e, t);
    } else {
      const g = Math.min(id.edge.hi, Math.max(id.edge.lo, settings[e] + cfg.amp * d));
      if (g !== settings[e]) next.set(e, g);
    }
  });
  if (next.size > 0) await board.writeEdges(next);
  return { cost: cost(vf, task.targets, ex.out), changed: next.size };
}

/** The board's settings as last acknowledged (read fresh: cheap on a 16-node board, and never stale after a restore). */
async function currentSettings(board: Board): Promise<Float64Array> {
  return board.readEdges();
}

function clampToDac(m: Map<number, number>, id: BoardIdentity): Map<number, number> {
  const out = new Map<number, number>();
  for (const [n, v] of m) out.set(n, Math.min(id.dac.hi, Math.max(id.dac.lo, v)));
  return out;
}

async function deviceStep(board: Board, task: Task, ex: Example, cfg: Resolved): Promise<{ cost: number; changed: number }> {
  await board.setClamps(new Map());
  await board.setSources(sourceMap(task, ex));
  const targets = new Map<number, number>();
  task.targets.forEach((n, i) => targets.set(n, ex.out[i]));
  const r = await board.deviceStep(targets, cfg.eta, cfg.amp);
  let c = 0;
  task.targets.forEach((_, i) => (c += (r.freeTargets[i] - ex.out[i]) ** 2));
  return { cost: 0.5 * c, changed: r.changed };
}

/** Mean squared error per target over `examples`, measured on the board (V^2; NaN if none). */
export async function boardMse(board: Board, task: Task, examples: Example[], samples: number): Promise<number> {
  if (examples.length === 0) return NaN;
  await board.setClamps(new Map());
  let sum = 0;
  for (const ex of examples) {
    await board.setSources(sourceMap(task, ex));
    sum += squaredError(await board.measure(samples), task.targets, ex.out);
  }
  return sum / examples.length;
}
