/**
 * One coupled-learning step on a Board, and the other board operations a training run is made of (evaluation,
 * leaving the board safe). Plain async functions, no RxJS: the engine (TrainingEngine.ts) and the benchmark's plain
 * loop call the same bodies.
 *
 * Every value written is absolute, so a step that failed half-way because the link dropped can be redone from the
 * start ({@link withLinkRetry}): the board layer has restored the last acknowledged state, and nothing is applied
 * twice.
 */
import { edgeContrast, gateStep, tapStep } from '../physics/edgeSteps.js';
import { wireNumber } from '../../firmware-protocol/codec.js';
import { BoardDisconnectedError, BoardTimeoutError, InvalidInputError } from '../errors.js';
import type { Board, BoardIdentity, DeviceStepResult } from '../device/Board.js';
import { cost, squaredError } from '../physics/cost.js';
import type { Example, Task } from '../physics/Task.js';
import type { Calibration } from '../calibration/Calibration.js';
import type { UpdateSite } from './TrainingPlan.js';

/** What a step needs besides the example. */
export interface StepContext {
  board: Board;
  /** The board's identity (node roles, DAC range, edge kind). */
  id: BoardIdentity;
  task: Task;
  update: UpdateSite;
  eta: number;
  amp: number;
  samples: number;
  /**
   * A calibration of this board. Host-stepped: the sources and clamps are commanded so that the board imposes the
   * intended voltages (DAC gain and offset), the readings are turned into volts (ADC gain and offset) before the
   * rule sees them, and a gate edge's step is scaled by s_mean / s_e so that every edge's conductance moves alike.
   * Device-stepped: the sources are corrected and the targets sent in the ADC's units (the board compares them with
   * its own readings). Costs and MSEs are then in calibrated volts; the recorded readings stay raw.
   */
  calibration?: Calibration;
}

/** Everything one step measured and did, for a recorder and a checker. */
export interface StepResult {
  /** Step number (absolute, 0-based). */
  step: number;
  /** Index of the training example used. */
  example: number;
  update: UpdateSite;
  /** Source voltages of the example (task.sources order), V. */
  inputs: Float64Array;
  /** Desired target voltages (task.targets order), V. */
  desired: Float64Array;
  /**
   * Measured free-state readings, V, as the ADC reported them (raw, also with a calibration): every node when
   * host-stepped; device-stepped only the targets' (task.targets order), which is all the board's STEP reports.
   */
  vf: Float64Array;
  /** Free-state voltages at the targets (task.targets order), V, in both modes; calibrated volts with a calibration. */
  freeTargets: Float64Array;
  /** Host-stepped: measured clamped-state readings of every node, V (raw). */
  vc?: Float64Array;
  /**
   * Edge settings (taps or gate volts) after the step: host-stepped, those read before the update with the written
   * ones applied (gate volts as written, which the board keeps to the wire's 1 uV); device-stepped, as the board
   * reported them with its STEP reply.
   */
  settingsAfter: Float64Array;
  /** Number of edges whose setting changed. */
  changed: number;
  /** Cost of the free state, 1/2 sum_T (V_T^F - V_T^*)^2, V^2 (calibrated volts with a calibration). */
  cost: number;
  /** Voltages commanded in the free state: sources and ground (node -> V, the DAC commands). */
  imposedFree: Map<number, number>;
  /**
   * Voltages commanded in the clamped state: sources, ground and the clamped targets (node -> V, clamps limited to
   * the DAC range). Device-stepped, the clamps are those the board's rule computes from the reported free state.
   */
  imposedClamped: Map<number, number>;
  /** Attempts the step took (1 = no link trouble). */
  attempts: number;
}

