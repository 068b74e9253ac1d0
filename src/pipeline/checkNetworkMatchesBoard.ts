import type { BoardIdentity } from '../device/Board.js';
import { InvalidInputError } from '../errors.js';
import type { Network } from '../physics/Network.js';

/**
 * Check that a network describes this board's topology (same nodes, same edges in the same order, either direction);
 * InvalidInputError naming `netPath` and the first field that differs otherwise.
 */
export function checkNetworkMatchesBoard(net: Network, id: BoardIdentity, netPath: string): void {
  const fix = `write the board's network with 'clln network board ${id.model} --out FILE' and train on that`;
  if (net.nodes !== id.nodes) {
    throw new InvalidInputError({ source: netPath, field: 'nodes' }, `has ${net.nodes} nodes but board ${id.model} has ${id.nodes}`, fix);
  }
  if (net.edgeA.length !== id.edges.length) {
    throw new InvalidInputError({ source: netPath, field: 'edges' }, `has ${net.edgeA.length} edges but board ${id.model} has ${id.edges.length}`, fix);
  }
  id.edges.forEach(([a, b], e) => {
    const x = net.edgeA[e], y = net.edgeB[e];
    if (!((x === a && y === b) || (x === b && y === a))) {
      throw new InvalidInputError({ source: netPath, field: `edges[${e}]` }, `is [${x}, ${y}] but edge ${e} of board ${id.model} is [${a}, ${b}]`, fix);
    }
  });
}
