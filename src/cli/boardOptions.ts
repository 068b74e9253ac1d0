/** The command-line options that say which board to connect to, shared by the commands that use a board. */
import type { ParseArgsConfig } from 'node:util';
import { parseBoardSpec, type ConnectOptions } from '../device/connectBoard.js';
import type { PlanFieldLocation } from '../pipeline/TrainingPlan.js';
import { readBoardFile } from '../formats/boardFile.js';
import type { BoardFile } from '../pipeline/boardEdgeLaw.js';
import { int, num, str, type Parsed } from './args.js';
import { InvalidInputError, show } from '../errors.js';

/** Option spec of --board-file, for every command that connects a board. */
export const BOARD_FILE_OPTION: NonNullable<ParseArgsConfig['options']> = {
  'board-file': { type: 'string' },
};

/** Help line of --board-file. */
export const BOARD_FILE_HELP = `  --board-file FILE      board description (clln.board/1) whose nominal edge law supplies or overrides the one the
                         board reports in ID; needed for the law of a protocol 1.1 board`;

/** The board file given with --board-file, read and validated once here (bad files: exit 2 naming file and field). */
export function boardFileOption(p: Parsed): BoardFile | undefined {
  const path = str(p, 'board-file');
  return path === undefined ? undefined : { path, model: readBoardFile(path) };
}

/**
 * The board model a twin spec names (`twin` -> penn-gen1, `pty:penn-gen2` -> penn-gen2), parsed as connectBoard parses
 * it; undefined for hardware (`serial:PATH`). A spec that is none of these is refused (InvalidInputError, `--board`).
 */
export function twinModelOf(spec: string): string | undefined {
  const s = parseBoardSpec(spec);
  return s.kind === 'serial' ? undefined : s.model;
}

/** Option specs of --twin-seed, --twin-ideal, --twin-faults, --twin-baud. */
export const TWIN_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  'twin-seed': { type: 'string' },
  'twin-ideal': { type: 'boolean' },
  'twin-faults': { type: 'string' },
  'twin-baud': { type: 'string' },
  'twin-protocol': { type: 'string' },
};

/** Help lines of the twin options. */
export const TWIN_HELP = `  --twin-seed S          seed of the twin's non-idealities (default 0)
  --twin-ideal           twin without noise, drift, tolerances or converter errors (quantisation stays)
  --twin-faults SPEC     pty twin faults, e.g. "garble=0.01,drop=0.001,reset-every=500"
  --twin-baud B          pty twin line rate in baud (default 115200)
  --twin-protocol 1.1    twin speaking protocol 1.1 (no edge law in ID, as older firmware; default 1.3)`;

/** The twin connection options given on the command line. */
export function twinConnectOptions(p: Parsed): Pick<ConnectOptions, 'seed' | 'ideal' | 'faults' | 'twinBaud' | 'twinProtocol'> {
  const protocol = str(p, 'twin-protocol');
  if (protocol !== undefined && protocol !== '1.1' && protocol !== '1.2') throw new InvalidInputError({ source: '--twin-protocol' }, `must be 1.1 or 1.2, got ${show(protocol)}`, 'give --twin-protocol 1.1 or drop it');
  return {
    ...(protocol !== undefined ? { twinProtocol: protocol } : {}),
    seed: num(p, 'twin-seed', Number.isInteger, 'must be an integer'),
    ideal: p.values['twin-ideal'] === true,
    faults: str(p, 'twin-faults'),
    twinBaud: int(p, 'twin-baud', 1),
  };
}

/** The command-line option of each plan field the board commands set (the rest keep the plan's field name). */
const PLAN_OPTIONS: Record<string, string> = {
  eta: '--eta',
  amp: '--amp',
  samples: '--samples',
  steps: '--steps',
  update: '--update',
  order: '--order',
  seed: '--seed',
  evalEvery: '--eval-every',
  'stop.targetTestMse': '--target-test-mse',
  'stop.plateau': '--plateau',
  'stop.plateau.window': '--plateau',
  'stop.plateau.minRelativeImprovement': '--plateau',
};

/**
 * Plan errors of a board command named by the option the user typed (`--amp: must be a number in (0, 100] ...`),
 * so that bad values are refused, before connecting, in the user's own terms.
 */
export const planOption: PlanFieldLocation = (field) => ({ source: PLAN_OPTIONS[field] ?? field });

/** Help lines of the rule parameters' ranges (PLAN_LIMITS and the board's ID), shared by the board commands. */
export const RANGE_HELP = `  Ranges, checked before connecting: --eta in (0, 1], --amp in (0, 100] V/V^2, --samples in 1..1024. With
  --update device the board's own limits apply too, as its ID reports them (eta=, and on gate boards amp=), and
  are checked once connected, before anything is recorded or sent.`;
