/**
 * The network file, format `clln.network/1` (JSON; schema in `schemas/clln.network-1.schema.json`):
 *
 * ```json
 * {"format": "clln.network/1", "name": "lattice-4x4", "nodes": 16,
 *  "edges": [[0, 1], [0, 4], ...], "conductance": [0.001, 0.001, ...],
 *  "bounds": [1e-5, 0.1], "positions": [[0, 0], [1, 0], ...], "taps": [1e-4, 2e-4, ...]}
 * ```
 *
 * - `nodes`: node count N; node ids are 0..N-1.
 * - `edges`: E undirected edges `[a_e, b_e]`; no self-loops, no edge twice (in either orientation). The
 *   orientation fixes the sign of the edge drop `dV_e = V[b_e] - V[a_e]`.
 * - `conductance`: k_e in siemens, one per edge, finite and > 0.
 * - `bounds` (optional): `[k_min, k_max]` in siemens, 0 < k_min <= k_max; learning clips to it and every
 *   `conductance` must lie inside it.
 * - `positions` (optional): `[x, y]` per node, for drawing and localisation (arbitrary length unit).
 * - `taps` (optional, clln extension): tap table of digital-potentiometer edges, the conductances in siemens
 *   that an edge can take; at least 2 entries, finite, > 0, strictly increasing.
 * - `elements` (optional, clln extension, issue 14): one two-terminal element per edge, `null` for a linear resistor
 *   of the edge's conductance: `{"kind": "resistor", "k": S}`, `{"kind": "diode", "is": A, "n": 1.8, "rs": ohm}`,
 *   `{"kind": "transistor", "s": S/V, "vt": V, "vg": V, "saturation": "none" | "square", "cutoff": 1e-7}`,
 *   `{"kind": "table", "v": [V, ...], "i": [A, ...]}` (src/physics/nonlinear/EdgeElement.ts has the laws). The current
 *   flows from a_e to b_e as a function of V[a_e] - V[b_e]. A file without it, or with only nulls, is the linear
 *   network it always was. The nonlinear solver (`clln solve`) reads it; {@link readNetworkFile} refuses it for the
 *   commands that handle linear networks only.
 *
 * Limits (src/formats/limits.ts): `nodes` <= {@link MAX_NETWORK_NODES}, `edges` <= {@link MAX_NETWORK_EDGES},
 * `taps` <= {@link MAX_TAPS} entries, a table element <= {@link MAX_TABLE_POINTS} points, `name` <= {@link MAX_NAME_LENGTH} characters; the file <= 64 MiB.
 */
import type { Network } from '../physics/Network.js';
import type { EdgeElement } from '../physics/nonlinear/EdgeElement.js';
import { child, expectFormat, expectLength, expectNodeId, expectObject, fail } from './jsonChecks.js';
import { checkAgainstSchema } from './schemaCheck.js';
import { readJsonFile, writeJsonFile } from './jsonFile.js';

/** The `format` string of network files. */
export const NETWORK_FORMAT = 'clln.network/1';

/** A network file as plain JSON (what {@link networkToJson} returns and the schema describes). */
export interface NetworkJson {
  format: typeof NETWORK_FORMAT;
  name: string;
  nodes: number;
  edges: [number, number][];
  conductance: number[];
  bounds?: [number, number];
  positions?: [number, number][];
  taps?: number[];
  elements?: (EdgeElement | null)[];
}

/**
 * Validate a parsed `clln.network/1` document and build the {@link Network}.
 * @param json the value from `JSON.parse`
 * @param source where it came from (a file name), used in error messages
 * @throws InvalidInputError naming `source`, the field (e.g. `edges[3]`, `conductance[7]`), the rule, the
 *   value and the fix
 */
export function parseNetwork(json: unknown, source: string): Network {
  const doc = expectObject(json, source, undefined, 'a network file');
  expectFormat(doc, NETWORK_FORMAT, source);
  // Structure (types, required and known fields, counts, ranges, limits) is the schema's; what follows is what a
  // schema cannot say.
  checkAgainstSchema(doc, NETWORK_FORMAT, source);
  const file = doc as unknown as NetworkJson;

  const nodes = file.nodes;
  const { edgeA, edgeB } = parseEdges(file.edges, nodes, source);
  const conductance = parseConductance(file.conductance, edgeA.length, source);
  const net: Network = { name: file.name, nodes, edgeA, edgeB, conductance };

  if (file.bounds !== undefined) {
    const [kmin, kmax] = file.bounds;
    if (kmin > kmax) fail(source, 'bounds', `k_min must be <= k_max, got [${kmin}, ${kmax}]`, 'swap the two values');
    net.bounds = [kmin, kmax];
    checkWithinBounds(conductance, net.bounds, source);
  }
  if (file.positions !== undefined) net.positions = parsePositions(file.positions, nodes, source);
  if (file.taps !== undefined) net.taps = parseTaps(file.taps, source);
  if (file.elements !== undefined) net.elements = parseElements(file.elements, conductance, source);
  return net;
}

