import { readNetworkFile } from '../../formats/networkFile.js';
import { parseTask, taskToJson, writeTaskFile } from '../../formats/taskFile.js';
import { InvalidInputError, show } from '../../errors.js';
import { linearTask } from '../../physics/generators/linearTask.js';
import { polynomialTask, xorTask } from '../../physics/generators/nonlinearTask.js';
import { parseIdList, parseMatrix } from '../../physics/generators/parse.js';
import { MAX_EXAMPLES, MAX_SPRING_NODES } from '../../formats/limits.js';
import { int, num, parse, str } from '../args.js';
import type { Io } from '../Io.js';
import { readSpringsFile } from '../../formats/springsFile.js';
import { parseStrainTask, strainTaskToJson, writeStrainTaskFile, type StrainTaskFile } from '../../formats/strainTaskFile.js';
import { pickStrainPairs } from '../../physics/springs/generators/strainPairs.js';
import type { SpringNetwork } from '../../physics/springs/SpringNetwork.js';
import type { Parsed } from '../args.js';

export const taskHelp = `clln task linear --matrix "a,b;c,d" --sources 0,3 --targets 9,10 --ground 15 [--count 40] [--test 20] [--seed 1] [--range LO,HI] [--network NET] [--out FILE]
  Write a clln.task/1 file whose examples have random source voltages (uniform in --range, volts, default 0,1)
  and targets V_T = MATRIX V_S (rows: targets, columns: sources). With --network the task is validated
  against that network (node ids, roles, connectivity).
clln task xor --sources A,B --targets T [--ground 15] [--complements A2,B2] [--rail NODE=VOLTS] [--levels LO,HI] [--outputs LO,HI] [--network NET] [--out FILE]
  XOR: the four input pairs at --levels (volts for 0 and 1, default 0,1) on sources A and B, the desired output at
  --outputs (volts for false and true, default 0.1,0.3) on T; training and test sets both the four examples. An
  output counts as true above the midpoint of the two output levels. --complements drives two more sources at the
  opposite levels (differential inputs); --rail adds a source held at VOLTS in every example (the last source).
clln task poly --coefficients C0,C1,.. --sources S --targets T [--ground 15] [--rail NODE=VOLTS] [--count 40] [--test 20] [--seed 1] [--range LO,HI] [--network NET] [--out FILE]
  Nonlinear regression: input x uniform in --range (V) on S, target C0 + C1 x + C2 x^2 + ... (V) on T.
clln task strain --source A,B --target C,D --delta X [--source-strain E] [--cooperative] [--lambda L] [--eta H] [--network SPRINGS] [--seed S] [--out FILE]
  A clln.strain-task/1 file for a spring network: straining node pair A,B by E (dimensionless, default 1) should
  strain pair C,D by X (allostery); --cooperative trains both directions (A,B -> C,D and C,D -> A,B); --lambda L adds
  the energy regularisation (default 0; L < 0 raises the free-state energy, L > 0 lowers it; write --lambda=-1e-6); --eta H in (0, 1] is stored as the suggested clamping strength. With
  --network (a clln.springs/1 file) the pairs are checked against it (ids in range, nodes at distinct positions);
  --source auto and/or --target auto then pick the ends of a random spring and of a random spring at least half the
  farthest distance away (seeded by --seed). --json: {file, kind, source, target, sourceStrain, delta, cooperative,
  lambda, task}. A negative value is written --delta=-0.3 (the option parser reads a separate -0.3 as an option).
--json (any kind): one JSON object on stdout, {file, kind, train, test, sources, targets, ground, task}: file is
  --out's path (null without it), train/test the example counts, task the clln.task/1 document (null with --out).`;

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
    complements: { type: 'string' },
    rail: { type: 'string' },
    levels: { type: 'string' },
    outputs: { type: 'string' },
    coefficients: { type: 'string' },
    json: { type: 'boolean' },
    source: { type: 'string' },
    target: { type: 'string' },
    delta: { type: 'string' },
    'source-strain': { type: 'string' },
    cooperative: { type: 'boolean' },
    lambda: { type: 'string' },
    eta: { type: 'string' },
  });
  const json = p.values.json === true;
  const [kind, ...extra] = p.positionals;
  if (!['linear', 'xor', 'poly', 'strain'].includes(kind) || extra.length > 0) {
    throw new InvalidInputError({ source: 'clln task' }, `expected 'linear', 'xor', 'poly' or 'strain', got ${show(p.positionals.join(' '))}`, `see 'clln help task'`);
  }
  if (kind === 'strain') return strainTask(p, io);
  for (const o of STRAIN_OPTIONS) {
    if (p.values[o] !== undefined) throw new InvalidInputError({ source: `--${o}` }, `applies to 'clln task strain' only`, `remove --${o}, or see 'clln help task'`);
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
  const only = (ids: ArrayLike<number>, option: string, count: number): number[] => {
    if (ids.length !== count) throw new InvalidInputError({ source: option }, `clln task ${kind} takes ${count === 1 ? 'one node' : `${count} nodes`} here, got ${ids.length}`, `see 'clln help task'`);
    return Array.from(ids);
  };
  const pairOf = (option: string): [number, number] | undefined => {
    const v = str(p, option);
    if (v === undefined) return undefined;
    const r = v.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
    if (r.length !== 2 || !r.every(Number.isFinite)) throw new InvalidInputError({ source: `--${option}` }, `expected LO,HI (volts), got ${show(v)}`);
    return [r[0], r[1]];
  };
  const rail = parseRail(str(p, 'rail'));
  const ground = parseIdList(str(p, 'ground') ?? '', '--ground');
  const t =
    kind === 'xor'
      ? xorTask({
          inputs: only(parseIdList(need('sources'), '--sources'), '--sources', 2) as [number, number],
          target: only(parseIdList(need('targets'), '--targets'), '--targets', 1)[0],
          complements: str(p, 'complements') === undefined ? undefined : (only(parseIdList(str(p, 'complements')!, '--complements'), '--complements', 2) as [number, number]),
          ground,
          rail,
          levels: pairOf('levels'),
          outputs: pairOf('outputs'),
        })
      : kind === 'poly'
        ? polynomialTask({
            coefficients: parseCoefficients(need('coefficients')),
            source: only(parseIdList(need('sources'), '--sources'), '--sources', 1)[0],
            target: only(parseIdList(need('targets'), '--targets'), '--targets', 1)[0],
            ground,
            rail,
            count: atMost(int(p, 'count', 1) ?? 40, '--count'),
            test: atMost(int(p, 'test', 0) ?? 20, '--test'),
            seed: num(p, 'seed', Number.isInteger, 'must be an integer') ?? 0,
            inputRange,
          })
        : linearTask({
            matrix: parseMatrix(need('matrix')),
            sources: parseIdList(need('sources'), '--sources'),
            targets: parseIdList(need('targets'), '--targets'),
            ground,
            count: atMost(int(p, 'count', 1) ?? 40, '--count'),
            test: atMost(int(p, 'test', 0) ?? 20, '--test'),
            seed: num(p, 'seed', Number.isInteger, 'must be an integer') ?? 0,
            inputRange,
          });
  const netPath = str(p, 'network');
  if (netPath) parseTask(taskToJson(t), '(generated task)', readNetworkFile(netPath, { nonlinear: true, command: 'clln task' }), netPath);
  const out = str(p, 'out');
  if (out) writeTaskFile(out, t);
  if (json) {
    io.stdout.write(
      JSON.stringify({
        file: out ?? null,
        kind,
        train: t.train.length,
        test: t.test.length,
        sources: Array.from(t.sources),
        targets: Array.from(t.targets),
        ground: Array.from(t.ground),
        task: out ? null : taskToJson(t),
      }) + '\n',
    );
  } else if (out) {
    io.stderr.write(`wrote ${out}: ${t.train.length} training and ${t.test.length} test examples\n`);
  } else {
    io.stdout.write(JSON.stringify(taskToJson(t)) + '\n');
  }
  return 0;
}

