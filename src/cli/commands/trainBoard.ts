import { connectBoard } from '../../device/connectBoard.js';
import type { Board, BoardIdentity } from '../../device/Board.js';
import { InvalidInputError } from '../../errors.js';
import type { Network } from '../../physics/Network.js';
import type { Task } from '../../physics/Task.js';
import { TrainingEngine, type RunSummary } from '../../pipeline/TrainingEngine.js';
import { checkPlanOnBoard, resolvePlan, type TrainingPlan } from '../../pipeline/TrainingPlan.js';
import { planOption } from '../boardOptions.js';
import { loadBoardModel, listBoardModels } from '../../../twins/BoardModel.js';
import type { Io } from '../Io.js';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RunWriter } from '../../store/RunWriter.js';
import { adcLsb } from '../../diagnostics/measurementNoise.js';
import { BoardStepChecker, type StepCheck } from '../../pipeline/BoardStepChecker.js';
import { DEFAULT_RUNS_DIR } from '../../store/listRuns.js';
import { RunRecorder, trainingStart, type BoardConnection, type TwinConnectOptions } from '../../pipeline/runRecord.js';
import { StepRecordLayout } from '../../pipeline/StepRecordLayout.js';
import { TrainProgress } from '../trainProgress.js';
import { Calibration } from '../../calibration/Calibration.js';
import { readCalibrationFile } from '../../calibration/recordFile.js';
import { StabilityMonitor } from '../../pipeline/StabilityMonitor.js';
import { boardLearningStep } from '../../pipeline/boardLearningStep.js';
import { referenceVoltage, settingsToConductance } from '../../physics/edgeLaws.js';
import { type BoardFile, identityWithLaw, knownEdgeLaw } from '../../pipeline/boardEdgeLaw.js';

/** What `clln train --board` needs beyond the files. */
export interface BoardTrainRequest {
  spec: string;
  netPath: string;
  taskPath: string;
  net: Network;
  task: Task;
  /** The plan's options as given on the command line (validated once, by resolvePlan). */
  options: Omit<TrainingPlan, 'task' | 'name' | 'startStep' | 'stepRetries'>;
  connect: TwinConnectOptions;
  json: boolean;
  /** Run record file; undefined = a new file in runs/; null = do not record. */
  record?: string | null;
  /** Calibration record file (clln.calibration/1) of this board, if any. */
  calibrationPath?: string;
  /** Board description file (--board-file), read once at the entry point: supplies or overrides the board's law. */
  boardFile?: BoardFile;
}

/** Check the network file describes this board's topology (same nodes, same edges in the same order). */
export function checkNetworkMatchesBoard(net: Network, id: BoardIdentity, netPath: string): void {
  const fix = `write the board's network with 'clln network board ${id.model} --out FILE' and train on that`;
  if (net.nodes !== id.nodes) {
    throw new InvalidInputError({ source: netPath, field: 'nodes' }, `has ${net.nodes} nodes but board ${id.model} has ${id.nodes}`, fix);
  }
  if (net.edgeA.length !== id.edges.length) {
    throw new InvalidInputError({ source: netPath, field: 'edges' }, `has ${net.edgeA.length} edges but board ${id.model} has ${id.edges.length}`, fix);
  }
  id.edges.forEach(([a, b], e) => {
    const x = net.edgeA[e], y = net.edgeB[e];
    if (!((x === a && y === b) || (x === b && y === a))) {
      throw new InvalidInputError({ source: netPath, field: `edges[${e}]` }, `is [${x}, ${y}] but edge ${e} of board ${id.model} is [${a}, ${b}]`, fix);
    }
  });
}

