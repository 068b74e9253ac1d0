/**
 * Executes a {@link TrainingPlan} against any Board (hardware over a serial line, the twin on a pty, the in-process
 * twin) or any other {@link Learner} (the in-process simulation: SimulatedLearner) and reports as RxJS streams. The
 * control logic (pause, resume, stop, abort, stop conditions) is runControl.ts; the operations are the Learner's (a
 * board's: BoardLearner.ts over stepOnBoard.ts); this class wires them together.
 *
 * A run: identify the board and check the task's node roles on it; evaluate (train and test MSE on the board);
 * steps startStep..steps-1, each step s on training example planExample(plan, s), with an evaluation every
 * `evalEvery` steps; then the finish: clamps released, edge settings read, final evaluation. Abort ends after the
 * step in flight and leaves the board safe (clamps released, the task's sources and ground at 0 V).
 *
 * Per step, in order: the board step (redone from the start on link trouble — BoardDisconnectedError or
 * BoardTimeoutError — at most plan.stepRetries times; the board layer has restored the last acknowledged state and
 * every write is absolute), the checker's check, the recorder's record (awaited, so a run record's event is
 * written before the next step changes the board), then the step on `steps$` and its measurements on
 * `measurements$`.
 *
 * Subjects are hot: subscribe before calling run(). Every stream completes when the run ends.
 */
import { asyncScheduler, BehaviorSubject, concat, defer, from, Observable, Subject, type SchedulerLike } from 'rxjs';
import type { Board } from '../device/Board.js';
import { epochCache } from '../physics/exampleOrder.js';
import { runControl, type ControlCommand, type RunState, type StopReason } from './runControl.js';
import type { Calibration } from '../calibration/Calibration.js';
import type { StepResult } from './stepOnBoard.js';
import { BoardLearner } from './BoardLearner.js';
import { isLearner, type Learner } from './Learner.js';
import { planExample, resolvePlan, type ResolvedPlan, type TrainingPlan } from './TrainingPlan.js';

/** A checker's verdict on one step; anything with an `alarm` flag (e.g. the diagnostics' consistency check). */
export interface CheckResultLike {
  alarm: boolean;
}

/** Checks each step's measurements (e.g. against the twin's physics). */
export interface StepChecker<C extends CheckResultLike = CheckResultLike> {
  check(step: StepResult): C | Promise<C>;
}

/** A step as the engine reports it: the board step plus the checker's result, if any. */
export interface EngineStep<C extends CheckResultLike = CheckResultLike> extends StepResult {
  check?: C;
}

/** Records each step (e.g. appends a run-record event); awaited before the next step begins. */
export interface StepRecorder<C extends CheckResultLike = CheckResultLike> {
  record(step: EngineStep<C>): void | Promise<void>;
  /** Records each evaluation (the record's `evaluation` stream); awaited before the engine goes on. */
  recordEvaluation?(evaluation: Evaluation): void | Promise<void>;
}

/** Train and test MSE measured on the board after `step` steps. */
export interface Evaluation {
  /** Steps done (absolute) when measured. */
  step: number;
  /** V^2 per target; NaN for an empty set. */
  trainMse: number;
  testMse: number;
  /** The finish's evaluation (after the last step). */
  final: boolean;
  /** The targets' free-state voltages per test example (V, as the MSEs), when the learner reports them. */
  testOutputs?: Float64Array[];
}

/** One measurement of node voltages. */
export interface Measurement {
  /** Step it belongs to (for an evaluation: steps done). */
  step: number;
  /** Free or clamped state of a step, or an evaluation's free state. */
  kind: 'free' | 'clamped' | 'evaluation';
  /** Evaluations: which set the example is from. */
  set?: 'train' | 'test';
  /** Index of the example in its set. */
  example: number;
  /** 'all': one voltage per node; 'targets': the targets' (device-stepped free state). */
  nodes: 'all' | 'targets';
  voltages: Float64Array;
}

/** One check result. */
export interface CheckOutcome<C extends CheckResultLike = CheckResultLike> {
  step: number;
  result: C;
  alarm: boolean;
}

/** Injected collaborators; all optional. */
export interface EngineDeps<C extends CheckResultLike = CheckResultLike> {
  /** Clock of event time stamps (and of everything runControl times); default asyncScheduler. */
  scheduler?: SchedulerLike;
  recorder?: StepRecorder<C>;
  checker?: StepChecker<C>;
  /** Milliseconds, for RunSummary.seconds; default performance.now. */
  now?: () => number;
  /** A calibration of the board, for host-side updates and evaluations (see StepContext.calibration). */
  calibration?: Calibration;
  /** The task's file (or other source), for messages about a task the board cannot run; default `task`. */
  taskSource?: string;
  /**
   * Learning-stability monitor: called with the settings after the first step and then every `every` steps (default
   * 50), with the step's free-state readings of every node when it has them (host-stepped); a non-null result is
   * emitted on `warnings$`. See StabilityMonitor.ts.
   */
  stability?: { every?: number; check(settings: Float64Array, step: number, readings: Float64Array | null): EngineWarning | null };
}

