/**
 * `clln import spice`: a SPICE netlist of R, D and V elements (and the M and B elements clln's own export writes) as a
 * `clln.network/1` network plus its imposed node voltages. The mapping and its rules are in src/formats/README.md
 * ("SPICE"); every refusal is an InvalidInputError naming the file, the line, the rule and the fix (exit 2).
 *
 * Reading is bounded: the file's size is checked before it is read ({@link MAX_SPICE_FILE_BYTES}), a logical line's
 * length while its continuations are joined, subcircuit nesting and the number of flattened elements while expanding
 * (a subcircuit that instantiates another twice, 40 levels deep, stops at {@link MAX_SPICE_ELEMENTS}, not at 2^40),
 * and expressions by their nesting. Nothing is allocated from a count before that count is checked.
 */
import { basename } from 'node:path';
import { InvalidInputError } from '../../errors.js';
import { findFloatingNodes } from '../connectivity.js';
import { parseNetwork, networkToJson } from '../networkFile.js';
import { readInputFile } from '../readInputFile.js';
import {
  MAX_NAME_LENGTH,
  MAX_NETWORK_EDGES,
  MAX_NETWORK_NODES,
  MAX_SPICE_ELEMENTS,
  MAX_SPICE_FILE_BYTES,
  MAX_SPICE_FLATTENED_CHARS,
  MAX_SPICE_LINE_CHARS,
  MAX_SPICE_SUBCKT_DEPTH,
  MAX_TABLE_POINTS,
} from '../limits.js';
import type { Network } from '../../physics/Network.js';
import type { EdgeElement } from '../../physics/nonlinear/EdgeElement.js';
import { THERMAL_VOLTAGE } from '../../physics/nonlinear/EdgeElement.js';
import { parseExpression, evaluate, type ParamLookup, SpiceValueError, spiceNumber, valueOf } from './expression.js';
import { NGSPICE_DEFAULT_CELSIUS, ngspiceThermalVoltage } from './ngspiceTemperature.js';

/** What a netlist imports as. */
export interface SpiceImport {
  network: Network;
  /** Imposed node voltages (node id -> V): the nodes V sources fix, relative to SPICE's node 0. */
  fixed: Map<number, number>;
  /** The SPICE name of each node (index = node id), e.g. `n3`, `x1.mid`, `0`. */
  nodeNames: string[];
}

/** Read and import a netlist file. */
export function readSpiceFile(path: string): SpiceImport {
  const bytes = readInputFile(path, 'SPICE netlist', MAX_SPICE_FILE_BYTES);
  return parseSpiceNetlist(bytes.toString('latin1'), path);
}

/** One logical line: its text (lower case, comments removed, continuations joined) and where it started. */
interface Line {
  text: string;
  line: number;
}

interface Subckt {
  name: string;
  pins: string[];
  defaults: [string, string][];
  body: Line[];
  line: number;
}

/** A flattened element with its nodes resolved to global names. */
interface Flat {
  type: 'r' | 'd' | 'v' | 'm' | 'b';
  name: string;
  nodes: string[];
  line: number;
  /** R: conductance (S); V: volts; D: area */
  value: number;
  model?: string;
  /** M: W/L */
  ratio?: number;
  /** B: the element it describes */
  element?: EdgeElement;
}

interface Model {
  type: string;
  params: Map<string, number>;
  line: number;
}

/**
 * Parameters of one scope (the file, a subcircuit instance, a `.param` line) over those of the enclosing one. Why a
 * chain and not copies: a copy per instance would cost (instances x parameters), 1e11 for a hostile file within the
 * limits; a lookup walks at most the subcircuit depth.
 */
class Scope implements ParamLookup {
  private readonly own = new Map<string, number>();
  constructor(private readonly parent?: ParamLookup) {}
  get(name: string): number | undefined {
    return this.own.get(name) ?? this.parent?.get(name);
  }
  set(name: string, v: number): this {
    this.own.set(name, v);
    return this;
  }
}

const GROUND = new Set(['0', 'gnd']);
/** Dot commands that choose or print analyses and do not change the circuit: read and ignored. */
const IGNORED = new Set(['.op', '.tran', '.ac', '.dc', '.print', '.plot', '.save', '.probe', '.meas', '.measure', '.four', '.noise', '.tf', '.sens', '.width', '.title', '.ic', '.nodeset', '.end', '.csparam']);
/** Diode model parameters that only matter for capacitance, noise or temperature (TEMP = TNOM is required): ignored. */
const DIODE_IGNORED = new Set(['cjo', 'cj0', 'cj', 'vj', 'pb', 'm', 'mj', 'tt', 'fc', 'xti', 'eg', 'kf', 'af', 'level']);

