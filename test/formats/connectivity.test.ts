import { describe, expect, it } from 'vitest';
import { assertConnected, findFloatingNodes } from '../../src/formats/connectivity.js';
import { expectInvalid } from './expectInvalid.js';

const ia = (...x: number[]): Int32Array => Int32Array.from(x);

describe('findFloatingNodes', () => {
  // 0-1-2, 3-4-5 (a chain), 6 isolated, 7-8
  const edgeA = ia(0, 1, 3, 4, 7);
  const edgeB = ia(1, 2, 4, 5, 8);

  it('returns the nodes of components without an imposed node, ascending', () => {
    expect(Array.from(findFloatingNodes(9, edgeA, edgeB, [2]))).toEqual([3, 4, 5, 6, 7, 8]);
    expect(Array.from(findFloatingNodes(9, edgeA, edgeB, [5, 0, 8]))).toEqual([6]);
    expect(Array.from(findFloatingNodes(9, edgeA, edgeB, [0, 3, 6, 7]))).toEqual([]);
  });

  it('treats every node as floating when nothing is imposed', () => {
    expect(Array.from(findFloatingNodes(9, edgeA, edgeB, []))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('allows repeated imposed nodes and any edge orientation', () => {
    expect(Array.from(findFloatingNodes(3, ia(1, 2), ia(0, 1), [0, 0]))).toEqual([]);
  });

  it('handles a long chain (union-find depth)', () => {
    const n = 100_000;
    const a = new Int32Array(n - 1);
    const b = new Int32Array(n - 1);
    for (let i = 0; i < n - 1; i++) {
      a[i] = n - 1 - i;
      b[i] = n - 2 - i;
    }
    expect(findFloatingNodes(n, a, b, [0])).toHaveLength(0);
    expect(findFloatingNodes(n + 1, a, b, [0])).toEqual(ia(n));
  });
});

describe('assertConnected', () => {
  const net = { nodes: 12, edgeA: ia(0, 2, 3, 4, 5, 6, 7, 8, 9, 10), edgeB: ia(1, 3, 4, 5, 6, 7, 8, 9, 10, 11) };

  it('passes when every component has an imposed node', () => {
    expect(() => assertConnected(net, [0, 11], { source: 'net.json', field: '--fix' }, 'fixed')).not.toThrow();
  });

  it('throws at the given location with the role name, shortening big groups', () => {
    const e = expectInvalid(
      () => assertConnected(net, [1], { source: 'net.json', field: '--fix' }, 'fixed'),
      '--fix',
      'node 2 has no path to any fixed node',
      'group of 10 connected nodes (2, 3, 4, 5, 6, 7, 8, 9, ...)',
      'make a node of its group a fixed node',
    );
    expect(e.source).toBe('net.json');
  });

  it('names the network when told', () => {
    expectInvalid(() => assertConnected(net, [5], { field: 'ground' }, 'source or ground', 'net.json'), 'ground', 'node 0 of net.json', 'group of 2');
  });
});
