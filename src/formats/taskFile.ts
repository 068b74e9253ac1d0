/**
 * The task file, format `clln.task/1` (JSON; schema in `schemas/clln.task-1.schema.json`):
 *
 * ```json
 * {"format": "clln.task/1", "sources": [0, 3], "ground": [12], "targets": [5, 10],
 *  "train": [{"in": [0.2, 0.9], "out": [0.3, 0.13]}, ...], "test": [...]}
 * ```
 *
 * - `sources`: node ids driven to the example's `in` voltages (volts, in this order).
 * - `ground`: node ids held at 0 V.
 * - `targets`: output node ids; `out` gives their desired voltages (volts, in this order).
 * - `train`: at least one example; `test` (optional, default []): held-out examples.
 *
 * Limits (src/formats/limits.ts): `train` and `test` hold at most {@link MAX_EXAMPLES} examples each; the node
 * lists at most one entry per node of the network; the file <= 64 MiB.
 *
 * A node has at most one role. Every node of the network must have a path to a source or ground node,
 * otherwise its voltage is undetermined and the circuit equations are singular.
 */
import { show } from '../errors.js';
import type { Network } from '../physics/Network.js';
import type { Example, Task } from '../physics/Task.js';
import { assertConnected } from './connectivity.js';
import { child, entries, expectFormat, expectNodeId, expectObject, fail } from './jsonChecks.js';
import { checkAgainstSchema } from './schemaCheck.js';
import { readJsonFile, writeJsonFile } from './jsonFile.js';

export type { Example, Task } from '../physics/Task.js';

/** The `format` string of task files. */
export const TASK_FORMAT = 'clln.task/1';

/** One example as plain JSON. */
export interface ExampleJson {
  in: number[];
  out: number[];
}

/** A task file as plain JSON (what {@link taskToJson} returns and the schema describes). */
export interface TaskJson {
  format: typeof TASK_FORMAT;
  sources: number[];
  ground: number[];
  targets: number[];
  train: ExampleJson[];
  test: ExampleJson[];
}

const ROLES = [
  { key: 'sources', noun: 'source' },
  { key: 'ground', noun: 'ground node' },
  { key: 'targets', noun: 'target' },
] as const;

/**
 * Validate a parsed `clln.task/1` document against `network` and build the {@link Task}.
 * @param json the value from `JSON.parse`
 * @param source where it came from (a file name), used in error messages
 * @param network the network the task runs on (node ids are checked against it)
 * @param networkSource where the network came from, named in messages about the network
 * @throws InvalidInputError naming `source`, the field (e.g. `targets[1]`, `train[4].in`), the rule, the value
 *   and the fix
 */
export function parseTask(json: unknown, source: string, network: Network, networkSource?: string): Task {
  return parseTaskDocument(json, source, network, networkSource);
}

/**
 * {@link parseTask} with the network optional: without it, node ids are only checked to be integers >= 0
 * and connectivity is not checked.
 */
function parseTaskDocument(json: unknown, source: string, network: Network | undefined, networkSource?: string): Task {
  const doc = expectObject(json, source, undefined, 'a task file');
  expectFormat(doc, TASK_FORMAT, source);
  // Structure (types, required and known fields, counts, limits) is the schema's; what follows is what a schema
  // cannot say: node ids against the network, one role per node, example lengths against the roles, connectivity.
  checkAgainstSchema(doc, TASK_FORMAT, source);
  const file = doc as unknown as Partial<TaskJson> & Pick<TaskJson, 'sources' | 'ground' | 'targets' | 'train'>;
  const netName = networkSource ?? (network?.name ? `network ${show(network.name)}` : 'the network');

  // Node roles: each node at most once over all three lists.
  const roleOf = new Map<number, string>(); // node -> field where it was first listed
  const lists: Int32Array[] = [];
  for (const { key, noun } of ROLES) {
    const raw = file[key];
    if (network && raw.length > network.nodes) {
      fail(source, key, `lists ${raw.length} nodes, but a node has only one role and ${netName} has ${network.nodes} nodes`, `list each node once`);
    }
    const ids = new Int32Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const field = child(key, i);
      const id = expectNodeId(raw[i], network?.nodes, source, field, netName);
      const first = roleOf.get(id);
      if (first !== undefined) {
        const same = first.startsWith(key + '[');
        fail(
          source,
          field,
          same
            ? `node ${id} is listed twice in "${key}" (also at ${first}); a node can have only one role`
            : `node ${id} is listed both as a ${noun} and at ${first}; a node can have only one role`,
          `remove node ${id} from one of the two places`,
        );
      }
      roleOf.set(id, field);
      ids[i] = id;
    }
    lists.push(ids);
  }
  const [sources, ground, targets] = lists;
  if (sources.length + ground.length === 0) {
    fail(
      source,
      'sources',
      '"sources" and "ground" are both empty: with no imposed node the node voltages are undetermined',
      'list at least one node in "sources" or "ground"',
    );
  }

  const train = parseExamples(file.train, 'train', sources.length, targets.length, source);
  const test = file.test === undefined ? [] : parseExamples(file.test, 'test', sources.length, targets.length, source);

  if (network) {
    const imposed = new Int32Array(sources.length + ground.length);
    imposed.set(sources, 0);
    imposed.set(ground, sources.length);
    assertConnected(network, imposed, { source, field: 'ground' }, 'source or ground', netName);
  }

  return { sources, ground, targets, train, test };
}

/** The JSON document of a task (inverse of {@link parseTask}). */
export function taskToJson(task: Task): TaskJson {
  const ex = (e: Example): ExampleJson => ({ in: Array.from(e.in), out: Array.from(e.out) });
  return {
    format: TASK_FORMAT,
    sources: Array.from(task.sources),
    ground: Array.from(task.ground),
    targets: Array.from(task.targets),
    train: task.train.map(ex),
    test: task.test.map(ex),
  };
}

/**
 * Read and validate a task file for `network`. Throws InvalidInputError naming `path` on any problem.
 * @param networkSource where the network came from (e.g. its file name), named in messages
 */
export function readTaskFile(path: string, network: Network, networkSource?: string): Task {
  return parseTask(readJsonFile(path, 'task file'), path, network, networkSource);
}

/**
 * Write `task` as a `clln.task/1` file. It is validated first, so a task that could not be read back is never
 * written: against `network` when given (node ids, connectivity), otherwise structurally (roles, lengths).
 */
export function writeTaskFile(path: string, task: Task, network?: Network, networkSource?: string): void {
  const json = taskToJson(task);
  parseTaskDocument(json, path, network, networkSource);
  writeJsonFile(path, json);
}

function parseExamples(raw: ExampleJson[], key: 'train' | 'test', nIn: number, nOut: number, source: string): Example[] {
  const out: Example[] = [];
  for (let i = 0; i < raw.length; i++) {
    const field = child(key, i);
    out.push({
      in: voltages(raw[i].in, 'in', nIn, `one voltage per source; "sources" has ${nIn}`, field, source),
      out: voltages(raw[i].out, 'out', nOut, `one voltage per target; "targets" has ${nOut}`, field, source),
    });
  }
  return out;
}

function voltages(raw: number[], key: 'in' | 'out', length: number, rule: string, parent: string, source: string): Float64Array {
  if (raw.length !== length) {
    fail(source, child(parent, key), `must have ${entries(length)} (${rule}), got ${raw.length}`, `give "${key}" as ${length} finite voltages in volts (${rule})`);
  }
  return Float64Array.from(raw);
}
