import { InvalidInputError, show } from '../../errors.js';
import type { Io } from '../Io.js';

// E1 owns this file (issue 16): `run` and its help come from E1, `run --queue`, `status` from E2; this branch (E3)
// adds only the `stats` dispatch line below, to be kept when the branches are merged.
export const ensembleHelp = `clln ensemble SUBCOMMAND ...
  stats DIR [--threshold X] [--svg OUT [--png]] [--json]   statistics of an ensemble dataset ('clln ensemble stats --help')`;

export async function ensemble(argv: string[], io: Io): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'stats') return (await import('./ensembleStats.js')).ensembleStats(rest, io);
  throw new InvalidInputError({ source: 'clln ensemble' }, `unknown subcommand ${show(sub ?? '')}`, `see 'clln help ensemble'`);
}