/** Train on a board (twin in-process, twin on a pty, or hardware) on the training engine, and report like the in-process path. */
export async function trainBoard(req: BoardTrainRequest, io: Io): Promise<number> {
  const planned: TrainingPlan = { ...req.options, name: `train ${req.taskPath}`, task: req.task };
  const plan = resolvePlan(planned, planOption); // bad options fail here, before a board is touched
  const recordPath = req.record === null ? null : (req.record ?? newRunPath());
  if (recordPath && existsSync(recordPath)) {
    throw new InvalidInputError({ source: '--record' }, `${recordPath} exists; a run record is never overwritten`, `choose a new file, or continue that run with 'clln resume ${recordPath}'`);
  }
  const connection: BoardConnection = { spec: req.spec, ...req.connect };
  const board: Board = await connectBoard(req.spec, req.connect);
  try {
    const id = identityWithLaw(await board.identify(), req.boardFile);
    checkNetworkMatchesBoard(req.net, id, req.netPath);
    // the limits only the board knows (its ID), before a record is written or a step sent
    checkPlanOnBoard(plan, id, planOption);
    const calibration = req.calibrationPath ? loadCalibration(req.calibrationPath, id, io) : undefined;
    const checker = await stepChecker(board, id, resolvePlan(planned).samples, calibration);
    let recorder: RunRecorder | undefined;
    if (recordPath) {
      mkdirSync(dirname(recordPath), { recursive: true });
      const layout = stepLayout(id, planned, checker);
      recorder = new RunRecorder(RunWriter.create(recordPath, trainingStart(planned, req.net, id, connection, calibration), layout.descriptor()), layout);
    }
    return await runAndReport(board, id, planned, recorder, { label: `${req.spec}`, taskPath: req.taskPath, json: req.json, recordPath }, io, { calibration, checker });
  } finally {
    await board.close();
  }
}

/** Read a calibration record and check it belongs to this board (warnings, e.g. another firmware, on stderr). */
export function loadCalibration(path: string, id: BoardIdentity, io: Io): Calibration {
  const cal = new Calibration(readCalibrationFile(path, (model) => (model === id.model ? knownEdgeLaw(id) : undefined)), path);
  for (const w of cal.checkBoard(id, path)) io.stderr.write(`clln: warning: ${path}: ${w}\n`);
  return cal;
}

/**
 * The live check of every measured state against the board's Laplacian. Calibrated: the calibration's converters
 * and per-edge law, with its own uncertainty. Otherwise, for boards of a shipped model: their nominal conductance
 * law, per-edge tolerance counted as model uncertainty.
 */
export async function stepChecker(board: Board, id: BoardIdentity, samples: number, cal?: Calibration): Promise<BoardStepChecker | undefined> {
  // converter noise and tolerances: the shipped model's, when the board is one (ID does not report them)
  const known = listBoardModels().includes(id.model);
  if (cal) {
    const noise = known ? loadBoardModel(id.model).adc.noise : 0;
    return new BoardStepChecker(id, cal, await board.readEdges(), {
      adcLsb: adcLsb(id.adc),
      noiseRms: noise,
      samples,
      adcRange: { lo: id.adc.lo, hi: id.adc.hi },
      modelUncertainty: Float64Array.from(cal.conductanceUncertainty(), (u) => (Number.isFinite(u) ? u : 1)),
      dacUncertainty: cal.dacUncertainty(),
    });
  }
  const law = knownEdgeLaw(id);
  if (!known || !law) return undefined;
  const model = loadBoardModel(id.model);
  return new BoardStepChecker(id, law, await board.readEdges(), {
    adcLsb: adcLsb(id.adc),
    noiseRms: model.adc.noise,
    samples,
    adcRange: { lo: id.adc.lo, hi: id.adc.hi },
    modelUncertainty: model.edge.tolerance,
    dacUncertainty: { gain: model.dac.gainSpread, offset: model.dac.offsetSpread },
  });
}

/**
 * Settings -> conductances (S) of a board: the calibration's per-edge law, else the board's nominal law (its ID, or
 * the board file's: src/pipeline/boardEdgeLaw.ts); undefined when neither is known. Gate edges depend on the node
 * voltages: the given readings (calibrated through the calibration's ADC), or without them the nominal convention
 * of src/physics/edgeLaws.ts (every node at the middle of the ADC range).
 */
export function conductanceLaw(id: BoardIdentity, cal?: Calibration): ((settings: Float64Array, readings?: Float64Array | null) => Float64Array) | undefined {
  const edgeA = Int32Array.from(id.edges, (e) => e[0]);
  const edgeB = Int32Array.from(id.edges, (e) => e[1]);
  const mid = new Float64Array(id.nodes).fill(referenceVoltage(id.adc));
  if (cal) return (settings, readings) => cal.conductances(settings, readings ? cal.readingsToVolts(readings) : mid);
  const edge = knownEdgeLaw(id);
  if (!edge) return undefined;
  return (settings, readings) => settingsToConductance(edge, settings, { edgeA, edgeB, voltages: readings ?? mid });
}