/** A warning the engine emits while the run goes on (it does not stop the run). */
export interface EngineWarning {
  type: 'stability';
  /** Steps done when it was checked. */
  step: number;
  /** alpha_eff * lambda_max of the cost Hessian (> 2: the discrete update is unstable along the stiffest mode). */
  index: number;
  alpha: number;
  lambdaMax: number;
  message: string;
}

/** How a run ended. */
export interface RunSummary {
  name: string;
  reason: StopReason;
  state: 'stopped' | 'aborted';
  startStep: number;
  /** Steps done (absolute): the step a resumed run would start with. */
  stepsDone: number;
  /** Steps run by this call (stepsDone - startStep). */
  stepsRun: number;
  /** Final edge settings (taps or gate volts); after an abort, as read once the board was made safe (null if that failed). */
  settings: Float64Array | null;
  /** Final MSEs (NaN after an abort: no final evaluation). */
  trainMse: number;
  testMse: number;
  initialTrainMse: number;
  initialTestMse: number;
  /** Steps that had to be redone after link trouble. */
  redoneSteps: number;
  /** Check results with an alarm. */
  alarms: number;
  evaluations: Evaluation[];
  /** Wall time of run(), s. */
  seconds: number;
}

interface FinishValue {
  evaluation: Evaluation;
  settings: Float64Array;
}

export class TrainingEngine<C extends CheckResultLike = CheckResultLike> {
  readonly plan: ResolvedPlan;
  /** Run state; starts `idle`, completes after the final state. */
  readonly state$: Observable<RunState>;
  readonly steps$: Observable<EngineStep<C>>;
  readonly measurements$: Observable<Measurement>;
  readonly checks$: Observable<CheckOutcome<C>>;
  readonly evaluations$: Observable<Evaluation>;
  /** Warnings (learning stability), as they arise. */
  readonly warnings$: Observable<EngineWarning>;

  private readonly stateSubject = new BehaviorSubject<RunState>('idle');
  private readonly stepSubject = new Subject<EngineStep<C>>();
  private readonly measurementSubject = new Subject<Measurement>();
  private readonly checkSubject = new Subject<CheckOutcome<C>>();
  private readonly evaluationSubject = new Subject<Evaluation>();
  private readonly warningSubject = new Subject<EngineWarning>();
  private readonly commands = new Subject<ControlCommand>();
  /** Commands given before the control loop subscribed (applied first, in order). */
  private pending: ControlCommand[] | null = [];
  private started = false;
  private readonly deps: EngineDeps<C>;

  /** What learns: a Board's learner, or the one given. */
  readonly learner: Learner;

  /**
   * @param target a Board (driven through a {@link BoardLearner} with `deps.calibration` and `deps.taskSource`) or any
   *   {@link Learner} (e.g. the in-process {@link SimulatedLearner})
   */
  constructor(
    target: Board | Learner,
    plan: TrainingPlan,
    deps: EngineDeps<C> = {},
  ) {
    this.plan = resolvePlan(plan);
    this.deps = deps;
    this.learner = isLearner(target) ? target : new BoardLearner(target, this.plan, { calibration: deps.calibration, taskSource: deps.taskSource });
    this.state$ = this.stateSubject.asObservable();
    this.steps$ = this.stepSubject.asObservable();
    this.measurements$ = this.measurementSubject.asObservable();
    this.checks$ = this.checkSubject.asObservable();
    this.evaluations$ = this.evaluationSubject.asObservable();
    this.warnings$ = this.warningSubject.asObservable();
  }

  /** The present run state. */
  get state(): RunState {
    return this.stateSubject.value;
  }

  /** Pause after the step in flight. */
  pause(): void {
    this.command('pause');
  }
  /** Continue a paused run (or cancel a pause not yet reached). */
  resume(): void {
    this.command('resume');
  }
  /** From paused: run exactly one step, then pause again (ignored otherwise). */
  step(): void {
    this.command('step');
  }
  /** End after the step in flight, with the usual finish (final settings and evaluation). */
  stop(): void {
    this.command('stop');
  }
  /** End after the step in flight and leave the board safe (clamps released, sources at 0 V); no final evaluation. */
  abort(): void {
    this.command('abort');
  }

  private command(c: ControlCommand): void {
    if (this.pending) this.pending.push(c);
    else this.commands.next(c);
  }

