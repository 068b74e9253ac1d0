/**
 * Tasks that a linear network cannot learn: XOR and polynomial regression (issue 14 point 3; Dillavou et al., PNAS
 * 2024 trained XOR and nonlinear regression on transistor networks). Pure and deterministic given the options.
 *
 * Both may add a **rail**: a source held at the same voltage in every example (the task's last source). Why: a passive
 * network's node voltages lie within the range of the imposed ones, so with every input at 0 V and no rail the output
 * is 0 V whatever the network learned; the rail gives the network a constant to combine (an affine map instead of a
 * linear one, the bias of a neuron).
 */
import { InvalidInputError, show } from '../../errors.js';
import type { Example, Task } from '../Task.js';
import { DEFAULT_INPUT_RANGE, taskRoles } from './linearTask.js';
import { expectInteger, generatorRng } from './options.js';

/** A constant source: node id and voltage (V). */
export interface Rail {
  node: number;
  volts: number;
}

/** Options of {@link xorTask}. */
export interface XorTaskOptions {
  /** The two input nodes (sources). */
  inputs: readonly [number, number];
  /** The output node (target). */
  target: number;
  /** Ground nodes (0 V). Default []. */
  ground?: ArrayLike<number>;
  /**
   * Complement nodes, one per input, driven at the opposite level (a differential input, as a logic family's
   * complementary pair): sources after the two inputs. Default none. Why they matter: see {@link xorTask}.
   */
  complements?: readonly [number, number];
  /** Constant source, appended to the inputs as the task's last source. Default none. */
  rail?: Rail;
  /** Input voltages for logical 0 and 1 (V). Default [0, 1]. */
  levels?: readonly [number, number];
  /** Desired output voltages for logical 0 and 1 (V). Default [0.1, 0.3]. */
  outputs?: readonly [number, number];
  /** Node count of the intended network (checks ids). */
  nodes?: number;
}

/** Default desired XOR outputs (V): 0.1 for false, 0.3 for true (inside 0..1 V, reachable from inputs at 0 and 1 V). */
export const DEFAULT_XOR_OUTPUTS: readonly [number, number] = [0.1, 0.3];

/**
 * XOR: the four examples (0,0) -> low, (0,1) -> high, (1,0) -> high, (1,1) -> low, as the training set and again as
 * the test set. An output is read as true when above the midpoint of the two desired levels ({@link thresholdAccuracy}).
 */
export function xorTask(o: XorTaskOptions): Task {
  const source = 'xorTask';
  const sources = [o.inputs[0], o.inputs[1], ...(o.complements ?? []), ...(o.rail ? [o.rail.node] : [])];
  if (o.complements && o.complements.length !== 2) throw new InvalidInputError({ source, field: 'complements' }, `must be two node ids (one per input), got ${show(o.complements)}`);
  const roles = taskRoles({ sources, targets: [o.target], ground: o.ground, nodes: o.nodes }, source);
  const levels = pair(o.levels ?? [0, 1], source, 'levels');
  const outputs = pair(o.outputs ?? DEFAULT_XOR_OUTPUTS, source, 'outputs');
  if (o.rail && !Number.isFinite(o.rail.volts)) throw new InvalidInputError({ source, field: 'rail' }, `voltage must be finite, got ${show(o.rail.volts)}`);
  const ex = (a: number, b: number): Example => ({
    in: Float64Array.from([levels[a], levels[b], ...(o.complements ? [levels[1 - a], levels[1 - b]] : []), ...(o.rail ? [o.rail.volts] : [])]),
    out: Float64Array.of(outputs[a ^ b]),
  });
  const train = [ex(0, 0), ex(0, 1), ex(1, 0), ex(1, 1)];
  return { ...roles, train, test: train.map((e) => ({ in: Float64Array.from(e.in), out: Float64Array.from(e.out) })) };
}

/** Options of {@link polynomialTask}. */
export interface PolynomialTaskOptions {
  /** Coefficients c_0..c_d (V^(1-j)): out = sum_j c_j x^j for the input x (V). At least one. */
  coefficients: readonly number[];
  /** The input node (one source). */
  source: number;
  /** The output node (target). */
  target: number;
  ground?: ArrayLike<number>;
  rail?: Rail;
  /** Training examples, >= 1. */
  count: number;
  /** Test examples, >= 0. Default 0. */
  test?: number;
  seed?: number;
  /** Input range (V). Default [0, 1]. */
  inputRange?: readonly [number, number];
  nodes?: number;
}

/** Nonlinear regression: the input drawn uniformly from `inputRange`, the target the polynomial of it (V). */
export function polynomialTask(o: PolynomialTaskOptions): Task {
  const source = 'polynomialTask';
  const sources = o.rail ? [o.source, o.rail.node] : [o.source];
  const roles = taskRoles({ sources, targets: [o.target], ground: o.ground, nodes: o.nodes }, source);
  const c = o.coefficients;
  if (!Array.isArray(c) || c.length === 0 || !c.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new InvalidInputError({ source, field: 'coefficients' }, `must be a non-empty list of finite numbers, got ${show(c)}`, 'give e.g. 0.1,0,0.4 for 0.1 + 0.4 x^2');
  }
  if (o.rail && !Number.isFinite(o.rail.volts)) throw new InvalidInputError({ source, field: 'rail' }, `voltage must be finite, got ${show(o.rail.volts)}`);
  const count = expectInteger(o.count, 1, source, 'count', 'the number of training examples');
  const nTest = expectInteger(o.test ?? 0, 0, source, 'test', 'the number of test examples');
  const [lo, hi] = pair(o.inputRange ?? DEFAULT_INPUT_RANGE, source, 'inputRange');
  if (!(lo < hi)) throw new InvalidInputError({ source, field: 'inputRange' }, `must be [lo, hi] with lo < hi, got ${show(o.inputRange)}`);
  const rng = generatorRng(o.seed, source);
  const draw = (): Example => {
    const x = rng.uniform(lo, hi);
    let y = 0;
    for (let j = c.length - 1; j >= 0; j--) y = y * x + c[j];
    return { in: Float64Array.from(o.rail ? [x, o.rail.volts] : [x]), out: Float64Array.of(y) };
  };
  const train = Array.from({ length: count }, draw);
  const test = Array.from({ length: nTest }, draw);
  return { ...roles, train, test };
}

/**
 * Fraction of examples whose outputs fall on the right side of the midpoint of the task's two desired levels (the
 * smallest and largest desired output): 1 = every output correct. For binary tasks such as XOR.
 */
export function thresholdAccuracy(outputs: readonly number[], examples: readonly Example[]): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const e of examples) {
    lo = Math.min(lo, e.out[0]);
    hi = Math.max(hi, e.out[0]);
  }
  const mid = 0.5 * (lo + hi);
  let right = 0;
  examples.forEach((e, i) => {
    if (outputs[i] > mid === e.out[0] > mid) right++;
  });
  return examples.length === 0 ? NaN : right / examples.length;
}

function pair(p: readonly number[], source: string, field: string): [number, number] {
  if (!Array.isArray(p) || p.length !== 2 || !p.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new InvalidInputError({ source, field }, `must be two finite voltages [lo, hi], got ${show(p)}`);
  }
  return [p[0], p[1]];
}
