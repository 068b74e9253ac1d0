import { networkToJson, writeNetworkFile } from '../../formats/networkFile.js';
import { InvalidInputError, show } from '../../errors.js';
import { latticeNetwork, parseLatticeSize } from '../../physics/generators/lattice.js';
import { randomGraphNetwork } from '../../physics/generators/randomGraph.js';
import type { Network } from '../../physics/Network.js';
import { MAX_NETWORK_EDGES, MAX_NETWORK_NODES } from '../../formats/limits.js';
import { num, parse, str } from '../args.js';
import type { Io } from '../Io.js';
import { boardModelNetwork } from '../../pipeline/boardModels.js';

export const networkHelp = `clln network lattice ROWSxCOLS [--diagonals] [--periodic] [--seed S] [--out FILE] [--json]
clln network random NODES [--degree D] [--seed S] [--out FILE] [--json]
clln network board MODEL [--out FILE] [--json]
  Write a clln.network/1 file (to stdout, or to FILE with --out).
  --json: one JSON object on stdout, {file, name, nodes, edges, network}: file is --out's path (null without it),
          network the clln.network/1 document (null when written to --out).
  lattice: node r*COLS+c at position (c, r); --diagonals adds both diagonals of every square cell;
           --periodic wraps both directions; conductances uniform random from --seed.
  random:  connected random graph of mean degree D (default 5).
  board:   the network of a board model (penn-gen1, penn-gen2, clln-ref16 or a model file): its topology, positions and
           nominal power-on conductances, for 'clln train --board'.`;

export function network(argv: string[], io: Io): number {
  const p = parse('network', argv, {
    diagonals: { type: 'boolean' },
    periodic: { type: 'boolean' },
    seed: { type: 'string' },
    degree: { type: 'string' },
    out: { type: 'string', short: 'o' },
    json: { type: 'boolean' },
  });
  const json = p.values.json === true;
  const [kind, size, ...extra] = p.positionals;
  const seed = num(p, 'seed', Number.isInteger, 'must be an integer');
  let net: Network;
  if (kind === 'lattice' && size !== undefined && extra.length === 0) {
    const { rows, cols } = parseLatticeSize(size);
    // the format's limits, before anything is allocated (a lattice has at most 4 edges per node)
    if (rows * cols > MAX_NETWORK_NODES) {
      throw new InvalidInputError({ source: 'ROWSxCOLS' }, `a ${rows}x${cols} lattice has ${rows * cols} nodes; a network file holds at most ${MAX_NETWORK_NODES}`, 'use a smaller lattice');
    }
    net = latticeNetwork({ rows, cols, diagonals: p.values.diagonals === true, periodic: p.values.periodic === true, seed });
  } else if (kind === 'random' && size !== undefined && extra.length === 0) {
    const nodes = Number(size);
    if (!Number.isInteger(nodes) || nodes < 2 || nodes > MAX_NETWORK_NODES) {
      throw new InvalidInputError({ source: 'NODES' }, `must be an integer in 2..${MAX_NETWORK_NODES} (the most nodes a network file holds), got ${show(size)}`);
    }
    const degree = num(p, 'degree', (x) => x > 0) ?? Math.min(5, nodes - 1);
    if ((nodes * degree) / 2 > MAX_NETWORK_EDGES) {
      throw new InvalidInputError({ source: '--degree' }, `${nodes} nodes of mean degree ${degree} make about ${Math.round((nodes * degree) / 2)} edges; a network file holds at most ${MAX_NETWORK_EDGES}`, 'use a lower degree or fewer nodes');
    }
    net = randomGraphNetwork({ nodes, meanDegree: degree, seed: seed ?? 0 });
  } else if (kind === 'board' && size !== undefined && extra.length === 0) {
    net = boardModelNetwork(size);
  } else {
    throw new InvalidInputError({ source: 'clln network' }, `expected 'lattice ROWSxCOLS', 'random NODES' or 'board MODEL', got ${show(p.positionals.join(' '))}`, 'e.g. clln network lattice 4x4 --diagonals');
  }
  const out = str(p, 'out');
  if (out) writeNetworkFile(out, net);
  if (json) {
    io.stdout.write(JSON.stringify({ file: out ?? null, name: net.name, nodes: net.nodes, edges: net.edgeA.length, network: out ? null : networkToJson(net) }) + '\n');
  } else if (out) {
    io.stderr.write(`wrote ${out}: ${net.nodes} nodes, ${net.edgeA.length} edges\n`);
  } else {
    io.stdout.write(JSON.stringify(networkToJson(net)) + '\n');
  }
  return 0;
}
