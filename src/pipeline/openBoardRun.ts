/**
 * `openBoardRun`: everything a training run on a board needs, assembled in one place for every front end
 * (`clln train --board`, `clln resume`, `clln tui`, scripts): connect and identify the board, check the network, the
 * task and the plan against it, load the calibration, build the live step checker, the stability monitor, the
 * conductance law, the step layout and the run recorder, and the training engine over them.
 *
 * A new run: `openBoardRun({board, files, plan, calibration?, record?})`. A resumed run:
 * `openBoardRun({resume: RUN})` — board, network, task, plan and calibration come from the record, the recorded edge
 * settings are put back on the board, and the events are appended in the record's own layout.
 *
 * Bad input (InvalidInputError naming the file or option, the field and the fix) is refused before anything is sent
 * to the board or recorded where it can be: plan options before connecting, the network, plan limits and task once
 * the board is identified. Whatever was opened is closed again when opening fails.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Board, BoardIdentity } from '../device/Board.js';
import { connectBoard, parseBoardSpec } from '../device/connectBoard.js';
import { InvalidInputError } from '../errors.js';
import type { Calibration } from '../calibration/Calibration.js';
import type { Network } from '../physics/Network.js';
import type { Task } from '../physics/Task.js';
import { EvaluationStream } from './evaluationRecord.js';
import { eventLine } from '../store/readRun.js';
import { RunWriter } from '../store/RunWriter.js';
import { boardConductanceLaw, type ConductanceLaw } from './boardConductanceLaw.js';
import { nominalsOf, shippedNominals, type BoardNominals } from './boardModels.js';
import { type BoardFile, identityWithLaw, recordedEdgeLaw } from './boardEdgeLaw.js';
import { boardStabilityMonitor } from './boardStabilityMonitor.js';
import type { BoardStepChecker, StepCheck } from './BoardStepChecker.js';
import { checkNetworkMatchesBoard } from './checkNetworkMatchesBoard.js';
import { checkRecordedSettings } from './checkRecordedSettings.js';
import { liveStepChecker } from './liveStepChecker.js';
import { loadBoardCalibration } from './loadBoardCalibration.js';
import { newRecordPath } from './newRunPath.js';
import { boardConfiguration, resumePoint, RunRecorder, trainingStart, type BoardConnection, type TwinConnectOptions } from './runRecord.js';
import { checkTaskOnBoard } from './stepOnBoard.js';
import { LEGACY_STEP_LAYOUT, StepRecordLayout } from './StepRecordLayout.js';
import { TrainingEngine, type RunSummary } from './TrainingEngine.js';
import { checkPlanOnBoard, resolvePlan, resolvePlanOptions, type PlanFieldLocation, type ResolvedPlan, type TrainingPlan } from './TrainingPlan.js';

/** The network and task of a run, with where they came from (for messages: a file name, `board MODEL`, ...). */
export interface BoardRunFiles {
  network: Network;
  networkSource: string;
  task: Task;
  taskSource: string;
}

/** A new run on a board. */
export interface NewBoardRunRequest {
  /** The board: a spec to connect to (`twin[:MODEL]`, `pty[:MODEL]`, `serial:PATH`), or a board already connected (not closed by the run). */
  board: string | Board;
  /** Twin options of the connection (seed, ideal, faults, baud), kept in the record for a resume. */
  connect?: TwinConnectOptions;
  /** With a connected `board`: the spec that reaches it again (`twin`, `serial:PATH`, ...), kept in the record for a resume; required when recording. */
  spec?: string;
  /** The network and task, or a function of the board's identity giving them (e.g. the board's own network). */
  files: BoardRunFiles | ((id: BoardIdentity) => BoardRunFiles);
  /** The plan without its task (the task is the files'). Recorded as given: defaults are not written out. */
  plan: Omit<TrainingPlan, 'task'>;
  /** How a plan error names its field (e.g. by the command-line option); default `plan.FIELD`. */
  planLocation?: PlanFieldLocation;
  /** A calibration record (`clln.calibration/1`) file of this board. */
  calibration?: string;
  /**
   * A board description (`clln.board/1`, read with readBoardFile), checked against the board: its nominal edge law
   * supplies or overrides the one the board reports in ID (boardEdgeLaw.ts), and its converter noise and tolerances
   * set the live check's uncertainty.
   */
  boardFile?: BoardFile;
  /** Run record file; undefined = a new file in runs/ (newRunPath); null = not recorded. Never overwritten. */
  record?: string | null;
  /** Warnings that do not stop the run (e.g. a calibration from another firmware), one line each. */
  onWarning?: (message: string) => void;
}