/** Import the netlist `text`; `source` names it in messages. */
export function parseSpiceNetlist(text: string, source: string): SpiceImport {
  const fail: Fail = (line: number, problem: string, fix: string): never => {
    throw new InvalidInputError({ source, field: `line ${line}` }, problem, fix);
  };
  const lines = logicalLines(text, source);
  const title = (text.slice(0, Math.min(text.length, 1000)).split(/\r?\n/, 1)[0] ?? '').trim();

  // Pass 1: subcircuits, models, top-level parameters and options; the rest are element lines.
  const subckts = new Map<string, Subckt>();
  const models = new Map<string, Model>();
  const top: Line[] = [];
  let current: Subckt | undefined;
  let temp = NGSPICE_DEFAULT_CELSIUS;
  let tnom = NGSPICE_DEFAULT_CELSIUS;
  let tempLine = 1;
  const params = new Scope();
  let inControl = false;
  for (const l of lines) {
    const tokens = tokenize(l.text);
    const head = tokens[0];
    if (inControl) {
      if (head === '.endc') inControl = false;
      continue;
    }
    if (head === undefined) fail(l.line, `${JSON.stringify(l.text.slice(0, 40))} is neither an element nor a command`, 'remove the line, or comment it out with *');
    if (!head.startsWith('.')) {
      (current ? current.body : top).push(l);
      continue;
    }
    switch (head) {
      case '.control':
        inControl = true;
        break;
      case '.endc':
        fail(l.line, '.endc without .control', 'remove it or add the .control line');
        break;
      case '.subckt': {
        if (current) fail(l.line, `.subckt ${tokens[1] ?? ''} inside .subckt ${current.name}: nested definitions are not supported`, `close ${current.name} with .ends before`);
        const name = tokens[1];
        if (name === undefined) fail(l.line, '.subckt needs a name and its pins', 'write .subckt NAME PIN1 PIN2 ...');
        if (subckts.has(name)) fail(l.line, `subcircuit ${name} is defined twice (line ${subckts.get(name)!.line} first)`, 'rename one of them');
        const pins: string[] = [];
        const defaults: [string, string][] = [];
        const rest = tokens.slice(2).filter((t) => t !== 'params:');
        for (let i = 0; i < rest.length; i++) {
          if (rest[i + 1] === '=') {
            defaults.push([rest[i], rest[i + 2] ?? fail(l.line, `parameter ${rest[i]} of .subckt ${name} has no value`, `write ${rest[i]}=VALUE`)]);
            i += 2;
          } else if (defaults.length > 0) fail(l.line, `pin ${rest[i]} after the parameters of .subckt ${name}`, 'list the pins first, then NAME=VALUE parameters');
          else pins.push(rest[i]);
        }
        current = { name, pins, defaults, body: [], line: l.line };
        subckts.set(name, current);
        break;
      }
      case '.ends':
        if (!current) fail(l.line, '.ends without .subckt', 'remove it, or open the subcircuit with .subckt NAME PINS');
        current = undefined;
        break;
      case '.model': {
        const [, name, type] = tokens;
        if (name === undefined || type === undefined) fail(l.line, '.model needs a name and a type', 'write .model NAME D (IS=... N=...)');
        if (models.has(name)) fail(l.line, `model ${name} is defined twice (line ${models.get(name)!.line} first)`, 'rename one of them');
        models.set(name, { type, params: pairs(tokens.slice(3), l, params, fail), line: l.line });
        break;
      }
      case '.param':
        if (current) current.body.push(l);
        else for (const [k, v] of pairs(tokens.slice(1), l, params, fail)) params.set(k, v);
        break;
      case '.options':
      case '.option':
      case '.opt':
        for (const [k, v] of pairs(tokens.slice(1), l, params, fail, true)) {
          if (k === 'temp' || k === 'tnom') tempLine = l.line;
          if (k === 'temp') temp = v;
          if (k === 'tnom') tnom = v;
        }
        break;
      case '.temp':
        temp = value(tokens[1] ?? '', l, params, fail);
        tempLine = l.line;
        break;
      case '.include':
      case '.inc':
      case '.lib':
        fail(l.line, `${head} reads another file, which clln import does not follow`, 'paste the included lines into this file');
        break;
      case '.global':
        for (const n of tokens.slice(1)) if (!GROUND.has(n)) fail(l.line, `.global ${n}: only node 0 is global here`, 'connect the node through subcircuit pins instead');
        break;
      default:
        if (!IGNORED.has(head)) fail(l.line, `unsupported command ${head}`, `clln import reads R, D and V elements, .model, .param, .subckt/.ends, .options TEMP/TNOM and .temp; remove ${head}`);
    }
    if (head === '.end') break;
  }
  if (current) fail(current.line, `.subckt ${current.name} is not closed`, 'add .ends after its last element');
  if (temp !== tnom) {
    fail(tempLine, `TEMP (${temp} C) differs from TNOM (${tnom} C): SPICE then rescales each diode's saturation current with temperature, which clln's diode does not model`, 'set .options TEMP and TNOM to the same value (clln export writes TEMP=TNOM)');
  }

  // Pass 2: flatten the element lines, subcircuits expanded, nodes given global names.
  const flat: Flat[] = [];
  // lines visited while flattening (element and instance lines): bounds the work of instances of empty subcircuits too
  let visited = 0;
  let visitedChars = 0;
  expand(top, params, (n) => n, '', 0, []);

  function expand(body: Line[], scope: ParamLookup, node: (n: string) => string, path: string, depth: number, stack: string[]): void {
    const local = new Scope(scope);
    for (const l of body) {
      const t = tokenize(l.text);
      if (t[0] === '.param') {
        for (const [k, v] of pairs(t.slice(1), l, local, fail)) local.set(k, v);
        continue;
      }
      const name = t[0];
      const type = name[0];
      if (++visited > MAX_SPICE_ELEMENTS) fail(l.line, `more than ${MAX_SPICE_ELEMENTS} element and instance lines after flattening the subcircuits`, 'clln networks have at most 1,000,000 edges: split the circuit');
      visitedChars += l.text.length;
      if (visitedChars > MAX_SPICE_FLATTENED_CHARS) fail(l.line, `more than ${MAX_SPICE_FLATTENED_CHARS} characters of element lines after flattening the subcircuits`, 'split the circuit, or shorten the lines of subcircuits used many times');
      const full = path + name;
      switch (type) {
        case 'r': {
          if (t.length < 4) fail(l.line, `resistor ${name} needs two nodes and a value`, `write ${name} NODE1 NODE2 VALUE`);
          let g: number | undefined;
          let mult = 1;
          let i = 3;
          if (t[4] !== '=') {
            g = conductance(t[3], l, local, fail);
            i = 4;
          }
          for (const [k, v] of rawPairs(t.slice(i), l, fail)) {
            if (k === 'r' || k === 'resistance') g = conductance(v, l, local, fail);
            else if (k === 'm') mult = value(v, l, local, fail);
            else fail(l.line, `resistor parameter ${k} is not supported`, `remove ${k}= (clln reads the resistance and m=)`);
          }
          if (g === undefined) fail(l.line, `resistor ${name} has no value`, `write ${name} NODE1 NODE2 VALUE`);
          if (!(g > 0 && Number.isFinite(g)) || !(mult > 0)) fail(l.line, `resistor ${name} must have a finite resistance > 0, got conductance ${g} S`, 'give a positive resistance (a short is no resistor: merge the two nodes)');
          flat.push({ type: 'r', name: full, nodes: [node(t[1]), node(t[2])], line: l.line, value: g * mult });
          break;
        }
        case 'd': {
          if (t.length < 4) fail(l.line, `diode ${name} needs anode, cathode and a model`, `write ${name} ANODE CATHODE MODEL`);
          let area = 1;
          let i = 4;
          if (t[4] !== undefined && t[5] !== '=') {
            area = value(t[4], l, local, fail);
            i = 5;
          }
          for (const [k, v] of rawPairs(t.slice(i), l, fail)) {
            if (k === 'area') area = value(v, l, local, fail);
            else if (k === 'm') area *= value(v, l, local, fail);
            else fail(l.line, `diode parameter ${k} is not supported`, `remove ${k}= (clln reads the model, the area and m=)`);
          }
          if (!(area > 0)) fail(l.line, `diode ${name}: the area must be > 0, got ${area}`, 'give a positive area or leave it out');
          flat.push({ type: 'd', name: full, nodes: [node(t[1]), node(t[2])], line: l.line, value: area, model: t[3] });
          break;
        }
        case 'v': {
          if (t.length < 3) fail(l.line, `voltage source ${name} needs two nodes`, `write ${name} PLUS MINUS DC VOLTS`);
          let v = 0;
          let i = 3;
          if (t[i] === 'dc') i++;
          if (t[i] !== undefined && t[i] !== 'ac') {
            if (/^(pulse|sin|exp|pwl|sffm|am|trnoise|trrandom)$/.test(t[i])) fail(l.line, `voltage source ${name} is a ${t[i]} waveform; clln imports the DC operating point only`, `give its DC value: ${name} ${t[1]} ${t[2]} DC VOLTS`);
            v = value(t[i], l, local, fail);
            i++;
          }
          // an AC magnitude and phase do not change the DC operating point
          if (t[i] === 'ac') i += 1 + (t[i + 1] !== undefined ? 1 : 0) + (t[i + 2] !== undefined ? 1 : 0);
          if (i < t.length) fail(l.line, `unexpected ${t[i]} in voltage source ${name}`, `write ${name} PLUS MINUS [DC] VOLTS`);
          flat.push({ type: 'v', name: full, nodes: [node(t[1]), node(t[2])], line: l.line, value: v });
          break;
        }
        case 'x': {
          const pairStart = t.findIndex((_, k) => t[k + 1] === '=');
          const end = pairStart < 0 ? t.length : pairStart;
          const subName = t[end - 1];
          const sub = subName === undefined || end < 2 ? undefined : subckts.get(subName);
          if (!sub) fail(l.line, `subcircuit ${subName ?? '(none)'} of instance ${name} is not defined`, 'define it with .subckt NAME PINS ... .ends in this file');
          const pins = t.slice(1, end - 1);
          if (pins.length !== sub.pins.length) fail(l.line, `instance ${name} connects ${pins.length} nodes, but subcircuit ${sub.name} has ${sub.pins.length} pins (${sub.pins.join(' ')})`, 'give one node per pin, in order');
          if (stack.includes(sub.name)) fail(l.line, `subcircuit ${sub.name} instantiates itself (${[...stack, sub.name].join(' -> ')})`, 'remove the recursion');
          if (depth + 1 > MAX_SPICE_SUBCKT_DEPTH) fail(l.line, `subcircuits nest deeper than ${MAX_SPICE_SUBCKT_DEPTH} levels`, 'flatten some of them');
          const inner = new Scope(params);
          for (const [k, v] of sub.defaults) inner.set(k, value(v, l, inner, fail));
          for (const [k, v] of rawPairs(t.slice(end), l, fail)) {
            if (!sub.defaults.some(([d]) => d === k)) fail(l.line, `subcircuit ${sub.name} has no parameter ${k}`, `declare it on the .subckt line (${sub.name} ... params: ${k}=VALUE) or remove it here`);
            inner.set(k, value(v, l, local, fail));
          }
          const map = new Map(sub.pins.map((p, k) => [p, node(pins[k])]));
          const prefix = `${full}.`;
          expand(sub.body, inner, (n) => (GROUND.has(n) ? n : (map.get(n) ?? prefix + n)), prefix, depth + 1, [...stack, sub.name]);
          break;
        }
        case 'm': {
          if (t.length < 6) fail(l.line, `MOSFET ${name} needs drain, gate, source, bulk and a model`, 'clln imports MOSFETs only as its export writes them');
          let w = 1;
          let len = 1;
          for (const [k, v] of rawPairs(t.slice(6), l, fail)) {
            if (k === 'w') w = value(v, l, local, fail);
            else if (k === 'l') len = value(v, l, local, fail);
            else fail(l.line, `MOSFET parameter ${k} is not supported`, 'clln imports MOSFETs only as its export writes them (W, L)');
          }
          flat.push({ type: 'm', name: full, nodes: t.slice(1, 5).map(node), line: l.line, value: 0, model: t[5], ratio: w / len });
          break;
        }
        case 'b': {
          const el = behavioural(l, fail);
          flat.push({ type: 'b', name: full, nodes: [node(t[1]), node(t[2])], line: l.line, value: 0, element: el.element });
          if (el.nodes[0] !== t[1] || el.nodes[1] !== t[2]) fail(l.line, `behavioural source ${name} must control by its own nodes V(${t[1]}) and V(${t[2]})`, 'clln imports B sources only as its export writes them');
          break;
        }
        default:
          fail(
            l.line,
            `unsupported element ${name} (${ELEMENT_NAMES[type] ?? 'unknown type'})`,
            type === 'c'
              ? 'remove it: at the DC operating point a capacitor is an open circuit'
              : type === 'l'
                ? 'replace it by a short (merge its nodes): at DC an inductor is one'
                : 'clln imports R, D, V and X elements (and the M and B elements of its own export); remove or replace it',
          );
      }
    }
  }

  return build(flat, models, temp, title, source, fail);
}

