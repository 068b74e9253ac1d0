import { networkToJson, writeNetworkFile } from '../../formats/networkFile.js';
import { InvalidInputError, show } from '../../errors.js';
import { latticeNetwork, parseLatticeSize } from '../../physics/generators/lattice.js';
import { randomGraphNetwork } from '../../physics/generators/randomGraph.js';
import type { Network } from '../../physics/Network.js';
import { MAX_NETWORK_EDGES, MAX_NETWORK_NODES, MAX_SPRING_NODES } from '../../formats/limits.js';
import { num, parse, str, type Parsed } from '../args.js';
import type { Io } from '../Io.js';
import { boardModelNetwork } from '../../pipeline/boardModels.js';
import { springsToJson, writeSpringsFile } from '../../formats/springsFile.js';
import { jammedSprings } from '../../physics/springs/generators/jammed.js';
import { triangularSprings } from '../../physics/springs/generators/triangular.js';
import type { SpringNetwork } from '../../physics/springs/SpringNetwork.js';

export const networkHelp = `clln network lattice ROWSxCOLS [--diagonals] [--periodic] [--seed S] [--out FILE] [--json]
clln network random NODES [--degree D] [--seed S] [--out FILE] [--json]
clln network board MODEL [--out FILE] [--json]
clln network springs triangular ROWSxCOLS [--coordination Z] [--disorder D] [--seed S] [--stiffness K] [--bounds LO,HI] [--out FILE] [--json]
clln network springs jammed N [--phi P] [--force-tolerance F] [--seed S] [--stiffness K] [--bounds LO,HI] [--out FILE] [--json]
  Write a clln.network/1 file (to stdout, or to FILE with --out).
  --json: one JSON object on stdout, {file, name, nodes, edges, network}: file is --out's path (null without it),
          network the clln.network/1 document (null when written to --out).
  lattice: node r*COLS+c at position (c, r); --diagonals adds both diagonals of every square cell;
           --periodic wraps both directions; conductances uniform random from --seed.
  random:  connected random graph of mean degree D (default 5).
  board:   the network of a board model (penn-gen1, penn-gen2, clln-ref16 or a model file): its topology, positions and
           nominal power-on conductances, for 'clln train --board'.
  springs: a clln.springs/1 spring network (2D; springs unstressed: rest length = distance; uniform stiffness
           --stiffness, default 1; --bounds default [K/1000, 1000 K]). --json: {file, kind, name, nodes, springs,
           coordination, excessCoordination, ..., network} (network the clln.springs/1 document, null with --out).
    triangular: R x C triangular lattice, spacing 1, diluted to mean coordination Z = 2E/N (default: undiluted): a
           random rigid spanning set (pebble game) is kept, and random other springs are removed while both their
           ends keep >= 3; Z outside the range this reaches is refused with the range. --disorder D in [0, 0.5)
           displaces each node uniformly in a disk of radius D spacings (default 0; D > 0 makes the rigidity exact,
           at D = 0 straight rows can add zero modes near the lowest Z).
    jammed: N soft disks (half of diameter 1, half 1.4; harmonic repulsion) jammed by FIRE at packing fraction --phi
           (default 0.9; jamming near 0.84) in a periodic box to max force --force-tolerance (default 1e-10); one
           spring per contact; the box is cut open (free boundaries), nodes of < 3 springs removed repeatedly and
           the largest rigid cluster kept. Reports the final N, Z and Z - 4.`;