/**
 * The learning-stability monitor of a board run whose step has a learning rate: gate boards, alpha_eff = 2 eta amp s
 * (boardLearningStep.ts), for boards whose edge law is known (calibrated, or a shipped model). Tap boards step one tap
 * by the sign of the contrast, which has no learning rate: no monitor (src/diagnostics/stepStability.ts).
 */
export function stabilityMonitor(id: BoardIdentity, planned: TrainingPlan, cal?: Calibration): StabilityMonitor | undefined {
  const law = conductanceLaw(id, cal);
  if (!law) return undefined;
  const plan = resolvePlan(planned);
  const nominal = knownEdgeLaw(id);
  const step = boardLearningStep(id.edge, { eta: plan.eta, amp: plan.amp, calibration: cal?.record, nominal });
  if (!step || step.rule !== 'cl') return undefined;
  const net = { name: id.model, nodes: id.nodes, edgeA: Int32Array.from(id.edges, (e) => e[0]), edgeB: Int32Array.from(id.edges, (e) => e[1]) };
  return new StabilityMonitor(net, plan.task, law, step.alpha, { rule: { rule: 'cl', eta: plan.eta } });
}

export function describeAlarm(step: number, c: StepCheck): string {
  const s = c.free?.suspect ?? c.clamped?.suspect;
  if (!s) return `step ${step}, no single edge or channel explains it`;
  return s.kind === 'edge' ? `step ${step}, edge ${s.edge} looks ${s.change}` : `step ${step}, ${s.converter} channel of node ${s.node} offset ${(s.offset * 1000).toFixed(1)} mV`;
}

