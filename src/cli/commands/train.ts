import { readNetworkFile, writeNetworkFile } from '../../formats/networkFile.js';
import { readTaskFile } from '../../formats/taskFile.js';
import { InvalidInputError } from '../../errors.js';
import { geometricTaps } from '../../physics/rules/TapRule.js';
import { Trainer, type TrainOptions } from '../../physics/Trainer.js';
import { int, num, parse, positionals, str } from '../args.js';
import { ProgressBar } from '../progressBar.js';
import type { Io } from '../Io.js';
import { trainBoard } from './trainBoard.js';

export const trainHelp = `clln train NETWORK TASK [options]
  Train a simulated network on a task with a local learning rule (one update per training example).
  --rule cl|ep|cep|tap   coupled learning, equilibrium propagation, centered EP, discrete tap rule (default cl)
  --eta X                clamping strength of cl/tap, in (0, 1] (default 0.1)
  --beta X               nudge conductance of ep/cep in siemens (default 0.01)
  --alpha X              learning rate in S/V^2 (default 0.5)
  --steps N              number of updates (default 1000)
  --order sequential|shuffle   example order; sequential uses example (step mod count) (default shuffle)
  --seed S               seed of the shuffled order (default 0)
  --taps COUNT           tap rule: geometric tap table of COUNT taps spanning the network's bounds
  --method auto|cholesky|cg   linear solver (default auto)
  --save-network OUT     write the trained network (clln.network/1)
  --json                 print one JSON object {steps, conductance, train_mse, test_mse}
 On a board (coupled learning; NETWORK must be the board's topology: 'clln network board MODEL'):
  --board twin[:MODEL]|pty[:MODEL]|serial:PATH   in-process twin, twin on a pseudo-terminal, or hardware
  --update host|device   compute the contrast update on the host from measured voltages, or let the board step (default host)
  --amp X                gate boards: gate volts per squared-volt difference (default 0.5)
  --samples N            ADC samples averaged per measurement (default 16)
  --twin-seed S          seed of the twin's non-idealities (default 0)
  --twin-ideal           twin without noise, drift, tolerances or converter errors (quantisation stays)
  --twin-faults SPEC     pty twin faults, e.g. "garble=0.01,drop=0.001,reset-every=500"
  --twin-baud B          pty twin line rate in baud (default 115200)
  with --json: {steps, conductance (nominal, null if the model is unknown), settings, train_mse, test_mse, redone_steps}`;

