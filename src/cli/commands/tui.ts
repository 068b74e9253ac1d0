import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { boardLinkStats, connectBoard } from '../../device/connectBoard.js';
import type { BoardIdentity } from '../../device/Board.js';
import { InvalidInputError } from '../../errors.js';
import { readNetworkFile } from '../../formats/networkFile.js';
import { readTaskFile } from '../../formats/taskFile.js';
import { writeCalibrationFile } from '../../calibration/recordFile.js';
import { referenceTask } from '../../physics/generators/linearTask.js';
import type { Network } from '../../physics/Network.js';
import type { Task } from '../../physics/Task.js';
import { calibrateBoard } from '../../pipeline/calibrateBoard.js';
import { RunRecorder, trainingStart } from '../../pipeline/runRecord.js';
import { checkTaskOnBoard } from '../../pipeline/stepOnBoard.js';
import { TrainingEngine } from '../../pipeline/TrainingEngine.js';
import { checkPlanOnBoard, resolvePlan, resolvePlanOptions, type TrainingPlan } from '../../pipeline/TrainingPlan.js';
import { RunWriter } from '../../store/RunWriter.js';
import { boardNetwork } from '../../../twins/boardNetwork.js';
import { listBoardModels, loadBoardModel } from '../../../twins/BoardModel.js';
import { int, num, parse, str } from '../args.js';
import { BOARD_FILE_HELP, BOARD_FILE_OPTION, boardFileOption, planOption, RANGE_HELP, TWIN_HELP, TWIN_OPTIONS, twinConnectOptions } from '../boardOptions.js';
import { identityWithLaw } from '../../pipeline/boardEdgeLaw.js';
import type { Io } from '../Io.js';
import { linkStatsOf } from '../../tui/state/linkStatsOf.js';
import { defaultCalibrationPath } from './calibrate.js';
import { checkNetworkMatchesBoard, conductanceLaw, loadCalibration, newRunPath, stabilityMonitor, stepChecker, stepLayout, trainBoard } from './trainBoard.js';

export const tuiHelp = `clln tui [--board twin[:MODEL]|pty[:MODEL]|serial:PATH] [NETWORK TASK] [options]
  The terminal dashboard: train a board by coupled learning and watch it live — connection (board identity,
  firmware, round-trip time, retries, CRC errors, resets, reconnect countdown), node voltages on the network layout,
  edge settings as a heat map, train/test MSE, consistency alarms and warnings, the physical Hessian's lowest
  eigenvalues (refreshed at most once a second) and a log. Drawn at most 10 times a second.
  Keys: space pause/resume, s one step (while paused), a abort (board left safe), c calibrate (while paused or
  after the run), d diagnostics now, q quit (asks first while a run is active; a confirmed quit stops the run
  cleanly, the step in flight recorded).
  Without NETWORK TASK: the board model's own network and the reference task (sources 0,3, targets 9,10, ground 15).
  --board SPEC           default twin (the built-in simulated penn-gen1)
  --steps N              default 2000
  --update host|device   default host
  --eta X --amp X --samples N --eval-every N (default 50)
${RANGE_HELP}
  --record FILE | --no-record   run record (default a new file in runs/)
  --calibration FILE     a calibration of this board (see clln train --calibration)
${BOARD_FILE_HELP}
${TWIN_HELP}
  With no terminal (stdout not a TTY) this runs as 'clln train --board' does, with plain progress output.`;