/** `--rail NODE=VOLTS`: a source held at VOLTS in every example. */
function parseRail(v: string | undefined): { node: number; volts: number } | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*(\d+)\s*=\s*(\S+)\s*$/.exec(v);
  const volts = m ? Number(m[2]) : NaN;
  if (!m || !Number.isFinite(volts)) throw new InvalidInputError({ source: '--rail' }, `expected NODE=VOLTS (e.g. 5=1), got ${show(v)}`);
  return { node: Number(m[1]), volts };
}

/** `--coefficients C0,C1,...`: finite numbers. */
function parseCoefficients(v: string): number[] {
  const c = v.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (c.length === 0 || !c.every(Number.isFinite)) throw new InvalidInputError({ source: '--coefficients' }, `expected finite numbers C0,C1,..., got ${show(v)}`, 'give e.g. 0.1,0,0.4 for 0.1 + 0.4 x^2');
  return c;
}

/** A task file holds at most {@link MAX_EXAMPLES} training and as many test examples (checked before generating). */
function atMost(count: number, option: string): number {
  if (count > MAX_EXAMPLES) throw new InvalidInputError({ source: option }, `must be at most ${MAX_EXAMPLES} (the most examples a task file holds), got ${count}`);
  return count;
}

/** Options of `clln task strain` only. */
const STRAIN_OPTIONS = ['source', 'target', 'delta', 'source-strain', 'cooperative', 'lambda', 'eta'] as const;

