/** The rigid-body modes: counts, orthonormality, and that they stretch no spring and strain no pair. */
import { describe, expect, it } from 'vitest';
import { rigidBodyModes } from '../../../src/physics/springs/rigidModes.js';
import { rigidBodyModeCount } from '../../../src/physics/springs/SpringNetwork.js';
import { bondDirections, springExtensions, strainVector } from '../../../src/physics/springs/stiffnessMatrix.js';
import { springNet } from './springTestNetworks.js';

describe('rigidBodyModes', () => {
  const cases = [
    { name: '2D', net: springNet(2, [[0, 0], [2, 0.3], [0.7, 1.9], [3, 3]], [[0, 1], [1, 2], [2, 3], [0, 3]]), count: 3 },
    { name: '3D', net: springNet(3, [[0, 0, 0], [1, 0.2, 0], [0.1, 1, 0.3], [0.4, 0.5, 1.2]], [[0, 1], [1, 2], [2, 3], [0, 3]]), count: 6 },
    // all nodes on one line: no rotation about that line
    { name: '3D collinear', net: springNet(3, [[0, 0, 0], [1, 1, 1], [3, 3, 3]], [[0, 1], [1, 2]]), count: 5 },
  ];
  it.each(cases)('$name: count, orthonormal, no extension and no strain', ({ net, count }) => {
    const { basis, count: got } = rigidBodyModes(net);
    expect(got).toBe(count);
    if (count !== 5) expect(got).toBe(rigidBodyModeCount(net.dim));
    const n = net.dim * net.nodes;
    const dirs = bondDirections(net);
    for (let a = 0; a < got; a++) {
      const qa = basis.subarray(a * n, (a + 1) * n);
      for (let b = 0; b < got; b++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += qa[i] * basis[b * n + i];
        expect(s).toBeCloseTo(a === b ? 1 : 0, 14);
      }
      for (const x of springExtensions(net, dirs, qa)) expect(Math.abs(x)).toBeLessThan(1e-15);
      const { dofs, coefficients } = strainVector(net, 0, net.nodes - 1);
      let eps = 0;
      dofs.forEach((d, t) => (eps += coefficients[t] * qa[d]));
      expect(Math.abs(eps)).toBeLessThan(1e-15);
    }
  });
});