export async function tui(argv: string[], io: Io): Promise<number> {
  const p = parse('tui', argv, {
    board: { type: 'string' },
    steps: { type: 'string' },
    update: { type: 'string' },
    eta: { type: 'string' },
    amp: { type: 'string' },
    samples: { type: 'string' },
    'eval-every': { type: 'string' },
    record: { type: 'string' },
    'no-record': { type: 'boolean' },
    calibration: { type: 'string' },
    ...TWIN_OPTIONS,
    ...BOARD_FILE_OPTION,
  });
  if (p.positionals.length !== 0 && p.positionals.length !== 2) {
    throw new InvalidInputError({ source: 'clln tui' }, `expected NETWORK TASK or nothing, got ${p.positionals.length} argument(s)`, 'usage: clln tui [--board SPEC] [NETWORK TASK]');
  }
  const spec = str(p, 'board') ?? 'twin';
  const connect = twinConnectOptions(p);
  const options: Omit<TrainingPlan, 'task'> = {
    steps: int(p, 'steps', 0) ?? 2000,
    update: str(p, 'update') as 'host' | 'device' | undefined,
    eta: num(p, 'eta'),
    amp: num(p, 'amp'),
    samples: int(p, 'samples', 1),
    evalEvery: int(p, 'eval-every', 0) ?? 50,
    order: 'shuffle',
    seed: 1,
  };
  // bad options fail here, before a board is touched (the task is known only once the board is)
  resolvePlanOptions(options, planOption);
  const record = p.values['no-record'] === true ? null : str(p, 'record');
  const calibrationPath = str(p, 'calibration');
  const boardFile = boardFileOption(p);
  const files = p.positionals.length === 2 ? { netPath: p.positionals[0], taskPath: p.positionals[1] } : undefined;

  // No terminal: the plain path (what CI and pipes see).
  if (!(io.stdout as { isTTY?: boolean }).isTTY) {
    const { net, task, netPath, taskPath } = files ? loadFiles(files) : defaultsFor(spec);
    return trainBoard({ spec, netPath, taskPath, net, task, json: false, record, calibrationPath, boardFile, options, connect }, io);
  }

  const board = await connectBoard(spec, connect);
  let writer: RunWriter | undefined;
  try {
    const id = identityWithLaw(await board.identify(), boardFile);
    const known = listBoardModels().includes(id.model) ? loadBoardModel(id.model) : undefined;
    const { net, task, netPath, taskPath } = files ? loadFiles(files) : modelFiles(id, known);
    checkNetworkMatchesBoard(net, id, netPath);
    checkTaskOnBoard(task, id, taskPath);
    const calibration = calibrationPath ? loadCalibration(calibrationPath, id, io) : undefined;
    const planned: TrainingPlan = { ...options, name: `tui ${spec}`, task };
    const plan = resolvePlan(planned, planOption);
    checkPlanOnBoard(plan, id, planOption);
    const recordPath = record === null ? null : (record ?? newRunPath());
    const checker = await stepChecker(board, id, plan.samples, calibration);
    let recorder: RunRecorder | undefined;
    if (recordPath) {
      if (existsSync(recordPath)) throw new InvalidInputError({ source: '--record' }, `${recordPath} exists; a run record is never overwritten`, 'choose a new file');
      mkdirSync(dirname(recordPath), { recursive: true });
      const layout = stepLayout(id, planned, checker);
      writer = RunWriter.create(recordPath, trainingStart(planned, net, id, { spec, ...connect }, calibration), layout.descriptor());
      recorder = new RunRecorder(writer, layout);
    }
    const stability = stabilityMonitor(id, planned, calibration);
    const engine = new TrainingEngine(board, planned, { ...(recorder ? { recorder } : {}), checker, calibration, stability });
    const law = conductanceLaw(id, calibration);
    const conductances = law ? (s: Float64Array) => law(s) : undefined;
    const w = writer;
    const { runDashboard } = await import('../../tui/runDashboard.js');
    return await runDashboard({
      board,
      id,
      engine,
      net,
      conductances,
      setup: {
        port: spec,
        title: `clln: ${id.model} learning ${files?.taskPath ?? 'the reference task'}${recordPath ? ` (record ${recordPath})` : ''}`,
        steps: plan.steps,
        edgeKind: id.edge.kind,
        settingRange: id.edge.kind === 'tap' ? [0, id.edge.taps - 1] : [id.edge.lo, id.edge.hi],
        edgeA: net.edgeA,
        edgeB: net.edgeB,
        sources: Array.from(task.sources),
        ground: Array.from(task.ground),
        targets: Array.from(task.targets),
        positions: net.positions ?? null,
      },
      linkStats: () => {
        const s = boardLinkStats(board);
        return s ? linkStatsOf(s) : null;
      },
      calibrate: known
        ? async () => {
            const fit = await calibrateBoard(board, { nominal: known.edge, noiseRms: known.adc.noise });
            const out = defaultCalibrationPath(id);
            writeCalibrationFile(out, fit.record);
            return `calibrated: ${fit.converged ? 'converged' : 'NOT converged'}, residual rms ${(fit.residual.rms * 1e3).toFixed(3)} mV; record ${out}`;
          }
        : undefined,
      onRunEnd: async (state, error) => {
        if (!w) return '';
        await w.stop(state === 'aborted' ? 'abort' : state === 'failed' ? 'fail' : 'success', error instanceof Error ? error.message : undefined);
        return `record ${recordPath}`;
      },
    });
  } finally {
    await board.close();
  }
}

function loadFiles(f: { netPath: string; taskPath: string }): { net: Network; task: Task; netPath: string; taskPath: string } {
  const net = readNetworkFile(f.netPath);
  return { net, task: readTaskFile(f.taskPath, net), ...f };
}

/** The board model's network and the reference task, for a spec naming a shipped model (no terminal path). */
function defaultsFor(spec: string): { net: Network; task: Task; netPath: string; taskPath: string } {
  const m = /^(?:twin|pty)(?::(.+))?$/.exec(spec);
  const model = m ? (m[1] ?? 'penn-gen1') : undefined;
  if (!model || !listBoardModels().includes(model)) {
    throw new InvalidInputError({ source: 'clln tui' }, `no NETWORK TASK given and board ${spec} is not a shipped twin model`, 'give the board\'s network and a task: clln tui --board SPEC NETWORK TASK');
  }
  return { net: boardNetwork(loadBoardModel(model)), task: referenceTask(), netPath: `board ${model}`, taskPath: 'the reference task' };
}

function modelFiles(id: BoardIdentity, known: ReturnType<typeof loadBoardModel> | undefined): { net: Network; task: Task; netPath: string; taskPath: string } {
  if (!known) {
    throw new InvalidInputError({ source: 'clln tui' }, `board ${id.model} is not a shipped model, so its network is unknown`, 'give its network and a task: clln tui --board SPEC NETWORK TASK');
  }
  return { net: boardNetwork(known), task: referenceTask(), netPath: `board ${id.model}`, taskPath: 'the reference task' };
}