const ELEMENT_NAMES: Record<string, string> = {
  c: 'capacitor', l: 'inductor', i: 'current source', e: 'voltage-controlled voltage source', f: 'current-controlled current source',
  g: 'voltage-controlled current source', h: 'current-controlled voltage source', k: 'coupled inductors', q: 'bipolar transistor',
  j: 'JFET', z: 'MESFET', s: 'switch', w: 'switch', t: 'transmission line', u: 'lossy line', o: 'lossy line', a: 'XSPICE model', y: 'lossy line', p: 'coupled lines',
};

type Fail = (line: number, problem: string, fix: string) => never;

function build(flat: Flat[], models: Map<string, Model>, temp: number, title: string, source: string, fail: Fail): SpiceImport {
  // Imposed voltages: the V sources form a forest; each tree must reach node 0, so walk from 0 and fix every node.
  const vAdj = new Map<string, { other: string; dv: number; f: Flat }[]>();
  for (const f of flat) {
    if (f.type !== 'v') continue;
    const [p, m] = f.nodes;
    if (p === m) fail(f.line, `voltage source ${f.name} has both terminals on node ${p}`, 'connect it between two different nodes');
    // V(p) - V(m) = value
    (vAdj.get(p) ?? vAdj.set(p, []).get(p)!).push({ other: m, dv: -f.value, f });
    (vAdj.get(m) ?? vAdj.set(m, []).get(m)!).push({ other: p, dv: f.value, f });
  }
  const volts = new Map<string, number>();
  const usedSource = new Set<Flat>();
  for (const g of GROUND) {
    if (!vAdj.has(g) || volts.has(g)) continue;
    volts.set(g, 0);
    const queue = [g];
    for (let q = 0; q < queue.length; q++) {
      const n = queue[q];
      for (const { other, dv, f } of vAdj.get(n)!) {
        if (usedSource.has(f)) continue;
        usedSource.add(f);
        if (volts.has(other)) fail(f.line, `voltage source ${f.name} closes a loop of voltage sources (node ${other} is already fixed)`, 'remove one source of the loop (SPICE cannot solve a loop of voltage sources either)');
        volts.set(other, volts.get(n)! + dv);
        queue.push(other);
      }
    }
  }
  for (const f of flat) {
    if (f.type === 'v' && !usedSource.has(f)) fail(f.line, `voltage source ${f.name} has no path to node 0 through other voltage sources, so the voltages it imposes are not fixed`, 'connect one of its terminals to node 0 (clln imposes node voltages relative to node 0)');
  }

  // Gates of MOSFETs: nodes fixed by sources that touch nothing but gates.
  const gates = new Set<string>();
  for (const f of flat) if (f.type === 'm') gates.add(f.nodes[1]);

  // Edges, in the order of the lines; parallel resistors merge.
  const ids = new Map<string, number>();
  const names: string[] = [];
  const order: string[] = [];
  const touch = (n: string): void => {
    if (!ids.has(n)) {
      ids.set(n, order.length);
      order.push(n);
    }
  };
  interface Edge {
    a: string;
    b: string;
    k: number;
    element: EdgeElement | null;
    line: number;
    name: string;
    kind: string;
  }
  const edges: Edge[] = [];
  const byPair = new Map<string, Edge>();
  const vtRatio = ngspiceThermalVoltage(temp) / THERMAL_VOLTAGE;
  // Within 1e-9 the netlist's temperature is clln's (its export writes the temperature where ngspice's V_T is clln's).
  const nScale = Math.abs(vtRatio - 1) <= 1e-9 ? 1 : vtRatio;
  for (const f of flat) {
    if (f.type === 'v') continue;
    let a = f.nodes[0];
    let b = f.nodes[1];
    let element: EdgeElement | null = null;
    let k = 0;
    let kind = 'resistor';
    if (f.type === 'r') k = f.value;
    else if (f.type === 'd') {
      const m = models.get(f.model!) ?? fail(f.line, `model ${f.model} of diode ${f.name} is not defined`, `define it: .model ${f.model} D (IS=... N=...)`);
      if (m.type !== 'd') fail(f.line, `model ${f.model} of diode ${f.name} is a ${m.type} model`, 'give the diode a D model');
      let is = 1e-14;
      let n = 1;
      let rs = 0;
      for (const [key, v] of m.params) {
        if (key === 'is' || key === 'js') is = v;
        else if (key === 'n') n = v;
        else if (key === 'rs') rs = v;
        else if (key === 'tnom') {
          if (v !== temp) fail(m.line, `model ${f.model}: TNOM=${v} C differs from TEMP ${temp} C, so SPICE rescales its saturation current`, 'remove TNOM from the model or set it to TEMP');
        } else if (key === 'level') {
          if (v !== 1) fail(m.line, `model ${f.model}: diode LEVEL=${v} is not supported`, 'use the default level 1');
        } else if (!DIODE_IGNORED.has(key)) fail(m.line, `diode model parameter ${key.toUpperCase()} is not supported (it changes the DC law, which clln's Shockley diode does not model)`, 'remove it; clln reads IS, N and RS (capacitance and noise parameters are ignored)');
      }
      if (!(is > 0) || !(n > 0) || !(rs >= 0)) fail(m.line, `model ${f.model}: IS must be > 0, N > 0 and RS >= 0, got IS=${is} N=${n} RS=${rs}`, 'correct the model parameters');
      element = { kind: 'diode', is: is * f.value, n: n * nScale, ...(rs > 0 ? { rs: rs / f.value } : {}) };
      kind = 'diode';
      k = 1;
    } else if (f.type === 'b') {
      element = f.element!;
      kind = element.kind;
      k = 1;
    } else {
      // clln's square-law transistor: M drain gate source bulk, bulk on the source or the drain, gate fixed
      const [d, gate, s, bulk] = f.nodes;
      const m = models.get(f.model!) ?? fail(f.line, `model ${f.model} of MOSFET ${f.name} is not defined`, 'define it as clln export writes it');
      const p = m.params;
      const zero = ['gamma', 'lambda', 'is', 'js'];
      if (m.type !== 'nmos' || p.get('level') !== 1 || zero.some((z) => p.get(z) !== 0) || !p.has('kp') || !p.has('vto') || p.size !== 7) {
        fail(m.line, `MOSFET model ${f.model} is not the one clln export writes for a square-law transistor`, 'clln imports MOSFETs only as .model NAME NMOS (LEVEL=1 KP=s VTO=vt GAMMA=0 LAMBDA=0 IS=0 JS=0)');
      }
      if (bulk !== s && bulk !== d) fail(f.line, `MOSFET ${f.name}: its bulk must be on its source or drain`, 'connect the bulk to the source, as clln export does');
      const vg = volts.get(gate);
      if (vg === undefined) fail(f.line, `MOSFET ${f.name}: its gate ${gate} is not fixed by a voltage source to node 0`, 'drive the gate with a V source to node 0 (the gate voltage is the transistor element\'s vg)');
      element = { kind: 'transistor', s: p.get('kp')! * f.ratio!, vt: p.get('vto')!, vg, saturation: 'square', cutoff: 0 };
      kind = 'transistor';
      k = 1;
      a = d;
      b = s;
    }
    if (a === b) fail(f.line, `${f.name} has both terminals on node ${a}`, 'remove it: it carries no current');
    for (const n of [a, b]) if (gates.has(n)) fail(f.line, `${f.name} touches node ${n}, a MOSFET gate`, 'clln\'s transistor gate is driven by its source only');
    const key = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
    const prev = byPair.get(key);
    if (prev) {
      if (prev.element === null && element === null) {
        prev.k += k;
        continue;
      }
      if (element === null && prev.element?.kind === 'transistor' && prev.element.saturation === 'square') {
        // the cut-off leak clln export writes beside the MOSFET
        prev.element.cutoff = (prev.element.cutoff ?? 0) + k / prev.element.s;
        continue;
      }
      fail(f.line, `${f.name} is in parallel with ${prev.name} (line ${prev.line}) between nodes ${a} and ${b}; a clln network has one element per pair of nodes`, 'merge them into one element, or put one of them in series with a small resistor');
    }
    touch(a);
    touch(b);
    const edge: Edge = { a, b, k, element, line: f.line, name: f.name, kind };
    byPair.set(key, edge);
    edges.push(edge);
  }
  for (const n of volts.keys()) if (!GROUND.has(n) && !gates.has(n)) touch(n);
  // node 0 is a network node only where an element touches it; then it is imposed at 0 V
  for (const g of GROUND) if (ids.has(g)) volts.set(g, 0);
  if (ids.has('0') && ids.has('gnd')) fail(edges.find((e) => [e.a, e.b].includes('gnd'))!.line, 'both 0 and gnd are used; ngspice joins them, clln does not guess', 'use 0 only');

  if (order.length === 0) fail(1, 'the netlist has no R, D, M or B element', 'add the circuit\'s elements');
  if (order.length > MAX_NETWORK_NODES) fail(1, `${order.length} nodes, more than the network limit ${MAX_NETWORK_NODES}`, 'split the circuit');
  if (edges.length > MAX_NETWORK_EDGES) fail(1, `${edges.length} elements, more than the network limit ${MAX_NETWORK_EDGES}`, 'split the circuit');

  // Node ids: n<i> names that are exactly 0..N-1 (clln's export) keep their numbers; others number by appearance.
  const numbered = order.map((n) => /^n(0|[1-9]\d*)$/.exec(n));
  if (numbered.every((m) => m !== null) && numbered.every((m) => Number(m![1]) < order.length) && new Set(numbered.map((m) => m![1])).size === order.length) {
    for (const n of order) ids.set(n, Number(n.slice(1)));
  }
  for (const [n, i] of ids) names[i] = n;
  const nodes = order.length;
  const edgeA = new Int32Array(edges.length);
  const edgeB = new Int32Array(edges.length);
  const conductance = new Float64Array(edges.length);
  const elements: (EdgeElement | null)[] = [];
  for (let e = 0; e < edges.length; e++) {
    edgeA[e] = ids.get(edges[e].a)!;
    edgeB[e] = ids.get(edges[e].b)!;
    conductance[e] = edges[e].k;
    const el = edges[e].element;
    elements.push(el);
  }
  const name = (title || basename(source)).slice(0, MAX_NAME_LENGTH);
  const net: Network = { name, nodes, edgeA, edgeB, conductance };
  if (elements.some((el) => el !== null)) net.elements = elements;
  const fixed = new Map<number, number>();
  for (const [n, v] of volts) if (ids.has(n)) fixed.set(ids.get(n)!, v);
  // the network's own checks (ranges, one element per edge) and the solver's refusal of floating components
  parseNetwork(networkToJson(net), source);
  if (fixed.size === 0) fail(1, 'no node voltage is fixed: no voltage source connects the circuit to node 0, and no element touches node 0', 'add a V source from a circuit node to node 0');
  const floating = findFloatingNodes(nodes, edgeA, edgeB, Int32Array.from(fixed.keys()));
  if (floating.length > 0) {
    const f = floating[0];
    const e = edges.findIndex((_, k) => edgeA[k] === f || edgeB[k] === f);
    fail(
      edges[e].line,
      `node ${names[f]} (of ${edges[e].name}) has no DC path to node 0 or to a node a voltage source fixes (${floating.length} such node${floating.length === 1 ? '' : 's'}), so its voltage is undetermined`,
      `connect it to the rest of the circuit, or fix one of its nodes with a V source to 0`,
    );
  }
  return { network: net, fixed, nodeNames: names };
}