  /** Run the plan once. Resolves when the run stopped or was aborted; rejects on a failure (after making the board safe). */
  async run(): Promise<RunSummary> {
    if (this.started) throw new Error('TrainingEngine.run: an engine runs its plan once; create another engine');
    this.started = true;
    const now = this.deps.now ?? (() => performance.now());
    const t0 = now();
    const plan = this.plan;
    const { learner, deps } = this;
    let nodes: number;
    try {
      nodes = (await learner.open()).nodes;
    } catch (e) {
      this.close('failed');
      throw e;
    }
    const cache = epochCache();
    const { checker, recorder } = deps;
    let redone = 0;
    let alarms = 0;
    const evaluations: Evaluation[] = [];
    let finished: FinishValue | undefined;
    let safeSettings: Float64Array | null = null;

    const record = async (r: EngineStep<C>): Promise<EngineStep<C>> => {
      if (checker) r.check = await checker.check(r);
      if (recorder) await recorder.record(r);
      return r;
    };
    const stability = deps.stability;
    const stabilityEvery = stability?.every ?? 50;
    const executeStep = (s: number): Promise<EngineStep<C>> => {
      const ex = planExample(plan, s, cache);
      const done = learner.step(s, ex).then((value) => {
        const r = value as EngineStep<C>;
        if (stability && r.settingsAfter && (s === plan.startStep || (s + 1) % stabilityEvery === 0)) {
          const w = stability.check(r.settingsAfter, s + 1, r.vf.length === nodes ? r.vf : null);
          if (w) this.warningSubject.next(w);
        }
        return r;
      });
      return checker || recorder ? done.then(record) : done;
    };

    const collect =
      (step: number) =>
      (set: 'train' | 'test', i: number, v: Float64Array): void =>
        this.measurementSubject.next({ step, kind: 'evaluation', set, example: i, nodes: 'all', voltages: v });

    const events$ = runControl(
      defer(() => {
        const queued = this.pending ?? [];
        this.pending = null;
        return concat(from(queued), this.commands);
      }),
      {
        startStep: plan.startStep,
        endStep: plan.steps,
        evalEvery: plan.evalEvery,
        stop: plan.stop,
        scheduler: deps.scheduler ?? asyncScheduler,
        executeStep: (s) => defer(() => executeStep(s)),
        evaluate: (done) =>
          defer(async (): Promise<Evaluation> => {
            const evaluation: Evaluation = { step: done, ...(await learner.evaluate(collect(done))), final: false };
            if (recorder?.recordEvaluation) await recorder.recordEvaluation(evaluation);
            return evaluation;
          }),
        finish: (done) =>
          defer(async (): Promise<FinishValue> => {
            const { settings, mse } = await learner.finish(collect(done));
            const evaluation: Evaluation = { step: done, ...mse, final: true };
            if (recorder?.recordEvaluation) await recorder.recordEvaluation(evaluation);
            return { settings, evaluation };
          }),
        safeState: () =>
          defer(async () => {
            safeSettings = await learner.safe();
          }),
      },
    );

    return new Promise<RunSummary>((resolve, reject) => {
      let endReason: StopReason = 'steps';
      let endSteps = plan.startStep;
      events$.subscribe({
        next: (ev) => {
          switch (ev.type) {
            case 'state':
              this.stateSubject.next(ev.state);
              break;
            case 'step': {
              const r = ev.result;
              redone += r.attempts - 1;
              this.measurementSubject.next({
                step: r.step,
                kind: 'free',
                example: r.example,
                nodes: r.update === 'host' ? 'all' : 'targets',
                voltages: r.vf,
              });
              if (r.vc) this.measurementSubject.next({ step: r.step, kind: 'clamped', example: r.example, nodes: 'all', voltages: r.vc });
              if (r.check !== undefined) {
                if (r.check.alarm) alarms++;
                this.checkSubject.next({ step: r.step, result: r.check, alarm: r.check.alarm });
              }
              this.stepSubject.next(r);
              break;
            }
            case 'evaluation':
              evaluations.push(ev.value);
              this.evaluationSubject.next(ev.value);
              break;
            case 'finished': {
              finished = ev.value;
              if (finished) {
                evaluations.push(finished.evaluation);
                this.evaluationSubject.next(finished.evaluation);
              }
              break;
            }
            case 'end':
              endReason = ev.reason;
              endSteps = ev.stepsDone;
              break;
          }
        },
        error: (e: unknown) => {
          this.close();
          reject(e);
        },
        complete: () => {
          const aborted = endReason === 'abort';
          const initial = evaluations.find((e) => !e.final && e.step === plan.startStep) ?? evaluations[0];
          const summary: RunSummary = {
            name: plan.name,
            reason: endReason,
            state: aborted ? 'aborted' : 'stopped',
            startStep: plan.startStep,
            stepsDone: endSteps,
            stepsRun: endSteps - plan.startStep,
            settings: aborted ? safeSettings : (finished?.settings ?? null),
            trainMse: aborted || !finished ? NaN : finished.evaluation.trainMse,
            testMse: aborted || !finished ? NaN : finished.evaluation.testMse,
            initialTrainMse: initial ? initial.trainMse : NaN,
            initialTestMse: initial ? initial.testMse : NaN,
            redoneSteps: redone,
            alarms,
            evaluations,
            seconds: (now() - t0) / 1000,
          };
          this.close();
          resolve(summary);
        },
      });
    });
  }

  /** Complete every stream (the state stream after a final state). */
  private close(final?: RunState): void {
    if (final) this.stateSubject.next(final);
    this.pending = null;
    this.commands.complete();
    this.stepSubject.complete();
    this.measurementSubject.complete();
    this.checkSubject.complete();
    this.evaluationSubject.complete();
    this.warningSubject.complete();
    this.stateSubject.complete();
  }
}