/** UTC time as YYYYMMDD-HHMMSS, for the names of the files clln makes (runs, calibration records). */
export function fileStamp(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** A fresh run file name in the default runs directory: runs/run-YYYYMMDD-HHMMSS-xxxx.jsonl. */
export function newRunPath(now = new Date()): string {
  return join(DEFAULT_RUNS_DIR, `run-${fileStamp(now)}-${randomUUID().slice(0, 4)}.jsonl`);
}

/** Where a run's report says what it trained on. */
export interface ReportLabels {
  label: string;
  taskPath: string;
  json: boolean;
  recordPath: string | null;
}

/**
 * What a run of `planned` on board `id` records per step: `alarm` only when every step is checked (host-stepped, with
 * a checker; a device-stepped step reports only the targets, which cannot be checked node by node).
 */
export function stepLayout(id: BoardIdentity, planned: TrainingPlan, checker: BoardStepChecker | undefined): StepRecordLayout {
  const plan = resolvePlan(planned);
  return StepRecordLayout.forRun(id, plan.task, { update: plan.update, checked: plan.update === 'host' && checker !== undefined });
}

/**
 * Run `plan` on the engine against an identified board, recording each step when a recorder is given (its writer is
 * stopped at the end), and report as `clln train` does. Shared by `clln train --board` and `clln resume`. `checker`:
 * the live check (default {@link stepChecker}'s).
 */
export async function runAndReport(
  board: Board,
  id: BoardIdentity,
  planned: TrainingPlan,
  recorder: RunRecorder | undefined,
  labels: ReportLabels,
  io: Io,
  opts: { calibration?: Calibration; checker?: BoardStepChecker } = {},
): Promise<number> {
  const { calibration } = opts;
  const checker = opts.checker ?? (await stepChecker(board, id, resolvePlan(planned).samples, calibration));
  const writer = recorder?.writer;
  const stability = stabilityMonitor(id, planned, calibration);
  const engine = new TrainingEngine(board, planned, { ...(recorder ? { recorder } : {}), checker, calibration, stability, taskSource: labels.taskPath });
  const plan = engine.plan;
  const view =
    !labels.json && io.stderr.isTTY
      ? new TrainProgress(io.stderr, plan.steps, `train ${plan.update}@${id.model}`, { startDone: plan.startStep, alarms: checker !== undefined && plan.update === 'host' })
      : undefined;
  let firstAlarm: string | undefined;
  let warned = false;
  engine.warnings$.subscribe((w) => {
    if (warned) return;
    warned = true; // once per run: the condition persists, the user has been told
    io.stderr.write(`${view ? '\n' : ''}clln train: warning at step ${w.step}: ${w.message}\n`);
  });
  engine.checks$.subscribe((c) => {
    if (!c.alarm) return;
    view?.alarm();
    if (!firstAlarm) firstAlarm = describeAlarm(c.step, c.result);
  });
  if (view) {
    engine.steps$.subscribe((s) => view.step(s.step + 1, s.cost));
    engine.evaluations$.subscribe((e) => view.evaluation(e.trainMse, e.testMse));
  }
  // Ctrl-C: finish the step in flight and stop as usual; a second Ctrl-C aborts (board left safe, no final result).
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      io.stderr.write(`${view ? '\n' : ''}clln train: stopping after the current step (Ctrl-C again to abort)\n`);
      engine.stop();
    } else engine.abort();
  };
  process.on('SIGINT', onSigint);
  let r: RunSummary;
  try {
    r = await engine.run();
  } catch (e) {
    if (writer) await writer.stop('fail', e instanceof Error ? e.message : String(e));
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    view?.finish();
  }
  if (writer) await writer.stop(r.state === 'aborted' ? 'abort' : 'success', r.reason);
  if (r.state === 'aborted') {
    io.stderr.write(`clln train: aborted after ${r.stepsDone} steps; sources at 0 V, clamps released${labels.recordPath ? `; record ${labels.recordPath}` : ''}\n`);
    return 1;
  }
  // Nominal conductances where the board's law is known (src/physics/edgeLaws.ts: the nominal convention).
  const nominal = conductanceLaw(id);
  const settings = r.settings ?? new Float64Array(0);
  const conductance = nominal ? Array.from(nominal(settings)) : null;
  const ended = r.reason === 'steps' ? '' : ` (stopped early: ${REASONS[r.reason]})`;
  if (labels.json) {
    io.stdout.write(
      JSON.stringify({
        steps: r.stepsDone,
        conductance,
        settings: Array.from(settings),
        train_mse: Number.isFinite(r.trainMse) ? r.trainMse : null,
        test_mse: Number.isFinite(r.testMse) ? r.testMse : null,
        redone_steps: r.redoneSteps,
        stop_reason: r.reason,
        // device-stepped steps report only the targets' voltages, which cannot be checked node by node
        alarms: checker && plan.update === 'host' ? r.alarms : null,
        run: labels.recordPath,
        calibration: calibration ? calibration.summary() : null,
      }) + '\n',
    );
  } else {
    io.stdout.write(
      [
        `trained board ${id.model} (${labels.label}, firmware ${id.firmware}${calibration ? `, calibration ${calibration.file ?? calibration.record.id}` : ''}) on ${labels.taskPath}: ${r.stepsDone} steps${ended}, update on the ${plan.update}, ${r.seconds.toFixed(2)} s (${(r.stepsRun / Math.max(r.seconds, 1e-9)).toFixed(0)} steps/s)`,
        `  train MSE ${r.initialTrainMse.toExponential(3)} -> ${r.trainMse.toExponential(3)} V^2`,
        ...(plan.task.test.length ? [`  test  MSE ${r.initialTestMse.toExponential(3)} -> ${r.testMse.toExponential(3)} V^2`] : []),
        ...(r.redoneSteps ? [`  ${r.redoneSteps} step(s) redone after link trouble`] : []),
        ...(!checker
          ? ['  consistency not checked (board model unknown)']
          : plan.update === 'device'
            ? ['  consistency not checked per step (device-stepped: the board reports only the targets\' free voltages)']
            : [`  consistency with the Laplacian: ${r.alarms} alarm(s)${firstAlarm ? `; first: ${firstAlarm}` : ''}`]),
        ...(labels.recordPath ? [`  run recorded in ${labels.recordPath}`] : []),
      ].join('\n') + '\n',
    );
  }
  return 0;
}

const REASONS: Record<string, string> = {
  stop: 'interrupted',
  target: 'target test MSE reached',
  plateau: 'test MSE on a plateau',
};
