/**
 * A network and its imposed node voltages as an ngspice netlist for a DC operating point (`.op`); the mapping is
 * documented in src/formats/README.md ("SPICE"). Pure: returns the text.
 *
 * - Node i is `n<i>`. clln networks have no implicit ground: every voltage is relative to one reference, and that
 *   reference is SPICE's node 0, which only the sources touch. Each imposed node gets `V<i> n<i> 0 DC <volts>` (a
 *   ground node of a task is a 0 V source), and each transistor gate `VG<e> g<e> 0 DC <vg>`. A component of the
 *   network with no imposed node would float (no DC path to 0, a singular matrix in SPICE as in clln's solver), so it
 *   is refused with the solver's message.
 * - Edge e = (a, b), its current flowing from a to b as a function of V(a) - V(b) (src/physics/nonlinear/EdgeElement.ts):
 *   - linear (null or `resistor`): `R<e> n<a> n<b> {1/k}`. The value is written as the reciprocal of the
 *     conductance (ngspice evaluates the braces), not as a resistance: 14 % of doubles k have no double R with
 *     fl(1/R) = k, so a resistance could not round-trip; the importer reads `{1/k}` back as the conductance k exactly.
 *   - `diode`: `D<e> n<a> n<b> <model>` with `.model <model> D (IS= N= RS=)`, anode a; `.options TEMP TNOM` make
 *     ngspice's thermal voltage ours (ngspiceTemperature.ts) and `GMIN=0` removes the 1e-12 S ngspice otherwise puts
 *     across every junction. ngspice's law differs from Shockley below v = -3 n V_T, where it uses
 *     `-IS (1 + (3 n V_T / (e v))^3)` instead of `-IS (1 - exp(v / n V_T))`: a reverse current different by at
 *     most 5 % of IS (at v = -3 n V_T, 1.2e-6 of IS at -4 V for n = 1.5); and above 80 n V_T clln continues the
 *     exponential by its tangent (currents above 5e22 A, never a real state).
 *   - `transistor`, saturation `square`: the long-channel square law is exactly an ngspice level-1 NMOS:
 *     `M<e> n<a> g<e> n<b> n<b> <model> W=1 L=1` (drain a, source b; level 1 swaps them when V(b) > V(a), as the law
 *     is symmetric) with `.model <model> NMOS (LEVEL=1 KP=s VTO=vt GAMMA=0 LAMBDA=0 IS=0 JS=0)` (no body effect, no
 *     channel-length modulation, no bulk junction current), and the cut-off leak `g_off = cutoff * s` as a parallel
 *     `RL<e> n<a> n<b> {1/g_off}` (none when cutoff is 0).
 *   - `transistor`, saturation `none` (the boards' Ohmic law, which has no pinch-off and so is no MOSFET model): a
 *     behavioural current source, exact: `B<e> n<a> n<b> I = max(g_off, s*(vg-vt-(V(n<a>)+V(n<b>))/2))*(V(n<a>)-V(n<b>))`.
 *   - `table`: `B<e> n<a> n<b> I = pwl(V(n<a>)-V(n<b>), v0, i0, v1, i1, ...)`: ngspice's `pwl` function interpolates
 *     linearly and extrapolates beyond the ends along the end segments, as clln's table law does.
 * - Numbers are written as JavaScript's shortest round-trip decimal, so that a reader with correct rounding gets the
 *   same doubles back.
 */
import { assertConnected } from '../connectivity.js';
import { InvalidInputError } from '../../errors.js';
import type { Network } from '../../physics/Network.js';
import { DEFAULT_GATE_CUTOFF } from '../../physics/edgeLaws.js';
import type { EdgeElement } from '../../physics/nonlinear/EdgeElement.js';
import { CLLN_DIODE_CELSIUS } from './ngspiceTemperature.js';

/** Options of {@link writeSpiceNetlist}. */
export interface SpiceExportOptions {
  /** Where the network came from, for error messages (a file name). */
  source?: string;
  /** Where the imposed voltages came from, for error messages (e.g. `--fix`, a task file). */
  fixedSource?: string;
  /**
   * Append a `.control` block that runs the operating point and prints every node voltage with 17 significant
   * digits (`print all`), for batch runs (`ngspice -b`) whose output is read back, as the cross-check tests do.
   */
  printAll?: boolean;
  /** ngspice convergence tolerances written in `.options` (defaults: RELTOL 1e-12, VNTOL 1e-15 V, ABSTOL 1e-18 A). */
  reltol?: number;
  vntol?: number;
  abstol?: number;
}

/** SPICE node name of clln node i. */
export function spiceNode(i: number): string {
  return `n${i}`;
}

/** A number as SPICE reads it: the shortest round-trip decimal, in parentheses when negative (inside expressions). */
function num(x: number): string {
  return String(x);
}
function expr(x: number): string {
  return x < 0 ? `(${String(x)})` : String(x);
}

/** Longest netlist line (characters) before a continuation `+` line is started (ngspice reads any length). */
const LINE_WIDTH = 100;

/**
 * The netlist text.
 * @param fixed imposed node voltages (node id -> volts), at least one; every network component must hold one
 * @throws InvalidInputError when nothing is imposed, a node id is out of range, or a component floats
 */
