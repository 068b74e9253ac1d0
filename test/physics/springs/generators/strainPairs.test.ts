import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../src/errors.js';
import { pickStrainPairs } from '../../../../src/physics/springs/generators/strainPairs.js';
import type { SpringNetwork } from '../../../../src/physics/springs/SpringNetwork.js';

/** A chain 0-1-2-...-9 along x, spacing 1. */
function chain(n: number): SpringNetwork {
  const positions = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) positions[2 * i] = i;
  return {
    name: 'chain',
    dim: 2,
    nodes: n,
    positions,
    edgeA: Int32Array.from({ length: n - 1 }, (_, i) => i),
    edgeB: Int32Array.from({ length: n - 1 }, (_, i) => i + 1),
    stiffness: new Float64Array(n - 1).fill(1),
    restLength: new Float64Array(n - 1).fill(1),
  };
}

describe('pickStrainPairs', () => {
  it('with a fixed source at one end of a chain, picks a spring in the far half (midpoint >= half the farthest distance)', () => {
    // source spring 0-1 (midpoint 0.5); the other springs not touching it: 2-3 .. 8-9, midpoints 2.5 .. 8.5, distances
    // 2 .. 8; at least 4 away: springs 4-5 .. 8-9
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const { source, target } = pickStrainPairs(chain(10), seed, { source: [0, 1] });
      expect(source).toEqual([0, 1]);
      expect(target[1]).toBe(target[0] + 1);
      expect(target[0]).toBeGreaterThanOrEqual(4);
      seen.add(target.join(','));
    }
    expect(seen.size).toBe(5); // all five candidates are drawn
  });

  it('keeps a fixed target and chooses the source', () => {
    const { source, target } = pickStrainPairs(chain(10), 3, { target: [8, 9] });
    expect(target).toEqual([8, 9]);
    expect(source[0]).toBeLessThanOrEqual(4);
  });

  it('refuses a network with no two springs apart, and an unknown node', () => {
    expect(() => pickStrainPairs(chain(3), 1)).toThrow(InvalidInputError);
    expect(() => pickStrainPairs(chain(10), 1, { source: [0, 12] })).toThrow(/unknown node 12/);
  });
});
