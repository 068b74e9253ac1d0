import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src/physics/Rng.js';
import { PebbleGame } from '../../../../src/physics/springs/generators/pebbleGame.js';
import type { SpringNetwork } from '../../../../src/physics/springs/SpringNetwork.js';
import { stiffnessEigenvalues } from './rigidity.js';

function net(nodes: number, edges: [number, number][], rng: Rng): SpringNetwork {
  const positions = new Float64Array(2 * nodes);
  for (let i = 0; i < positions.length; i++) positions[i] = rng.next();
  return {
    name: 't',
    dim: 2,
    nodes,
    positions,
    edgeA: Int32Array.from(edges.map((e) => e[0])),
    edgeB: Int32Array.from(edges.map((e) => e[1])),
    stiffness: new Float64Array(edges.length).fill(1),
    restLength: new Float64Array(edges.length).fill(1),
  };
}

describe('the (2,3) pebble game', () => {
  it('counts by hand: a triangle is rigid, a square is not until a diagonal, the second diagonal is redundant', () => {
    const t = new PebbleGame(3);
    expect([t.add(0, 1), t.add(1, 2), t.add(2, 0)]).toEqual([true, true, true]);
    expect(t.isRigid()).toBe(true);
    const s = new PebbleGame(4);
    expect([s.add(0, 1), s.add(1, 2), s.add(2, 3), s.add(3, 0)]).toEqual([true, true, true, true]);
    expect(s.isRigid()).toBe(false);
    expect(s.add(0, 2)).toBe(true);
    expect(s.isRigid()).toBe(true);
    expect(s.add(1, 3)).toBe(false);
    expect(s.independent).toBe(5);
  });

  it('finds as many independent springs as the rank of the stiffness matrix at random positions', () => {
    const rng = new Rng(7);
    for (let trial = 0; trial < 40; trial++) {
      const nodes = 4 + rng.int(9);
      const edges: [number, number][] = [];
      const seen = new Set<string>();
      const want = rng.int(2 * nodes + 4);
      while (edges.length < want && seen.size < (nodes * (nodes - 1)) / 2) {
        const a = rng.int(nodes);
        const b = rng.int(nodes);
        if (a === b || seen.has(`${Math.min(a, b)},${Math.max(a, b)}`)) continue;
        seen.add(`${Math.min(a, b)},${Math.max(a, b)}`);
        edges.push([a, b]);
      }
      const g = new PebbleGame(nodes);
      for (const [a, b] of edges) g.add(a, b);
      const v = stiffnessEigenvalues(net(nodes, edges, rng));
      const rank = Array.from(v).filter((x) => x > 1e-9 * Math.max(1, v[v.length - 1])).length;
      expect(g.independent, `trial ${trial}: ${nodes} nodes, ${edges.length} springs`).toBe(rank);
    }
  });

  it('finds rigid clusters: two triangles hinged at one node, and a triangle with a dangling pair', () => {
    const g = new PebbleGame(6);
    for (const [a, b] of [[0, 1], [1, 2], [2, 0], [2, 3], [3, 4], [4, 2], [4, 5]] as const) g.add(a, b);
    expect(g.isRigid()).toBe(false);
    expect(g.rigidCluster(0, 1).sort()).toEqual([0, 1, 2]);
    expect(g.rigidCluster(3, 4).sort()).toEqual([2, 3, 4]);
    expect(g.rigidCluster(4, 5).sort()).toEqual([4, 5]);
    // a braced square with a triangle on one side: all rigid
    const h = new PebbleGame(5);
    for (const [a, b] of [[0, 1], [1, 2], [2, 3], [3, 0], [0, 2], [2, 4], [3, 4]] as const) h.add(a, b);
    expect(h.isRigid()).toBe(true);
    expect(h.rigidCluster(0, 1).sort()).toEqual([0, 1, 2, 3, 4]);
  });
});
