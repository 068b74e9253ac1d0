/**
 * Issue 11, point 10: the learning step of a board run, from what the run used (edge kind, eta, amp, calibration or
 * board model) — shared by `clln diagnose` and the engine's stability monitor.
 */
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCalibrationFile } from '../../src/calibration/recordFile.js';
import { Calibration } from '../../src/calibration/Calibration.js';
import { boardStabilityMonitor } from '../../src/pipeline/boardStabilityMonitor.js';
import { InProcessTwinBoard } from '../../src/device/InProcessTwinBoard.js';
import { referenceTask } from '../../src/physics/generators/linearTask.js';
import { boardLearningStep, runLearningStep } from '../../src/pipeline/boardLearningStep.js';
import { RunRecorder, trainingStart } from '../../src/pipeline/runRecord.js';
import { StepRecordLayout } from '../../src/pipeline/StepRecordLayout.js';
import { TrainingEngine } from '../../src/pipeline/TrainingEngine.js';
import { readRun } from '../../src/store/readRun.js';
import { RunWriter } from '../../src/store/RunWriter.js';
import { boardNetwork } from '../../twins/boardNetwork.js';
import { loadBoardModel } from '../../twins/BoardModel.js';
import { TwinBoardCore } from '../../twins/TwinBoardCore.js';

const gen2 = loadBoardModel('penn-gen2');
const nominal = (m: string) => (m === 'penn-gen1' || m === 'penn-gen2' ? loadBoardModel(m).edge : undefined);
const task = referenceTask({ count: 6, test: 2 });

describe('boardLearningStep', () => {
  it('tap edges: the tap rule, whatever eta and amp', () => {
    expect(boardLearningStep({ kind: 'tap', taps: 100 }, { eta: 0.3, amp: 7 })).toEqual({ rule: 'tap', eta: 0.3, taps: 100 });
  });

  it('gate edges: CL at alpha = 2 eta amp s, s from the calibration (geometric mean) or else the board model', () => {
    const edge = { kind: 'gate' as const, lo: 0, hi: 5 };
    expect(boardLearningStep(edge, { eta: 0.1, amp: 0.5, nominal: gen2.edge })).toEqual({ rule: 'cl', eta: 0.1, alpha: 2 * 0.1 * 0.5 * 8.5e-4, gate: { amp: 0.5, s: 8.5e-4, sFrom: 'board model' } });
    const cal = readCalibrationFile(resolve(__dirname, '../../calibration/examples/penn-gen2-twin-seed0.json'));
    if (cal.edges.kind !== 'gate') throw new Error('gate calibration expected');
    const s = cal.edges.s;
    const geo = Math.exp(s.reduce((a, x) => a + Math.log(x), 0) / s.length);
    const step = boardLearningStep(edge, { eta: 0.2, amp: 3, calibration: cal, nominal: gen2.edge });
    expect(step).toMatchObject({ rule: 'cl', eta: 0.2, gate: { amp: 3, sFrom: 'calibration' } });
    expect(step!.rule === 'cl' && step!.gate!.s).toBeCloseTo(geo, 15);
    expect(step!.rule === 'cl' && step!.alpha).toBeCloseTo(2 * 0.2 * 3 * geo, 15);
    // the calibration's mean is the one the calibrated host step moves every edge by (Calibration.gateStepScale)
    const scale = new Calibration(cal).gateStepScale()!;
    s.forEach((se, e) => expect(se * scale[e]).toBeCloseTo(geo, 12));
    expect(boardLearningStep(edge, { eta: 0.1, amp: 0.5 })).toBeUndefined();
  });

  it('the engine monitors the gate board at that rate, and has no monitor for a tap board', async () => {
    for (const [model, want] of [['penn-gen1', undefined], ['penn-gen2', 2 * 0.1 * 0.5 * 8.5e-4]] as const) {
      const id = await new InProcessTwinBoard(new TwinBoardCore(loadBoardModel(model), { ideal: true })).identify();
      const m = boardStabilityMonitor(id, { task });
      expect(m?.alpha).toBe(want);
    }
  });
});

describe('runLearningStep', () => {
  async function record(model: 'penn-gen1' | 'penn-gen2', update: 'host' | 'device', amp: number): Promise<string> {
    const m = loadBoardModel(model);
    const board = new InProcessTwinBoard(new TwinBoardCore(m, { ideal: true }));
    const id = await board.identify();
    const plan = { task, steps: 3, update, eta: 0.4, amp };
    const layout = StepRecordLayout.forRun(id, task, { update, checked: false });
    const path = join(mkdtempSync(join(tmpdir(), 'clln-step-')), 'run.jsonl');
    const writer = RunWriter.create(path, trainingStart(plan, boardNetwork(m), id, { spec: 'twin' }), layout.descriptor());
    await new TrainingEngine(board, plan, { recorder: new RunRecorder(writer, layout) }).run();
    await writer.stop('success');
    return path;
  }

  it('reads the rule and step from the start document of a run, in either update mode', async () => {
    const tap = runLearningStep(readRun(await record('penn-gen1', 'device', 2)), nominal);
    expect(tap.step).toEqual({ rule: 'tap', eta: 0.4, taps: 100 });
    expect(tap.origin).toEqual({ from: 'run', detail: 'as run: board penn-gen1 (tap edges), --update device, eta 0.4' });
    const gate = runLearningStep(readRun(await record('penn-gen2', 'host', 2)), nominal);
    expect(gate.step).toEqual({ rule: 'cl', eta: 0.4, alpha: 2 * 0.4 * 2 * 8.5e-4, gate: { amp: 2, s: 8.5e-4, sFrom: 'board model' } });
    expect(gate.origin.detail).toBe('as run: board penn-gen2 (gate edges), --update host, eta 0.4, amp 2');
  });

  it('a record of clln 0.1.0 too; a run whose step cannot be known is refused naming the file', async () => {
    const legacy = resolve(__dirname, '../store/legacy/host-tap-complete-v0.1.0.jsonl');
    expect(runLearningStep(readRun(legacy), nominal).step).toEqual({ rule: 'tap', eta: 0.1, taps: 100 });
    const gate = readRun(await record('penn-gen2', 'device', 1));
    // the run recorded the board's law (its ID, protocol 1.2): the step is known without any model lookup
    const known = runLearningStep(gate, () => undefined).step;
    expect(known).toMatchObject({ rule: 'cl', gate: { s: 0.00085 } });
    // a record without it (a 1.1 board, or a record from before 1.2) and no other source: refused naming the file
    const board = (gate.start as unknown as { board: Record<string, unknown> }).board;
    const noLaw = { ...gate, start: { ...gate.start, board: { ...board, law: undefined } } };
    expect(() => runLearningStep(noLaw, () => undefined)).toThrow(/run\.jsonl: start\.board\.model: gate board penn-gen2 did not record its edge law/);
    const badLaw = { ...gate, start: { ...gate.start, board: { ...board, law: { kind: 'gate', s: -1, vt: 0.6 } } } };
    expect(() => runLearningStep(badLaw, () => undefined)).toThrow(/start\.board\.law/);
    const copy = join(mkdtempSync(join(tmpdir(), 'clln-step-')), 'x.jsonl');
    copyFileSync(legacy, copy);
    const run = readRun(copy);
    expect(() => runLearningStep({ ...run, start: { uid: 'u', time: 0 } }, nominal)).toThrow(/x\.jsonl: start: is not a clln board run/);
  });
});
