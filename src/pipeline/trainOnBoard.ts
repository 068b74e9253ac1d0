/**
 * `trainOnBoard`: a whole training run on a board as one call — a thin wrapper over {@link TrainingEngine} for
 * callers that want a result, not streams (tests, benchmarks, scripts). Evaluates only before the first and after
 * the last step, as the engine does with `evalEvery: 0`, so the board sees the same calls in the same order as a
 * plain loop would make.
 */
import type { Board } from '../device/Board.js';
import type { ExampleOrder } from '../physics/exampleOrder.js';
import type { Network } from '../physics/Network.js';
import { boardConductanceLaw } from './boardConductanceLaw.js';
import type { Task } from '../physics/Task.js';
import { TrainingEngine } from './TrainingEngine.js';
import type { UpdateSite } from './TrainingPlan.js';

export type { UpdateSite } from './TrainingPlan.js';
export { boardMse, checkTaskOnBoard, withLinkRetry } from './stepOnBoard.js';

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
  /** Aborting ends the run after the step in flight, leaves the board safe, and rejects with the signal's reason. */
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
  /**
   * Final nominal conductances (S), from the settings through the board's nominal law (reported in its ID, protocol
   * 1.2; gate edges at the nominal convention of src/physics/edgeLaws.ts, every node at mid-ADC). Undefined when the
   * board does not report its law (a protocol 1.1 board): use a calibration, or openBoardRun with a board file.
   */
  conductances: Float64Array | undefined;
  /**
   * The board as a network at those conductances (its topology from ID), ready for the diagnostics, e.g.
   * `physicalSpectrum(result.network, { task })`. Undefined when the conductances are.
   */
  network: Network | undefined;
  trainMse: number;
  testMse: number;
  initialTrainMse: number;
  initialTestMse: number;
  /** Steps that had to be redone after link trouble. */
  redoneSteps: number;
}

/**
 * Online coupled learning on a board, one example per step, in the same order as the in-process Trainer.
 * A step that fails because the link dropped or timed out is redone from the start: the board layer has already
 * restored the last acknowledged state, and every write is absolute, so nothing is applied twice.
 */
export async function trainOnBoard(board: Board, task: Task, options: BoardTrainOptions = {}): Promise<BoardTrainResult> {
  const engine = new TrainingEngine(board, {
    task,
    update: options.update,
    eta: options.eta,
    amp: options.amp,
    steps: options.steps,
    order: options.order,
    seed: options.seed,
    samples: options.samples,
    stepRetries: options.stepRetries,
    evalEvery: 0,
  });
  const { onStep, signal } = options;
  const sub = onStep
    ? engine.steps$.subscribe((r) => onStep({ step: r.step, example: r.example, cost: r.cost, changed: r.changed, attempts: r.attempts }))
    : undefined;
  const onAbort = (): void => engine.abort();
  if (signal?.aborted) engine.abort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const s = await engine.run();
    if (s.reason === 'abort') signal?.throwIfAborted();
    const id = await board.identify();
    const law = boardConductanceLaw(id);
    const conductances = law ? law(s.settings!) : undefined;
    const network: Network | undefined = conductances && {
      name: id.model,
      nodes: id.nodes,
      edgeA: Int32Array.from(id.edges, (e) => e[0]),
      edgeB: Int32Array.from(id.edges, (e) => e[1]),
      conductance: conductances,
    };
    return {
      steps: s.stepsDone,
      settings: s.settings!,
      conductances,
      network,
      trainMse: s.trainMse,
      testMse: s.testMse,
      initialTrainMse: s.initialTrainMse,
      initialTestMse: s.initialTestMse,
      redoneSteps: s.redoneSteps,
    };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    sub?.unsubscribe();
  }
}