/** Logical lines: title skipped, comments removed, `+` continuations joined, lower case, length bounded. */
function logicalLines(text: string, source: string): Line[] {
  const out: Line[] = [];
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    let raw = text.slice(start, Math.min(end, start + MAX_SPICE_LINE_CHARS + 2));
    start = end + 1;
    if (lineNo === 1) continue; // the title
    if (raw.length > MAX_SPICE_LINE_CHARS) {
      throw new InvalidInputError({ source, field: `line ${lineNo}` }, `the line is longer than ${MAX_SPICE_LINE_CHARS} characters`, 'split it with + continuation lines');
    }
    raw = raw.replace(/\r$/, '');
    const semi = raw.indexOf(';');
    if (semi >= 0) raw = raw.slice(0, semi);
    const t = raw.trim().toLowerCase();
    if (t === '' || t.startsWith('*')) continue;
    if (t.startsWith('+')) {
      const prev = out[out.length - 1];
      if (!prev) throw new InvalidInputError({ source, field: `line ${lineNo}` }, 'a + continuation line with no line before it to continue', 'join it to an element or command line');
      if (prev.text.length + t.length > MAX_SPICE_LINE_CHARS) {
        throw new InvalidInputError({ source, field: `line ${prev.line}` }, `the line with its continuations is longer than ${MAX_SPICE_LINE_CHARS} characters`, 'shorten it');
      }
      prev.text += ' ' + t.slice(1);
      continue;
    }
    out.push({ text: t, line: lineNo });
  }
  return out;
}