/** A run continued from its record. */
export interface ResumeBoardRunRequest {
  /** The run record file (JSON lines) to continue, appending to it. */
  resume: string;
}

export type OpenBoardRunRequest = NewBoardRunRequest | ResumeBoardRunRequest;

/** An opened run: what a front end drives, shows and closes. */
export interface BoardRun {
  readonly board: Board;
  readonly identity: BoardIdentity;
  readonly files: BoardRunFiles;
  /** The engine, not yet run (`run()` below runs it and ends the record; or run `engine.run()` and call `endRecord`). */
  readonly engine: TrainingEngine<StepCheck>;
  /** The resolved plan (defaults filled in; `startStep` > 0 for a resumed run). */
  readonly plan: ResolvedPlan;
  /** The plan as given (a new run) or recorded (a resumed one): what the record's start document holds. */
  readonly planned: TrainingPlan;
  /** How the board was reached, as the record keeps it for a resume. */
  readonly connection: BoardConnection;
  /** The live check of every step against the Laplacian; undefined when the board's edge law is unknown. */
  readonly checker: BoardStepChecker | undefined;
  /** Whether every step is checked (host-stepped with a checker; a device step reports only the targets). */
  readonly checked: boolean;
  readonly calibration: Calibration | undefined;
  /** Settings -> conductances (S): the calibration's law, else the board's nominal law (ID or board file); undefined if neither. */
  readonly conductances: ConductanceLaw | undefined;
  /**
   * Settings -> nominal conductances (S): the board's nominal law (ID or board file) without the calibration, gate
   * edges at the nominal convention (src/physics/edgeLaws.ts: every node at mid-ADC); undefined when the law is unknown.
   */
  readonly nominalConductances: ConductanceLaw | undefined;
  /** The board file's or shipped model's nominal facts (converter noise, spreads, tolerance); undefined when neither is known. */
  readonly nominals: BoardNominals | undefined;
  /** The run record file, or null when not recorded. */
  readonly recordPath: string | null;
  readonly writer: RunWriter | undefined;
  /** Run the engine; the record gets its stop document (success, abort, or fail with the error, which is rethrown). */
  run(): Promise<RunSummary>;
  /** End the record (once; nothing without one) for a front end that ran `engine.run()` itself. */
  endRecord(status: 'success' | 'abort' | 'fail', reason?: string): Promise<void>;
  /** Close the record if it was not ended (it stays resumable) and the board if this run connected it. */
  close(): Promise<void>;
}

/** Open a run on a board; see the file comment. */
export async function openBoardRun(req: OpenBoardRunRequest): Promise<BoardRun> {
  return 'resume' in req ? resumeRun(req.resume) : newRun(req);
}

