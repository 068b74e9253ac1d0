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
 *
 * Limits (src/formats/limits.ts): `nodes` <= {@link MAX_NETWORK_NODES}, `edges` <= {@link MAX_NETWORK_EDGES},
 * `taps` <= {@link MAX_TAPS} entries, `name` <= {@link MAX_NAME_LENGTH} characters; the file <= 64 MiB.
 */
import { show } from '../errors.js';
import type { Network } from '../physics/Network.js';
import {
  child,
  expectArray,
  expectFinite,
  expectFormat,
  expectKnownKeys,
  expectLength,
  expectNodeId,
  expectObject,
  expectPositive,
  expectPresent,
  fail,
} from './jsonChecks.js';
import { readJsonFile, writeJsonFile } from './jsonFile.js';
import { MAX_NAME_LENGTH, MAX_NETWORK_EDGES, MAX_NETWORK_NODES, MAX_TAPS } from './limits.js';

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
}

const FIELDS = ['format', 'name', 'nodes', 'edges', 'conductance', 'bounds', 'positions', 'taps'] as const;

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
  expectKnownKeys(doc, FIELDS, source, undefined);

  const name = expectPresent(doc, 'name', source, undefined, 'add "name": "my-network"');
  if (typeof name !== 'string') fail(source, 'name', `must be a string, got ${show(name)}`, 'write the name in double quotes');
  if (name.length > MAX_NAME_LENGTH) fail(source, 'name', `must be at most ${MAX_NAME_LENGTH} characters long, got ${name.length}`, 'give a shorter name');

  const nodes = parseNodeCount(expectPresent(doc, 'nodes', source, undefined, 'add "nodes": N, the number of nodes'), source);
  const { edgeA, edgeB } = parseEdges(doc, nodes, source);
  const conductance = parseConductance(doc, edgeA.length, source);
  const net: Network = { name, nodes, edgeA, edgeB, conductance };

  if (doc.bounds !== undefined) {
    net.bounds = parseBounds(doc.bounds, source);
    checkWithinBounds(conductance, net.bounds, source);
  }
  if (doc.positions !== undefined) net.positions = parsePositions(doc.positions, nodes, source);
  if (doc.taps !== undefined) net.taps = parseTaps(doc.taps, source);
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
  return json;
}

/** Read and validate a network file. Throws InvalidInputError naming `path` on any problem. */
export function readNetworkFile(path: string): Network {
  return parseNetwork(readJsonFile(path, 'network file'), path);
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

function parseNodeCount(value: unknown, source: string): number {
  const fix = 'set "nodes" to the number of nodes N (node ids are 0..N-1)';
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    fail(source, 'nodes', `must be a positive integer, got ${show(value)}`, fix);
  }
  if (value > MAX_NETWORK_NODES) fail(source, 'nodes', `must be at most ${MAX_NETWORK_NODES} (the limit of the format), got ${value}`, fix);
  return value;
}

function parseEdges(doc: Record<string, unknown>, nodes: number, source: string): { edgeA: Int32Array; edgeB: Int32Array } {
  const raw = expectArray(
    expectPresent(doc, 'edges', source, undefined, 'add "edges": [[a, b], ...] listing the node pairs joined by an edge'),
    source,
    'edges',
    'write "edges" as [[a, b], ...]',
  );
  if (raw.length === 0) fail(source, 'edges', 'must list at least one edge, got []', 'add the edges as [[a, b], ...]');
  if (raw.length > MAX_NETWORK_EDGES) {
    fail(source, 'edges', `must list at most ${MAX_NETWORK_EDGES} edges (the limit of the format), got ${raw.length}`, 'use a smaller network');
  }
  const edgeA = new Int32Array(raw.length);
  const edgeB = new Int32Array(raw.length);
  // Unordered pair -> first edge index. Numeric keys while lo * N + hi is exact, strings beyond.
  const seen = new Map<number | string, number>();
  const numericKeys = nodes <= 2 ** 26;
  for (let e = 0; e < raw.length; e++) {
    const field = child('edges', e);
    const pair = raw[e];
    if (!Array.isArray(pair) || pair.length !== 2) {
      fail(source, field, `an edge must be a pair of node ids [a, b], got ${show(pair)}`, 'write the edge as [a, b]');
    }
    const a = expectNodeId(pair[0], nodes, source, child(field, 0));
    const b = expectNodeId(pair[1], nodes, source, child(field, 1));
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

function parseConductance(doc: Record<string, unknown>, edges: number, source: string): Float64Array {
  const raw = expectArray(
    expectPresent(doc, 'conductance', source, undefined, `add "conductance": [k_0, ...], one value in siemens per edge (${edges})`),
    source,
    'conductance',
    'write "conductance" as [k_0, k_1, ...] in siemens',
  );
  expectLength(raw, edges, source, 'conductance', `one conductance per edge; "edges" has ${edges}`, 'give exactly one conductance per edge, in the order of "edges"');
  const k = new Float64Array(edges);
  for (let e = 0; e < edges; e++) {
    k[e] = expectPositive(raw[e], source, child('conductance', e), 'S', 'conductances are in siemens and must be finite and > 0');
  }
  return k;
}

function parseBounds(value: unknown, source: string): [number, number] {
  const fix = 'write "bounds": [k_min, k_max] in siemens with 0 < k_min <= k_max';
  const raw = expectArray(value, source, 'bounds', fix);
  expectLength(raw, 2, source, 'bounds', '[k_min, k_max]', fix);
  const kmin = expectPositive(raw[0], source, 'bounds[0]', 'S', fix);
  const kmax = expectPositive(raw[1], source, 'bounds[1]', 'S', fix);
  if (kmin > kmax) fail(source, 'bounds', `k_min must be <= k_max, got [${kmin}, ${kmax}]`, 'swap the two values');
  return [kmin, kmax];
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

function parsePositions(value: unknown, nodes: number, source: string): Float64Array {
  const fix = 'write "positions" as [[x, y], ...] with one finite pair per node, or leave it out';
  const raw = expectArray(value, source, 'positions', fix);
  expectLength(raw, nodes, source, 'positions', `one [x, y] per node; "nodes" is ${nodes}`, fix);
  const out = new Float64Array(2 * nodes);
  for (let i = 0; i < nodes; i++) {
    const field = child('positions', i);
    const p = raw[i];
    if (!Array.isArray(p) || p.length !== 2) fail(source, field, `a position must be [x, y], got ${show(p)}`, fix);
    out[2 * i] = expectFinite(p[0], source, child(field, 0), fix);
    out[2 * i + 1] = expectFinite(p[1], source, child(field, 1), fix);
  }
  return out;
}

function parseTaps(value: unknown, source: string): Float64Array {
  const fix = 'list the tap conductances in siemens, at least 2, each > 0, in strictly increasing order';
  const raw = expectArray(value, source, 'taps', fix);
  if (raw.length < 2) fail(source, 'taps', `a tap table needs at least 2 entries, got ${raw.length}`, fix);
  if (raw.length > MAX_TAPS) fail(source, 'taps', `a tap table has at most ${MAX_TAPS} entries (the limit of the format), got ${raw.length}`, fix);
  const taps = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    taps[i] = expectPositive(raw[i], source, child('taps', i), 'S', fix);
    if (i > 0 && !(taps[i] > taps[i - 1])) {
      fail(source, child('taps', i), `taps must be strictly increasing, but ${taps[i]} follows ${taps[i - 1]}`, fix);
    }
  }
  return taps;
}
