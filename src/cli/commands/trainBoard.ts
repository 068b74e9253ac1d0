import type { Network } from '../../physics/Network.js';
import type { Task } from '../../physics/Task.js';
import { openBoardRun } from '../../pipeline/openBoardRun.js';
import type { BoardFile } from '../../pipeline/boardEdgeLaw.js';
import type { TwinConnectOptions } from '../../pipeline/runRecord.js';
import type { TrainingPlan } from '../../pipeline/TrainingPlan.js';
import { planOption } from '../boardOptions.js';
import type { Io } from '../Io.js';
import { reportBoardRun } from '../reportBoardRun.js';

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

/**
 * Train on a board (twin in-process, twin on a pty, or hardware) on the training engine, as the pipeline assembles
 * the run (openBoardRun), and report like the in-process path.
 */
export async function trainBoard(req: BoardTrainRequest, io: Io): Promise<number> {
  const run = await openBoardRun({
    board: req.spec,
    connect: req.connect,
    files: { network: req.net, networkSource: req.netPath, task: req.task, taskSource: req.taskPath },
    plan: { ...req.options, name: `train ${req.taskPath}` },
    planLocation: planOption,
    calibration: req.calibrationPath,
    boardFile: req.boardFile,
    record: req.record,
    onWarning: (w) => io.stderr.write(`clln: warning: ${w}\n`),
  });
  try {
    return await reportBoardRun(run, { label: req.spec, taskPath: req.taskPath, json: req.json }, io);
  } finally {
    await run.close();
  }
}
