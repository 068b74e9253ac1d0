/**
 * The twin's board models: `clln.board/1` files (format and validation in src/formats/boardFile.ts), found by name
 * in twins/models/*.json or by path. See twins/README.md for the shipped models.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { InvalidInputError, show } from '../src/errors.js';
import { BOARD_FORMAT, type BoardModel, parseBoard } from '../src/formats/boardFile.js';
import { readJsonFile } from '../src/formats/jsonFile.js';
import { packagePath } from '../src/packageFiles.js';

export { BOARD_FORMAT, STEP_LIMIT_DEFAULTS } from '../src/formats/boardFile.js';
export type { BoardModel, EdgeModel, GateEdgeModel, StepLimitsModel, TapEdgeModel } from '../src/formats/boardFile.js';

/** Check a parsed board model and return it typed: {@link parseBoard} (src/formats/boardFile.ts), named for the twin. */
export function validateBoardModel(json: unknown, source = 'board model'): BoardModel {
  return parseBoard(json, source);
}

/**
 * Load a board model by name (`penn-gen1` -> twins/models/penn-gen1.json) or by path (anything containing a
 * path separator or ending in `.json`). Throws InvalidInputError naming the file and field on any problem.
 */
export function loadBoardModel(nameOrPath: string): BoardModel {
  let path: string;
  if (/[\\/]/.test(nameOrPath) || nameOrPath.endsWith('.json')) {
    path = isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath);
  } else {
    if (!/^[A-Za-z0-9._-]+$/.test(nameOrPath)) {
      throw new InvalidInputError({ source: 'board model', field: 'name' }, `not a model name: ${show(nameOrPath)}`, `use one of ${listBoardModels().join(', ')} or a path to a ${BOARD_FORMAT} file`);
    }
    path = join(modelsDir(), `${nameOrPath}.json`);
    if (!existsSync(path)) {
      throw new InvalidInputError({ source: 'board model', field: 'name' }, `no board model named ${show(nameOrPath)}`, `use one of ${listBoardModels().join(', ')} or a path to a ${BOARD_FORMAT} file`);
    }
  }
  return parseBoard(readJsonFile(path, 'board model'), path);
}

/** Names of the shipped models (twins/models/*.json). */
export function listBoardModels(): string[] {
  try {
    return readdirJson(modelsDir());
  } catch {
    return [];
  }
}

function readdirJson(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** twins/models, in the package (packageFiles.ts finds it, from the sources and from dist/). */
export function modelsDir(): string {
  const dir = packagePath('twins', 'models');
  if (existsSync(dir) && statSync(dir).isDirectory()) return dir;
  throw new InvalidInputError({ source: 'board model' }, `cannot find the twins/models folder (looked for ${dir})`, 'pass a path to a board model file');
}

