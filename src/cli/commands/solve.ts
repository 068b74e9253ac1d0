import { assertConnected } from '../../formats/connectivity.js';
import { readNetworkFile } from '../../formats/networkFile.js';
import { InvalidInputError, show } from '../../errors.js';
import type { SolveMethod } from '../../physics/LaplacianSystem.js';
import { solveNonlinearCircuit } from '../../physics/nonlinear/solveNonlinearCircuit.js';
import { solveCircuit } from '../../physics/solveCircuit.js';
import { parse, positionals, str } from '../args.js';
import type { Io } from '../Io.js';
import type { Network } from '../../physics/Network.js';

export const solveHelp = `clln solve NETWORK --fix NODE=VOLTS [--fix NODE=VOLTS ...] [--json] [--method auto|cholesky|cg]
  Node voltages and edge currents with the given node voltages imposed (Kirchhoff's law elsewhere).
  A network with nonlinear "elements" (diodes, transistors, tables) is solved by damped Newton on its co-content;
  it exits 1 if Newton does not converge (the output is still printed, with "converged": false).
  --json   print {"voltages":[per node, V],"currents":[per edge from a_e to b_e, A],"diagnostics":{..}}; diagnostics of a
           linear network: method, residual (relative), iterations, converged; of a nonlinear one: method "newton",
           converged, iterations (Newton steps), residual and tolerance (the largest Kirchhoff current imbalance at a
           free node and the bound it was held to, amperes)`;

export function solve(argv: string[], io: Io): number {
  const p = parse('solve', argv, {
    fix: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    method: { type: 'string' },
  });
  const [netPath] = positionals(p, 'solve', ['NETWORK']);
  const net = readNetworkFile(netPath, { nonlinear: true, command: 'clln solve' });
  const fixes = (p.values.fix as string[] | undefined) ?? [];
  const fixed = new Map<number, number>();
  for (const f of fixes) {
    const m = /^\s*(\d+)\s*=\s*(\S+)\s*$/.exec(f);
    const node = m ? Number(m[1]) : NaN;
    const volts = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(volts)) {
      throw new InvalidInputError({ source: '--fix' }, `expected NODE=VOLTS (e.g. 0=1.5), got ${show(f)}`);
    }
    if (node >= net.nodes) {
      throw new InvalidInputError({ source: '--fix' }, `node ${node} does not exist: ${netPath} has nodes 0..${net.nodes - 1}`);
    }
    if (fixed.has(node)) throw new InvalidInputError({ source: '--fix' }, `node ${node} is fixed twice`, 'give each node once');
    fixed.set(node, volts);
  }
  if (fixed.size === 0) {
    throw new InvalidInputError({ source: 'clln solve' }, 'no node voltage is imposed, so the voltages are undetermined', 'give at least one --fix NODE=VOLTS');
  }
  assertConnected(net, Int32Array.from(fixed.keys()), { source: netPath, field: '--fix' }, 'fixed');
  const method = str(p, 'method') as SolveMethod | undefined;
  if (method !== undefined && !['auto', 'cholesky', 'cg'].includes(method)) {
    throw new InvalidInputError({ source: '--method' }, `must be auto, cholesky or cg, got ${show(method)}`);
  }
  if (net.elements?.some((el) => el !== null)) return solveNonlinear(net, fixed, method, p.values.json === true, io);
  const r = solveCircuit(net, fixed, { method });
  if (p.values.json === true) {
    io.stdout.write(JSON.stringify({ voltages: Array.from(r.voltages), currents: Array.from(r.currents), diagnostics: r.diagnostics }) + '\n');
    return 0;
  }
  const header = `${net.name}: ${net.nodes} nodes, ${net.edgeA.length} edges; solved by ${r.diagnostics.method}, relative residual ${r.diagnostics.residual.toExponential(1)}`;
  io.stdout.write(table(net, fixed, r.voltages, r.currents, header));
  return 0;
}

function solveNonlinear(net: Network, fixed: Map<number, number>, method: SolveMethod | undefined, json: boolean, io: Io): number {
  const r = solveNonlinearCircuit(net, fixed, { method });
  const diagnostics = { method: 'newton', converged: r.converged, iterations: r.iterations, residual: r.residual, tolerance: r.tolerance };
  if (json) io.stdout.write(JSON.stringify({ voltages: Array.from(r.voltages), currents: Array.from(r.currents), diagnostics }) + '\n');
  else {
    const header =
      `${net.name}: ${net.nodes} nodes, ${net.edgeA.length} edges (nonlinear); Newton ${r.converged ? 'converged' : 'did NOT converge'} in ` +
      `${r.iterations} iterations, Kirchhoff residual ${r.residual.toExponential(1)} A (tolerance ${r.tolerance.toExponential(1)} A)`;
    io.stdout.write(table(net, fixed, r.voltages, r.currents, header));
  }
  if (!r.converged) {
    io.stderr.write(
      `clln solve: Newton did not converge: Kirchhoff residual ${r.residual.toExponential(2)} A after ${r.iterations} iterations, ` +
        `above the tolerance ${r.tolerance.toExponential(2)} A (the output above is the last iterate)\n`,
    );
    return 1;
  }
  return 0;
}

function table(net: Network, fixed: Map<number, number>, voltages: Float64Array, currents: Float64Array, header: string): string {
  const lines = [header, '', 'node   voltage (V)'];
  for (let i = 0; i < net.nodes; i++) lines.push(`${String(i).padStart(4)}   ${voltages[i].toPrecision(8)}${fixed.has(i) ? '  (fixed)' : ''}`);
  lines.push('', 'edge   a -> b       current (A)');
  for (let e = 0; e < net.edgeA.length; e++) {
    const kind = net.elements?.[e]?.kind;
    lines.push(`${String(e).padStart(4)}   ${String(net.edgeA[e]).padStart(3)} -> ${String(net.edgeB[e]).padEnd(4)}  ${currents[e].toPrecision(8)}${kind ? `  (${kind})` : ''}`);
  }
  return lines.join('\n') + '\n';
}
