/**
 * Floating nodes: nodes whose connected component contains no imposed node (a source, a ground node or a
 * clamped node). Their voltage is undetermined, so the reduced Laplacian `H_FF` is singular and no state can
 * be solved. Pure: no I/O.
 */
import { InvalidInputError, type InputLocation } from '../errors.js';
import type { Network } from '../physics/Network.js';

/**
 * Nodes (ids 0..nodes-1, ascending) that lie in a connected component without any imposed node.
 * Uses union-find over the edges (a_e, b_e); O(E alpha(N) + N).
 * @param nodes number of nodes N
 * @param edgeA first endpoint of each edge
 * @param edgeB second endpoint of each edge
 * @param imposed ids of the nodes whose voltage is imposed (duplicates allowed)
 */
export function findFloatingNodes(
  nodes: number,
  edgeA: ArrayLike<number>,
  edgeB: ArrayLike<number>,
  imposed: ArrayLike<number>,
): Int32Array {
  const root = componentRoots(nodes, edgeA, edgeB);
  const anchored = new Uint8Array(nodes);
  for (let i = 0; i < imposed.length; i++) anchored[root[imposed[i]]] = 1;
  let count = 0;
  for (let v = 0; v < nodes; v++) if (!anchored[root[v]]) count++;
  const out = new Int32Array(count);
  let j = 0;
  for (let v = 0; v < nodes; v++) if (!anchored[root[v]]) out[j++] = v;
  return out;
}

/**
 * Throw an {@link InvalidInputError} at `where` if some node of `net` has no path to an imposed node.
 * The message names the lowest such node, the floating group it belongs to and how many nodes float in all.
 * @param imposed ids of the imposed nodes
 * @param where the input to blame (e.g. the task file, or the `--fix` option)
 * @param roleName what the imposed nodes are called in the message, e.g. `source or ground` or `fixed`
 * @param networkName how to name the network in the message (e.g. its file name); optional
 */
export function assertConnected(
  net: Pick<Network, 'nodes' | 'edgeA' | 'edgeB'>,
  imposed: ArrayLike<number>,
  where: InputLocation,
  roleName: string,
  networkName?: string,
): void {
  const floating = findFloatingNodes(net.nodes, net.edgeA, net.edgeB, imposed);
  if (floating.length === 0) return;
  const first = floating[0];
  const root = componentRoots(net.nodes, net.edgeA, net.edgeB);
  const group: number[] = [];
  for (const v of floating) if (root[v] === root[first]) group.push(v);
  const shown = group.length <= 8 ? group.join(', ') : `${group.slice(0, 8).join(', ')}, ...`;
  const groupText =
    group.length === 1
      ? 'it has no edge to any other node'
      : `it is in a group of ${group.length} connected nodes (${shown}) with no ${roleName} node among them`;
  const others = floating.length > group.length ? `; ${floating.length} nodes float in all` : '';
  throw new InvalidInputError(
    where,
    `node ${first}${networkName ? ` of ${networkName}` : ''} has no path to any ${roleName} node: ${groupText}${others}, so its voltage is undetermined ` +
      `and the circuit equations are singular`,
    `connect node ${first} to the rest of the network or remove it, or make a node of its group a ${roleName} node`,
  );
}

/** Root of every node's component (union-find with path halving and union by size). */
function componentRoots(nodes: number, edgeA: ArrayLike<number>, edgeB: ArrayLike<number>): Int32Array {
  const parent = new Int32Array(nodes);
  const size = new Int32Array(nodes).fill(1);
  for (let v = 0; v < nodes; v++) parent[v] = v;
  const find = (v: number): number => {
    while (parent[v] !== v) {
      parent[v] = parent[parent[v]];
      v = parent[v];
    }
    return v;
  };
  for (let e = 0; e < edgeA.length; e++) {
    let ra = find(edgeA[e]);
    let rb = find(edgeB[e]);
    if (ra === rb) continue;
    if (size[ra] < size[rb]) [ra, rb] = [rb, ra];
    parent[rb] = ra;
    size[ra] += size[rb];
  }
  for (let v = 0; v < nodes; v++) parent[v] = find(v);
  return parent;
}