/** The JSON document of a network (inverse of {@link parseNetwork}). Optional fields appear only when set. */
export function networkToJson(net: Network): NetworkJson {
  const edges: [number, number][] = [];
  for (let e = 0; e < net.edgeA.length; e++) edges.push([net.edgeA[e], net.edgeB[e]]);
  const json: NetworkJson = {
    format: NETWORK_FORMAT,
    name: net.name,
    nodes: net.nodes,
    edges,
    conductance: Array.from(net.conductance),
  };
  if (net.bounds) json.bounds = [net.bounds[0], net.bounds[1]];
  if (net.positions) {
    const positions: [number, number][] = [];
    for (let i = 0; i < net.nodes; i++) positions.push([net.positions[2 * i], net.positions[2 * i + 1]]);
    json.positions = positions;
  }
  if (net.taps) json.taps = Array.from(net.taps);
  if (net.elements) json.elements = net.elements.map((el) => (el ? { ...el } : null));
  return json;
}

/** Options of {@link readNetworkFile}. */
export interface ReadNetworkOptions {
  /**
   * Accept nonlinear elements (`elements` with an entry that is not null). Default false: the command handles linear
   * networks only (training, diagnostics, task generation), and a file with elements is refused with exit 2 rather
   * than silently read as its linear `conductance`.
   */
  nonlinear?: boolean;
  /** The command's name, for that refusal (e.g. `clln train`). */
  command?: string;
}

/** Read and validate a network file. Throws InvalidInputError naming `path` on any problem. */
export function readNetworkFile(path: string, options: ReadNetworkOptions = {}): Network {
  return networkOfDocument(readJsonFile(path, 'network file'), path, options);
}

/**
 * {@link readNetworkFile} for a document already read from `path` (a caller that looked at its `format` first need
 * not read and parse a large file twice).
 */
export function networkOfDocument(json: unknown, path: string, options: ReadNetworkOptions = {}): Network {
  const net = parseNetwork(json, path);
  if (!options.nonlinear && net.elements) {
    const e = net.elements.findIndex((el) => el !== null);
    if (e >= 0) {
      fail(
        path,
        child('elements', e),
        `is a ${net.elements[e]!.kind} element, but ${options.command ?? 'this command'} handles linear resistor networks only`,
        'solve, train and diagnose nonlinear networks with `clln solve`, `clln train` and `clln diagnose`; for this command, use a network without "elements" (or with null entries only)',
      );
    }
  }
  return net;
}

/**
 * Write `net` as a `clln.network/1` file. The document is validated first, so a network that could not be
 * read back (e.g. a conductance outside its bounds) is never written.
 */
export function writeNetworkFile(path: string, net: Network): void {
  const json = networkToJson(net);
  parseNetwork(json, path);
  writeJsonFile(path, json);
}

function parseEdges(raw: [number, number][], nodes: number, source: string): { edgeA: Int32Array; edgeB: Int32Array } {
  // A valid list is checked without building a field name or message per edge (a 64,770-edge lattice: several
  // times faster); a list with any problem is walked again below, which finds and words the first one.
  const fast = edgesIfValid(raw, nodes);
  if (fast) return fast;
  const edgeA = new Int32Array(raw.length);
  const edgeB = new Int32Array(raw.length);
  // Unordered pair -> first edge index. Numeric keys while lo * N + hi is exact, strings beyond.
  const seen = new Map<number | string, number>();
  const numericKeys = nodes <= 2 ** 26;
  for (let e = 0; e < raw.length; e++) {
    const field = child('edges', e);
    const [a, b] = raw[e];
    expectNodeId(a, nodes, source, child(field, 0));
    expectNodeId(b, nodes, source, child(field, 1));
    if (a === b) {
      fail(source, field, `self-loop [${a}, ${b}]: an edge must join two different nodes`, 'remove this edge (it carries no current)');
    }
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const key = numericKeys ? lo * nodes + hi : `${lo},${hi}`;
    const first = seen.get(key);
    if (first !== undefined) {
      fail(
        source,
        field,
        `duplicate edge [${a}, ${b}]: edges[${first}] = [${edgeA[first]}, ${edgeB[first]}] already joins nodes ${lo} and ${hi} ` +
          '(edges are undirected)',
        'remove one of them; for resistors in parallel use one edge whose conductance is their sum',
      );
    }
    seen.set(key, e);
    edgeA[e] = a;
    edgeB[e] = b;
  }
  return { edgeA, edgeB };
}

