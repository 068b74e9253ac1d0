import type { Network } from '../../src/physics/Network.js';
import { Rng } from '../../src/physics/Rng.js';

/** Build a Network from an edge list by hand. */
export function net(nodes: number, edges: [number, number][], k: number[]): Network {
  return {
    name: 'test',
    nodes,
    edgeA: Int32Array.from(edges.map((e) => e[0])),
    edgeB: Int32Array.from(edges.map((e) => e[1])),
    conductance: Float64Array.from(k),
  };
}

/** Connected random network: a random spanning tree plus extra random edges, conductances in [0.2, 2] S. */
export function randomNet(nodes: number, extra: number, seed: number): Network {
  const rng = new Rng(seed);
  const edges: [number, number][] = [];
  const seen = new Set<string>();
  const add = (a: number, b: number): boolean => {
    if (a === b) return false;
    const key = a < b ? `${a},${b}` : `${b},${a}`;
    if (seen.has(key)) return false;
    seen.add(key);
    edges.push(rng.next() < 0.5 ? [a, b] : [b, a]);
    return true;
  };
  for (let i = 1; i < nodes; i++) add(i, rng.int(i));
  let tries = 0;
  while (edges.length < nodes - 1 + extra && tries++ < 100 * (extra + 1)) add(rng.int(nodes), rng.int(nodes));
  return net(nodes, edges, edges.map(() => rng.uniform(0.2, 2)));
}

/** Relative 2-norm difference ||a - b|| / ||b||. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}
