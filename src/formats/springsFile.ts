/**
 * The spring-network file, format `clln.springs/1` (JSON; schema in `schemas/clln.springs-1.schema.json`):
 *
 * ```json
 * {"format": "clln.springs/1", "name": "triangular-8x8", "dim": 2,
 *  "positions": [[0, 0], [1, 0], ...], "edges": [[0, 1], [0, 8], ...], "stiffness": [1, 1, ...],
 *  "restLengths": [1, 1, ...], "bounds": [1e-3, 1e3]}
 * ```
 *
 * - `dim`: 2 or 3; every position has that many coordinates. Node ids are 0..N-1 with N = `positions.length`.
 * - `edges`: E central-force springs `[a_e, b_e]`; no self-loops, no spring twice (in either orientation), endpoints
 *   at distinct positions.
 * - `stiffness`: k_e > 0, finite, one per spring (energy / length^2).
 * - `restLengths` (optional): l_e > 0 per spring; absent, each is its spring's reference distance (an unstressed
 *   network, the only kind the linear-response tools take).
 * - `bounds` (optional): `[k_min, k_max]`, 0 < k_min <= k_max; learning clips to it; every stiffness lies inside it.
 *
 * Units are consistent and arbitrary: k_B = 1 and every mass is 1, so temperatures are energies.
 *
 * Limits (src/formats/limits.ts): at most MAX_SPRING_NODES (200000) positions, MAX_SPRINGS (1000000) springs, coordinates
 * of magnitude <= MAX_SPRING_COORDINATE (1e12), a name of MAX_NAME_LENGTH (256) characters; the file <= 64 MiB.
 */
import type { SpringNetwork } from '../physics/springs/SpringNetwork.js';
import { referenceDistance } from '../physics/springs/SpringNetwork.js';
import { show } from '../errors.js';
import { child, expectFormat, expectLength, expectObject, fail } from './jsonChecks.js';
import { readJsonFile, writeJsonFile } from './jsonFile.js';
import { checkAgainstSchema } from './schemaCheck.js';

/** The `format` string of spring-network files. */
export const SPRINGS_FORMAT = 'clln.springs/1';

/** A spring-network file as plain JSON (what {@link springsToJson} returns and the schema describes). */
export interface SpringsJson {
  format: typeof SPRINGS_FORMAT;
  name: string;
  dim: 2 | 3;
  positions: number[][];
  edges: [number, number][];
  stiffness: number[];
  restLengths?: number[];
  bounds?: [number, number];
}

/**
 * The file form of a spring network. `restLengths` is written only when some rest length differs from its spring's
 * reference distance by more than 1e-12 relative (so an unstressed network round-trips without it).
 */
export function springsToJson(net: SpringNetwork): SpringsJson {
  const { dim } = net;
  const positions: number[][] = [];
  for (let i = 0; i < net.nodes; i++) positions.push(Array.from(net.positions.subarray(dim * i, dim * i + dim)));
  const edges: [number, number][] = [];
  let prestressed = false;
  for (let e = 0; e < net.edgeA.length; e++) {
    edges.push([net.edgeA[e], net.edgeB[e]]);
    const d = referenceDistance(net, net.edgeA[e], net.edgeB[e]);
    if (Math.abs(net.restLength[e] - d) > 1e-12 * d) prestressed = true;
  }
  const json: SpringsJson = { format: SPRINGS_FORMAT, name: net.name, dim, positions, edges, stiffness: Array.from(net.stiffness) };
  if (prestressed) json.restLengths = Array.from(net.restLength);
  if (net.bounds) json.bounds = [net.bounds[0], net.bounds[1]];
  return json;
}

/** Write a spring network as a `clln.springs/1` file (atomically, as every clln JSON file). */
export function writeSpringsFile(path: string, net: SpringNetwork): void {
  writeJsonFile(path, springsToJson(net));
}

/**
 * Validate a parsed `clln.springs/1` document and build the {@link SpringNetwork}: the schema first (types, required and
 * known fields, counts, ranges, limits), then what a schema cannot say (positions of `dim` coordinates, node ids below
 * N, no self-loop, no spring twice, endpoints at distinct positions, one stiffness and rest length per spring, stiffness
 * inside `bounds`).
 * @param json the value from `JSON.parse`
 * @param source where it came from (a file name), used in error messages
 * @throws InvalidInputError naming `source`, the field (e.g. `edges[3]`, `stiffness[7]`), the rule, the value and the fix
 */
