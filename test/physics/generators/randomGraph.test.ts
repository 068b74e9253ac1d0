import { describe, expect, it } from 'vitest';
import { findFloatingNodes } from '../../../src/formats/connectivity.js';
import { networkToJson, parseNetwork } from '../../../src/formats/networkFile.js';
import { randomGraphNetwork } from '../../../src/physics/generators/randomGraph.js';
import { expectInvalid } from '../../formats/expectInvalid.js';

describe('randomGraphNetwork', () => {
  const cases: [number, number][] = [[2, 1], [10, 1.8], [10, 9], [30, 2], [50, 5], [200, 4], [200, 12], [12, 8]];
  for (const [nodes, meanDegree] of cases) {
    for (const seed of [1, 2, 3]) {
      it(`N=${nodes}, mean degree ${meanDegree}, seed ${seed}: connected, simple, with the requested mean degree`, () => {
        const net = randomGraphNetwork({ nodes, meanDegree, seed });
        // The file validator rejects self-loops and duplicate edges in either orientation.
        parseNetwork(networkToJson(net), net.name);
        expect(net.nodes).toBe(nodes);
        expect(net.edgeA.length).toBe(Math.round((nodes * meanDegree) / 2));
        expect(Math.abs((2 * net.edgeA.length) / nodes - meanDegree)).toBeLessThanOrEqual(1 / nodes);
        expect(findFloatingNodes(net.nodes, net.edgeA, net.edgeB, [0])).toHaveLength(0);
        for (let e = 0; e < net.edgeA.length; e++) {
          expect(net.edgeA[e]).toBeLessThan(net.edgeB[e]);
          if (e > 0) {
            const prev = net.edgeA[e - 1] * nodes + net.edgeB[e - 1];
            expect(net.edgeA[e] * nodes + net.edgeB[e]).toBeGreaterThan(prev);
          }
        }
      });
    }
  }

  it('gives the complete graph at mean degree N-1', () => {
    const net = randomGraphNetwork({ nodes: 8, meanDegree: 7, seed: 5 });
    expect(net.edgeA.length).toBe(28);
  });

  it('is reproducible from the seed and differs between seeds', () => {
    const a = randomGraphNetwork({ nodes: 40, meanDegree: 4, seed: 9 });
    expect(randomGraphNetwork({ nodes: 40, meanDegree: 4, seed: 9 })).toEqual(a);
    const b = randomGraphNetwork({ nodes: 40, meanDegree: 4, seed: 10 });
    expect(Array.from(b.edgeB)).not.toEqual(Array.from(a.edgeB));
  });

  it('places nodes in the unit square and draws conductances in the default range', () => {
    const net = randomGraphNetwork({ nodes: 100, meanDegree: 4, seed: 1 });
    for (const p of net.positions!) expect(p >= 0 && p < 1).toBe(true);
    for (const k of net.conductance) expect(k >= 0.5 && k < 1.5).toBe(true);
    expect(net.bounds).toEqual([1e-3, 1e3]);
  });

  it('accepts a constant conductance', () => {
    const net = randomGraphNetwork({ nodes: 10, meanDegree: 3, seed: 1, conductance: 2e-3 });
    expect(Array.from(new Set(net.conductance))).toEqual([2e-3]);
  });

  it('rejects a mean degree too low to connect the graph or too high for a simple graph', () => {
    expectInvalid(() => randomGraphNetwork({ nodes: 100, meanDegree: 1, seed: 1 }), 'meanDegree', 'between 99 and 4950', 'mean degree 1.98 to 99');
    expectInvalid(() => randomGraphNetwork({ nodes: 5, meanDegree: 5, seed: 1 }), 'meanDegree', 'between 4 and 10');
    expectInvalid(() => randomGraphNetwork({ nodes: 5, meanDegree: Number.NaN, seed: 1 }), 'meanDegree', 'finite');
  });

  it('rejects fewer than 2 nodes and a missing seed', () => {
    expectInvalid(() => randomGraphNetwork({ nodes: 1, meanDegree: 1, seed: 1 }), 'nodes', 'integer >= 2');
    expectInvalid(() => randomGraphNetwork({ nodes: 5, meanDegree: 2, seed: undefined as unknown as number }), 'seed', 'required');
  });
});
