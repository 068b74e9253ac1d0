import type { Network } from '../../src/physics/Network.js';
import { gaussSolve } from './gaussSolve.js';

/**
 * A network's node voltages with `fixed` imposed (node -> volts) and Kirchhoff's current law at every other node,
 * assembled edge by edge and solved by dense Gaussian elimination (gaussSolve): the tests' independent reference,
 * nothing from src/physics but the Network type. `k` holds the conductances (S), one per edge.
 */
export function denseState(n: Network, k: ArrayLike<number>, fixed: Map<number, number>): number[] {
  const free = [...Array(n.nodes).keys()].filter((i) => !fixed.has(i));
  const at = new Map(free.map((v, i) => [v, i]));
  const m = free.length;
  const A = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  const r = new Array<number>(m).fill(0);
  for (let e = 0; e < n.edgeA.length; e++) {
    const a = n.edgeA[e];
    const b = n.edgeB[e];
    for (const [p, q] of [[a, b], [b, a]]) {
      const i = at.get(p);
      if (i === undefined) continue;
      A[i][i] += k[e];
      const j = at.get(q);
      if (j !== undefined) A[i][j] -= k[e];
      else r[i] += k[e] * fixed.get(q)!;
    }
  }
  const x = gaussSolve(A, r);
  const v = new Array<number>(n.nodes).fill(0);
  for (const [i, val] of fixed) v[i] = val;
  free.forEach((i, f) => (v[i] = x[f]));
  return v;
}
