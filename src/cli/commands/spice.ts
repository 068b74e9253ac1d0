/**
 * `clln export spice` and `clln import spice`: argument parsing and output only; the netlist writer and reader are
 * src/formats/spice/ (mapping in src/formats/README.md, "SPICE").
 */
import { InvalidInputError, show } from '../../errors.js';
import { networkToJson, readNetworkFile, writeNetworkFile } from '../../formats/networkFile.js';
import { readSpiceFile } from '../../formats/spice/readNetlist.js';
import { writeSpiceNetlist } from '../../formats/spice/writeNetlist.js';
import { readTaskFile } from '../../formats/taskFile.js';
import { writeFileAtomic } from '../../store/atomicWrite.js';
import { int, parse, positionals, str } from '../args.js';
import type { Io } from '../Io.js';

export const exportSpiceHelp = `clln export spice NETWORK [--fix NODE=VOLTS ... | --task TASK [--example I]] [--out FILE]
  Write an ngspice netlist (.op) of the network with the given node voltages imposed: node i is n<i>, every
  imposed node a V source to SPICE's node 0; linear edges R, diodes D with a .model, square-law transistors
  level-1 NMOS (plus a leak resistor), Ohmic transistors and tables behavioural B sources (src/formats/README.md).
  Run it with: ngspice -b FILE. A component of the network without an imposed node is refused (it would float).
  --fix NODE=VOLTS   impose a node voltage (repeatable)
  --task TASK        impose the free state of a training example: its sources at the example's inputs, ground at 0 V
  --example I        which training example of --task (default 0)
  --out FILE         write the netlist there (default: standard output)`;

export const importHelp = `clln import spice FILE [--out NETWORK] [--json]
  Read a SPICE netlist of R, D and V elements (.model for diodes, .param with {expressions}, .subckt flattened
  through X instances, SI suffixes, + continuations, * and ; comments; and the M and B elements clln export spice
  writes) as a clln.network/1 network plus the node voltages its V sources impose relative to node 0.
  Anything else is refused with exit 2, naming the line, the rule and the fix.
  --out NETWORK  write the network file; the imposed voltages are printed as the --fix options of clln solve
  --json         print {"network": NETWORK path (with --out) or the network document, "fixed": [[node, volts], ...],
                 "nodeNames": [SPICE name of node 0, 1, ...]}`;

export function exportSpice(argv: string[], io: Io): number {
  const p = parse('export spice', argv, {
    fix: { type: 'string', multiple: true },
    task: { type: 'string' },
    example: { type: 'string' },
    out: { type: 'string' },
  });
  const [netPath] = positionals(p, 'export spice', ['NETWORK']);
  const net = readNetworkFile(netPath, { nonlinear: true, command: 'clln export spice' });
  const fixes = (p.values.fix as string[] | undefined) ?? [];
  const taskPath = str(p, 'task');
  const example = int(p, 'example', 0);
  if (taskPath !== undefined && fixes.length > 0) {
    throw new InvalidInputError({ source: 'clln export spice' }, '--task and --fix both impose voltages', 'give one of them');
  }
  if (example !== undefined && taskPath === undefined) throw new InvalidInputError({ source: '--example' }, 'needs --task', 'add --task TASK');
  const fixed = new Map<number, number>();
  let fixedSource = '--fix';
  if (taskPath !== undefined) {
    const task = readTaskFile(taskPath, net, netPath);
    const i = example ?? 0;
    if (i >= task.train.length) {
      throw new InvalidInputError({ source: '--example' }, `${taskPath} has ${task.train.length} training examples (0..${task.train.length - 1}), got ${i}`, 'give an index of a training example');
    }
    task.sources.forEach((node, k) => fixed.set(node, task.train[i].in[k]));
    for (const node of task.ground) fixed.set(node, 0);
    fixedSource = taskPath;
  }
  for (const f of fixes) {
    const m = /^\s*(\d+)\s*=\s*(\S+)\s*$/.exec(f);
    const node = m ? Number(m[1]) : NaN;
    const volts = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(volts)) throw new InvalidInputError({ source: '--fix' }, `expected NODE=VOLTS (e.g. 0=1.5), got ${show(f)}`);
    if (node >= net.nodes) throw new InvalidInputError({ source: '--fix' }, `node ${node} does not exist: ${netPath} has nodes 0..${net.nodes - 1}`);
    if (fixed.has(node)) throw new InvalidInputError({ source: '--fix' }, `node ${node} is fixed twice`, 'give each node once');
    fixed.set(node, volts);
  }
  const text = writeSpiceNetlist(net, fixed, { source: netPath, fixedSource });
  const out = str(p, 'out');
  if (out === undefined || out === '-') io.stdout.write(text);
  else {
    writeFileAtomic(out, text);
    io.stdout.write(`wrote ${net.nodes} nodes, ${net.edgeA.length} edges and ${fixed.size} imposed voltages to ${out} (run: ngspice -b ${out})\n`);
  }
  return 0;
}

export function importSpice(argv: string[], io: Io): number {
  const p = parse('import', argv, { out: { type: 'string' }, json: { type: 'boolean' } });
  const [what, file] = positionals(p, 'import', ['spice', 'FILE']);
  if (what !== 'spice') throw new InvalidInputError({ source: 'clln import' }, `unknown format ${show(what)}`, 'clln import spice FILE');
  const out = str(p, 'out');
  const json = p.values.json === true;
  if (out === undefined && !json) throw new InvalidInputError({ source: 'clln import spice' }, 'no output given', 'add --out NETWORK (and/or --json)');
  const r = readSpiceFile(file);
  if (out !== undefined) writeNetworkFile(out, r.network);
  const fixed = [...r.fixed].sort((a, b) => a[0] - b[0]);
  if (json) {
    io.stdout.write(JSON.stringify({ network: out ?? networkToJson(r.network), fixed, nodeNames: r.nodeNames }) + '\n');
    return 0;
  }
  const kinds = new Map<string, number>();
  for (const el of r.network.elements ?? []) kinds.set(el?.kind ?? 'resistor', (kinds.get(el?.kind ?? 'resistor') ?? 0) + 1);
  const counts = r.network.elements ? ` (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})` : '';
  io.stdout.write(
    `wrote ${r.network.nodes} nodes and ${r.network.edgeA.length} edges${counts} to ${out}\n` +
      `imposed voltages: clln solve ${out} ${fixed.map(([i, v]) => `--fix ${i}=${v}`).join(' ')}\n`,
  );
  return 0;
}
