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
 */
import type { SpringNetwork } from '../physics/springs/SpringNetwork.js';
import { referenceDistance } from '../physics/springs/SpringNetwork.js';
import { writeJsonFile } from './jsonFile.js';

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
