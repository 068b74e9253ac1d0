/**
 * Small spring networks built inline for the thermal and energy tests (no generator: those are written elsewhere).
 */
import { Rng } from '../../../../src/physics/Rng.js';
import type { SpringNetwork } from '../../../../src/physics/springs/SpringNetwork.js';

/** A network from positions and edges; unit stiffness unless given, rest lengths = reference distances. */
export function springNet(name: string, dim: 2 | 3, points: number[][], edges: [number, number][], stiffness?: number[]): SpringNetwork {
  const positions = Float64Array.from(points.flat());
  const restLength = Float64Array.from(edges.map(([a, b]) => Math.hypot(...points[b].map((v, c) => v - points[a][c]))));
  return {
    name,
    dim,
    nodes: points.length,
    positions,
    edgeA: Int32Array.from(edges.map((e) => e[0])),
    edgeB: Int32Array.from(edges.map((e) => e[1])),
    stiffness: Float64Array.from(stiffness ?? edges.map(() => 1)),
    restLength,
  };
}

/**
 * A rows x cols triangular patch (unit spacing; even rows at x = j, odd rows at x = j + 1/2), every node moved by a
 * uniform random offset in [-disorder, disorder]^2, stiffness uniform in [0.5, 1.5], and the bonds whose index is in
 * `removed` taken out. Node (i, j) has index i * cols + j.
 */
export function triangularPatch(rows: number, cols: number, opts: { disorder: number; removed: number[]; seed: number }): SpringNetwork {
  const rng = new Rng(opts.seed);
  const points: number[][] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      points.push([j + (i % 2) * 0.5 + opts.disorder * (2 * rng.next() - 1), (i * Math.sqrt(3)) / 2 + opts.disorder * (2 * rng.next() - 1)]);
    }
  }
  const id = (i: number, j: number): number => i * cols + j;
  const all: [number, number][] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (j + 1 < cols) all.push([id(i, j), id(i, j + 1)]);
      if (i + 1 < rows) {
        const other = i % 2 === 0 ? j - 1 : j + 1;
        all.push([id(i, j), id(i + 1, j)]);
        if (other >= 0 && other < cols) all.push([id(i, j), id(i + 1, other)]);
      }
    }
  }
  const drop = new Set(opts.removed);
  const edges = all.filter((_, e) => !drop.has(e));
  return springNet(`triangular ${rows}x${cols}`, 2, points, edges, edges.map(() => 0.5 + rng.next()));
}

/**
 * The rigid test patch of the thermal tests: 5 x 6 nodes (60 degrees of freedom), 63 of the 69 bonds (6 removed),
 * disorder 0.08; exactly 3 zero modes (checked in harmonic.test.ts), smallest non-zero eigenvalue 0.055, largest 6.2.
 */
export function langevinPatch(): SpringNetwork {
  return triangularPatch(5, 6, { disorder: 0.08, removed: [5, 17, 30, 41, 52, 60], seed: 3 });
}
