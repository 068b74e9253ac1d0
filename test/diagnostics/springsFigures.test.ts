/**
 * Displacement fields drawn as arrows on the network (issue 17, point 6): one arrow per moving node, from the node,
 * along the displacement, to one scale; and the free-state response of a strain task on a triangle worked by hand.
 */
import { describe, expect, it } from 'vitest';
import { diagnoseSprings } from '../../src/diagnostics/diagnoseSprings.js';
import { networkFigure } from '../../src/diagnostics/figures/networkFigure.js';
import { springFigures } from '../../src/diagnostics/figures/springFigures.js';
import { InvalidInputError } from '../../src/errors.js';
import { springNet } from '../physics/springs/springTestNetworks.js';

interface Arrow {
  node: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The arrows of a figure: each path of class "arrow", its node and its shaft (the first M ... L ...). */
function arrowsOf(svg: string): Arrow[] {
  const group = /<g class="arrows"[^>]*>(.*?)<\/g>/s.exec(svg);
  if (!group) return [];
  return [...group[1].matchAll(/<path class="arrow" data-node="(\d+)" d="M([-\d.e]+) ([-\d.e]+)L([-\d.e]+) ([-\d.e]+)M/g)].map((m) => ({ node: +m[1], x0: +m[2], y0: +m[3], x1: +m[4], y1: +m[5] }));
}

/** Centre of each node's circle, in drawing order. */
function nodeCentres(svg: string): [number, number][] {
  const group = /<g class="nodes"[^>]*>(.*?)<\/g>/s.exec(svg)!;
  return [...group[1].matchAll(/<circle cx="([-\d.]+)" cy="([-\d.]+)"/g)].map((m) => [+m[1], +m[2]]);
}

describe('networkFigure nodeArrows', () => {
  const positions = Float64Array.from([0, 0, 1, 0, 1, 1, 0, 1, 0.5, 0.5]);
  const edgeA = Int32Array.from([0, 1, 2, 3, 0]);
  const edgeB = Int32Array.from([1, 2, 3, 0, 4]);
  const u = Float64Array.from([1, 0, 0, 2, -1, -1, 0.5, 0, 0, 0]);

  it('one arrow per node with a nonzero displacement, from the node, along it, lengths in proportion', () => {
    const svg = networkFigure(positions, edgeA, edgeB, { nodeArrows: u, arrowLabel: 'displacement (length)' });
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    const arrows = arrowsOf(svg);
    expect(arrows.map((a) => a.node)).toEqual([0, 1, 2, 3]); // node 4 does not move
    const centres = nodeCentres(svg);
    const len = arrows.map((a) => Math.hypot(a.x1 - a.x0, a.y1 - a.y0));
    for (const a of arrows) {
      expect(a.x0).toBeCloseTo(centres[a.node][0], 1);
      expect(a.y0).toBeCloseTo(centres[a.node][1], 1);
      const ux = u[2 * a.node];
      const uy = u[2 * a.node + 1];
      const dx = a.x1 - a.x0;
      const dy = a.y1 - a.y0;
      // parallel and the same way (positions are drawn with y downwards, unflipped, so the field is too)
      expect(Math.abs(dx * uy - dy * ux) / (Math.hypot(dx, dy) * Math.hypot(ux, uy))).toBeLessThan(0.01);
      expect(dx * ux + dy * uy).toBeGreaterThan(0);
    }
    // |u| = 1, 2, sqrt2, 0.5: one scale for all; the longest is 0.8 median edge lengths (median edge: the unit sides)
    const scale = len[1] / 2;
    expect(len[0] / scale).toBeCloseTo(1, 1);
    expect(len[2] / scale).toBeCloseTo(Math.SQRT2, 1);
    expect(len[3] / scale).toBeCloseTo(0.5, 1);
    const side = Math.hypot(centres[1][0] - centres[0][0], centres[1][1] - centres[0][1]);
    expect(len[1] / side).toBeCloseTo(0.8, 1);
    expect(svg).toContain('displacement (length)');
  });

  it('bad input: wrong length, bad arrowLength', () => {
    expect(() => networkFigure(positions, edgeA, edgeB, { nodeArrows: u.slice(1) })).toThrow(InvalidInputError);
    expect(() => networkFigure(positions, edgeA, edgeB, { nodeArrows: u, arrowLength: 0 })).toThrow(InvalidInputError);
  });
});

describe('the free-state response of a strain task as arrows', () => {
  it('an equilateral triangle with its base pair strained by 1: the hand-worked least-norm field', () => {
    // base 0-1 extends by 1 (length 1); the other two springs stay unstretched (the triangle is rigid, so every
    // extension pattern is reachable and the minimum puts them at 0). Mirror symmetry about x = 1/2 and no net
    // motion: u0 = (-1/2, a), u1 = (1/2, a), u2 = (0, -2a), with ext_02 = 1/4 + (sqrt3/2)(-3a) = 0, a = 1/(6 sqrt3).
    const h = Math.sqrt(3) / 2;
    const net = springNet(2, [[0, 0], [1, 0], [0.5, h]], [[0, 1], [1, 2], [0, 2]]);
    const r = diagnoseSprings(net, { source: [0, 1], target: [1, 2], sourceStrain: 1, delta: 0.2, cooperative: false, lambda: 0 });
    const a = 1 / (6 * Math.sqrt(3));
    const truth = [-0.5, a, 0.5, a, 0, -2 * a];
    r.response[0].forEach((v, i) => expect(v).toBeCloseTo(truth[i], 12));
    const fig = springFigures(net, r, { network: 'triangle' }).find((f) => f.name === 'response')!;
    const arrows = arrowsOf(fig.svg);
    expect(arrows).toHaveLength(3);
    for (const ar of arrows) {
      const ux = truth[2 * ar.node];
      const uy = truth[2 * ar.node + 1];
      const dx = ar.x1 - ar.x0;
      const dy = ar.y1 - ar.y0;
      expect(Math.abs(dx * uy - dy * ux) / (Math.hypot(dx, dy) * Math.hypot(ux, uy))).toBeLessThan(0.01);
      expect(dx * ux + dy * uy).toBeGreaterThan(0);
    }
    // springs coloured by stiffness, and the soft-mode figure has arrows too
    expect(fig.svg).toContain('stiffness k (energy/length^2)');
    expect(arrowsOf(springFigures(net, r, {}).find((f) => f.name === 'soft-mode')!.svg).length).toBeGreaterThan(0);
  });
});
