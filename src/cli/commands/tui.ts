import { boardLinkStats } from '../../device/connectBoard.js';
import type { BoardIdentity } from '../../device/Board.js';
import { InvalidInputError } from '../../errors.js';
import { readNetworkFile } from '../../formats/networkFile.js';
import { readTaskFile } from '../../formats/taskFile.js';
import { writeCalibrationFile } from '../../calibration/recordFile.js';
import { boardModelNetwork, boardNominals, isShippedModel } from '../../pipeline/boardModels.js';
import { boardDefaultTask } from '../../tui/defaultTask.js';
import { calibrateBoard } from '../../pipeline/calibrateBoard.js';
import { openBoardRun, type BoardRunFiles } from '../../pipeline/openBoardRun.js';
import { resolvePlanOptions, type TrainingPlan } from '../../pipeline/TrainingPlan.js';
import { int, num, parse, str } from '../args.js';
import { BOARD_FILE_HELP, BOARD_FILE_OPTION, boardFileOption, planOption, RANGE_HELP, TWIN_HELP, TWIN_OPTIONS, twinConnectOptions, twinModelOf } from '../boardOptions.js';
import type { Io } from '../Io.js';
import { linkStatsOf } from '../../tui/state/linkStatsOf.js';
import { dashboardCalibrationPath } from '../../tui/calibrationFolder.js';
import { trainBoard } from './trainBoard.js';
import { formatSI } from '../../formatNumber.js';
import { spectralLayout } from '../../diagnostics/diagnoseNetwork.js';

export const tuiHelp = `clln tui [--board twin[:MODEL]|pty[:MODEL]|serial:PATH] [NETWORK TASK] [options]
  The terminal dashboard: train a board by coupled learning and watch it live — connection (board identity,
  firmware, round-trip time, retries, CRC errors, resets, reconnect countdown), node voltages on the network layout,
  edge settings as a heat map, train/test MSE, consistency alarms and warnings, the physical Hessian's lowest
  eigenvalues (refreshed at most once a second) and a log. Drawn at most 10 times a second.
  Keys: space pause/resume, s one step (while paused), a abort (asks first; board left safe), c calibrate (while
  paused or after the run; the record goes to calibrations/ in the working directory, which git ignores), d
  diagnostics now, q quit (asks first while a run is active; a confirmed quit stops the run
  cleanly, the step in flight recorded).
  Without NETWORK TASK: the board model's own network and the reference task (sources 0,3, targets 9,10, ground 15),
  or, on a board that cannot drive or clamp those nodes, its map on the board's channels (sources and ground among
  its drive nodes, targets among its clamp nodes: clln-ref16 sources 0,3, ground 1, targets 13,14).
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
    ...BOARD_FILE_OPTION,
    ...TWIN_OPTIONS,
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
    const { network: net, task, networkSource: netPath, taskSource: taskPath } = files ? loadFiles(files) : defaultsFor(spec);
    return trainBoard({ spec, netPath, taskPath, net, task, json: false, record, calibrationPath, boardFile, options, connect }, io);
  }

  const run = await openBoardRun({
    board: spec,
    connect,
    // without files, the board's own network and its default task, once the board has said which it is
    files: files ? loadFiles(files) : modelFiles,
    plan: { ...options, name: `tui ${spec}` },
    planLocation: planOption,
    calibration: calibrationPath,
    boardFile,
    record,
    onWarning: (w) => io.stderr.write(`clln: warning: ${w}\n`),
  });
  try {
    const { board, identity: id, files: used, plan, nominals, recordPath } = run;
    const net = used.network;
    const task = used.task;
    const law = run.conductances;
    const { runDashboard } = await import('../../tui/runDashboard.js');
    return await runDashboard({
      board,
      id,
      engine: run.engine,
      net,
      conductances: law ? (s: Float64Array) => law(s) : undefined,
      setup: {
        port: spec,
        title: `clln: ${id.model} learning ${used.taskSource}${recordPath ? ` (record ${recordPath})` : ''}`,
        steps: plan.steps,
        edgeKind: id.edge.kind,
        settingRange: id.edge.kind === 'tap' ? [0, id.edge.taps - 1] : [id.edge.lo, id.edge.hi],
        edgeA: net.edgeA,
        edgeB: net.edgeB,
        sources: Array.from(task.sources),
        ground: Array.from(task.ground),
        targets: Array.from(task.targets),
        // the voltages and edges panels draw on the network's own layout, else on its spectral layout (as diagnose)
        positions: net.positions ?? spectralLayout(net),
      },
      linkStats: () => {
        const s = boardLinkStats(board);
        return s ? linkStatsOf(s) : null;
      },
      calibrate: nominals
        ? async () => {
            const fit = await calibrateBoard(board, { nominal: nominals.edge, noiseRms: nominals.adcNoise });
            const out = dashboardCalibrationPath(id);
            writeCalibrationFile(out, fit.record);
            return `calibrated: ${fit.converged ? 'converged' : 'NOT converged'}, residual rms ${formatSI(fit.residual.rms, 'V', 4)}; record ${out} (use it with --calibration)`;
          }
        : undefined,
      onRunEnd: async (state, error) => {
        if (!recordPath) return '';
        await run.endRecord(state === 'aborted' ? 'abort' : state === 'failed' ? 'fail' : 'success', error instanceof Error ? error.message : undefined);
        return `record ${recordPath}`;
      },
    });
  } finally {
    await run.close();
  }
}

function loadFiles(f: { netPath: string; taskPath: string }): BoardRunFiles {
  const network = readNetworkFile(f.netPath, { command: 'clln tui' });
  return { network, networkSource: f.netPath, task: readTaskFile(f.taskPath, network), taskSource: f.taskPath };
}

/** The board model's network and its default task (src/tui/defaultTask.ts), for a spec naming a shipped model (no terminal path). */
function defaultsFor(spec: string): BoardRunFiles {
  const model = twinModelOf(spec);
  if (!model || !isShippedModel(model)) {
    throw new InvalidInputError({ source: 'clln tui' }, `no NETWORK TASK given and board ${spec} is not a shipped twin model`, 'give the board\'s network and a task: clln tui --board SPEC NETWORK TASK');
  }
  const n = boardNominals(model);
  const { task, description } = boardDefaultTask({ model, drivable: n.drivable, clampable: n.clampable });
  return { network: boardModelNetwork(model), networkSource: `board ${model}`, task, taskSource: description };
}

/** The identified board's own network (a shipped model's) and its default task (from its ID's drive= and clamp=). */
function modelFiles(id: BoardIdentity): BoardRunFiles {
  if (!isShippedModel(id.model)) {
    throw new InvalidInputError({ source: 'clln tui' }, `board ${id.model} is not a shipped model, so its network is unknown`, 'give its network and a task: clln tui --board SPEC NETWORK TASK');
  }
  const { task, description } = boardDefaultTask(id);
  return { network: boardModelNetwork(id.model), networkSource: `board ${id.model}`, task, taskSource: description };
}