export function network(argv: string[], io: Io): number {
  const p = parse('network', argv, {
    diagonals: { type: 'boolean' },
    periodic: { type: 'boolean' },
    seed: { type: 'string' },
    degree: { type: 'string' },
    out: { type: 'string', short: 'o' },
    json: { type: 'boolean' },
    coordination: { type: 'string' },
    disorder: { type: 'string' },
    stiffness: { type: 'string' },
    bounds: { type: 'string' },
    phi: { type: 'string' },
    'force-tolerance': { type: 'string' },
  });
  const json = p.values.json === true;
  if (p.positionals[0] === 'springs') return springs(p, io);
  for (const o of SPRING_OPTIONS) {
    if (p.values[o] !== undefined) throw new InvalidInputError({ source: `--${o}` }, `applies to 'clln network springs' only`, `remove --${o}, or see 'clln help network'`);
  }
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
    throw new InvalidInputError({ source: 'clln network' }, `expected 'lattice ROWSxCOLS', 'random NODES', 'board MODEL' or 'springs triangular|jammed ...', got ${show(p.positionals.join(' '))}`, 'e.g. clln network lattice 4x4 --diagonals');
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

/** Options of the spring generators only. */
const SPRING_OPTIONS = ['coordination', 'disorder', 'stiffness', 'bounds', 'phi', 'force-tolerance'] as const;

/** `clln network springs triangular RxC ...` and `clln network springs jammed N ...`. */
function springs(p: Parsed, io: Io): number {
  const [, kind, size, ...extra] = p.positionals;
  const only = (allowed: readonly string[]): void => {
    for (const o of ['diagonals', 'periodic', 'degree', ...SPRING_OPTIONS]) {
      if (p.values[o] !== undefined && !allowed.includes(o)) {
        throw new InvalidInputError({ source: `--${o}` }, `does not apply to 'clln network springs ${kind}'`, `remove --${o}, or see 'clln help network'`);
      }
    }
  };
  const seed = num(p, 'seed', Number.isInteger, 'must be an integer');
  const stiffness = num(p, 'stiffness', (x) => x > 0, 'must be a finite number > 0 (energy / length^2)');
  const bounds = parseBounds(str(p, 'bounds'));
  let net: SpringNetwork;
  let report: Record<string, unknown>;
  if (kind === 'triangular' && size !== undefined && extra.length === 0) {
    only(['coordination', 'disorder', 'stiffness', 'bounds']);
    const { rows, cols } = parseLatticeSize(size);
    // the format's limits, before anything is allocated (a triangular lattice has at most 3 springs per node)
    if (rows * cols > MAX_SPRING_NODES) {
      throw new InvalidInputError({ source: 'ROWSxCOLS' }, `a ${rows}x${cols} lattice has ${rows * cols} nodes; a spring-network file holds at most ${MAX_SPRING_NODES}`, 'use a smaller lattice');
    }
    const r = triangularSprings({ rows, cols, coordination: num(p, 'coordination'), disorder: num(p, 'disorder', (x) => x >= 0 && x < 0.5, 'must be in [0, 0.5) lattice spacings'), seed, stiffness, bounds });
    net = r.network;
    report = { coordination: r.coordination, excessCoordination: r.coordination - 4, coordinationRange: r.range, fullSprings: r.fullSprings };
  } else if (kind === 'jammed' && size !== undefined && extra.length === 0) {
    only(['phi', 'force-tolerance', 'stiffness', 'bounds']);
    const disks = Number(size);
    if (!/^\d+$/.test(size) || !Number.isSafeInteger(disks) || disks < 16 || disks > MAX_SPRING_NODES) {
      throw new InvalidInputError({ source: 'N' }, `must be an integer in 16..${MAX_SPRING_NODES} (disks; the most nodes a spring-network file holds), got ${show(size)}`, 'e.g. clln network springs jammed 256 --seed 1');
    }
    const r = jammedSprings({ disks, packingFraction: num(p, 'phi', (x) => x >= 0.5 && x <= 1, 'must be a packing fraction in [0.5, 1]'), forceTolerance: num(p, 'force-tolerance', (x) => x > 0, 'must be a finite number > 0'), seed, stiffness, bounds });
    net = r.network;
    report = {
      coordination: r.coordination,
      excessCoordination: r.excessCoordination,
      disks: r.disks,
      packingFraction: r.packingFraction,
      pressure: r.pressure,
      box: r.box,
      contacts: r.contacts,
      maxOverlap: r.maxOverlap,
      meanOverlap: r.meanOverlap,
      removed: r.removed,
      minimisation: r.minimisation,
    };
  } else {
    throw new InvalidInputError({ source: 'clln network springs' }, `expected 'triangular ROWSxCOLS' or 'jammed N', got ${show(p.positionals.slice(1).join(' '))}`, 'e.g. clln network springs triangular 16x16 --coordination 4.5 --disorder 0.1 --seed 1');
  }
  const out = str(p, 'out');
  if (out) writeSpringsFile(out, net);
  const z = (2 * net.edgeA.length) / net.nodes;
  if (p.values.json === true) {
    io.stdout.write(JSON.stringify({ file: out ?? null, kind, name: net.name, nodes: net.nodes, springs: net.edgeA.length, ...report, network: out ? null : springsToJson(net) }) + '\n');
  } else if (out) {
    io.stderr.write(`wrote ${out}: ${net.nodes} nodes, ${net.edgeA.length} springs, Z = ${z.toFixed(3)} (Z - 4 = ${(z - 4).toFixed(3)})\n`);
  } else {
    io.stdout.write(JSON.stringify(springsToJson(net)) + '\n');
  }
  return 0;
}

/** `--bounds LO,HI` (energy / length^2), or undefined. */
function parseBounds(v: string | undefined): [number, number] | undefined {
  if (v === undefined) return undefined;
  const r = v.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (r.length !== 2 || !r.every(Number.isFinite) || !(r[0] > 0 && r[0] <= r[1])) {
    throw new InvalidInputError({ source: '--bounds' }, `expected LO,HI with 0 < LO <= HI (energy / length^2), got ${show(v)}`, 'e.g. --bounds 1e-3,1e3');
  }
  return [r[0], r[1]];
}