/** Tokens of a logical line: separated by blanks, commas and parentheses; `=` its own token; braces and quotes whole. */
function tokenize(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === ',' || c === '(' || c === ')') {
      i++;
      continue;
    }
    if (c === '=') {
      out.push('=');
      i++;
      continue;
    }
    if (c === '{') {
      let depth = 0;
      let j = i;
      for (; j < n; j++) {
        if (text[j] === '{') depth++;
        else if (text[j] === '}' && --depth === 0) break;
      }
      out.push(text.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if (c === "'") {
      const j = text.indexOf("'", i + 1);
      const e = j < 0 ? n : j + 1;
      out.push(text.slice(i, e));
      i = e;
      continue;
    }
    let j = i;
    while (j < n && !' \t,()={'.includes(text[j])) j++;
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

/** `key = value` pairs as text. */
function rawPairs(tokens: string[], l: Line, fail: Fail): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < tokens.length; i += 3) {
    if (tokens[i + 1] !== '=' || tokens[i + 2] === undefined) fail(l.line, `expected NAME=VALUE, found ${JSON.stringify(tokens.slice(i, i + 3).join(' ').slice(0, 60))}`, 'write parameters as NAME=VALUE');
    out.push([tokens[i], tokens[i + 2]]);
  }
  return out;
}