async function newRun(req: NewBoardRunRequest): Promise<BoardRun> {
  const where = req.planLocation;
  const given = typeof req.files === 'function' ? undefined : req.files;
  // bad options fail here, before a board is touched (with the task when it is known without the board)
  if (given) resolvePlan({ ...req.plan, task: given.task }, where);
  else resolvePlanOptions(req.plan, where);
  const recordPath = newRecordPath(req.record);
  const owned = typeof req.board === 'string';
  if (!owned && recordPath && req.spec === undefined) {
    throw new InvalidInputError({ source: 'openBoardRun', field: 'spec' }, 'is needed to record a run on a board given already connected (a resume reconnects through it)', "give the board's spec, e.g. spec: 'serial:/dev/ttyACM0', or record: null");
  }
  const spec = typeof req.board === 'string' ? req.board : (req.spec ?? '');
  const board = typeof req.board === 'string' ? await connectBoard(req.board, req.connect) : req.board;
  let writer: RunWriter | undefined;
  try {
    const id = identityWithLaw(await board.identify(), req.boardFile);
    const nominals = req.boardFile ? nominalsOf(req.boardFile.model) : shippedNominals(id.model);
    const files = given ?? (req.files as (id: BoardIdentity) => BoardRunFiles)(id);
    checkNetworkMatchesBoard(files.network, id, files.networkSource);
    const planned: TrainingPlan = { ...req.plan, task: files.task };
    const plan = resolvePlan(planned, where);
    // the limits only the board knows (its ID), before a record is written or a step sent
    checkPlanOnBoard(plan, id, where);
    checkTaskOnBoard(files.task, id, files.taskSource);
    const calibration = req.calibration ? loadBoardCalibration(req.calibration, id, req.onWarning) : undefined;
    const checker = await liveStepChecker(board, id, plan.samples, calibration, nominals);
    const connection: BoardConnection = { spec, ...req.connect };
    let recorder: RunRecorder | undefined;
    if (recordPath) {
      mkdirSync(dirname(recordPath), { recursive: true });
      const layout = StepRecordLayout.forRun(id, plan.task, { update: plan.update, checked: plan.update === 'host' && checker !== undefined, calibration });
      const start = trainingStart(planned, files.network, id, connection, calibration);
      writer = RunWriter.create(recordPath, start, layout.descriptor(boardConfiguration(id, plan, calibration, start.time)), { batchEvents: recordBatch(spec, owned) });
      recorder = new RunRecorder(writer, layout, new EvaluationStream(writer, plan.evalEvery, plan.task.test.length, plan.task.targets.length));
    }
    return assemble({ board, owned, connection, id, files, planned, calibration, checker, recorder, recordPath, nominals });
  } catch (e) {
    await writer?.close();
    if (owned) await board.close();
    throw e;
  }
}

/**
 * Events per write(2) of the run record (RunWriter's batched writes): 64 for the in-process twin made by this run
 * (issue 18, point 3), which dies with this process and is rebuilt from the record's last event on resume, so a batch
 * lost with the process is only steps done again; 1 for every board that outlives the host (hardware, the pty twin,
 * a board given already connected), whose step events are each written before the next step changes the board.
 */
export const IN_PROCESS_RECORD_BATCH = 64;

function recordBatch(spec: string, owned: boolean): number {
  if (!owned) return 1;
  try {
    return parseBoardSpec(spec).kind === 'twin' ? IN_PROCESS_RECORD_BATCH : 1;
  } catch {
    return 1;
  }
}