/** `clln task strain ...`: a clln.strain-task/1 file. */
function strainTask(p: Parsed, io: Io): number {
  for (const o of ['matrix', 'sources', 'targets', 'ground', 'count', 'test', 'range', 'complements', 'rail', 'levels', 'outputs', 'coefficients']) {
    if (p.values[o] !== undefined) throw new InvalidInputError({ source: `--${o}` }, `does not apply to 'clln task strain'`, `remove --${o}; see 'clln help task'`);
  }
  const need = (name: string): string => {
    const v = str(p, name);
    if (v === undefined) throw new InvalidInputError({ source: `--${name}` }, 'is required', `see 'clln help task'`);
    return v;
  };
  const netPath = str(p, 'network');
  const net = netPath ? readSpringsFile(netPath) : undefined;
  const pairOf = (option: 'source' | 'target'): [number, number] | undefined => {
    const v = need(option);
    if (v.trim() === 'auto') {
      if (!net) throw new InvalidInputError({ source: `--${option}` }, "'auto' picks a pair on a network, and no --network was given", 'add --network SPRINGS, or give the pair as two node ids, e.g. 0,1');
      return undefined;
    }
    const r = v.split(',').map((x) => (/^\s*\d+\s*$/.test(x) ? Number(x) : NaN));
    if (r.length !== 2 || !r.every((x) => Number.isSafeInteger(x) && x < MAX_SPRING_NODES)) {
      throw new InvalidInputError({ source: `--${option}` }, `expected two node ids A,B (integers >= 0), got ${show(v)}`, `e.g. --${option} 3,4, or auto with --network`);
    }
    return [r[0], r[1]];
  };
  const fixedSource = pairOf('source');
  const fixedTarget = pairOf('target');
  const pairs =
    fixedSource && fixedTarget ? { source: fixedSource, target: fixedTarget } : pickStrainPairs(net!, num(p, 'seed', Number.isInteger, 'must be an integer'), { source: fixedSource, target: fixedTarget });
  const task: StrainTaskFile = {
    source: pairs.source,
    target: pairs.target,
    sourceStrain: num(p, 'source-strain', (x) => x !== 0, 'must be a finite number other than 0 (dimensionless strain)') ?? 1,
    delta: num(p, 'delta', undefined, 'must be a finite number (dimensionless strain)') ?? Number(need('delta')),
    cooperative: p.values.cooperative === true,
    lambda: num(p, 'lambda', () => true, 'must be a finite number') ?? 0,
  };
  const eta = num(p, 'eta', (x) => x > 0 && x <= 1, 'must be in (0, 1]');
  if (eta !== undefined) task.eta = eta;
  const out = str(p, 'out');
  // validated against the network (ids, positions) as the reader will, so a file that could not be read is never written
  if (out) writeStrainTaskFile(out, task, net, netPath);
  else parseStrainTask(strainTaskToJson(task), '(generated task)', net, netPath);
  const doc = strainTaskToJson(task);
  if (p.values.json === true) {
    io.stdout.write(JSON.stringify({ file: out ?? null, kind: 'strain', source: task.source, target: task.target, sourceStrain: task.sourceStrain, delta: task.delta, cooperative: task.cooperative, lambda: task.lambda, task: out ? null : doc }) + '\n');
  } else if (out) {
    io.stderr.write(`wrote ${out}: source [${task.source.join(', ')}] strained by ${task.sourceStrain}, target [${task.target.join(', ')}] to ${task.delta}${task.cooperative ? ', cooperative' : ''}${task.lambda ? `, lambda ${task.lambda}` : ''}\n`);
  } else {
    io.stdout.write(JSON.stringify(doc) + '\n');
  }
  return 0;
}
