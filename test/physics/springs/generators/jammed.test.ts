import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../src/errors.js';
import { jammedSprings, largestRigidCluster, pruneLowDegree } from '../../../../src/physics/springs/generators/jammed.js';
import { referenceDistance } from '../../../../src/physics/springs/SpringNetwork.js';
import { degrees, zeroModes } from './rigidity.js';

const seeds = [1, 2, 3];
const runs = seeds.map((seed) => jammedSprings({ disks: 64, seed }));

describe('jammed soft-disk spring networks', () => {
  it('jams: FIRE converges to the force tolerance', () => {
    for (const r of runs) {
      expect(r.minimisation.converged).toBe(true);
      expect(r.minimisation.maxForce).toBeLessThanOrEqual(1e-10);
      expect(r.minimisation.energy).toBeGreaterThan(0); // phi = 0.9 is above jamming: overlaps remain
    }
  });

  it('has only small overlaps, of the size compression from jamming implies, and springs exactly on contacts', () => {
    // Compressing affinely from phi_J ~ 0.84 to phi = 0.9 shrinks lengths by sqrt(phi_J / phi): overlaps of about
    // 1 - sqrt(0.84 / 0.9) = 0.034 of a contact distance; the non-affine packing spreads them around that.
    const affine = 1 - Math.sqrt(0.84 / 0.9);
    for (const r of runs) {
      const net = r.network;
      const bonded = new Set<string>();
      for (let e = 0; e < net.edgeA.length; e++) bonded.add(`${net.edgeA[e]},${net.edgeB[e]}`);
      let sum = 0;
      for (let e = 0; e < net.edgeA.length; e++) {
        const a = net.edgeA[e];
        const b = net.edgeB[e];
        const sigma = (r.diameters[a] + r.diameters[b]) / 2;
        const overlap = 1 - referenceDistance(net, a, b) / sigma;
        expect(overlap, `spring ${e} joins disks in contact`).toBeGreaterThan(0);
        sum += overlap;
      }
      // every pair of kept disks, bonded or not: no overlap above 3 x the affine estimate
      for (let i = 0; i < net.nodes; i++) {
        for (let j = i + 1; j < net.nodes; j++) {
          const overlap = 1 - referenceDistance(net, i, j) / ((r.diameters[i] + r.diameters[j]) / 2);
          expect(overlap).toBeLessThan(3 * affine);
        }
      }
      const mean = sum / net.edgeA.length;
      expect(mean).toBeGreaterThan(affine / 3);
      expect(mean).toBeLessThan(affine * 1.5);
      expect(r.maxOverlap).toBeLessThan(3 * affine);
    }
  });

  it('keeps only nodes of >= 3 springs, above isostatic, unstressed, half small and half large disks before pruning', () => {
    for (const r of runs) {
      const net = r.network;
      expect(Math.min(...degrees(net))).toBeGreaterThanOrEqual(3);
      const z = (2 * net.edgeA.length) / net.nodes;
      expect(r.coordination).toBeCloseTo(z, 12);
      expect(r.excessCoordination).toBeCloseTo(z - 4, 12);
      expect(z).toBeGreaterThan(4);
      expect(net.nodes + r.removed.lowCoordination + r.removed.notRigid).toBe(64);
      for (let e = 0; e < net.edgeA.length; e++) expect(net.restLength[e]).toBeCloseTo(referenceDistance(net, net.edgeA[e], net.edgeB[e]), 14);
      for (const d of r.diameters) expect([1, 1.4]).toContain(d);
      for (const x of net.positions) expect(x >= 0 && x < r.box).toBe(true);
    }
  });

  it('is rigid: exactly 3 zero eigenvalues of the stiffness matrix', () => {
    for (const r of runs) {
      const m = zeroModes(r.network);
      expect(m.zero, r.network.name).toBe(3);
      expect(m.smallestNonZero).toBeGreaterThan(1e-7);
    }
  });

  it('reports the pressure of the packing from its contact forces (virial), positive and of the overlap scale', () => {
    for (const r of runs) {
      // p = sum_contacts f r / (2 A) with f = overlap / sigma and r ~ sigma: about contacts x mean overlap / (2 A)
      const estimate = (r.contacts * r.meanOverlap) / (2 * r.box * r.box);
      expect(r.pressure / estimate).toBeGreaterThan(0.7);
      expect(r.pressure / estimate).toBeLessThan(1.3);
    }
  });

  it('is deterministic per seed and differs between seeds', () => {
    const again = jammedSprings({ disks: 64, seed: 1 });
    expect(again.network).toEqual(runs[0].network);
    expect(Array.from(runs[1].network.positions.subarray(0, 4))).not.toEqual(Array.from(runs[0].network.positions.subarray(0, 4)));
  });

  it('refuses bad options, and a packing below jamming', () => {
    expect(() => jammedSprings({ disks: 8 })).toThrow(InvalidInputError);
    expect(() => jammedSprings({ disks: 64.5 })).toThrow(InvalidInputError);
    expect(() => jammedSprings({ disks: 64, packingFraction: 1.5 })).toThrow(/\[0.5, 1\]/);
    expect(() => jammedSprings({ disks: 64, forceTolerance: 0 })).toThrow(InvalidInputError);
    expect(() => jammedSprings({ disks: 64, stiffness: -1 })).toThrow(InvalidInputError);
    expect(() => jammedSprings({ disks: 64, packingFraction: 0.6, seed: 1 })).toThrow(/no rigid contact network/);
  });
});

describe('pruning helpers', () => {
  it('keeps the largest rigid cluster: two braced blocks joined by two springs (one floppy hinge mode)', () => {
    // block A: nodes 0..4, a braced square plus a triangle (rigid, 5 nodes); block B: 5..7, a triangle; joined by
    // springs 4-5 and 3-6 (two springs between two rigid bodies leave 1 of their 3 relative motions free)
    const ea = [0, 1, 2, 3, 0, 2, 3, 5, 6, 7, 4, 3];
    const eb = [1, 2, 3, 0, 2, 4, 4, 6, 7, 5, 5, 6];
    const alive = new Uint8Array(8).fill(1);
    const cluster = largestRigidCluster(8, ea, eb, alive);
    expect(Array.from(cluster)).toEqual([1, 1, 1, 1, 1, 0, 0, 0]);
    // with a third spring 2-7 the whole is rigid
    expect(Array.from(largestRigidCluster(8, [...ea, 2], [...eb, 7], alive))).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('removes nodes of fewer than 3 springs repeatedly: a chain hanging off a triangle-braced square goes node by node', () => {
    // braced square 0..3 with both diagonals (each node 3 springs); chain 3-4-5
    const ea = [0, 1, 2, 3, 0, 1, 3, 4];
    const eb = [1, 2, 3, 0, 2, 3, 4, 5];
    const alive = new Uint8Array(6).fill(1);
    expect(pruneLowDegree(6, ea, eb, alive)).toBe(4);
    expect(Array.from(alive)).toEqual([1, 1, 1, 1, 0, 0]);
  });
});