export function writeSpiceNetlist(net: Network, fixed: ReadonlyMap<number, number>, options: SpiceExportOptions = {}): string {
  const where = { source: options.fixedSource ?? options.source ?? 'clln export spice' };
  if (fixed.size === 0) {
    throw new InvalidInputError(where, 'no node voltage is imposed, so SPICE has no DC path to its reference node 0 and the voltages are undetermined', 'give at least one --fix NODE=VOLTS or a --task and --example');
  }
  for (const [node, v] of fixed) {
    if (!Number.isInteger(node) || node < 0 || node >= net.nodes) {
      throw new InvalidInputError(where, `node ${node} does not exist: the network has nodes 0..${net.nodes - 1}`, 'fix nodes of the network');
    }
    if (!Number.isFinite(v)) throw new InvalidInputError(where, `node ${node}: the voltage must be finite, got ${v}`);
  }
  assertConnected(net, Int32Array.from(fixed.keys()), where, 'imposed', options.source);

  const reltol = options.reltol ?? 1e-12;
  const vntol = options.vntol ?? 1e-15;
  const abstol = options.abstol ?? 1e-18;
  const out: string[] = [];
  const E = net.edgeA.length;
  // The first line of a SPICE file is its title, whatever it says.
  out.push(`clln network ${oneLine(net.name)}: ${net.nodes} nodes, ${E} edges`);
  out.push('* written by clln export spice: node i is n<i>; node 0 of SPICE is the reference of the imposed voltages');
  out.push('* edge e is R<e> (linear, value {1/conductance}), D<e> (diode), M<e> with gate source VG<e> and leak RL<e>');
  out.push('* (square-law transistor), or B<e> (Ohmic transistor, table); V<i> imposes node i (src/formats/README.md)');
  // TEMP = TNOM: ngspice's V_T equals clln's and IS is not rescaled; GMIN=0: no conductance across junctions.
  out.push(`.options TEMP=${num(CLLN_DIODE_CELSIUS)} TNOM=${num(CLLN_DIODE_CELSIUS)} GMIN=0 RELTOL=${num(reltol)} VNTOL=${num(vntol)} ABSTOL=${num(abstol)}`);

  const models = new Map<string, string>();
  const modelLines: string[] = [];
  const model = (prefix: string, body: string): string => {
    let name = models.get(body);
    if (name === undefined) {
      name = `${prefix}${models.size}`;
      models.set(body, name);
      modelLines.push(`.model ${name} ${body}`);
    }
    return name;
  };

  for (let e = 0; e < E; e++) {
    const a = spiceNode(net.edgeA[e]);
    const b = spiceNode(net.edgeB[e]);
    const el: EdgeElement | null = net.elements?.[e] ?? null;
    if (el === null || el.kind === 'resistor') {
      out.push(`R${e} ${a} ${b} {1/${num(el === null ? net.conductance[e] : el.k)}}`);
      continue;
    }
    switch (el.kind) {
      case 'diode': {
        const rs = el.rs ?? 0;
        const name = model('dmod', `D (IS=${num(el.is)} N=${num(el.n)}${rs > 0 ? ` RS=${num(rs)}` : ''})`);
        out.push(`D${e} ${a} ${b} ${name}`);
        break;
      }
      case 'transistor': {
        const leak = (el.cutoff ?? DEFAULT_GATE_CUTOFF) * el.s;
        if (el.saturation === 'square') {
          const name = model('mt', `NMOS (LEVEL=1 KP=${num(el.s)} VTO=${num(el.vt)} GAMMA=0 LAMBDA=0 IS=0 JS=0)`);
          out.push(`M${e} ${a} g${e} ${b} ${b} ${name} W=1 L=1`);
          out.push(`VG${e} g${e} 0 DC ${num(el.vg)}`);
          if (leak > 0) out.push(`RL${e} ${a} ${b} {1/${num(leak)}}`);
        } else {
          out.push(
            `B${e} ${a} ${b} I = max(${num(leak)}, ${num(el.s)}*(${expr(el.vg)}-${expr(el.vt)}-(V(${a})+V(${b}))/2))*(V(${a})-V(${b}))`,
          );
        }
        break;
      }
      case 'table': {
        const head = `B${e} ${a} ${b} I = pwl(V(${a})-V(${b})`;
        const parts: string[] = [];
        for (let k = 0; k < el.v.length; k++) parts.push(`${num(el.v[k])},${num(el.i[k])}`);
        wrap(out, head, parts, ')');
        break;
      }
    }
  }
  out.push(...modelLines);
  for (const [node, v] of [...fixed].sort((p, q) => p[0] - q[0])) out.push(`V${node} ${spiceNode(node)} 0 DC ${num(v)}`);
  out.push('.op');
  if (options.printAll) out.push('.control', 'set numdgt=17', 'op', 'print all', '.endc');
  out.push('.end');
  return out.join('\n') + '\n';
}

/** `head, part, part, ...tail` over continuation lines of at most about {@link LINE_WIDTH} characters. */
function wrap(out: string[], head: string, parts: string[], tail: string): void {
  let line = head;
  for (const p of parts) {
    if (line.length + p.length + 2 > LINE_WIDTH) {
      out.push(line + ',');
      line = `+ ${p}`;
    } else line += `, ${p}`;
  }
  out.push(line + tail);
}

/** A network name on the title line: one line, printable. */
function oneLine(name: string): string {
  return name.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200);
}
