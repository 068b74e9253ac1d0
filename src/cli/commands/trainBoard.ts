import { connectBoard } from '../../device/connectBoard.js';
import type { Board, BoardIdentity } from '../../device/Board.js';
import { InvalidInputError } from '../../errors.js';
import type { Network } from '../../physics/Network.js';
import type { Task } from '../../physics/Task.js';
import { trainOnBoard, type BoardTrainOptions } from '../../pipeline/trainOnBoard.js';
import { loadBoardModel, listBoardModels } from '../../../twins/BoardModel.js';
import { nominalConductance } from '../../../twins/boardNetwork.js';
import type { Io } from '../Io.js';
import { ProgressBar } from '../progressBar.js';

/** What `clln train --board` needs beyond the files. */
export interface BoardTrainRequest {
  spec: string;
  netPath: string;
  taskPath: string;
  net: Network;
  task: Task;
  options: BoardTrainOptions;
  connect: { seed?: number; ideal?: boolean; faults?: string; twinBaud?: number };
  json: boolean;
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

/** Train on a board (twin in-process, twin on a pty, or hardware) and report like the in-process path. */
export async function trainBoard(req: BoardTrainRequest, io: Io): Promise<number> {
  const board: Board = await connectBoard(req.spec, req.connect);
  try {
    const id = await board.identify();
    checkNetworkMatchesBoard(req.net, id, req.netPath);
    const steps = req.options.steps ?? 1000;
    const bar = !req.json && io.stderr.isTTY ? new ProgressBar(io.stderr, steps, `train ${req.options.update ?? 'host'}@${id.model}`) : undefined;
    const t0 = performance.now();
    const r = await trainOnBoard(board, req.task, { ...req.options, onStep: (s) => bar?.update(s.step + 1, `cost ${s.cost.toExponential(2)}`) });
    bar?.finish();
    const seconds = (performance.now() - t0) / 1000;
    // Nominal conductances where the board model is known (twins, or hardware of a shipped model).
    const model = listBoardModels().includes(id.model) ? loadBoardModel(id.model) : undefined;
    const conductance = model ? Array.from(r.settings, (s) => nominalConductance(model, s)) : null;
    if (req.json) {
      io.stdout.write(
        JSON.stringify({
          steps: r.steps,
          conductance,
          settings: Array.from(r.settings),
          train_mse: Number.isFinite(r.trainMse) ? r.trainMse : null,
          test_mse: Number.isFinite(r.testMse) ? r.testMse : null,
          redone_steps: r.redoneSteps,
        }) + '\n',
      );
    } else {
      io.stdout.write(
        [
          `trained board ${id.model} (${req.spec}, firmware ${id.firmware}) on ${req.taskPath}: ${r.steps} steps, update on the ${req.options.update ?? 'host'}, ${seconds.toFixed(2)} s (${(r.steps / Math.max(seconds, 1e-9)).toFixed(0)} steps/s)`,
          `  train MSE ${r.initialTrainMse.toExponential(3)} -> ${r.trainMse.toExponential(3)} V^2`,
          ...(req.task.test.length ? [`  test  MSE ${r.initialTestMse.toExponential(3)} -> ${r.testMse.toExponential(3)} V^2`] : []),
          ...(r.redoneSteps ? [`  ${r.redoneSteps} step(s) redone after link trouble`] : []),
        ].join('\n') + '\n',
      );
    }
    return 0;
  } finally {
    await board.close();
  }
}
