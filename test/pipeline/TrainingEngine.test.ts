import { describe, expect, it } from 'vitest';
import type { Board } from '../../src/device/Board.js';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import { BoardDisconnectedError, BoardProtocolError, InvalidInputError } from '../../src/errors.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import type { RunState } from '../../src/pipeline/runControl.js';
import { trainOnBoard } from '../../src/pipeline/trainOnBoard.js';
import { TrainingEngine, type EngineStep } from '../../src/pipeline/TrainingEngine.js';
import type { TrainingPlan } from '../../src/pipeline/TrainingPlan.js';
import { checkPlanOnBoard, planSchedule, resolvePlan, resolvePlanOptions } from '../../src/pipeline/TrainingPlan.js';
import { exampleIndex } from '../../src/physics/exampleOrder.js';
import { legacyTrainOnBoard } from './legacyTrainOnBoard.js';

const task = referenceTask({ count: 20, test: 5 });

// noisy unless ideal; deterministic all the same (the twin's drift runs on its own simulated time)
const twin = (model = 'penn-gen1', ideal = false): InProcessTwinBoard => InProcessTwinBoard.create({ model, seed: 3, ideal });

/** The board with every call logged (name) before it is made; `fail(name, n)` makes the n-th such call throw once. */
function spy(board: Board, log: string[], failures: Map<string, { at: number; error: () => Error }> = new Map()): Board {
  const counts = new Map<string, number>();
  return new Proxy(board, {
    get(t, k) {
      const v = (t as unknown as Record<string | symbol, unknown>)[k];
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const name = String(k);
        log.push(name);
        const n = (counts.get(name) ?? 0) + 1;
        counts.set(name, n);
        const f = failures.get(name);
        if (f && f.at === n) return Promise.reject(f.error());
        return (v as (...a: unknown[]) => unknown).apply(t, args);
      };
    },
  });
}

