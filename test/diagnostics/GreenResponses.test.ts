import { describe, expect, it } from 'vitest';
import { GreenResponses } from '../../src/diagnostics/GreenResponses.js';
import { LaplacianSystem } from '../../src/physics/LaplacianSystem.js';
import { Rng } from '../../src/physics/Rng.js';
import { denseNodal, gen1 } from './helpers.js';

interface Case {
  name: string;
  nodes: number;
  edges: [number, number][];
  k: Float64Array;
  imposed: Map<number, number>;
}

/** penn-gen1 with random conductances, and a random connected graph (spanning tree + chords). */
function cases(): Case[] {
  const rng = new Rng(31);
  const out: Case[] = [];
  out.push({
    name: 'penn-gen1',
    nodes: 16,
    edges: gen1.edges,
    k: Float64Array.from(gen1.edges, () => Math.exp(rng.uniform(Math.log(1e-4), Math.log(1e-2)))),
    imposed: new Map([[0, 3.3], [15, 0], [6, 1.1]]),
  });
  const n = 30;
  const edges: [number, number][] = [];
  const seen = new Set<string>();
  const add = (a: number, b: number): void => {
    const key = a < b ? `${a}-${b}` : `${b}-${a}`;
    if (a === b || seen.has(key)) return;
    seen.add(key);
    edges.push([a, b]);
  };
  for (let i = 1; i < n; i++) add(rng.int(i), i);
  while (edges.length < 60) add(rng.int(n), rng.int(n));
  out.push({
    name: 'random graph',
    nodes: n,
    edges,
    k: Float64Array.from(edges, () => Math.exp(rng.uniform(Math.log(1e-3), Math.log(1)))),
    imposed: new Map([[3, 1], [17, -0.5], [29, 0]]),
  });
  return out;
}

function build(c: Case): GreenResponses {
  const edgeA = Int32Array.from(c.edges, (e) => e[0]);
  const edgeB = Int32Array.from(c.edges, (e) => e[1]);
  const imposed = Int32Array.from(c.imposed.keys());
  const sys = new LaplacianSystem(c.nodes, edgeA, edgeB, imposed);
  return GreenResponses.solve(sys, edgeA, edgeB, c.k, Float64Array.from(c.imposed.values()));
}

