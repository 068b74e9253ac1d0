import { readNetworkFile } from '../../formats/networkFile.js';
import { parseTask, taskToJson, writeTaskFile } from '../../formats/taskFile.js';
import { InvalidInputError, show } from '../../errors.js';
import { linearTask } from '../../physics/generators/linearTask.js';
import { parseIdList, parseMatrix } from '../../physics/generators/parse.js';
import { MAX_EXAMPLES } from '../../formats/limits.js';
import { int, num, parse, str } from '../args.js';
import type { Io } from '../Io.js';

export const taskHelp = `clln task linear --matrix "a,b;c,d" --sources 0,3 --targets 9,10 --ground 15 [--count 40] [--test 20] [--seed 1] [--range LO,HI] [--network NET] [--out FILE]
  Write a clln.task/1 file whose examples have random source voltages (uniform in --range, volts, default 0,1)
  and targets V_T = MATRIX V_S (rows: targets, columns: sources). With --network the task is validated
  against that network (node ids, roles, connectivity).`;

export function task(argv: string[], io: Io): number {
  const p = parse('task', argv, {
    matrix: { type: 'string' },
    sources: { type: 'string' },
    targets: { type: 'string' },
    ground: { type: 'string' },
    count: { type: 'string' },
    test: { type: 'string' },
    seed: { type: 'string' },
    range: { type: 'string' },
    network: { type: 'string' },
    out: { type: 'string', short: 'o' },
  });
  const [kind, ...extra] = p.positionals;
  if (kind !== 'linear' || extra.length > 0) {
    throw new InvalidInputError({ source: 'clln task' }, `expected 'linear', got ${show(p.positionals.join(' '))}`, `see 'clln help task'`);
  }
  const need = (name: string): string => {
    const v = str(p, name);
    if (v === undefined) throw new InvalidInputError({ source: `--${name}` }, 'is required', `see 'clln help task'`);
    return v;
  };
  let inputRange: [number, number] | undefined;
  const range = str(p, 'range');
  if (range !== undefined) {
    const r = range.split(',').map(Number);
    if (r.length !== 2 || !r.every(Number.isFinite) || !(r[0] < r[1])) {
      throw new InvalidInputError({ source: '--range' }, `expected LO,HI with LO < HI (volts), got ${show(range)}`);
    }
    inputRange = [r[0], r[1]];
  }
  const t = linearTask({
    matrix: parseMatrix(need('matrix')),
    sources: parseIdList(need('sources'), '--sources'),
    targets: parseIdList(need('targets'), '--targets'),
    ground: parseIdList(str(p, 'ground') ?? '', '--ground'),
    count: atMost(int(p, 'count', 1) ?? 40, '--count'),
    test: atMost(int(p, 'test', 0) ?? 20, '--test'),
    seed: num(p, 'seed', Number.isInteger, 'must be an integer') ?? 0,
    inputRange,
  });
  const netPath = str(p, 'network');
  if (netPath) parseTask(taskToJson(t), '(generated task)', readNetworkFile(netPath, { command: 'clln task' }), netPath);
  const out = str(p, 'out');
  if (out) {
    writeTaskFile(out, t);
    io.stderr.write(`wrote ${out}: ${t.train.length} training and ${t.test.length} test examples\n`);
  } else {
    io.stdout.write(JSON.stringify(taskToJson(t)) + '\n');
  }
  return 0;
}

/** A task file holds at most {@link MAX_EXAMPLES} training and as many test examples (checked before generating). */
function atMost(count: number, option: string): number {
  if (count > MAX_EXAMPLES) throw new InvalidInputError({ source: option }, `must be at most ${MAX_EXAMPLES} (the most examples a task file holds), got ${count}`);
  return count;
}