/** `key = value` pairs evaluated; `lenient` skips values that are not numbers (options such as METHOD=GEAR). */
function pairs(tokens: string[], l: Line, params: ParamLookup, fail: Fail, lenient = false): Map<string, number> {
  const out = new Map<string, number>();
  const scope = new Scope(params);
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i + 1] !== '=') {
      if (lenient) continue; // flags such as .options NOACCT
      fail(l.line, `expected NAME=VALUE, found ${JSON.stringify(tokens.slice(i, i + 3).join(' ').slice(0, 60))}`, 'write parameters as NAME=VALUE');
    }
    const k = tokens[i];
    const raw = tokens[i + 2] ?? fail(l.line, `${k}= has no value`, `write ${k}=VALUE`);
    i += 2;
    if (lenient && spiceNumber(raw) === undefined && !raw.startsWith('{')) continue;
    // .param values may be bare expressions (a*2) as well as numbers and {braces}
    const v = l.text.startsWith('.param') && !raw.startsWith('{') && spiceNumber(raw) === undefined ? expressionValue(raw, l, scope, fail) : value(raw, l, scope, fail);
    out.set(k, v);
    scope.set(k, v);
  }
  return out;
}

function expressionValue(text: string, l: Line, params: ParamLookup, fail: Fail): number {
  try {
    return evaluate(parseExpression(text), params);
  } catch (e) {
    if (e instanceof SpiceValueError) fail(l.line, e.problem, e.fix);
    throw e;
  }
}