export function parseSprings(json: unknown, source: string): SpringNetwork {
  const doc = expectObject(json, source, undefined, 'a spring-network file');
  expectFormat(doc, SPRINGS_FORMAT, source);
  checkAgainstSchema(doc, SPRINGS_FORMAT, source);
  const file = doc as unknown as SpringsJson;
  const dim = file.dim;
  const nodes = file.positions.length;

  const positions = new Float64Array(dim * nodes);
  for (let i = 0; i < nodes; i++) {
    const p = file.positions[i];
    if (p.length !== dim) {
      fail(
        source,
        child('positions', i),
        `must have ${dim} coordinates ("dim" is ${dim}), got ${p.length}`,
        `write every position as ${dim === 2 ? '[x, y]' : '[x, y, z]'}, or set "dim" to ${p.length}`,
      );
    }
    for (let c = 0; c < dim; c++) positions[dim * i + c] = p[c];
  }

  const E = file.edges.length;
  const edgeA = new Int32Array(E);
  const edgeB = new Int32Array(E);
  // Unordered pair -> first spring index (lo * N + hi is exact: N <= 200000).
  const seen = new Map<number, number>();
  for (let e = 0; e < E; e++) {
    const field = child('edges', e);
    const [a, b] = file.edges[e];
    for (const [k, v] of [[0, a], [1, b]] as const) {
      if (v >= nodes) {
        fail(source, child(field, k), `unknown node ${v}: the network has ${nodes} positions, so node ids run 0..${nodes - 1}`, `use a node id in 0..${nodes - 1}`);
      }
    }
    if (a === b) fail(source, field, `self-loop [${a}, ${b}]: a spring must join two different nodes`, 'remove this spring (it cannot stretch)');
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const first = seen.get(lo * nodes + hi);
    if (first !== undefined) {
      fail(
        source,
        field,
        `duplicate spring [${a}, ${b}]: edges[${first}] = [${edgeA[first]}, ${edgeB[first]}] already joins nodes ${lo} and ${hi} (springs are undirected)`,
        'remove one of them; for springs in parallel use one spring whose stiffness is their sum',
      );
    }
    seen.set(lo * nodes + hi, e);
    edgeA[e] = a;
    edgeB[e] = b;
  }

  expectLength(file.stiffness, E, source, 'stiffness', `one stiffness per spring; "edges" has ${E}`, 'give exactly one stiffness per spring, in the order of "edges"');
  const stiffness = Float64Array.from(file.stiffness);
  const net: SpringNetwork = { name: file.name, dim, nodes, positions, edgeA, edgeB, stiffness, restLength: new Float64Array(E) };

  for (let e = 0; e < E; e++) {
    const d = referenceDistance(net, edgeA[e], edgeB[e]);
    if (!(d > 0)) {
      fail(
        source,
        child('edges', e),
        `spring [${edgeA[e]}, ${edgeB[e]}] joins two nodes at the same position ${show(file.positions[edgeA[e]])}, so its direction is undefined`,
        'move one of the two nodes, or remove the spring',
      );
    }
    net.restLength[e] = d;
  }
  if (file.restLengths !== undefined) {
    expectLength(file.restLengths, E, source, 'restLengths', `one rest length per spring; "edges" has ${E}`, 'give exactly one rest length per spring, in the order of "edges", or leave "restLengths" out');
    net.restLength.set(file.restLengths);
  }

  if (file.bounds !== undefined) {
    const [kmin, kmax] = file.bounds;
    if (kmin > kmax) fail(source, 'bounds', `k_min must be <= k_max, got [${show(kmin)}, ${show(kmax)}]`, 'swap the two values');
    for (let e = 0; e < E; e++) {
      if (stiffness[e] < kmin || stiffness[e] > kmax) {
        fail(source, child('stiffness', e), `${show(stiffness[e])} is outside "bounds" [${show(kmin)}, ${show(kmax)}]`, 'move the stiffness into the bounds or widen "bounds"');
      }
    }
    net.bounds = [kmin, kmax];
  }
  return net;
}

/** Read and validate a `clln.springs/1` file. Throws InvalidInputError naming `path` on any problem. */
export function readSpringsFile(path: string): SpringNetwork {
  return parseSprings(readJsonFile(path, 'spring-network file'), path);
}