export function train(argv: string[], io: Io): number | Promise<number> {
  const p = parse('train', argv, {
    rule: { type: 'string' },
    eta: { type: 'string' },
    beta: { type: 'string' },
    alpha: { type: 'string' },
    steps: { type: 'string' },
    order: { type: 'string' },
    seed: { type: 'string' },
    taps: { type: 'string' },
    method: { type: 'string' },
    'save-network': { type: 'string' },
    json: { type: 'boolean' },
    board: { type: 'string' },
    update: { type: 'string' },
    amp: { type: 'string' },
    samples: { type: 'string' },
    'twin-seed': { type: 'string' },
    'twin-ideal': { type: 'boolean' },
    'twin-faults': { type: 'string' },
    'twin-baud': { type: 'string' },
  });
  const [netPath, taskPath] = positionals(p, 'train', ['NETWORK', 'TASK']);
  const net = readNetworkFile(netPath);
  const task = readTaskFile(taskPath, net);
  const opts: TrainOptions = {
    rule: str(p, 'rule') as TrainOptions['rule'],
    eta: num(p, 'eta'),
    beta: num(p, 'beta'),
    alpha: num(p, 'alpha'),
    steps: int(p, 'steps'),
    order: str(p, 'order') as TrainOptions['order'],
    seed: num(p, 'seed', Number.isInteger, 'must be an integer'),
    method: str(p, 'method') as TrainOptions['method'],
  };
  const tapCount = int(p, 'taps', 2);
  if (tapCount !== undefined) {
    if (!net.bounds) {
      throw new InvalidInputError({ source: netPath, field: 'bounds' }, '--taps COUNT spans the network bounds, but the network has none', 'add "bounds": [k_min, k_max] to the network file');
    }
    opts.taps = geometricTaps(tapCount, net.bounds[0], net.bounds[1]);
  }
  const json = p.values.json === true;
  const boardSpec = str(p, 'board');
  if (boardSpec !== undefined) {
    if (str(p, 'rule') !== undefined && str(p, 'rule') !== 'cl' && str(p, 'rule') !== 'tap') {
      throw new InvalidInputError({ source: '--rule' }, `boards learn by coupled learning (their clamped-state rule), got ${str(p, 'rule')}`, 'drop --rule or use --rule cl');
    }
    return trainBoard(
      {
        spec: boardSpec,
        netPath,
        taskPath,
        net,
        task,
        json,
        options: {
          update: str(p, 'update') as 'host' | 'device' | undefined,
          eta: opts.eta,
          amp: num(p, 'amp'),
          steps: opts.steps,
          order: opts.order,
          seed: opts.seed,
          samples: int(p, 'samples', 1),
        },
        connect: { seed: num(p, 'twin-seed', Number.isInteger, 'must be an integer'), ideal: p.values['twin-ideal'] === true, faults: str(p, 'twin-faults'), twinBaud: int(p, 'twin-baud', 1) },
      },
      io,
    );
  }
  for (const f of ['update', 'amp', 'samples', 'twin-seed', 'twin-faults', 'twin-baud']) {
    if (p.values[f] !== undefined) throw new InvalidInputError({ source: `--${f}` }, 'only applies with --board', `add --board twin, pty or serial:PATH, or drop --${f}`);
  }
  const trainer = new Trainer(net, task, opts);
  const cfg = trainer.cfg;
  const bar = !json && io.stderr.isTTY ? new ProgressBar(io.stderr, cfg.steps, `train ${cfg.rule}`) : undefined;
  let runningCost = NaN;
  const t0 = performance.now();
  const result = trainer.run((r) => {
    runningCost = Number.isNaN(runningCost) ? r.cost : 0.98 * runningCost + 0.02 * r.cost;
    bar?.update(r.step + 1, `cost ${runningCost.toExponential(2)}`);
  });
  const seconds = (performance.now() - t0) / 1000;
  bar?.finish();
  const out = str(p, 'save-network');
  if (out) writeNetworkFile(out, { ...net, conductance: result.conductance });
  if (json) {
    io.stdout.write(
      JSON.stringify({
        steps: result.steps,
        conductance: Array.from(result.conductance),
        train_mse: finiteOrNull(result.trainMse),
        test_mse: finiteOrNull(result.testMse),
      }) + '\n',
    );
  } else {
    const rate = result.steps / Math.max(seconds, 1e-9);
    const lines = [
      `trained ${net.name} on ${taskPath}: ${result.steps} steps of rule ${cfg.rule} in ${seconds.toFixed(2)} s (${rate.toFixed(0)} steps/s)`,
      `  train MSE ${fmt(result.initialTrainMse)} -> ${fmt(result.trainMse)} V^2 (${ratio(result.initialTrainMse, result.trainMse)})`,
    ];
    if (task.test.length > 0) {
      lines.push(`  test  MSE ${fmt(result.initialTestMse)} -> ${fmt(result.testMse)} V^2 (${ratio(result.initialTestMse, result.testMse)})`);
    }
    if (out) lines.push(`  trained network written to ${out}`);
    io.stdout.write(lines.join('\n') + '\n');
  }
  return 0;
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
function fmt(x: number): string {
  return x.toExponential(3);
}
function ratio(before: number, after: number): string {
  return after > 0 ? `${(before / after).toFixed(1)}x lower` : 'exact';
}