function value(token: string, l: Line, params: ParamLookup, fail: Fail): number {
  try {
    const v = valueOf(token, params);
    if (!Number.isFinite(v)) fail(l.line, `${JSON.stringify(token.slice(0, 60))} is not finite (${v})`, 'give a finite value');
    return v;
  } catch (e) {
    if (e instanceof SpiceValueError) fail(l.line, e.problem, e.fix);
    throw e;
  }
}

/** A resistor's conductance (S) from its resistance token; `{1/k}` gives k exactly. */
function conductance(token: string, l: Line, params: ParamLookup, fail: Fail): number {
  try {
    return valueOf(token, params, true);
  } catch (e) {
    if (e instanceof SpiceValueError) fail(l.line, e.problem, e.fix);
    throw e;
  }
}

const NUM = '([-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:e[-+]?\\d+)?)';
const PNUM = `(?:\\(${NUM}\\)|${NUM})`;
const NODE = '([^\\s(),=]+)';

/** The B sources clln export writes: the Ohmic transistor and the table (`pwl`). Anything else is refused. */
function behavioural(l: Line, fail: Fail): { element: EdgeElement; nodes: [string, string] } {
  const parts = /^(\S+)\s+(\S+)\s+(\S+)\s+i\s*=\s*(.*)$/.exec(l.text);
  if (!parts) fail(l.line, 'a B source must read NAME NODE1 NODE2 I = EXPRESSION', 'clln imports B sources only as its export writes them');
  const [, , a, b, rhs] = parts;
  const body = rhs.replace(/\s+/g, '');
  const ohmic = new RegExp(`^max\\(${NUM},${NUM}\\*\\(${PNUM}-${PNUM}-\\(v\\(${NODE}\\)\\+v\\(${NODE}\\)\\)/2\\)\\)\\*\\(v\\(${NODE}\\)-v\\(${NODE}\\)\\)$`).exec(body);
  if (ohmic) {
    const [, leak, s, vg1, vg2, vt1, vt2, a1, b1, a2, b2] = ohmic;
    if (a1 !== a || b1 !== b || a2 !== a || b2 !== b) fail(l.line, `the transistor source must be controlled by its own nodes ${a} and ${b}`, 'clln imports B sources only as its export writes them');
    const sv = Number(s);
    const vg = Number(vg1 ?? vg2);
    const vt = Number(vt1 ?? vt2);
    if (!(sv > 0) || !(Number(leak) >= 0)) fail(l.line, 'the transistor source needs s > 0 and a leak >= 0', 'clln imports B sources only as its export writes them');
    return { element: { kind: 'transistor', s: sv, vt, vg, saturation: 'none', cutoff: Number(leak) / sv }, nodes: [a, b] };
  }
  const pwl = new RegExp(`^pwl\\(v\\(${NODE}\\)-v\\(${NODE}\\),(.*)\\)$`).exec(body);
  if (pwl) {
    const [, a1, b1, list] = pwl;
    if (a1 !== a || b1 !== b) fail(l.line, `the table source must be controlled by its own nodes ${a} and ${b}`, 'write pwl(V(NODE1)-V(NODE2), ...)');
    const nums = list.split(',');
    if (nums.length % 2 !== 0 || nums.length < 4) fail(l.line, 'a pwl table needs at least 2 (voltage, current) pairs', 'give pairs v0, i0, v1, i1, ...');
    if (nums.length / 2 > MAX_TABLE_POINTS) fail(l.line, `a table of more than ${MAX_TABLE_POINTS} points`, 'thin the table');
    const v: number[] = [];
    const i: number[] = [];
    for (let k = 0; k < nums.length; k += 2) {
      const x = spiceNumber(nums[k]);
      const y = spiceNumber(nums[k + 1]);
      if (x === undefined || y === undefined) fail(l.line, `pwl point ${k / 2} is not a pair of numbers`, 'write the table as numbers v0, i0, v1, i1, ...');
      if (v.length > 0 && !(x > v[v.length - 1] && y > i[i.length - 1])) {
        fail(l.line, `pwl point ${k / 2} (${x} V, ${y} A) does not follow point ${k / 2 - 1} with a higher voltage and a higher current`, 'a table element must be strictly increasing in both (a monotone part)');
      }
      v.push(x);
      i.push(y);
    }
    return { element: { kind: 'table', v, i }, nodes: [a, b] };
  }
  return fail(l.line, 'this B source is not one clln export writes (an Ohmic transistor max(...)*(V(a)-V(b)) or a table pwl(V(a)-V(b), ...))', 'clln imports behavioural sources only in those two forms; replace it by R and D elements');
}
