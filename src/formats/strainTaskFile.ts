/**
 * The strain-task file, format `clln.strain-task/1` (JSON; schema in `schemas/clln.strain-task-1.schema.json`): an
 * elastic task on a spring network (`clln.springs/1`), allostery or cooperative binding.
 *
 * ```json
 * {"format": "clln.strain-task/1", "source": [12, 13], "target": [40, 41], "sourceStrain": 1, "delta": 0.5,
 *  "cooperative": false, "lambda": 0, "eta": 0.1}
 * ```
 *
 * - `source`, `target`: node pairs [i, j] (distinct nodes; not the same pair twice, in either order).
 * - `delta`: the desired target strain when the source is strained by `sourceStrain` (dimensionless).
 * - `sourceStrain` (optional, default 1, not 0), `cooperative` (optional, default false), `lambda` (optional, any
 *   finite number, default 0): see {@link StrainTask}.
 * - `eta` (optional, in (0, 1]): a suggested clamping strength for training; the trainer's option takes precedence.
 *
 * Against a network: node ids below its node count, the two nodes of each pair at distinct positions (a strain
 * between coincident nodes is undefined). Limits (src/formats/limits.ts): node ids below MAX_SPRING_NODES; the file
 * <= 64 MiB.
 */
import { show } from '../errors.js';
import { referenceDistance, type SpringNetwork } from '../physics/springs/SpringNetwork.js';
import type { StrainTask } from '../physics/springs/StrainTask.js';
import { child, expectFormat, expectNodeId, expectObject, fail } from './jsonChecks.js';
import { readJsonFile, writeJsonFile } from './jsonFile.js';
import { checkAgainstSchema } from './schemaCheck.js';

export type { StrainTask } from '../physics/springs/StrainTask.js';

/** The `format` string of strain-task files. */
export const STRAIN_TASK_FORMAT = 'clln.strain-task/1';

/** A strain-task file as plain JSON (what {@link strainTaskToJson} returns and the schema describes). */
export interface StrainTaskJson {
  format: typeof STRAIN_TASK_FORMAT;
  source: [number, number];
  target: [number, number];
  sourceStrain?: number;
  delta: number;
  cooperative?: boolean;
  lambda?: number;
  eta?: number;
}

/** A task as read from a file: the {@link StrainTask} with its defaults filled in, and the file's `eta` if it has one. */
export type StrainTaskFile = StrainTask & { eta?: number };

/**
 * Validate a parsed `clln.strain-task/1` document and build the task, defaults filled in (sourceStrain 1, cooperative
 * false, lambda 0).
 * @param json the value from `JSON.parse`
 * @param source where it came from (a file name), for messages
 * @param network the spring network the task runs on, when at hand: node ids and positions are checked against it
 * @param networkSource where the network came from, named in messages
 * @throws InvalidInputError naming `source`, the field (e.g. `target[1]`), the rule, the value and the fix
 */
export function parseStrainTask(json: unknown, source: string, network?: SpringNetwork, networkSource?: string): StrainTaskFile {
  const doc = expectObject(json, source, undefined, 'a strain-task file');
  expectFormat(doc, STRAIN_TASK_FORMAT, source);
  // Structure (types, fields, ranges) is the schema's; what follows is what a schema cannot say.
  checkAgainstSchema(doc, STRAIN_TASK_FORMAT, source);
  const file = doc as unknown as StrainTaskJson;
  const netName = networkSource ?? (network ? `network ${show(network.name)}` : 'the network');
  const pair = (key: 'source' | 'target'): [number, number] => {
    const [i, j] = file[key];
    expectNodeId(i, network?.nodes, source, child(key, 0), netName);
    expectNodeId(j, network?.nodes, source, child(key, 1), netName);
    if (i === j) fail(source, key, `the two nodes of a pair must be distinct, got [${i}, ${j}]`, 'give two different node ids, e.g. two ends of a spring');
    if (network && !(referenceDistance(network, i, j) > 0)) {
      fail(source, key, `nodes ${i} and ${j} of ${netName} are at the same position, so the strain between them is undefined`, 'choose two nodes at distinct positions');
    }
    return [i, j];
  };
  const a = pair('source');
  const b = pair('target');
  if ((a[0] === b[0] && a[1] === b[1]) || (a[0] === b[1] && a[1] === b[0])) {
    fail(source, 'target', `is the source pair [${a.join(', ')}] again; its strain would be the imposed one`, 'choose a target pair other than the source pair');
  }
  const sourceStrain = file.sourceStrain ?? 1;
  if (sourceStrain === 0) fail(source, 'sourceStrain', 'must not be 0: with no strain imposed there is no response to train', 'give e.g. 1 (the default)');
  const task: StrainTaskFile = {
    source: a,
    target: b,
    sourceStrain,
    delta: file.delta,
    cooperative: file.cooperative ?? false,
    lambda: file.lambda ?? 0,
  };
  if (file.eta !== undefined) task.eta = file.eta;
  return task;
}

/** Read and validate a strain-task file, against `network` when given. Throws InvalidInputError naming `path`. */
export function readStrainTaskFile(path: string, network?: SpringNetwork, networkSource?: string): StrainTaskFile {
  return parseStrainTask(readJsonFile(path, 'strain-task file'), path, network, networkSource);
}

/** The JSON document of a task (every field written, defaults included; `eta` when the task has one). */
export function strainTaskToJson(task: StrainTaskFile): StrainTaskJson {
  const json: StrainTaskJson = {
    format: STRAIN_TASK_FORMAT,
    source: [task.source[0], task.source[1]],
    target: [task.target[0], task.target[1]],
    sourceStrain: task.sourceStrain,
    delta: task.delta,
    cooperative: task.cooperative,
    lambda: task.lambda,
  };
  if (task.eta !== undefined) json.eta = task.eta;
  return json;
}

/**
 * Write a task as a `clln.strain-task/1` file. It is validated first (against `network` when given), so a task that
 * could not be read back is never written.
 */
export function writeStrainTaskFile(path: string, task: StrainTaskFile, network?: SpringNetwork, networkSource?: string): void {
  const json = strainTaskToJson(task);
  parseStrainTask(json, path, network, networkSource);
  writeJsonFile(path, json);
}