/**
 * The edges as arrays when every id is an integer node id, no edge is a self-loop and no pair of nodes is joined
 * twice (in either orientation); null otherwise. Duplicates are found by bucketing the pairs by their lower end
 * (time and memory linear in nodes + edges).
 */
function edgesIfValid(raw: [number, number][], nodes: number): { edgeA: Int32Array; edgeB: Int32Array } | null {
  const E = raw.length;
  const edgeA = new Int32Array(E);
  const edgeB = new Int32Array(E);
  const start = new Int32Array(nodes + 1);
  for (let e = 0; e < E; e++) {
    const pair = raw[e];
    const a = pair[0];
    const b = pair[1];
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a >= nodes || b >= nodes || a === b) return null;
    edgeA[e] = a;
    edgeB[e] = b;
    start[(a < b ? a : b) + 1]++;
  }
  for (let v = 0; v < nodes; v++) start[v + 1] += start[v];
  const next = start.slice(0, nodes);
  const upper = new Int32Array(E);
  for (let e = 0; e < E; e++) {
    const a = edgeA[e];
    const b = edgeB[e];
    if (a < b) upper[next[a]++] = b;
    else upper[next[b]++] = a;
  }
  const mark = new Int32Array(nodes).fill(-1);
  for (let v = 0; v < nodes; v++) {
    for (let p = start[v]; p < start[v + 1]; p++) {
      if (mark[upper[p]] === v) return null;
      mark[upper[p]] = v;
    }
  }
  return { edgeA, edgeB };
}

function parseConductance(raw: number[], edges: number, source: string): Float64Array {
  expectLength(raw, edges, source, 'conductance', `one conductance per edge; "edges" has ${edges}`, 'give exactly one conductance per edge, in the order of "edges"');
  return Float64Array.from(raw);
}

function checkWithinBounds(k: Float64Array, [kmin, kmax]: [number, number], source: string): void {
  for (let e = 0; e < k.length; e++) {
    if (k[e] < kmin || k[e] > kmax) {
      fail(
        source,
        child('conductance', e),
        `${k[e]} S is outside "bounds" [${kmin}, ${kmax}] S`,
        `move the conductance into the bounds or widen "bounds"`,
      );
    }
  }
}

function parsePositions(raw: [number, number][], nodes: number, source: string): Float64Array {
  expectLength(raw, nodes, source, 'positions', `one [x, y] per node; "nodes" is ${nodes}`, 'write "positions" as [[x, y], ...] with one finite pair per node, or leave it out');
  const out = new Float64Array(2 * nodes);
  for (let i = 0; i < nodes; i++) {
    out[2 * i] = raw[i][0];
    out[2 * i + 1] = raw[i][1];
  }
  return out;
}

function parseTaps(raw: number[], source: string): Float64Array {
  const taps = Float64Array.from(raw);
  for (let i = 1; i < taps.length; i++) {
    if (!(taps[i] > taps[i - 1])) {
      fail(
        source,
        child('taps', i),
        `taps must be strictly increasing, but ${taps[i]} follows ${taps[i - 1]}`,
        'list the tap conductances in siemens, at least 2, each > 0, in strictly increasing order',
      );
    }
  }
  return taps;
}

function parseElements(raw: (EdgeElement | null)[], conductance: Float64Array, source: string): (EdgeElement | null)[] {
  const E = conductance.length;
  expectLength(raw, E, source, 'elements', `one element (or null) per edge; "edges" has ${E}`, 'give exactly one entry per edge, in the order of "edges": null for a linear resistor');
  return raw.map((el, e) => {
    if (el === null) return null;
    const field = child('elements', e);
    if (el.kind === 'resistor' && el.k !== conductance[e]) {
      fail(
        source,
        child(field, 'k'),
        `a resistor element's k (${el.k} S) must equal the edge's conductance[${e}] (${conductance[e]} S): they describe the same resistor`,
        `write the same value in both, or write null for a linear edge`,
      );
    }
    if (el.kind === 'table') {
      if (el.i.length !== el.v.length) {
        fail(source, child(field, 'i'), `must have one current per voltage: "v" has ${el.v.length} points, "i" has ${el.i.length}`, 'give one current in amperes for each voltage in "v"');
      }
      for (const key of ['v', 'i'] as const) {
        const a = el[key];
        for (let k = 1; k < a.length; k++) {
          if (!(a[k] > a[k - 1])) {
            fail(
              source,
              child(child(field, key), k),
              `${key === 'v' ? 'voltages' : 'currents'} must be strictly increasing, but ${a[k]} follows ${a[k - 1]}`,
              key === 'v'
                ? 'list the points by increasing voltage, each voltage once'
                : 'the element must conduct more as its voltage rises (a monotone curve); give a flat stretch a small positive slope',
            );
          }
        }
      }
      return { kind: 'table', v: el.v.slice(), i: el.i.slice() };
    }
    return { ...el };
  });
}
