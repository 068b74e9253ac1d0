/** The command-line options that say which board to connect to, shared by the commands that use a board. */
import type { ParseArgsConfig } from 'node:util';
import type { ConnectOptions } from '../device/connectBoard.js';
import { int, num, str, type Parsed } from './args.js';

/** Option specs of --twin-seed, --twin-ideal, --twin-faults, --twin-baud. */
export const TWIN_OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  'twin-seed': { type: 'string' },
  'twin-ideal': { type: 'boolean' },
  'twin-faults': { type: 'string' },
  'twin-baud': { type: 'string' },
};

/** Help lines of the twin options. */
export const TWIN_HELP = `  --twin-seed S          seed of the twin's non-idealities (default 0)
  --twin-ideal           twin without noise, drift, tolerances or converter errors (quantisation stays)
  --twin-faults SPEC     pty twin faults, e.g. "garble=0.01,drop=0.001,reset-every=500"
  --twin-baud B          pty twin line rate in baud (default 115200)`;

/** The twin connection options given on the command line. */
export function twinConnectOptions(p: Parsed): Pick<ConnectOptions, 'seed' | 'ideal' | 'faults' | 'twinBaud'> {
  return {
    seed: num(p, 'twin-seed', Number.isInteger, 'must be an integer'),
    ideal: p.values['twin-ideal'] === true,
    faults: str(p, 'twin-faults'),
    twinBaud: int(p, 'twin-baud', 1),
  };
}
