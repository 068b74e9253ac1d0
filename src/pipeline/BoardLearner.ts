/**
 * A Board as a {@link Learner}: the engine's board path. Every operation is redone from its start on link trouble
 * (BoardDisconnectedError or BoardTimeoutError), at most plan.stepRetries times: the board layer has restored the
 * last acknowledged state and every write is absolute. An evaluation hands its measurements on only once all of it
 * succeeded, so a redone evaluation is not reported twice.
 */
import type { Board, BoardIdentity } from '../device/Board.js';
import type { Calibration } from '../calibration/Calibration.js';
import type { EvaluationSink, Learner, LearnerMse } from './Learner.js';
import { boardMse, checkTaskOnBoard, safeBoard, stepOnBoard, withLinkRetry, type StepContext, type StepResult } from './stepOnBoard.js';
import type { ResolvedPlan } from './TrainingPlan.js';

export interface BoardLearnerOptions {
  /** A calibration of the board (see StepContext.calibration): commands, readings, MSEs in calibrated volts. */
  calibration?: Calibration;
  /** The task's file (or other source), for messages about a task the board cannot run; default `task`. */
  taskSource?: string;
}

export class BoardLearner implements Learner {
  readonly kind = 'board' as const;
  private ctx: StepContext | undefined;
  private calibrated: { cal: Calibration; id: BoardIdentity } | undefined;

  constructor(
    readonly board: Board,
    readonly plan: ResolvedPlan,
    private readonly options: BoardLearnerOptions = {},
  ) {}

  async open(): Promise<{ nodes: number }> {
    const { board, plan } = this;
    const id = (await withLinkRetry(() => board.identify(), plan.stepRetries)).value;
    checkTaskOnBoard(plan.task, id, this.options.taskSource);
    const calibration = this.options.calibration;
    this.ctx = { board, id, task: plan.task, update: plan.update, eta: plan.eta, amp: plan.amp, samples: plan.samples, calibration };
    this.calibrated = calibration ? { cal: calibration, id } : undefined;
    return { nodes: id.nodes };
  }

  async step(s: number, example: number): Promise<StepResult> {
    const ctx = this.context();
    const { value, attempts } = await withLinkRetry(() => stepOnBoard(ctx, s, example), this.plan.stepRetries);
    value.attempts = attempts;
    return value;
  }

  async evaluate(onState: EvaluationSink): Promise<LearnerMse> {
    return (await withLinkRetry(() => this.measureSets(onState), this.plan.stepRetries)).value;
  }

  async finish(onState: EvaluationSink): Promise<{ settings: Float64Array; mse: LearnerMse }> {
    const { board } = this;
    const { value } = await withLinkRetry(async () => {
      await board.setClamps(new Map());
      const settings = await board.readEdges();
      return { settings, mse: await this.measureSets(onState) };
    }, this.plan.stepRetries);
    return value;
  }

  async safe(): Promise<Float64Array | null> {
    const { board, plan } = this;
    await withLinkRetry(() => safeBoard(board, plan.task), plan.stepRetries);
    try {
      return (await withLinkRetry(() => board.readEdges(), plan.stepRetries)).value;
    } catch {
      return null; // the board is safe; the settings are only for the summary
    }
  }

  /** Both sets measured; the measurements reach `onState` only when all succeeded. */
  private async measureSets(onState: EvaluationSink): Promise<LearnerMse> {
    const { board, plan } = this;
    const task = plan.task;
    const seen: [set: 'train' | 'test', index: number, v: Float64Array][] = [];
    const collect = (set: 'train' | 'test') => (i: number, v: Float64Array) => seen.push([set, i, v]);
    const trainMse = await boardMse(board, task, task.train, plan.samples, collect('train'), this.calibrated);
    const testMse = await boardMse(board, task, task.test, plan.samples, collect('test'), this.calibrated);
    for (const [set, i, v] of seen) onState(set, i, v);
    // the targets' free-state voltages per test example, in the volts of the MSE (calibrated when it is)
    const cal = this.calibrated?.cal;
    const testOutputs = seen.filter(([set]) => set === 'test').map(([, , raw]) => {
      const v = cal ? cal.readingsToVolts(raw) : raw;
      return Float64Array.from(task.targets, (n) => v[n]);
    });
    return { trainMse, testMse, testOutputs };
  }

  private context(): StepContext {
    if (!this.ctx) throw new Error('BoardLearner: open() first');
    return this.ctx;
  }
}
