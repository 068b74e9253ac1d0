import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeNetworkFile } from '../../formats/networkFile.js';
import { writeTaskFile } from '../../formats/taskFile.js';
import { latticeNetwork } from '../../physics/generators/lattice.js';
import { referenceTask } from '../../physics/generators/linearTask.js';
import { Trainer } from '../../physics/Trainer.js';
import type { RuleName } from '../../physics/rules/LearningRule.js';
import { int, parse, str } from '../args.js';
import type { Io } from '../Io.js';
import { ProgressBar } from '../progressBar.js';
import { formatRatio, formatSig } from '../../formatNumber.js';

export const demoHelp = `clln demo [--rule cl|ep|cep] [--steps N] [--out DIR] [--json]
  The main job on the built-in simulated board: a 4x4 lattice with diagonals learns the linear task
  V_T1 = 0.15 V_S1 + 0.3 V_S2, V_T2 = 0.2 V_S1 + 0.1 V_S2 (sources 0,3; targets 9,10; ground 15).
  --out DIR writes the network and task files there, ready for 'clln train'.
  --json prints one JSON object {network, nodes, edges, rule, steps, train_mse: [before, after],
         test_mse: [before, after], files} (MSEs in V^2; files: the paths written by --out, else null).`;

export function demo(argv: string[], io: Io): number {
  const p = parse('demo', argv, { rule: { type: 'string' }, steps: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } });
  const json = p.values.json === true;
  const net = latticeNetwork({ rows: 4, cols: 4, diagonals: true, seed: 1 });
  const task = referenceTask();
  const dir = str(p, 'out');
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeNetworkFile(join(dir, 'network.json'), net);
    writeTaskFile(join(dir, 'task.json'), task);
    if (!json) io.stdout.write(`wrote ${join(dir, 'network.json')} and ${join(dir, 'task.json')}\n`);
  }
  const trainer = new Trainer(net, task, { rule: (str(p, 'rule') ?? 'cl') as RuleName, steps: int(p, 'steps', 1) ?? 5000, order: 'shuffle', seed: 1 });
  if (!json) io.stdout.write(`demo: ${net.name}, ${net.nodes} nodes, ${net.edgeA.length} edges; rule ${trainer.cfg.rule}, ${trainer.cfg.steps} steps\n`);
  const bar = !json && io.stderr.isTTY ? new ProgressBar(io.stderr, trainer.cfg.steps, 'train') : undefined;
  const r = trainer.run((s) => bar?.update(s.step + 1));
  bar?.finish();
  if (json) {
    const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
    io.stdout.write(
      JSON.stringify({
        network: net.name,
        nodes: net.nodes,
        edges: net.edgeA.length,
        rule: trainer.cfg.rule,
        steps: trainer.cfg.steps,
        train_mse: [finite(r.initialTrainMse), finite(r.trainMse)],
        test_mse: [finite(r.initialTestMse), finite(r.testMse)],
        files: dir ? { network: join(dir, 'network.json'), task: join(dir, 'task.json') } : null,
      }) + '\n',
    );
    return 0;
  }
  io.stdout.write(
    `train MSE ${formatSig(r.initialTrainMse, 4)} -> ${formatSig(r.trainMse, 4)} V^2; ` +
      `test MSE ${formatSig(r.initialTestMse, 4)} -> ${formatSig(r.testMse, 4)} V^2 (${formatRatio(r.initialTestMse, r.testMse)})\n`,
  );
  return 0;
}
