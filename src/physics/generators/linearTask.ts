/**
 * Linear regression tasks: learn `V_T = M V_S`. Pure and deterministic given the options.
 */
import { InvalidInputError, show } from '../../errors.js';
import type { Example, Task } from '../Task.js';
import { expectInteger, generatorRng } from './options.js';

/** Options of {@link linearTask}. */
export interface LinearTaskOptions {
  /**
   * The map M, targets x sources: row t gives target t's voltage as a combination of the source voltages.
   * A passive resistor network can realise only entries >= 0 with row sums <= 1 (node voltages are weighted
   * averages of the imposed ones); other matrices are accepted but cannot be learned exactly.
   */
  matrix: readonly (readonly number[])[];
  /** Source node ids (integers >= 0), in the order of M's columns. */
  sources: ArrayLike<number>;
  /** Target node ids (integers >= 0), in the order of M's rows; at least one. */
  targets: ArrayLike<number>;
  /** Ground node ids (held at 0 V). Default []. Sources and ground together must not be empty. */
  ground?: ArrayLike<number>;
  /** Number of training examples, integer >= 1. */
  count: number;
  /** Number of test examples, integer >= 0. Default 0. */
  test?: number;
  /** Seed of the input voltages. Default 0. */
  seed?: number;
  /** Source voltages are drawn uniformly from [lo, hi) volts, lo < hi. Default [0, 1] V. */
  inputRange?: readonly [number, number];
  /** Node count of the intended network; when given, node ids are checked to be < nodes. */
  nodes?: number;
}

/** Default range of the source voltages: [0, 1] V. */
export const DEFAULT_INPUT_RANGE: readonly [number, number] = [0, 1];

/**
 * A task whose examples have independent uniform source voltages `in` (volts) and targets `out = M in`
 * (volts). The training examples are drawn first, then the test examples, from one stream seeded by `seed`.
 * Node roles are checked (integers, no node twice, at least one target, at least one source or ground node);
 * connectivity needs the network and is checked when the task is parsed or written with one.
 */
export function linearTask(options: LinearTaskOptions): Task {
  const source = 'linearTask';
  const { sources, targets, ground } = taskRoles(options, source);

  const m = options.matrix;
  const shape = `${targets.length} rows (one per target) of ${sources.length} entries (one per source)`;
  if (!Array.isArray(m) || m.length !== targets.length) {
    throw new InvalidInputError(
      { source, field: 'matrix' },
      `must have ${shape}, got ${Array.isArray(m) ? `${m.length} rows` : show(m)}`,
      'give one row per target and one column per source',
    );
  }
  for (let t = 0; t < m.length; t++) {
    const row = m[t];
    if (!Array.isArray(row) || row.length !== sources.length) {
      throw new InvalidInputError(
        { source, field: `matrix[${t}]` },
        `row ${t} must have ${sources.length} entries (one per source), got ${Array.isArray(row) ? row.length : show(row)}`,
        `the matrix must have ${shape}`,
      );
    }
    for (let s = 0; s < row.length; s++) {
      if (typeof row[s] !== 'number' || !Number.isFinite(row[s])) {
        throw new InvalidInputError({ source, field: `matrix[${t}][${s}]` }, `must be a finite number, got ${show(row[s])}`, 'use finite numbers');
      }
    }
  }

  const count = expectInteger(options.count, 1, source, 'count', 'the number of training examples');
  const nTest = expectInteger(options.test ?? 0, 0, source, 'test', 'the number of test examples');
  const [lo, hi] = options.inputRange ?? DEFAULT_INPUT_RANGE;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
    throw new InvalidInputError(
      { source, field: 'inputRange' },
      `must be [lo, hi] volts with finite lo < hi, got ${show(options.inputRange)}`,
      'give e.g. [0, 1]',
    );
  }
  const rng = generatorRng(options.seed, source);
  const draw = (): Example => {
    const input = new Float64Array(sources.length);
    for (let s = 0; s < input.length; s++) input[s] = rng.uniform(lo, hi);
    const out = new Float64Array(targets.length);
    for (let t = 0; t < out.length; t++) {
      let v = 0;
      for (let s = 0; s < input.length; s++) v += m[t][s] * input[s];
      out[t] = v;
    }
    return { in: input, out };
  };
  const train = Array.from({ length: count }, draw);
  const test = Array.from({ length: nTest }, draw);
  return { sources, ground, targets, train, test };
}

/**
 * The reference task of the issues and of `clln demo`: V_T1 = 0.15 V_S1 + 0.3 V_S2, V_T2 = 0.2 V_S1 + 0.1 V_S2 with
 * sources 0 and 3, targets 9 and 10 and ground 15 — nodes that exist on a 4x4 lattice and on the 16-node boards.
 * @param o example counts and seed (defaults: 40 training, 20 test, seed 1)
 */
export function referenceTask(o: { count?: number; test?: number; seed?: number } = {}): Task {
  return linearTask({
    matrix: [
      [0.15, 0.3],
      [0.2, 0.1],
    ],
    sources: [0, 3],
    targets: [9, 10],
    ground: [15],
    count: o.count ?? 40,
    test: o.test ?? 20,
    seed: o.seed ?? 1,
  });
}

/**
 * Check and copy a generated task's node roles: integer ids (below `nodes` when given), no node in two roles, at least
 * one target, at least one source or ground node. Shared by the task generators.
 */
export function taskRoles(options: { sources: ArrayLike<number>; targets: ArrayLike<number>; ground?: ArrayLike<number>; nodes?: number }, source: string): { sources: Int32Array; targets: Int32Array; ground: Int32Array } {
  const nodes = options.nodes;
  if (nodes !== undefined) expectInteger(nodes, 1, source, 'nodes', 'the node count');
  const seen = new Map<number, string>();
  const roleIds = (list: ArrayLike<number> | undefined, field: string): Int32Array => {
    if (list === undefined) return new Int32Array(0);
    const out = new Int32Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const id = list[i];
      const at = `${field}[${i}]`;
      if (!Number.isInteger(id) || id < 0 || (nodes !== undefined && id >= nodes)) {
        const range = nodes === undefined ? 'an integer >= 0' : `an integer in 0..${nodes - 1}`;
        throw new InvalidInputError({ source, field: at }, `node id must be ${range}, got ${show(id)}`, `use ${range}`);
      }
      const first = seen.get(id);
      if (first !== undefined) {
        throw new InvalidInputError({ source, field: at }, `node ${id} is also listed at ${first}; a node can have only one role`, `remove node ${id} from one of them`);
      }
      seen.set(id, at);
      out[i] = id;
    }
    return out;
  };
  const sources = roleIds(options.sources, 'sources');
  const targets = roleIds(options.targets, 'targets');
  const ground = roleIds(options.ground, 'ground');
  if (targets.length === 0) {
    throw new InvalidInputError({ source, field: 'targets' }, 'must list at least one node', 'give the output node ids');
  }
  if (sources.length + ground.length === 0) {
    throw new InvalidInputError({ source, field: 'sources' }, 'sources and ground are both empty, so no voltage is imposed', 'give at least one source or ground node');
  }

  return { sources, targets, ground };
}