/**
 * Check that the task is possible on this board before anything is sent, whichever side computes the update
 * (InvalidInputError naming the task's field otherwise): every node role exists on the board, and every voltage the
 * task asks the board to impose (sources at each example's inputs, ground at 0 V, targets at each example's desired
 * outputs, which bound every clamp between the free state and the target) lies in the board's DAC range. Out-of-range
 * targets used to be limited to the range without a word in host-stepped runs while device-stepped runs refused them.
 * With a calibration, the DAC command that corrects an in-range voltage for a channel's gain and offset is still
 * limited to the range (at most the channel's offset beyond a rail: the nearest voltage the channel can make).
 */
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
  const { lo, hi } = id.dac;
  const range = `the DAC range of board ${id.model}, ${lo}..${hi} V`;
  if (task.ground.length > 0 && !(lo <= 0 && 0 <= hi)) {
    throw new InvalidInputError({ source, field: 'ground' }, `ground nodes are held at 0 V, outside ${range}`, 'use a board whose DAC range includes 0 V, or drive the reference node as a source at a voltage in range');
  }
  for (const set of ['train', 'test'] as const) {
    task[set].forEach((ex, k) => {
      for (const [key, values, role] of [
        ['in', ex.in, 'source'],
        ['out', ex.out, 'target'],
      ] as const) {
        values.forEach((v, i) => {
          // as the wire carries it (6 decimals), which is what the board checks
          const w = wireNumber(v);
          if (!(w >= lo && w <= hi)) {
            throw new InvalidInputError(
              { source, field: `${set}[${k}].${key}[${i}]` },
              `${role} voltage ${v} V is outside ${range}; the board cannot ${role === 'source' ? 'drive' : 'clamp'} it`,
              `rescale the task's ${role} voltages into ${lo}..${hi} V`,
            );
          }
        });
      }
    });
  }
}

/** Sources of an example: the task's sources at the example's inputs, ground at 0 V. */
export function sourceMap(task: Task, ex: Example): Map<number, number> {
  const m = new Map<number, number>();
  task.sources.forEach((n, i) => m.set(n, ex.in[i]));
  task.ground.forEach((n) => m.set(n, 0));
  return m;
}

/**
 * The DAC commands that impose `volts` (node -> V) through the calibrated channels of `kind`, limited to the DAC
 * range; without a calibration, the values themselves.
 */
export function commandsFor(volts: Map<number, number>, kind: 'drive' | 'clamp', id: BoardIdentity, cal?: Calibration): Map<number, number> {
  if (!cal) return volts;
  const out = new Map<number, number>();
  for (const [n, v] of volts) out.set(n, cal.commandFor(n, v, kind));
  return clampToDac(out, id);
}

function clampToDac(m: Map<number, number>, id: BoardIdentity): Map<number, number> {
  const out = new Map<number, number>();
  for (const [n, v] of m) out.set(n, Math.min(id.dac.hi, Math.max(id.dac.lo, v)));
  return out;
}

function withClamps(sources: Map<number, number>, clamps: Map<number, number>): Map<number, number> {
  const m = new Map(sources);
  for (const [n, v] of clamps) m.set(n, v);
  return m;
}

/** One step on example `example` (index `exampleIdx` of the training set), host- or device-stepped. */
export function stepOnBoard(ctx: StepContext, step: number, exampleIdx: number): Promise<StepResult> {
  const ex = ctx.task.train[exampleIdx];
  return ctx.update === 'host' ? hostStep(ctx, step, exampleIdx, ex) : deviceStep(ctx, step, exampleIdx, ex);
}

/**
 * Host-stepped: release clamps, set the sources, measure the free state, clamp the targets at
 * V_F + eta (V* - V_F), measure the clamped state, release the clamps, and write the absolute settings of the edges
 * that move (tap boards one tap by the sign of (dV_F)^2 - (dV_C)^2; gate boards by amp times it, limited to the
 * board's gstep per step as its own STEP is).
 */