describe('TrainingEngine on the in-process twin', () => {
  for (const [model, update, order] of [
    ['penn-gen1', 'host', 'shuffle'],
    ['penn-gen1', 'device', 'sequential'],
    ['penn-gen2', 'host', 'sequential'],
    ['penn-gen2', 'device', 'shuffle'],
  ] as const) {
    it(`${model} --update ${update} (${order}, noisy twin): trainOnBoard on the engine equals the old loop step for step`, async () => {
      const opts = { update, steps: 60, order, seed: 2, eta: update === 'device' ? 0.5 : 0.1 };
      const oldSteps: unknown[] = [];
      const newSteps: unknown[] = [];
      const a = await legacyTrainOnBoard(twin(model), task, { ...opts, onStep: (r) => oldSteps.push(r) });
      const b = await trainOnBoard(twin(model), task, { ...opts, onStep: (r) => newSteps.push(r) });
      expect(newSteps).toEqual(oldSteps);
      expect(Array.from(b.settings)).toEqual(Array.from(a.settings));
      // the old loop's result, field for field (the engine's also carries the conductances and the network)
      const { conductances, network, ...same } = b;
      expect(same).toEqual(a);
      expect(network?.conductance).toBe(conductances);
      expect(b.trainMse).toBeLessThan(b.initialTrainMse);
    });
  }

  it('goes idle -> running -> stopping -> stopped and reports steps, measurements and evaluations', async () => {
    const board = twin();
    const engine = new TrainingEngine(board, { task, steps: 20, order: 'sequential', evalEvery: 5 });
    const states: RunState[] = [];
    const steps: EngineStep[] = [];
    const kinds: string[] = [];
    const evals: number[] = [];
    engine.state$.subscribe((s) => states.push(s));
    engine.steps$.subscribe((s) => steps.push(s));
    engine.measurements$.subscribe((m) => kinds.push(m.kind));
    engine.evaluations$.subscribe((e) => evals.push(e.step));
    const s = await engine.run();
    expect(states).toEqual(['idle', 'running', 'stopping', 'stopped']);
    expect(steps.map((r) => r.step)).toEqual([...Array(20).keys()]);
    expect(steps.map((r) => r.example)).toEqual(Array.from(planSchedule(engine.plan)));
    const r = steps[7];
    expect(r.vf).toHaveLength(16);
    expect(r.vc).toHaveLength(16);
    expect(r.settingsAfter).toHaveLength(33);
    expect(r.imposedFree).toEqual(new Map([[0, r.inputs[0]], [3, r.inputs[1]], [15, 0]]));
    expect([...r.imposedClamped.keys()].sort((x, y) => x - y)).toEqual([0, 3, 9, 10, 15]);
    // the settings after step 7 are the ones step 8 starts from
    expect(Array.from(steps[7].settingsAfter!)).not.toEqual(Array.from(steps[0].settingsAfter!));
    expect(evals).toEqual([0, 5, 10, 15, 20]);
    expect(kinds.filter((k) => k === 'free')).toHaveLength(20);
    expect(kinds.filter((k) => k === 'clamped')).toHaveLength(20);
    expect(kinds.filter((k) => k === 'evaluation')).toHaveLength(5 * 25);
    expect(s).toMatchObject({ reason: 'steps', state: 'stopped', stepsDone: 20, stepsRun: 20, redoneSteps: 0, alarms: 0 });
    expect(s.evaluations.map((e) => e.final)).toEqual([false, false, false, false, true]);
    expect(Array.from(s.settings!)).toEqual(Array.from(await board.readEdges()));
  });

  it('pause finishes the step in flight and holds; resume continues to the end', async () => {
    const board = twin();
    const engine = new TrainingEngine(board, { task, steps: 12, order: 'sequential' });
    const states: RunState[] = [];
    let done = 0;
    let doneAtPause = -1;
    let doneAtResume = -1;
    // pause while step 5 is on the board: at its first measurement (the board's calls need not yield to the event
    // loop in between, so a timer would not land there)
    let armed = false;
    const measure = board.measure.bind(board);
    board.measure = (...a) => {
      if (armed) {
        armed = false;
        engine.pause();
      }
      return measure(...a);
    };
    engine.steps$.subscribe((r) => {
      done = r.step + 1;
      if (r.step === 4) armed = true;
    });
    engine.state$.subscribe((s) => {
      states.push(s);
      if (s === 'paused') {
        doneAtPause = done;
        setTimeout(() => {
          doneAtResume = done;
          engine.resume();
        }, 20);
      }
    });
    const s = await engine.run();
    expect(doneAtPause).toBe(6); // step 5 finished, step 6 not begun
    expect(doneAtResume).toBe(6); // nothing ran while paused
    expect(s.stepsDone).toBe(12);
    expect(states).toEqual(['idle', 'running', 'pausing', 'paused', 'running', 'stopping', 'stopped']);
  });

  it('abort ends after the step in flight and leaves the board safe: sources at 0 V, clamps released', async () => {
    const board = twin('penn-gen1', true);
    const engine = new TrainingEngine(board, { task, steps: 500, order: 'sequential' });
    const states: RunState[] = [];
    engine.state$.subscribe((s) => states.push(s));
    let n = 0;
    engine.steps$.subscribe(() => n++);
    // abort from outside while a step's board calls are in flight
    engine.measurements$.subscribe((m) => {
      if (m.step === 9 && m.kind === 'free') setImmediate(() => engine.abort());
    });
    const s = await engine.run();
    expect(s.state).toBe('aborted');
    expect(s.reason).toBe('abort');
    expect(s.stepsDone).toBe(n);
    expect(n).toBeGreaterThanOrEqual(10);
    expect(n).toBeLessThan(500);
    expect(Number.isNaN(s.trainMse)).toBe(true);
    expect(states.slice(-2)).toEqual(['aborting', 'aborted']);
    // board reads: every node at 0 V; the twin's record of its channels
    expect(Array.from(await board.measure())).toEqual(new Array(16).fill(0));
    expect(board.core.activeClamps().size).toBe(0);
    expect(board.core.activeSources()).toEqual(new Map([[0, 0], [3, 0], [15, 0]]));
    expect(Array.from(s.settings!)).toEqual(Array.from(await board.readEdges()));
  });

  it('abort before run(): no step, the board is made safe', async () => {
    const board = twin();
    await board.setSources(new Map([[0, 0.7]]));
    await board.setClamps(new Map([[9, 0.2]]));
    const engine = new TrainingEngine(board, { task, steps: 10 });
    engine.abort();
    const s = await engine.run();
    expect(s).toMatchObject({ state: 'aborted', stepsDone: 0 });
    expect(board.core.activeClamps().size).toBe(0);
    expect(board.core.activeSources()).toEqual(new Map([[0, 0], [3, 0], [15, 0]]));
  });

  it('the recorder is awaited before the next step touches the board; checks count alarms', async () => {
    const log: string[] = [];
    const board = spy(twin(), log);
    const recorded: number[] = [];
    const engine = new TrainingEngine(
      board,
      { task, steps: 6, update: 'device', order: 'sequential', eta: 0.5 },
      {
        recorder: {
          record: async (r) => {
            await new Promise((res) => setTimeout(res, 3));
            log.push(`recorded ${r.step}`);
            recorded.push(r.step);
            expect(r.check).toEqual({ alarm: r.step % 2 === 1, step: r.step });
          },
        },
        checker: { check: (r) => ({ alarm: r.step % 2 === 1, step: r.step }) },
      },
    );
    const checks: boolean[] = [];
    engine.checks$.subscribe((c) => checks.push(c.alarm));
    const steps: EngineStep[] = [];
    engine.steps$.subscribe((r) => steps.push(r));
    const s = await engine.run();
    expect(recorded).toEqual([0, 1, 2, 3, 4, 5]);
    expect(checks).toEqual([false, true, false, true, false, true]);
    expect(s.alarms).toBe(3);
    // device step: setClamps, setSources, deviceStep (the last board call: its result carries the settings, so a
    // failed read-back can never make the step be redone after the board applied it), then the record
    const start = log.indexOf('deviceStep') - 2;
    expect(log.slice(start, start + 8)).toEqual([
      'setClamps', 'setSources', 'deviceStep', 'recorded 0',
      'setClamps', 'setSources', 'deviceStep', 'recorded 1',
    ]);
    expect(steps[5].settingsAfter).toHaveLength(33);
    expect(steps[5].vc).toBeUndefined();
  });

  it('link trouble redoes the step (bounded); the result equals an untroubled run', async () => {
    const opts: TrainingPlan = { task, steps: 30, order: 'shuffle', seed: 4 };
    const clean = await new TrainingEngine(twin('penn-gen1', true), opts).run();
    const failures = new Map([
      ['measure', { at: 31, error: () => new BoardDisconnectedError('unplugged') }],
      ['writeEdges', { at: 9, error: () => new BoardDisconnectedError('unplugged') }],
    ]);
    const troubled = await new TrainingEngine(spy(twin('penn-gen1', true), [], failures), opts).run();
    expect(troubled.redoneSteps).toBe(2);
    expect(Array.from(troubled.settings!)).toEqual(Array.from(clean.settings!));
    expect(troubled.trainMse).toBe(clean.trainMse);
    // too much trouble: the run fails, and the board is left safe
    const always = new Map([['writeEdges', { at: 3, error: () => new BoardDisconnectedError('gone') }]]);
    const board = twin();
    const e = new TrainingEngine(spy(board, [], always), { ...opts, stepRetries: 0 });
    const states: RunState[] = [];
    e.state$.subscribe((st) => states.push(st));
    await expect(e.run()).rejects.toThrow(BoardDisconnectedError);
    expect(states.at(-1)).toBe('failed');
    expect(board.core.activeClamps().size).toBe(0);
  });

  it('a board error that is not link trouble fails the run at once (no redo)', async () => {
    const log: string[] = [];
    const failures = new Map([['readEdges', { at: 2, error: () => new BoardProtocolError(500, 'ADC fault') }]]);
    const e = new TrainingEngine(spy(twin(), log, failures), { task, steps: 10 });
    await expect(e.run()).rejects.toThrow('ADC fault');
    // step 1 failed at its read of the settings and was not redone: the safe-state action followed
    const at = log.lastIndexOf('measure');
    expect(log.slice(at + 1)).toEqual(['setClamps', 'readEdges', 'setClamps', 'setSources', 'readEdges']);
    expect(log.filter((c) => c === 'measure')).toHaveLength(25 + 4);
  });

  it('stops at the target test MSE, and on a plateau', async () => {
    const target = await new TrainingEngine(twin('penn-gen1', true), { task, steps: 400, order: 'sequential', evalEvery: 10, stop: { targetTestMse: 1e-3 } }).run();
    expect(target.reason).toBe('target');
    expect(target.stepsDone).toBeLessThan(400);
    const last = target.evaluations.filter((e) => !e.final).at(-1)!;
    expect(last.testMse).toBeLessThanOrEqual(1e-3);
    expect(target.stepsDone).toBe(last.step);
    const plateau = await new TrainingEngine(twin('penn-gen1', true), {
      task,
      steps: 2000,
      order: 'sequential',
      evalEvery: 20,
      stop: { plateau: { window: 3, minRelativeImprovement: 0.2 } },
    }).run();
    expect(plateau.reason).toBe('plateau');
    expect(plateau.stepsDone).toBeLessThan(2000);
  });

  it('a resumed run (startStep) visits the same examples and ends where the uninterrupted run ends', async () => {
    const plan: TrainingPlan = { task, steps: 40, order: 'shuffle', seed: 9 };
    const whole = await new TrainingEngine(twin('penn-gen1', true), plan).run();
    const board = twin('penn-gen1', true);
    const first = new TrainingEngine(board, plan);
    first.steps$.subscribe((r) => r.step === 16 && first.stop());
    const a = await first.run();
    expect(a).toMatchObject({ reason: 'stop', stepsDone: 17 });
    const second = new TrainingEngine(board, { ...plan, startStep: a.stepsDone });
    const examples: number[] = [];
    second.steps$.subscribe((r) => examples.push(r.example));
    const b = await second.run();
    expect(b).toMatchObject({ reason: 'steps', startStep: 17, stepsDone: 40, stepsRun: 23 });
    expect(examples).toEqual([...Array(23).keys()].map((i) => exampleIndex('shuffle', 17 + i, task.train.length, 9)));
    expect(Array.from(b.settings!)).toEqual(Array.from(whole.settings!));
  });

  it('resolvePlan names the parameter, the rule and the value', () => {
    const bad = (p: Partial<TrainingPlan>, field: string, text: RegExp): void => {
      let err: unknown;
      try {
        resolvePlan({ task, ...p });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).field).toBe(field);
      expect((err as Error).message).toMatch(text);
    };
    bad({ eta: 0 }, 'eta', /eta: must be a number in \(0, 1\], got 0/);
    bad({ amp: 1e9 }, 'amp', /amp: must be a number in \(0, 100\] .*got 1000000000/);
    bad({ amp: 0 }, 'amp', /got 0/);
    bad({ amp: Number.NaN }, 'amp', /got NaN/);
    bad({ samples: 1025 }, 'samples', /1\.\.1024, got 1025/);
    bad({ steps: 1.5 }, 'steps', /got 1.5/);
    bad({ update: 'both' as 'host' }, 'update', /host or device, got "both"/);
    bad({ startStep: 20, steps: 10 }, 'startStep', /0\.\.steps \(10\), got 20/);
    bad({ stop: { targetTestMse: 1e-3 } }, 'evalEvery', /must be >= 1 when a target MSE/);
    bad({ evalEvery: 5, stop: { plateau: { window: 0, minRelativeImprovement: 0.1 } } }, 'stop.plateau.window', /got 0/);
    expect(resolvePlan({ task })).toMatchObject({ steps: 1000, eta: 0.1, update: 'host', evalEvery: 0, startStep: 0 });
    expect(resolvePlan({ task, amp: 100 }).amp).toBe(100);
    // a caller names its own source for each field (the CLI's options, a record's fields)
    expect(() => resolvePlan({ task, amp: 101 }, (f) => ({ source: `--${f}` }))).toThrow(/^--amp: must be a number in \(0, 100\]/);
    expect(() => resolvePlanOptions({ eta: 2 }, (f) => ({ source: 'run.jsonl', field: `start.plan.${f}` }))).toThrow(/^run\.jsonl: start\.plan\.eta: must be/);
  });

  it('checkPlanOnBoard holds a device-stepped plan to the eta and amp ranges the board reports in ID', () => {
    const gate = InProcessTwinBoard.create({ model: 'penn-gen2', ideal: true }).core.identity(); // amp=0,50
    const tap = InProcessTwinBoard.create({ model: 'penn-gen1', ideal: true }).core.identity();
    const narrow = { ...gate, limits: { ...gate.limits, eta: { lo: 0.05, hi: 0.5 } } };
    expect(() => checkPlanOnBoard({ update: 'device', eta: 0.1, amp: 60 }, gate)).toThrow(/amp: 60 V\/V\^2 is outside the range \[0, 50\] that board penn-gen2 accepts .*amp=0,50/);
    expect(() => checkPlanOnBoard({ update: 'device', eta: 0.6, amp: 1 }, narrow)).toThrow(/eta: 0\.6 is outside the range \[0\.05, 0\.5\]/);
    expect(() => checkPlanOnBoard({ update: 'device', eta: 0.1, amp: 50 }, gate)).not.toThrow();
    expect(() => checkPlanOnBoard({ update: 'host', eta: 0.1, amp: 60 }, gate)).not.toThrow(); // the host computes the update
    expect(() => checkPlanOnBoard({ update: 'device', eta: 0.1, amp: 60 }, tap)).not.toThrow(); // tap boards have no amp
  });
});