describe('GreenResponses', () => {
  for (const c of cases()) {
    it(`${c.name}: the rank-1 change equals a full re-solve with the edge changed, for every edge and factor`, () => {
      const r = build(c);
      const base = denseNodal(c.nodes, c.edges, c.k, c.imposed);
      for (let i = 0; i < c.nodes; i++) expect(r.voltages[i]).toBeCloseTo(base[i], 12);
      let worst = 0;
      let compared = 0;
      for (let e = 0; e < c.edges.length; e++) {
        for (const factor of [0, 0.2, 0.9, 3, 1e3]) {
          const k2 = Float64Array.from(c.k);
          k2[e] *= factor;
          let exact: number[];
          try {
            exact = denseNodal(c.nodes, c.edges, k2, c.imposed);
          } catch {
            continue; // removing a bridge floats a node: no solution to compare with
          }
          if (!exact.every(Number.isFinite)) continue;
          const d = r.edgeChange(e, factor);
          for (let i = 0; i < c.nodes; i++) worst = Math.max(worst, Math.abs(base[i] + d[i] - exact[i]));
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(4 * c.edges.length);
      expect(worst).toBeLessThan(1e-9);
    });

    it(`${c.name}: the short equals a re-solve with the edge contracted; amplitude <-> factor round trip; range ends`, () => {
      const r = build(c);
      const base = denseNodal(c.nodes, c.edges, c.k, c.imposed);
      for (let e = 0; e < c.edges.length; e++) {
        // independent: the shorted edge contracted (its ends merged into one node) and the network re-solved
        const [a, b] = c.edges[e];
        if (c.imposed.has(a) && c.imposed.has(b)) continue; // a short between two sources: not a network state
        const [keep, gone] = c.imposed.has(b) ? [b, a] : [a, b];
        const rename = (i: number): number => (i === gone ? keep : i);
        const edges: [number, number][] = [];
        const k: number[] = [];
        c.edges.forEach(([p, q], t) => {
          if (t === e || rename(p) === rename(q)) return;
          edges.push([rename(p), rename(q)]);
          k.push(c.k[t]);
        });
        // node `gone` has no edge left: pin it anywhere (it cannot affect the rest), then give it its partner's voltage
        const merged = denseNodal(c.nodes, edges, k, new Map([...c.imposed, [gone, 0]]));
        merged[gone] = merged[keep];
        const d = r.edgeChange(e, Infinity);
        for (let i = 0; i < c.nodes; i++) expect(Math.abs(base[i] + d[i] - merged[i])).toBeLessThan(1e-10);
        if (Math.abs(r.edgeDrop(e)) < 1e-9) continue;
        for (const f of [0, 0.3, 1, 2.5, 40]) {
          const back = r.edgeFactor(e, r.edgeAmplitude(e, f));
          expect(Math.abs(back - f)).toBeLessThan(1e-6 * Math.max(1, f));
        }
        expect(r.edgeFactor(e, r.edgeAmplitude(e, Infinity))).toBe(Infinity);
        const [lo, hi] = r.edgeAmplitudeRange(e);
        expect(lo).toBeLessThanOrEqual(0);
        expect(hi).toBeGreaterThanOrEqual(0);
      }
    });

    it(`${c.name}: the edge shape solves H_FF g = d_F and R_e = d_F^T g <= 1/k_e`, () => {
      const r = build(c);
      // independent: g_e must solve H_FF g = d_F, with H_FF assembled here from the edge list
      for (let e = 0; e < c.edges.length; e++) {
        const [a, b] = c.edges[e];
        if (c.imposed.has(a) && c.imposed.has(b)) {
          expect(r.edgeResistance(e)).toBe(0);
          continue;
        }
        const free = [...Array(c.nodes).keys()].filter((i) => !c.imposed.has(i));
        const kk = c.k;
        const grounded = c.imposed;
        const g = r.edgeShape(e);
        for (const i of free) {
          let hg = 0;
          c.edges.forEach(([p, q], t) => {
            if (p === i && !grounded.has(q)) hg += kk[t] * (g[i] - g[q]);
            else if (p === i) hg += kk[t] * g[i];
            if (q === i && !grounded.has(p)) hg += kk[t] * (g[i] - g[p]);
            else if (q === i) hg += kk[t] * g[i];
          });
          const want = (i === b ? 1 : 0) - (i === a ? 1 : 0);
          expect(Math.abs(hg - want)).toBeLessThan(1e-9);
        }
        const R = (c.imposed.has(b) ? 0 : g[b]) - (c.imposed.has(a) ? 0 : g[a]);
        expect(r.edgeResistance(e)).toBeCloseTo(R, 12);
        expect(r.edgeResistance(e) * c.k[e]).toBeLessThanOrEqual(1 + 1e-12);
      }
    });

    it(`${c.name}: boundary weights equal the change of a re-solve with one imposed node raised by 1 V`, () => {
      const r = build(c);
      const base = denseNodal(c.nodes, c.edges, c.k, c.imposed);
      for (const j of c.imposed.keys()) {
        const raised = new Map(c.imposed);
        raised.set(j, raised.get(j)! + 1);
        const exact = denseNodal(c.nodes, c.edges, c.k, raised);
        const w = r.boundaryWeights(j);
        for (let i = 0; i < c.nodes; i++) expect(Math.abs(w[i] - (exact[i] - base[i]))).toBeLessThan(1e-10);
      }
    });
  }

  it('refuses a bad edge, a free node as boundary, a non-positive conductance', () => {
    const c = cases()[0];
    const r = build(c);
    expect(() => r.edgeShape(99)).toThrow(/edge/);
    expect(() => r.boundaryWeights(1)).toThrow(/imposed/);
    const edgeA = Int32Array.from(c.edges, (e) => e[0]);
    const edgeB = Int32Array.from(c.edges, (e) => e[1]);
    const sys = new LaplacianSystem(16, edgeA, edgeB, Int32Array.from([0, 15]));
    const k = Float64Array.from(c.k);
    k[3] = 0;
    expect(() => GreenResponses.solve(sys, edgeA, edgeB, k, Float64Array.from([1, 0]))).toThrow(/positive/);
  });
});