async function hostStep(ctx: StepContext, step: number, exampleIdx: number, ex: Example): Promise<StepResult> {
  const { board, id, task } = ctx;
  const cal = ctx.calibration;
  const imposedFree = commandsFor(sourceMap(task, ex), 'drive', id, cal);
  let vfRaw: Float64Array;
  let vcRaw: Float64Array;
  let dacClamps: Map<number, number>;
  let settings: Float64Array;
  if (board.measureCycle && !cal) {
    // The same sequence as below as one board call (one CYCLE exchange on a protocol 1.4 board, PROTOCOL.md 7.2): the
    // board clamps each target at V_F + eta (V* - V_F) from its reported free reading, limited to the DAC range, as
    // below. (With a calibration the clamp is an affine map of the reading with per-channel gains, which CYCLE's rule
    // does not express: the separate calls below.)
    const targets = new Map<number, number>();
    task.targets.forEach((n, i) => targets.set(n, ex.out[i]));
    const r = await board.measureCycle(imposedFree, targets, ctx.eta, ctx.samples);
    vfRaw = r.free;
    vcRaw = r.clamped;
    dacClamps = r.clamps;
    settings = r.settings;
  } else {
    // Start from a known state: clamps released (a redo may follow a restore that re-applied them).
    await board.setClamps(new Map());
    await board.setSources(imposedFree);
    vfRaw = await board.measure(ctx.samples);
    const vfc = cal ? cal.readingsToVolts(vfRaw) : vfRaw;
    const clamps = new Map<number, number>();
    task.targets.forEach((n, i) => clamps.set(n, vfc[n] + ctx.eta * (ex.out[i] - vfc[n])));
    // Targets are in the DAC range (checkTaskOnBoard), so a clamp between the free state and its target can leave the
    // range only by the free state's noise at a rail: limited to the rail, exactly as the board's own STEP does.
    dacClamps = cal ? commandsFor(clamps, 'clamp', id, cal) : clampToDac(clamps, id);
    await board.setClamps(dacClamps);
    vcRaw = await board.measure(ctx.samples);
    await board.setClamps(new Map());
    // The settings as last acknowledged: read fresh (cheap on a 16-node board, and never stale after a restore).
    settings = await board.readEdges();
  }
  const vf = cal ? cal.readingsToVolts(vfRaw) : vfRaw;
  const vc = cal ? cal.readingsToVolts(vcRaw) : vcRaw;
  const next = new Map<number, number>();
  const after = Float64Array.from(settings);
  const edges = id.edges;
  const kind = id.edge;
  const gateScale = cal ? cal.gateStepScale() : null;
  // the largest gate change of one step the board allows (ID gstep), as its own STEP limits it (PROTOCOL.md 7)
  const maxGateStep = id.limits.gateStep ?? Infinity;
  for (let e = 0; e < edges.length; e++) {
    const d = edgeContrast(vf, vc, edges[e][0], edges[e][1]);
    const s =
      kind.kind === 'tap'
        ? tapStep(settings[e], d, kind.taps - 1)
        : gateStep(settings[e], d, ctx.amp, maxGateStep, kind.lo, kind.hi, gateScale ? gateScale[e] : 1);
    if (s !== settings[e]) {
      next.set(e, s);
      after[e] = s;
    }
  }
  if (next.size > 0) await board.writeEdges(next);
  const freeTargets = Float64Array.from(task.targets, (n) => vf[n]);
  return {
    step,
    example: exampleIdx,
    update: 'host',
    inputs: ex.in,
    desired: ex.out,
    vf: vfRaw,
    freeTargets,
    vc: vcRaw,
    // as written: a gate board keeps them to the wire's 1 uV
    settingsAfter: after,
    changed: next.size,
    cost: cost(vf, task.targets, ex.out),
    imposedFree,
    imposedClamped: withClamps(imposedFree, dacClamps),
    attempts: 1,
  };
}