async function resumeRun(path: string): Promise<BoardRun> {
  const { writer, record } = RunWriter.resume(path);
  let board: Board | undefined;
  try {
    const last = record.events[record.events.length - 1];
    const rp = resumePoint(path, record.start as Record<string, unknown>, last);
    // the recorded plan is checked like a new one, before a board is touched: a record is input too
    const where: PlanFieldLocation = (field) => ({ source: `${path}: line 1`, field: `start.plan.${field}` });
    const plan = resolvePlan(rp.plan, where);
    board = await connectBoard(rp.connection.spec, rp.connection);
    writer.batchEvents(recordBatch(rp.connection.spec, true));
    const fresh = await board.identify();
    // the run goes on with the law it was checked against, as recorded (the board's ID, or its --board-file)
    const started = (record.start as { board?: BoardIdentity }).board;
    const id = started && recordedEdgeLaw(started, `${path}: line 1`) ? { ...fresh, law: started.law } : fresh;
    const nominals = shippedNominals(id.model);
    const files: BoardRunFiles = { network: rp.network, networkSource: `${path}: line 1: start.network`, task: plan.task, taskSource: `${path} (task)` };
    checkNetworkMatchesBoard(rp.network, id, files.networkSource);
    checkPlanOnBoard(plan, id, where);
    checkTaskOnBoard(plan.task, id, files.taskSource);
    rp.calibration?.checkBoard(id, `${path}: line 1: start.calibration.record`);
    if (rp.settings) {
      checkRecordedSettings(rp.settings, id, path, eventLine(last));
      // the board holds whatever it held when the host died (or its power-on state): the record is the truth
      await board.writeEdges(new Map(Array.from(rp.settings, (v, e) => [e, v] as [number, number])));
    }
    // appended events keep the record's own layout (also that of a record written by clln 0.1.0)
    const layout = StepRecordLayout.ofRecord(path, record.descriptor, rp.calibration);
    const checker = await liveStepChecker(board, id, plan.samples, rp.calibration, nominals);
    if (layout.layout !== LEGACY_STEP_LAYOUT && layout.dataKeys.alarm && !checker) {
      throw new InvalidInputError({ source: path, field: 'descriptor.data_keys.alarm' }, `the run checked every step, but board ${id.model}'s edge law or converter noise is unknown here (no law recorded or reported, no calibration)`, 'resume it where the board model is known');
    }
    return assemble({ board, owned: true, connection: rp.connection, id, files, planned: rp.plan, calibration: rp.calibration, checker, recorder: new RunRecorder(writer, layout, new EvaluationStream(writer, plan.evalEvery, plan.task.test.length, plan.task.targets.length, record.evaluation?.events)), recordPath: path, nominals });
  } catch (e) {
    await writer.close();
    await board?.close();
    throw e;
  }
}

interface Parts {
  board: Board;
  /** Whether the run connected the board (and closes it). */
  owned: boolean;
  connection: BoardConnection;
  id: BoardIdentity;
  files: BoardRunFiles;
  planned: TrainingPlan;
  calibration: Calibration | undefined;
  checker: BoardStepChecker | undefined;
  recorder: RunRecorder | undefined;
  recordPath: string | null;
  nominals: BoardNominals | undefined;
}

/** The engine over the checked parts, and the run's life cycle (record ended once, closed once). */
function assemble(p: Parts): BoardRun {
  const { board, id, calibration, checker, recorder } = p;
  const stability = boardStabilityMonitor(id, p.planned, calibration);
  const engine = new TrainingEngine<StepCheck>(board, p.planned, { ...(recorder ? { recorder } : {}), checker, calibration, stability, taskSource: p.files.taskSource });
  const writer = recorder?.writer;
  let ended = false;
  let closed = false;
  const endRecord = async (status: 'success' | 'abort' | 'fail', reason?: string): Promise<void> => {
    if (!writer || ended) return;
    ended = true;
    await writer.stop(status, reason);
  };
  return {
    board,
    identity: id,
    files: p.files,
    engine,
    plan: engine.plan,
    planned: p.planned,
    connection: p.connection,
    checker,
    checked: checker !== undefined && engine.plan.update === 'host',
    calibration,
    conductances: boardConductanceLaw(id, calibration),
    nominalConductances: boardConductanceLaw(id),
    nominals: p.nominals,
    recordPath: p.recordPath,
    writer,
    async run() {
      let r: RunSummary;
      try {
        r = await engine.run();
      } catch (e) {
        await endRecord('fail', e instanceof Error ? e.message : String(e));
        throw e;
      }
      await endRecord(r.state === 'aborted' ? 'abort' : 'success', r.reason);
      return r;
    },
    endRecord,
    async close() {
      if (closed) return;
      closed = true;
      try {
        if (writer && !ended) await writer.close();
      } finally {
        if (p.owned) await board.close();
      }
    },
  };
}