/** Device-stepped: release clamps, set the sources, and let the board run its own STEP towards the targets. */
async function deviceStep(ctx: StepContext, step: number, exampleIdx: number, ex: Example): Promise<StepResult> {
  const { board, id, task } = ctx;
  const cal = ctx.calibration;
  const imposedFree = commandsFor(sourceMap(task, ex), 'drive', id, cal);
  // the board compares targets with its own readings: send them in the ADC's units
  const targets = new Map<number, number>();
  task.targets.forEach((n, i) => targets.set(n, cal ? cal.readingOf(n, ex.out[i]) : ex.out[i]));
  // The STEP is the step's last board call, and its result carries the settings it left: a call after it that
  // failed on a lost link would make withLinkRetry redo a step the board had already applied. With stepWithSources
  // (one STEP src= exchange on a protocol 1.4 board) releasing the clamps and driving the sources are part of it.
  let r: DeviceStepResult;
  if (board.stepWithSources) {
    r = await board.stepWithSources(imposedFree, targets, ctx.eta, ctx.amp);
  } else {
    await board.setClamps(new Map());
    await board.setSources(imposedFree);
    r = await board.deviceStep(targets, ctx.eta, ctx.amp);
  }
  let c = 0;
  const clamps = new Map<number, number>();
  const freeTargets = cal ? Float64Array.from(task.targets, (n, i) => cal.voltsOf(n, r.freeTargets[i])) : r.freeTargets;
  task.targets.forEach((n, i) => {
    const vf = r.freeTargets[i];
    c += (freeTargets[i] - ex.out[i]) ** 2;
    clamps.set(n, vf + ctx.eta * (targets.get(n)! - vf));
  });
  return {
    step,
    example: exampleIdx,
    update: 'device',
    inputs: ex.in,
    desired: ex.out,
    vf: r.freeTargets,
    freeTargets,
    settingsAfter: r.settings,
    changed: r.changed,
    cost: 0.5 * c,
    imposedFree,
    imposedClamped: withClamps(imposedFree, clampToDac(clamps, id)),
    attempts: 1,
  };
}

/**
 * Mean squared error per target over `examples`, measured on the board (V^2; NaN if none). Clamps are released
 * first; each example's sources are applied and every node measured. `onMeasure` sees every measurement (raw
 * readings). With a calibration, the sources are corrected and the error is in calibrated volts.
 */
export async function boardMse(
  board: Board,
  task: Task,
  examples: Example[],
  samples: number,
  onMeasure?: (index: number, voltages: Float64Array) => void,
  calibration?: { cal: Calibration; id: BoardIdentity },
): Promise<number> {
  if (examples.length === 0) return NaN;
  await board.setClamps(new Map());
  let sum = 0;
  for (let i = 0; i < examples.length; i++) {
    const ex = examples[i];
    await board.setSources(commandsFor(sourceMap(task, ex), 'drive', calibration?.id as BoardIdentity, calibration?.cal));
    const raw = await board.measure(samples);
    onMeasure?.(i, raw);
    const v = calibration ? calibration.cal.readingsToVolts(raw) : raw;
    sum += squaredError(v, task.targets, ex.out);
  }
  return sum / examples.length;
}

/**
 * Leave the board safe: clamps released, then the task's source and ground nodes driven at 0 V (the nodes the run
 * drove, so every node of a connected board reads 0 V afterwards).
 */
export async function safeBoard(board: Board, task: Task): Promise<void> {
  await board.setClamps(new Map());
  const zero = new Map<number, number>();
  for (const n of task.sources) zero.set(n, 0);
  for (const n of task.ground) zero.set(n, 0);
  await board.setSources(zero);
}

/** Link trouble: the board layer restores the last acknowledged state, so the operation can be redone. */
export function isLinkTrouble(err: unknown): boolean {
  return err instanceof BoardDisconnectedError || err instanceof BoardTimeoutError;
}

/**
 * Run `fn`, redoing it from the start when the link drops or times out under it (the board layer restores the
 * last acknowledged state before the redo), at most `retries` times. Other errors pass through.
 */
export function withLinkRetry<T>(fn: () => Promise<T>, retries: number): Promise<{ value: T; attempts: number }> {
  // promise chaining rather than async/await: this wraps every step, and the success path stays one `then`
  const call = (): Promise<T> => {
    try {
      return fn();
    } catch (e) {
      return Promise.reject(e);
    }
  };
  const attempt = (n: number): Promise<{ value: T; attempts: number }> =>
    call().then(
      (value) => ({ value, attempts: n }),
      (err: unknown) => {
        if (!isLinkTrouble(err) || n > retries) throw err;
        return attempt(n + 1);
      },
    );
  return attempt(1);
}
